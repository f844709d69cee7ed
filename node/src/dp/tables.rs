//! Each person's contribution to each table of a report spec, and the exact table vectors.
//!
//! The rules, fixed by the spec version (DESIGN §6), where a record leaves something blank:
//! - `msp_outcomes`: asked and expressed → by achievement (blank: `expressed_unrecorded`);
//!   asked, none expressed; not asked; `unknown` or blank → `unknown`.
//! - `risk_outcome`: no risk identified → `not_applicable` (even if an outcome was recorded);
//!   otherwise the recorded outcome; blank after an identified risk, or with no assessment
//!   recorded → `unknown`; blank after an inconclusive assessment or a ceased enquiry →
//!   `not_applicable`.
//! - `capacity`: did not lack → `had_capacity`; lacked → by support (blank: `lacked_support_unknown`);
//!   `unknown` or blank → `unknown`.
//! - `desired_outcomes` (and `/2`'s `negotiated_outcomes`) count only people who expressed
//!   outcomes; a person with more than 3 codes keeps 3: in `/1` the first in code-list order, in
//!   `/2` the 3 with the smallest keyed hash ([`keep`]).
//! - Meeting counts and feedback left blank are not counted in their tables (each person is in
//!   at most one cell); sums add 0 for them (`/2`'s centred sums add nothing: the mean divides by
//!   the people whose value is recorded). Unrecorded staff hours have their own cell.
//! - Cross tables place blank demographics in the list's own `unknown` group; `/2`'s tables by
//!   enquiry type split people as `enquiry_type` does (a blank type counts as section 42), and
//!   its tables by approach and by risk type count a person under each of the (at most 3) codes
//!   `approaches` and `risk_type` keep for them.

use msp_schemas::{
    codes::{
        AgeBand, CapacitySupport, CodeList, CodeSet, EnquiryType, Ethnicity, LackedCapacity, OutcomesAchieved,
        OutcomesAsked, RiskAction, Sex, SupportReason,
    },
    spec::{self, MSP_OUTCOME_CELLS, ReportSpec, Selection, TableSpec},
};

use super::persons::{Concluded, Person, PersonKey, code_or_unknown};
use crate::store::record::StoredCase;

