//! The reading side of an import, on a thread of its own: each data row's shape and text are
//! checked, the mapping applied, the row validated as `case-record/1`, the person id hashed and
//! the record encoded, and the row classified as new, changed or unchanged; rows to write are
//! handed to the database side in batches.

use std::{
    collections::{HashMap, HashSet},
    io::Read,
    path::{Path, PathBuf},
};

use msp_schemas::{CaseRecord, Column, Period, RawRow, case_record::SlashOrder};
use msp_store::sqlx::{Any, Transaction};
use msp_terminal::ProgressBar;
use ring::digest;
use serde::Serialize;
use time::Date;

use super::{
    error::ImportError,
    join::{JoinedFile, Joins},
    mapping::{Derived, Mapping},
    report::Report,
};
use crate::{
    audit::Actor,
    keys::NodeSecret,
    store::{CaseRow, ImportCounts, NodeStoreError, Store, record::StoredCase},
};

/// Longest field accepted, in bytes. Longer ones are rejected (a case-record/1 value is short;
/// a longer one is a broken quote or a corrupt export), and shown truncated in the report.
pub const MAX_FIELD_BYTES: usize = 10_000;
/// Case rows handed from the reader to the database at a time.
const HANDOFF_ROWS: usize = 3_600;

/// What the node knows of a case id during an import (kept small: there is one per case).
pub(super) struct Known {
    pub(super) hash: [u8; 16],
    /// Line of this file where the case id was last seen (0: not yet; saturates).
    pub(super) seen_line: u32,
    /// Hand-off batch in which it was last written (so one batch never writes a case twice).
    pub(super) batch: u32,
}

/// The reading side of an import (runs on its own thread).
pub(super) struct Parse {
    pub(super) path: PathBuf,
    pub(super) columns: Vec<Option<Column>>,
    /// What each header column gives towards other columns, beside `columns`.
    pub(super) derived: Vec<Option<Derived>>,
    pub(super) mapping: Mapping,
    pub(super) secret: NodeSecret,
    pub(super) known: HashMap<Box<str>, Known>,
    pub(super) report: Report,
    pub(super) counts: ImportCounts,
    pub(super) batch: u32,
    pub(super) rows: Vec<CaseRow>,
    /// For a snapshot import, what the file holds beyond the rows written.
    pub(super) snapshot: Option<Seen>,
    /// The files joined to this one, if its mapping joins any.
    pub(super) joins: Option<Joins>,
}

/// What a snapshot import (`import --snapshot`) did beyond an ordinary import.
///
/// The file is taken as the complete set of cases received from `first` to `last`, the earliest
/// and latest concern date of its rows imported (new, updated or unchanged; a rejected row's date
/// may not be readable, so it does not widen the range). Stored cases received in that range whose
/// case id the file does not hold are removed; a rejected row's case id counts as held, so its
/// stored case is kept. Cases outside the range are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The range's first day (`None` when no row was imported: then nothing is removed).
    #[serde(serialize_with = "iso_date")]
    pub first: Option<Date>,
    /// The range's last day.
    #[serde(serialize_with = "iso_date")]
    pub last: Option<Date>,
    /// Stored cases removed (not part of `rows_read`: they are not rows of the file).
    pub removed: u64,
}

/// A date as `YYYY-MM-DD`.
fn iso_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// What a snapshot import learns from its file: the concern dates its accepted rows cover, and
/// which case ids it mentions.
pub(super) struct Seen {
    /// Who runs the import (for the audit log).
    by: Actor,
    /// The earliest and latest concern date of the rows accepted (new, updated or unchanged).
    range: Option<(Date, Date)>,
    /// The case ids of rejected rows: present in the file, so their stored cases are kept.
    rejected: HashSet<Box<str>>,
    /// Once the file is read ([`Parse::finish_snapshot`]): the stored case ids it does not mention.
    absent: HashSet<Box<str>>,
}

