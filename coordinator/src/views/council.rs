//! One council beside its region, its authority type and England, with the differences from the
//! rest of its region and from England.

use msp_estimate::Measure;
use msp_schemas::{CouncilCode, api::Benchmark};

use super::{
    differences::differences_table,
    table::{DataTable, Value, View, col, coverage_note, verdict},
};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window, compare},
};

/// One council beside its region, its type and England, with differences and verdicts.
/// The groups a council is shown beside: itself, its region, its council type, England, and the
/// named groups saved as its peer lists.
pub fn beside(snap: &Snapshot, code: CouncilCode) -> Vec<Group> {
    let c = code.council();
    let mut groups = vec![Group::Council(code), Group::Region(c.region), Group::Type(c.authority_type), Group::England];
    groups.extend(snap.groups.all().filter(|g| g.owner == Some(code)).map(|g| Group::Named(g.slug)));
    groups
}

pub fn council(snap: &Snapshot, access: &Access, code: CouncilCode, window: Window) -> Result<View, String> {
    if !access.sees_council(code, window) {
        return Err(access.refusal(&format!("{}'s own figures", code.council().name), window));
    }
    let c = code.council();
    let groups = beside(snap, code);
    let benches: Vec<Benchmark> = groups.iter().map(|g| snap.benchmark(*g, window)).collect();
    let visible: Vec<bool> = groups.iter().map(|g| access.may_see_in(snap, *g, window)).collect();
    let mut columns = vec![col("Measure")];
    for b in &benches {
        columns.push(col(&b.name));
    }
    columns.push(col("Against the rest of the region"));
    let vs_region = compare(snap, Group::Council(code), Group::Region(c.region), window);
    let rows = Measure::ALL
        .iter()
        .zip(&vs_region.differences)
        .map(|(m, d)| {
            let mut row = vec![Value::text(m.label())];
            for (b, shown) in benches.iter().zip(&visible) {
                row.push(if *shown {
                    b.measure(*m).map_or(Value::missing("no data"), |e| Value::of(m.is_proportion(), e.value))
                } else {
                    Value::missing(format!("not yet: {}", access.withheld(window)))
                });
            }
            // The verdict against the region says something of the region's figures.
            row.push(if visible[1] {
                verdict(*m, d.verdict)
            } else {
                Value::missing(format!("not yet: {}", access.withheld(window)))
            });
            row
        })
        .collect();
    let detail = differences_table(
        snap,
        access,
        &[(Group::Council(code), Group::Region(c.region)), (Group::Council(code), Group::England)]
            .into_iter()
            .chain(groups[4..].iter().map(|g| (Group::Council(code), *g)))
            .collect::<Vec<_>>(),
        window,
        &format!("council-{code}-differences-{window}"),
        &format!("{} against its region and England, {window}", c.name),
    );
    let side = DataTable {
        id: format!("council-{code}-{window}"),
        caption: match &benches[4..] {
            [] => format!("{} beside {}, {}s and England, {window}", c.name, c.region.name(), c.authority_type.name()),
            named => format!(
                "{} beside {}, {}s, England and {}, {window}",
                c.name,
                c.region.name(),
                c.authority_type.name(),
                named.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        },
        columns,
        rows,
        notes: vec![coverage_note(&benches[0]), "The verdict compares the council with the rest of its region.".into()],
    };
    let data = groups
        .iter()
        .zip(&benches)
        .zip(&visible)
        .flat_map(|((g, b), shown)| {
            Measure::ALL
                .iter()
                .map(move |m| super::long::figure(access, *g, window, *m, Some(b), b.measure(*m), *shown))
        })
        .collect();
    Ok(View {
        data,
        title: c.name.to_owned(),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![side, detail],
    })
}
