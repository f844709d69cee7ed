//! What a release would spend, worked out before anyone is asked to spend it: `msp-node release`
//! shows it and asks for confirmation on a terminal, and the node's local pages will too. It
//! spends nothing and draws no noise.
//!
//! The checks are the ones [`crate::release::release`] makes before it charges the ledger (the
//! quarter has ended, the council's context is declared, the node's `[budget]` keeps to the
//! network's policy, the revision is allowed, the caps have room), by the same functions, so that
//! a release nobody could make is refused before the question rather than after the answer.

use msp_schemas::{Period, policy::Spending};
use serde::Serialize;
use time::Date;

use crate::{
    config::NodeConfig,
    dp::{ledger, limits::Limits},
    policy,
    release::{self, ReleaseError},
    store::Store,
};

/// What a new release of a quarter would spend, and what would be left of the budget after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spend {
    /// The quarter.
    pub period: Period,
    /// The revision it would be (1 for a first release).
    pub revision: u32,
    /// The ρ it would spend (opendp's composed privacy map for the node's setting).
    pub rho: f64,
    /// The equivalent ε at `delta`.
    pub epsilon: f64,
    /// The δ at which ε is stated.
    pub delta: f64,
    /// The most the releases of this quarter's data may spend together (the tighter cap).
    pub quarter_cap: f64,
    /// ρ this quarter's data would have left afterwards.
    pub quarter_left: f64,
    /// The most any four consecutive quarters may spend together (the tighter cap).
    pub four_quarters_cap: f64,
    /// ρ left afterwards in the tightest four consecutive quarters holding this one.
    pub four_quarters_left: f64,
    /// Which network policy the limits come from, in words.
    pub policy: String,
}

/// What a release of `period` (a revision when `revise`) made on `today` would spend: `None` when
/// it would return the stored release and so spend nothing; an error when it would be refused.
pub async fn preview(
    store: &Store,
    config: &NodeConfig,
    period: Period,
    revise: bool,
    today: Date,
) -> Result<Option<Spend>, ReleaseError> {
    let budget = config.budget();
    budget.validate()?;
    let latest = store.release(period, None).await?.map(|r| r.revision);
    let revision = match (latest, revise) {
        (Some(_), false) => return Ok(None),
        (None, true) => return Err(ReleaseError::NothingToRevise(period)),
        (latest, _) => latest.map_or(1, |r| r + 1),
    };
    if today <= period.last_day() {
        return Err(ReleaseError::NotEnded(period));
    }
    if config.context.is_none() {
        return Err(ReleaseError::NoContext);
    }
    let held = policy::held(store).await?;
    let limits = Limits::new(&budget, config.spec, &held.policy, &held.describe())?;
    let (_, rho) = release::plan(limits.spec, limits.rho_per_release)?;
    limits.check_planned(rho)?;
    limits.check_revision(period, revision)?;
    let charges = store.charges().await?;
    let spent = Spending::from_charges(charges.iter().map(|c| (c.period, c.rho)));
    ledger::check(&spent, limits.caps, period, rho)?;
    let (quarter_left, four_quarters_left) = left_after(&spent, limits.caps, period, rho);
    Ok(Some(Spend {
        period,
        revision,
        rho,
        epsilon: crate::dp::mechanism::spent_epsilon(rho, budget.delta),
        delta: budget.delta,
        quarter_cap: limits.caps.per_quarter,
        quarter_left,
        four_quarters_cap: limits.caps.per_four_quarters,
        four_quarters_left,
        policy: limits.described().to_owned(),
    }))
}

/// ρ left after a further `rho` on `period`: for the quarter's own data, and in the tightest of
/// the four-quarter windows that hold it.
pub fn left_after(spent: &Spending, caps: ledger::Caps, period: Period, rho: f64) -> (f64, f64) {
    let quarter = caps.per_quarter - spent.quarter(period) - rho;
    let rolling = Spending::windows_holding(period)
        .map(|first| caps.per_four_quarters - spent.window(first) - rho)
        .fold(f64::INFINITY, f64::min);
    (quarter.max(0.0), rolling.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn what_is_left_after_a_release_counts_it_in_the_quarter_and_the_tightest_four_quarters() {
        let caps = ledger::Caps { per_quarter: 1.0, per_four_quarters: 2.5 };
        let spent = Spending::from_charges([(period("2026-27-Q1"), 0.5), (period("2025-26-Q3"), 1.0)]);
        let (quarter, rolling) = left_after(&spent, caps, period("2026-27-Q1"), 0.5);
        assert!((quarter - 0.0).abs() < 1e-9, "{quarter}");
        // 2025-26-Q3 to 2026-27-Q2 holds 1.0 + 0.5 + 0.5 = 2.0 of 2.5.
        assert!((rolling - 0.5).abs() < 1e-9, "{rolling}");
        let (quarter, rolling) = left_after(&Spending::default(), caps, period("2026-27-Q2"), 0.5);
        assert!((quarter - 0.5).abs() < 1e-9 && (rolling - 2.0).abs() < 1e-9);
    }
}
