//! The truth beside a synthetic case file: exact counts and exact `msp-quarterly/1` tables for
//! every quarter generated, computed from the generator's own records.
//!
//! This is a second, independent implementation of the report's rules (DESIGN §4, §6), written
//! against the generator's records rather than the node's database. Tests hold the release
//! engine to it.

use std::collections::{BTreeMap, HashMap};

use msp_estimate::{Cells, Measure, Noisy};
use msp_schemas::{
    Period, SpecId,
    codes::{
        AgeBand, CapacitySupport, CodeList, EnquiryType, Ethnicity, LackedCapacity, OutcomesAchieved, OutcomesAsked,
        RiskAction, Sex, SupportReason,
    },
    spec::{self, MSP_OUTCOME_CELLS},
};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::{
    CouncilProfile, SynthOptions,
    generator::{Concern, Person},
};

/// The truth of one synthetic case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Truth {
    /// The council.
    pub council: String,
    /// The seed the draws used.
    pub seed: u64,
    /// The latest quarter generated.
    pub period: String,
    /// The council's true rates.
    pub profile: serde_json::Value,
    /// Rows in the file.
    pub rows: u64,
    /// Every quarter generated, oldest first.
    pub quarters: Vec<QuarterTruth>,
}

impl Truth {
    /// The truth for one quarter.
    pub fn quarter(&self, period: &str) -> Option<&QuarterTruth> {
        self.quarters.iter().find(|q| q.period == period)
    }
}

/// Exact figures for one quarter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuarterTruth {
    /// The quarter.
    pub period: String,
    /// Concerns received in the quarter.
    pub concerns: u64,
    /// People with a concern received in the quarter.
    pub people_with_concerns: u64,
    /// Enquiries concluded in the quarter.
    pub concluded_enquiries: u64,
    /// People with an enquiry concluded in the quarter.
    pub people_concluded: u64,
    /// Exact values of every msp-quarterly/1 table, by table id, cells in spec order.
    pub tables: BTreeMap<String, Vec<i64>>,
    /// The headline measures (msp-estimate's definitions) computed from the exact tables:
    /// proportions in [0, 1], means in their units.
    pub headline: BTreeMap<String, f64>,
}

fn advancement(t: Option<EnquiryType>) -> usize {
    match t {
        Some(EnquiryType::S42) => 0,
        Some(EnquiryType::Other) => 1,
        Some(EnquiryType::NoEnquiry) => 2,
        None => 3,
    }
}

fn msp_cell(c: &Concern) -> usize {
    let d = &c.detail;
    match d.outcomes_asked {
        Some(OutcomesAsked::AskedExpressed) => match d.achieved {
            Some(OutcomesAchieved::Fully) => 0,
            Some(OutcomesAchieved::Partially) => 1,
            Some(OutcomesAchieved::NotAchieved) => 2,
            None => 3,
        },
        Some(OutcomesAsked::AskedNotExpressed) => 4,
        Some(OutcomesAsked::NotAsked) => 5,
        Some(OutcomesAsked::Unknown) | None => 6,
    }
}

fn risk_outcome_cell(c: &Concern) -> usize {
    let d = &c.detail;
    match (d.risk_action, d.risk_outcome) {
        (Some(RiskAction::NoRiskAction | RiskAction::NoRiskNoAction), _) => 3,
        (_, Some(o)) => o.index(),
        (Some(RiskAction::RiskAction | RiskAction::RiskNoAction), None) => 4,
        (Some(_), None) => 3,
        (None, None) => 4,
    }
}

fn capacity_cell(c: &Concern) -> usize {
    let d = &c.detail;
    match d.lacked_capacity {
        Some(LackedCapacity::No) => 0,
        Some(LackedCapacity::Yes) => match d.capacity_support {
            Some(CapacitySupport::Advocate) => 1,
            Some(CapacitySupport::FamilyFriend) => 2,
            Some(CapacitySupport::NoSupport) => 3,
            Some(CapacitySupport::Unknown) | None => 4,
        },
        Some(LackedCapacity::Unknown) | None => 5,
    }
}

fn code_or_unknown<T: CodeList>(v: Option<T>) -> usize {
    v.map_or(T::ALL.len(), CodeList::index)
}

