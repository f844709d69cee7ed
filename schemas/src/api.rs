//! The coordinator's JSON answers that nodes read (DESIGN §7): submission receipts, the signed
//! tree head, log proofs and the coordinator's public key. Hashes are lower-case hex.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::release::{Receipt, Sha256, Timestamp};

/// The `format` of a signed tree head.
pub const TREE_HEAD_FORMAT: &str = "msp-tree-head/1";

/// What the coordinator answers an accepted (or repeated) submission with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionAccepted {
    /// The receipt.
    pub receipt: Receipt,
    /// The receipt as a compact JWS signed by the coordinator (`typ: msp-receipt+jws`): its
    /// payload is the receipt's exact JSON.
    pub receipt_jws: String,
}

/// The log's state at a moment, signed by the coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    /// Document format: `msp-tree-head/1`.
    pub format: String,
    /// Entries in the log.
    pub tree_size: u64,
    /// RFC 9162 root hash of those entries.
    pub root_hash: Sha256,
    /// When the head was signed.
    pub timestamp: Timestamp,
}

/// A signed tree head as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// The head.
    pub tree_head: TreeHead,
    /// The head as a compact JWS signed by the coordinator (`typ: msp-tree-head+jws`).
    pub tree_head_jws: String,
}

/// Proof that an entry is in the log (RFC 9162 §2.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The entry's index.
    pub leaf_index: u64,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The audit path, leaf to root.
    pub audit_path: Vec<Sha256>,
}

/// Proof that one tree is a prefix of another (RFC 9162 §2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The smaller tree's size.
    pub first: u64,
    /// The larger tree's size.
    pub second: u64,
    /// The proof.
    pub proof: Vec<Sha256>,
}

/// The coordinator's receipt-signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorKey {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The public key, base64url.
    pub public_key: String,
    /// Its RFC 7638 thumbprint.
    pub fingerprint: String,
}
