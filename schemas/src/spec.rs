//! The report specs: the fixed tables every quarterly release carries (DESIGN §6), as data.
//! `msp-quarterly/1` is DESIGN §6's; `msp-quarterly/2` keeps every table of `/1` with the same
//! cells and meaning (so the coordinator adds the two versions' releases up), spends the budget
//! where the headline measures need it, centres the resource-use sums, chooses the three values a
//! multi-valued table keeps by a keyed hash rather than code order, and adds the tables the SAC
//! and the evaluation ask for (see [`MSP_QUARTERLY_V2`]'s notes).
//!
//! Each table has a population (people with a concern received in the quarter, or people with an
//! enquiry concluded in it), fixed cells in a fixed order, a kind that fixes its L2 sensitivity
//! under the add/remove-one-person neighbour relation (DESIGN §4), and a share of the release's
//! privacy budget. Categories come from here, never from data.
//!
//! Weights are held in whole percent so they sum to exactly 100. DESIGN §6 as first written summed
//! to 1.01; `msp_by_sex` is given 2% rather than 3% (it has the fewest cells of the cross tables
//! and its margins are already published by `msp_outcomes`).

use std::{fmt, str::FromStr, sync::LazyLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{
    AgeBand, Approach, CodeList, DesiredOutcome, Ethnicity, Feedback, RiskAction, RiskLocation, RiskSource, RiskType,
    Sex, SupportReason,
};

/// The report specifications this build knows. Old versions keep working when new ones arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecId {
    /// `msp-quarterly/1`.
    MspQuarterlyV1,
    /// `msp-quarterly/2`.
    MspQuarterlyV2,
}

impl SpecId {
    /// Every supported spec.
    pub const ALL: [SpecId; 2] = [SpecId::MspQuarterlyV1, SpecId::MspQuarterlyV2];

    /// The newest spec this software knows.
    pub const NEWEST: SpecId = SpecId::MspQuarterlyV2;

    /// The spec's identifier, as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecId::MspQuarterlyV1 => "msp-quarterly/1",
            SpecId::MspQuarterlyV2 => "msp-quarterly/2",
        }
    }

    /// The spec's tables.
    pub fn spec(self) -> &'static ReportSpec {
        match self {
            SpecId::MspQuarterlyV1 => &MSP_QUARTERLY_V1,
            SpecId::MspQuarterlyV2 => &MSP_QUARTERLY_V2,
        }
    }
}

/// A report spec the network does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a report spec this software supports (supported: msp-quarterly/1, msp-quarterly/2)")]
pub struct UnsupportedSpec(pub String);

impl FromStr for SpecId {
    type Err = UnsupportedSpec;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpecId::ALL.into_iter().find(|id| id.as_str() == s).ok_or_else(|| UnsupportedSpec(s.to_owned()))
    }
}

impl fmt::Display for SpecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SpecId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SpecId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for SpecId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SpecId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": ["msp-quarterly/1", "msp-quarterly/2"] })
    }
}

/// Who a table counts: one row per person (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    /// People with a concern received in the quarter; each keeps their most advanced concern.
    Concerns,
    /// People with an enquiry concluded in the quarter; each keeps their latest concluded enquiry.
    Concluded,
}

/// How a person can contribute to a table, which fixes its L2 sensitivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TableKind {
    /// Every person in exactly one cell: Δ₂ = 1.
    Partition,
    /// Each person in at most `k` distinct cells: Δ₂ = √k.
    MultiValued {
        /// Most cells one person counts in.
        k: u32,
    },
    /// One cell holding a sum of values clamped to `[0, upper]`: Δ₂ = upper.
    ClampedSum {
        /// The clamp's upper bound.
        upper: u32,
    },
    /// One cell holding a sum of values clamped to `[0, upper]`, less `centre` for each person
    /// summed: each person adds a value in `[−centre, upper − centre]`, so Δ₂ = max(centre,
    /// upper − centre), up to half of [`TableKind::ClampedSum`]'s for the same values. The sum of
    /// the clamped values is this cell plus `centre` times the people summed.
    CentredSum {
        /// The clamp's upper bound.
        upper: u32,
        /// What is taken off each person's clamped value.
        centre: u32,
    },
}

/// Which values a multi-valued table keeps for a person with more than `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The first `k` in code-list order (`msp-quarterly/1`): codes late in the list are
    /// under-counted for people with more than `k`.
    CodeOrder,
    /// The `k` whose keyed hash (SHA-256 of the person's key, which only the node can make, the
    /// table and the code) is smallest: every code has the same chance, and the same person's
    /// choice is the same in every release.
    KeyedHash,
}

