//! `msp-node import`: a council's case-file export into the node's database.
//!
//! The file is streamed: one thread reads the CSV, applies the mapping, validates each row
//! through `msp-schemas`, hashes person ids and encodes records (`parse`), while the database
//! writes the previous batch. Everything is stored in one transaction, so an import either lands
//! whole or not at all. Every data row is accounted for: read = imported + updated + unchanged +
//! rejected. Each rejected row (and each warning) is listed with its line, column, value and
//! reason in a CSV report (`report`).
//!
//! The file may be CSV text in UTF-8 (with or without a BOM), UTF-16 with a BOM, or
//! Windows-1252 (named in the mapping, `encoding = "windows-1252"`, or recognised: see `decode`
//! for the rule, and the summary's `notes` when it was applied); or an Excel workbook (`.xlsx`,
//! its first sheet or the mapping's `sheet = "…"`), whose rows become records as CSV rows do
//! (`xlsx`). Line numbers are the file's own (a sheet's row numbers), and its SHA-256 is of its
//! bytes on disk (`input`).
//!
//! An export in several files (persons, concerns, enquiries, risks) is imported as one: the
//! mapping declares the files joined to the main one by ids (`[[join]]`), and each main row is
//! extended with its joined rows before it is mapped (`join`, which has the rules). Every row of
//! every file is accounted for, and a problem is reported at the file and line it is in.

mod decode;
mod error;
mod input;
mod join;
pub mod mapping;
mod parse;
mod report;
mod xlsx;

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
pub use join::JoinedFile;
pub use mapping::{Derived, Header, Join, Mapping, MappingError, PerCase};
use parse::{Known, Parse};
pub use parse::{MAX_FIELD_BYTES, Snapshot};
use report::Report;
pub use report::{Example, Problem};

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
    /// Above this many rejected rows the import is rolled back (`None`: any number is kept out
    /// and the rest imported).
    pub max_rejected: Option<MaxRejected>,
}

/// How many rejected rows an import tolerates before it is rolled back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxRejected {
    /// At most this many rows.
    Rows(u64),
    /// At most this share of the rows read (0 to 1).
    Share(f64),
}

impl MaxRejected {
    /// Whether `rejected` of `read` rows is more than allowed.
    pub fn exceeded(self, rejected: u64, read: u64) -> bool {
        match self {
            MaxRejected::Rows(n) => rejected > n,
            MaxRejected::Share(s) => read > 0 && rejected as f64 > s * read as f64,
        }
    }
}

impl std::fmt::Display for MaxRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxRejected::Rows(n) => write!(f, "{n} rows"),
            MaxRejected::Share(s) => write!(f, "{}%", s * 100.0),
        }
    }
}

impl std::str::FromStr for MaxRejected {
    type Err = String;

    /// `250` (rows) or `5%` (of the rows read).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || format!("{s:?} is neither a number of rows (250) nor a share of the rows read (5%)");
        match s.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if (0.0..=100.0).contains(&p) { Ok(MaxRejected::Share(p / 100.0)) } else { Err(bad()) }
            }
            None => s.parse().map(MaxRejected::Rows).map_err(|_| bad()),
        }
    }
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
    /// Each kind of problem met, with its count and first rows, rejections first.
    pub problems: Vec<Problem>,
    /// For a snapshot import ([`import_snapshot`]): the concern dates the file covers and the
    /// stored cases removed.
    pub snapshot: Option<Snapshot>,
    /// How the file was read, where the officer should know (a guessed encoding).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What became of the rows of each file joined to this one (`[[join]]` in the mapping).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<JoinedFile>,
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

/// A reader that turns each CRLF into LF, so that the csv reader counts the file's own lines
/// whatever its line endings (with CRLF it counted one line too few, and a rejected row's line
/// number pointed at the row above). A CR not followed by LF is kept as it is. The file's hash is
/// taken beneath this, of the bytes as they are on disk.
struct LfReader<R> {
    inner: R,
    /// A CR read last, held back until the next byte shows whether an LF follows it.
    held: bool,
    /// The last byte passed on, if any.
    last: Option<u8>,
}

impl<R> LfReader<R> {
    /// Reads `inner` with CRLF as LF, and with a line break after a last line that lacks one (so
    /// that every record ends with one, which the line numbers rely on: see `parse::own_line`).
    fn new(inner: R) -> Self {
        Self { inner, held: false, last: None }
    }
}

