//! The reading side of an import, on a thread of its own: each data row's shape and text are
//! checked, the mapping applied, the row validated as `case-record/1`, the person id hashed and
//! the record encoded, and the row classified as new, changed or unchanged; rows to write are
//! handed to the database side in batches.

use std::{collections::HashMap, io::Read, path::PathBuf};

use msp_schemas::{CaseRecord, Column, Period, RawRow};
use msp_terminal::ProgressBar;
use ring::digest;

use super::{error::ImportError, mapping::Mapping, report::Report};
use crate::{
    keys::NodeSecret,
    store::{CaseRow, ImportCounts, record::StoredCase},
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
    pub(super) mapping: Mapping,
    pub(super) secret: NodeSecret,
    pub(super) known: HashMap<Box<str>, Known>,
    pub(super) report: Report,
    pub(super) counts: ImportCounts,
    pub(super) batch: u32,
    pub(super) rows: Vec<CaseRow>,
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
            let text = texts[*c as usize];
            let blank = text.trim().is_empty();
            raw.set(*c, if blank { self.mapping.default_for(*c).unwrap_or(text) } else { text });
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
