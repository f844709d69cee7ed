//! `msp-policy/1`: the network's privacy policy (DESIGN §4, §7), set by the coordinator's operator,
//! served signed at `GET /v1/policy`, and enforced at both ends.
//!
//! A node may be stricter than the policy, never looser: it refuses to make or submit a release
//! that breaks it. The coordinator refuses any submission that breaks it, whoever signed it, and
//! keeps its own ledger of the ρ each council has published (across all the council's keys), so a
//! misconfigured node, a second key or a restored backup cannot overspend.
//!
//! What the policy bounds, and why each bound holds the network's two promises (no exact count
//! leaves a council; national figures are honest):
//! - **ρ per release** within `[min, max]`: above `max` the noise is too small to hide a person
//!   (ρ = 50 gives σ ≈ 0.1 and the exact count almost always); below `min` the noise is so large
//!   that one release makes every benchmark it joins too wide to compare.
//! - **Each table's ρ** is its spec weight's share of the release's ρ (within [`SHARE_TOLERANCE`]),
//!   so no table can be released almost noiselessly while another soaks up the noise.
//! - **ρ per quarter of data and per four consecutive quarters**: the caps of DESIGN §4, summed
//!   over every release the council has published.
//! - **Revisions** of one quarter at most `max_revision`.
//! - **Plausible values**: every value within [`NetworkPolicy::value_bounds`], derived from the
//!   most people a council can have in a quarter, the table's per-person contribution and a
//!   generous multiple of σ: a correct node is never refused (the chance that the discrete
//!   Gaussian lands beyond 10σ is about 10⁻²³), while a value like `i64::MAX` cannot distort a
//!   benchmark.
//! - **Creation time** not in the future beyond a clock-skew allowance.
//!
//! What it cannot bound: a council's honesty about its own case data. A node that imports made-up
//! records makes a correct, plausible release of made-up figures; only the council's own data
//! checks (the `validated` flag it declares) speak to that.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    period::Period,
    release::Release,
    spec::{SpecId, TableSpec},
};

/// The document format.
pub const POLICY_FORMAT: &str = "msp-policy/1";

/// How far a table's ρ may stray, relative to its weight's share of the release's ρ. The node
/// charges what opendp's privacy map reports for the σ it chose, which sits a hair below the share.
pub const SHARE_TOLERANCE: f64 = 1e-3;

/// Slack on the ρ caps for floating-point sums (so that two releases of 0.5 fit a cap of 1.0).
pub const CAP_TOLERANCE: f64 = 1e-9;

/// The bounds on ρ per release.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RhoRange {
    /// The least ρ a release may spend.
    pub min: f64,
    /// The most ρ a release may spend.
    pub max: f64,
}

impl RhoRange {
    /// Whether a release stating `rho` is within the range, with [`CAP_TOLERANCE`] for the last
    /// bits of opendp's privacy maps: the one test both ends apply.
    pub fn admits(&self, rho: f64) -> bool {
        rho >= self.min * (1.0 - CAP_TOLERANCE) && rho <= self.max * (1.0 + CAP_TOLERANCE)
    }
}

/// The network's privacy policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "msp-policy/1", description = "The network's privacy policy, set by the coordinator's operator.")]
pub struct NetworkPolicy {
    /// Document format: `msp-policy/1`.
    pub format: String,
    /// The report specs the network accepts.
    pub specs: Vec<SpecId>,
    /// ρ per release.
    pub rho_per_release: RhoRange,
    /// Most ρ the releases of one council's quarter of data may spend together.
    pub rho_per_quarter: f64,
    /// Most ρ any four consecutive quarters of one council's data may spend together.
    pub rho_per_four_quarters: f64,
    /// The highest revision of one quarter (1 = no revisions).
    pub max_revision: u32,
    /// The most people one council can have in a quarter's population: the base of every value bound.
    pub max_people_per_council_quarter: u64,
    /// How many σ of noise a value may carry beyond its exact range.
    pub noise_allowance_sigmas: f64,
    /// How far in the future a release's `created_at` may be, in seconds (clocks differ).
    pub clock_skew_seconds: u64,
}

