//! A case file in several parts, joined by ids: the main file (one row per case, as `msp-node
//! import` is given it) and the files its mapping declares with `[[join]]` (persons, enquiries,
//! risks, …).
//!
//! Each joined file is read whole first (they are a fraction of the main file's size: one row per
//! person, or a few per case) and indexed by its key column. Each row of the main file is then
//! extended with the columns of its joined rows, so that from there on it is an ordinary row of
//! one flat file: mapped, validated and stored as any other. The rules:
//!
//! - A joined file's columns are appended to the main file's header, less its key column and the
//!   columns its `[[join]]` ignores; a name already used by an earlier file is refused (ignore it
//!   in one of them), so every column is mapped once.
//! - `on` names the column holding the id in the main file or in an earlier join.
//! - `rows_per_case = "one"`: a case whose id is not in the file is rejected, naming the id and
//!   the file. `"zero_or_one"` and `"any"`: such a case has the file's columns blank.
//! - Where one row per case is expected, a second row with the same id is rejected (the first is
//!   used). Where any number are, a case's rows are combined: a multi-valued column becomes the
//!   list of their values; a ticked column is ticked if any row ticks it; any other column must
//!   have one value over the rows (or be blank), or the case is rejected naming the lines that
//!   disagree.
//! - A joined row that no case refers to is rejected, with its file and line: nothing in any
//!   file passes unaccounted. For each joined file, rows read = matched + rejected.
//! - A value from a joined file that fails validation is reported at its own file and line.

use std::{
    collections::{HashMap, HashSet},
    fs::File,
    io::BufReader,
    path::{Path, PathBuf},
};

use msp_schemas::Column;
use serde::Serialize;

use super::{
    error::ImportError,
    input,
    mapping::{self, Derived, Mapping, PerCase},
    parse::{own_line, ticked},
    report::Report,
};

/// What became of a joined file's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JoinedFile {
    /// The file.
    pub file: PathBuf,
    /// SHA-256 of its bytes.
    pub file_sha256: String,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows joined to at least one case of the main file.
    pub matched: u64,
    /// Rows rejected: no case refers to them, a second row where one is expected, no id, or the
    /// wrong number of fields. Each is in the rejects report with its file and line.
    pub rejected: u64,
}

