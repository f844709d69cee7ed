//! An Excel workbook (`.xlsx`) as CSV text, so that its rows become records exactly as a CSV
//! file's do.
//!
//! The sheet read is the first, or the one the mapping names (`sheet = "Concerns"`). Its first
//! non-empty row is the header (row 1 in an export) and each row keeps the sheet's row number as
//! its line number; empty rows are skipped (as blank lines, so the count stays the sheet's; but
//! the csv reader, here as in a CSV file, gives the row just after blank lines the first blank
//! line's number). Cells become text as Excel shows them, but plainly:
//! a date or date-time (an Excel serial with a date format) is its ISO date `YYYY-MM-DD`; a whole
//! number has no `.0`; a duration (`[h]:mm`) is its hours; an empty cell is blank; an error
//! cell is its code (`#N/A`). A line break inside a cell becomes a CR, so that the line numbers
//! after it stay the sheet's. The sheet is streamed, cell by cell, on a thread of its own.

use std::{
    fs::File,
    io::{self, BufReader, Read},
    path::Path,
    sync::mpsc,
};

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use ring::digest;

use super::{HashingReader, error::ImportError};

/// Bytes of CSV handed over at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// Opens the workbook `file` (at `path`) and streams the sheet named `sheet`, or its first sheet.
/// Returns the sheet as CSV text and the SHA-256 of the workbook's bytes.
pub(super) fn open(path: &Path, file: File, sheet: Option<&str>) -> Result<(SheetReader, digest::Digest), ImportError> {
    let read_err = |source| ImportError::Read { path: path.to_owned(), source };
    let mut hashing = HashingReader { inner: file, hash: digest::Context::new(&digest::SHA256) };
    io::copy(&mut hashing, &mut io::sink()).map_err(read_err)?;
    let mut file = hashing.inner;
    io::Seek::rewind(&mut file).map_err(read_err)?;
    let hash = hashing.hash.finish();

    let mut workbook: Xlsx<_> = Xlsx::new(BufReader::new(file)).map_err(|e| match e {
        XlsxError::Password => ImportError::WorkbookPassword(path.to_owned()),
        e => ImportError::Workbook { path: path.to_owned(), why: e.to_string() },
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => {
            names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted.trim())).cloned().ok_or_else(|| {
                ImportError::NoSuchSheet {
                    path: path.to_owned(),
                    sheet: wanted.to_owned(),
                    sheets: names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", "),
                }
            })?
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::Workbook { path: path.to_owned(), why: "it has no sheets".to_owned() })?,
    };
    // Opened here too, so that a sheet that cannot be read is reported as the workbook's fault.
    workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| ImportError::Workbook { path: path.to_owned(), why: format!("sheet {name:?}: {e}") })?;

    let (tx, rx) = mpsc::sync_channel(4);
    std::thread::spawn(move || {
        if let Err(e) = stream(&mut workbook, &name, &tx) {
            let _ = tx.send(Err(io::Error::other(format!("sheet {name:?}: {e}"))));
        }
    });
    Ok((SheetReader { rx, chunk: Vec::new(), pos: 0 }, hash))
}

/// A sheet as CSV text, as the thread streaming it hands it over.
pub(super) struct SheetReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for SheetReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(chunk) => (self.chunk, self.pos) = (chunk?, 0),
                // The sheet is at its end.
                Err(mpsc::RecvError) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes the sheet's rows as CSV lines to `tx`, until the sheet ends or the reader is gone.
fn stream(
    workbook: &mut Xlsx<BufReader<File>>,
    name: &str,
    tx: &mpsc::SyncSender<io::Result<Vec<u8>>>,
) -> Result<(), XlsxError> {
    let mut cells = workbook.worksheet_cells_reader(name)?;
    let mut rows = Rows::default();
    while let Some(cell) = cells.next_cell()? {
        let (row, column) = cell.get_position();
        if row != rows.current {
            rows.end_row();
            rows.current = row;
        }
        let text = cell_text(cell.get_value());
        if !text.is_empty() {
            let column = column as usize;
            if rows.cells.len() <= column {
                rows.cells.resize(column + 1, String::new());
            }
            rows.cells[column] = text;
        }
        if rows.out.len() >= CHUNK_BYTES && tx.send(Ok(std::mem::take(&mut rows.out))).is_err() {
            return Ok(());
        }
    }
    rows.end_row();
    let _ = tx.send(Ok(rows.out));
    Ok(())
}

