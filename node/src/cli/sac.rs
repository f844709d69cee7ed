//! `msp-node sac`: the Safeguarding Adults Collection tables the case records can fill
//! ([`crate::sac`]), printed, and written as one CSV file per table and one XLSX workbook (a sheet
//! per table after an "About" sheet with the rules followed and what cannot be filled).
//!
//! Every text cell is guarded against formula injection (OWASP "CSV injection"): a spreadsheet
//! runs a cell that opens with `=`, `+`, `-`, `@`, a tab or a carriage return. The row labels are
//! the node's own code-list wording today, but the guard keeps a future label or note from ever
//! becoming a formula: in CSV such text gets a leading `'`; in XLSX Excel's quote prefix, so it
//! stays text even when edited. Counts are written as numbers.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use clap::Args;
use msp_schemas::FinancialYear;
use msp_terminal::say;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{CliError, open_store, thousands};
use crate::{
    config::{DataDir, write_atomic},
    sac::{SacReturn, SacTable},
};

/// `msp-node sac`.
#[derive(Debug, Args)]
pub struct SacArgs {
    /// The financial year, as YYYY-YY (2025-26 is 1 April 2025 to 31 March 2026).
    #[arg(long)]
    pub year: FinancialYear,
    /// Where to write the files (default: the data directory's `sac/` folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Counts the year's tables, writes them, and prints them with the rules and what is not filled.
pub async fn sac(data: &DataDir, a: SacArgs) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let counted = crate::sac::sac_return(&store, a.year).await;
    store.db().close().await;
    let r = counted?;
    let out = a.out.unwrap_or_else(|| data.root().join("sac"));
    let files = write_files(&r, &out)?;
    if a.json {
        let v = serde_json::json!({ "council": config.council, "return": r, "files": files });
        say!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
        return Ok(());
    }
    say!(
        "{} ({}) — Safeguarding Adults Collection {}: exact local figures, never sent anywhere.",
        config.council.council().name,
        config.council,
        r.year
    );
    for t in &r.tables {
        say!();
        print_table(t);
    }
    say!();
    say!("Counting rules followed:");
    for rule in r.rules {
        say!("  - {rule}");
    }
    say!();
    say!("Cannot be filled from the case records:");
    for u in r.cannot_fill {
        say!("  - {}: {} — {}", u.tables, u.cells, u.why);
    }
    if !r.notes.is_empty() {
        say!();
        say!("In this year's records:");
        for n in &r.notes {
            say!("  - {n}");
        }
    }
    say!();
    say!("Written:");
    for f in &files {
        say!("  {}", f.display());
    }
    Ok(())
}

/// One table on the terminal.
fn print_table(t: &SacTable) {
    say!("{} {} (each count: {})", t.id, t.title, t.counts);
    let width = t.rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0).max(t.row_heading.len());
    let short = |h: &str| match h {
        "Individuals involved in safeguarding concerns" => "concerns",
        "Individuals involved in Section 42 safeguarding enquiries" => "Section 42",
        "Individuals involved in other safeguarding enquiries" => "other",
        _ => "count",
    };
    let heads: Vec<String> = t.columns.iter().map(|h| format!("{:>12}", short(h))).collect();
    say!("  {:<width$} {}", t.row_heading, heads.join(""));
    for row in &t.rows {
        let counts: Vec<String> = row.counts.iter().map(|n| format!("{:>12}", thousands(*n))).collect();
        say!("  {:<width$} {}", row.label, counts.join(""));
    }
}

/// The files of a return, written under `out` (mode 0600: small exact counts are about people).
fn write_files(r: &SacReturn, out: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for t in &r.tables {
        let path = out.join(format!("sac-{}-{}.csv", r.year, t.id));
        write_atomic(&path, &table_csv(t)?, true)?;
        files.push(path);
    }
    let notes = out.join(format!("sac-{}-notes.csv", r.year));
    write_atomic(&notes, &notes_csv(r)?, true)?;
    files.push(notes);
    let xlsx = out.join(format!("sac-{}.xlsx", r.year));
    let bytes = workbook(r)
        .and_then(|mut b| b.save_to_buffer())
        .map_err(|e| CliError::Usage(format!("could not build {}: {e}", xlsx.display())))?;
    write_atomic(&xlsx, &bytes, true)?;
    files.push(xlsx);
    Ok(files)
}

/// Whether a spreadsheet would read `text` as a formula.
fn formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text for a CSV cell, made inert when a spreadsheet would run it.
fn inert(text: &str) -> Cow<'_, str> {
    if formula_like(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

fn csv_error(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("could not write a CSV file: {e}"))
}