/// Exact tables for the people of `period`.
fn tables(
    period: Period,
    people: &[Person],
    concerns: &[Concern],
    concluded_by_person: &HashMap<usize, Vec<Date>>,
) -> (BTreeMap<String, Vec<i64>>, [u64; 4]) {
    let spec = SpecId::MspQuarterlyV1.spec();
    let mut t: BTreeMap<String, Vec<i64>> =
        spec.tables.iter().map(|s| (s.id.to_owned(), vec![0; s.cells.len()])).collect();
    let mut add = |table: &str, cell: usize, v: i64| t.get_mut(table).expect("a spec table")[cell] += v;

    // Concerns population: each person's most advanced concern received in the quarter.
    let mut concern_best: HashMap<usize, usize> = HashMap::new();
    let mut n_concerns = 0;
    for c in concerns.iter().filter(|c| period.contains(c.concern)) {
        n_concerns += 1;
        let rank = advancement(c.enquiry_type);
        concern_best.entry(c.person).and_modify(|r| *r = (*r).min(rank)).or_insert(rank);
    }
    for rank in concern_best.values() {
        add("concern_outcome", *rank, 1);
    }

    // Concluded population: each person's latest enquiry concluded in the quarter.
    let mut latest: HashMap<usize, (&Concern, u64)> = HashMap::new();
    let mut n_concluded = 0;
    for c in concerns.iter().filter(|c| c.concluded.is_some_and(|d| period.contains(d))) {
        n_concluded += 1;
        let key = |c: &Concern| (c.concluded, c.concern, c.seq);
        latest
            .entry(c.person)
            .and_modify(|(best, n)| {
                *n += 1;
                if key(c) > key(best) {
                    *best = c;
                }
            })
            .or_insert((c, 1));
    }
    for (person, (c, n)) in &latest {
        let p = &people[*person];
        let d = &c.detail;
        let concluded = c.concluded.expect("concluded");
        add("enquiry_type", usize::from(c.enquiry_type == Some(EnquiryType::Other)), 1);
        add("enquiries_concluded", (*n).min(3) as usize - 1, 1);
        let msp = msp_cell(c);
        add("msp_outcomes", msp, 1);
        add("risk_action", code_or_unknown(d.risk_action), 1);
        add("risk_outcome", risk_outcome_cell(c), 1);
        for r in d.risk_types.first(spec::MULTI_K as usize).iter() {
            add("risk_type", r.index(), 1);
        }
        add("risk_location", code_or_unknown(d.location), 1);
        add("risk_source", code_or_unknown(d.source), 1);
        add("capacity", capacity_cell(c), 1);
        if d.outcomes_asked == Some(OutcomesAsked::AskedExpressed) {
            for o in d.desired.first(spec::MULTI_K as usize).iter() {
                add("desired_outcomes", o.index(), 1);
            }
        }
        let days = (concluded - c.concern).whole_days();
        add("days_to_conclude", spec::days_bucket(days as u32), 1);
        add("days_to_conclude_sum", 0, days.clamp(0, i64::from(spec::DAYS_SUM_UPPER)));
        for (table, sum, v) in [
            ("meetings_with_person", "meetings_with_person_sum", d.meetings),
            ("multiagency_meetings", "multiagency_meetings_sum", d.multiagency),
        ] {
            if let Some(m) = v {
                add(table, spec::meetings_bucket(m), 1);
                add(sum, 0, i64::from(m.min(spec::MEETINGS_SUM_UPPER)));
            }
        }
        add("staff_hours", spec::hours_bucket(d.hours), 1);
        add("staff_hours_sum", 0, d.hours.map_or(0, |h| (h.ceil() as i64).clamp(0, i64::from(spec::HOURS_SUM_UPPER))));
        let window = (c.concern - Duration::days(365), c.concern);
        let repeat = concluded_by_person[person].iter().any(|d| window.0 <= *d && *d < window.1);
        add("repeat_within_12m", usize::from(repeat), 1);
        for a in d.approaches.first(spec::MULTI_K as usize).iter() {
            add("approaches", a.index(), 1);
        }
        if let Some(f) = d.felt_safer {
            add("feedback_felt_safer", f.index(), 1);
        }
        if let Some(f) = d.listened_to {
            add("feedback_listened_to", f.index(), 1);
        }
        let m = MSP_OUTCOME_CELLS.len();
        add("msp_by_support_reason", code_or_unknown_of(p.support_reason, SupportReason::Unknown) * m + msp, 1);
        add("msp_by_age_band", code_or_unknown_of(p.age_band, AgeBand::Unknown) * m + msp, 1);
        add("msp_by_ethnicity", code_or_unknown_of(p.ethnicity, Ethnicity::Unknown) * m + msp, 1);
        add("msp_by_sex", code_or_unknown_of(p.sex, Sex::Unknown) * m + msp, 1);
    }
    (t, [n_concerns, concern_best.len() as u64, n_concluded, latest.len() as u64])
}

/// The group of a person in a cross table: their code, or the list's own `unknown` when blank.
fn code_or_unknown_of<T: CodeList>(v: Option<T>, unknown: T) -> usize {
    v.unwrap_or(unknown).index()
}

/// The exact tables as cells with no noise.
struct Exact<'a>(&'a BTreeMap<String, Vec<i64>>);

impl Cells for Exact<'_> {
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        Some(Noisy { value: *self.0.get(table)?.get(cell)? as f64, variance: 0.0 })
    }
}

fn headline(t: &BTreeMap<String, Vec<i64>>) -> BTreeMap<String, f64> {
    Measure::ALL.iter().filter_map(|m| Some((m.id().to_owned(), m.estimate(&Exact(t))?.value))).collect()
}

pub(super) fn compute(
    options: &SynthOptions,
    profile: &CouncilProfile,
    quarters: &[Period],
    people: &[Person],
    concerns: &[Concern],
) -> Truth {
    let mut concluded_by_person: HashMap<usize, Vec<Date>> = HashMap::new();
    for c in concerns {
        if let Some(d) = c.concluded {
            concluded_by_person.entry(c.person).or_default().push(d);
        }
    }
    let quarters = quarters
        .iter()
        .map(|q| {
            let (tables, n) = tables(*q, people, concerns, &concluded_by_person);
            QuarterTruth {
                period: q.to_string(),
                concerns: n[0],
                people_with_concerns: n[1],
                concluded_enquiries: n[2],
                people_concluded: n[3],
                headline: headline(&tables),
                tables,
            }
        })
        .collect();
    Truth {
        council: options.council.as_str().to_owned(),
        seed: options.seed,
        period: options.period.to_string(),
        profile: serde_json::to_value(profile).expect("the profile serialises"),
        rows: concerns.len() as u64,
        quarters,
    }
}