/// A table whose cells are also measured by other tables: each `crossed` table is a partition of
/// the same people into groups (each person in exactly one group, by the same rule in every
/// release), with one cell per (group, cell of `table`), group-major, coded `group:cell`. Adding a
/// crossed table's cells of one cell of `table` over its groups measures that cell again, with
/// independent noise: the coordinator combines the measurements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Margins {
    /// The table measured again.
    pub table: &'static str,
    /// The tables that cross it with a grouping.
    pub crossed: Vec<&'static str>,
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// Machine code, unique within the table.
    pub code: String,
    /// What the cell counts, for people.
    pub label: String,
}

/// One table of a report spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableSpec {
    /// Machine name, unique within the spec.
    pub id: &'static str,
    /// What the table shows, for people.
    pub title: &'static str,
    /// Who it counts.
    pub population: Population,
    /// How a person contributes.
    #[serde(flatten)]
    pub kind: TableKind,
    /// Share of the release's ρ, in whole percent.
    pub weight_percent: u32,
    /// Whether every person of the population is in exactly one cell (a partition with a cell for
    /// every case, blanks included), so that the table's total counts the population: every such
    /// table measures the population's size again.
    pub complete: bool,
    /// The cells, in order.
    pub cells: Vec<Cell>,
}

impl TableSpec {
    /// Share of the release's ρ, as a fraction.
    pub fn weight(&self) -> f64 {
        f64::from(self.weight_percent) / 100.0
    }

    /// The L2 sensitivity under adding or removing one person (DESIGN §4).
    pub fn l2_sensitivity(&self) -> f64 {
        match self.kind {
            TableKind::Partition => 1.0,
            TableKind::MultiValued { k } => f64::from(k).sqrt(),
            TableKind::ClampedSum { upper } => f64::from(upper),
            TableKind::CentredSum { upper, centre } => f64::from(centre.max(upper - centre)),
        }
    }

    /// The least and the most one person adds to one cell.
    pub fn per_person(&self) -> (f64, f64) {
        match self.kind {
            TableKind::Partition | TableKind::MultiValued { .. } => (0.0, 1.0),
            TableKind::ClampedSum { upper } => (0.0, f64::from(upper)),
            TableKind::CentredSum { upper, centre } => (-f64::from(centre), f64::from(upper - centre)),
        }
    }

    /// What is taken off each person's value in a sum (0 but for a [`TableKind::CentredSum`]).
    pub fn centre(&self) -> f64 {
        match self.kind {
            TableKind::CentredSum { centre, .. } => f64::from(centre),
            _ => 0.0,
        }
    }

    /// Index of the cell with this code.
    pub fn cell_index(&self, code: &str) -> Option<usize> {
        self.cells.iter().position(|c| c.code == code)
    }
}

/// A report spec: its id and its tables in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSpec {
    /// The spec's id.
    pub id: SpecId,
    /// Which values a multi-valued table keeps for a person with more than `k`.
    pub selection: Selection,
    /// The tables, in release order.
    pub tables: Vec<TableSpec>,
    /// The tables whose cells other tables measure again.
    pub margins: Vec<Margins>,
}

impl ReportSpec {
    /// The table with this id.
    pub fn table(&self, id: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The position of the table with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.id == id)
    }
}

/// The cells of the `msp_outcomes` table, in order: the Making Safeguarding Personal measures.
pub const MSP_OUTCOME_CELLS: [(&str, &str); 7] = [
    ("expressed_fully", "Outcomes expressed and fully achieved"),
    ("expressed_partially", "Outcomes expressed and partially achieved"),
    ("expressed_not_achieved", "Outcomes expressed and not achieved"),
    ("expressed_unrecorded", "Outcomes expressed, achievement not recorded"),
    ("asked_not_expressed", "Asked, but no outcomes expressed"),
    ("not_asked", "Not asked about outcomes"),
    ("unknown", "Not known whether asked"),
];

/// Upper bounds (inclusive) of the `days_to_conclude` buckets but the last.
pub const DAYS_BUCKETS: [(u32, &str); 6] =
    [(7, "0-7"), (28, "8-28"), (56, "29-56"), (91, "57-91"), (182, "92-182"), (365, "183-365")];

/// The `days_to_conclude` cell of a number of days from concern to conclusion.
pub fn days_bucket(days: u32) -> usize {
    DAYS_BUCKETS.iter().position(|(hi, _)| days <= *hi).unwrap_or(DAYS_BUCKETS.len())
}

