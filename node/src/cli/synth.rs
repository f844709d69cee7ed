//! `msp-node synth`: writes a synthetic case file for a council, with its truth beside it
//! ([`msp_synth`]).

use std::path::PathBuf;

use clap::Args;
use msp_schemas::{CouncilCode, Period};
use msp_synth::SynthOptions;
use msp_terminal::say;
use rand::Rng;

use super::CliError;
use crate::config::DataDir;

/// `msp-node synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The latest quarter to generate, e.g. 2026-27-Q1.
    #[arg(long)]
    pub period: Period,
    /// People with an enquiry concluded in each quarter (default: sized like the council).
    #[arg(long)]
    pub people: Option<u32>,
    /// Earlier quarters of history to generate.
    #[arg(long, default_value_t = 4)]
    pub history_quarters: u32,
    /// Seed, to make the data reproducible (default: random, and printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Another council than the node's (no node needed then).
    #[arg(long)]
    pub council: Option<CouncilCode>,
    /// The case file to write; the truth goes beside it as *.truth.json.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the case file and its truth, and says what they hold.
pub fn synth(data: &DataDir, a: SynthArgs) -> Result<(), CliError> {
    let council = match a.council {
        Some(c) => c,
        None => data.load()?.council,
    };
    let seed = a.seed.unwrap_or_else(|| rand::rng().random());
    let options =
        SynthOptions { council, period: a.period, people: a.people, history_quarters: a.history_quarters, seed };
    let truth = msp_synth::write(&options, &a.out)?;
    let latest = truth.quarters.last().expect("at least one quarter");
    say!(
        "Wrote {} rows for {} ({}), {} to {}, to {} (seed {seed})",
        truth.rows,
        council.council().name,
        council,
        truth.quarters.first().map(|q| q.period.as_str()).unwrap_or_default(),
        truth.period,
        a.out.display()
    );
    say!(
        "{}: {} people with an enquiry concluded, {} concerns received. Truth: {}",
        latest.period,
        latest.people_concluded,
        latest.concerns,
        msp_synth::truth_path(&a.out).display()
    );
    Ok(())
}
