//! How complete the council's records are: for each field of `case-record/1` and each quarter,
//! the share of the records it applies to where it is blank or recorded as unknown.
//!
//! A release counts what is recorded, so a field that is often blank makes its table say more
//! about recording than about practice; the evaluation this network grew from found "not known"
//! and "not applicable" overused. The officer sees it before releasing (the web view's imports
//! page). Figures are local and exact: they never leave the node.
//!
//! Each field is counted over its own population: who a concern was about over the concerns
//! received in the quarter; what happened in an enquiry over the enquiries concluded in it; and
//! a field that applies only sometimes (whether outcomes were achieved, when outcomes were
//! expressed) only over the records it applies to.

use msp_schemas::{Period, codes::CodeList};
use serde::Serialize;

use crate::store::{
    CaseSink, NodeStoreError, Store,
    record::{CorruptRecord, StoredCase},
    scan::ScannedCase,
};

/// Who a field is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Over {
    /// Concerns received in the quarter.
    Concerns,
    /// Enquiries concluded in the quarter.
    Concluded,
    /// Concluded enquiries where the person expressed outcomes.
    OutcomesExpressed,
    /// Concluded enquiries where a risk was identified.
    RiskIdentified,
    /// Concluded enquiries where the person lacked capacity.
    LackedCapacity,
}

impl Over {
    /// In words, for a table's caption.
    pub fn label(self) -> &'static str {
        match self {
            Over::Concerns => "concerns received",
            Over::Concluded => "enquiries concluded",
            Over::OutcomesExpressed => "concluded enquiries where outcomes were expressed",
            Over::RiskIdentified => "concluded enquiries where a risk was identified",
            Over::LackedCapacity => "concluded enquiries where the person lacked capacity",
        }
    }
}

/// A field, the population it is counted over, and whether a record leaves it blank or unknown.
struct Field {
    column: &'static str,
    over: Over,
    missing: fn(&StoredCase) -> bool,
}

fn unknown<T: CodeList>(v: Option<T>) -> bool {
    v.is_none_or(|c| c.code() == "unknown")
}

/// The fields, in the case file's column order.
const FIELDS: &[Field] = &[
    Field { column: "enquiry_type", over: Over::Concerns, missing: |c| c.enquiry_type.is_none() },
    Field { column: "age_band", over: Over::Concerns, missing: |c| unknown(c.age_band) },
    Field { column: "sex", over: Over::Concerns, missing: |c| unknown(c.sex) },
    Field { column: "ethnicity", over: Over::Concerns, missing: |c| unknown(c.ethnicity) },
    Field { column: "primary_support_reason", over: Over::Concerns, missing: |c| unknown(c.support_reason) },
    Field { column: "risk_types", over: Over::Concluded, missing: |c| c.risk_types.is_empty() },
    Field { column: "risk_location", over: Over::Concluded, missing: |c| c.risk_location.is_none() },
    Field { column: "risk_source", over: Over::Concluded, missing: |c| c.risk_source.is_none() },
    Field { column: "outcomes_asked", over: Over::Concluded, missing: |c| unknown(c.outcomes_asked) },
    Field { column: "desired_outcomes", over: Over::OutcomesExpressed, missing: |c| c.desired_outcomes.is_empty() },
    Field { column: "outcomes_achieved", over: Over::OutcomesExpressed, missing: |c| c.outcomes_achieved.is_none() },
    Field { column: "risk_action", over: Over::Concluded, missing: |c| c.risk_action.is_none() },
    Field { column: "risk_outcome", over: Over::RiskIdentified, missing: |c| c.risk_outcome.is_none() },
    Field { column: "lacked_capacity", over: Over::Concluded, missing: |c| unknown(c.lacked_capacity) },
    Field { column: "capacity_support", over: Over::LackedCapacity, missing: |c| unknown(c.capacity_support) },
    Field { column: "meetings_with_person", over: Over::Concluded, missing: |c| c.meetings_with_person.is_none() },
    Field { column: "multiagency_meetings", over: Over::Concluded, missing: |c| c.multiagency_meetings.is_none() },
    Field { column: "staff_hours", over: Over::Concluded, missing: |c| c.staff_hours.is_none() },
    Field { column: "approaches", over: Over::Concluded, missing: |c| c.approaches.is_empty() },
    Field { column: "feedback_felt_safer", over: Over::Concluded, missing: |c| c.feedback_felt_safer.is_none() },
    Field { column: "feedback_listened_to", over: Over::Concluded, missing: |c| c.feedback_listened_to.is_none() },
];