impl Seen {
    /// Nothing seen yet, for an import run by `by`.
    pub(super) fn new(by: Actor) -> Self {
        Self { by, range: None, rejected: HashSet::new(), absent: HashSet::new() }
    }

    /// Inside the import's transaction `tx`, once the file is read: removes the stored cases in
    /// the file's range that it does not hold, and records that in the audit log at `at`.
    pub(super) async fn remove_absent(
        self,
        store: &Store,
        tx: &mut Transaction<'static, Any>,
        at: &str,
        file: &Path,
        import_id: i64,
    ) -> Result<Snapshot, NodeStoreError> {
        let range = self.range;
        let detail = |removed: u64| match range {
            Some((first, last)) => format!(
                "{} (import {import_id}) taken as every case received {first} to {last}: {removed} stored case(s) \
                 received then and absent from it removed",
                file.display()
            ),
            None => {
                format!("{} (import {import_id}) had no row imported, so no stored case was removed", file.display())
            }
        };
        let removed = store.remove_absent(tx, range, &self.absent, at, &self.by, detail).await?;
        Ok(Snapshot { first: range.map(|r| r.0), last: range.map(|r| r.1), removed })
    }
}

/// The file's own line a record starts on. The csv reader gives a record the line where it began
/// looking for it (`start`), which after blank lines is the first blank line; the line it stopped
/// at (`after`, the line after the record's terminator) less the record's own line breaks is
/// right whatever came before. A last record with no line break after it stops on its own line,
/// where `start` is right (unless blank lines came just before it).
pub(super) fn own_line(start: u64, after: u64, record: &csv::ByteRecord) -> u64 {
    let breaks = record.iter().map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64).sum::<u64>();
    start.max(after.saturating_sub(1 + breaks))
}

/// Whether a ticked-column value says the category applies (`None`: it says neither).
pub(super) fn ticked(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "1" | "x" | "true" | "t" => Some(true),
        "" | "n" | "no" | "0" | "false" | "f" => Some(false),
        _ => None,
    }
}

/// The `age_band` code of someone born on `born`, on the concern date `concern` (both as the case
/// file writes dates); why not, when it cannot be told or the person was not an adult.
fn age_band(born: &str, concern: &str, order: SlashOrder) -> Result<&'static str, String> {
    use msp_schemas::case_record::{parse_birth_date, parse_date};
    let born = parse_birth_date(born, order).map_err(|e| format!("the date of birth: {e}; age_band is left blank"))?;
    let on =
        parse_date(concern).map_err(|_| "no concern date to tell the age on; age_band is left blank".to_owned())?;
    let mut age = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        age -= 1;
    }
    Ok(match age {
        ..0 => return Err(format!("the date of birth {born} is after the concern date {on}; age_band is left blank")),
        0..18 => {
            return Err(format!(
                "the date of birth {born} makes the person {age} on the concern date {on}, not an adult; age_band is \
                 left blank"
            ));
        }
        18..65 => "18-64",
        65..75 => "65-74",
        75..85 => "75-84",
        85..95 => "85-94",
        _ => "95+",
    })
}

/// The database side stopped taking rows (it failed, and will report why).
struct Stopped;

