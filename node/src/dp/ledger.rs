//! The privacy budget rules (DESIGN §4), as pure functions over the ledger's charges.
//!
//! Every release charges its ρ against the quarter of data it covers. The releases of one
//! quarter (the first and any revisions) may spend at most `per_quarter` together, and any four
//! consecutive quarters at most `per_four_quarters`. Because one person can appear in many
//! quarters, these caps bound the privacy loss per quarter and per rolling year, not over a
//! lifetime.

use std::collections::BTreeMap;

use msp_schemas::{Period, release::zcdp_epsilon};
use serde::{Deserialize, Serialize};

/// The budget settings (`[budget]` in `node.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// ρ each release spends.
    pub rho_per_release: f64,
    /// Most ρ the releases of one quarter's data may spend together.
    pub rho_per_quarter: f64,
    /// Most ρ any four consecutive quarters may spend together.
    pub rho_per_four_quarters: f64,
    /// The δ at which ε is reported.
    pub delta: f64,
}

impl Default for Budget {
    fn default() -> Self {
        Self { rho_per_release: 0.5, rho_per_quarter: 1.0, rho_per_four_quarters: 2.5, delta: 1e-6 }
    }
}

/// A budget setting that makes no sense.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the [budget] settings are not usable: {0}")]
pub struct BudgetError(pub String);

impl Budget {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), BudgetError> {
        for (name, v) in [
            ("rho_per_release", self.rho_per_release),
            ("rho_per_quarter", self.rho_per_quarter),
            ("rho_per_four_quarters", self.rho_per_four_quarters),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(BudgetError(format!("{name} must be a number above 0, not {v}")));
            }
        }
        if self.rho_per_release > self.rho_per_quarter {
            return Err(BudgetError("rho_per_release cannot exceed rho_per_quarter".into()));
        }
        if self.rho_per_quarter > self.rho_per_four_quarters {
            return Err(BudgetError("rho_per_quarter cannot exceed rho_per_four_quarters".into()));
        }
        if !(self.delta > 0.0 && self.delta < 1e-3) {
            return Err(BudgetError(format!("delta must be above 0 and below 0.001, not {}", self.delta)));
        }
        Ok(())
    }

    /// ε at this budget's δ for a given ρ.
    pub fn epsilon(&self, rho: f64) -> f64 {
        if rho <= 0.0 { 0.0 } else { zcdp_epsilon(rho, self.delta) }
    }
}

/// Spending per quarter (ρ summed in chronological order of charging).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spent(BTreeMap<Period, f64>);

impl Spent {
    /// The ledger's charges, as (quarter, ρ) in the order they were made.
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
        let mut total = 0.0;
        let mut q = Some(first);
        for _ in 0..4 {
            let Some(p) = q else { break };
            total += self.quarter(p);
            q = p.next();
        }
        total
    }

    /// Quarters with any spending, oldest first.
    pub fn quarters(&self) -> impl Iterator<Item = (Period, f64)> + '_ {
        self.0.iter().map(|(p, r)| (*p, *r))
    }
}

/// Why a charge is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The quarter's own cap.
    #[error(
        "a release of {period} would spend ρ = {rho:.4}, but its data have ρ = {remaining:.4} left of {cap} \
         (ρ = {spent:.4} spent by earlier releases of {period}). That budget does not come back: {period} \
         cannot be released again.{hint}"
    )]
    Quarter {
        /// The quarter.
        period: Period,
        /// ρ asked for.
        rho: f64,
        /// ρ already spent.
        spent: f64,
        /// The cap.
        cap: f64,
        /// What is left.
        remaining: f64,
        /// Advice.
        hint: String,
    },
    /// A rolling four-quarter cap.
    #[error(
        "a release of {period} would spend ρ = {rho:.4}, but the four quarters {first} to {last} have ρ = {remaining:.4} \
         left of {cap} (ρ = {spent:.4} spent). Spending on those quarters never comes back, so {period} cannot be \
         released again.{hint}"
    )]
    Rolling {
        /// The quarter.
        period: Period,
        /// ρ asked for.
        rho: f64,
        /// First quarter of the full window.
        first: Period,
        /// Last quarter of the full window.
        last: Period,
        /// ρ spent in the window.
        spent: f64,
        /// The cap.
        cap: f64,
        /// What is left.
        remaining: f64,
        /// Advice.
        hint: String,
    },
}

/// Whether a release of `period` spending `rho` fits the budget, given what is spent.
pub fn check(spent: &Spent, budget: &Budget, period: Period, rho: f64) -> Result<(), Refusal> {
    let q = spent.quarter(period);
    if q + rho > budget.rho_per_quarter {
        return Err(Refusal::Quarter {
            period,
            rho,
            spent: q,
            cap: budget.rho_per_quarter,
            remaining: (budget.rho_per_quarter - q).max(0.0),
            hint: next_hint(spent, budget, period, rho),
        });
    }
    for first in windows_containing(period) {
        let w = spent.window(first);
        if w + rho > budget.rho_per_four_quarters {
            let last = (0..3).fold(first, |p, _| p.next().unwrap_or(p));
            return Err(Refusal::Rolling {
                period,
                rho,
                first,
                last,
                spent: w,
                cap: budget.rho_per_four_quarters,
                remaining: (budget.rho_per_four_quarters - w).max(0.0),
                hint: next_hint(spent, budget, period, rho),
            });
        }
    }
    Ok(())
}

