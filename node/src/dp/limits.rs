//! The limits a release is made under: the node's own `[budget]` held to the network's policy
//! (DESIGN §4, "The network policy bounds every node").
//!
//! A node may be stricter than the network, never looser. Its ρ per release must lie within the
//! network's range, and its caps on a quarter and on four consecutive quarters may not exceed the
//! network's: a node set looser is refused with the setting named, both figures and what to
//! change in `node.toml`, rather than quietly clamped, so that what the council configured is
//! what it gets. The ledger is checked against the tighter of each pair all the same.

use msp_schemas::{Period, SpecId, policy::NetworkPolicy};

use super::ledger::Caps;
use crate::config::Budget;

/// Why the node's settings, or a release, do not fit the network's policy. `policy` says which
/// policy: fetched when, or the default.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LimitError {
    /// The node's ρ per release is outside the network's range.
    #[error(
        "node.toml sets rho_per_release = {node} in [budget], outside the range of ρ per release that {policy} \
         allows: from {min} to {max}. Set rho_per_release in node.toml's [budget] within that range (the network's \
         policy bounds every node; `msp-node policy` shows it). Nothing was released and no budget was spent."
    )]
    RhoPerRelease {
        /// The node's setting.
        node: f64,
        /// The network's least.
        min: f64,
        /// The network's most.
        max: f64,
        /// Which policy.
        policy: String,
    },
    /// What opendp states for the node's ρ falls just outside the range (a setting at its very edge).
    #[error(
        "node.toml sets rho_per_release = {node} in [budget], and a release at it would state ρ = {planned} (opendp's \
         privacy map, a hair below the setting), outside the range from {min} to {max} that {policy} allows. Set \
         rho_per_release a little further inside the range. Nothing was released and no budget was spent."
    )]
    PlannedRho {
        /// The node's setting.
        node: f64,
        /// What the release would state.
        planned: f64,
        /// The network's least.
        min: f64,
        /// The network's most.
        max: f64,
        /// Which policy.
        policy: String,
    },
    /// A cap of the node's is looser than the network's.
    #[error(
        "node.toml sets {setting} = {node} in [budget], looser than {policy}, which caps it at {network}. Set \
         {setting} in node.toml's [budget] to {network} or less (a node may be stricter than the network, never \
         looser). Nothing was released and no budget was spent."
    )]
    LooserCap {
        /// The setting: `rho_per_quarter` or `rho_per_four_quarters`.
        setting: &'static str,
        /// The node's figure.
        node: f64,
        /// The network's.
        network: f64,
        /// Which policy.
        policy: String,
    },
    /// The network accepts no spec this node can make (or not the one `node.toml` pins).
    #[error(
        "{policy} does not accept {spec} releases, which this node would make (it accepts {accepted}): \
         update msp-node to a version that makes one of them, or set `spec` in node.toml to one of them. \
         Nothing was released and no budget was spent."
    )]
    Spec {
        /// The spec the node would make.
        spec: SpecId,
        /// What the policy accepts.
        accepted: String,
        /// Which policy.
        policy: String,
    },
    /// One more revision would pass the network's limit.
    #[error(
        "{period} revision {revision} would be beyond the limit of {max} releases of one quarter that {policy} sets: \
         {period} cannot be revised again. Nothing was released and no budget was spent."
    )]
    Revision {
        /// The quarter.
        period: Period,
        /// The revision it would be.
        revision: u32,
        /// The limit.
        max: u32,
        /// Which policy.
        policy: String,
    },
}

/// The limits in force: the node's `[budget]`, checked against the network's policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// ρ each release spends (the node's setting, within the network's range).
    pub rho_per_release: f64,
    /// The caps the ledger is checked against: the tighter of the node's and the network's.
    pub caps: Caps,
    /// The highest revision of one quarter.
    pub max_revision: u32,
    /// The report spec releases follow: `node.toml`'s `spec` if set, or else the newest this
    /// build makes that the network accepts.
    pub spec: SpecId,
    policy: NetworkPolicy,
    described: String,
}

