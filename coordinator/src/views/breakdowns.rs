//! Breakdowns of one group: what people wanted, the risks and where they were (each cell's share
//! of its table), and outcomes fully achieved by who people are, with intervals from the cells'
//! independent noises.

use msp_estimate::{Noisy, proportion};
use msp_schemas::api::CellEstimate;

use super::table::{DataTable, Value, View, col, coverage_note, est_cells};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window},
};

/// What people wanted, the risks, and outcomes by who people are, for one group: shares of a
/// table's cells (most common first) and "fully achieved" within each category, with intervals
/// from the cells' independent noises.
pub fn breakdowns(snap: &Snapshot, access: &Access, group: Group, window: Window) -> Result<View, String> {
    if !access.may_see_in(snap, group, window) {
        return Err(access.refusal_in(snap, group, window));
    }
    let b = snap.benchmark(group, window);
    let empty = b.coverage.quarters_included == 0;
    let noisy = |c: &CellEstimate| Noisy::new(c.value, c.se);
    let cells = |id: &str| b.tables.iter().find(|t| t.table == id).map(|t| t.cells.as_slice()).unwrap_or_default();
    let slug = b.group.replace(':', "-");
    let table = |id: &str, heading: &str, caption: String, rows: Vec<Vec<Value>>, note: &str| DataTable {
        id: format!("{id}-{slug}-{window}"),
        caption,
        columns: vec![col(heading), col("Estimate"), col("Lower 95%"), col("Upper 95%"), col("Note")],
        rows,
        notes: vec![note.to_owned(), coverage_note(&b)],
    };
    // Each cell's share of the table's total (without "unknown"), most common first.
    let mix = |id: &str, what: &str, note: &str| {
        let known: Vec<&CellEstimate> = cells(id).iter().filter(|c| c.cell != "unknown").collect();
        let mut rows: Vec<(f64, Vec<Value>)> = known
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let rest =
                    known.iter().enumerate().filter(|(j, _)| *j != i).fold(Noisy::default(), |a, (_, o)| a + noisy(o));
                let e = if empty { None } else { proportion(noisy(c), rest) };
                let mut row = vec![Value::text(c.label.clone())];
                row.extend(est_cells(true, e));
                (e.map_or(-1.0, |e| e.value), row)
            })
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        table(id, what, format!("{what}, {}, {window}", b.name), rows.into_iter().map(|r| r.1).collect(), note)
    };
    // Outcomes fully achieved, of those who expressed outcomes, within each category.
    let by = |id: &str, what: &str| {
        let all = cells(id);
        let mut categories: Vec<&str> = Vec::new();
        for c in all {
            let g = c.cell.split_once(':').map_or(c.cell.as_str(), |(g, _)| g);
            if !categories.contains(&g) {
                categories.push(g);
            }
        }
        let rows = categories
            .iter()
            .map(|g| {
                let cell = |o: &str| all.iter().find(|c| c.cell == format!("{g}:{o}"));
                let label = cell("expressed_fully").and_then(|c| c.label.split_once(": ")).map_or(*g, |(l, _)| l);
                let e = match (cell("expressed_fully"), cell("expressed_partially"), cell("expressed_not_achieved")) {
                    (Some(f), Some(p), Some(n)) if !empty => proportion(noisy(f), noisy(p) + noisy(n)),
                    _ => None,
                };
                let mut row = vec![Value::text(label)];
                row.extend(est_cells(true, e));
                row
            })
            .collect();
        table(
            id,
            what,
            format!("Outcomes fully achieved by {}, {}, {window}", what.to_lowercase(), b.name),
            rows,
            "Of those who expressed the outcomes they wanted, the share whose outcomes were fully achieved.",
        )
    };
    // Tables only report version 2 carries, shown when every release the group's figures come
    // from carries them.
    let newer = ["negotiated_outcomes", "approaches", "msp_by_enquiry_type", "msp_by_approach", "msp_by_risk_type"];
    let missing = newer.iter().filter(|id| cells(id).is_empty()).count();
    let mut tables = vec![
        mix(
            "desired_outcomes",
            "Desired outcome",
            "Share of all desired outcomes recorded (a person may want up to three).",
        ),
        mix(
            "negotiated_outcomes",
            "Outcome agreed as realistic",
            "Share of all outcomes agreed as realistic (negotiated), of those who expressed outcomes (up to three each).",
        ),
        mix("risk_type", "Type of risk", "Share of all risk types recorded (an enquiry may record up to three)."),
        mix("risk_location", "Location of risk", "Share of enquiries with a known location."),
        mix("approaches", "Approach used", "Share of all approaches recorded (an enquiry may record up to three)."),
        by("msp_by_enquiry_type", "Type of enquiry"),
        by("msp_by_support_reason", "Support reason"),
        by("msp_by_age_band", "Age band"),
        by("msp_by_ethnicity", "Ethnic group"),
        by("msp_by_sex", "Sex"),
        by("msp_by_approach", "Approach used"),
        by("msp_by_risk_type", "Type of risk"),
    ];
    tables.retain(|t| !t.rows.is_empty());
    if missing > 0
        && !empty
        && let Some(first) = tables.first_mut()
    {
        first.notes.push(
            "Negotiated outcomes, approaches, and outcomes by type of enquiry, approach and risk type are shown when \
             every release in the group's figures is report version 2 (msp-quarterly/2): some here are version 1."
                .to_owned(),
        );
    }
    Ok(View {
        title: format!("{}: breakdowns", b.name),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        data: Vec::new(),
        tables,
    })
}
