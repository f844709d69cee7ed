//! The overview: one group's headline measures with their intervals (England by default).

use super::table::{DataTable, Value, View, col, coverage_note, est_cells, measure_cells};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window},
};

/// The headline measures of one group (England by default): the overview.
pub fn headline(snap: &Snapshot, access: &Access, group: Group, window: Window) -> Result<View, String> {
    if !access.may_see_in(snap, group, window) {
        return Err(access.refusal_in(snap, group, window));
    }
    let b = snap.benchmark(group, window);
    let mut rows: Vec<Vec<Value>> = b
        .measures
        .iter()
        .map(|m| {
            let mut row = vec![Value::text(m.label.clone())];
            match msp_estimate::Measure::from_id(&m.measure) {
                Some(measure) => row.extend(measure_cells(&b, measure)),
                None => row.extend(est_cells(m.proportion, m.estimate)),
            }
            row
        })
        .collect();
    let mut median = vec![Value::text("Median days from concern to conclusion")];
    median.extend(est_cells(false, b.median_days));
    rows.push(median);
    let table = DataTable {
        id: format!("headline-{}-{window}", b.group.replace(':', "-")),
        caption: format!("Headline measures, {}, {window}", b.name),
        columns: vec![col("Measure"), col("Estimate"), col("Lower 95%"), col("Upper 95%"), col("Note")],
        rows,
        notes: vec![coverage_note(&b)],
    };
    let data = msp_estimate::Measure::ALL
        .iter()
        .map(|m| super::long::figure(access, group, window, *m, Some(&b), b.measure(*m), true))
        .collect();
    Ok(View {
        title: format!("{}: headline measures", b.name),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![table],
        data,
    })
}
