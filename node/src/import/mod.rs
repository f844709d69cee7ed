//! `msp-node import`: a council's case-file export into the node's database.
//!
//! The file is streamed: one thread reads the CSV, applies the mapping, validates each row
//! through `msp-schemas`, hashes person ids and encodes records (`parse`), while the database
//! writes the previous batch. Everything is stored in one transaction, so an import either lands
//! whole or not at all. Every data row is accounted for: read = imported + updated + unchanged +
//! rejected. Each rejected row (and each warning) is listed with its line, column, value and
//! reason in a CSV report (`report`).

mod error;
pub mod mapping;
mod parse;
mod report;

use std::{
    collections::HashMap,
    fs::File,
    io::{BufReader, Read},
    path::{Path, PathBuf},
};

use msp_schemas::Column;
use ring::digest;
use serde::Serialize;

use crate::{
    clock::{self, Clock},
    keys::NodeSecret,
    store::{CaseRow, ImportCounts, NodeStoreError, Store},
};
pub use error::ImportError;
pub use mapping::{Header, Mapping, MappingError};
pub use parse::MAX_FIELD_BYTES;
use parse::{Known, Parse};
use report::Report;

/// The progress bar of an import on a terminal.
const PROGRESS: &str = "{spinner} importing {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)";

/// How to run an import.
#[derive(Clone)]
pub struct ImportOptions {
    /// The council's mapping, if its export needs one.
    pub mapping: Option<Mapping>,
    /// Where to write the rejects report; `None` writes one under `rejects_dir` only if needed.
    pub rejects_path: Option<PathBuf>,
    /// Directory for reports when no path is given.
    pub rejects_dir: PathBuf,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
    /// Where the import's start and finish times come from.
    pub clock: Clock,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("mapping", &self.mapping)
            .field("rejects_path", &self.rejects_path)
            .field("rejects_dir", &self.rejects_dir)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// The file imported.
    pub file: PathBuf,
    /// The import's id in the node's database.
    pub import_id: i64,
    /// SHA-256 of the file, to tell later which export this was.
    pub file_sha256: String,
    /// The counts.
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// The rejects report, if one was written.
    pub rejects_file: Option<PathBuf>,
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hash: digest::Context,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Imports the case file at `path` into `store`.
pub async fn import_file(
    store: &Store,
    secret: &NodeSecret,
    path: &Path,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let read_err = |source| ImportError::Read { path: path.to_owned(), source };
    let file = File::open(path).map_err(read_err)?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let hashing = HashingReader { inner: file, hash: digest::Context::new(&digest::SHA256) };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(BufReader::with_capacity(1 << 16, hashing));

    let mapping = options.mapping.clone().unwrap_or_default();
    let mut header = csv::ByteRecord::new();
    let has_header = reader.read_byte_record(&mut header).map_err(|e| read_err(e.into()))?;
    if !has_header || header.iter().all(|f| f.iter().all(|b| b.is_ascii_whitespace()) || f == b"\xEF\xBB\xBF") {
        return Err(ImportError::Empty(path.to_owned()));
    }
    let columns = resolve_header(path, &header, &mapping)?;

    let known = store.case_fingerprints(|hash| Known { hash, seen_line: 0, batch: u32::MAX }).await?;
    let started = clock::now(&options.clock).to_string();
    let mut tx = store.db().begin().await.map_err(NodeStoreError::from)?;
    let import_id = store.begin_import(&mut tx, &file_name(path), &started).await?;

    let (report_path, always) = match &options.rejects_path {
        Some(p) => (p.clone(), true),
        None => (options.rejects_dir.join(format!("import-{import_id}.csv")), false),
    };
    let report = Report::new(report_path, always);
    let progress = msp_terminal::progress_bar(options.progress, file_len, PROGRESS);

    let (tx_rows, mut rx_rows) = tokio::sync::mpsc::channel::<Vec<CaseRow>>(4);
    let secret = secret.clone();
    let bar = progress.clone();
    let file_path = path.to_owned();
    let parser = std::thread::spawn(move || {
        let mut parse = Parse {
            path: file_path,
            columns,
            mapping,
            secret,
            known,
            report,
            counts: ImportCounts::default(),
            batch: 0,
            rows: Vec::new(),
        };
        let result = parse.run(&mut reader, &tx_rows, &bar);
        let hash = reader.into_inner().into_inner().hash.finish();
        (result.map(|()| (parse.counts, msp_store::hex(hash.as_ref()))), parse.report)
    });

    let mut write_result = Ok(());
    while let Some(rows) = rx_rows.recv().await {
        if let Err(e) = store.upsert_cases(&mut tx, import_id, &rows).await {
            write_result = Err(e);
            break;
        }
    }
    drop(rx_rows);
    let (parsed, report) = parser.join().expect("the import reader does not panic");
    progress.finish_and_clear();

    let outcome = write_result.map_err(ImportError::from).and(parsed);
    match outcome {
        Ok((counts, file_sha256)) => {
            let rejects_file = report.finish()?;
            let finished = clock::now(&options.clock).to_string();
            let saved = async {
                let rejects = rejects_file.as_ref().map(|p| p.display().to_string());
                Store::finish_import(&mut tx, import_id, &file_sha256, &finished, &counts, rejects.as_deref()).await?;
                tx.commit().await.map_err(NodeStoreError::from)
            }
            .await;
            if let Err(e) = saved {
                if let Some(p) = &rejects_file {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e.into());
            }
            tracing::info!(import_id, rows = counts.rows_read, "import committed");
            Ok(ImportSummary { file: path.to_owned(), import_id, file_sha256, counts, rejects_file })
        }
        Err(e) => {
            report.abandon();
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Maps each header field to a column (or to nothing, when ignored) and checks the header.
fn resolve_header(
    path: &Path,
    header: &csv::ByteRecord,
    mapping: &Mapping,
) -> Result<Vec<Option<Column>>, ImportError> {
    let mut columns = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    let mut first_at: HashMap<Column, usize> = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name = std::str::from_utf8(raw).map_err(|_| ImportError::HeaderNotUtf8(path.to_owned()))?;
        match mapping.resolve_header(name) {
            Header::Column(c) => {
                if let Some(first) = first_at.insert(c, i + 1) {
                    return Err(ImportError::DuplicateColumn {
                        path: path.to_owned(),
                        column: c.name(),
                        first,
                        second: i + 1,
                    });
                }
                columns.push(Some(c));
            }
            Header::Ignored => columns.push(None),
            Header::Unknown => {
                unknown.push(format!("{name:?}"));
                columns.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns {
            path: path.to_owned(),
            unknown: unknown.join(", "),
            expected: Column::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", "),
        });
    }
    let missing: Vec<_> =
        Column::ALL.iter().filter(|c| c.required() && !first_at.contains_key(c)).map(|c| c.name()).collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { path: path.to_owned(), missing: missing.join(", ") });
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_bar_template_is_valid() {
        let bar = msp_terminal::progress_bar(true, 10, super::PROGRESS);
        bar.inc(1);
        assert_eq!(bar.length(), Some(10));
    }
}
