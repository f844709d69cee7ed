//! The tables of the Safeguarding Adults Collection (SAC, NHS England's annual return) that the
//! node's case records can fill, counted exactly for one financial year. They are local figures
//! for the council's own return: nothing here is sent anywhere, and nothing is rounded or
//! suppressed (NHS England rounds when it publishes).
//!
//! # The SAC rules followed
//!
//! From NHS England's *Guidance for completing the Safeguarding Adults Collection* (2024-25, which
//! the 2025-26 guidance carries over unchanged). [`RULES`] says the same in words for the terminal
//! and the files.
//!
//! - **The year** runs from 1 April to 31 March ([`FinancialYear`]); a date is in it when its day
//!   is.
//! - **SG1, individuals** (SG1a age band, SG1b sex, SG1c ethnicity, SG1d primary support reason):
//!   an adult at risk counts once in a column when they had at least one concern received
//!   (`concern_date`), Section 42 enquiry started (`enquiry_start_date`, `enquiry_type = s42`) or
//!   other enquiry started (`enquiry_type = other`) in the year — SAC: "Mr X should only appear
//!   in Tables SG1a–SG1c once". The S42 column is the mandatory one; the other two are SAC's
//!   voluntary columns. A person is the node's person key (the keyed hash of the council's person
//!   id: the node never holds the id). Their age band, sex, ethnicity and support reason are those
//!   recorded on their latest case in the year (the later of its concern and start dates that fall
//!   in the year; ties go to the greater case id): SAC wants the age on the last day of the year,
//!   and the latest case is the nearest the case file comes to it.
//! - **SG1e, cases**: every concern received and every enquiry started in the year, a person as
//!   often as they had them.
//! - **SG2–SG4** count Section 42 enquiries concluded (`concluded_date`) in the year, each once.
//!   SAC permits several counts in one table, one for each different category that applies: an
//!   enquiry counts once under each type of risk recorded (so SG2a's rows add up to more than the
//!   enquiries; its last row is the enquiries themselves). SG2b location, SG2c action taken and
//!   result, SG2e source, SG3a capacity and SG4a whether asked hold one value per enquiry in the
//!   case file, so each enquiry counts once in them.
//! - **Sub-populations**: SG2d (risk outcome) counts only enquiries where a risk was identified
//!   and action taken; SG3b (support) only those where the person lacked capacity; SG4b (outcomes
//!   achieved) only those where outcomes were expressed. A value recorded outside its population
//!   is not counted, and how many there were is said in the notes.
//! - **Not known**: a code `unknown` is shown under its list's published not-known label ("Don't
//!   know", "Not Known", …, from [`CodeList::label`]); a blank field under "Not recorded".
//!
//! # What the node cannot fill
//!
//! [`CANNOT_FILL`] lists the cells, with why: individuals counted across councils (each node sees
//! only its own council's person ids); the age on the last day of the year (the case file holds a
//! band, not a date of birth); ethnic categories within each group; several locations or sources
//! of risk in one enquiry; the voluntary columns for concluded *other* enquiries (these tables
//! count Section 42 enquiries only); and any cell whose field is not a column of `case-record/1`.
//! A Section 42 enquiry with no start date cannot be placed in any year's SG1, and is counted in
//! the notes.
//!
//! The table ids follow issue 14's order (SG1 individuals and cases, SG2 concluded enquiries, SG3
//! capacity, SG4 Making Safeguarding Personal); the return's template has renumbered its sheets
//! over the years, so every table carries its title in words to key it in by.

mod tables;

use std::collections::HashMap;

use msp_schemas::{
    FinancialYear,
    codes::{
        AgeBand, CapacitySupport, CodeList, EnquiryType, Ethnicity, LackedCapacity, OutcomesAchieved, OutcomesAsked,
        RiskAction, RiskLocation, RiskOutcome, RiskSource, RiskType, Sex, SupportReason,
    },
};

pub use tables::{CANNOT_FILL, NOT_RECORDED, RULES, SacReturn, SacRow, SacTable, TOTAL, Unfilled};

use crate::{
    keys::PERSON_KEY_LEN,
    store::{
        CaseSink, NodeStoreError, Store,
        record::{CorruptRecord, StoredCase, day_number},
        scan::ScannedCase,
    },
};

/// The SAC tables of `year`, from every stored case record (one read of the store).
pub async fn sac_return(store: &Store, year: FinancialYear) -> Result<SacReturn, NodeStoreError> {
    let counter = store.scan_all_rows(Counter::new(year)).await?;
    Ok(counter.finish())
}

/// What places a person in SG1's breakdowns: the fields of their latest case in the year.
#[derive(Debug, Clone, Copy, Default)]
struct About {
    age: Option<AgeBand>,
    sex: Option<Sex>,
    ethnicity: Option<Ethnicity>,
    reason: Option<SupportReason>,
}