impl Default for NetworkPolicy {
    /// Safe defaults: the node's own defaults (ρ = 0.5 per release, 1.0 per quarter, 2.5 per four
    /// quarters) fit with room for one revision; no council in England concludes anywhere near
    /// 50,000 people's enquiries in a quarter (the largest conclude a few thousand).
    fn default() -> Self {
        Self {
            format: POLICY_FORMAT.to_owned(),
            specs: SpecId::ALL.to_vec(),
            rho_per_release: RhoRange { min: 0.05, max: 1.0 },
            rho_per_quarter: 1.0,
            rho_per_four_quarters: 2.5,
            max_revision: 3,
            max_people_per_council_quarter: 50_000,
            noise_allowance_sigmas: 10.0,
            clock_skew_seconds: 300,
        }
    }
}

/// The policy as `GET /v1/policy` serves it: the document, and the same document as a compact JWS
/// signed with the coordinator's receipt-signing key (`typ: msp-policy+jws`). A node trusts only
/// the JWS's payload, verified with the key it pinned, and checks that it matches `policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPolicy {
    /// The policy.
    pub policy: NetworkPolicy,
    /// The policy's exact JSON as a compact JWS signed by the coordinator.
    pub policy_jws: String,
}

/// A policy that cannot be enforced as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the network policy is not usable: {0}")]
pub struct PolicyError(pub String);

/// Which limit of the policy a release breaks, with the figures. Each says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyViolation {
    /// The spec is not accepted.
    #[error("the network does not accept {spec} releases (it accepts {accepted}): update the node's software")]
    Spec {
        /// The release's spec.
        spec: SpecId,
        /// What the policy accepts.
        accepted: String,
    },
    /// ρ outside the range.
    #[error(
        "the release spends ρ = {rho}, outside the network's range [{min}, {max}] per release: set \
         rho_per_release in node.toml's [budget] within it"
    )]
    RhoPerRelease {
        /// ρ of the release.
        rho: f64,
        /// Least allowed.
        min: f64,
        /// Most allowed.
        max: f64,
    },
    /// A table's ρ is not its weight's share.
    #[error(
        "table {table:?} spends ρ = {rho}, but its weight in the spec gives it {expected}: the release was not made \
         by the network's software; make it again with msp-node"
    )]
    TableShare {
        /// The table.
        table: String,
        /// Its ρ.
        rho: f64,
        /// Its weight's share of the release's ρ.
        expected: f64,
    },
    /// Too many revisions.
    #[error(
        "revision {revision} is beyond the network's limit of {max} per quarter: the quarter cannot be revised again"
    )]
    Revision {
        /// The release's revision.
        revision: u32,
        /// The limit.
        max: u32,
    },
    /// Made in the future.
    #[error(
        "the release says it was made at {created_at}, more than {skew_seconds} s after the coordinator's clock \
         ({now}): correct the node's clock (NTP) and make the release again"
    )]
    Future {
        /// Its `created_at`.
        created_at: String,
        /// The checker's clock.
        now: String,
        /// The allowance.
        skew_seconds: u64,
    },
    /// A value outside its plausible range.
    #[error(
        "table {table:?} cell {cell:?} holds {value}, outside the plausible range [{low}, {high}] for a council \
         (at most {people} people, plus {sigmas}σ of noise with σ = {sigma}): the release is corrupt or was not \
         made by the network's software"
    )]
    Implausible {
        /// The table.
        table: String,
        /// The cell's code.
        cell: String,
        /// The value.
        value: i64,
        /// Lowest plausible value.
        low: f64,
        /// Highest plausible value.
        high: f64,
        /// The policy's people bound.
        people: u64,
        /// The noise allowance.
        sigmas: f64,
        /// The table's σ.
        sigma: f64,
    },
}

impl PolicyViolation {
    /// Whether this is a plausibility failure (a value, a table's share, the clock) rather than a
    /// breach of a budget limit (ρ range, revisions, spec): the two get different problem types.
    pub fn is_implausible(&self) -> bool {
        matches!(self, Self::Implausible { .. } | Self::TableShare { .. } | Self::Future { .. })
    }
}