/// How a column of a file with many rows per case combines them.
#[derive(Debug, Clone, Copy)]
enum Combine {
    /// A multi-valued column: the list of every row's values.
    List,
    /// A ticked category: ticked if any row ticks it.
    Tick,
    /// One value over the rows, or blank.
    One(&'static str),
    /// A column the import does not read: the first row's.
    First,
}

/// A joined file's rows with one id.
struct Rows {
    /// Each row's line in its file.
    lines: Vec<u64>,
    /// Each row's kept fields.
    fields: Vec<Vec<Box<[u8]>>>,
    /// Whether a case of the main file referred to them.
    used: bool,
}

/// One joined file, read and indexed.
struct Table {
    /// Its name, as reports show it.
    name: String,
    per_case: PerCase,
    /// Its key column's name.
    key: String,
    /// The combined header's column holding the id it is joined on, and that column's name.
    on: (usize, String),
    /// Where its columns start in the combined header.
    start: usize,
    /// Its kept columns' names (the combined header's, from `start`).
    names: Vec<String>,
    /// How each kept column combines rows (for `PerCase::Any`).
    combine: Vec<Combine>,
    rows: HashMap<Box<str>, Rows>,
    counts: JoinedFile,
    /// For the current case, the line each kept column's value came from (0: none).
    lines: Vec<u64>,
}

/// Why a row of the main file could not be joined.
pub(super) struct Miss {
    /// The column named.
    pub(super) column: String,
    /// Its value.
    pub(super) value: String,
    /// Why.
    pub(super) reason: String,
    /// The joined file and line where the problem is, if not the main file's row.
    pub(super) at: Option<(String, u64)>,
}

/// The files joined to a main file.
pub(super) struct Joins {
    /// The main file's name, as reports show it.
    main: String,
    /// The main file's own number of columns.
    main_len: usize,
    tables: Vec<Table>,
    separator: char,
}

/// A row that a joined file rejected while it was read, to report once the report exists.
pub(super) struct Pending {
    file: String,
    line: u64,
    id: String,
    column: String,
    value: String,
    reason: String,
}

impl Joins {
    /// Reads the files `mapping` joins to the main file at `main_path`, whose header is `header`.
    /// Returns them with the combined header (the main file's, then each joined file's kept
    /// columns) and the rows they rejected, to be reported with [`Joins::report_pending`].
    pub(super) fn load(
        main_path: &Path,
        header: &csv::ByteRecord,
        mapping: &Mapping,
    ) -> Result<(Joins, csv::ByteRecord, Vec<Pending>), ImportError> {
        let mut combined = header.clone();
        let mut names: Vec<String> = header.iter().map(|f| header_name(f, main_path)).collect::<Result<_, _>>()?;
        let mut tables = Vec::new();
        let mut pending = Vec::new();
        let dir = main_path.parent().unwrap_or(Path::new("."));
        for join in mapping.joins() {
            let path = dir.join(&join.file);
            let name = shown_name(&path);
            let on_key = mapping::key(&join.on);
            let on = names.iter().position(|n| mapping::key(n) == on_key).ok_or_else(|| ImportError::JoinOn {
                file: path.clone(),
                on: join.on.clone(),
                columns: quoted(&names),
            })?;
            let read_err = |source| ImportError::Read { path: path.clone(), source };
            let file = File::open(&path).map_err(read_err)?;
            let (source, _) = input::open(&path, file, mapping.encoding(), join.sheet.as_deref())?;
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(1 << 16)
                .from_reader(BufReader::with_capacity(1 << 16, source));
            let mut own = csv::ByteRecord::new();
            if !reader.read_byte_record(&mut own).map_err(|e| read_err(e.into()))? {
                return Err(ImportError::Empty(path));
            }
            let own_names: Vec<String> = own.iter().map(|f| header_name(f, &path)).collect::<Result<_, _>>()?;
            let key_pos =
                own_names.iter().position(|n| mapping::key(n) == mapping::key(&join.key)).ok_or_else(|| {
                    ImportError::JoinKey { file: path.clone(), key: join.key.clone(), columns: quoted(&own_names) }
                })?;
            let ignored: HashSet<String> = join.ignore.iter().map(|i| mapping::key(i)).collect();
            let kept: Vec<usize> = (0..own_names.len())
                .filter(|&i| i != key_pos && !ignored.contains(&mapping::key(&own_names[i])))
                .collect();
            let start = names.len();
            for &i in &kept {
                let k = mapping::key(&own_names[i]);
                if let Some(first) = names.iter().position(|n| mapping::key(n) == k) {
                    let other = tables
                        .iter()
                        .rev()
                        .find(|t: &&Table| t.start <= first)
                        .map_or_else(|| shown_name(main_path), |t| t.name.clone());
                    return Err(ImportError::JoinClash { file: path.clone(), column: own_names[i].clone(), other });
                }
                names.push(own_names[i].clone());
                combined.push_field(own.get(i).unwrap_or_default());
            }

            let mut counts =
                JoinedFile { file: path.clone(), file_sha256: String::new(), rows_read: 0, matched: 0, rejected: 0 };
            let mut rows: HashMap<Box<str>, Rows> = HashMap::new();
            let mut record = csv::ByteRecord::new();
            let mut reject =
                |line: u64, id: &str, column: &str, value: &str, reason: String, counts: &mut JoinedFile| {
                    counts.rejected += 1;
                    pending.push(Pending {
                        file: name.clone(),
                        line,
                        id: id.to_owned(),
                        column: column.to_owned(),
                        value: value.to_owned(),
                        reason,
                    });
                };
            while reader.read_byte_record(&mut record).map_err(|e| read_err(e.into()))? {
                counts.rows_read += 1;
                let line = own_line(record.position().map_or(0, |p| p.line()), reader.position().line(), &record);
                let id = String::from_utf8_lossy(record.get(key_pos).unwrap_or_default()).trim().to_owned();
                if record.len() != own_names.len() {
                    let reason = format!(
                        "the row has {} fields but the header has {}: look for an unquoted comma or a missing quote",
                        record.len(),
                        own_names.len()
                    );
                    reject(line, &id, "", "", reason, &mut counts);
                    continue;
                }
                if id.is_empty() {
                    let reason = format!("no {} on this row, so it cannot be joined to a case", join.key);
                    reject(line, "", &join.key, "", reason, &mut counts);
                    continue;
                }
                let fields: Vec<Box<[u8]>> =
                    kept.iter().map(|&i| Box::from(record.get(i).unwrap_or_default())).collect();
                match rows.get_mut(id.as_str()) {
                    Some(earlier) if join.per_case != PerCase::Any => {
                        let reason = format!(
                            "a second row for {} {id:?} (the first is line {}): the mapping says one row of this file \
                             belongs to a case (rows_per_case), so only the first is used",
                            join.key, earlier.lines[0]
                        );
                        reject(line, &id, &join.key, &id, reason, &mut counts);
                    }
                    Some(earlier) => {
                        earlier.lines.push(line);
                        earlier.fields.push(fields);
                    }
                    None => {
                        rows.insert(id.into_boxed_str(), Rows { lines: vec![line], fields: vec![fields], used: false });
                    }
                }
            }
            counts.file_sha256 = msp_store::hex(reader.into_inner().into_inner().finish().as_ref());
            tables.push(Table {
                name,
                per_case: join.per_case,
                key: join.key.clone(),
                on: (on, join.on.clone()),
                start,
                names: names[start..].to_vec(),
                combine: vec![Combine::First; kept.len()],
                rows,
                counts,
                lines: vec![0; kept.len()],
            });
        }
        let joins =
            Joins { main: shown_name(main_path), main_len: header.len(), tables, separator: mapping.list_separator() };
        Ok((joins, combined, pending))
    }

