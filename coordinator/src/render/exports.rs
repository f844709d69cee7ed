//! Every view as files: CSV — the view's long table of figures (see [`crate::views::long`]), or
//! one of its tables as shown — and XLSX: a "Data" sheet with the long table, a sheet that says
//! where the figures come from and how to read them, and one sheet per table, each with its
//! header frozen and an autofilter, and a name that reads (not a caption cut at 31 characters).
//!
//! Text is made inert against formula injection (OWASP "CSV injection"): a spreadsheet reads a
//! cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, which can
//! run commands or send the sheet's contents elsewhere. In CSV such text is written with a `'`
//! before it; in XLSX it is written as a string with Excel's quote prefix (what Excel itself
//! stores when someone types `'=…`), so it stays text even when the cell is edited. Numbers are
//! never touched: a negative noisy count such as `-3` is written as the number it is.

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::views::{Value, View, long::COLUMNS};

/// A sheet name for each caption: the words before its first colon or comma, cut at a word to
/// Excel's 31 characters, without the characters Excel forbids, and made unique.
fn sheet_names<'a>(captions: impl IntoIterator<Item = &'a str>, taken: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = taken.iter().map(|t| (*t).to_owned()).collect();
    let mut out = Vec::new();
    for caption in captions {
        let head: String =
            caption.split([':', ',']).next().unwrap_or(caption).chars().filter(|c| !"[]*?/\\'".contains(*c)).collect();
        let mut name = String::new();
        for word in head.split_whitespace() {
            if name.chars().count() + word.chars().count() + usize::from(!name.is_empty()) > 28 {
                break;
            }
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(word);
        }
        if name.is_empty() {
            name = head.chars().take(28).collect();
        }
        let base = name.clone();
        let mut n = 2;
        while names.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
            name = format!("{base} {n}");
            n += 1;
        }
        names.push(name.clone());
        out.push(name);
    }
    out
}

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

/// A view as CSV: its long table (`table` = `None`, for views that have one), or one of its
/// tables as shown: a header row, then the rows; numbers as computed (proportions as fractions of
/// 1); missing values empty.
pub fn csv(view: &View, table: Option<usize>) -> Result<Vec<u8>, String> {
    if table.is_none() && !view.data.is_empty() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(COLUMNS).map_err(|e| e.to_string())?;
        for f in &view.data {
            w.write_record(f.cells().iter().map(|c| inert(c).into_owned())).map_err(|e| e.to_string())?;
        }
        return w.into_inner().map_err(|e| e.to_string());
    }
    let table = table.unwrap_or(0);
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
    if !view.data.is_empty() {
        let data = book.add_worksheet().set_name("Data")?;
        for (c, h) in COLUMNS.iter().enumerate() {
            text(data, 0, c as u16, h, Some(&bold))?;
            data.set_column_width(c as u16, if c == 5 { 48 } else { 14 })?;
        }
        for (r, f) in view.data.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in f.cells().iter().enumerate() {
                let c = c as u16;
                // Numbers as numbers (estimate to councils in group); text as inert text.
                match v.parse::<f64>() {
                    Ok(n) if (7..=11).contains(&c) => data.write_number(r, c, n).map(|_| ())?,
                    _ => text(data, r, c, v, None)?,
                }
            }
        }
        data.set_freeze_panes(1, 0)?;
        data.autofilter(0, 0, view.data.len() as u32, COLUMNS.len() as u16 - 1)?;
    }
    let about = book.add_worksheet().set_name("About")?;
    let lines = [
        view.title.clone(),
        view.window.clone().map(|w| format!("Period: {w}")).unwrap_or_default(),
        format!("Computed from the first {} entries of the coordinator's transparency log.", view.tree_size),
        "Every figure comes from differentially private releases: intervals are 95% and account for the added noise."
            .into(),
        "Data: every figure of this view, one row per area, period and measure, percentages to one decimal place."
            .into(),
        "The other sheets are the tables as the dashboard shows them; their proportions are stored as fractions of 1 \
         and shown as percentages."
            .into(),
    ];
    for (i, l) in lines.iter().enumerate() {
        text(about, i as u32, 0, l, None)?;
    }
    let names = sheet_names(view.tables.iter().map(|t| t.caption.as_str()), &["Data", "About"]);
    for (t, name) in view.tables.iter().zip(&names) {
        let sheet = book.add_worksheet().set_name(name)?;
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
        if !t.columns.is_empty() {
            sheet.set_freeze_panes(3, 0)?;
            sheet.autofilter(2, 0, t.rows.len() as u32 + 2, t.columns.len() as u16 - 1)?;
            sheet.set_column_width(0, 34)?;
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
            data: Vec::new(),
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
        let csv = String::from_utf8(csv(&hostile(), Some(0)).unwrap()).unwrap();
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

    #[test]
    fn sheet_names_read_and_are_unique() {
        let names = sheet_names(
            [
                "Regions: Outcomes fully achieved (of those who expressed outcomes), 2026-27-Q1",
                "Hartlepool beside North East, English unitaries and England, 2026-27-Q2",
                "Councils of Yorkshire and The Humber: Outcomes fully achieved, 2026-27-Q1",
                "Regions: another",
                "Data: a table",
            ],
            &["Data", "About"],
        );
        assert_eq!(
            names,
            ["Regions", "Hartlepool beside North East", "Councils of Yorkshire and", "Regions 2", "Data 2"]
        );
        assert!(names.iter().all(|n| n.chars().count() <= 31));
    }

    #[test]
    fn the_long_table_has_a_frozen_header_an_autofilter_and_numbers_as_numbers() {
        let mut v = hostile();
        let f = crate::views::Figure {
            period: "2026-27-Q1".into(),
            area_code: "E12000001".into(),
            area_name: "North East".into(),
            area_type: "region",
            measure: "fully".into(),
            measure_label: "Outcomes fully achieved".into(),
            unit: "percent",
            estimate: Some(67.3),
            lower: Some(64.6),
            upper: Some(70.0),
            councils_included: 12,
            councils_in_group: 12,
            too_wide: Some(false),
            status: "shown".into(),
        };
        v.data = vec![f];
        let text = String::from_utf8(csv(&v, None).unwrap()).unwrap();
        assert!(text.starts_with("period,area_code,area_name,area_type,measure,measure_label,unit,estimate,lower,upper,councils_included,councils_in_group,too_wide,status\n"), "{text}");
        assert!(text.contains("2026-27-Q1,E12000001,North East,region,fully,Outcomes fully achieved,percent,67.3,64.6,70,12,12,false,shown"), "{text}");
        let bytes = xlsx(&v).unwrap();
        let data = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(data.contains("<pane ySplit=\"1\"") && data.contains("state=\"frozen\""), "{data}");
        assert!(data.contains("<autoFilter ref=\"A1:N2\""), "{data}");
        assert!(data.contains("<v>67.3</v>"), "{data}");
        let book = part(&bytes, "xl/workbook.xml");
        assert!(
            book.contains("name=\"Data\"") && book.contains("name=\"About\"") && book.contains("name=\"Caption\""),
            "{book}"
        );
    }

    fn quoted_about(bytes: &[u8]) -> bool {
        let styles = part(bytes, "xl/styles.xml");
        let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
        let xfs: Vec<&str> = xfs.split("<xf ").skip(1).collect();
        xfs[style_of(&part(bytes, "xl/worksheets/sheet1.xml"), "A1")].contains("quotePrefix=\"1\"")
    }
}
