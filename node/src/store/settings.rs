//! The `node_meta` table: values the node keeps for itself, such as the coordinator's
//! receipt-signing keys it trusts.

use msp_store::sqlx;

use super::{NodeStoreError, Store};

/// The setting that holds the coordinator's pinned receipt-signing key (base64url).
const COORDINATOR_KEY: &str = "coordinator_key";
/// The setting that holds the coordinator's earlier pinned keys, as a JSON list: trusted for the
/// receipts they signed, never for a tree head.
const PREVIOUS_COORDINATOR_KEYS: &str = "coordinator_keys_previous";

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

    /// Pins the coordinator's key `current` and keeps `previous` as the earlier keys, in one
    /// transaction: a crash never leaves a node with the new key but without the old ones.
    pub async fn pin_coordinator_keys(&self, current: &str, previous: &[String]) -> Result<(), NodeStoreError> {
        let previous = serde_json::to_string(previous).expect("a list of strings serialises");
        let mut tx = self.db.begin().await?;
        for (key, value) in [(COORDINATOR_KEY, current), (PREVIOUS_COORDINATOR_KEYS, previous.as_str())] {
            sqlx::query(
                "INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
