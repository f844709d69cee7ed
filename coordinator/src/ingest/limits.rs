//! The network policy's limits on a submission (DESIGN §4 "The network policy bounds every node",
//! §7 "Plausibility and limits"), as refusals with their problem types. Pure: the ledger's
//! figures come from the store, read inside the writer's transaction.
//!
//! - [`admit`]: what the release alone decides (the contract's `check_release`): a breach of a
//!   limit (spec, ρ per release, revision) is a `policy-violation`; a value, a table's share of ρ
//!   or a creation time that no correct node makes is an `implausible-release`.
//! - [`Ledger`]: what the council's published releases decide: ρ per quarter of data and per four
//!   consecutive quarters, summed over every release the coordinator accepted from the council,
//!   whichever of its keys (current or revoked) signed it, so a second key, a new node or a node
//!   restored from backup cannot spend again what was spent. A refusal is a `budget-exceeded`.
//!
//! `budget-exceeded` answers 422 rather than 409: the submission is well-formed and correctly
//! signed but refused under the network's rules, like a `policy-violation`; in this protocol 409
//! means only "different bytes for a stored (council, period, revision)", and a client must not
//! read a spent budget as that.

use std::collections::HashMap;

use msp_schemas::{
    CouncilCode, Period, ProblemType, Release,
    policy::{CapExceeded, NetworkPolicy, PolicyViolation, Spending},
};
use time::OffsetDateTime;

use super::{Checked, Refused};

/// Holds a release to every limit of the policy that it alone decides; `now` is the
/// coordinator's clock.
#[tracing::instrument(name = "policy", skip_all)]
pub fn admit(policy: &NetworkPolicy, release: &Release, now: OffsetDateTime) -> Result<(), Refused> {
    policy.check_release(release, now).map_err(refusal)
}

/// A policy violation as a refusal: its problem type, and its message (which names the limit and
/// the figures) as the detail.
pub fn refusal(v: PolicyViolation) -> Refused {
    let kind = if v.is_implausible() { ProblemType::ImplausibleRelease } else { ProblemType::PolicyViolation };
    Refused::new(kind, v.to_string())
}

/// The ρ published by the councils of one batch, charged as the batch is settled.
#[derive(Debug, Default)]
pub struct Ledger {
    charges: HashMap<CouncilCode, Vec<(Period, f64)>>,
}

impl Ledger {
    /// The ledger from the charges stored for each council (every accepted submission's ρ).
    pub fn new(charges: HashMap<CouncilCode, Vec<(Period, f64)>>) -> Self {
        Self { charges }
    }

    /// What `council` has published, by quarter of data.
    pub fn spending(&self, council: CouncilCode) -> Spending {
        Spending::from_charges(self.charges.get(&council).into_iter().flatten().copied())
    }

    /// Charges the submission's ρ to its council if it fits the policy's caps; otherwise the
    /// refusal, and nothing charged.
    pub fn charge(&mut self, policy: &NetworkPolicy, c: &Checked) -> Result<(), Refused> {
        let rho = c.rho();
        self.spending(c.council)
            .check(c.period, rho, policy.rho_per_quarter, policy.rho_per_four_quarters)
            .map_err(|cap| exceeded(c.council, c.period, c.revision, rho, cap))?;
        self.charges.entry(c.council).or_default().push((c.period, rho));
        Ok(())
    }
}

/// The refusal of revision `revision` of `council`'s `period`, spending `rho`, for breaking `cap`:
/// the figures (ρ already published, this release's, the total and the cap, with the quarter or
/// window) and what it means.
pub fn exceeded(council: CouncilCode, period: Period, revision: u32, rho: f64, cap: CapExceeded) -> Refused {
    let meaning = match cap {
        CapExceeded::Quarter { .. } => format!(
            "the privacy budget of {council}'s {period} data is spent, and the releases accepted for it stand: \
             it cannot be revised again"
        ),
        CapExceeded::FourQuarters { .. } => format!(
            "{council} has published all the ρ the network allows over those four quarters: release {period} \
             with less ρ (rho_per_release in node.toml's [budget], within the network's range), or not at all"
        ),
    };
    Refused::new(
        ProblemType::BudgetExceeded,
        format!(
            "revision {revision} of {council}'s {period} spends ρ = {rho:.4}, and {cap}. The coordinator counts \
             every release it has accepted from {council}, whichever key signed it (a second key or a node \
             restored from backup shares this ledger): {meaning}. Nothing was stored."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Checked;

    const FIXTURE: &[u8] = include_bytes!("../../../schemas/tests/fixtures/release-v1.json");

    fn checked(period: &str, revision: u32) -> Checked {
        let mut fields = Release::from_json(FIXTURE).unwrap().fields().clone();
        fields.period = period.parse().unwrap();
        fields.revision = revision;
        let release = Release::new(fields).unwrap();
        Checked {
            council: release.council(),
            period: release.period(),
            revision,
            spec: release.spec(),
            fingerprint: "kid".into(),
            jws: String::new(),
            sha: [0; 32],
            payload: String::new(),
            release,
        }
    }

    #[test]
    fn two_releases_of_a_quarter_fit_its_cap_and_a_third_is_refused_with_the_figures() {
        let policy = NetworkPolicy::default();
        let mut ledger = Ledger::default();
        ledger.charge(&policy, &checked("2026-27-Q1", 1)).unwrap();
        ledger.charge(&policy, &checked("2026-27-Q1", 2)).unwrap();
        let refused = ledger.charge(&policy, &checked("2026-27-Q1", 3)).unwrap_err();
        assert_eq!(refused.kind, ProblemType::BudgetExceeded);
        for figure in ["revision 3", "2026-27-Q1", "ρ = 0.5000", "ρ = 1.5000", "cap of 1 per quarter", "ρ = 1.0000"]
        {
            assert!(refused.detail.contains(figure), "{figure}: {}", refused.detail);
        }
        let spent = ledger.spending("E06000001".parse().unwrap());
        assert!((spent.quarter("2026-27-Q1".parse().unwrap()) - 1.0).abs() < 1e-9, "the refused one is not charged");
    }

    #[test]
    fn five_quarters_in_a_row_break_no_window_but_a_revision_in_a_full_window_does() {
        let policy = NetworkPolicy::default();
        let mut ledger = Ledger::default();
        for q in ["2025-26-Q2", "2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"] {
            ledger.charge(&policy, &checked(q, 1)).unwrap();
        }
        // Every window holds at most 2.0; revising 2025-26-Q4 brings the two windows from 2025-26-Q2
        // and 2025-26-Q3 to the cap of 2.5, so revising 2026-27-Q1, in both, would make 3.0.
        ledger.charge(&policy, &checked("2025-26-Q4", 2)).unwrap();
        let refused = ledger.charge(&policy, &checked("2026-27-Q1", 2)).unwrap_err();
        assert_eq!(refused.kind, ProblemType::BudgetExceeded);
        assert!(refused.detail.contains("per four quarters"), "{}", refused.detail);
    }

    #[test]
    fn policy_violations_and_implausible_releases_get_their_own_types() {
        let r = refusal(PolicyViolation::Revision { revision: 4, max: 3 });
        assert_eq!(r.kind, ProblemType::PolicyViolation);
        assert!(r.detail.contains("revision 4") && r.detail.contains('3'), "{}", r.detail);
        let r = refusal(PolicyViolation::Future { created_at: "x".into(), now: "y".into(), skew_seconds: 300 });
        assert_eq!(r.kind, ProblemType::ImplausibleRelease);
    }
}