/// Rows of a sheet being turned into CSV lines.
#[derive(Default)]
struct Rows {
    /// The row being read (0-based, as the sheet numbers its rows from 1).
    current: u32,
    /// Its cells so far, by column; blank where the sheet has nothing.
    cells: Vec<String>,
    /// Lines written so far: the next line written is line `lines + 1`.
    lines: u32,
    /// The header's width, once it has been written.
    width: Option<usize>,
    /// CSV not yet handed over.
    out: Vec<u8>,
}

impl Rows {
    /// Writes the row read as a CSV line, after a blank line for each row skipped (which the
    /// csv reader passes over, counting it), so that its line number is its row number.
    fn end_row(&mut self) {
        let Some(last) = self.cells.iter().rposition(|c| !c.is_empty()) else {
            self.cells.clear();
            return;
        };
        let width = *self.width.get_or_insert(last + 1);
        self.cells.resize(width.max(last + 1), String::new());
        while self.lines < self.current {
            self.out.push(b'\n');
            self.lines += 1;
        }
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            if cell.contains([',', '"', '\r', '\n']) {
                self.out.push(b'"');
                self.out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
                self.out.push(b'"');
            } else {
                self.out.extend_from_slice(cell.as_bytes());
            }
        }
        self.out.push(b'\n');
        self.lines += 1;
        self.cells.clear();
    }
}

/// A cell as text (see the module docs).
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => one_line(s),
        DataRef::SharedString(s) => one_line(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(d) if d.is_duration() => number((d.as_f64() * 24.0 * 1e6).round() / 1e6),
        DataRef::DateTime(d) => {
            let (year, month, day, ..) = d.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        // ISO text, as ODF-flavoured workbooks store it: the date part.
        DataRef::DateTimeIso(s) => match s.get(..10) {
            Some(date) if s.len() == 10 || s.as_bytes().get(10) == Some(&b'T') => date.to_owned(),
            _ => s.clone(),
        },
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// A number as a person writes it: whole numbers without `.0`.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { f.to_string() }
}

/// Line breaks inside a cell as CRs, so that the csv reader's line count is not moved.
fn one_line(s: &str) -> String {
    if s.contains('\n') { s.replace("\r\n", "\r").replace('\n', "\r") } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_a_person_writes_them() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-12.0), "-12");
        assert_eq!(number(7.5), "7.5");
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(cell_text(&DataRef::Int(42)), "42");
        assert_eq!(cell_text(&DataRef::Empty), "");
    }

    #[test]
    fn dates_become_iso_dates_and_durations_hours() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let at = |v, t| cell_text(&DataRef::DateTime(ExcelDateTime::new(v, t, false)));
        assert_eq!(at(46114.0, ExcelDateTimeType::DateTime), "2026-04-02");
        assert_eq!(at(46143.395833, ExcelDateTimeType::DateTime), "2026-05-01");
        assert_eq!(at(0.3125, ExcelDateTimeType::TimeDelta), "7.5");
        assert_eq!(cell_text(&DataRef::DateTimeIso("2026-04-02T10:00:00".into())), "2026-04-02");
        assert_eq!(cell_text(&DataRef::DateTimeIso("10:00:00".into())), "10:00:00");
    }

    #[test]
    fn rows_keep_the_sheet_s_numbers_and_the_header_s_width() {
        let mut rows = Rows::default();
        let mut row = |r: u32, cells: &[&str]| {
            rows.current = r;
            rows.cells = cells.iter().map(|c| c.to_string()).collect();
            rows.end_row();
        };
        row(0, &["a", "b", "c"]);
        row(1, &["1", "", ""]);
        row(2, &["", "", ""]);
        row(4, &["x,y", "say \"hi\"", "", "extra"]);
        let csv = String::from_utf8(rows.out).unwrap();
        assert_eq!(csv, "a,b,c\n1,,\n\n\n\"x,y\",\"say \"\"hi\"\"\",,extra\n");
        // The csv reader counts the blank lines; it gives the row after them the line of the
        // first of them (as it does in a CSV file), so the row number is right from there on.
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv.as_bytes());
        let lines: Vec<u64> = r.byte_records().map(|rec| rec.unwrap().position().unwrap().line()).collect();
        assert_eq!(lines, [1, 2, 3]);
        assert_eq!(r.position().line(), 6);
        assert_eq!(one_line("a\r\nb\nc"), "a\rb\rc");
    }
}
