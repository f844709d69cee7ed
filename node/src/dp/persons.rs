//! One row per person for a quarter: the contribution bounds of DESIGN §4.

use std::collections::HashMap;

use msp_schemas::{
    Period,
    codes::{CodeList, EnquiryType},
    spec::ENQUIRIES_CAP,
};

use crate::{
    keys::PERSON_KEY_LEN,
    stored::{CorruptRecord, StoredCase},
};

/// A person's keyed hash, as stored.
pub type PersonKey = [u8; PERSON_KEY_LEN];

/// Days before a concern in which another concluded enquiry makes it a repeat.
pub const REPEAT_WINDOW_DAYS: i32 = 365;

/// A person in the concluded population: their latest enquiry concluded in the quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct Concluded {
    /// The latest concluded enquiry (latest conclusion; ties broken by the later concern, then
    /// the greater case id).
    pub case: StoredCase,
    /// Enquiries the person had concluded in the quarter, capped at 3.
    pub enquiries: u32,
    /// Whether another of their enquiries concluded in the 365 days before this one's concern.
    pub repeat: bool,
}

/// One person's row: what they contribute to the quarter's tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Person {
    /// Most advanced outcome of their concerns received in the quarter, as the index of the
    /// `concern_outcome` cell (0 s42 enquiry, 1 other enquiry, 2 no enquiry, 3 pending).
    pub concern: Option<u8>,
    /// Their concluded enquiry, if one concluded in the quarter.
    pub concluded: Option<Concluded>,
}

/// The `concern_outcome` cell of a concern: lower is more advanced.
pub fn concern_cell(t: Option<EnquiryType>) -> u8 {
    match t {
        Some(EnquiryType::S42) => 0,
        Some(EnquiryType::Other) => 1,
        Some(EnquiryType::NoEnquiry) => 2,
        None => 3,
    }
}

/// One stored row, as the release reads it.
#[derive(Debug, Clone, Copy)]
pub struct StoredRow<'a> {
    /// The person.
    pub person: PersonKey,
    /// The case id (for tie-breaks only).
    pub case_id: &'a str,
    /// Quarter of the concern (ordinal).
    pub concern_quarter: u32,
    /// Quarter of the conclusion (ordinal).
    pub concluded_quarter: Option<u32>,
    /// The encoded record.
    pub record: &'a [u8],
}

/// Builds the person rows of one quarter from every stored row it is shown (in any order).
///
/// Rows concluded in other quarters matter only as history (for the repeat flag); rows neither
/// received nor concluded in the quarter are otherwise ignored.
#[derive(Debug)]
pub struct PersonRows {
    quarter: u32,
    concerns: HashMap<PersonKey, u8>,
    latest: HashMap<PersonKey, (StoredCase, String, u32)>,
    history: Vec<(PersonKey, i32)>,
}

impl PersonRows {
    /// Person rows for `period`.
    pub fn new(period: Period) -> Self {
        Self { quarter: period.ordinal(), concerns: HashMap::new(), latest: HashMap::new(), history: Vec::new() }
    }

    /// Takes in one stored row.
    pub fn add(&mut self, row: StoredRow<'_>) -> Result<(), CorruptRecord> {
        let in_quarter_concern = row.concern_quarter == self.quarter;
        let concluded = row.concluded_quarter;
        if !in_quarter_concern && concluded.is_none_or(|q| q > self.quarter) {
            return Ok(());
        }
        let case = StoredCase::decode(row.record)?;
        if in_quarter_concern {
            let cell = concern_cell(case.enquiry_type);
            self.concerns.entry(row.person).and_modify(|c| *c = (*c).min(cell)).or_insert(cell);
        }
        if let Some(day) = case.concluded_day {
            self.history.push((row.person, day));
            if concluded == Some(self.quarter) {
                let key = |c: &StoredCase, id: &str| (c.concluded_day, c.concern_day, id.to_owned());
                match self.latest.get_mut(&row.person) {
                    Some((best, best_id, n)) => {
                        *n += 1;
                        if key(&case, row.case_id) > key(best, best_id) {
                            *best = case;
                            row.case_id.clone_into(best_id);
                        }
                    }
                    None => {
                        self.latest.insert(row.person, (case, row.case_id.to_owned(), 1));
                    }
                }
            }
        }
        Ok(())
    }

    /// The person rows, in a fixed order (by person key) that reveals nothing about the input order.
    pub fn finish(mut self) -> Vec<Person> {
        self.history.sort_unstable();
        let history = &self.history;
        let repeat = |person: &PersonKey, concern_day: i32| {
            let start = history.partition_point(|(p, _)| p < person);
            history[start..]
                .iter()
                .take_while(|(p, _)| p == person)
                .any(|(_, d)| concern_day - REPEAT_WINDOW_DAYS <= *d && *d < concern_day)
        };
        let mut persons: HashMap<PersonKey, Person> =
            HashMap::with_capacity(self.concerns.len().max(self.latest.len()));
        for (key, cell) in self.concerns {
            persons.entry(key).or_default().concern = Some(cell);
        }
        for (key, (case, _, n)) in self.latest {
            let concluded = Concluded { repeat: repeat(&key, case.concern_day), case, enquiries: n.min(ENQUIRIES_CAP) };
            persons.entry(key).or_default().concluded = Some(concluded);
        }
        let mut out: Vec<(PersonKey, Person)> = persons.into_iter().collect();
        out.sort_unstable_by_key(|(key, _)| *key);
        out.into_iter().map(|(_, p)| p).collect()
    }
}

/// The code list position of `v`, or the list's length (the `unknown` cell) when blank.
pub fn code_or_unknown<T: CodeList>(v: Option<T>) -> usize {
    v.map_or(T::ALL.len(), CodeList::index)
}
