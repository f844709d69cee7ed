//! Every view's tables as files: CSV (one table) and XLSX (one sheet per table, plus a sheet that
//! says where the figures come from and how to read them).
//!
//! Text is made inert against formula injection (OWASP "CSV injection"): a spreadsheet reads a
//! cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, which can
//! run commands or send the sheet's contents elsewhere. In CSV such text is written with a `'`
//! before it; in XLSX it is written as a string with Excel's quote prefix (what Excel itself
//! stores when someone types `'=…`), so it stays text even when the cell is edited. Numbers are
//! never touched: a negative noisy count such as `-3` is written as the number it is.

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::views::{Value, View};

/// Whether a spreadsheet would read `text` as a formula.
fn formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text for a CSV cell: as it is, or after a `'` when a spreadsheet would read it as a formula.
fn inert(text: &str) -> Cow<'_, str> {
    if formula_like(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// A value as a CSV cell: numbers unrounded and as they are; text made inert.
fn cell(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Text(s) => inert(s),
        Value::Count(n) => Cow::Owned(format!("{n}")),
        Value::Percent(p) | Value::Decimal(p) => Cow::Owned(format!("{p}")),
        Value::Missing(_) => Cow::Borrowed(""),
    }
}

/// One table of a view as CSV: a header row, then the rows; numbers unrounded (proportions as
/// fractions of 1); missing values empty.
pub fn csv(view: &View, table: usize) -> Result<Vec<u8>, String> {
    let t = view.tables.get(table).ok_or_else(|| format!("this view has {} tables", view.tables.len()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(t.columns.iter().map(|c| inert(&c.heading).into_owned())).map_err(|e| e.to_string())?;
    for row in &t.rows {
        w.write_record(row.iter().map(|v| cell(v).into_owned())).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// Writes text to an XLSX cell, with the quote prefix when it looks like a formula.
fn text(sheet: &mut Worksheet, row: u32, col: u16, s: &str, format: Option<&Format>) -> Result<(), XlsxError> {
    let quoted;
    let format = match (formula_like(s), format) {
        (false, f) => f,
        (true, f) => {
            quoted = f.cloned().unwrap_or_default().set_quote_prefix();
            Some(&quoted)
        }
    };
    match format {
        Some(f) => sheet.write_string_with_format(row, col, s, f).map(|_| ()),
        None => sheet.write_string(row, col, s).map(|_| ()),
    }
}

/// A view as an XLSX workbook.
pub fn xlsx(view: &View) -> Result<Vec<u8>, String> {
    workbook(view).and_then(|mut book| book.save_to_buffer()).map_err(|e| e.to_string())
}

/// A view's workbook, before it is written out.
fn workbook(view: &View) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let dec = Format::new().set_num_format("0.0");
    let about = book.add_worksheet().set_name("About")?;
    let lines = [
        view.title.clone(),
        view.window.clone().map(|w| format!("Period: {w}")).unwrap_or_default(),
        format!("Computed from the first {} entries of the coordinator's transparency log.", view.tree_size),
        "Every figure comes from differentially private releases: intervals are 95% and account for the added noise."
            .into(),
        "Proportions are stored as fractions of 1 and shown as percentages.".into(),
    ];
    for (i, l) in lines.iter().enumerate() {
        text(about, i as u32, 0, l, None)?;
    }
    for (n, t) in view.tables.iter().enumerate() {
        let name: String =
            format!("{} {}", n + 1, t.caption).chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        let sheet = book.add_worksheet().set_name(name.trim())?;
        text(sheet, 0, 0, &t.caption, None)?;
        for (c, col) in t.columns.iter().enumerate() {
            text(sheet, 2, c as u16, &col.heading, Some(&bold))?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 3;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Text(s) => text(sheet, r, c, s, None)?,
                    Value::Count(n) => sheet.write_number(r, c, *n).map(|_| ())?,
                    Value::Percent(p) => sheet.write_number_with_format(r, c, *p, &pct).map(|_| ())?,
                    Value::Decimal(d) => sheet.write_number_with_format(r, c, *d, &dec).map(|_| ())?,
                    Value::Missing(m) => text(sheet, r, c, &m.missing, None)?,
                }
            }
        }
        let below = t.rows.len() as u32 + 4;
        for (i, note) in t.notes.iter().enumerate() {
            text(sheet, below + i as u32, 0, note, None)?;
        }
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{Column, DataTable};

    /// A view whose text cells try every formula opener, beside negative numbers.
    fn hostile() -> View {
        let texts = ["=1+2", "+44 20", "-x", "@SUM(A1)", "\tTab", "\rReturn", "Hartlepool"];
        View {
            title: "=title".into(),
            window: None,
            tree_size: 3,
            tables: vec![DataTable {
                id: "t".into(),
                caption: "Caption".into(),
                columns: vec![Column { heading: "Name".into() }, Column { heading: "=Estimate".into() }],
                rows: texts
                    .iter()
                    .map(|t| vec![Value::Text((*t).into()), Value::Count(-3.0)])
                    .chain([vec![Value::Text("Change".into()), Value::Decimal(-1.5)]])
                    .collect(),
                notes: vec!["@note".into()],
            }],
        }
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_made_inert_and_other_text_is_left_alone() {
        for opener in ["=1+2", "+1", "-1", "@A1", "\tx", "\rx"] {
            assert_eq!(inert(opener), format!("'{opener}"), "{opener:?}");
        }
        for plain in ["Hartlepool", "1", "", " =1", "'=1", "E06000001"] {
            assert_eq!(inert(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn csv_text_cells_are_inert_and_negative_numbers_stay_numbers() {
        let csv = String::from_utf8(csv(&hostile(), 0).unwrap()).unwrap();
        let mut rows = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
        let rows: Vec<Vec<String>> = rows.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(rows[0], ["Name", "'=Estimate"]);
        let firsts: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(firsts, ["'=1+2", "'+44 20", "'-x", "'@SUM(A1)", "'\tTab", "'\rReturn", "Hartlepool", "Change"]);
        assert!(rows[1..8].iter().all(|r| r[1] == "-3"), "a negative count is a number: {rows:?}");
        assert_eq!(rows[8][1], "-1.5");
    }

    /// The XML of one part of an XLSX file.
    fn part(xlsx: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
        let mut xml = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
        xml
    }

    /// The `s` (style) attribute of cell `cell` in a sheet's XML.
    fn style_of(sheet: &str, cell: &str) -> usize {
        let c = &sheet[sheet.find(&format!("r=\"{cell}\"")).unwrap()..];
        let c = &c[..c.find('>').unwrap()];
        c.split("s=\"").nth(1).map_or(0, |s| s.split('"').next().unwrap().parse().unwrap())
    }

    #[test]
    fn xlsx_text_cells_that_look_like_formulas_get_the_quote_prefix_and_numbers_stay_numbers() {
        let bytes = xlsx(&hostile()).unwrap();
        let strings = part(&bytes, "xl/sharedStrings.xml");
        let styles = part(&bytes, "xl/styles.xml");
        let sheet = part(&bytes, "xl/worksheets/sheet2.xml");
        assert!(
            strings.contains("<t>=1+2</t>") && strings.contains("<t>@SUM(A1)</t>"),
            "text kept as it is: {strings}"
        );
        assert!(!strings.contains("'="), "no visible apostrophe in XLSX: {strings}");
        assert!(!sheet.contains("<f>"), "no cell is a formula: {sheet}");
        assert!(sheet.contains("<v>-3</v>") && sheet.contains("<v>-1.5</v>"), "negative numbers as numbers: {sheet}");
        let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
        let xfs: Vec<&str> = xfs.split("<xf ").skip(1).collect();
        let quoted = |cell: &str| xfs[style_of(&sheet, cell)].contains("quotePrefix=\"1\"");
        // Row 3 holds the headings, rows 4 on the table; A4..A9 begin with a formula opener.
        for cell in ["B3", "A4", "A5", "A6", "A7", "A8", "A9", "A13"] {
            assert!(quoted(cell), "{cell} is quote-prefixed: {sheet}");
        }
        for cell in ["A3", "A10", "A11", "B4", "A1"] {
            assert!(!quoted(cell), "{cell} is not: {sheet}");
        }
        assert!(quoted_about(&bytes), "the About sheet's title (=title) too");
    }

    fn quoted_about(bytes: &[u8]) -> bool {
        let styles = part(bytes, "xl/styles.xml");
        let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
        let xfs: Vec<&str> = xfs.split("<xf ").skip(1).collect();
        xfs[style_of(&part(bytes, "xl/worksheets/sheet1.xml"), "A1")].contains("quotePrefix=\"1\"")
    }
}