/// One table as CSV: a heading row, then one row per label with its counts.
pub fn table_csv(t: &SacTable) -> Result<Vec<u8>, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head: Vec<Cow<'_, str>> = std::iter::once(t.row_heading).chain(t.columns.iter().copied()).map(inert).collect();
    w.write_record(head.iter().map(|h| h.as_ref())).map_err(csv_error)?;
    for row in &t.rows {
        let cells: Vec<String> =
            std::iter::once(inert(row.label).into_owned()).chain(row.counts.iter().map(u64::to_string)).collect();
        w.write_record(&cells).map_err(csv_error)?;
    }
    w.into_inner().map_err(csv_error)
}

/// The rules, what cannot be filled and this year's notes as CSV.
fn notes_csv(r: &SacReturn) -> Result<Vec<u8>, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["kind", "tables", "cells", "text"]).map_err(csv_error)?;
    let rows = r
        .rules
        .iter()
        .map(|t| ("rule", "", "", *t))
        .chain(r.cannot_fill.iter().map(|u| ("cannot fill", u.tables, u.cells, u.why)))
        .chain(r.notes.iter().map(|n| ("note", "", "", n.as_str())));
    for (kind, tables, cells, text) in rows {
        w.write_record([kind, tables, cells, &inert(text)]).map_err(csv_error)?;
    }
    w.into_inner().map_err(csv_error)
}

/// Writes text to a cell, with the quote prefix when it looks like a formula.
fn text(sheet: &mut Worksheet, row: u32, col: u16, s: &str, bold: bool) -> Result<(), XlsxError> {
    let mut format = Format::new();
    if bold {
        format = format.set_bold();
    }
    if formula_like(s) {
        format = format.set_quote_prefix();
    }
    sheet.write_string_with_format(row, col, s, &format).map(|_| ())
}

/// The workbook: "About", then one sheet per table, named by its id.
fn workbook(r: &SacReturn) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let about = book.add_worksheet().set_name("About")?;
    let mut line = 0u32;
    let mut put = |sheet: &mut Worksheet, cells: &[&str], bold: bool| -> Result<(), XlsxError> {
        for (c, s) in cells.iter().enumerate() {
            text(sheet, line, c as u16, s, bold)?;
        }
        line += 1;
        Ok(())
    };
    put(about, &[&format!("Safeguarding Adults Collection {}", r.year)], true)?;
    put(about, &["Exact local figures from the council's case records: never sent anywhere by the node."], false)?;
    put(about, &[], false)?;
    put(about, &["Counting rules followed"], true)?;
    for rule in r.rules {
        put(about, &[rule], false)?;
    }
    put(about, &[], false)?;
    put(about, &["Cannot be filled", "Cells", "Why"], true)?;
    for u in r.cannot_fill {
        put(about, &[u.tables, u.cells, u.why], false)?;
    }
    if !r.notes.is_empty() {
        put(about, &[], false)?;
        put(about, &["In this year's records"], true)?;
        for n in &r.notes {
            put(about, &[n], false)?;
        }
    }
    for t in &r.tables {
        let sheet = book.add_worksheet().set_name(t.id)?;
        text(sheet, 0, 0, &format!("{} {}", t.id, t.title), true)?;
        text(sheet, 1, 0, &format!("Each count: {}", t.counts), false)?;
        text(sheet, 3, 0, t.row_heading, true)?;
        for (c, h) in t.columns.iter().enumerate() {
            text(sheet, 3, c as u16 + 1, h, true)?;
        }
        for (i, row) in t.rows.iter().enumerate() {
            let at = i as u32 + 4;
            text(sheet, at, 0, row.label, false)?;
            for (c, n) in row.counts.iter().enumerate() {
                sheet.write_number(at, c as u16 + 1, *n as f64)?;
            }
        }
        sheet.set_column_width(0, 48)?;
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sac::SacRow;

    #[test]
    fn text_a_spreadsheet_would_run_gets_a_quote_in_csv_and_counts_stay_numbers() {
        let t = SacTable {
            id: "SG9",
            title: "t",
            counts: "c",
            row_heading: "=HYPERLINK(\"x\")",
            columns: vec!["@count"],
            rows: vec![SacRow { label: "-x", counts: vec![3] }, SacRow { label: "Own Home", counts: vec![0] }],
        };
        let csv = String::from_utf8(table_csv(&t).unwrap()).unwrap();
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
        let rows: Vec<Vec<String>> = r.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(rows[0], ["'=HYPERLINK(\"x\")", "'@count"]);
        assert_eq!(rows[1], ["'-x", "3"]);
        assert_eq!(rows[2], ["Own Home", "0"]);
    }
}
