//! Fetching the network's policy (DESIGN §4, §7): `GET /v1/policy`, kept only once it checks out.
//!
//! The same rules as a signed tree head: the JWS must be signed with the coordinator key pinned
//! now (a key pinned before stays trusted for the receipts it signed, never for anything current),
//! the policy is read only from the verified payload, the document served beside it must be that
//! same policy, and it must be one that can be enforced ([`NetworkPolicy::validate`]). Anything
//! else is refused with [`SubmitError::PolicyRefused`] and the policy held before is left as it was.

use msp_protocol::jws;
use msp_schemas::policy::{NetworkPolicy, SignedPolicy};

use super::{client::Coordinator, error::SubmitError, trust::TrustedKeys};
use crate::{
    policy::HeldPolicy,
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