    /// Writes the rows the joined files rejected while they were read into `report`.
    pub(super) fn report_pending(pending: Vec<Pending>, report: &mut Report) -> Result<(), ImportError> {
        for p in pending {
            report.write_in(&p.file, p.line, &p.id, "rejected", &p.column, &p.value, &p.reason)?;
        }
        Ok(())
    }

    /// Sets how each joined column combines a case's rows, once the combined header is mapped:
    /// `columns` and `derived` are what each of its columns gives.
    pub(super) fn plan(&mut self, columns: &[Option<Column>], derived: &[Option<Derived>]) {
        for t in &mut self.tables {
            for (i, c) in t.combine.iter_mut().enumerate() {
                let pos = t.start + i;
                *c = match (columns.get(pos).copied().flatten(), derived.get(pos).copied().flatten()) {
                    (Some(col), _) if col.multi_valued() => Combine::List,
                    (Some(col), _) => Combine::One(col.name()),
                    (None, Some(Derived::Ticked(..))) => Combine::Tick,
                    (None, Some(Derived::BirthDate)) => Combine::One("date of birth"),
                    (None, None) => Combine::First,
                };
            }
        }
    }

    /// The main file's own number of columns.
    pub(super) fn main_len(&self) -> usize {
        self.main_len
    }

