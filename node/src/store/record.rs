//! The compact binary form in which the node stores a validated case record.
//!
//! A release reads every record of a quarter, a million or more for the largest councils, so
//! records are stored as 52 bytes that decode without parsing text. Only validated records are
//! encoded ([`StoredCase::from_record`]), so decoding yields values that passed every rule of
//! `case-record/1`. The case id and person id are not part of it: the case id is the row's key,
//! and the person id is stored only as a keyed hash beside it.
//!
//! Layout (version 1, little-endian): version byte; concern, enquiry-start and concluded days
//! (i32, days since 1970-01-01, `i32::MIN` for none); 15 single codes (u8: 0 for none, else the
//! code's position + 1); 4 code sets (u16 bit sets); two meeting counts (u32, `u32::MAX` for
//! none); staff hours (f64 bits, NaN for none).

use msp_schemas::{
    CaseRecord,
    codes::{
        AgeBand, Approach, CapacitySupport, CodeList, CodeSet, DesiredOutcome, EnquiryType, Ethnicity, Feedback,
        LackedCapacity, OutcomesAchieved, OutcomesAsked, RiskAction, RiskLocation, RiskOutcome, RiskSource, RiskType,
        Sex, SupportReason,
    },
};
use time::Date;

const VERSION: u8 = 1;
/// Encoded length of a version-1 record.
pub const ENCODED_LEN: usize = 1 + 3 * 4 + 15 + 4 * 2 + 2 * 4 + 8;
const NO_DAY: i32 = i32::MIN;
const NO_COUNT: u32 = u32::MAX;

/// A stored record that cannot be decoded: the database was altered outside the node.
#[derive(Debug, thiserror::Error)]
#[error("a stored case record is corrupt ({0}): the database was changed outside msp-node; restore it from backup")]
pub struct CorruptRecord(std::borrow::Cow<'static, str>);

impl CorruptRecord {
    /// A corruption of the given kind.
    pub fn new(what: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self(what.into())
    }
}

/// Days since 1970-01-01.
pub fn day_number(d: Date) -> i32 {
    d.to_julian_day() - Date::from_calendar_date(1970, time::Month::January, 1).expect("a valid date").to_julian_day()
}

/// The date of a day number.
pub fn date_of_day(day: i32) -> Option<Date> {
    Date::from_julian_day(day + 2_440_588).ok()
}

/// The fields of a validated case record that releases use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredCase {
    /// Day of the concern.
    pub concern_day: i32,
    /// Day the enquiry started.
    pub enquiry_start_day: Option<i32>,
    /// Day the enquiry concluded.
    pub concluded_day: Option<i32>,
    /// Whether the concern led to an enquiry.
    pub enquiry_type: Option<EnquiryType>,
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Ethnic group.
    pub ethnicity: Option<Ethnicity>,
    /// Primary support reason.
    pub support_reason: Option<SupportReason>,
    /// Location of the risk.
    pub risk_location: Option<RiskLocation>,
    /// Source of the risk.
    pub risk_source: Option<RiskSource>,
    /// Whether asked about outcomes.
    pub outcomes_asked: Option<OutcomesAsked>,
    /// Whether outcomes were achieved.
    pub outcomes_achieved: Option<OutcomesAchieved>,
    /// Risk assessment and action.
    pub risk_action: Option<RiskAction>,
    /// What happened to the risk.
    pub risk_outcome: Option<RiskOutcome>,
    /// Whether the person lacked capacity.
    pub lacked_capacity: Option<LackedCapacity>,
    /// Support when lacking capacity.
    pub capacity_support: Option<CapacitySupport>,
    /// Felt safer.
    pub feedback_felt_safer: Option<Feedback>,
    /// Listened to.
    pub feedback_listened_to: Option<Feedback>,
    /// Types of risk.
    pub risk_types: CodeSet<RiskType>,
    /// Desired outcomes.
    pub desired_outcomes: CodeSet<DesiredOutcome>,
    /// Negotiated outcomes.
    pub negotiated_outcomes: CodeSet<DesiredOutcome>,
    /// Approaches used.
    pub approaches: CodeSet<Approach>,
    /// Meetings with the person.
    pub meetings_with_person: Option<u32>,
    /// Multi-agency meetings.
    pub multiagency_meetings: Option<u32>,
    /// Staff hours.
    pub staff_hours: Option<f64>,
}

