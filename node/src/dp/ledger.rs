//! The privacy budget rules (DESIGN §4), as pure functions over the ledger's charges.
//!
//! The settings are plain data ([`Budget`], `[budget]` in `node.toml`); these rules receive the
//! caps they set, held to the network's policy ([`super::limits`]). Every release charges its ρ against the quarter of data it covers. The releases of one
//! quarter (the first and any revisions) may spend at most `per_quarter` together, and any four
//! consecutive quarters at most `per_four_quarters`. Because one person can appear in many
//! quarters, these caps bound the privacy loss per quarter and per rolling year, not over a
//! lifetime.

use msp_schemas::{
    Period,
    policy::{CapExceeded, Spending},
};

use crate::config::Budget;

/// The caps on ρ a charge is checked against: per quarter of data, and per four consecutive
/// quarters. In a release they are the tighter of the node's and the network's
/// ([`super::limits::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Caps {
    /// Most ρ the releases of one quarter's data may spend together.
    pub per_quarter: f64,
    /// Most ρ any four consecutive quarters may spend together.
    pub per_four_quarters: f64,
}

impl Caps {
    /// The node's own caps, from its `[budget]`.
    pub fn of(budget: &Budget) -> Self {
        Self { per_quarter: budget.rho_per_quarter, per_four_quarters: budget.rho_per_four_quarters }
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

/// Whether a release of `period` spending `rho` fits the caps, given what is spent: the
/// arithmetic is the network's own ([`Spending::check`], the same at the coordinator); the
/// refusal says what it means for this node.
pub fn check(spent: &Spending, caps: Caps, period: Period, rho: f64) -> Result<(), Refusal> {
    match spent.check(period, rho, caps.per_quarter, caps.per_four_quarters) {
        Ok(()) => Ok(()),
        Err(CapExceeded::Quarter { spent: q, cap, .. }) => Err(Refusal::Quarter {
            period,
            rho,
            spent: q,
            cap,
            remaining: (cap - q).max(0.0),
            hint: next_hint(spent, caps, period, rho),
        }),
        Err(CapExceeded::FourQuarters { first, spent: w, cap, .. }) => Err(Refusal::Rolling {
            period,
            rho,
            first,
            last: (0..3).fold(first, |p, _| p.next().unwrap_or(p)),
            spent: w,
            cap,
            remaining: (cap - w).max(0.0),
            hint: next_hint(spent, caps, period, rho),
        }),
    }
}

/// Where a refused release could go instead: the next later quarter with room.
fn next_hint(spent: &Spending, caps: Caps, period: Period, rho: f64) -> String {
    std::iter::successors(period.next(), |p| p.next())
        .take(12)
        .find(|p| spent.check(*p, rho, caps.per_quarter, caps.per_four_quarters).is_ok())
        .map(|p| format!(" The next quarter with room for a release is {p}."))
        .unwrap_or_default()
}

/// What remains for one quarter: its own cap, and the tightest four-quarter window holding it.
pub fn remaining(spent: &Spending, caps: Caps, period: Period) -> f64 {
    let own = caps.per_quarter - spent.quarter(period);
    let rolling = Spending::windows_holding(period)
        .map(|f| caps.per_four_quarters - spent.window(f))
        .fold(f64::INFINITY, f64::min);
    own.min(rolling).max(0.0)
}

/// One quarter as `msp-node budget` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterBudget {
    /// The quarter.
    pub period: Period,
    /// Releases of its data that were completed.
    pub releases: usize,
    /// Charges whose release was never completed (the process stopped after charging): the
    /// budget is spent all the same.
    pub interrupted: usize,
    /// ρ spent on its data.
    pub spent: f64,
    /// ρ left for it: the tighter of its own cap and the four-quarter windows containing it.
    pub remaining: f64,
    /// The first of the four quarters that end with this one.
    pub four_quarters_from: Period,
    /// ρ spent on those four quarters.
    pub four_quarters_spent: f64,
}

/// The budget quarter by quarter, from the ledger's charges as (quarter, ρ, whether its release
/// was completed) in the order they were made: every quarter with a charge, oldest first; when
/// nothing has been charged yet, `otherwise` (the last finished quarter), with nothing spent.
pub fn statement(charges: &[(Period, f64, bool)], caps: Caps, otherwise: Option<Period>) -> Vec<QuarterBudget> {
    let spent = Spending::from_charges(charges.iter().map(|(p, rho, _)| (*p, *rho)));
    let mut quarters: Vec<Period> = spent.quarters().map(|(p, _)| p).collect();
    if quarters.is_empty() {
        quarters.extend(otherwise);
    }
    quarters
        .into_iter()
        .map(|q| {
            let first = Spending::windows_holding(q).next().unwrap_or(q);
            let of_q = || charges.iter().filter(move |(p, _, _)| *p == q);
            QuarterBudget {
                period: q,
                releases: of_q().filter(|(_, _, done)| *done).count(),
                interrupted: of_q().filter(|(_, _, done)| !*done).count(),
                spent: spent.quarter(q),
                remaining: remaining(&spent, caps, q),
                four_quarters_from: first,
                four_quarters_spent: spent.window(first),
            }
        })
        .collect()
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
        let b = Caps::of(&Budget::default());
        let q = p("2026-27-Q1");
        let mut charges = vec![];
        for _ in 0..2 {
            check(&Spending::from_charges(charges.clone()), b, q, HALF).unwrap();
            charges.push((q, HALF));
        }
        let err = check(&Spending::from_charges(charges), b, q, HALF).unwrap_err();
        assert!(matches!(err, Refusal::Quarter { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("left of 1") && msg.contains("2026-27-Q2"), "{msg}");
    }

    #[test]
    fn four_consecutive_quarters_take_five_releases_by_default() {
        let b = Caps::of(&Budget::default());
        let quarters = p("2027-28-Q1").window(4);
        let mut charges = vec![];
        for q in &quarters {
            charges.push((*q, HALF));
        }
        check(&Spending::from_charges(charges.clone()), b, quarters[3], HALF).unwrap();
        charges.push((quarters[3], HALF));
        let err = check(&Spending::from_charges(charges.clone()), b, quarters[1], HALF).unwrap_err();
        assert!(matches!(err, Refusal::Rolling { .. }), "{err}");
        // The next quarter's windows start later, so it has room for one release, not two.
        let next = quarters[3].next().unwrap();
        check(&Spending::from_charges(charges.clone()), b, next, HALF).unwrap();
        charges.push((next, HALF));
        let err = check(&Spending::from_charges(charges), b, next, HALF).unwrap_err();
        assert!(matches!(err, Refusal::Rolling { first, .. } if first == quarters[1]), "{err}");
    }

    #[test]
    fn later_quarters_count_against_an_earlier_revision() {
        // Releasing later quarters first must not let a revision of an earlier one overspend.
        let b = Caps::of(&Budget::default());
        let (q1, q2, q3, q4) = (p("2026-27-Q1"), p("2026-27-Q2"), p("2026-27-Q3"), p("2026-27-Q4"));
        let mut charges = vec![(q2, HALF), (q2, HALF), (q3, HALF), (q4, HALF)];
        check(&Spending::from_charges(charges.clone()), b, q1, HALF).unwrap();
        charges.push((q1, HALF));
        let spent = Spending::from_charges(charges);
        let err = check(&spent, b, q1, HALF).unwrap_err();
        assert!(matches!(err, Refusal::Rolling { first, .. } if first == q1), "{err}");
        assert!(remaining(&spent, b, q1) < HALF);
    }

    #[test]
    fn the_statement_shows_each_charged_quarter_or_else_the_last_finished_one() {
        let b = Caps::of(&Budget::default());
        let (q1, q2) = (p("2026-27-Q1"), p("2026-27-Q2"));
        let charges = [(q2, HALF, true), (q1, HALF, true), (q1, HALF, false)];
        let rows = statement(&charges, b, Some(p("2030-31-Q1")));
        assert_eq!(rows.iter().map(|r| r.period).collect::<Vec<_>>(), [q1, q2], "charged quarters, oldest first");
        assert_eq!((rows[0].releases, rows[0].interrupted), (1, 1));
        assert!((rows[0].spent - 2.0 * HALF).abs() < 1e-12 && rows[0].remaining < HALF);
        assert_eq!(rows[1].four_quarters_from, p("2025-26-Q3"));
        assert!((rows[1].four_quarters_spent - 3.0 * HALF).abs() < 1e-12);
        let empty = statement(&[], b, Some(q1));
        assert_eq!(empty.len(), 1);
        assert_eq!((empty[0].period, empty[0].spent, empty[0].remaining), (q1, 0.0, 1.0));
        assert!(statement(&[], b, None).is_empty());
    }

    #[test]
    fn remaining_is_the_tighter_of_the_quarter_and_its_windows() {
        let b = Caps::of(&Budget::default());
        let q = p("2026-27-Q2");
        let spent = Spending::from_charges([(q, HALF)]);
        assert!((remaining(&spent, b, q) - (1.0 - HALF)).abs() < 1e-12);
        assert!((remaining(&spent, b, p("2026-27-Q3")) - 1.0).abs() < 1e-12);
    }
}
