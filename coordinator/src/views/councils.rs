//! Every council of a group side by side for one measure (a region's councils, a council type's,
//! England's 153): each with its interval and its verdict against the rest of England, sorted by
//! name or by estimate, for the councils the reader may see.

use msp_estimate::{Measure, difference};
use msp_schemas::{CouncilCode, api::Verdict};

use super::{
    long::{Figure, figure},
    table::{DataTable, Value, View, col, est_cells, verdict, withheld},
};
use crate::{
    auth::{Access, NOT_A_READER},
    benchmark::{Group, Snapshot, Window},
};

/// How the councils are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// By name (the default).
    #[default]
    Name,
    /// By estimate, highest first (councils with none last).
    Estimate,
}

impl std::str::FromStr for Order {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "name" => Ok(Order::Name),
            "estimate" => Ok(Order::Estimate),
            _ => Err(format!("{s:?} is not an order: use name or estimate")),
        }
    }
}

/// Every council of `group` for `measure` over `window`, beside England.
pub fn councils(
    snap: &Snapshot,
    access: &Access,
    group: Group,
    measure: Measure,
    window: Window,
    order: Order,
) -> Result<View, String> {
    if !access.reads() {
        return Err(NOT_A_READER.to_owned());
    }
    if let Some(why) = access.private(snap, group) {
        return Err(why);
    }
    let members = snap.members(group).unwrap_or_else(|| snap.included(group, window));
    let visible: Vec<CouncilCode> = members.iter().copied().filter(|c| access.sees_council(*c, window)).collect();
    if visible.is_empty() {
        return Err(access.refusal(&format!("The councils of {}", snap.name(group)), window));
    }
    let england_shown = access.may_see_in(snap, Group::England, window);
    let parts: Vec<Group> = visible.iter().map(|c| Group::Council(*c)).collect();
    let against = snap.against_rest(Group::England, window, measure, &parts);
    let proportion = measure.is_proportion();
    let data: Vec<Figure> = visible
        .iter()
        .zip(&against)
        .map(|(c, a)| figure(access, Group::Council(*c), window, measure, None, a.council, true))
        .collect();
    let mut rows: Vec<(Option<f64>, Vec<Value>)> = visible
        .iter()
        .zip(&against)
        .map(|(c, a)| {
            let council = c.council();
            let mut row = vec![
                Value::text(council.name),
                Value::text(c.as_str()),
                Value::text(council.region.name()),
                Value::text(council.authority_type.name()),
            ];
            row.extend(est_cells(proportion, a.council));
            row.push(if england_shown {
                let d = a.council.zip(a.rest).map(|(x, y)| Verdict::of(&difference(&x, &y)));
                verdict(measure, d)
            } else {
                withheld(access, window)[0].clone()
            });
            (a.council.map(|e| e.value), row)
        })
        .collect();
    if order == Order::Estimate {
        rows.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    }
    let mut notes = vec![format!(
        "{}. Intervals are 95%. The verdict compares each council with the rest of England (England without it), so \
         the two are independent.",
        measure.label()
    )];
    if visible.len() < members.len() && (group.members_known() || access.published(window)) {
        notes.push(format!(
            "{} of the group's {} councils are shown: the others' figures for {window} are {}.",
            visible.len(),
            members.len(),
            access.withheld(window)
        ));
    }
    if england_shown && let Some(e) = snap.benchmark(Group::England, window).measure(measure) {
        let pct = |v: f64| if proportion { format!("{:.1}%", v * 100.0) } else { format!("{v:.1}") };
        notes.push(format!("England: {} (95% interval {} to {}).", pct(e.value), pct(e.low), pct(e.high)));
    }
    Ok(View {
        title: format!("{}: every council, {}", snap.name(group), measure.label()),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![DataTable {
            id: format!("councils-{}-{}-{window}", group.id().replace(':', "-"), measure.id()),
            caption: format!("Councils of {}: {}, {window}", snap.name(group), measure.label()),
            columns: vec![
                col("Council"),
                col("Code"),
                col("Region"),
                col("Council type"),
                col("Estimate"),
                col("Lower 95%"),
                col("Upper 95%"),
                col("Note"),
                col("Against the rest of England"),
            ],
            rows: rows.into_iter().map(|(_, r)| r).collect(),
            notes,
        }],
        data,
    })
}
