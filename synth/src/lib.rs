//! msp-synth: realistic synthetic case files with the truth written beside them (`msp-node synth`).
//!
//! Nobody developing or demonstrating the network has real case data, so this crate makes it: a
//! `case-record/1` file for one council that exercises every column and every table of
//! `msp-quarterly/1` — people with several concerns and enquiries, earlier quarters of history so
//! that repeats and contribution bounds matter, long-tailed days, meetings and hours, blanks and
//! the occasional inconsistent row — drawn from the council's [`profile::CouncilProfile`].
//!
//! Beside the file goes the truth (`*.truth.json`): the profile, and for every quarter generated
//! the exact counts and the exact values of every `msp-quarterly/1` table, computed here from the
//! generator's own records. Tests compare releases and benchmarks with it. It is an independent
//! second implementation of the report's rules, on purpose: this crate depends on no node code.
//!
//! - [`profile`]: each council's size and true rates;
//! - `mixes`: the national mixes of codes the draws come from;
//! - `generator`: the people and concerns of each quarter;
//! - `truth`: the exact figures of what was generated.

mod generator;
mod mixes;
pub mod profile;
mod truth;

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use msp_schemas::{
    CouncilCode, Period,
    codes::{CodeList, CodeSet},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use generator::{Concern, Generator, Person};
pub use profile::CouncilProfile;
pub use truth::{QuarterTruth, Truth};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// The council.
    pub council: CouncilCode,
    /// The latest quarter: data are as exported at its end.
    pub period: Period,
    /// People with an enquiry concluded in each quarter (default: the council's profile).
    pub people: Option<u32>,
    /// Earlier quarters of history to generate.
    pub history_quarters: u32,
    /// Seed of the draws.
    pub seed: u64,
}

/// Errors writing synthetic data.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Too much history for the supported years.
    #[error("{0} quarters of history before {1} reach before the earliest supported year")]
    TooMuchHistory(u32, Period),
}

/// Generates the case file and its truth. Rows are written in a shuffled order, as exports are
/// rarely sorted the way a report needs.
pub fn generate(options: &SynthOptions) -> Result<(Vec<u8>, Truth), SynthError> {
    let profile = CouncilProfile::of(options.council);
    let quarters = options.period.window(options.history_quarters as usize + 1);
    if quarters.len() != options.history_quarters as usize + 1 {
        return Err(SynthError::TooMuchHistory(options.history_quarters, options.period));
    }
    let mut g = Generator::new(&profile, ChaCha8Rng::seed_from_u64(options.seed ^ council_salt(options.council)));
    let per_quarter = options.people.unwrap_or(profile.people_per_quarter);
    let mut recent: std::collections::VecDeque<Vec<usize>> = Default::default();
    for (i, q) in quarters.iter().enumerate() {
        let pool: Vec<usize> = recent.iter().flatten().copied().collect();
        let concluded = g.quarter(*q, per_quarter, &pool, i + 1 == quarters.len());
        recent.push_back(concluded);
        if recent.len() > 4 {
            recent.pop_front();
        }
    }
    let order = {
        let mut idx: Vec<usize> = (0..g.concerns.len()).collect();
        for i in (1..idx.len()).rev() {
            let j = g.rng.random_range(0..=i);
            idx.swap(i, j);
        }
        idx
    };
    let mut out = Vec::with_capacity(g.concerns.len() * 160);
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(msp_schemas::Column::ALL.iter().map(|c| c.name())).expect("writing to memory");
        for i in order {
            w.write_record(row_fields(&g.concerns[i], &g.people)).expect("writing to memory");
        }
        w.flush().expect("writing to memory");
    }
    let truth = truth::compute(options, &profile, &quarters, &g.people, &g.concerns);
    Ok((out, truth))
}

fn council_salt(council: CouncilCode) -> u64 {
    council.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn set<T: CodeList>(s: CodeSet<T>) -> String {
    s.to_string()
}

/// The 27 fields of a concern, in `Column::ALL` order.
fn row_fields(c: &Concern, people: &[Person]) -> Vec<String> {
    let p = &people[c.person];
    let d = &c.detail;
    vec![
        c.case_id(),
        format!("P-{:08}", p.id),
        c.concern.to_string(),
        opt(c.enquiry_type),
        opt(c.start),
        opt(c.concluded),
        opt(p.age_band),
        opt(p.sex),
        opt(p.ethnicity),
        opt(p.support_reason),
        set(d.risk_types),
        opt(d.location),
        opt(d.source),
        opt(d.outcomes_asked),
        set(d.desired),
        set(d.negotiated),
        opt(d.achieved),
        opt(d.risk_action),
        opt(d.risk_outcome),
        opt(d.lacked_capacity),
        opt(d.capacity_support),
        opt(d.meetings),
        opt(d.multiagency),
        opt(d.hours),
        set(d.approaches),
        opt(d.felt_safer),
        opt(d.listened_to),
    ]
}

/// The truth file's path for a case file: `data.csv` → `data.truth.json`.
pub fn truth_path(out: &Path) -> PathBuf {
    out.with_extension("truth.json")
}

/// Generates and writes the case file and its truth, each atomically.
pub fn write(options: &SynthOptions, out: &Path) -> Result<Truth, SynthError> {
    let (csv, truth) = generate(options)?;
    let write = |path: &Path, bytes: &[u8]| -> Result<(), SynthError> {
        let err = |source| SynthError::Write { path: path.to_owned(), source };
        let tmp = path.with_extension("partial");
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    };
    write(out, &csv)?;
    let json = serde_json::to_vec_pretty(&truth).expect("the truth serialises");
    write(&truth_path(out), &json)?;
    Ok(truth)
}
