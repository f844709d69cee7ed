//! The `node_meta` table: values the node keeps for itself, such as the coordinator's
//! receipt-signing keys it trusts and the network policy it last fetched.

use msp_store::sqlx;

use super::{NodeStoreError, Store};

/// The setting that holds the coordinator's pinned receipt-signing key (base64url).
const COORDINATOR_KEY: &str = "coordinator_key";
/// The setting that holds the coordinator's earlier pinned keys, as a JSON list: trusted for the
/// receipts they signed, never for a tree head.
const PREVIOUS_COORDINATOR_KEYS: &str = "coordinator_keys_previous";
/// The network policy as last fetched: the JWS the coordinator signed it in.
const POLICY_JWS: &str = "network_policy_jws";
/// The same policy's exact JSON (the JWS's payload, verified before it was stored).
const POLICY_JSON: &str = "network_policy";
/// When it was fetched (RFC 3339).
const POLICY_FETCHED_AT: &str = "network_policy_fetched_at";

/// The network policy as the node stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    /// The compact JWS the coordinator signed it in.
    pub jws: String,
    /// Its payload: the policy's exact JSON.
    pub json: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
}

impl Store {
    /// A stored value of the node's own (the coordinator's pinned key, for example).
    pub async fn setting(&self, key: &str) -> Result<Option<String>, NodeStoreError> {
        self.meta(key).await
    }

    /// Stores a value of the node's own.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), NodeStoreError> {
        self.set_meta(key, value).await
    }

    /// The coordinator's receipt-signing keys this node trusts (base64url public keys): the one
    /// pinned now, if any, and those pinned before it, trusted for earlier receipts only.
    pub async fn coordinator_keys(&self) -> Result<(Option<String>, Vec<String>), NodeStoreError> {
        let pinned = self.meta(COORDINATOR_KEY).await?;
        let previous = match self.meta(PREVIOUS_COORDINATOR_KEYS).await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                NodeStoreError::CorruptSetting(format!(
                    "the node's list of earlier coordinator keys is not a JSON list of keys ({e}): restore the \
                     database from backup"
                ))
            })?,
            None => Vec::new(),
        };
        Ok((pinned, previous))
    }

    /// The network policy last fetched, if any.
    pub async fn network_policy(&self) -> Result<Option<StoredPolicy>, NodeStoreError> {
        let (jws, json, fetched_at) =
            (self.meta(POLICY_JWS).await?, self.meta(POLICY_JSON).await?, self.meta(POLICY_FETCHED_AT).await?);
        match (jws, json, fetched_at) {
            (Some(jws), Some(json), Some(fetched_at)) => Ok(Some(StoredPolicy { jws, json, fetched_at })),
            (None, None, None) => Ok(None),
            _ => Err(NodeStoreError::CorruptSetting(
                "the node's stored network policy is incomplete: run `msp-node policy` to fetch it again".into(),
            )),
        }
    }

    /// Stores a network policy the caller has verified, replacing the one before, in one
    /// transaction: its JWS, payload and fetch time never come from two fetches.
    pub async fn keep_network_policy(&self, policy: &StoredPolicy) -> Result<(), NodeStoreError> {
        let entries = [(POLICY_JWS, &policy.jws), (POLICY_JSON, &policy.json), (POLICY_FETCHED_AT, &policy.fetched_at)];
        self.set_all(&entries.map(|(k, v)| (k, v.as_str()))).await
    }

    /// Pins the coordinator's key `current` and keeps `previous` as the earlier keys, in one
    /// transaction: a crash never leaves a node with the new key but without the old ones.
    pub async fn pin_coordinator_keys(&self, current: &str, previous: &[String]) -> Result<(), NodeStoreError> {
        let previous = serde_json::to_string(previous).expect("a list of strings serialises");
        self.set_all(&[(COORDINATOR_KEY, current), (PREVIOUS_COORDINATOR_KEYS, previous.as_str())]).await
    }

    /// Sets several values of `node_meta` in one transaction.
    async fn set_all(&self, entries: &[(&str, &str)]) -> Result<(), NodeStoreError> {
        let mut tx = self.db.begin().await?;
        for (key, value) in entries {
            sqlx::query(
                "INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(*key)
            .bind(*value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