/// One person's part in SG1.
#[derive(Debug)]
struct Person {
    concern: bool,
    s42: bool,
    other: bool,
    /// The latest case so far: its day in the year and its case id (for ties).
    latest: (i32, String),
    about: About,
}

/// Counts of one code list: one slot per code, then one for blank.
type Slots = Vec<u64>;

fn slots<T: CodeList>() -> Slots {
    vec![0; T::ALL.len() + 1]
}

fn tally<T: CodeList>(slots: &mut Slots, v: Option<T>) {
    slots[v.map_or(T::ALL.len(), CodeList::index)] += 1;
}

/// The concluded Section 42 enquiries of the year, by field (SG2–SG4).
#[derive(Debug)]
struct Concluded {
    enquiries: u64,
    risk_types: Slots,
    location: Slots,
    source: Slots,
    action: Slots,
    outcome: Slots,
    capacity: Slots,
    support: Slots,
    asked: Slots,
    achieved: Slots,
    /// Risk outcomes recorded where no risk was identified with action taken.
    outcome_elsewhere: u64,
    /// Capacity support recorded where the person did not lack capacity.
    support_elsewhere: u64,
    /// Outcomes achieved recorded where no outcomes were expressed.
    achieved_elsewhere: u64,
}

impl Concluded {
    fn new() -> Self {
        Self {
            enquiries: 0,
            risk_types: slots::<RiskType>(),
            location: slots::<RiskLocation>(),
            source: slots::<RiskSource>(),
            action: slots::<RiskAction>(),
            outcome: slots::<RiskOutcome>(),
            capacity: slots::<LackedCapacity>(),
            support: slots::<CapacitySupport>(),
            asked: slots::<OutcomesAsked>(),
            achieved: slots::<OutcomesAchieved>(),
            outcome_elsewhere: 0,
            support_elsewhere: 0,
            achieved_elsewhere: 0,
        }
    }

    fn add(&mut self, c: &StoredCase) {
        self.enquiries += 1;
        if c.risk_types.is_empty() {
            self.risk_types[RiskType::ALL.len()] += 1;
        }
        for t in c.risk_types.iter() {
            self.risk_types[t.index()] += 1;
        }
        tally(&mut self.location, c.risk_location);
        tally(&mut self.source, c.risk_source);
        tally(&mut self.action, c.risk_action);
        if c.risk_action == Some(RiskAction::RiskAction) {
            tally(&mut self.outcome, c.risk_outcome);
        } else if c.risk_outcome.is_some() {
            self.outcome_elsewhere += 1;
        }
        tally(&mut self.capacity, c.lacked_capacity);
        if c.lacked_capacity == Some(LackedCapacity::Yes) {
            tally(&mut self.support, c.capacity_support);
        } else if c.capacity_support.is_some() {
            self.support_elsewhere += 1;
        }
        tally(&mut self.asked, c.outcomes_asked);
        if c.outcomes_asked == Some(OutcomesAsked::AskedExpressed) {
            tally(&mut self.achieved, c.outcomes_achieved);
        } else if c.outcomes_achieved.is_some() {
            self.achieved_elsewhere += 1;
        }
    }
}

/// Cases started in the year (SG1e), and the Section 42 enquiries that cannot be placed.
#[derive(Debug, Default)]
struct Cases {
    concerns: u64,
    s42_started: u64,
    other_started: u64,
    /// Section 42 enquiries on concerns of the year with no start date.
    s42_undated: u64,
}

/// Counts one financial year's SAC figures from every stored row.
#[derive(Debug)]
struct Counter {
    year: FinancialYear,
    first: i32,
    last: i32,
    people: HashMap<[u8; PERSON_KEY_LEN], Person>,
    cases: Cases,
    concluded: Concluded,
}

impl Counter {
    fn new(year: FinancialYear) -> Self {
        Self {
            year,
            first: day_number(year.first_day()),
            last: day_number(year.last_day()),
            people: HashMap::new(),
            cases: Cases::default(),
            concluded: Concluded::new(),
        }
    }

    fn in_year(&self, day: Option<i32>) -> bool {
        day.is_some_and(|d| (self.first..=self.last).contains(&d))
    }

