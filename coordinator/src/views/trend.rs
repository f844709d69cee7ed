//! One group's measure by quarter and by financial year.

use msp_estimate::Measure;

use super::table::{DataTable, Value, View, col, est_cells, withheld};
use crate::{
    auth::Access,
    benchmark::{Group, Snapshot, Window, trend},
};

/// A measure's trend for a group.
pub fn trend_view(snap: &Snapshot, access: &Access, group: Group, measure: Measure) -> Result<View, String> {
    if !access.reads() {
        return Err(crate::auth::NOT_A_READER.to_owned());
    }
    if let Some(why) = access.private(snap, group) {
        return Err(why);
    }
    let points = trend(snap, group, measure);
    let mut data: Vec<super::long::Figure> = Vec::new();
    let rows = points
        .iter()
        .map(|p| {
            let w = Window::Quarter(p.period);
            let shown = access.may_see_in(snap, group, w);
            data.push(super::long::figure(access, group, w, measure, Some(&p.benchmark), p.estimate, shown));
            let count = if shown { Value::Count(p.councils as f64) } else { withheld(access, w)[0].clone() };
            let mut row = vec![Value::text(p.period.to_string()), count];
            row.extend(if shown { est_cells(measure.is_proportion(), p.estimate) } else { withheld(access, w) });
            row
        })
        .collect();
    let mut years: Vec<_> = snap.quarters.iter().map(|q| q.year()).collect();
    years.sort();
    years.dedup();
    let yearly = years
        .into_iter()
        .map(|y| {
            let b = snap.benchmark(group, Window::Year(y));
            let shown = access.may_see_in(snap, group, Window::Year(y));
            let counted =
                |n: u64| if shown { Value::Count(n as f64) } else { withheld(access, Window::Year(y))[0].clone() };
            let mut row = vec![
                Value::text(y.to_string()),
                counted(b.coverage.councils_included),
                counted(b.coverage.quarters_included),
            ];
            data.push(super::long::figure(
                access,
                group,
                Window::Year(y),
                measure,
                Some(&b),
                b.measure(measure),
                shown,
            ));
            row.extend(if shown {
                est_cells(measure.is_proportion(), b.measure(measure))
            } else {
                withheld(access, Window::Year(y))
            });
            row
        })
        .collect();
    Ok(View {
        title: format!("{}: {}", snap.name(group), measure.label()),
        window: None,
        tree_size: snap.tree_size,
        data,
        tables: vec![
            DataTable {
                id: format!("trend-{}-{}", group.id().replace(':', "-"), measure.id()),
                caption: format!("{} by quarter, {}", measure.label(), snap.name(group)),
                columns: vec![
                    col("Quarter"),
                    col("Councils included"),
                    col("Estimate"),
                    col("Lower 95%"),
                    col("Upper 95%"),
                    col("Note"),
                ],
                rows,
                notes: vec!["Intervals are 95%.".into()],
            },
            DataTable {
                id: format!("trend-years-{}-{}", group.id().replace(':', "-"), measure.id()),
                caption: format!("{} by financial year, {}", measure.label(), snap.name(group)),
                columns: vec![
                    col("Financial year"),
                    col("Councils included"),
                    col("Council-quarters"),
                    col("Estimate"),
                    col("Lower 95%"),
                    col("Upper 95%"),
                    col("Note"),
                ],
                rows: yearly,
                notes: vec![
                    "A year adds up the quarters received so far: see the council-quarters. Intervals are 95%.".into(),
                ],
            },
        ],
    })
}
