//! The overview: one group's headline measures with their intervals (England by default).

use super::table::{DataTable, Value, View, col, coverage_note, est_cells};
use crate::{
    auth::Role,
    benchmark::{Group, Snapshot, Window},
};

/// The headline measures of one group (England by default): the overview.
pub fn headline(snap: &Snapshot, role: &Role, group: Group, window: Window) -> Result<View, String> {
    let b = snap.benchmark(group, window);
    if !role.may_see(&group, &snap.included(group, window)) {
        return Err(format!("{} is not available to this role for {window}", group.name()));
    }
    let mut rows: Vec<Vec<Value>> = b
        .measures
        .iter()
        .map(|m| {
            let mut row = vec![Value::text(m.label.clone())];
            row.extend(est_cells(m.proportion, m.estimate));
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
    Ok(View {
        title: format!("{}: headline measures", b.name),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![table],
    })
}
