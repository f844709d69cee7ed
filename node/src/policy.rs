//! The network's policy (`msp-policy/1`, DESIGN §4) as this node holds it.
//!
//! The coordinator's operator sets the policy and serves it signed; a node may be stricter than
//! it, never looser. [`crate::submit::policy`] fetches it and keeps it only once its signature
//! checks out with the coordinator key this node pins; here it is read back. A node that has
//! never fetched one (set up only for `export-submission`, or not yet in touch with the
//! coordinator) holds the network's default policy, [`NetworkPolicy::default`], which is safe:
//! the coordinator's own policy may be stricter, and it refuses what breaks its own.

use msp_schemas::policy::NetworkPolicy;
use serde::Serialize;

use crate::store::{NodeStoreError, Store, StoredPolicy};

/// The policy the node goes by, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldPolicy {
    /// The policy.
    pub policy: NetworkPolicy,
    /// When it was fetched from the coordinator (RFC 3339); none for the default policy.
    pub fetched_at: Option<String>,
}

impl HeldPolicy {
    /// The network's default policy, held when none has been fetched.
    pub fn default_policy() -> Self {
        Self { policy: NetworkPolicy::default(), fetched_at: None }
    }

    /// Where the policy came from, for messages: "the network policy fetched from the coordinator
    /// at …", or "the network's default policy (none has been fetched from the coordinator yet)".
    pub fn describe(&self) -> String {
        match &self.fetched_at {
            Some(at) => format!("the network policy fetched from the coordinator at {at}"),
            None => "the network's default policy (none has been fetched from the coordinator yet)".into(),
        }
    }

    /// The policy's limits in one line, for people.
    pub fn summary(&self) -> String {
        let p = &self.policy;
        format!(
            "ρ per release from {} to {}; ρ = {} per quarter of data and {} per four consecutive quarters; at most {} \
             release{} of a quarter",
            p.rho_per_release.min,
            p.rho_per_release.max,
            p.rho_per_quarter,
            p.rho_per_four_quarters,
            p.max_revision,
            if p.max_revision == 1 { "" } else { "s" }
        )
    }
}

/// The policy this node holds: the one last fetched (verified when it was stored), or the
/// network's default when none has been.
pub async fn held(store: &Store) -> Result<HeldPolicy, NodeStoreError> {
    match store.network_policy().await? {
        Some(stored) => parse(&stored),
        None => Ok(HeldPolicy::default_policy()),
    }
}

/// A stored policy read back; one that no longer parses or validates means the database was
/// altered.
fn parse(stored: &StoredPolicy) -> Result<HeldPolicy, NodeStoreError> {
    let damaged = |why: String| {
        NodeStoreError::CorruptSetting(format!(
            "the network policy this node stored is damaged ({why}): run `msp-node policy` to fetch it again"
        ))
    };
    let policy: NetworkPolicy = serde_json::from_str(&stored.json).map_err(|e| damaged(e.to_string()))?;
    policy.validate().map_err(|e| damaged(e.to_string()))?;
    Ok(HeldPolicy { policy, fetched_at: Some(stored.fetched_at.clone()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_node_that_never_fetched_a_policy_holds_the_default_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&msp_store::sqlite_url(&dir.path().join("node.db")), "E06000001".parse().unwrap())
            .await
            .unwrap();
        let held = held(&store).await.unwrap();
        assert_eq!(held, HeldPolicy::default_policy());
        assert!(held.describe().contains("default policy"), "{}", held.describe());
        assert!(held.summary().contains("from 0.05 to 1"), "{}", held.summary());

        let policy = NetworkPolicy { max_revision: 1, ..NetworkPolicy::default() };
        let json = serde_json::to_string(&policy).unwrap();
        let at = "2026-07-01T09:00:00Z".to_owned();
        store.keep_network_policy(&StoredPolicy { jws: "h.p.s".into(), json, fetched_at: at.clone() }).await.unwrap();
        let held = super::held(&store).await.unwrap();
        assert_eq!(held.policy, policy);
        assert!(held.describe().contains(&at) && held.summary().ends_with("at most 1 release of a quarter"));

        store
            .keep_network_policy(&StoredPolicy { jws: "h.p.s".into(), json: "{}".into(), fetched_at: at })
            .await
            .unwrap();
        let err = super::held(&store).await.unwrap_err().to_string();
        assert!(err.contains("damaged") && err.contains("msp-node policy"), "{err}");
    }
}