/// Whether `c`, a record in the field's quarter, is one the field applies to.
fn applies(over: Over, concern_here: bool, concluded_here: bool, c: &StoredCase) -> bool {
    let risk_identified = c.risk_action.is_some_and(|a| a.code().starts_with("risk_"));
    match over {
        Over::Concerns => concern_here,
        Over::Concluded => concluded_here,
        Over::OutcomesExpressed => concluded_here && c.outcomes_asked.is_some_and(|a| a.code() == "asked_expressed"),
        Over::RiskIdentified => concluded_here && risk_identified,
        Over::LackedCapacity => concluded_here && c.lacked_capacity.is_some_and(|l| l.code() == "yes"),
    }
}

/// One field in one quarter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Share {
    /// Records the field applies to.
    pub applicable: u64,
    /// Of those, records where it is blank or unknown.
    pub missing: u64,
}

impl Share {
    /// The share missing, when the field applies to any record.
    pub fn fraction(&self) -> Option<f64> {
        (self.applicable > 0).then(|| self.missing as f64 / self.applicable as f64)
    }
}

/// One field across quarters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldRow {
    /// The case file's column.
    pub column: &'static str,
    /// Who it is counted over.
    pub over: Over,
    /// One share per quarter of [`Completeness::periods`].
    pub shares: Vec<Share>,
}

/// Every field's completeness, per quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    /// The quarters, oldest first.
    pub periods: Vec<Period>,
    /// The fields.
    pub fields: Vec<FieldRow>,
}

/// Counts one quarter's records.
struct Counter {
    quarter: u32,
    shares: Vec<Share>,
}

impl CaseSink for Counter {
    fn key_range(&self) -> (u16, u16) {
        (0, 256)
    }

    fn add(&mut self, row: ScannedCase<'_>) -> Result<(), CorruptRecord> {
        let concern_here = row.concern_quarter == self.quarter;
        let concluded_here = row.concluded_quarter == Some(self.quarter);
        if !concern_here && !concluded_here {
            return Ok(());
        }
        let case = StoredCase::decode(row.record)?;
        for (field, share) in FIELDS.iter().zip(&mut self.shares) {
            if applies(field.over, concern_here, concluded_here, &case) {
                share.applicable += 1;
                share.missing += u64::from((field.missing)(&case));
            }
        }
        Ok(())
    }
}

/// The completeness of every field in each of `periods` (one read of the store per quarter).
pub async fn completeness(store: &Store, periods: &[Period]) -> Result<Completeness, NodeStoreError> {
    let mut per_quarter = Vec::with_capacity(periods.len());
    for &period in periods {
        let counter = Counter { quarter: period.ordinal(), shares: vec![Share::default(); FIELDS.len()] };
        let mut done = store.scan_for_release(period, vec![counter]).await?;
        per_quarter.push(done.pop().expect("one sink in, one out").shares);
    }
    let fields = FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| FieldRow { column: f.column, over: f.over, shares: per_quarter.iter().map(|q| q[i]).collect() })
        .collect();
    Ok(Completeness { periods: periods.to_vec(), fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_nothing_is_not_a_figure() {
        assert_eq!(Share::default().fraction(), None);
        assert_eq!(Share { applicable: 4, missing: 1 }.fraction(), Some(0.25));
    }

    #[test]
    fn every_field_is_a_column_of_the_case_file() {
        use msp_schemas::case_record::Column;
        for f in FIELDS {
            assert!(Column::ALL.iter().any(|c| c.name() == f.column), "{} is not a case-record/1 column", f.column);
        }
    }
}
