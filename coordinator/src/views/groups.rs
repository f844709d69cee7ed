//! One measure across groups side by side: England, the regions and the council types.

use msp_estimate::{Measure, Verdict, difference};
use msp_schemas::{AuthorityType, Region};

use super::{
    councils::Order,
    long::{Figure, figure},
    table::{DataTable, Value, View, col, measure_cells, verdict, withheld},
};
use crate::{
    auth::Access,
    benchmark::{Group, SizeBand, Snapshot, Window},
};

/// One measure across groups side by side, and the same as figures of the long table.
pub fn across(
    snap: &Snapshot,
    access: &Access,
    groups: &[Group],
    measure: Measure,
    window: Window,
    caption: &str,
    order: Order,
) -> (DataTable, Vec<Figure>) {
    let mut data = Vec::new();
    let mut notes = Vec::new();
    let mut hidden = Vec::new();
    let england_shown = access.may_see_in(snap, Group::England, window);
    let against = snap.against_rest(Group::England, window, measure, groups);
    let mut rows: Vec<(Option<f64>, Vec<Value>)> = groups
        .iter()
        .zip(&against)
        .map(|(g, a)| {
            let b = snap.benchmark(*g, window);
            let shown = access.may_see_in(snap, *g, window);
            // Who has submitted is itself unpublished: no count for a group not shown.
            let counted = |n: u64| if shown { Value::Count(n as f64) } else { withheld(access, window)[0].clone() };
            let mut row = vec![
                Value::text(b.name.clone()),
                counted(b.coverage.councils_included),
                if shown || g.members_known() { Value::Count(b.coverage.councils_in_group as f64) } else { counted(0) },
            ];
            data.push(figure(access, *g, window, measure, Some(&b), b.measure(measure), shown));
            if shown {
                row.extend(measure_cells(&b, measure));
            } else {
                hidden.push(b.name.clone());
                row.extend(withheld(access, window));
            }
            row.push(match g {
                Group::England => Value::text("—"),
                _ if shown && england_shown => {
                    verdict(measure, a.council.zip(a.rest).map(|(x, y)| Verdict::of(&difference(&x, &y))))
                }
                _ => Value::missing(format!("not yet: {}", access.withheld(window))),
            });
            (b.measure(measure).filter(|_| shown).map(|e| e.value), row)
        })
        .collect();
    if order == Order::Estimate {
        // England stays first, as the reference.
        rows.sort_by(|a, b| {
            let england = |r: &Vec<Value>| !matches!(&r[0], Value::Text(t) if t == "England");
            england(&a.1).cmp(&england(&b.1)).then(b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal))
        });
    }
    let rows: Vec<Vec<Value>> = rows.into_iter().map(|(_, r)| r).collect();
    if !hidden.is_empty() {
        notes.push(access.hidden_note(&hidden, window));
    }
    notes.push(format!(
        "{}. Intervals are 95%. Each group is compared with the rest of England (England without it), so that the \
         two are independent.",
        measure.label()
    ));
    let table = DataTable {
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
            col("Against the rest of England"),
        ],
        rows,
        notes,
    };
    (table, data)
}

/// Regions and authority types side by side for one measure.
pub fn groups(snap: &Snapshot, access: &Access, measure: Measure, window: Window, order: Order) -> View {
    let mut regions = vec![Group::England];
    regions.extend(Region::ALL.map(Group::Region));
    let types: Vec<Group> = AuthorityType::ALL.map(Group::Type).to_vec();
    let (regions, mut data) = across(snap, access, &regions, measure, window, "Regions", order);
    let (types, more) = across(snap, access, &types, measure, window, "Council types", order);
    data.extend(more);
    let sizes: Vec<Group> = SizeBand::ALL.map(Group::Size).to_vec();
    let (mut sizes, more) = across(snap, access, &sizes, measure, window, "Council sizes", order);
    data.extend(more);
    sizes.notes.push(
        "A council's size is the people with a concluded enquiry it released a year, from its own noisy releases of \
         the latest four published quarters: councils with no published release are in no size band."
            .into(),
    );
    View {
        title: format!("Regions, council types and sizes: {}", measure.label()),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![regions, types, sizes],
        data,
    }
}