/// The `meetings_with_person` / `multiagency_meetings` cell of a count (`5+` is the last).
pub fn meetings_bucket(meetings: u32) -> usize {
    meetings.min(5) as usize
}

/// Upper bounds (inclusive) of the `staff_hours` buckets but `40+` and `unrecorded`.
pub const HOURS_BUCKETS: [(f64, &str); 4] = [(5.0, "0-5"), (10.0, "5-10"), (20.0, "10-20"), (40.0, "20-40")];

/// The `staff_hours` cell of a number of hours (`None` is `unrecorded`).
pub fn hours_bucket(hours: Option<f64>) -> usize {
    match hours {
        None => HOURS_BUCKETS.len() + 1,
        Some(h) => HOURS_BUCKETS.iter().position(|(hi, _)| h <= *hi).unwrap_or(HOURS_BUCKETS.len()),
    }
}

/// Clamp bound of `days_to_conclude_sum`.
pub const DAYS_SUM_UPPER: u32 = 365;
/// Clamp bound of `meetings_with_person_sum` and `multiagency_meetings_sum`.
pub const MEETINGS_SUM_UPPER: u32 = 10;
/// Clamp bound of `staff_hours_sum` (whole hours, rounded up).
pub const HOURS_SUM_UPPER: u32 = 80;
/// Most values one person keeps in a multi-valued table.
pub const MULTI_K: u32 = 3;
/// Most concluded enquiries counted per person (`enquiries_concluded` cell `3+`).
pub const ENQUIRIES_CAP: u32 = 3;

fn cells(list: &[(&str, &str)]) -> Vec<Cell> {
    list.iter().map(|(code, label)| Cell { code: (*code).to_owned(), label: (*label).to_owned() }).collect()
}

fn code_cells<T: CodeList>(with_unknown: bool) -> Vec<Cell> {
    let mut out: Vec<Cell> =
        T::ALL.iter().map(|c| Cell { code: c.code().to_owned(), label: c.label().to_owned() }).collect();
    if with_unknown {
        out.push(Cell { code: "unknown".into(), label: "Not recorded".into() });
    }
    out
}

fn same_labels(codes: &[&str]) -> Vec<Cell> {
    codes.iter().map(|c| Cell { code: (*c).to_owned(), label: (*c).to_owned() }).collect()
}

/// The tables that cross `msp_outcomes` with who people are. Each is a partition of the same people
/// (an enquiry concluded) into groups that include "unknown", so each cross table's cells of one
/// outcome, added over its groups, are `msp_outcomes`' cell of that outcome: the coordinator
/// combines the five measurements of every such cell.
pub const MSP_OUTCOMES_CROSSED: [&str; 4] =
    ["msp_by_support_reason", "msp_by_age_band", "msp_by_ethnicity", "msp_by_sex"];

/// `msp_outcomes` crossed with a code list: one cell per (group, MSP outcome), group-major.
fn msp_by<T: CodeList>() -> Vec<Cell> {
    crossed(&code_cells::<T>(false), &cells(&MSP_OUTCOME_CELLS))
}

/// One cell per (group, cell), group-major, coded `group:cell`.
fn crossed(groups: &[Cell], of: &[Cell]) -> Vec<Cell> {
    let mut out = Vec::new();
    for g in groups {
        for c in of {
            out.push(Cell { code: format!("{}:{}", g.code, c.code), label: format!("{}: {}", g.label, c.label) });
        }
    }
    out
}

/// The groups of the tables crossed by enquiry type (`msp-quarterly/2`): as `enquiry_type` splits
/// concluded enquiries (a concluded enquiry whose type is blank counts as section 42).
const ENQUIRY_GROUPS: [(&str, &str); 2] = [("s42", "Section 42 enquiry"), ("other", "Other safeguarding enquiry")];

/// The cells of `risk_outcome`, in order.
const RISK_OUTCOME_CELLS: [(&str, &str); 5] = [
    ("removed", "Risk removed"),
    ("reduced", "Risk reduced"),
    ("remains", "Risk remains"),
    ("not_applicable", "No risk identified"),
    ("unknown", "Not recorded"),
];

/// The partitions that leave out people whose value is blank (each person in at most one cell).
const LEAVE_OUT_BLANKS: [&str; 4] =
    ["meetings_with_person", "multiagency_meetings", "feedback_felt_safer", "feedback_listened_to"];

