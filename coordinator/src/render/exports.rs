//! Every view's tables as files: CSV (one table) and XLSX (one sheet per table, plus a sheet that
//! says where the figures come from and how to read them).

use rust_xlsxwriter::{Format, Workbook};

use crate::views::{Value, View};

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Count(n) => format!("{n}"),
        Value::Percent(p) | Value::Decimal(p) => format!("{p}"),
        Value::Missing(_) => String::new(),
    }
}

/// One table of a view as CSV: a header row, then the rows; numbers unrounded (proportions as
/// fractions of 1); missing values empty.
pub fn csv(view: &View, table: usize) -> Result<Vec<u8>, String> {
    let t = view.tables.get(table).ok_or_else(|| format!("this view has {} tables", view.tables.len()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(t.columns.iter().map(|c| c.heading.as_str())).map_err(|e| e.to_string())?;
    for row in &t.rows {
        w.write_record(row.iter().map(text)).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// A view as an XLSX workbook.
pub fn xlsx(view: &View) -> Result<Vec<u8>, String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let dec = Format::new().set_num_format("0.0");
    let about = book.add_worksheet().set_name("About").map_err(e)?;
    let lines = [
        view.title.clone(),
        view.window.clone().map(|w| format!("Period: {w}")).unwrap_or_default(),
        format!("Computed from the first {} entries of the coordinator's transparency log.", view.tree_size),
        "Every figure comes from differentially private releases: intervals are 95% and account for the added noise."
            .into(),
        "Proportions are stored as fractions of 1 and shown as percentages.".into(),
    ];
    for (i, l) in lines.iter().enumerate() {
        about.write_string(i as u32, 0, l).map_err(e)?;
    }
    for (n, t) in view.tables.iter().enumerate() {
        let name: String =
            format!("{} {}", n + 1, t.caption).chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        let sheet = book.add_worksheet().set_name(name.trim()).map_err(e)?;
        sheet.write_string(0, 0, &t.caption).map_err(e)?;
        for (c, col) in t.columns.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, &col.heading, &bold).map_err(e)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 3;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
                    Value::Count(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    Value::Percent(p) => sheet.write_number_with_format(r, c, *p, &pct).map(|_| ()),
                    Value::Decimal(d) => sheet.write_number_with_format(r, c, *d, &dec).map(|_| ()),
                    Value::Missing(m) => sheet.write_string(r, c, m.missing).map(|_| ()),
                }
                .map_err(e)?;
            }
        }
        let below = t.rows.len() as u32 + 4;
        for (i, note) in t.notes.iter().enumerate() {
            sheet.write_string(below + i as u32, 0, note).map_err(e)?;
        }
    }
    book.save_to_buffer().map_err(e)
}