impl<R: Read> Read for LfReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.len() < 2 {
            // Too small to look ahead: pass the bytes as they are (the buffered reader above never
            // asks for so little).
            return match buf.first_mut() {
                Some(b) if self.held => {
                    *b = b'\r';
                    self.held = false;
                    Ok(1)
                }
                _ => self.inner.read(buf),
            };
        }
        loop {
            let start = usize::from(self.held);
            if self.held {
                buf[0] = b'\r';
            }
            let n = self.inner.read(&mut buf[start..])?;
            self.held = false;
            if n == 0 {
                let last = if start == 1 { Some(b'\r') } else { self.last };
                let mut out = start;
                if last.is_some_and(|b| b != b'\n') {
                    buf[out] = b'\n';
                    out += 1;
                }
                self.last = last.map(|_| b'\n');
                return Ok(out);
            }
            let total = start + n;
            let mut kept = 0;
            for i in 0..total {
                let b = buf[i];
                if b == b'\r' {
                    if i + 1 == total {
                        self.held = true;
                        continue;
                    }
                    if buf[i + 1] == b'\n' {
                        continue;
                    }
                }
                buf[kept] = b;
                kept += 1;
            }
            if kept > 0 {
                self.last = Some(buf[kept - 1]);
                return Ok(kept);
            }
        }
    }
}

/// Imports the case file at `path` into `store`.
pub async fn import_file(
    store: &Store,
    secret: &NodeSecret,
    path: &Path,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    import_as(store, secret, path, options, None).await
}

/// Imports the case file at `path` as a snapshot (see [`Snapshot`]): in the same transaction,
/// the stored cases received within its concern dates that it does not hold are removed, and that
/// is recorded in the audit log as done by `by`. The ledger and stored releases are not touched.
pub async fn import_snapshot(
    store: &Store,
    secret: &NodeSecret,
    path: &Path,
    options: ImportOptions,
    by: &crate::audit::Actor,
) -> Result<ImportSummary, ImportError> {
    import_as(store, secret, path, options, Some(by)).await
}