fn sum_cell(label: &str) -> Vec<Cell> {
    vec![Cell { code: "sum".into(), label: label.into() }]
}

static MSP_QUARTERLY_V1: LazyLock<ReportSpec> = LazyLock::new(|| {
    use Population::{Concerns, Concluded};
    use TableKind::{ClampedSum, MultiValued, Partition};
    let multi = MultiValued { k: MULTI_K };
    let table = |id, title, population, kind, weight_percent, cells| TableSpec {
        id,
        title,
        population,
        kind,
        weight_percent,
        complete: kind == Partition && !LEAVE_OUT_BLANKS.contains(&id),
        cells,
    };
    let counts = same_labels(&["0", "1", "2", "3", "4", "5+"]);
    let feedback = code_cells::<Feedback>(false);
    ReportSpec {
        id: SpecId::MspQuarterlyV1,
        selection: Selection::CodeOrder,
        tables: vec![
            table(
                "concern_outcome",
                "What concerns led to",
                Concerns,
                Partition,
                3,
                cells(&[
                    ("s42_enquiry", "Section 42 enquiry"),
                    ("other_enquiry", "Other safeguarding enquiry"),
                    ("no_enquiry", "No enquiry"),
                    ("pending", "Decision pending"),
                ]),
            ),
            table(
                "enquiry_type",
                "Type of concluded enquiry",
                Concluded,
                Partition,
                4,
                cells(&[("s42", "Section 42 enquiry"), ("other", "Other safeguarding enquiry")]),
            ),
            table(
                "enquiries_concluded",
                "Enquiries concluded per person in the quarter",
                Concluded,
                Partition,
                2,
                same_labels(&["1", "2", "3+"]),
            ),
            table(
                "msp_outcomes",
                "Making Safeguarding Personal: outcomes asked, expressed and achieved",
                Concluded,
                Partition,
                16,
                cells(&MSP_OUTCOME_CELLS),
            ),
            table("risk_action", "Risk assessment and action", Concluded, Partition, 4, code_cells::<RiskAction>(true)),
            table("risk_outcome", "What happened to the risk", Concluded, Partition, 4, cells(&RISK_OUTCOME_CELLS)),
            table("risk_type", "Types of risk", Concluded, multi, 6, code_cells::<RiskType>(false)),
            table("risk_location", "Location of risk", Concluded, Partition, 4, code_cells::<RiskLocation>(true)),
            table("risk_source", "Source of risk", Concluded, Partition, 3, code_cells::<RiskSource>(true)),
            table(
                "capacity",
                "Mental capacity and support",
                Concluded,
                Partition,
                5,
                cells(&[
                    ("had_capacity", "Did not lack capacity"),
                    ("lacked_advocate", "Lacked capacity, supported by an advocate"),
                    ("lacked_family_friend", "Lacked capacity, supported by family or a friend"),
                    ("lacked_no_support", "Lacked capacity, not supported"),
                    ("lacked_support_unknown", "Lacked capacity, support not known"),
                    ("unknown", "Not known"),
                ]),
            ),
            table(
                "desired_outcomes",
                "Outcomes people wanted",
                Concluded,
                multi,
                5,
                code_cells::<DesiredOutcome>(false),
            ),
            table("days_to_conclude", "Days from concern to conclusion", Concluded, Partition, 4, {
                let mut c: Vec<&str> = DAYS_BUCKETS.iter().map(|(_, l)| *l).collect();
                c.push("366+");
                same_labels(&c)
            }),
            table(
                "days_to_conclude_sum",
                "Total days from concern to conclusion (each capped at 365)",
                Concluded,
                ClampedSum { upper: DAYS_SUM_UPPER },
                2,
                sum_cell("Sum of days"),
            ),
            table("meetings_with_person", "Meetings with the person", Concluded, Partition, 2, counts.clone()),
            table(
                "meetings_with_person_sum",
                "Total meetings with the person (each capped at 10)",
                Concluded,
                ClampedSum { upper: MEETINGS_SUM_UPPER },
                2,
                sum_cell("Sum of meetings"),
            ),
            table("multiagency_meetings", "Multi-agency meetings", Concluded, Partition, 2, counts),
            table(
                "multiagency_meetings_sum",
                "Total multi-agency meetings (each capped at 10)",
                Concluded,
                ClampedSum { upper: MEETINGS_SUM_UPPER },
                2,
                sum_cell("Sum of meetings"),
            ),
            table("staff_hours", "Staff hours on the enquiry", Concluded, Partition, 2, {
                let mut c: Vec<&str> = HOURS_BUCKETS.iter().map(|(_, l)| *l).collect();
                c.extend(["40+", "unrecorded"]);
                same_labels(&c)
            }),
            table(
                "staff_hours_sum",
                "Total staff hours (whole hours rounded up, each capped at 80)",
                Concluded,
                ClampedSum { upper: HOURS_SUM_UPPER },
                2,
                sum_cell("Sum of hours"),
            ),
            table(
                "repeat_within_12m",
                "Repeat enquiries within 12 months",
                Concluded,
                Partition,
                3,
                cells(&[
                    ("first", "No concluded enquiry in the previous 12 months"),
                    ("repeat", "Another concluded enquiry in the previous 12 months"),
                ]),
            ),
            table("approaches", "Approaches used", Concluded, multi, 4, code_cells::<Approach>(false)),
            table("feedback_felt_safer", "Did the person feel safer?", Concluded, Partition, 2, feedback.clone()),
            table("feedback_listened_to", "Did the person feel listened to?", Concluded, Partition, 2, feedback),
            table(
                "msp_by_support_reason",
                "MSP outcomes by primary support reason",
                Concluded,
                Partition,
                5,
                msp_by::<SupportReason>(),
            ),
            table("msp_by_age_band", "MSP outcomes by age band", Concluded, Partition, 4, msp_by::<AgeBand>()),
            table("msp_by_ethnicity", "MSP outcomes by ethnic group", Concluded, Partition, 4, msp_by::<Ethnicity>()),
            table("msp_by_sex", "MSP outcomes by sex", Concluded, Partition, 2, msp_by::<Sex>()),
        ],
        margins: vec![Margins { table: "msp_outcomes", crossed: MSP_OUTCOMES_CROSSED.to_vec() }],
    }
});

