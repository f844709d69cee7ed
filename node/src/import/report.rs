//! The rejects report of an import: one CSV line per rejected row and per warning, with its file,
//! line, case id, column, value and reason. Written to a temporary name, and moved into place only when
//! the import commits.

use std::{collections::BTreeMap, fs::File, io::BufWriter, path::PathBuf};

use serde::Serialize;

use super::error::ImportError;

/// Longest value shown in the rejects report, in characters.
const SHOWN_VALUE_CHARS: usize = 200;

/// Examples kept of each kind of problem, for the terminal's summary.
const EXAMPLES: usize = 3;

/// One kind of problem an import met: its severity, column and reason, how often, and the first
/// few rows it was met on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `rejected` or `warning`.
    pub severity: String,
    /// The column (empty for a row's shape).
    pub column: String,
    /// The reason, as the first row met gave it.
    pub reason: String,
    /// How many times it was met.
    pub count: u64,
    /// The first rows it was met on.
    pub examples: Vec<Example>,
}

/// A row a problem was met on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The file it is in (the main file, or a file joined to it).
    pub file: String,
    /// The file's line (the header is line 1).
    pub line: u64,
    /// The row's case id.
    pub case_id: String,
    /// The value.
    pub value: String,
}

/// The reason with what varies from row to row (quoted values, numbers) taken out, so that rows
/// with the same problem are counted together.
fn kind_of(reason: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut last_digit = false;
    for ch in reason.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                if quoted {
                    out.push_str("\"…\"");
                }
            }
            _ if quoted => {}
            c if c.is_ascii_digit() => {
                if !last_digit {
                    out.push('#');
                }
                last_digit = true;
                continue;
            }
            c => out.push(c),
        }
        last_digit = false;
    }
    out
}

/// The rejects report, written to a temporary name and renamed when the import commits.
pub(super) struct Report {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    always: bool,
    /// The main file's name, for its rows.
    main: String,
    tally: BTreeMap<(String, String, String), Problem>,
}

impl Report {
    /// A report at `path` (written even if empty when `always`) on the main file named `main`.
    pub(super) fn new(path: PathBuf, always: bool, main: String) -> Self {
        let partial = path.with_extension("csv.partial");
        Self { path, partial, writer: None, always, main, tally: BTreeMap::new() }
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
            w.write_record(["file", "line", "case_id", "severity", "column", "value", "reason"])
                .map_err(|e| self.err(e.into()))?;
            self.writer = Some(w);
        }
        Ok(self.writer.as_mut().expect("just created"))
    }

    /// A row of the main file.
    pub(super) fn write(
        &mut self,
        line: u64,
        case_id: &str,
        severity: &str,
        column: &str,
        value: &str,
        reason: &str,
    ) -> Result<(), ImportError> {
        let main = std::mem::take(&mut self.main);
        let result = self.write_in(&main, line, case_id, severity, column, value, reason);
        self.main = main;
        result
    }

    /// A row of the file named `file`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_in(
        &mut self,
        file: &str,
        line: u64,
        case_id: &str,
        severity: &str,
        column: &str,
        value: &str,
        reason: &str,
    ) -> Result<(), ImportError> {
        let value = shown(value);
        let case_id = shown(case_id);
        let key = (severity.to_owned(), column.to_owned(), kind_of(reason));
        let p = self.tally.entry(key).or_insert_with(|| Problem {
            severity: severity.to_owned(),
            column: column.to_owned(),
            reason: reason.to_owned(),
            count: 0,
            examples: Vec::new(),
        });
        p.count += 1;
        if p.examples.len() < EXAMPLES {
            p.examples.push(Example { file: file.to_owned(), line, case_id: case_id.clone(), value: value.clone() });
        }
        let line = line.to_string();
        let result = self.writer()?.write_record([file, line.as_str(), &case_id, severity, column, &value, reason]);
        result.map_err(|e| self.err(e.into()))
    }

    /// Every kind of problem met, rejections first, the most frequent first.
    pub(super) fn problems(&self) -> Vec<Problem> {
        let mut all: Vec<Problem> = self.tally.values().cloned().collect();
        all.sort_by(|a, b| (b.severity == "rejected").cmp(&(a.severity == "rejected")).then(b.count.cmp(&a.count)));
        all
    }

    /// Flushes the report and moves it into place; `None` if nothing needed reporting.
    pub(super) fn finish(mut self) -> Result<Option<PathBuf>, ImportError> {
        if self.always {
            self.writer()?;
        }
        let Some(mut w) = self.writer.take() else { return Ok(None) };
        w.flush().map_err(|e| self.err(e))?;
        drop(w);
        std::fs::rename(&self.partial, &self.path).map_err(|e| self.err(e))?;
        Ok(Some(self.path.clone()))
    }

    pub(super) fn abandon(mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_differing_only_in_their_values_are_counted_together() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Report::new(dir.path().join("r.csv"), false, "cases.csv".into());
        for (line, v) in [(2, "x"), (3, "y"), (4, "z"), (5, "w")] {
            let reason = format!("{v:?} is not a code of sex: expected one of male, female, unknown");
            r.write(line, "c", "rejected", "sex", v, &reason).unwrap();
        }
        r.write(6, "c", "warning", "staff_hours", "300", "300 hours is more than 80").unwrap();
        r.write(7, "c", "warning", "staff_hours", "95", "95 hours is more than 80").unwrap();
        let p = r.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!((p[0].severity.as_str(), p[0].count, p[0].examples.len()), ("rejected", 4, EXAMPLES));
        assert_eq!(
            p[0].examples[0],
            Example { file: "cases.csv".into(), line: 2, case_id: "c".into(), value: "x".into() }
        );
        assert_eq!((p[1].column.as_str(), p[1].count), ("staff_hours", 2));
        r.abandon();
    }
}