impl StoredCase {
    /// The stored form of a validated record.
    pub fn from_record(r: &CaseRecord) -> Self {
        Self {
            concern_day: day_number(r.concern_date()),
            enquiry_start_day: r.enquiry_start_date().map(day_number),
            concluded_day: r.concluded_date().map(day_number),
            enquiry_type: r.enquiry_type(),
            age_band: r.age_band(),
            sex: r.sex(),
            ethnicity: r.ethnicity(),
            support_reason: r.primary_support_reason(),
            risk_location: r.risk_location(),
            risk_source: r.risk_source(),
            outcomes_asked: r.outcomes_asked(),
            outcomes_achieved: r.outcomes_achieved(),
            risk_action: r.risk_action(),
            risk_outcome: r.risk_outcome(),
            lacked_capacity: r.lacked_capacity(),
            capacity_support: r.capacity_support(),
            feedback_felt_safer: r.feedback_felt_safer(),
            feedback_listened_to: r.feedback_listened_to(),
            risk_types: r.risk_types(),
            desired_outcomes: r.desired_outcomes(),
            negotiated_outcomes: r.negotiated_outcomes(),
            approaches: r.approaches(),
            meetings_with_person: r.meetings_with_person(),
            multiagency_meetings: r.multiagency_meetings(),
            staff_hours: r.staff_hours(),
        }
    }

    /// The encoded bytes.
    pub fn encode(&self) -> Vec<u8> {
        fn code<T: CodeList>(c: Option<T>) -> u8 {
            c.map_or(0, |c| c.index() as u8 + 1)
        }
        let mut b = Vec::with_capacity(ENCODED_LEN);
        b.push(VERSION);
        for day in [Some(self.concern_day), self.enquiry_start_day, self.concluded_day] {
            b.extend_from_slice(&day.unwrap_or(NO_DAY).to_le_bytes());
        }
        b.extend_from_slice(&[
            code(self.enquiry_type),
            code(self.age_band),
            code(self.sex),
            code(self.ethnicity),
            code(self.support_reason),
            code(self.risk_location),
            code(self.risk_source),
            code(self.outcomes_asked),
            code(self.outcomes_achieved),
            code(self.risk_action),
            code(self.risk_outcome),
            code(self.lacked_capacity),
            code(self.capacity_support),
            code(self.feedback_felt_safer),
            code(self.feedback_listened_to),
        ]);
        for bits in [
            self.risk_types.bits(),
            self.desired_outcomes.bits(),
            self.negotiated_outcomes.bits(),
            self.approaches.bits(),
        ] {
            b.extend_from_slice(&bits.to_le_bytes());
        }
        for n in [self.meetings_with_person, self.multiagency_meetings] {
            b.extend_from_slice(&n.unwrap_or(NO_COUNT).to_le_bytes());
        }
        b.extend_from_slice(&self.staff_hours.unwrap_or(f64::NAN).to_bits().to_le_bytes());
        debug_assert_eq!(b.len(), ENCODED_LEN);
        b
    }

    /// The enquiry type and conclusion day alone, without decoding the rest (a release reads
    /// millions of concerns that need nothing else).
    pub fn peek(b: &[u8]) -> Result<(Option<EnquiryType>, Option<i32>), CorruptRecord> {
        if b.len() != ENCODED_LEN || b[0] != VERSION {
            return Err(CorruptRecord::new("wrong length or version"));
        }
        let day = i32::from_le_bytes(b[9..13].try_into().expect("4 bytes"));
        let enquiry = match b[13] {
            0 => None,
            n => Some(*EnquiryType::ALL.get(usize::from(n) - 1).ok_or(CorruptRecord::new("code out of range"))?),
        };
        Ok((enquiry, (day != NO_DAY).then_some(day)))
    }

