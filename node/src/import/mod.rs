//! `msp-node import`: a council's case-file export into the node's database.
//!
//! The file is streamed: one thread reads the CSV, applies the mapping, validates each row
//! through `msp-schemas`, hashes person ids and encodes records, while the database writes the
//! previous batch. Everything is stored in one transaction, so an import either lands whole or
//! not at all. Every data row is accounted for: read = imported + updated + unchanged + rejected.
//! Each rejected row (and each warning) is listed with its line, column, value and reason in a
//! CSV report.

pub mod mapping;

use std::{
    collections::HashMap,
    fs::File,
    io::{BufReader, BufWriter, Read},
    path::{Path, PathBuf},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use msp_schemas::{CaseRecord, Column, Period, RawRow, release::Timestamp};
use ring::digest;
use serde::Serialize;

use crate::{
    keys::NodeSecret,
    store::{CaseRow, ImportCounts, NodeStoreError, Store},
    stored::StoredCase,
};
pub use mapping::{Header, Mapping, MappingError};

/// Longest field accepted, in bytes. Longer ones are rejected (a case-record/1 value is short;
/// a longer one is a broken quote or a corrupt export), and shown truncated in the report.
pub const MAX_FIELD_BYTES: usize = 10_000;
/// Longest value shown in the rejects report, in characters.
const SHOWN_VALUE_CHARS: usize = 200;
/// Case rows handed from the reader to the database at a time.
const HANDOFF_ROWS: usize = 3_600;

/// Why an import could not be done. Nothing is stored when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No header row.
    #[error(
        "{0} is empty: a case file starts with a header row naming its columns ({cols})",
        cols = required_columns()
    )]
    Empty(PathBuf),
    /// The header is not UTF-8.
    #[error("the header row of {0} is not valid UTF-8: export the file as UTF-8 (with or without a BOM)")]
    HeaderNotUtf8(PathBuf),
    /// Columns that are neither case-record/1 columns nor mapped.
    #[error(
        "{path} has columns this node does not know: {unknown}. Rename or ignore them with a mapping file \
         (--mapping FILE; see deploy/config/mapping-caseworks.example.toml). The case-record/1 columns are: {expected}"
    )]
    UnknownColumns {
        /// The file.
        path: PathBuf,
        /// The unknown names, quoted.
        unknown: String,
        /// Every column name.
        expected: String,
    },
    /// Two header columns that mean the same column.
    #[error(
        "{path} has two columns that both give {column} (columns {first} and {second}): remove one, or ignore one with a mapping file"
    )]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// 1-based position of the first.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// Required columns are absent.
    #[error(
        "{path} lacks the required column(s) {missing}: every case file needs {required}. If the export names them \
         differently, map them with --mapping FILE"
    , required = required_columns())]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// The missing names.
        missing: String,
    },
    /// The rejects report could not be written.
    #[error("could not write the rejects report {path}: {source}")]
    Report {
        /// The report.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database failed; the import was rolled back.
    #[error("the import was rolled back and nothing was stored: {0}")]
    Store(#[from] NodeStoreError),
}

fn required_columns() -> String {
    Column::ALL.iter().filter(|c| c.required()).map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The council's mapping, if its export needs one.
    pub mapping: Option<Mapping>,
    /// Where to write the rejects report; `None` writes one under `rejects_dir` only if needed.
    pub rejects_path: Option<PathBuf>,
    /// Directory for reports when no path is given.
    pub rejects_dir: PathBuf,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
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

/// What the node knows of a case id during an import (kept small: there is one per case).
struct Known {
    hash: [u8; 16],
    /// Line of this file where the case id was last seen (0: not yet; saturates).
    seen_line: u32,
    /// Hand-off batch in which it was last written (so one batch never writes a case twice).
    batch: u32,
}

/// The rejects report, written to a temporary name and renamed when the import commits.
struct Report {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    always: bool,
}

impl Report {
    fn new(path: PathBuf, always: bool) -> Self {
        let partial = path.with_extension("csv.partial");
        Self { path, partial, writer: None, always }
    }

    fn err(&self, source: std::io::Error) -> ImportError {
        ImportError::Report { path: self.path.clone(), source }
    }

    fn writer(&mut self) -> Result<&mut csv::Writer<BufWriter<File>>, ImportError> {
        if self.writer.is_none() {
            if let Some(dir) = self.partial.parent() {
                std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
            }
            let file = File::create(&self.partial).map_err(|e| self.err(e))?;
            let mut w = csv::Writer::from_writer(BufWriter::new(file));
            w.write_record(["line", "case_id", "severity", "column", "value", "reason"])
                .map_err(|e| self.err(e.into()))?;
            self.writer = Some(w);
        }
        Ok(self.writer.as_mut().expect("just created"))
    }

    fn write(
        &mut self,
        line: u64,
        case_id: &str,
        severity: &str,
        column: &str,
        value: &str,
        reason: &str,
    ) -> Result<(), ImportError> {
        let value = shown(value);
        let case_id = shown(case_id);
        let line = line.to_string();
        let result = self.writer()?.write_record([line.as_str(), &case_id, severity, column, &value, reason]);
        result.map_err(|e| self.err(e.into()))
    }

    /// Flushes the report and moves it into place; `None` if nothing needed reporting.
    fn finish(mut self) -> Result<Option<PathBuf>, ImportError> {
        if self.always {
            self.writer()?;
        }
        let Some(mut w) = self.writer.take() else { return Ok(None) };
        w.flush().map_err(|e| self.err(e))?;
        drop(w);
        std::fs::rename(&self.partial, &self.path).map_err(|e| self.err(e))?;
        Ok(Some(self.path.clone()))
    }

    fn abandon(mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

fn shown(v: &str) -> String {
    if v.chars().count() > SHOWN_VALUE_CHARS {
        let mut s: String = v.chars().take(SHOWN_VALUE_CHARS).collect();
        s.push('…');
        s
    } else {
        v.to_owned()
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
    let started = Timestamp::now().to_string();
    let mut tx = store.db().begin().await.map_err(NodeStoreError::from)?;
    let import_id = store.begin_import(&mut tx, &file_name(path), &started).await?;

    let (report_path, always) = match &options.rejects_path {
        Some(p) => (p.clone(), true),
        None => (options.rejects_dir.join(format!("import-{import_id}.csv")), false),
    };
    let report = Report::new(report_path, always);
    let progress = if options.progress {
        let bar = ProgressBar::with_draw_target(Some(file_len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} importing {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("a valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

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

    let outcome = async {
        write_result?;
        let (counts, sha) = parsed?;
        let finished = Timestamp::now().to_string();
        Store::finish_import(&mut tx, import_id, &sha, &finished, &counts).await?;
        Ok::<_, ImportError>((counts, sha))
    }
    .await;
    match outcome {
        Ok((counts, file_sha256)) => {
            let rejects_file = report.finish()?;
            if let Err(e) = tx.commit().await {
                if let Some(p) = &rejects_file {
                    let _ = std::fs::remove_file(p);
                }
                return Err(NodeStoreError::from(e).into());
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

/// The reading side of an import (runs on its own thread).
struct Parse {
    path: PathBuf,
    columns: Vec<Option<Column>>,
    mapping: Mapping,
    secret: NodeSecret,
    known: HashMap<Box<str>, Known>,
    report: Report,
    counts: ImportCounts,
    batch: u32,
    rows: Vec<CaseRow>,
}

/// The database side stopped taking rows (it failed, and will report why).
struct Stopped;

impl Parse {
    fn run<R: Read>(
        &mut self,
        reader: &mut csv::Reader<R>,
        out: &tokio::sync::mpsc::Sender<Vec<CaseRow>>,
        bar: &ProgressBar,
    ) -> Result<(), ImportError> {
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(ImportError::Read { path: self.path.clone(), source: e.into() }),
            }
            self.counts.rows_read += 1;
            let (line, byte) = record.position().map_or((0, 0), |p| (p.line(), p.byte()));
            if self.counts.rows_read.is_multiple_of(4096) {
                bar.set_position(byte);
            }
            self.row(&record, line)?;
            if self.rows.len() >= HANDOFF_ROWS && self.hand_off(out).is_err() {
                return Ok(());
            }
        }
        if !self.rows.is_empty() {
            let _ = self.hand_off(out);
        }
        Ok(())
    }

    fn hand_off(&mut self, out: &tokio::sync::mpsc::Sender<Vec<CaseRow>>) -> Result<(), Stopped> {
        self.batch += 1;
        let mut rows = std::mem::take(&mut self.rows);
        // In key order, consecutive rows land on neighbouring pages of the case_id index.
        rows.sort_unstable_by(|a, b| a.case_id.cmp(&b.case_id));
        out.blocking_send(rows).map_err(|_| Stopped)
    }

    /// One data row: check its shape and text, map it, validate it, and classify it.
    fn row(&mut self, record: &csv::ByteRecord, line: u64) -> Result<(), ImportError> {
        let case_id_pos = self.columns.iter().position(|c| *c == Some(Column::CaseId));
        let case_id_text = case_id_pos
            .and_then(|i| record.get(i))
            .map(|b| String::from_utf8_lossy(b).trim().to_owned())
            .unwrap_or_default();
        if record.len() != self.columns.len() {
            self.counts.rejected += 1;
            let reason = format!(
                "the row has {} fields but the header has {}: look for an unquoted comma or a missing quote",
                record.len(),
                self.columns.len()
            );
            return self.report.write(line, &case_id_text, "rejected", "", "", &reason);
        }
        let mut texts: [&str; Column::COUNT] = [""; Column::COUNT];
        let mut problems: Vec<(Column, String, String)> = Vec::new();
        for (field, column) in record.iter().zip(&self.columns) {
            let Some(column) = *column else { continue };
            if field.len() > MAX_FIELD_BYTES {
                let shown = String::from_utf8_lossy(field).into_owned();
                problems.push((
                    column,
                    shown,
                    format!("longer than {MAX_FIELD_BYTES} bytes: the export is corrupt or a quote is unbalanced"),
                ));
                continue;
            }
            match std::str::from_utf8(field) {
                Ok(t) => texts[column as usize] = t,
                Err(_) => problems.push((
                    column,
                    String::from_utf8_lossy(field).into_owned(),
                    "not valid UTF-8: export the file as UTF-8".to_owned(),
                )),
            }
        }
        if !problems.is_empty() {
            self.counts.rejected += 1;
            for (column, value, reason) in problems {
                self.report.write(line, &case_id_text, "rejected", column.name(), &value, &reason)?;
            }
            return Ok(());
        }

        let translated: Vec<(Column, String)> = Column::ALL
            .iter()
            .filter(|c| self.mapping.translates(**c) && !texts[**c as usize].is_empty())
            .map(|c| (*c, self.mapping.translate(*c, texts[*c as usize])))
            .collect();
        let mut raw = RawRow::new();
        for c in Column::ALL {
            raw.set(*c, texts[*c as usize]);
        }
        for (c, v) in &translated {
            raw.set(*c, v);
        }

        let validated = match CaseRecord::validate(&raw) {
            Ok(v) => v,
            Err(rejected) => {
                self.counts.rejected += 1;
                for issue in &rejected.issues {
                    self.report.write(
                        line,
                        &case_id_text,
                        "rejected",
                        issue.column.name(),
                        &issue.value,
                        &issue.reason,
                    )?;
                }
                return Ok(());
            }
        };
        let record = validated.record;
        for w in &validated.warnings {
            self.counts.warnings += 1;
            self.report.write(line, record.case_id(), "warning", w.column.name(), &w.value, &w.reason)?;
        }

        let person_key = self.secret.person_key(record.person_id());
        let encoded = StoredCase::from_record(&record).encode();
        let mut h = digest::Context::new(&digest::SHA256);
        h.update(&person_key);
        h.update(&encoded);
        h.update(record.case_id().as_bytes());
        let mut row_hash = [0u8; 16];
        row_hash.copy_from_slice(&h.finish().as_ref()[..16]);

        let batch = self.batch;
        let seen = u32::try_from(line).unwrap_or(u32::MAX);
        let entry = self.known.get_mut(record.case_id());
        let write = match entry {
            None => {
                self.counts.imported += 1;
                self.known.insert(record.case_id().into(), Known { hash: row_hash, seen_line: seen, batch });
                true
            }
            Some(k) => {
                let earlier = k.seen_line;
                k.seen_line = seen;
                let changed = k.hash != row_hash;
                if changed {
                    self.counts.updated += 1;
                    k.hash = row_hash;
                } else {
                    self.counts.unchanged += 1;
                }
                let same_batch = changed && k.batch == batch && earlier != 0;
                if changed {
                    k.batch = batch;
                }
                if earlier != 0 {
                    self.counts.warnings += 1;
                    let reason = format!("case_id also appears at line {earlier}: the later row replaces the earlier");
                    self.report.write(line, record.case_id(), "warning", "case_id", record.case_id(), &reason)?;
                }
                if same_batch {
                    // This case is already waiting in the current batch: keep the later row only.
                    self.rows.retain(|r| r.case_id != record.case_id());
                }
                changed
            }
        };
        if write {
            let concern_date = record.concern_date();
            let concluded = record.concluded_date();
            self.rows.push(CaseRow {
                case_id: record.case_id().to_owned(),
                person_key,
                concern_period: Period::containing(concern_date).expect("validated dates lie in supported years"),
                concluded_period: concluded
                    .map(|d| Period::containing(d).expect("validated dates lie in supported years")),
                record: encoded,
                row_hash,
            });
        }
        Ok(())
    }
}
