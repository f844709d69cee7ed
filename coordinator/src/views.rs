//! The views users see, as data tables: one model that the dashboard renders as HTML and the API
//! serves as JSON, CSV and XLSX, so every chart's numbers can be downloaded exactly as shown.
//! Each view applies the role's visibility rules (see [`crate::auth`]).

use msp_estimate::{Estimate, Measure, Noisy, Verdict, proportion};
use msp_schemas::{
    AuthorityType, CouncilCode, Region,
    codes::{CodeList, MspLevel, TeamModel},
};
use serde::Serialize;

use crate::{
    auth::Role,
    benchmarks::{Snapshot, compare, status, trend},
    estimate::{Benchmark, CellEstimate, Group, Window},
};

/// One value in a table. Numbers serialise as plain numbers (proportions as fractions of 1);
/// the variant says how to show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Text.
    Text(String),
    /// A count.
    Count(f64),
    /// A proportion (0 to 1), shown as a percentage.
    Percent(f64),
    /// Any other number, shown to one decimal place.
    Decimal(f64),
    /// Nothing to show, and why.
    Missing(Missing),
}

/// Why a value is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Missing {
    /// The reason.
    pub missing: &'static str,
}

impl Value {
    fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    /// A number shown as a proportion or not.
    fn of(proportion: bool, v: f64) -> Self {
        if proportion { Value::Percent(v) } else { Value::Decimal(v) }
    }

    /// The number, if it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Count(v) | Value::Percent(v) | Value::Decimal(v) => Some(*v),
            _ => None,
        }
    }

    fn missing(why: &'static str) -> Self {
        Value::Missing(Missing { missing: why })
    }
}

/// A column.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Its heading.
    pub heading: String,
}

/// A table of a view.
#[derive(Debug, Clone, Serialize)]
pub struct DataTable {
    /// Machine name (for file names).
    pub id: String,
    /// What the table shows.
    pub caption: String,
    /// Its columns.
    pub columns: Vec<Column>,
    /// Its rows.
    pub rows: Vec<Vec<Value>>,
    /// Notes that go with it (coverage, method, suppressions).
    pub notes: Vec<String>,
}

/// A view: a title, the log size it comes from, and its tables.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// The view's title.
    pub title: String,
    /// The period it covers.
    pub window: Option<String>,
    /// Entries in the log the figures were computed from.
    pub tree_size: u64,
    /// Its tables.
    pub tables: Vec<DataTable>,
}

fn col(heading: &str) -> Column {
    Column { heading: heading.to_owned() }
}

fn est_cells(proportion: bool, e: Option<Estimate>) -> [Value; 4] {
    match e {
        Some(e) => [
            Value::of(proportion, e.value),
            Value::of(proportion, e.low),
            Value::of(proportion, e.high),
            Value::text(if e.too_wide { "too wide to compare" } else { "" }),
        ],
        None => [Value::missing("no data"), Value::missing("no data"), Value::missing("no data"), Value::text("")],
    }
}

fn suppressed() -> [Value; 4] {
    let s = || Value::missing("fewer than 3 councils: not shown to protect them");
    [s(), s(), s(), Value::text("")]
}

fn coverage_note(b: &Benchmark) -> String {
    format!(
        "Coverage: {} of {} councils ({} of {} council-quarters).",
        b.coverage.councils_included,
        b.coverage.councils_in_group,
        b.coverage.quarters_included,
        b.coverage.quarters_expected
    )
}