/// An import, as a snapshot when `snapshot` names who runs it.
async fn import_as(
    store: &Store,
    secret: &NodeSecret,
    path: &Path,
    options: ImportOptions,
    snapshot: Option<&crate::audit::Actor>,
) -> Result<ImportSummary, ImportError> {
    let read_err = |source| ImportError::Read { path: path.to_owned(), source };
    let file = File::open(path).map_err(read_err)?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let encoding = options.mapping.as_ref().and_then(Mapping::encoding);
    let (input, notes) = input::open(path, file, encoding, options.mapping.as_ref().and_then(Mapping::sheet))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(BufReader::with_capacity(1 << 16, input));

    let mapping = options.mapping.clone().unwrap_or_default();
    let mut header = csv::ByteRecord::new();
    let has_header = reader.read_byte_record(&mut header).map_err(|e| read_err(e.into()))?;
    if !has_header || header.iter().all(|f| f.iter().all(|b| b.is_ascii_whitespace()) || f == b"\xEF\xBB\xBF") {
        return Err(ImportError::Empty(path.to_owned()));
    }
    let (mut joins, header, pending) = if mapping.joins().is_empty() {
        (None, header, Vec::new())
    } else {
        let (joins, combined, pending) = join::Joins::load(path, &header, &mapping)?;
        (Some(joins), combined, pending)
    };
    let columns = resolve_header(path, &header, &mapping, joins.as_ref())?;
    let derived = derived_columns(&header, &mapping);
    if let Some(joins) = &mut joins {
        joins.plan(&columns, &derived);
    }
    let history_name = joins.as_ref().map_or_else(|| file_name(path), join::Joins::describe);

    let known = store.case_fingerprints(|hash| Known { hash, seen_line: 0, batch: u32::MAX }).await?;
    let started = clock::now(&options.clock).to_string();
    let mut tx = store.db().begin().await.map_err(NodeStoreError::from)?;
    let import_id = store.begin_import(&mut tx, &history_name, &started).await?;

    let (report_path, always) = match &options.rejects_path {
        Some(p) => (p.clone(), true),
        None => (options.rejects_dir.join(format!("import-{import_id}.csv")), false),
    };
    let mut report = Report::new(report_path, always, file_name(path));
    if let Err(e) = join::Joins::report_pending(pending, &mut report) {
        report.abandon();
        return Err(e);
    }
    let progress = msp_terminal::progress_bar(options.progress, file_len, PROGRESS);

    let (tx_rows, mut rx_rows) = tokio::sync::mpsc::channel::<Vec<CaseRow>>(4);
    let secret = secret.clone();
    let bar = progress.clone();
    let file_path = path.to_owned();
    let seen = snapshot.map(|by| parse::Seen::new(by.clone()));
    let parser = std::thread::spawn(move || {
        let mut parse = Parse {
            path: file_path,
            columns,
            derived,
            mapping,
            secret,
            known,
            report,
            counts: ImportCounts::default(),
            batch: 0,
            rows: Vec::new(),
            snapshot: seen,
            joins,
        };
        let result = parse.run(&mut reader, &tx_rows, &bar);
        drop(tx_rows);
        let joined = result.and_then(|()| parse.finish_joins());
        let hash = reader.into_inner().into_inner().finish();
        let seen = parse.finish_snapshot();
        (joined.map(|joined| (parse.counts, msp_store::hex(hash.as_ref()), joined)), parse.report, seen)
    });

    let mut write_result = Ok(());
    while let Some(rows) = rx_rows.recv().await {
        if let Err(e) = store.upsert_cases(&mut tx, import_id, &rows).await {
            write_result = Err(e);
            break;
        }
    }
    drop(rx_rows);
    let (parsed, report, seen) = parser.join().expect("the import reader does not panic");
    progress.finish_and_clear();

    let outcome = write_result.map_err(ImportError::from).and(parsed);
    match outcome {
        Ok((counts, _, _)) if options.max_rejected.is_some_and(|m| m.exceeded(counts.rejected, counts.rows_read)) => {
            let _ = tx.rollback().await;
            let problems = report.problems();
            let report = report.finish()?;
            Err(ImportError::TooManyRejected {
                path: path.to_owned(),
                rejected: counts.rejected,
                read: counts.rows_read,
                limit: options.max_rejected.expect("checked").to_string(),
                report,
                reasons: problems
                    .iter()
                    .filter(|p| p.severity == "rejected")
                    .take(3)
                    .map(|p| format!("{} × {}", p.count, p.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
            })
        }
        Ok((counts, file_sha256, joined)) => {
            let problems = report.problems();
            let rejects_file = report.finish()?;
            let finished = clock::now(&options.clock).to_string();
            let mut snapshot = None;
            let saved = async {
                if let Some(seen) = seen {
                    snapshot = Some(seen.remove_absent(store, &mut tx, &finished, path, import_id).await?);
                }
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
            Ok(ImportSummary {
                file: path.to_owned(),
                import_id,
                file_sha256,
                counts,
                rejects_file,
                problems,
                snapshot,
                notes,
                joined,
            })
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
    joins: Option<&join::Joins>,
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
            Header::Ignored | Header::Derived(_) => columns.push(None),
            Header::Unknown if mapping.ignores_unmapped() => columns.push(None),
            Header::Unknown => {
                let file = joins.and_then(|j| j.file_of(i)).map(|f| format!(" in {f}")).unwrap_or_default();
                unknown.push(match closest_column(name) {
                    Some(c) => format!("{name:?}{file} (did you mean {c}?)"),
                    None => format!("{name:?}{file}"),
                });
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

/// What each header column gives towards other columns (ticked list categories, a date of birth).
fn derived_columns(header: &csv::ByteRecord, mapping: &Mapping) -> Vec<Option<Derived>> {
    header
        .iter()
        .map(|raw| {
            match mapping.resolve_header(std::str::from_utf8(raw).unwrap_or("").trim_start_matches('\u{feff}')) {
                Header::Derived(d) => Some(d),
                _ => None,
            }
        })
        .collect()
}

/// The case-record/1 column a misspelt header name most likely means: the nearest by edit
/// distance (ignoring case, spaces and underscores), if it is near enough to be a slip.
fn closest_column(name: &str) -> Option<&'static str> {
    let norm = |s: &str| s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect::<Vec<char>>();
    let given = norm(name);
    Column::ALL
        .iter()
        .map(|c| (edit_distance(&given, &norm(c.name())), c.name()))
        .filter(|(d, target)| *d <= (target.len() / 4).clamp(1, 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn crlf_becomes_lf_and_the_last_line_ends_however_the_reads_fall() {
        use std::io::Read;
        let text = b"a,b\r\nc,\"d\re\"\r\n\r\nlast\r";
        for chunk in 1..=text.len() {
            // A source that hands out at most `chunk` bytes a read.
            struct Chunks<'a>(&'a [u8], usize);
            impl Read for Chunks<'_> {
                fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                    let n = self.1.min(buf.len()).min(self.0.len());
                    buf[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let mut out = Vec::new();
            super::LfReader::new(Chunks(text, chunk)).read_to_end(&mut out).unwrap();
            assert_eq!(out, b"a,b\nc,\"d\re\"\n\nlast\r\n", "reads of {chunk} bytes");
            let mut out = Vec::new();
            super::LfReader::new(Chunks(b"a\r\nb", chunk)).read_to_end(&mut out).unwrap();
            assert_eq!(out, b"a\nb\n", "a line break after the last line, reads of {chunk} bytes");
        }
    }

    #[test]
    fn a_misspelt_column_is_told_what_it_most_likely_means() {
        assert_eq!(super::closest_column("concern_dat"), Some("concern_date"));
        assert_eq!(super::closest_column("Outcomes Acheived"), Some("outcomes_achieved"));
        assert_eq!(super::closest_column("PersonID"), Some("person_id"));
        assert_eq!(super::closest_column("Worker"), None);
        assert_eq!(super::closest_column("team"), None);
    }

    #[test]
    fn the_progress_bar_template_is_valid() {
        let bar = msp_terminal::progress_bar(true, 10, super::PROGRESS);
        bar.inc(1);
        assert_eq!(bar.length(), Some(10));
    }
}