impl Parse {
    pub(super) fn run<R: Read>(
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
            let (start, byte) = record.position().map_or((0, 0), |p| (p.line(), p.byte()));
            let line = own_line(start, reader.position().line(), &record);
            if self.counts.rows_read.is_multiple_of(4096) {
                bar.set_position(byte);
            }
            let rejected = self.counts.rejected;
            if let Some(joins) = &mut self.joins {
                let wanted = joins.main_len();
                let joined = if record.len() == wanted { joins.extend(&mut record).map_err(Some) } else { Err(None) };
                if let Err(miss) = joined {
                    let case_id = self.case_id_of(&record);
                    self.counts.rejected += 1;
                    match miss {
                        Some(m) => match &m.at {
                            Some((file, at)) => {
                                self.report.write_in(file, *at, &case_id, "rejected", &m.column, &m.value, &m.reason)?
                            }
                            None => self.report.write(line, &case_id, "rejected", &m.column, &m.value, &m.reason)?,
                        },
                        None => self.reject_shape(line, &case_id, record.len(), wanted)?,
                    }
                    self.note_rejected(&record);
                    continue;
                }
            }
            self.row(&record, line)?;
            if self.counts.rejected > rejected {
                self.note_rejected(&record);
            }
            if self.rows.len() >= HANDOFF_ROWS && self.hand_off(out).is_err() {
                return Ok(());
            }
        }
        if !self.rows.is_empty() {
            let _ = self.hand_off(out);
        }
        Ok(())
    }

    /// Once the file is read: rejects the joined files' rows no case referred to, and gives what
    /// became of each joined file's rows.
    pub(super) fn finish_joins(&mut self) -> Result<Vec<JoinedFile>, ImportError> {
        match self.joins.take() {
            Some(joins) => joins.finish(&mut self.report),
            None => Ok(Vec::new()),
        }
    }

    /// The case id a row gives (blank if none).
    fn case_id_of(&self, record: &csv::ByteRecord) -> String {
        let pos = self.columns.iter().position(|c| *c == Some(Column::CaseId));
        pos.and_then(|i| record.get(i)).map(|b| String::from_utf8_lossy(b).trim().to_owned()).unwrap_or_default()
    }

    /// Reports a row with `got` fields where the header has `wanted`.
    fn reject_shape(&mut self, line: u64, case_id: &str, got: usize, wanted: usize) -> Result<(), ImportError> {
        let reason = format!(
            "the row has {got} fields but the header has {wanted}: look for an unquoted comma or a missing quote"
        );
        self.report.write(line, case_id, "rejected", "", "", &reason)
    }

    /// Reports a problem with the value at `position` of the (combined) header, at the file and
    /// line it came from: the row's own `line`, or a joined file's row.
    #[allow(clippy::too_many_arguments)]
    fn report_at(
        &mut self,
        position: Option<usize>,
        line: u64,
        case_id: &str,
        severity: &str,
        column: &str,
        value: &str,
        reason: &str,
    ) -> Result<(), ImportError> {
        match self.joins.as_ref().zip(position).and_then(|(j, p)| j.origin(p)) {
            Some((file, at)) => self.report.write_in(file, at, case_id, severity, column, value, reason),
            None => self.report.write(line, case_id, severity, column, value, reason),
        }
    }

    /// Where `column` is in the (combined) header.
    fn position(&self, column: Column) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }

    /// The values the mapping builds from other columns: lists from ticked columns (joined with
    /// the column's own value), and the age band from a date of birth where the row has none.
    /// `Err(())` when the row was rejected (and reported) for a value that is neither ticked nor not.
    fn derive(
        &mut self,
        record: &csv::ByteRecord,
        raw: &RawRow<'_>,
        line: u64,
        case_id: &str,
    ) -> Result<Result<Vec<(Column, String)>, ()>, ImportError> {
        let mut lists: Vec<(Column, Vec<&'static str>)> = Vec::new();
        let mut birth: Option<(String, usize)> = None;
        for (pos, (field, derived)) in record.iter().zip(&self.derived).enumerate() {
            let Some(derived) = *derived else { continue };
            let text = String::from_utf8_lossy(field);
            let text = text.trim();
            match derived {
                Derived::Ticked(column, code) => match ticked(text) {
                    Some(true) => match lists.iter_mut().find(|(c, _)| *c == column) {
                        Some((_, codes)) => codes.push(code),
                        None => lists.push((column, vec![code])),
                    },
                    Some(false) => {}
                    None => {
                        self.counts.rejected += 1;
                        let reason = format!(
                            "not a tick for {code} in {column}: write Y, Yes, 1, X or True when it applies, and N, No, 0, \
                             False or nothing when it does not"
                        );
                        self.report_at(Some(pos), line, case_id, "rejected", column.name(), text, &reason)?;
                        return Ok(Err(()));
                    }
                },
                Derived::BirthDate if !text.is_empty() => birth = Some((text.to_owned(), pos)),
                Derived::BirthDate => {}
            }
        }
        let mut built: Vec<(Column, String)> = lists
            .into_iter()
            .map(|(column, codes)| {
                let own = raw.get(column).trim();
                let joined = codes.join(";");
                (column, if own.is_empty() { joined } else { format!("{own};{joined}") })
            })
            .collect();
        if let Some((born, pos)) = birth.filter(|_| raw.get(Column::AgeBand).trim().is_empty()) {
            match age_band(&born, raw.get(Column::ConcernDate), self.mapping.slash_order()) {
                Ok(band) => built.push((Column::AgeBand, band.to_owned())),
                Err(reason) => {
                    self.counts.warnings += 1;
                    self.report_at(Some(pos), line, case_id, "warning", "age_band", &born, &reason)?;
                }
            }
        }
        Ok(Ok(built))
    }

    /// Keeps a rejected row's case id, for a snapshot import.
    fn note_rejected(&mut self, record: &csv::ByteRecord) {
        if self.snapshot.is_none() {
            return;
        }
        let id = self.case_id_of(record);
        if let Some(seen) = &mut self.snapshot
            && !id.is_empty()
        {
            seen.rejected.insert(id.into_boxed_str());
        }
    }

    /// For a snapshot import, once the file is read: takes the stored case ids the file does not
    /// mention (as an accepted or a rejected row) out of `known`, and hands back what was seen.
    pub(super) fn finish_snapshot(&mut self) -> Option<Seen> {
        let mut seen = self.snapshot.take()?;
        let known = std::mem::take(&mut self.known);
        seen.absent = known
            .into_iter()
            .filter(|(id, k)| k.seen_line == 0 && !seen.rejected.contains(id))
            .map(|(id, _)| id)
            .collect();
        Some(seen)
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
        let case_id_text = self.case_id_of(record);
        if record.len() != self.columns.len() {
            self.counts.rejected += 1;
            return self.reject_shape(line, &case_id_text, record.len(), self.columns.len());
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
                let at = self.position(column);
                self.report_at(at, line, &case_id_text, "rejected", column.name(), &value, &reason)?;
            }
            return Ok(());
        }

        let translated: Vec<(Column, String)> = Column::ALL
            .iter()
            .filter(|c| self.mapping.translates(**c) && !texts[**c as usize].is_empty())
            .map(|c| (*c, self.mapping.translate(*c, texts[*c as usize])))
            .collect();
        let defaults: Vec<(Column, String)> = Column::ALL
            .iter()
            .filter(|c| texts[**c as usize].trim().is_empty())
            .filter_map(|c| self.mapping.default_for(*c).map(|d| (*c, d.to_owned())))
            .collect();
        let mut raw = RawRow::new();
        for c in Column::ALL {
            raw.set(*c, texts[*c as usize]);
        }
        for (c, v) in defaults.iter().chain(&translated) {
            raw.set(*c, v);
        }
        let built = match self.derive(record, &raw, line, &case_id_text)? {
            Ok(built) => built,
            Err(()) => return Ok(()),
        };
        for (c, v) in &built {
            raw.set(*c, v);
        }

        let validated = match CaseRecord::validate(&raw) {
            Ok(v) => v,
            Err(rejected) => {
                self.counts.rejected += 1;
                for issue in &rejected.issues {
                    let at = self.position(issue.column);
                    self.report_at(
                        at,
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
        if let Some(seen) = &mut self.snapshot {
            let day = record.concern_date();
            seen.range = Some(seen.range.map_or((day, day), |(first, last)| (first.min(day), last.max(day))));
        }
        for w in &validated.warnings {
            self.counts.warnings += 1;
            let at = self.position(w.column);
            self.report_at(at, line, record.case_id(), "warning", w.column.name(), &w.value, &w.reason)?;
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
