//! The table of differences between pairs of groups that the models and council views share.

use msp_estimate::Measure;

use super::table::{DataTable, Value, col, verdict};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window, compare},
};

/// The differences between pairs of groups, measure by measure, with their intervals and verdicts;
/// a pair with a side the role may not see is left out, with a note.
pub(super) fn differences_table(
    snap: &Snapshot,
    access: &Access,
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
        if !access.may_see_in(snap, *a, window) || !access.may_see_in(snap, *b, window) {
            notes.push(format!("{} against {}: not yet, {}.", snap.name(*a), snap.name(*b), access.withheld(window)));
            continue;
        }
        let c = compare(snap, *a, *b, window);
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
                Measure::from_id(&d.measure).map_or(Value::text("no data"), |m| verdict(m, d.verdict)),
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
