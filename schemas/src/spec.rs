//! `msp-quarterly/1`: the fixed tables every quarterly release carries (DESIGN §6), as data.
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
}

impl SpecId {
    /// Every supported spec.
    pub const ALL: [SpecId; 1] = [SpecId::MspQuarterlyV1];

    /// The spec's identifier, as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecId::MspQuarterlyV1 => "msp-quarterly/1",
        }
    }

    /// The spec's tables.
    pub fn spec(self) -> &'static ReportSpec {
        match self {
            SpecId::MspQuarterlyV1 => &MSP_QUARTERLY_V1,
        }
    }
}

/// A report spec the network does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a report spec this software supports (supported: msp-quarterly/1)")]
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
        schemars::json_schema!({ "type": "string", "enum": ["msp-quarterly/1"] })
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
    /// The tables, in release order.
    pub tables: Vec<TableSpec>,
}

impl ReportSpec {
    /// The table with this id.
    pub fn table(&self, id: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.id == id)
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
    let mut out = Vec::new();
    for g in T::ALL {
        for (code, label) in MSP_OUTCOME_CELLS {
            out.push(Cell { code: format!("{}:{code}", g.code()), label: format!("{}: {label}", g.label()) });
        }
    }
    out
}

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
        cells,
    };
    let counts = same_labels(&["0", "1", "2", "3", "4", "5+"]);
    let feedback = code_cells::<Feedback>(false);
    ReportSpec {
        id: SpecId::MspQuarterlyV1,
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
            table(
                "risk_outcome",
                "What happened to the risk",
                Concluded,
                Partition,
                4,
                cells(&[
                    ("removed", "Risk removed"),
                    ("reduced", "Risk reduced"),
                    ("remains", "Risk remains"),
                    ("not_applicable", "No risk identified"),
                    ("unknown", "Not recorded"),
                ]),
            ),
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
        let total: u32 = spec().tables.iter().map(|t| t.weight_percent).sum();
        assert_eq!(total, 100);
        assert!(spec().tables.iter().all(|t| t.weight_percent > 0));
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
        // What the coordinator relies on to combine them with msp_outcomes: the same people, each
        // in exactly one group, and a group for people whose value is not recorded.
        let table = |id: &str| spec().tables.iter().find(|t| t.id == id).unwrap();
        let own = table("msp_outcomes");
        let crossed: Vec<&str> = spec().tables.iter().filter(|t| t.id.starts_with("msp_by_")).map(|t| t.id).collect();
        assert_eq!(crossed, MSP_OUTCOMES_CROSSED);
        for id in MSP_OUTCOMES_CROSSED {
            let t = table(id);
            assert_eq!((t.population, t.kind), (own.population, own.kind), "{id}");
            assert!(t.cells.iter().any(|c| c.code.starts_with("unknown:")), "{id} has no group for unknown");
        }
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
        let err = "msp-quarterly/2".parse::<SpecId>().unwrap_err();
        assert!(err.to_string().contains("msp-quarterly/1"));
    }
}
