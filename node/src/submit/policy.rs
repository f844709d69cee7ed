//! Fetching the network's policy (DESIGN §4, §7): `GET /v1/policy`, kept only once it checks out.
//!
//! The same rules as a signed tree head: the JWS must be signed with the coordinator key pinned
//! now (a key pinned before stays trusted for the receipts it signed, never for anything current),
//! the policy is read only from the verified payload, the document served beside it must be that
//! same policy, and it must be one that can be enforced ([`NetworkPolicy::validate`]). Anything
//! else is refused with [`SubmitError::PolicyRefused`] and the policy held before is left as it was.

use msp_protocol::jws;
use msp_schemas::policy::{NetworkPolicy, SignedPolicy};

use std::time::Duration;

use super::{
    client::{Backoff, Coordinator},
    error::SubmitError,
    trust::TrustedKeys,
};
use crate::{
    clock::{self, Clock},
    config::{DataDir, NodeConfig},
    policy::{self, HeldPolicy},
    store::{Store, StoredPolicy},
};

/// The policy in `signed`, with its exact JSON, if it checks out against `keys`; otherwise why not.
pub fn verify(signed: &SignedPolicy, keys: &TrustedKeys) -> Result<(NetworkPolicy, String), String> {
    let compact = jws::Compact::parse(&signed.policy_jws, jws::TYP_POLICY)
        .map_err(|e| format!("its policy_jws is not a signed policy ({e})"))?;
    let kid = &compact.header.kid;
    if kid != keys.current_fingerprint() {
        return Err(if keys.is_retired(kid) {
            format!(
                "it is signed with key {kid}, which the coordinator used before and this node trusts only for the \
                 receipts it signed, never for a current policy (the coordinator signs with {} now)",
                keys.current_fingerprint()
            )
        } else {
            format!("it is signed with key {kid}, which this node has never trusted")
        });
    }
    let payload = compact.verify(keys.for_tree_head()).map_err(|e| match e {
        jws::JwsError::BadSignature => format!(
            "its signature does not verify with the coordinator's key {kid}: it was not signed by the coordinator, \
             or it was altered on the way"
        ),
        other => format!("its policy_jws is not a signed policy ({other})"),
    })?;
    let json = String::from_utf8(payload).map_err(|_| "its signed payload is not UTF-8 text".to_owned())?;
    let policy: NetworkPolicy =
        serde_json::from_str(&json).map_err(|e| format!("its signed payload is not msp-policy/1 ({e})"))?;
    if policy != signed.policy {
        return Err("the policy served beside the signature differs from the one signed".into());
    }
    policy.validate().map_err(|e| e.to_string())?;
    Ok((policy, json))
}

/// Fetches the policy, checks it with `keys` (the coordinator's keys as this node trusts them,
/// checked against the key it serves now) and keeps it, stamped `fetched_at` (RFC 3339).
pub async fn fetch(
    store: &Store,
    coordinator: &Coordinator,
    keys: &TrustedKeys,
    fetched_at: &str,
) -> Result<HeldPolicy, SubmitError> {
    let signed = coordinator.policy().await?;
    let (policy, json) = verify(&signed, keys).map_err(|reason| SubmitError::PolicyRefused {
        url: coordinator.url().to_owned(),
        reason,
        pinned: keys.current_fingerprint().to_owned(),
    })?;
    let stored = StoredPolicy { jws: signed.policy_jws, json, fetched_at: fetched_at.to_owned() };
    store.keep_network_policy(&stored).await?;
    tracing::info!(fetched_at, "network policy fetched and verified");
    Ok(HeldPolicy { policy, fetched_at: Some(stored.fetched_at) })
}

/// The coordinator's keys as this node trusts them (pinned on first contact), then the policy,
/// fetched and kept as [`fetch`] does.
pub async fn refresh(store: &Store, coordinator: &Coordinator, fetched_at: &str) -> Result<HeldPolicy, SubmitError> {
    let served = coordinator.key().await?;
    let keys = super::trust::trusted_keys(store, &served, coordinator.url()).await?;
    fetch(store, coordinator, &keys, fetched_at).await
}

/// How long `msp-node release` waits for each answer when it refreshes the policy: it goes on
/// with the policy it holds when the coordinator is slow or away.
const RELEASE_REFRESH_TIMEOUT: Duration = Duration::from_secs(5);

/// The policy a command goes by, and how it got it.
#[derive(Debug, Clone)]
pub struct Refresh {
    /// The policy.
    pub held: HeldPolicy,
    /// Why it could not be fetched just now, if it could not.
    pub failed: Option<String>,
}

impl Refresh {
    /// One line for people on where the policy came from.
    pub fn line(&self) -> String {
        match (&self.failed, &self.held.fetched_at) {
            (None, _) => format!("Network policy: fetched from the coordinator just now ({}).", self.held.summary()),
            (Some(why), Some(_)) => format!(
                "Network policy: could not refresh it ({why}); going by {} ({}).",
                self.held.describe(),
                self.held.summary()
            ),
            (Some(why), None) => format!(
                "Network policy: none has been fetched from the coordinator, and it could not be fetched now ({why}), \
                 so the network's default policy applies ({}). `msp-node policy` fetches the network's own.",
                self.held.summary()
            ),
        }
    }
}

/// Tries once, briefly, to fetch the network's policy and keep it; on any failure says why and
/// falls back to the policy held (the last fetched, or the default).
pub async fn refresh_briefly(data: &DataDir, config: &NodeConfig, store: &Store, clock: &Clock) -> Refresh {
    let fetched = match Coordinator::for_node(config, data, Backoff::default()) {
        Ok(c) => {
            let c = c.once_within(RELEASE_REFRESH_TIMEOUT);
            refresh(store, &c, &clock::now(clock).to_string()).await
        }
        Err(e) => Err(e),
    };
    match fetched {
        Ok(held) => Refresh { held, failed: None },
        Err(e) => {
            let why = match e {
                SubmitError::Unreachable { url, last, .. } => format!("{url} could not be reached: {last}"),
                other => other.to_string(),
            };
            match policy::held(store).await {
                Ok(held) => Refresh { held, failed: Some(why) },
                Err(stored) => Refresh {
                    held: HeldPolicy::default_policy(),
                    failed: Some(format!("{why}; and the policy stored before cannot be read: {stored}")),
                },
            }
        }
    }
}