/// The spec a node releases under `policy`: `pinned` if set; or else the newest this build makes
/// that the policy accepts (the newest this build makes if it accepts none, which
/// [`Limits::new`] then refuses).
pub fn choose_spec(pinned: Option<SpecId>, policy: &NetworkPolicy) -> SpecId {
    pinned.unwrap_or_else(|| SpecId::ALL.into_iter().rev().find(|s| policy.specs.contains(s)).unwrap_or(SpecId::NEWEST))
}

/// The tighter of the node's caps and the network's, whether or not the node's fit.
pub fn tightest(budget: &Budget, policy: &NetworkPolicy) -> Caps {
    Caps {
        per_quarter: budget.rho_per_quarter.min(policy.rho_per_quarter),
        per_four_quarters: budget.rho_per_four_quarters.min(policy.rho_per_four_quarters),
    }
}

impl Limits {
    /// The limits for a node with `budget` (releasing `pinned` if `node.toml` names a spec) under
    /// `policy` (`described` says which policy, for the messages), or the first way the node's
    /// settings break the policy.
    pub fn new(
        budget: &Budget,
        pinned: Option<SpecId>,
        policy: &NetworkPolicy,
        described: &str,
    ) -> Result<Self, LimitError> {
        let named = || described.to_owned();
        let spec = choose_spec(pinned, policy);
        if !policy.specs.contains(&spec) {
            let accepted = policy.specs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            return Err(LimitError::Spec { spec, accepted, policy: named() });
        }
        let range = policy.rho_per_release;
        let rho = budget.rho_per_release;
        if !(rho >= range.min && rho <= range.max) {
            return Err(LimitError::RhoPerRelease { node: rho, min: range.min, max: range.max, policy: named() });
        }
        for (setting, node, network) in [
            ("rho_per_quarter", budget.rho_per_quarter, policy.rho_per_quarter),
            ("rho_per_four_quarters", budget.rho_per_four_quarters, policy.rho_per_four_quarters),
        ] {
            if node > network {
                return Err(LimitError::LooserCap { setting, node, network, policy: named() });
            }
        }
        Ok(Self {
            spec,
            rho_per_release: rho,
            caps: tightest(budget, policy),
            max_revision: policy.max_revision,
            policy: policy.clone(),
            described: named(),
        })
    }

    /// The network's policy these limits hold the node to.
    pub fn policy(&self) -> &NetworkPolicy {
        &self.policy
    }

    /// Which policy that is, for messages.
    pub fn described(&self) -> &str {
        &self.described
    }

    /// Whether a release stating `planned` (opendp's composed ρ for the node's setting) is within
    /// the network's range, by the same test as [`NetworkPolicy::check_release`] (`RhoRange::admits`): so that
    /// the coordinator, and `msp-node submit`, will not refuse what the node spends budget on.
    pub fn check_planned(&self, planned: f64) -> Result<(), LimitError> {
        let range = self.policy.rho_per_release;
        if range.admits(planned) {
            return Ok(());
        }
        Err(LimitError::PlannedRho {
            node: self.rho_per_release,
            planned,
            min: range.min,
            max: range.max,
            policy: self.described.clone(),
        })
    }