    /// Decodes stored bytes.
    pub fn decode(b: &[u8]) -> Result<Self, CorruptRecord> {
        if b.len() != ENCODED_LEN {
            return Err(CorruptRecord::new("wrong length"));
        }
        if b[0] != VERSION {
            return Err(CorruptRecord::new("unknown version"));
        }
        let i32_at = |i: usize| i32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let u16_at = |i: usize| u16::from_le_bytes(b[i..i + 2].try_into().expect("2 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let day = |i: usize| Some(i32_at(i)).filter(|d| *d != NO_DAY);
        fn code<T: CodeList>(v: u8) -> Result<Option<T>, CorruptRecord> {
            match v {
                0 => Ok(None),
                n => T::ALL.get(usize::from(n) - 1).copied().map(Some).ok_or(CorruptRecord::new("code out of range")),
            }
        }
        fn set<T: CodeList>(bits: u16) -> Result<CodeSet<T>, CorruptRecord> {
            CodeSet::from_bits(bits).ok_or(CorruptRecord::new("code set out of range"))
        }
        let c = 13;
        let s = c + 15;
        let n = s + 8;
        let count = |i: usize| Some(u32_at(i)).filter(|v| *v != NO_COUNT);
        let hours = f64::from_bits(u64::from_le_bytes(b[n + 8..n + 16].try_into().expect("8 bytes")));
        Ok(Self {
            concern_day: day(1).ok_or(CorruptRecord::new("no concern date"))?,
            enquiry_start_day: day(5),
            concluded_day: day(9),
            enquiry_type: code(b[c])?,
            age_band: code(b[c + 1])?,
            sex: code(b[c + 2])?,
            ethnicity: code(b[c + 3])?,
            support_reason: code(b[c + 4])?,
            risk_location: code(b[c + 5])?,
            risk_source: code(b[c + 6])?,
            outcomes_asked: code(b[c + 7])?,
            outcomes_achieved: code(b[c + 8])?,
            risk_action: code(b[c + 9])?,
            risk_outcome: code(b[c + 10])?,
            lacked_capacity: code(b[c + 11])?,
            capacity_support: code(b[c + 12])?,
            feedback_felt_safer: code(b[c + 13])?,
            feedback_listened_to: code(b[c + 14])?,
            risk_types: set(u16_at(s))?,
            desired_outcomes: set(u16_at(s + 2))?,
            negotiated_outcomes: set(u16_at(s + 4))?,
            approaches: set(u16_at(s + 6))?,
            meetings_with_person: count(n),
            multiagency_meetings: count(n + 4),
            staff_hours: (!hours.is_nan()).then_some(hours),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_schemas::{Column, RawRow};
    use time::macros::date;

    #[test]
    fn a_full_record_round_trips_through_its_encoding() {
        let mut raw = RawRow::new();
        raw.set(Column::CaseId, "C1")
            .set(Column::PersonId, "P1")
            .set(Column::ConcernDate, "2026-04-03")
            .set(Column::EnquiryType, "s42")
            .set(Column::EnquiryStartDate, "2026-04-04")
            .set(Column::ConcludedDate, "2026-06-30")
            .set(Column::AgeBand, "95+")
            .set(Column::Sex, "unknown")
            .set(Column::Ethnicity, "unknown")
            .set(Column::PrimarySupportReason, "unknown")
            .set(Column::RiskTypes, "physical;self_neglect;modern_slavery;neglect")
            .set(Column::RiskLocation, "other")
            .set(Column::RiskSource, "unknown_to_individual")
            .set(Column::OutcomesAsked, "asked_expressed")
            .set(Column::DesiredOutcomes, "other;feel_safer")
            .set(Column::NegotiatedOutcomes, "recovery")
            .set(Column::OutcomesAchieved, "not_achieved")
            .set(Column::RiskAction, "ceased_at_request")
            .set(Column::RiskOutcome, "remains")
            .set(Column::LackedCapacity, "yes")
            .set(Column::CapacitySupport, "unknown")
            .set(Column::MeetingsWithPerson, "0")
            .set(Column::MultiagencyMeetings, "10000")
            .set(Column::StaffHours, "0.25")
            .set(Column::Approaches, "other;advocacy")
            .set(Column::FeedbackFeltSafer, "not_asked")
            .set(Column::FeedbackListenedTo, "no");
        let record = CaseRecord::validate(&raw).unwrap().record;
        let stored = StoredCase::from_record(&record);
        let bytes = stored.encode();
        assert_eq!(bytes.len(), ENCODED_LEN);
        assert_eq!(StoredCase::decode(&bytes).unwrap(), stored);
        assert_eq!(StoredCase::peek(&bytes).unwrap(), (stored.enquiry_type, stored.concluded_day));
        assert_eq!(date_of_day(stored.concluded_day.unwrap()), Some(date!(2026 - 06 - 30)));
        assert_eq!(stored.risk_types.len(), 4);
        assert_eq!(stored.staff_hours, Some(0.25));
    }

    #[test]
    fn a_minimal_record_round_trips_with_every_optional_field_empty() {
        let mut raw = RawRow::new();
        raw.set(Column::CaseId, "C1").set(Column::PersonId, "P1").set(Column::ConcernDate, "1990-01-01");
        let stored = StoredCase::from_record(&CaseRecord::validate(&raw).unwrap().record);
        let back = StoredCase::decode(&stored.encode()).unwrap();
        assert_eq!(back, stored);
        assert_eq!(back.concluded_day, None);
        assert_eq!(back.staff_hours, None);
        assert_eq!(back.meetings_with_person, None);
        assert_eq!(day_number(date!(1970 - 01 - 01)), 0);
    }

    #[test]
    fn corrupt_bytes_are_refused() {
        assert!(StoredCase::decode(&[1, 2, 3]).is_err());
        let mut raw = RawRow::new();
        raw.set(Column::CaseId, "C1").set(Column::PersonId, "P1").set(Column::ConcernDate, "2026-01-01");
        let mut bytes = StoredCase::from_record(&CaseRecord::validate(&raw).unwrap().record).encode();
        bytes[13] = 200;
        assert!(StoredCase::decode(&bytes).is_err());
        bytes[13] = 0;
        bytes[0] = 9;
        assert!(StoredCase::decode(&bytes).is_err());
    }
}