/// The first quarters of the four windows of four quarters that contain `period`.
fn windows_containing(period: Period) -> Vec<Period> {
    period.window(4)
}

/// Where a refused release could go instead: the next later quarter with room.
fn next_hint(spent: &Spent, budget: &Budget, period: Period, rho: f64) -> String {
    let mut q = period.next();
    for _ in 0..12 {
        let Some(p) = q else { break };
        if spent.quarter(p) + rho <= budget.rho_per_quarter
            && windows_containing(p).into_iter().all(|f| spent.window(f) + rho <= budget.rho_per_four_quarters)
        {
            return format!(" The next quarter with room for a release is {p}.");
        }
        q = p.next();
    }
    String::new()
}

/// What remains for one quarter: its own cap, and the tightest four-quarter window containing it.
pub fn remaining(spent: &Spent, budget: &Budget, period: Period) -> f64 {
    let own = budget.rho_per_quarter - spent.quarter(period);
    let rolling = windows_containing(period)
        .into_iter()
        .map(|f| budget.rho_per_four_quarters - spent.window(f))
        .fold(f64::INFINITY, f64::min);
    own.min(rolling).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    const HALF: f64 = 0.5 * super::super::mechanism::RHO_SLACK;

    #[test]
    fn a_quarter_takes_a_first_release_and_one_revision_by_default() {
        let b = Budget::default();
        let q = p("2026-27-Q1");
        let mut charges = vec![];
        for _ in 0..2 {
            check(&Spent::from_charges(charges.clone()), &b, q, HALF).unwrap();
            charges.push((q, HALF));
        }
        let err = check(&Spent::from_charges(charges), &b, q, HALF).unwrap_err();
        assert!(matches!(err, Refusal::Quarter { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("left of 1") && msg.contains("2026-27-Q2"), "{msg}");
    }

    #[test]
    fn four_consecutive_quarters_take_five_releases_by_default() {
        let b = Budget::default();
        let quarters = p("2027-28-Q1").window(4);
        let mut charges = vec![];
        for q in &quarters {
            charges.push((*q, HALF));
        }
        check(&Spent::from_charges(charges.clone()), &b, quarters[3], HALF).unwrap();
        charges.push((quarters[3], HALF));
        let err = check(&Spent::from_charges(charges.clone()), &b, quarters[1], HALF).unwrap_err();
        assert!(matches!(err, Refusal::Rolling { .. }), "{err}");
        // The next quarter's windows start later, so it has room for one release, not two.
        let next = quarters[3].next().unwrap();
        check(&Spent::from_charges(charges.clone()), &b, next, HALF).unwrap();
        charges.push((next, HALF));
        let err = check(&Spent::from_charges(charges), &b, next, HALF).unwrap_err();
        assert!(matches!(err, Refusal::Rolling { first, .. } if first == quarters[1]), "{err}");
    }

    #[test]
    fn later_quarters_count_against_an_earlier_revision() {
        // Releasing later quarters first must not let a revision of an earlier one overspend.
        let b = Budget::default();
        let (q1, q2, q3, q4) = (p("2026-27-Q1"), p("2026-27-Q2"), p("2026-27-Q3"), p("2026-27-Q4"));
        let mut charges = vec![(q2, HALF), (q2, HALF), (q3, HALF), (q4, HALF)];
        check(&Spent::from_charges(charges.clone()), &b, q1, HALF).unwrap();
        charges.push((q1, HALF));
        let spent = Spent::from_charges(charges);
        let err = check(&spent, &b, q1, HALF).unwrap_err();
        assert!(matches!(err, Refusal::Rolling { first, .. } if first == q1), "{err}");
        assert!(remaining(&spent, &b, q1) < HALF);
    }

    #[test]
    fn remaining_is_the_tighter_of_the_quarter_and_its_windows() {
        let b = Budget::default();
        let q = p("2026-27-Q2");
        let spent = Spent::from_charges([(q, HALF)]);
        assert!((remaining(&spent, &b, q) - (1.0 - HALF)).abs() < 1e-12);
        assert!((remaining(&spent, &b, p("2026-27-Q3")) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unusable_budgets_are_refused() {
        let ok = Budget::default();
        ok.validate().unwrap();
        assert!(Budget { rho_per_release: 0.0, ..ok }.validate().is_err());
        assert!(Budget { rho_per_release: 2.0, ..ok }.validate().is_err());
        assert!(Budget { rho_per_quarter: 3.0, ..ok }.validate().is_err());
        assert!(Budget { delta: 0.5, ..ok }.validate().is_err());
        assert!(Budget { rho_per_four_quarters: f64::NAN, ..ok }.validate().is_err());
    }

    #[test]
    fn epsilon_is_reported_at_the_configured_delta() {
        let b = Budget::default();
        assert!((b.epsilon(0.5) - 5.7565).abs() < 1e-3);
        assert_eq!(b.epsilon(0.0), 0.0);
    }
}