    /// Whether `revision` of `period` is within the network's limit.
    pub fn check_revision(&self, period: Period, revision: u32) -> Result<(), LimitError> {
        if revision <= self.max_revision {
            return Ok(());
        }
        Err(LimitError::Revision { period, revision, max: self.max_revision, policy: self.described.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(budget: Budget) -> Result<Limits, LimitError> {
        Limits::new(&budget, None, &NetworkPolicy::default(), "the test policy")
    }

    #[test]
    fn the_node_makes_the_newest_spec_the_network_accepts_unless_pinned() {
        let v1_only = NetworkPolicy { specs: vec![SpecId::MspQuarterlyV1], ..NetworkPolicy::default() };
        let b = Budget::default();
        assert_eq!(limits(b).unwrap().spec, SpecId::MspQuarterlyV2);
        assert_eq!(Limits::new(&b, None, &v1_only, "p").unwrap().spec, SpecId::MspQuarterlyV1);
        let pinned = Limits::new(&b, Some(SpecId::MspQuarterlyV1), &NetworkPolicy::default(), "p").unwrap();
        assert_eq!(pinned.spec, SpecId::MspQuarterlyV1);
        let err = Limits::new(&b, Some(SpecId::MspQuarterlyV2), &v1_only, "p").unwrap_err().to_string();
        assert!(err.contains("does not accept msp-quarterly/2") && err.contains("set `spec` in node.toml"), "{err}");
    }

    #[test]
    fn the_default_budget_fits_the_default_policy() {
        let l = limits(Budget::default()).unwrap();
        assert_eq!(
            (l.rho_per_release, l.caps, l.max_revision),
            (0.5, Caps { per_quarter: 1.0, per_four_quarters: 2.5 }, 3)
        );
    }

    #[test]
    fn rho_outside_the_range_is_refused_with_the_setting_and_both_figures() {
        for rho in [50.0, 0.01] {
            let budget = Budget {
                rho_per_release: rho,
                rho_per_quarter: 100.0,
                rho_per_four_quarters: 250.0,
                ..Budget::default()
            };
            let err = limits(budget).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, LimitError::RhoPerRelease { .. }), "{msg}");
            assert!(msg.contains(&format!("rho_per_release = {rho}")) && msg.contains("from 0.05 to 1"), "{msg}");
            assert!(msg.contains("the test policy") && msg.contains("no budget was spent"), "{msg}");
        }
    }

    #[test]
    fn looser_caps_are_refused_and_stricter_ones_are_kept() {
        let err = limits(Budget { rho_per_quarter: 1.5, ..Budget::default() }).unwrap_err().to_string();
        assert!(
            err.contains("rho_per_quarter = 1.5") && err.contains("caps it at 1") && err.contains("1 or less"),
            "{err}"
        );
        let err = limits(Budget { rho_per_four_quarters: 4.0, ..Budget::default() }).unwrap_err().to_string();
        assert!(err.contains("rho_per_four_quarters = 4") && err.contains("caps it at 2.5"), "{err}");
        let strict =
            Budget { rho_per_release: 0.25, rho_per_quarter: 0.5, rho_per_four_quarters: 1.0, ..Budget::default() };
        assert_eq!(limits(strict).unwrap().caps, Caps { per_quarter: 0.5, per_four_quarters: 1.0 });
    }

    #[test]
    fn a_spec_the_network_does_not_accept_is_refused() {
        let policy = NetworkPolicy { specs: vec![], ..NetworkPolicy::default() };
        let err = Limits::new(&Budget::default(), None, &policy, "p").unwrap_err().to_string();
        assert!(err.contains("msp-quarterly/2") && err.contains("update msp-node"), "{err}");
    }

    #[test]
    fn a_revision_past_the_limit_and_a_planned_rho_just_below_the_range_are_refused() {
        let l = limits(Budget { rho_per_release: 0.05, ..Budget::default() }).unwrap();
        let q: Period = "2026-27-Q1".parse().unwrap();
        l.check_revision(q, 3).unwrap();
        let err = l.check_revision(q, 4).unwrap_err().to_string();
        assert!(err.contains("revision 4") && err.contains("limit of 3") && err.contains("cannot be revised"), "{err}");
        l.check_planned(0.05 * (1.0 - 1e-10)).unwrap();
        let err = l.check_planned(0.05 * (1.0 - 1e-8)).unwrap_err().to_string();
        assert!(err.contains("a little further inside"), "{err}");
    }
}