/// `msp-quarterly/2`'s share of the budget for each of `/1`'s tables, in whole percent, and its
/// new tables' (see [`MSP_QUARTERLY_V2`]).
pub const V2_WEIGHTS: [(&str, u32); 32] = [
    ("concern_outcome", 2),
    ("enquiry_type", 1),
    ("enquiries_concluded", 1),
    ("msp_outcomes", 25),
    ("risk_action", 2),
    ("risk_outcome", 3),
    ("risk_type", 2),
    ("risk_location", 2),
    ("risk_source", 1),
    ("capacity", 5),
    ("desired_outcomes", 2),
    ("days_to_conclude", 2),
    ("days_to_conclude_sum", 5),
    ("meetings_with_person", 2),
    ("meetings_with_person_sum", 6),
    ("multiagency_meetings", 2),
    ("multiagency_meetings_sum", 3),
    ("staff_hours", 2),
    ("staff_hours_sum", 5),
    ("repeat_within_12m", 3),
    ("approaches", 1),
    ("feedback_felt_safer", 2),
    ("feedback_listened_to", 2),
    ("msp_by_support_reason", 2),
    ("msp_by_age_band", 2),
    ("msp_by_ethnicity", 2),
    ("msp_by_sex", 1),
    ("msp_by_enquiry_type", 7),
    ("risk_outcome_by_enquiry_type", 2),
    ("negotiated_outcomes", 1),
    ("msp_by_approach", 1),
    ("msp_by_risk_type", 1),
];

/// The centres of `msp-quarterly/2`'s sums: near a typical council's mean, so that the noise of
/// the count the mean divides by adds little, while halving or more the range one person adds.
pub const V2_CENTRES: [(&str, u32, &str); 4] = [
    ("days_to_conclude_sum", 182, "Total days from concern to conclusion (each capped at 365), less 182 a person"),
    ("meetings_with_person_sum", 2, "Total meetings with the person (each capped at 10), less 2 a person recorded"),
    ("multiagency_meetings_sum", 1, "Total multi-agency meetings (each capped at 10), less 1 a person recorded"),
    ("staff_hours_sum", 30, "Total staff hours (whole hours rounded up, each capped at 80), less 30 a person recorded"),
];

