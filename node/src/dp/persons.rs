//! One row per person for a quarter: the contribution bounds of DESIGN §4.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
};

use msp_schemas::{
    Period,
    codes::{CodeList, EnquiryType},
    spec::ENQUIRIES_CAP,
};

use crate::{
    keys::PERSON_KEY_LEN,
    store::{
        CaseSink, ScannedCase,
        record::{CorruptRecord, ENCODED_LEN, StoredCase},
    },
};

/// A person's keyed hash, as stored.
pub type PersonKey = [u8; PERSON_KEY_LEN];

/// Hashes person keys, which are already uniformly random (truncated HMACs): mixing their bytes
/// once is enough, and far cheaper than SipHash over millions of people.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(7) ^ u64::from_le_bytes(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, _: usize) {
        // A slice's length prefix: every key has the same length.
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by person.
pub type PersonMap<V> = HashMap<PersonKey, V, BuildHasherDefault<KeyHasher>>;

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
    /// The person's key (a keyed hash under the node's secret): what `msp-quarterly/2` chooses a
    /// person's three values of a longer list by.
    pub key: PersonKey,
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

/// Rows are kept in buckets by the first byte of the person key, so that the per-person work at
/// the end runs on one small bucket at a time, inside the processor's cache: with millions of
/// rows, one large map per population spends most of its time waiting for memory (measured).
const BUCKETS: usize = 256;

/// An enquiry concluded in the quarter, as the scan keeps it.
#[derive(Debug)]
struct Candidate {
    person: PersonKey,
    rank: (i32, i32),
    case_id: Box<str>,
    record: [u8; ENCODED_LEN],
}

/// Builds the person rows of one quarter from every stored row it is shown (in any order).
///
/// Rows concluded in other quarters matter only as history (for the repeat flag); rows neither
/// received nor concluded in the quarter are ignored.
#[derive(Debug)]
pub struct PersonRows {
    quarter: u32,
    shard: u8,
    shards: u8,
    /// Per bucket: (person, `concern_outcome` cell) of each concern received in the quarter.
    concerns: Vec<Vec<(PersonKey, u8)>>,
    /// Per bucket: (person, day) of every conclusion up to the quarter's end.
    days: Vec<Vec<(PersonKey, i32)>>,
    /// Per bucket: each enquiry concluded in the quarter (its conclusion and concern days, its
    /// case id for tie-breaks, and its encoded record, decoded only if it is the latest).
    candidates: Vec<Vec<Candidate>>,
}

impl PersonRows {
    /// Person rows for `period`.
    pub fn new(period: Period) -> Self {
        Self::shard(period, 0, 1)
    }

    /// The share `shard` of `shards` of the person rows for `period`: the people whose key's first
    /// byte falls in the shard's range (see [`CaseSink::key_range`]). Shards hold disjoint
    /// people, so they can be built on separate threads and their tables added up.
    pub fn shard(period: Period, shard: u8, shards: u8) -> Self {
        fn buckets<T>() -> Vec<Vec<T>> {
            (0..BUCKETS).map(|_| Vec::new()).collect()
        }
        Self {
            quarter: period.ordinal(),
            shard,
            shards: shards.max(1),
            concerns: buckets(),
            days: buckets(),
            candidates: buckets(),
        }
    }

    /// The person rows (in an order that depends only on the person keys).
    pub fn finish(self) -> Result<Vec<Person>, CorruptRecord> {
        let mut persons = Vec::new();
        for ((concerns, mut days), candidates) in self.concerns.into_iter().zip(self.days).zip(self.candidates) {
            finish_bucket(concerns, &mut days, candidates, &mut persons)?;
        }
        Ok(persons)
    }
}

impl CaseSink for PersonRows {
    /// The first bytes of the person keys in this shard: `lo..hi` (`hi` is 256 for the last).
    fn key_range(&self) -> (u16, u16) {
        let n = u16::from(self.shards);
        let i = u16::from(self.shard);
        (i * 256 / n, (i + 1) * 256 / n)
    }

    /// Takes in one stored row (ignored if its person belongs to another shard).
    fn add(&mut self, row: ScannedCase<'_>) -> Result<(), CorruptRecord> {
        let (lo, hi) = self.key_range();
        let bucket = usize::from(row.person[0]);
        if !(lo..hi).contains(&(bucket as u16)) {
            return Ok(());
        }
        let in_quarter_concern = row.concern_quarter == self.quarter;
        let concluded = row.concluded_quarter;
        if !in_quarter_concern && concluded.is_none_or(|q| q > self.quarter) {
            return Ok(());
        }
        let (enquiry_type, concluded_day) = StoredCase::peek(row.record)?;
        if in_quarter_concern {
            self.concerns[bucket].push((row.person, concern_cell(enquiry_type)));
        }
        let Some(day) = concluded_day else { return Ok(()) };
        self.days[bucket].push((row.person, day));
        if concluded == Some(self.quarter) {
            let record: [u8; ENCODED_LEN] = row.record.try_into().map_err(|_| CorruptRecord::new("wrong length"))?;
            let concern_day = StoredCase::decode(&record)?.concern_day;
            self.candidates[bucket].push(Candidate {
                person: row.person,
                rank: (day, concern_day),
                case_id: row.case_id.into(),
                record,
            });
        }
        Ok(())
    }
}

/// The person rows of one bucket (every row of each of its people).
fn finish_bucket(
    concerns: Vec<(PersonKey, u8)>,
    days: &mut [(PersonKey, i32)],
    candidates: Vec<Candidate>,
    out: &mut Vec<Person>,
) -> Result<(), CorruptRecord> {
    let mut concern: PersonMap<u8> = PersonMap::default();
    concern.reserve(concerns.len());
    for (key, cell) in concerns {
        concern.entry(key).and_modify(|c| *c = (*c).min(cell)).or_insert(cell);
    }
    // Latest conclusion wins; ties go to the later concern, then the greater case id.
    let mut latest: PersonMap<(usize, u32)> = PersonMap::default();
    for (i, c) in candidates.iter().enumerate() {
        latest
            .entry(c.person)
            .and_modify(|(best, n)| {
                *n += 1;
                if (c.rank, &c.case_id) > (candidates[*best].rank, &candidates[*best].case_id) {
                    *best = i;
                }
            })
            .or_insert((i, 1));
    }
    days.sort_unstable();
    // Another conclusion in the 365 days before the concern (an enquiry's own conclusion is never
    // before its concern, so it is never counted).
    let repeat = |key: &PersonKey, concern_day: i32| {
        let start = days.partition_point(|(k, _)| k < key);
        days[start..]
            .iter()
            .take_while(|(k, _)| k == key)
            .any(|(_, d)| concern_day - REPEAT_WINDOW_DAYS <= *d && *d < concern_day)
    };
    for (key, (best, n)) in latest {
        let case = StoredCase::decode(&candidates[best].record)?;
        let concluded =
            Concluded { repeat: repeat(&key, case.concern_day), case, enquiries: n.min(ENQUIRIES_CAP), key };
        out.push(Person { concern: concern.remove(&key), concluded: Some(concluded) });
    }
    out.extend(concern.into_values().map(|cell| Person { concern: Some(cell), concluded: None }));
    Ok(())
}

/// The code list position of `v`, or the list's length (the `unknown` cell) when blank.
pub fn code_or_unknown<T: CodeList>(v: Option<T>) -> usize {
    v.map_or(T::ALL.len(), CodeList::index)
}