macro_rules! table_ids {
    ($($variant:ident => $id:literal,)+) => {
        /// The tables of `msp-quarterly/1`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum TableId {
            $(
                #[doc = concat!("`", $id, "`")]
                $variant,
            )+
        }

        impl TableId {
            /// The table with this spec id.
            pub fn from_spec_id(id: &str) -> Option<TableId> {
                match id {
                    $($id => Some(TableId::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

table_ids! {
    ConcernOutcome => "concern_outcome",
    EnquiryType => "enquiry_type",
    EnquiriesConcluded => "enquiries_concluded",
    MspOutcomes => "msp_outcomes",
    RiskAction => "risk_action",
    RiskOutcome => "risk_outcome",
    RiskType => "risk_type",
    RiskLocation => "risk_location",
    RiskSource => "risk_source",
    Capacity => "capacity",
    DesiredOutcomes => "desired_outcomes",
    DaysToConclude => "days_to_conclude",
    DaysToConcludeSum => "days_to_conclude_sum",
    MeetingsWithPerson => "meetings_with_person",
    MeetingsWithPersonSum => "meetings_with_person_sum",
    MultiagencyMeetings => "multiagency_meetings",
    MultiagencyMeetingsSum => "multiagency_meetings_sum",
    StaffHours => "staff_hours",
    StaffHoursSum => "staff_hours_sum",
    RepeatWithin12m => "repeat_within_12m",
    Approaches => "approaches",
    FeedbackFeltSafer => "feedback_felt_safer",
    FeedbackListenedTo => "feedback_listened_to",
    MspBySupportReason => "msp_by_support_reason",
    MspByAgeBand => "msp_by_age_band",
    MspByEthnicity => "msp_by_ethnicity",
    MspBySex => "msp_by_sex",
    MspByEnquiryType => "msp_by_enquiry_type",
    RiskOutcomeByEnquiryType => "risk_outcome_by_enquiry_type",
    NegotiatedOutcomes => "negotiated_outcomes",
    MspByApproach => "msp_by_approach",
    MspByRiskType => "msp_by_risk_type",
}

/// How one table of a spec counts a person: the table, and what the spec fixes about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The table.
    pub id: TableId,
    /// Which values a multi-valued field keeps.
    pub selection: Selection,
    /// What a centred sum takes off each person's value (0 otherwise).
    pub centre: i64,
}

impl Rule {
    /// The rule for `table` of `spec`, if this build has one.
    pub fn of(spec: &ReportSpec, table: &TableSpec) -> Option<Rule> {
        Some(Rule { id: TableId::from_spec_id(table.id)?, selection: spec.selection, centre: table.centre() as i64 })
    }
}

/// The (at most) `k` codes of `set` a person keeps: with `CodeOrder` the first in code-list
/// order; with `KeyedHash` those whose SHA-256 of (the person's key, the field's column name
/// `field`, the code) is smallest. The person key is an HMAC under the node's secret, so the choice is the same in
/// every release of the person and every table reading the list, gives every code the same
/// chance, and cannot be steered from outside the node. Depends on the person's own record only,
/// so the bound of `k` cells per person holds.
pub fn keep<T: CodeList>(set: &CodeSet<T>, k: usize, selection: Selection, key: &PersonKey, field: &str) -> CodeSet<T> {
    if set.len() <= k || selection == Selection::CodeOrder {
        return set.first(k);
    }
    let mut ranked: Vec<([u8; 8], T)> = set
        .iter()
        .map(|code| {
            let mut h = ring::digest::Context::new(&ring::digest::SHA256);
            h.update(key);
            h.update(field.as_bytes());
            h.update(&[0]);
            h.update(code.code().as_bytes());
            let d = h.finish();
            (d.as_ref()[..8].try_into().expect("8 bytes"), code)
        })
        .collect();
    ranked.sort_unstable_by_key(|(rank, _)| *rank);
    ranked.into_iter().take(k).map(|(_, c)| c).collect()
}

/// The `msp_outcomes` cell of an enquiry.
pub fn msp_cell(c: &StoredCase) -> usize {
    match c.outcomes_asked {
        Some(OutcomesAsked::AskedExpressed) => match c.outcomes_achieved {
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

/// The `risk_outcome` cell of an enquiry (removed, reduced, remains, not_applicable, unknown).
pub fn risk_outcome_cell(c: &StoredCase) -> usize {
    const NOT_APPLICABLE: usize = 3;
    const UNKNOWN: usize = 4;
    match (c.risk_action, c.risk_outcome) {
        (Some(RiskAction::NoRiskAction | RiskAction::NoRiskNoAction), _) => NOT_APPLICABLE,
        (_, Some(o)) => o.index(),
        (Some(RiskAction::RiskAction | RiskAction::RiskNoAction) | None, None) => UNKNOWN,
        (Some(_), None) => NOT_APPLICABLE,
    }
}

/// The `capacity` cell of an enquiry.
pub fn capacity_cell(c: &StoredCase) -> usize {
    match c.lacked_capacity {
        Some(LackedCapacity::No) => 0,
        Some(LackedCapacity::Yes) => match c.capacity_support {
            Some(CapacitySupport::Advocate) => 1,
            Some(CapacitySupport::FamilyFriend) => 2,
            Some(CapacitySupport::NoSupport) => 3,
            Some(CapacitySupport::Unknown) | None => 4,
        },
        Some(LackedCapacity::Unknown) | None => 5,
    }
}

fn group<T: CodeList>(v: Option<T>, unknown: T) -> usize {
    v.unwrap_or(unknown).index()
}

/// The `enquiry_type` cell of a concluded enquiry: 0 section 42 (or blank), 1 other.
fn enquiry_cell(c: &StoredCase) -> usize {
    usize::from(c.enquiry_type == Some(EnquiryType::Other))
}

/// Adds one person's contribution to the table `rule` counts into `out` (the table's cells, in
/// spec order).
///
/// The bound every caller relies on (and the tests check on adversarial people): a partition
/// gains at most 1 in one cell, a multi-valued table at most 1 in each of at most 3 distinct
/// cells, a clamped sum at most its cap, a centred sum between −centre and cap − centre.
pub fn contribute(rule: Rule, person: &Person, out: &mut [i64]) {
    let table = rule.id;
    if table == TableId::ConcernOutcome {
        if let Some(cell) = person.concern {
            out[usize::from(cell)] += 1;
        }
        return;
    }
    let Some(Concluded { case: c, enquiries, repeat, key }) = &person.concluded else { return };
    let k = spec::MULTI_K as usize;
    let days = c.concluded_day.map_or(0, |d| (d - c.concern_day).max(0)) as u32;
    let selection = rule.selection;
    // A sum's value: the clamped value less the centre (`/1`'s sums add 0 for a blank; a centred
    // sum adds nothing for one).
    let sum = |value: Option<u32>, upper: u32| match (value, rule.centre) {
        (v, 0) => i64::from(v.unwrap_or(0).min(upper)),
        (Some(v), centre) => i64::from(v.min(upper)) - centre,
        (None, _) => 0,
    };
    let m = MSP_OUTCOME_CELLS.len();
    match table {
        TableId::ConcernOutcome => unreachable!("handled above"),
        TableId::EnquiryType => out[enquiry_cell(c)] += 1,
        TableId::EnquiriesConcluded => out[(*enquiries).clamp(1, spec::ENQUIRIES_CAP) as usize - 1] += 1,
        TableId::MspOutcomes => out[msp_cell(c)] += 1,
        TableId::RiskAction => out[code_or_unknown(c.risk_action)] += 1,
        TableId::RiskOutcome => out[risk_outcome_cell(c)] += 1,
        TableId::RiskType => {
            keep(&c.risk_types, k, selection, key, "risk_types").iter().for_each(|r| out[r.index()] += 1)
        }
        TableId::RiskLocation => out[code_or_unknown(c.risk_location)] += 1,
        TableId::RiskSource => out[code_or_unknown(c.risk_source)] += 1,
        TableId::Capacity => out[capacity_cell(c)] += 1,
        TableId::DesiredOutcomes => {
            if c.outcomes_asked == Some(OutcomesAsked::AskedExpressed) {
                let kept = keep(&c.desired_outcomes, k, selection, key, "desired_outcomes");
                kept.iter().for_each(|o| out[o.index()] += 1);
            }
        }
        TableId::NegotiatedOutcomes => {
            if c.outcomes_asked == Some(OutcomesAsked::AskedExpressed) {
                let kept = keep(&c.negotiated_outcomes, k, selection, key, "negotiated_outcomes");
                kept.iter().for_each(|o| out[o.index()] += 1);
            }
        }
        TableId::DaysToConclude => out[spec::days_bucket(days)] += 1,
        TableId::DaysToConcludeSum => out[0] += sum(Some(days), spec::DAYS_SUM_UPPER),
        TableId::MeetingsWithPerson => {
            if let Some(m) = c.meetings_with_person {
                out[spec::meetings_bucket(m)] += 1;
            }
        }
        TableId::MeetingsWithPersonSum => out[0] += sum(c.meetings_with_person, spec::MEETINGS_SUM_UPPER),
        TableId::MultiagencyMeetings => {
            if let Some(m) = c.multiagency_meetings {
                out[spec::meetings_bucket(m)] += 1;
            }
        }
        TableId::MultiagencyMeetingsSum => out[0] += sum(c.multiagency_meetings, spec::MEETINGS_SUM_UPPER),
        TableId::StaffHours => out[spec::hours_bucket(c.staff_hours)] += 1,
        TableId::StaffHoursSum => {
            let upper = spec::HOURS_SUM_UPPER;
            out[0] += sum(c.staff_hours.map(|h| h.ceil().clamp(0.0, f64::from(upper)) as u32), upper);
        }
        TableId::RepeatWithin12m => out[usize::from(*repeat)] += 1,
        TableId::Approaches => {
            keep(&c.approaches, k, selection, key, "approaches").iter().for_each(|a| out[a.index()] += 1)
        }
        TableId::FeedbackFeltSafer => {
            if let Some(f) = c.feedback_felt_safer {
                out[f.index()] += 1;
            }
        }
        TableId::FeedbackListenedTo => {
            if let Some(f) = c.feedback_listened_to {
                out[f.index()] += 1;
            }
        }
        TableId::MspBySupportReason => {
            out[group(c.support_reason, SupportReason::Unknown) * MSP_OUTCOME_CELLS.len() + msp_cell(c)] += 1
        }
        TableId::MspByAgeBand => out[group(c.age_band, AgeBand::Unknown) * MSP_OUTCOME_CELLS.len() + msp_cell(c)] += 1,
        TableId::MspByEthnicity => {
            out[group(c.ethnicity, Ethnicity::Unknown) * MSP_OUTCOME_CELLS.len() + msp_cell(c)] += 1
        }
        TableId::MspBySex => out[group(c.sex, Sex::Unknown) * MSP_OUTCOME_CELLS.len() + msp_cell(c)] += 1,
        TableId::MspByEnquiryType => out[enquiry_cell(c) * m + msp_cell(c)] += 1,
        TableId::RiskOutcomeByEnquiryType => out[enquiry_cell(c) * RISK_OUTCOME_CELLS + risk_outcome_cell(c)] += 1,
        TableId::MspByApproach => keep(&c.approaches, k, selection, key, "approaches")
            .iter()
            .for_each(|a| out[a.index() * m + msp_cell(c)] += 1),
        TableId::MspByRiskType => keep(&c.risk_types, k, selection, key, "risk_types")
            .iter()
            .for_each(|r| out[r.index() * m + msp_cell(c)] += 1),
    }
}

/// Cells of `risk_outcome`.
const RISK_OUTCOME_CELLS: usize = 5;

/// The exact vector of one table over `persons`.
pub fn exact_table(rule: Rule, cells: usize, persons: &[Person]) -> Vec<i64> {
    let mut out = vec![0; cells];
    for p in persons {
        contribute(rule, p, &mut out);
    }
    out
}

/// The exact vectors of every table of `spec` over `persons`, in spec order, in one pass. These
/// never leave the node: they are what the noise is added to, and what local summaries are made of.
pub fn exact_tables(spec: &ReportSpec, persons: &[Person]) -> Vec<(&'static str, Vec<i64>)> {
    let rules: Vec<Rule> =
        spec.tables.iter().map(|t| Rule::of(spec, t).expect("every spec table has a rule")).collect();
    let mut out: Vec<Vec<i64>> = spec.tables.iter().map(|t| vec![0; t.cells.len()]).collect();
    for p in persons {
        for (rule, v) in rules.iter().zip(out.iter_mut()) {
            contribute(*rule, p, v);
        }
    }
    spec.tables.iter().map(|t| t.id).zip(out).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_schemas::{
        SpecId, TableKind,
        codes::{Approach, DesiredOutcome, RiskType},
    };

    fn adversarial() -> Person {
        let case = StoredCase {
            concern_day: 0,
            enquiry_start_day: Some(0),
            concluded_day: Some(5_000),
            enquiry_type: Some(EnquiryType::S42),
            age_band: Some(AgeBand::Age95Plus),
            sex: None,
            ethnicity: Some(Ethnicity::Black),
            support_reason: Some(SupportReason::MentalHealth),
            risk_location: None,
            risk_source: None,
            outcomes_asked: Some(OutcomesAsked::AskedExpressed),
            outcomes_achieved: Some(OutcomesAchieved::Fully),
            risk_action: Some(RiskAction::RiskAction),
            risk_outcome: None,
            lacked_capacity: Some(LackedCapacity::Yes),
            capacity_support: Some(CapacitySupport::Advocate),
            feedback_felt_safer: None,
            feedback_listened_to: None,
            risk_types: RiskType::ALL.iter().copied().collect::<CodeSet<_>>(),
            desired_outcomes: DesiredOutcome::ALL.iter().copied().collect(),
            negotiated_outcomes: DesiredOutcome::ALL.iter().copied().collect(),
            approaches: Approach::ALL.iter().copied().collect(),
            meetings_with_person: Some(u32::MAX - 1),
            multiagency_meetings: Some(10_000),
            staff_hours: Some(99_999.5),
        };
        Person { concern: Some(0), concluded: Some(Concluded { case, enquiries: 10, repeat: true, key: [7; 16] }) }
    }

    /// Someone at the other end: every sum's value blank or 0, so a centred sum's least.
    fn at_zero() -> Person {
        let mut p = adversarial();
        let c = &mut p.concluded.as_mut().unwrap().case;
        (c.concluded_day, c.meetings_with_person, c.multiagency_meetings, c.staff_hours) =
            (Some(0), Some(0), Some(0), Some(0.0));
        p
    }

    fn one(spec: &ReportSpec, t: &TableSpec, person: &Person) -> Vec<i64> {
        exact_table(Rule::of(spec, t).unwrap(), t.cells.len(), std::slice::from_ref(person))
    }

    #[test]
    fn a_person_with_ten_enquiries_and_eleven_risk_types_moves_each_table_by_its_bound() {
        for spec in SpecId::ALL.map(SpecId::spec) {
            let person = adversarial();
            for t in &spec.tables {
                let v = one(spec, t, &person);
                let l1: i64 = v.iter().sum();
                let l2 = (v.iter().map(|x| (x * x) as f64).sum::<f64>()).sqrt();
                match t.kind {
                    TableKind::Partition => {
                        assert!(l1 <= 1 && v.iter().all(|x| (0..=1).contains(x)), "{}: {v:?}", t.id);
                    }
                    TableKind::MultiValued { k } => {
                        assert!(l1 <= i64::from(k) && v.iter().all(|x| (0..=1).contains(x)), "{}: {v:?}", t.id);
                        assert_eq!(l1, 3, "{}: the adversary fills every allowed cell", t.id);
                    }
                    TableKind::ClampedSum { upper } => assert_eq!(v, vec![i64::from(upper)], "{}", t.id),
                    TableKind::CentredSum { upper, centre } => {
                        assert_eq!(v, vec![i64::from(upper - centre)], "{}", t.id);
                        assert_eq!(one(spec, t, &at_zero()), vec![-i64::from(centre)], "{}", t.id);
                    }
                }
                assert!(l2 <= t.l2_sensitivity() + 1e-12, "{}", t.id);
                let low = one(spec, t, &at_zero());
                let l2 = (low.iter().map(|x| (x * x) as f64).sum::<f64>()).sqrt();
                assert!(l2 <= t.l2_sensitivity() + 1e-12, "{}", t.id);
            }
        }
    }

    #[test]
    fn every_spec_table_has_a_contribution_rule() {
        for spec in SpecId::ALL.map(SpecId::spec) {
            for t in &spec.tables {
                assert!(Rule::of(spec, t).is_some(), "{}", t.id);
            }
        }
    }

    #[test]
    fn an_absent_person_contributes_nothing() {
        for spec in SpecId::ALL.map(SpecId::spec) {
            for (id, v) in exact_tables(spec, &[Person::default()]) {
                assert!(v.iter().all(|x| *x == 0), "{id}");
            }
        }
    }

    #[test]
    fn the_keyed_hash_keeps_three_codes_the_same_way_each_time_and_favours_none() {
        let all: CodeSet<RiskType> = RiskType::ALL.iter().copied().collect();
        let mut kept = [0u32; 11];
        let people = 22_000u32;
        for i in 0..people {
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&i.to_le_bytes());
            let once = keep(&all, 3, Selection::KeyedHash, &key, "risk_types");
            assert_eq!(once, keep(&all, 3, Selection::KeyedHash, &key, "risk_types"), "deterministic");
            assert_eq!(once.len(), 3);
            once.iter().for_each(|r| kept[r.index()] += 1);
        }
        // Each code kept with chance 3/11: 6,000 of 22,000 expected, sd √(22000·(3/11)·(8/11)) ≈ 66;
        // 6 sd either way (a false alarm about once in 10⁸ per code). Code order would give the
        // first three 22,000 each and the rest none.
        for (i, n) in kept.iter().enumerate() {
            assert!((5_600..=6_400).contains(n), "code {i} kept {n} times of {people}");
        }
        assert_eq!(keep(&all, 3, Selection::CodeOrder, &[0; 16], "risk_types"), all.first(3));
        let two: CodeSet<RiskType> = RiskType::ALL[9..].iter().copied().collect();
        assert_eq!(keep(&two, 3, Selection::KeyedHash, &[1; 16], "risk_types"), two, "three or fewer: all kept");
    }

    #[test]
    fn crossed_tables_add_up_to_the_tables_they_cross_for_every_person() {
        use msp_schemas::codes::{OutcomesAsked as A, RiskOutcome};
        for spec in SpecId::ALL.map(SpecId::spec) {
            for (i, asked) in [Some(A::AskedExpressed), Some(A::NotAsked), None].into_iter().enumerate() {
                let mut p = adversarial();
                let c = &mut p.concluded.as_mut().unwrap().case;
                c.outcomes_asked = asked;
                c.enquiry_type = [Some(EnquiryType::Other), None, Some(EnquiryType::S42)][i];
                c.risk_outcome = Some(RiskOutcome::Reduced);
                (c.sex, c.age_band, c.ethnicity, c.support_reason) = (None, None, None, None);
                for m in &spec.margins {
                    let own = one(spec, spec.table(m.table).unwrap(), &p);
                    for crossed in &m.crossed {
                        let v = one(spec, spec.table(crossed).unwrap(), &p);
                        let margin: Vec<i64> =
                            (0..own.len()).map(|c| v.iter().skip(c).step_by(own.len()).sum()).collect();
                        assert_eq!(margin, own, "{crossed} by {} ({asked:?})", m.table);
                    }
                }
            }
        }
    }
}
