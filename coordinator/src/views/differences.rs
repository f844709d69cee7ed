//! The table of differences between pairs of groups that the models and council views share.

use msp_schemas::api::Verdict;

use super::table::{DataTable, Value, col};
use crate::{
    auth::Role,
    benchmark::{Group, Snapshot, Window, compare},
};

/// The differences between pairs of groups, measure by measure, with their intervals and verdicts;
/// a pair with a side the role may not see is left out, with a note.
pub(super) fn differences_table(
    snap: &Snapshot,
    role: &Role,
    pairs: &[(Group, Group)],
    window: Window,
    id: &str,
    caption: &str,
) -> DataTable {
    let mut rows = Vec::new();
    let mut notes = vec![
        "Difference = first minus second, with its 95% interval. Higher/lower: the whole interval is above/below zero."
            .into(),
    ];
    for (a, b) in pairs {
        let c = compare(snap, *a, *b, window);
        if !role.may_see(a, &snap.included(*a, window)) || !role.may_see(b, &snap.included(*b, window)) {
            notes.push(format!("{} against {}: fewer than 3 councils on one side, not shown.", c.a.name, c.b.name));
            continue;
        }
        for d in c.differences {
            let (value, low, high) = match d.difference {
                Some(e) => {
                    (Value::of(d.proportion, e.value), Value::of(d.proportion, e.low), Value::of(d.proportion, e.high))
                }
                None => (Value::missing("no data"), Value::missing("no data"), Value::missing("no data")),
            };
            rows.push(vec![
                Value::text(format!("{} − {}", c.a.name, c.b.name)),
                Value::text(d.label),
                value,
                low,
                high,
                Value::text(d.verdict.map_or("no data", Verdict::words)),
            ]);
        }
    }
    DataTable {
        id: id.to_owned(),
        caption: caption.to_owned(),
        columns: vec![
            col("Comparison"),
            col("Measure"),
            col("Difference"),
            col("Lower 95%"),
            col("Upper 95%"),
            col("Verdict"),
        ],
        rows,
        notes,
    }
}
