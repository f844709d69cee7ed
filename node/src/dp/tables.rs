//! Each person's contribution to each `msp-quarterly/1` table, and the exact table vectors.
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
//! - `desired_outcomes` count only people who expressed outcomes; every multi-valued table keeps
//!   the first 3 codes in code-list order.
//! - Meeting counts and feedback left blank are not counted in their tables (each person is in
//!   at most one cell); sums add 0 for them. Unrecorded staff hours have their own cell.
//! - Cross tables place blank demographics in the list's own `unknown` group.

use msp_schemas::{
    codes::{
        AgeBand, CapacitySupport, CodeList, EnquiryType, Ethnicity, LackedCapacity, OutcomesAchieved, OutcomesAsked,
        RiskAction, Sex, SupportReason,
    },
    spec::{self, MSP_OUTCOME_CELLS, ReportSpec},
};

use super::persons::{Concluded, Person, code_or_unknown};
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

/// Adds one person's contribution to `table` into `out` (the table's cells, in spec order).
///
/// The bound every caller relies on (and the tests check on adversarial people): a partition
/// gains at most 1 in one cell, a multi-valued table at most 1 in each of at most 3 distinct
/// cells, a clamped sum at most its cap.
pub fn contribute(table: TableId, person: &Person, out: &mut [i64]) {
    if table == TableId::ConcernOutcome {
        if let Some(cell) = person.concern {
            out[usize::from(cell)] += 1;
        }
        return;
    }
    let Some(Concluded { case: c, enquiries, repeat }) = &person.concluded else { return };
    let k = spec::MULTI_K as usize;
    let days = c.concluded_day.map_or(0, |d| (d - c.concern_day).max(0)) as u32;
    match table {
        TableId::ConcernOutcome => unreachable!("handled above"),
        TableId::EnquiryType => out[usize::from(c.enquiry_type == Some(EnquiryType::Other))] += 1,
        TableId::EnquiriesConcluded => out[(*enquiries).clamp(1, spec::ENQUIRIES_CAP) as usize - 1] += 1,
        TableId::MspOutcomes => out[msp_cell(c)] += 1,
        TableId::RiskAction => out[code_or_unknown(c.risk_action)] += 1,
        TableId::RiskOutcome => out[risk_outcome_cell(c)] += 1,
        TableId::RiskType => c.risk_types.first(k).iter().for_each(|r| out[r.index()] += 1),
        TableId::RiskLocation => out[code_or_unknown(c.risk_location)] += 1,
        TableId::RiskSource => out[code_or_unknown(c.risk_source)] += 1,
        TableId::Capacity => out[capacity_cell(c)] += 1,
        TableId::DesiredOutcomes => {
            if c.outcomes_asked == Some(OutcomesAsked::AskedExpressed) {
                c.desired_outcomes.first(k).iter().for_each(|o| out[o.index()] += 1);
            }
        }
        TableId::DaysToConclude => out[spec::days_bucket(days)] += 1,
        TableId::DaysToConcludeSum => out[0] += i64::from(days.min(spec::DAYS_SUM_UPPER)),
        TableId::MeetingsWithPerson => {
            if let Some(m) = c.meetings_with_person {
                out[spec::meetings_bucket(m)] += 1;
            }
        }
        TableId::MeetingsWithPersonSum => {
            out[0] += i64::from(c.meetings_with_person.unwrap_or(0).min(spec::MEETINGS_SUM_UPPER))
        }
        TableId::MultiagencyMeetings => {
            if let Some(m) = c.multiagency_meetings {
                out[spec::meetings_bucket(m)] += 1;
            }
        }
        TableId::MultiagencyMeetingsSum => {
            out[0] += i64::from(c.multiagency_meetings.unwrap_or(0).min(spec::MEETINGS_SUM_UPPER))
        }
        TableId::StaffHours => out[spec::hours_bucket(c.staff_hours)] += 1,
        TableId::StaffHoursSum => {
            let hours = c.staff_hours.map_or(0.0, f64::ceil).clamp(0.0, f64::from(spec::HOURS_SUM_UPPER));
            out[0] += hours as i64;
        }
        TableId::RepeatWithin12m => out[usize::from(*repeat)] += 1,
        TableId::Approaches => c.approaches.first(k).iter().for_each(|a| out[a.index()] += 1),
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
    }
}

/// The exact vector of one table over `persons`.
pub fn exact_table(table: TableId, cells: usize, persons: &[Person]) -> Vec<i64> {
    let mut out = vec![0; cells];
    for p in persons {
        contribute(table, p, &mut out);
    }
    out
}

/// The exact vectors of every table of `spec` over `persons`, in spec order, in one pass. These
/// never leave the node: they are what the noise is added to, and what local summaries are made of.
pub fn exact_tables(spec: &ReportSpec, persons: &[Person]) -> Vec<(&'static str, Vec<i64>)> {
    let ids: Vec<TableId> =
        spec.tables.iter().map(|t| TableId::from_spec_id(t.id).expect("every spec table has an id")).collect();
    let mut out: Vec<Vec<i64>> = spec.tables.iter().map(|t| vec![0; t.cells.len()]).collect();
    for p in persons {
        for (id, v) in ids.iter().zip(out.iter_mut()) {
            contribute(*id, p, v);
        }
    }
    spec.tables.iter().map(|t| t.id).zip(out).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_schemas::{
        SpecId, TableKind,
        codes::{Approach, CodeSet, DesiredOutcome, RiskType},
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
        Person { concern: Some(0), concluded: Some(Concluded { case, enquiries: 10, repeat: true }) }
    }

    #[test]
    fn a_person_with_ten_enquiries_and_eleven_risk_types_moves_each_table_by_its_bound() {
        let spec = SpecId::MspQuarterlyV1.spec();
        let person = adversarial();
        for t in &spec.tables {
            let id = TableId::from_spec_id(t.id).unwrap();
            let v = exact_table(id, t.cells.len(), std::slice::from_ref(&person));
            let l1: i64 = v.iter().sum();
            let l2 = (v.iter().map(|x| (x * x) as f64).sum::<f64>()).sqrt();
            assert!(v.iter().all(|x| *x >= 0), "{}", t.id);
            match t.kind {
                TableKind::Partition => {
                    assert!(l1 <= 1 && v.iter().all(|x| *x <= 1), "{}: {v:?}", t.id);
                }
                TableKind::MultiValued { k } => {
                    assert!(l1 <= i64::from(k) && v.iter().all(|x| *x <= 1), "{}: {v:?}", t.id);
                    assert_eq!(l1, 3, "{}: the adversary fills every allowed cell", t.id);
                }
                TableKind::ClampedSum { upper } => assert_eq!(v, vec![i64::from(upper)], "{}", t.id),
            }
            assert!(l2 <= t.l2_sensitivity() + 1e-12, "{}", t.id);
        }
    }

    #[test]
    fn every_spec_table_has_a_contribution_rule() {
        for t in &SpecId::MspQuarterlyV1.spec().tables {
            assert!(TableId::from_spec_id(t.id).is_some(), "{}", t.id);
        }
    }

    #[test]
    fn an_absent_person_contributes_nothing() {
        let spec = SpecId::MspQuarterlyV1.spec();
        for (id, v) in exact_tables(spec, &[Person::default()]) {
            assert!(v.iter().all(|x| *x == 0), "{id}");
        }
    }
}