/// The headline measures of one group (England by default): the overview.
pub fn headline(snap: &Snapshot, role: &Role, group: Group, window: Window) -> Result<View, String> {
    let b = snap.benchmark(group, window);
    if !role.may_see(&group, &b.councils) {
        return Err(format!("{} is not available to this role for {window}", group.name()));
    }
    let mut rows: Vec<Vec<Value>> = b
        .measures
        .iter()
        .map(|m| {
            let mut row = vec![Value::text(m.label)];
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

/// What people wanted, the risks, and outcomes by who people are, for one group: shares of a
/// table's cells (most common first) and "fully achieved" within each category, with intervals
/// from the cells' independent noises.
pub fn breakdowns(snap: &Snapshot, role: &Role, group: Group, window: Window) -> Result<View, String> {
    let b = snap.benchmark(group, window);
    if !role.may_see(&group, &b.councils) {
        return Err(format!("{} is not available to this role for {window}", group.name()));
    }
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
    Ok(View {
        title: format!("{}: breakdowns", b.name),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![
            mix(
                "desired_outcomes",
                "Desired outcome",
                "Share of all desired outcomes recorded (a person may want up to three).",
            ),
            mix("risk_type", "Type of risk", "Share of all risk types recorded (an enquiry may record up to three)."),
            mix("risk_location", "Location of risk", "Share of enquiries with a known location."),
            by("msp_by_support_reason", "Support reason"),
            by("msp_by_age_band", "Age band"),
            by("msp_by_ethnicity", "Ethnic group"),
            by("msp_by_sex", "Sex"),
        ],
    })
}

/// One measure across groups side by side.
pub fn across(
    snap: &Snapshot,
    role: &Role,
    groups: &[Group],
    measure: Measure,
    window: Window,
    caption: &str,
) -> DataTable {
    let mut notes = Vec::new();
    let rows = groups
        .iter()
        .map(|g| {
            let b = snap.benchmark(*g, window);
            let mut row = vec![
                Value::text(b.name.clone()),
                Value::Count(b.coverage.councils_included as f64),
                Value::Count(b.coverage.councils_in_group as f64),
            ];
            if role.may_see(g, &b.councils) {
                row.extend(est_cells(measure.is_proportion(), b.measure(measure)));
            } else {
                notes.push(format!("{}: fewer than 3 councils included, not shown.", b.name));
                row.extend(suppressed());
            }
            row
        })
        .collect();
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
pub fn groups(snap: &Snapshot, role: &Role, measure: Measure, window: Window) -> View {
    let mut regions = vec![Group::England];
    regions.extend(Region::ALL.map(Group::Region));
    let types: Vec<Group> = AuthorityType::ALL.map(Group::Type).to_vec();
    View {
        title: format!("Regions and council types: {}", measure.label()),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![
            across(snap, role, &regions, measure, window, "Regions"),
            across(snap, role, &types, measure, window, "Council types"),
        ],
    }
}

fn differences_table(
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
        if !role.may_see(a, &c.a.councils) || !role.may_see(b, &c.b.councils) {
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

/// Models of practice: team models and MSP levels for one measure, and their differences.
pub fn models(snap: &Snapshot, role: &Role, measure: Measure, window: Window) -> View {
    let teams: Vec<Group> = TeamModel::ALL.iter().map(|m| Group::TeamModel(*m)).collect();
    let levels: Vec<Group> = MspLevel::ALL.iter().map(|l| Group::MspLevel(*l)).collect();
    let pairs = [
        (Group::TeamModel(TeamModel::Specialist), Group::TeamModel(TeamModel::Locality)),
        (Group::TeamModel(TeamModel::Hybrid), Group::TeamModel(TeamModel::Locality)),
        (Group::MspLevel(MspLevel::Gold), Group::MspLevel(MspLevel::Bronze)),
        (Group::MspLevel(MspLevel::Gold), Group::MspLevel(MspLevel::NoLevel)),
    ];
    let mut diffs = differences_table(
        snap,
        role,
        &pairs,
        window,
        &format!("model-differences-{window}"),
        &format!("Differences between models of practice, {window}"),
    );
    diffs.rows.retain(|r| matches!(&r[1], Value::Text(l) if l == measure.label()));
    View {
        title: format!("Models of practice: {}", measure.label()),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![
            across(snap, role, &teams, measure, window, "Team models"),
            across(snap, role, &levels, measure, window, "MSP levels"),
            diffs,
        ],
    }
}

/// One council beside its region, its type and England, with differences and verdicts.
pub fn council(snap: &Snapshot, role: &Role, code: CouncilCode, window: Window) -> Result<View, String> {
    if !role.sees_council(code) {
        return Err(format!("this role may not see {}'s own figures", code.council().name));
    }
    let c = code.council();
    let groups = [Group::Council(code), Group::Region(c.region), Group::Type(c.authority_type), Group::England];
    let benches: Vec<Benchmark> = groups.iter().map(|g| snap.benchmark(*g, window)).collect();
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
            for (g, b) in groups.iter().zip(&benches) {
                row.push(if role.may_see(g, &b.councils) {
                    b.measure(*m).map_or(Value::missing("no data"), |e| Value::of(m.is_proportion(), e.value))
                } else {
                    Value::missing("fewer than 3 councils: not shown")
                });
            }
            row.push(Value::text(d.verdict.map_or("no data", Verdict::words)));
            row
        })
        .collect();
    let detail = differences_table(
        snap,
        role,
        &[(Group::Council(code), Group::Region(c.region)), (Group::Council(code), Group::England)],
        window,
        &format!("council-{code}-differences-{window}"),
        &format!("{} against its region and England, {window}", c.name),
    );
    let side = DataTable {
        id: format!("council-{code}-{window}"),
        caption: format!("{} beside {}, {}s and England, {window}", c.name, c.region.name(), c.authority_type.name()),
        columns,
        rows,
        notes: vec![coverage_note(&benches[0]), "The verdict compares the council with the rest of its region.".into()],
    };
    Ok(View {
        title: c.name.to_owned(),
        window: Some(window.to_string()),
        tree_size: snap.tree_size,
        tables: vec![side, detail],
    })
}

/// A measure's trend for a group.
pub fn trend_view(snap: &Snapshot, role: &Role, group: Group, measure: Measure) -> Result<View, String> {
    if let Group::Council(c) | Group::Peers(c) = group
        && !role.sees_council(c)
    {
        return Err(format!("this role may not see {}'s own figures", c.council().name));
    }
    let points = trend(snap, group, measure);
    let rows = points
        .iter()
        .map(|p| {
            let window = Window::Quarter(p.period.parse().expect("a stored quarter"));
            let councils = snap.benchmark(group, window).councils;
            let mut row = vec![Value::text(p.period.clone()), Value::Count(p.councils as f64)];
            row.extend(if role.may_see(&group, &councils) {
                est_cells(measure.is_proportion(), p.estimate)
            } else {
                suppressed()
            });
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
            let mut row = vec![
                Value::text(y.to_string()),
                Value::Count(b.coverage.councils_included as f64),
                Value::Count(b.coverage.quarters_included as f64),
            ];
            row.extend(if role.may_see(&group, &b.councils) {
                est_cells(measure.is_proportion(), b.measure(measure))
            } else {
                suppressed()
            });
            row
        })
        .collect();
    Ok(View {
        title: format!("{}: {}", group.name(), measure.label()),
        window: None,
        tree_size: snap.tree_size,
        tables: vec![
            DataTable {
                id: format!("trend-{}-{}", group.id().replace(':', "-"), measure.id()),
                caption: format!("{} by quarter, {}", measure.label(), group.name()),
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
                caption: format!("{} by financial year, {}", measure.label(), group.name()),
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

/// Which councils have released which quarters.
pub fn submissions(snap: &Snapshot, role: &Role) -> View {
    let (quarters, rows) = status(snap, |c| matches!(role, Role::National | Role::Admin) || role.sees_council(c));
    let mut columns = vec![col("Council"), col("Code"), col("Region")];
    columns.extend(quarters.iter().map(|q| col(q)));
    let summary = quarters
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let received = rows.iter().filter(|r| r.revisions[i] > 0).count();
            vec![Value::text(q.as_str()), Value::Count(received as f64), Value::Count((rows.len() - received) as f64)]
        })
        .collect();
    let shown = rows.len();
    let rows = rows
        .into_iter()
        .map(|r| {
            let mut row = vec![Value::text(r.name), Value::text(r.council), Value::text(r.region)];
            row.extend(r.revisions.iter().map(|v| match v {
                0 => Value::text("not received"),
                1 => Value::text("received"),
                n => Value::text(format!("revision {n}")),
            }));
            row
        })
        .collect();
    View {
        title: "Submission status".into(),
        window: None,
        tree_size: snap.tree_size,
        tables: vec![
            DataTable {
                id: "submission-status".into(),
                caption: "Releases received, by council and quarter".into(),
                columns,
                rows,
                notes: vec!["'revision n' means a corrected release superseded the first.".into()],
            },
            DataTable {
                id: "submission-summary".into(),
                caption: "Councils whose release was received, by quarter".into(),
                columns: vec![col("Quarter"), col("Received"), col("Not received")],
                rows: summary,
                notes: vec![format!("Of {shown} councils shown.")],
            },
        ],
    }
}

/// The measure a `measure=` parameter names.
pub fn measure_named(id: &str) -> Option<Measure> {
    Measure::ALL.iter().copied().find(|m| m.id() == id)
}
