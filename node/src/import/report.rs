//! The rejects report of an import: one CSV line per rejected row and per warning, with its line,
//! case id, column, value and reason. Written to a temporary name, and moved into place only when
//! the import commits.

use std::{fs::File, io::BufWriter, path::PathBuf};

use super::error::ImportError;

/// Longest value shown in the rejects report, in characters.
const SHOWN_VALUE_CHARS: usize = 200;

/// The rejects report, written to a temporary name and renamed when the import commits.
pub(super) struct Report {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    always: bool,
}

impl Report {
    pub(super) fn new(path: PathBuf, always: bool) -> Self {
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

    pub(super) fn write(
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
