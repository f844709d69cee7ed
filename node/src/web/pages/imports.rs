//! `GET /imports`: the import history, each import's counts, its rejects and warnings as a
//! table, and how complete the records are per field and quarter.

use axum::extract::State;
use maud::{Markup, html};

use crate::{
    completeness,
    store::ImportRecord,
    web::{
        Page, State as NodeState,
        auth::Viewer,
        failed,
        layout::{self, count},
    },
};

/// Rows of an import's report shown on the page (the file holds them all).
const REPORT_ROWS: usize = 50;

/// Quarters shown in the completeness table.
const QUARTERS: usize = 6;

/// The imports page.
pub async fn imports(State(node): State<NodeState>, viewer: Viewer) -> Page {
    let imports = node.store.imports(Some(20)).await.map_err(failed)?;
    let holdings = node.store.holdings().await.map_err(failed)?;
    let mut periods: Vec<_> = holdings.iter().filter_map(|h| h.period.parse().ok()).take(QUARTERS).collect();
    periods.reverse();
    let complete = completeness::completeness(&node.store, &periods).await.map_err(failed)?;
    let body = html! {
        h1 { "Imports and data quality" }
        p.lead { "What each import of the case file took in, what it turned away, and how complete the records are." }
        @if imports.is_empty() {
            (layout::notice(html! { p { "Nothing has been imported yet. On the node's machine run "
                code { "msp-node import FILE" } " with the case file exported from the case management system." } }))
        } @else {
            (history(&imports))
            @if let Some(last) = imports.first() { (report(last)) }
        }
        @if !periods.is_empty() { (completeness_table(&complete)) }
    };
    Ok(layout::page(&viewer, "/imports", "Imports and data quality", body))
}

fn history(imports: &[ImportRecord]) -> Markup {
    html! {
        div.table-wrap {
            table {
                caption { "Imports, newest first" }
                thead { tr {
                    th scope="col" { "File" } th scope="col" { "Finished" }
                    th.num scope="col" { "Rows read" } th.num scope="col" { "New" } th.num scope="col" { "Updated" }
                    th.num scope="col" { "Unchanged" } th.num scope="col" { "Rejected" } th.num scope="col" { "Warnings" }
                } }
                tbody {
                    @for i in imports {
                        tr {
                            th scope="row" { (i.file_name) }
                            td { (i.finished_at) }
                            td.num { (count(i.counts.rows_read)) } td.num { (count(i.counts.imported)) }
                            td.num { (count(i.counts.updated)) } td.num { (count(i.counts.unchanged)) }
                            td.num { (count(i.counts.rejected)) } td.num { (count(i.counts.warnings)) }
                        }
                    }
                }
            }
        }
        p.notes { "Every row is accounted for: rows read = new + updated + unchanged + rejected. A warning is a row "
                  "imported with something to check." }
    }
}

/// The last import's rejects and warnings, read back from the report it wrote.
fn report(last: &ImportRecord) -> Markup {
    let Some(path) = &last.rejects_file else {
        return html! { p { "The last import (" (last.file_name) ") rejected nothing and raised no warnings." } };
    };
    let rows = match csv::Reader::from_path(path) {
        Ok(mut r) => {
            let header: Vec<String> = r.headers().map(|h| h.iter().map(str::to_owned).collect()).unwrap_or_default();
            // Only the rows shown are kept: a report can run to many thousands of rows.
            let (mut rows, mut total) = (Vec::new(), 0usize);
            for rec in r.records().filter_map(Result::ok) {
                total += 1;
                if rows.len() < REPORT_ROWS {
                    rows.push(rec.iter().map(str::to_owned).collect::<Vec<String>>());
                }
            }
            Ok((header, rows, total))
        }
        Err(e) => Err(e.to_string()),
    };
    html! {
        h2 { "Rejects and warnings of the last import" }
        @match rows {
            Ok((header, rows, total)) => {
                p { (count(total as u64)) " rows in the report " code { (path) }
                    @if total > REPORT_ROWS { "; the first " (REPORT_ROWS) " are shown" } "." }
                div.table-wrap {
                    table {
                        caption { "Rows rejected or imported with a warning" }
                        thead { tr { @for h in &header { th scope="col" { (heading(h)) } } } }
                        tbody { @for r in &rows { tr { @for v in r { td { (v) } } } } }
                    }
                }
                p { "Correct the rows in the case management system (or the mapping file) and import the file again: "
                    "rows already imported are left as they are." }
            }
            Err(why) => { p { "The report " code { (path) } " could not be read: " (why) "." } }
        }
    }
}

/// A report column's heading in words.
fn heading(column: &str) -> String {
    let mut s = column.replace('_', " ");
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn completeness_table(c: &completeness::Completeness) -> Markup {
    html! {
        h2 id="completeness" { "How complete the records are" }
        p { "The share of records where each field is blank or recorded as unknown, per quarter. Each field is counted "
            "over the records it applies to. A field that is often blank makes its table in the release describe "
            "recording rather than practice: the national evaluation found \"not known\" and \"not applicable\" overused." }
        div.table-wrap {
            table {
                caption { "Blank or unknown, by field and quarter (exact, local)" }
                thead { tr {
                    th scope="col" { "Field" } th scope="col" { "Counted over" }
                    @for p in &c.periods { th.num scope="col" { (p) } }
                } }
                tbody {
                    @for f in &c.fields {
                        tr {
                            th scope="row" { code { (f.column) } }
                            td { (f.over.label()) }
                            @for s in &f.shares {
                                td.num {
                                    @match s.fraction() {
                                        Some(x) => { (format!("{:.0}%", 100.0 * x)) span.hint { " of " (count(s.applicable)) } }
                                        None => { "–" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.notes { "– means the field applies to no record of that quarter." }
    }
}
