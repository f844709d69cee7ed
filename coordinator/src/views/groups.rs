//! One measure across groups side by side: England, the regions and the council types.

use msp_estimate::Measure;
use msp_schemas::{AuthorityType, Region};

use super::table::{DataTable, Value, View, col, est_cells, withheld};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window},
};

/// One measure across groups side by side.
pub fn across(
    snap: &Snapshot,
    access: &Access,
    groups: &[Group],
    measure: Measure,
    window: Window,
    caption: &str,
) -> DataTable {
    let mut notes = Vec::new();
    let mut hidden = Vec::new();
    let rows: Vec<Vec<Value>> = groups
        .iter()
        .map(|g| {
            let b = snap.benchmark(*g, window);
            let mut row = vec![
                Value::text(b.name.clone()),
                Value::Count(b.coverage.councils_included as f64),
                Value::Count(b.coverage.councils_in_group as f64),
            ];
            if access.may_see_in(snap, *g, window) {
                row.extend(est_cells(measure.is_proportion(), b.measure(measure)));
            } else {
                hidden.push(b.name.clone());
                row.extend(withheld(access, window));
            }
            row
        })
        .collect();
    if !hidden.is_empty() {
        notes.push(access.hidden_note(&hidden, window));
    }
    notes.push(format!("{}. Intervals are 95%.", measure.label()));
    DataTable {
        id: format!("{}-{}-{window}", caption.to_lowercase().replace(' ', "-"), measure.id()),
        caption: format!("{caption}: {}, {window}", measure.label()),
        columns: vec![
            col("Group"),
            col("Councils included"),
            col("Councils in group"),
            col("Estimate"),
            col("Lower 95%"),
            col("Upper 95%"),
            col("Note"),
        ],
        rows,
        notes,
    }
}

/// Regions and authority types side by side for one measure.
pub fn groups(snap: &Snapshot, access: &Access, measure: Measure, window: Window) -> View {
    let mut regions = vec![Group::England];
    regions.extend(Region::ALL.map(Group::Region));
    let types: Vec<Group> = AuthorityType::ALL.map(Group::Type).to_vec();
    View {
        title: format!("Regions and council types: {}", measure.label()),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![
            across(snap, access, &regions, measure, window, "Regions"),
            across(snap, access, &types, measure, window, "Council types"),
        ],
    }
}