    /// Takes in one decoded row.
    fn add_case(&mut self, person: [u8; PERSON_KEY_LEN], case_id: &str, c: &StoredCase) {
        let concern = self.in_year(Some(c.concern_day));
        let started = self.in_year(c.enquiry_start_day);
        let s42 = c.enquiry_type == Some(EnquiryType::S42);
        let other = c.enquiry_type == Some(EnquiryType::Other);
        self.cases.concerns += u64::from(concern);
        self.cases.s42_started += u64::from(s42 && started);
        self.cases.other_started += u64::from(other && started);
        self.cases.s42_undated += u64::from(s42 && concern && c.enquiry_start_day.is_none());
        if s42 && self.in_year(c.concluded_day) {
            self.concluded.add(c);
        }
        let (s42, other) = (s42 && started, other && started);
        if !(concern || s42 || other) {
            return;
        }
        let day = match (concern, started) {
            (true, true) => c.concern_day.max(c.enquiry_start_day.unwrap_or(i32::MIN)),
            (true, false) => c.concern_day,
            _ => c.enquiry_start_day.unwrap_or(i32::MIN),
        };
        let about = About { age: c.age_band, sex: c.sex, ethnicity: c.ethnicity, reason: c.support_reason };
        let p = self.people.entry(person).or_insert_with(|| Person {
            concern: false,
            s42: false,
            other: false,
            latest: (i32::MIN, String::new()),
            about,
        });
        p.concern |= concern;
        p.s42 |= s42;
        p.other |= other;
        if (day, case_id) > (p.latest.0, p.latest.1.as_str()) {
            p.latest = (day, case_id.to_owned());
            p.about = about;
        }
    }

    /// The tables.
    fn finish(self) -> SacReturn {
        tables::build(self.year, self.people.into_values().collect(), &self.cases, &self.concluded)
    }
}

impl CaseSink for Counter {
    fn key_range(&self) -> (u16, u16) {
        (0, 256)
    }

    fn add(&mut self, row: ScannedCase<'_>) -> Result<(), CorruptRecord> {
        let case = StoredCase::decode(row.record)?;
        self.add_case(row.person, row.case_id, &case);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_schemas::{CaseRecord, Column, RawRow};

    fn case(fields: &[(Column, &str)]) -> StoredCase {
        let mut raw = RawRow::new();
        raw.set(Column::CaseId, "C").set(Column::PersonId, "P");
        for (c, v) in fields {
            raw.set(*c, v);
        }
        StoredCase::from_record(&CaseRecord::validate(&raw).unwrap().record)
    }

    fn year() -> FinancialYear {
        "2025-26".parse().unwrap()
    }

    #[test]
    fn a_person_with_two_enquiries_counts_once_under_their_latest_case() {
        let mut c = Counter::new(year());
        let s42 = |start: &str, age: &str| {
            case(&[
                (Column::ConcernDate, "2025-04-01"),
                (Column::EnquiryType, "s42"),
                (Column::EnquiryStartDate, start),
                (Column::AgeBand, age),
            ])
        };
        c.add_case([1; 16], "B", &s42("2026-03-31", "65-74"));
        c.add_case([1; 16], "A", &s42("2025-04-02", "18-64"));
        // Started the day before the year: a concern of the year, not an enquiry of it.
        c.add_case([2; 16], "C", &s42("2025-03-31", "18-64"));
        let r = c.finish();
        let sg1a = r.table("SG1a").unwrap();
        let s42_col = "Individuals involved in Section 42 safeguarding enquiries";
        assert_eq!(sg1a.count("65-74", s42_col), Some(1));
        assert_eq!(sg1a.count("18-64", s42_col), Some(0));
        assert_eq!(sg1a.count(TOTAL, s42_col), Some(1));
        assert_eq!(sg1a.count(TOTAL, "Individuals involved in safeguarding concerns"), Some(2));
        assert_eq!(r.table("SG1e").unwrap().count("Section 42 safeguarding enquiries", "Cases in the year"), Some(2));
    }

    #[test]
    fn an_enquiry_counts_under_each_type_of_risk_and_once_among_the_enquiries() {
        let mut c = Counter::new(year());
        c.add_case(
            [1; 16],
            "A",
            &case(&[
                (Column::ConcernDate, "2025-04-01"),
                (Column::EnquiryType, "s42"),
                (Column::ConcludedDate, "2025-05-01"),
                (Column::RiskTypes, "neglect;financial"),
                (Column::RiskAction, "no_risk_action"),
                (Column::RiskOutcome, "removed"),
            ]),
        );
        let r = c.finish();
        let sg2a = r.table("SG2a").unwrap();
        let col = &sg2a.columns[0];
        assert_eq!(sg2a.count("Neglect and Acts of Omission", col), Some(1));
        assert_eq!(sg2a.count("Financial or Material Abuse", col), Some(1));
        assert_eq!(sg2a.rows.last().unwrap().counts, [1]);
        let sg2d = r.table("SG2d").unwrap();
        assert_eq!(sg2d.count(TOTAL, sg2d.columns[0]), Some(0), "no risk identified: not in SG2d");
        assert!(
            r.notes.iter().any(|n| n.contains("1 concluded enquiry") && n.contains("risk outcome")),
            "{:?}",
            r.notes
        );
        assert_eq!(r.table("SG2b").unwrap().count(NOT_RECORDED, "Concluded Section 42 enquiries"), Some(1));
    }
}