/// A charge that would break a cap on ρ.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CapExceeded {
    /// One quarter's cap.
    #[error(
        "{period} would have ρ = {total:.4} published against the network's cap of {cap} per quarter (ρ = {spent:.4} already)"
    )]
    Quarter {
        /// The quarter of data.
        period: Period,
        /// ρ already published for it.
        spent: f64,
        /// With the new release.
        total: f64,
        /// The cap.
        cap: f64,
    },
    /// A four-quarter window's cap.
    #[error(
        "the four quarters from {first} would have ρ = {total:.4} published against the network's cap of {cap} per \
         four quarters (ρ = {spent:.4} already)"
    )]
    FourQuarters {
        /// The window's first quarter.
        first: Period,
        /// ρ already published in it.
        spent: f64,
        /// With the new release.
        total: f64,
        /// The cap.
        cap: f64,
    },
}

impl NetworkPolicy {
    /// Checks that the policy can be enforced as written.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let fail = |m: String| Err(PolicyError(m));
        if self.format != POLICY_FORMAT {
            return fail(format!("format must be {POLICY_FORMAT:?}, not {:?}", self.format));
        }
        if self.specs.is_empty() {
            return fail("specs must name at least one report spec".into());
        }
        let RhoRange { min, max } = self.rho_per_release;
        for (name, v) in [
            ("rho_per_release.min", min),
            ("rho_per_release.max", max),
            ("rho_per_quarter", self.rho_per_quarter),
            ("rho_per_four_quarters", self.rho_per_four_quarters),
            ("noise_allowance_sigmas", self.noise_allowance_sigmas),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return fail(format!("{name} must be a number above 0, not {v}"));
            }
        }
        if min > max {
            return fail(format!("rho_per_release.min ({min}) cannot exceed rho_per_release.max ({max})"));
        }
        if max > self.rho_per_quarter {
            return fail(format!(
                "rho_per_release.max ({max}) cannot exceed rho_per_quarter ({})",
                self.rho_per_quarter
            ));
        }
        if self.rho_per_quarter > self.rho_per_four_quarters {
            return fail(format!(
                "rho_per_quarter ({}) cannot exceed rho_per_four_quarters ({})",
                self.rho_per_quarter, self.rho_per_four_quarters
            ));
        }
        if self.noise_allowance_sigmas < 6.0 {
            return fail(format!(
                "noise_allowance_sigmas ({}) below 6 would refuse correct releases (beyond 6σ happens about once in \
                 10⁹ values)",
                self.noise_allowance_sigmas
            ));
        }
        if self.max_revision == 0 {
            return fail("max_revision must be 1 or more".into());
        }
        if self.max_people_per_council_quarter == 0 {
            return fail("max_people_per_council_quarter must be 1 or more".into());
        }
        Ok(())
    }

    /// The plausible range `[low, high]` of every value of `table` released with noise scale
    /// `sigma`: an exact cell lies in `[people × a, people × b]`, where `[a, b]` is what one person
    /// adds to one cell (`[0, 1]` in a partition or a multi-valued table, whose person adds 1 to
    /// each of at most k distinct cells; `[0, U]` in a sum clamped to `[0, U]`; `[−c, U − c]` in
    /// one centred on `c`), and noise adds at most `noise_allowance_sigmas × σ` either way.
    pub fn value_bounds(&self, table: &TableSpec, sigma: f64) -> (f64, f64) {
        let (least, most) = table.per_person();
        let noise = self.noise_allowance_sigmas * sigma;
        let people = self.max_people_per_council_quarter as f64;
        (people * least - noise, people * most + noise)
    }

    /// Checks one release against every limit that the release alone decides (all but the caps
    /// on ρ summed over releases, which need the ledger: [`Spending::check`]). `now` is the
    /// checker's clock.
    pub fn check_release(&self, release: &Release, now: OffsetDateTime) -> Result<(), PolicyViolation> {
        let f = release.fields();
        if !self.specs.contains(&f.spec) {
            let accepted = self.specs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            return Err(PolicyViolation::Spec { spec: f.spec, accepted });
        }
        let RhoRange { min, max } = self.rho_per_release;
        let rho = f.privacy.rho;
        if !self.rho_per_release.admits(rho) {
            return Err(PolicyViolation::RhoPerRelease { rho, min, max });
        }
        if f.revision > self.max_revision {
            return Err(PolicyViolation::Revision { revision: f.revision, max: self.max_revision });
        }
        let allowed = now + time::Duration::seconds(i64::try_from(self.clock_skew_seconds).unwrap_or(i64::MAX));
        if f.created_at.get() > allowed {
            return Err(PolicyViolation::Future {
                created_at: f.created_at.to_string(),
                now: crate::release::Timestamp::from(now).to_string(),
                skew_seconds: self.clock_skew_seconds,
            });
        }
        for (spec, table) in f.spec.spec().tables.iter().zip(&f.tables) {
            let expected = spec.weight() * rho;
            if (table.rho - expected).abs() > SHARE_TOLERANCE * expected {
                return Err(PolicyViolation::TableShare { table: table.table.clone(), rho: table.rho, expected });
            }
            let (low, high) = self.value_bounds(spec, table.sigma);
            for (cell, &value) in spec.cells.iter().zip(&table.values) {
                let v = value as f64;
                if !(v >= low && v <= high) {
                    return Err(PolicyViolation::Implausible {
                        table: table.table.clone(),
                        cell: cell.code.clone(),
                        value,
                        low,
                        high,
                        people: self.max_people_per_council_quarter,
                        sigmas: self.noise_allowance_sigmas,
                        sigma: table.sigma,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The ρ one council has spent (or published) per quarter of data: the ledger's arithmetic,
/// the same at the node (its own charges) and at the coordinator (every release it accepted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spending(BTreeMap<Period, f64>);

impl Spending {
    /// Charges as (quarter of data, ρ), in any order.
    pub fn from_charges(charges: impl IntoIterator<Item = (Period, f64)>) -> Self {
        let mut m = BTreeMap::new();
        for (p, rho) in charges {
            *m.entry(p).or_insert(0.0) += rho;
        }
        Self(m)
    }

    /// ρ spent on one quarter's data.
    pub fn quarter(&self, p: Period) -> f64 {
        self.0.get(&p).copied().unwrap_or(0.0)
    }

    /// ρ spent on the four quarters starting at `first`.
    pub fn window(&self, first: Period) -> f64 {
        std::iter::successors(Some(first), |p| p.next()).take(4).map(|p| self.quarter(p)).sum()
    }

    /// The four-quarter windows that hold `period`, earliest first.
    pub fn windows_holding(period: Period) -> impl Iterator<Item = Period> {
        let earliest = std::iter::successors(Some(period), |p| p.previous()).take(4).last().unwrap_or(period);
        std::iter::successors(Some(earliest), |p| p.next()).take_while(move |p| *p <= period)
    }

    /// Quarters with any spending, oldest first.
    pub fn quarters(&self) -> impl Iterator<Item = (Period, f64)> + '_ {
        self.0.iter().map(|(p, r)| (*p, *r))
    }

    /// Whether a further charge of `rho` on `period` fits a cap of `per_quarter` on the quarter and
    /// `per_four_quarters` on every four consecutive quarters holding it; the first cap it breaks.
    pub fn check(&self, period: Period, rho: f64, per_quarter: f64, per_four_quarters: f64) -> Result<(), CapExceeded> {
        let spent = self.quarter(period);
        if spent + rho > per_quarter * (1.0 + CAP_TOLERANCE) {
            return Err(CapExceeded::Quarter { period, spent, total: spent + rho, cap: per_quarter });
        }
        for first in Self::windows_holding(period) {
            let spent = self.window(first);
            if spent + rho > per_four_quarters * (1.0 + CAP_TOLERANCE) {
                return Err(CapExceeded::FourQuarters { first, spent, total: spent + rho, cap: per_four_quarters });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