/// `msp-quarterly/2`: every table of `/1`, with the same cells, population and meaning, then
/// five new ones. What changes, and why:
/// - **Weights** ([`V2_WEIGHTS`]) chosen by need: each headline measure's expected 95% interval
///   at a council of 250 people a quarter, at ρ = 0.5, meets its target (outcomes fully achieved
///   ±3 points, mean days ±8, mean meetings ±0.3, mean staff hours ±2.5 hours) with the least
///   share, and what is left is spread over the other tables in proportion to their `/1` shares
///   (each at least 1%). The node's test of the targets recomputes them.
/// - **Centred sums** ([`V2_CENTRES`]): the same clamped values as `/1`'s sums, each less a
///   public centre, so one person moves the sum by at most max(centre, cap − centre) rather than
///   the cap, and `/1` and `/2` means are the same quantity.
/// - **Fair selection**: a person with more than three risk types, desired or negotiated
///   outcomes or approaches keeps three chosen by a keyed hash ([`Selection::KeyedHash`]).
/// - **New tables**: MSP outcomes and risk outcomes by enquiry type (section 42 or other: the
///   SAC counts section 42 enquiries, and each is also a measurement of the all-enquiry table's
///   cells), negotiated outcomes (among people who expressed outcomes, as desired outcomes), and
///   MSP outcomes by approach and by risk type (each person in up to three groups).
static MSP_QUARTERLY_V2: LazyLock<ReportSpec> = LazyLock::new(|| {
    use Population::Concluded;
    use TableKind::{CentredSum, MultiValued, Partition};
    let v1 = SpecId::MspQuarterlyV1.spec();
    let weight = |id: &str| V2_WEIGHTS.iter().find(|(t, _)| *t == id).map(|(_, w)| *w).expect("a v2 weight");
    let mut tables: Vec<TableSpec> = v1
        .tables
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.weight_percent = weight(t.id);
            if let (TableKind::ClampedSum { upper }, Some((_, centre, title))) =
                (t.kind, V2_CENTRES.iter().find(|(id, ..)| *id == t.id))
            {
                t.kind = CentredSum { upper, centre: *centre };
                t.title = title;
            }
            t
        })
        .collect();
    let multi = MultiValued { k: MULTI_K };
    let table = |id, title, kind, cells| TableSpec {
        id,
        title,
        population: Concluded,
        kind,
        weight_percent: weight(id),
        complete: kind == Partition,
        cells,
    };
    let enquiry = cells(&ENQUIRY_GROUPS);
    let outcomes = cells(&MSP_OUTCOME_CELLS);
    tables.extend([
        table("msp_by_enquiry_type", "MSP outcomes by type of enquiry", Partition, crossed(&enquiry, &outcomes)),
        table(
            "risk_outcome_by_enquiry_type",
            "What happened to the risk, by type of enquiry",
            Partition,
            crossed(&enquiry, &cells(&RISK_OUTCOME_CELLS)),
        ),
        table("negotiated_outcomes", "Outcomes agreed as realistic", multi, code_cells::<DesiredOutcome>(false)),
        table(
            "msp_by_approach",
            "MSP outcomes by approach used (each person under up to three approaches)",
            multi,
            crossed(&code_cells::<Approach>(false), &outcomes),
        ),
        table(
            "msp_by_risk_type",
            "MSP outcomes by type of risk (each person under up to three types)",
            multi,
            crossed(&code_cells::<RiskType>(false), &outcomes),
        ),
    ]);
    let mut msp_crossed = MSP_OUTCOMES_CROSSED.to_vec();
    msp_crossed.push("msp_by_enquiry_type");
    ReportSpec {
        id: SpecId::MspQuarterlyV2,
        selection: Selection::KeyedHash,
        tables,
        margins: vec![
            Margins { table: "msp_outcomes", crossed: msp_crossed },
            Margins { table: "risk_outcome", crossed: vec!["risk_outcome_by_enquiry_type"] },
        ],
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn spec() -> &'static ReportSpec {
        SpecId::MspQuarterlyV1.spec()
    }

    fn codes(table: &str) -> Vec<String> {
        spec().table(table).unwrap().cells.iter().map(|c| c.code.clone()).collect()
    }

    fn list<T: CodeList>(extra: &[&str]) -> Vec<String> {
        T::codes().into_iter().chain(extra.iter().copied()).map(str::to_owned).collect()
    }

    #[test]
    fn weights_sum_to_exactly_one() {
        for id in SpecId::ALL {
            let total: u32 = id.spec().tables.iter().map(|t| t.weight_percent).sum();
            assert_eq!(total, 100, "{id}");
            assert!(id.spec().tables.iter().all(|t| t.weight_percent > 0), "{id}");
        }
        assert_eq!(V2_WEIGHTS.len(), SpecId::MspQuarterlyV2.spec().tables.len());
    }

    #[test]
    fn version_2_keeps_every_table_of_version_1_with_the_same_cells_and_people() {
        let v2 = SpecId::MspQuarterlyV2.spec();
        assert_eq!(
            &v2.tables[..spec().tables.len()].iter().map(|t| t.id).collect::<Vec<_>>(),
            &spec().tables.iter().map(|t| t.id).collect::<Vec<_>>()
        );
        for t in &spec().tables {
            let u = v2.table(t.id).unwrap();
            assert_eq!((&u.cells, u.population), (&t.cells, t.population), "{}", t.id);
            match (t.kind, u.kind) {
                (TableKind::ClampedSum { upper }, TableKind::CentredSum { upper: u2, centre }) => {
                    assert_eq!(upper, u2, "{}: the same cap, so the means are the same quantity", t.id);
                    assert!(centre > 0 && centre < upper);
                    assert!(u.l2_sensitivity() < t.l2_sensitivity(), "{}", t.id);
                }
                (a, b) => assert_eq!(a, b, "{}", t.id),
            }
        }
        let ids: HashSet<_> = v2.tables.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), v2.tables.len());
        assert_eq!((spec().selection, v2.selection), (Selection::CodeOrder, Selection::KeyedHash));
    }

    #[test]
    fn centred_sums_bound_what_one_person_adds() {
        let v2 = SpecId::MspQuarterlyV2.spec();
        let days = v2.table("days_to_conclude_sum").unwrap();
        assert_eq!(days.kind, TableKind::CentredSum { upper: 365, centre: 182 });
        assert_eq!(days.l2_sensitivity(), 183.0);
        assert_eq!(days.per_person(), (-182.0, 183.0));
        assert_eq!(days.centre(), 182.0);
        assert_eq!(spec().table("days_to_conclude_sum").unwrap().centre(), 0.0);
        for (id, centre, title) in V2_CENTRES {
            assert!(title.contains(&format!("less {centre} a person")), "{id}: the title names the centre: {title}");
            assert_eq!(v2.table(id).unwrap().centre(), f64::from(centre), "{id}");
        }
        let hours = v2.table("staff_hours_sum").unwrap();
        assert_eq!((hours.l2_sensitivity(), hours.per_person()), (50.0, (-30.0, 50.0)));
    }

    #[test]
    fn the_spec_has_the_27_tables_of_design_section_6_in_order() {
        let ids: Vec<_> = spec().tables.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), 27);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 27);
        assert_eq!(ids[0], "concern_outcome");
        assert_eq!(ids[3], "msp_outcomes");
        assert_eq!(ids[26], "msp_by_sex");
        assert_eq!(spec().table("msp_outcomes").unwrap().weight_percent, 16);
    }

    #[test]
    fn each_tables_sensitivity_follows_the_rule_of_design_section_4() {
        let expected = |id: &str| -> f64 {
            match id {
                "risk_type" | "desired_outcomes" | "approaches" => 3f64.sqrt(),
                "days_to_conclude_sum" => 365.0,
                "meetings_with_person_sum" | "multiagency_meetings_sum" => 10.0,
                "staff_hours_sum" => 80.0,
                _ => 1.0,
            }
        };
        for t in &spec().tables {
            assert_eq!(t.l2_sensitivity(), expected(t.id), "{}", t.id);
            if let TableKind::ClampedSum { .. } = t.kind {
                assert_eq!(t.cells.len(), 1, "{}", t.id);
            }
        }
    }

    #[test]
    fn only_the_concern_outcome_table_counts_concerns() {
        for t in &spec().tables {
            assert_eq!(t.population == Population::Concerns, t.id == "concern_outcome", "{}", t.id);
        }
    }

    #[test]
    fn cell_lists_match_the_code_lists() {
        assert_eq!(codes("risk_type"), list::<RiskType>(&[]));
        assert_eq!(codes("desired_outcomes"), list::<DesiredOutcome>(&[]));
        assert_eq!(codes("approaches"), list::<Approach>(&[]));
        assert_eq!(codes("risk_action"), list::<RiskAction>(&["unknown"]));
        assert_eq!(codes("risk_location"), list::<RiskLocation>(&["unknown"]));
        assert_eq!(codes("risk_source"), list::<RiskSource>(&["unknown"]));
        assert_eq!(codes("feedback_felt_safer"), list::<Feedback>(&[]));
        assert_eq!(codes("feedback_listened_to"), list::<Feedback>(&[]));
        assert_eq!(codes("risk_action").len(), 8);
        assert_eq!(codes("risk_location").len(), 10);
        assert_eq!(codes("days_to_conclude"), ["0-7", "8-28", "29-56", "57-91", "92-182", "183-365", "366+"]);
        assert_eq!(codes("staff_hours"), ["0-5", "5-10", "10-20", "20-40", "40+", "unrecorded"]);
        assert_eq!(codes("meetings_with_person"), ["0", "1", "2", "3", "4", "5+"]);
    }

    #[test]
    fn cross_tables_are_msp_outcomes_by_each_group() {
        fn check<T: CodeList>(table: &str) {
            let cells = codes(table);
            assert_eq!(cells.len(), T::ALL.len() * MSP_OUTCOME_CELLS.len(), "{table}");
            for (i, g) in T::ALL.iter().enumerate() {
                for (j, (m, _)) in MSP_OUTCOME_CELLS.iter().enumerate() {
                    assert_eq!(cells[i * MSP_OUTCOME_CELLS.len() + j], format!("{}:{m}", g.code()));
                }
            }
        }
        check::<SupportReason>("msp_by_support_reason");
        check::<AgeBand>("msp_by_age_band");
        check::<Ethnicity>("msp_by_ethnicity");
        check::<Sex>("msp_by_sex");
        let crossed: Vec<&str> = spec().tables.iter().filter(|t| t.id.starts_with("msp_by_")).map(|t| t.id).collect();
        assert_eq!(crossed, MSP_OUTCOMES_CROSSED);
        assert_eq!(spec().margins, [Margins { table: "msp_outcomes", crossed: MSP_OUTCOMES_CROSSED.to_vec() }]);
    }

    /// What the coordinator relies on to combine a table with the tables that cross it: the same
    /// people, each in exactly one group (a partition, whose groups include "unknown" or cover
    /// every value, as the node's tests check on people), cells `group:cell` group-major.
    #[test]
    fn every_crossed_table_is_its_tables_cells_by_a_partition_of_the_same_people() {
        for id in SpecId::ALL {
            let spec = id.spec();
            for m in &spec.margins {
                let own = spec.table(m.table).unwrap();
                for c in &m.crossed {
                    let t = spec.table(c).unwrap();
                    assert_eq!(
                        (t.population, t.kind, own.kind),
                        (own.population, TableKind::Partition, TableKind::Partition),
                        "{c}"
                    );
                    let n = own.cells.len();
                    assert_eq!(t.cells.len() % n, 0, "{c}");
                    let groups: Vec<&str> =
                        t.cells.iter().step_by(n).map(|g| g.code.split_once(':').unwrap().0).collect();
                    for (i, cell) in t.cells.iter().enumerate() {
                        assert_eq!(cell.code, format!("{}:{}", groups[i / n], own.cells[i % n].code), "{c}");
                    }
                }
            }
        }
        let v2 = SpecId::MspQuarterlyV2.spec();
        assert_eq!(v2.margins.len(), 2);
        assert_eq!(v2.margins[0].crossed.len(), 5);
    }

    #[test]
    fn cell_codes_are_unique_within_each_table() {
        for t in &spec().tables {
            let unique: HashSet<_> = t.cells.iter().map(|c| &c.code).collect();
            assert_eq!(unique.len(), t.cells.len(), "{}", t.id);
        }
    }

    #[test]
    fn buckets_place_boundaries_in_the_lower_cell() {
        assert_eq!(days_bucket(0), 0);
        assert_eq!(days_bucket(7), 0);
        assert_eq!(days_bucket(8), 1);
        assert_eq!(days_bucket(365), 5);
        assert_eq!(days_bucket(366), 6);
        assert_eq!(meetings_bucket(4), 4);
        assert_eq!(meetings_bucket(50), 5);
        assert_eq!(hours_bucket(None), 5);
        assert_eq!(hours_bucket(Some(0.0)), 0);
        assert_eq!(hours_bucket(Some(5.0)), 0);
        assert_eq!(hours_bucket(Some(5.5)), 1);
        assert_eq!(hours_bucket(Some(40.0)), 3);
        assert_eq!(hours_bucket(Some(40.1)), 4);
    }

    #[test]
    fn spec_ids_parse_and_refuse_unknown_versions() {
        assert_eq!("msp-quarterly/1".parse::<SpecId>().unwrap(), SpecId::MspQuarterlyV1);
        assert_eq!("msp-quarterly/2".parse::<SpecId>().unwrap(), SpecId::MspQuarterlyV2);
        let err = "msp-quarterly/3".parse::<SpecId>().unwrap_err();
        assert!(err.to_string().contains("msp-quarterly/1, msp-quarterly/2"));
        assert_eq!(SpecId::NEWEST, *SpecId::ALL.last().unwrap());
    }
}
