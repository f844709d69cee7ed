//! Holding the coordinator to its receipts (DESIGN §7).
//!
//! A receipt is kept only once it checks out: signed by a coordinator key this node trusts (see
//! [`super::trust`]), for exactly the bytes sent, naming the council, quarter and revision of the
//! release inside them; and — against a tree head fetched now and signed with the key pinned now —
//! included in the log, with the log at receipt time a prefix of the log now.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use msp_protocol::{jws, merkle};
use msp_schemas::{Release, api::TreeHead, release::Receipt};

use super::{client::Coordinator, error::SubmitError, trust::TrustedKeys};
use crate::store::Outgoing;

/// A receipt's signature and content, for the release in `o`. The receipt may be signed with the
/// key pinned now or one pinned before it: a receipt given before a rotation stays valid.
pub fn check_receipt(o: &Outgoing, receipt_jws: &str, keys: &TrustedKeys) -> Result<Receipt, SubmitError> {
    let untrusted = |why: String| SubmitError::Untrusted(why);
    let compact = jws::Compact::parse(receipt_jws, jws::TYP_RECEIPT).map_err(|e| untrusted(format!("receipt: {e}")))?;
    let key = keys.for_receipt(&compact.header.kid).ok_or_else(|| {
        untrusted(format!("the receipt is signed with key {}, which this node has never trusted", compact.header.kid))
    })?;
    let payload = compact.verify(key).map_err(|e| untrusted(format!("receipt: {e}")))?;
    let receipt: Receipt = serde_json::from_slice(&payload).map_err(|e| untrusted(format!("receipt: {e}")))?;
    if receipt.jws_sha256.to_string() != o.jws_sha256 {
        return Err(untrusted("the receipt is for different bytes from those sent".into()));
    }
    let release = Release::from_json(&payload_of(&o.jws)?).map_err(|e| untrusted(e.to_string()))?;
    if (receipt.council, receipt.period, receipt.revision) != (release.council(), release.period(), release.revision())
    {
        return Err(untrusted("the receipt names another council, quarter or revision".into()));
    }
    if receipt.log_index >= receipt.tree_size {
        return Err(untrusted("the receipt's log index is outside its tree".into()));
    }
    Ok(receipt)
}

/// Checks, against a tree head fetched now from `coordinator` and signed with the key pinned now,
/// that the receipt's entry is in the log and that the log at receipt time is a prefix of the log
/// now.
pub async fn check_in_log(
    coordinator: &Coordinator,
    receipt: &Receipt,
    keys: &TrustedKeys,
) -> Result<TreeHead, SubmitError> {
    let untrusted = |why: String| SubmitError::Untrusted(why);
    let key = keys.for_tree_head();
    let signed = coordinator.head().await?;
    let compact = jws::Compact::parse(&signed.tree_head_jws, jws::TYP_TREE_HEAD)
        .map_err(|e| untrusted(format!("tree head: {e}")))?;
    let head: TreeHead =
        serde_json::from_slice(&compact.verify(key).map_err(|e| untrusted(format!("tree head: {e}")))?)
            .map_err(|e| untrusted(format!("tree head: {e}")))?;
    if head.tree_size < receipt.tree_size {
        return Err(untrusted(format!(
            "the log has {} entries but a receipt speaks of {}",
            head.tree_size, receipt.tree_size
        )));
    }
    let leaf = merkle::leaf_hash(receipt.jws_sha256.as_bytes());
    let proof = coordinator.inclusion(&receipt.jws_sha256, head.tree_size).await?;
    let path: Vec<[u8; 32]> = proof.audit_path.iter().map(|h| *h.as_bytes()).collect();
    if proof.leaf_index != receipt.log_index
        || !merkle::verify_inclusion(&leaf, receipt.log_index, head.tree_size, &path, head.root_hash.as_bytes())
    {
        return Err(untrusted("the release is not in the log where the receipt says".into()));
    }
    let consistent = if receipt.tree_size == head.tree_size {
        receipt.root_hash == head.root_hash
    } else {
        let c = coordinator.consistency(receipt.tree_size, head.tree_size).await?;
        let proof: Vec<[u8; 32]> = c.proof.iter().map(|h| *h.as_bytes()).collect();
        merkle::verify_consistency(
            receipt.tree_size,
            head.tree_size,
            receipt.root_hash.as_bytes(),
            head.root_hash.as_bytes(),
            &proof,
        )
    };
    if !consistent {
        return Err(untrusted("the log has been rewritten since the receipt was given".into()));
    }
    Ok(head)
}

/// The payload bytes of a compact JWS this node made.
pub fn payload_of(jws: &str) -> Result<Vec<u8>, SubmitError> {
    let part =
        jws.split('.').nth(1).ok_or_else(|| SubmitError::Untrusted("a stored submission is not a JWS".into()))?;
    URL_SAFE_NO_PAD.decode(part).map_err(|e| SubmitError::Untrusted(e.to_string()))
}

/// The receipt inside a stored receipt JWS, as JSON for display (it was verified when stored).
pub fn stored_receipt(jws: &str) -> Option<serde_json::Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jws.split('.').nth(1)?).ok()?).ok()
}