    /// Extends a row of the main file (of `main_len` fields) with its joined rows' columns, or
    /// says why it cannot be joined.
    pub(super) fn extend(&mut self, record: &mut csv::ByteRecord) -> Result<(), Miss> {
        let sep = self.separator;
        for t in &mut self.tables {
            t.lines.fill(0);
            let id = String::from_utf8_lossy(record.get(t.on.0).unwrap_or_default()).trim().to_owned();
            let Some(rows) = t.rows.get_mut(id.as_str()).filter(|_| !id.is_empty()) else {
                if t.per_case == PerCase::One {
                    let reason = if id.is_empty() {
                        format!("no {} to find the row of {} by, and every case needs one", t.on.1, t.name)
                    } else {
                        format!(
                            "{} {id:?} is not in {} (its {} column), and every case needs a row there",
                            t.on.1, t.name, t.key
                        )
                    };
                    return Err(Miss { column: t.on.1.clone(), value: id, reason, at: None });
                }
                for _ in &t.names {
                    record.push_field(b"");
                }
                continue;
            };
            rows.used = true;
            if rows.fields.len() == 1 {
                t.lines.fill(rows.lines[0]);
                for f in &rows.fields[0] {
                    record.push_field(f);
                }
                continue;
            }
            for (i, how) in t.combine.iter().enumerate() {
                let values: Vec<(String, u64)> = rows
                    .fields
                    .iter()
                    .zip(&rows.lines)
                    .map(|(r, &line)| (String::from_utf8_lossy(&r[i]).trim().to_owned(), line))
                    .filter(|(v, _)| !v.is_empty())
                    .collect();
                let first = || values.first().cloned();
                let (combined, line) = match how {
                    Combine::First => first().unwrap_or_default(),
                    Combine::List => {
                        let mut all: Vec<&str> = Vec::new();
                        for part in values.iter().flat_map(|(v, _)| v.split(sep)).map(str::trim) {
                            if !part.is_empty() && !all.contains(&part) {
                                all.push(part);
                            }
                        }
                        (all.join(&sep.to_string()), values.first().map_or(0, |v| v.1))
                    }
                    Combine::Tick => {
                        // A value that is no tick at all is passed on, to be rejected naming it.
                        let bad = values.iter().find(|(v, _)| ticked(v).is_none());
                        bad.or_else(|| values.iter().find(|(v, _)| ticked(v) == Some(true)))
                            .cloned()
                            .unwrap_or_default()
                    }
                    Combine::One(column) => {
                        if let Some((v, line)) = values.iter().find(|(v, _)| *v != values[0].0) {
                            let (f, at) = &values[0];
                            let reason = format!(
                                "{} gives this case's {} as {f:?} at line {at} and as {v:?} at line {line}: its rows \
                                 for one case must agree (or leave it blank)",
                                t.name, t.names[i]
                            );
                            let at = Some((t.name.clone(), *line));
                            return Err(Miss { column: (*column).to_owned(), value: v.clone(), reason, at });
                        }
                        first().unwrap_or_default()
                    }
                };
                t.lines[i] = line;
                record.push_field(combined.as_bytes());
            }
        }
        Ok(())
    }

    /// The file and line a value at `position` of the combined header came from, for the current
    /// row, when that is a joined file (where several rows were combined: the row whose value
    /// was taken, the first for a list).
    pub(super) fn origin(&self, position: usize) -> Option<(&str, u64)> {
        let t = self.table_of(position)?;
        let line = t.lines[position - t.start];
        (line != 0).then_some((t.name.as_str(), line))
    }

    /// The joined file a column of the combined header comes from (`None`: the main file).
    pub(super) fn file_of(&self, position: usize) -> Option<&str> {
        self.table_of(position).map(|t| t.name.as_str())
    }

    fn table_of(&self, position: usize) -> Option<&Table> {
        self.tables.iter().find(|t| t.start <= position && position < t.start + t.names.len())
    }

    /// Once the main file is read: rejects every joined row that no case referred to, and gives
    /// each joined file's counts.
    pub(super) fn finish(self, report: &mut Report) -> Result<Vec<JoinedFile>, ImportError> {
        let mut out = Vec::with_capacity(self.tables.len());
        for mut t in self.tables {
            let mut unused: Vec<(u64, &str)> = Vec::new();
            for (id, rows) in &t.rows {
                if rows.used {
                    t.counts.matched += rows.lines.len() as u64;
                } else {
                    unused.extend(rows.lines.iter().map(|&l| (l, &**id)));
                }
            }
            unused.sort_unstable();
            for (line, id) in unused {
                t.counts.rejected += 1;
                let reason = format!(
                    "no row of {} has {} {id:?}: this row belongs to no case in it (was the main file cut short, or \
                     exported for other dates?)",
                    self.main, t.on.1
                );
                report.write_in(&t.name, line, id, "rejected", &t.key, id, &reason)?;
            }
            out.push(t.counts);
        }
        Ok(out)
    }

    /// The main file and the joined files, as the import's history names them.
    pub(super) fn describe(&self) -> String {
        let joined: Vec<&str> = self.tables.iter().map(|t| t.name.as_str()).collect();
        format!("{} (joined with {})", self.main, joined.join(", "))
    }
}

/// A header field as text (a BOM before the first is dropped).
fn header_name(field: &[u8], path: &Path) -> Result<String, ImportError> {
    let field = field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field);
    std::str::from_utf8(field).map(|s| s.trim().to_owned()).map_err(|_| ImportError::HeaderNotUtf8(path.to_owned()))
}

/// A file as reports name it: its file name.
fn shown_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}
