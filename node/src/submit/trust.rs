//! The coordinator's receipt-signing keys as this node trusts them (DESIGN §7).
//!
//! The node pins the key the coordinator serves on first contact, over TLS, and from then on refuses
//! any other: a different key is either a rotation the coordinator's operator has announced, or
//! someone else answering. Only a person can tell which, by checking the new key's fingerprint with
//! the operator over a second channel; `msp-node trust-coordinator-key --fingerprint FP` then pins
//! the new key.
//!
//! Keys pinned before stay trusted for the receipts they signed, never for a signed tree head. A
//! receipt is only accepted together with a proof, under a tree head signed with the current key,
//! that its entry is in the log: so an earlier key, even one since compromised, cannot vouch on its
//! own for anything the current log does not hold.

use msp_protocol::keys::{decode_public_key, thumbprint};
use msp_schemas::api::CoordinatorKey;

use super::error::SubmitError;
use crate::store::Store;

/// One of the coordinator's public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PublicKey {
    raw: [u8; 32],
    fingerprint: String,
}

impl PublicKey {
    /// A key this node stored itself (base64url); a value that is not a key means the database was
    /// damaged.
    fn stored(b64: &str) -> Result<Self, SubmitError> {
        let raw = decode_public_key(b64).map_err(|e| {
            SubmitError::Setup(format!(
                "the coordinator key this node stored is damaged ({e}): restore the node's database from backup"
            ))
        })?;
        Ok(Self { fingerprint: thumbprint(&raw), raw })
    }

    /// The key the coordinator serves, refused unless it matches the fingerprint served beside it.
    fn served(served: &CoordinatorKey) -> Result<Self, SubmitError> {
        let raw = decode_public_key(&served.public_key).map_err(|e| SubmitError::Untrusted(e.to_string()))?;
        if thumbprint(&raw) != served.fingerprint {
            return Err(SubmitError::Untrusted("the coordinator's key does not match its fingerprint".into()));
        }
        Ok(Self { raw, fingerprint: served.fingerprint.clone() })
    }
}

/// The coordinator keys this node trusts: the pinned one, for everything, and the ones pinned
/// before it, for the receipts they signed.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    current: PublicKey,
    previous: Vec<PublicKey>,
}

impl TrustedKeys {
    /// The key a signed tree head, or the network policy, must be signed with: only the one
    /// pinned now.
    pub fn for_tree_head(&self) -> &[u8; 32] {
        &self.current.raw
    }

    /// The fingerprint of the key pinned now.
    pub fn current_fingerprint(&self) -> &str {
        &self.current.fingerprint
    }

    /// Whether `kid` names a key pinned before the current one: trusted for old receipts only.
    pub fn is_retired(&self, kid: &str) -> bool {
        self.previous.iter().any(|k| k.fingerprint == kid)
    }

    /// The trusted key whose fingerprint is `kid` (a receipt's JWS header names its key), if any.
    pub fn for_receipt(&self, kid: &str) -> Option<&[u8; 32]> {
        std::iter::once(&self.current).chain(&self.previous).find(|k| k.fingerprint == kid).map(|k| &k.raw)
    }
}

/// What [`trust`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Trusted {
    /// The fingerprint of the key now pinned.
    pub fingerprint: String,
    /// The fingerprints of the keys pinned before, trusted for their receipts only.
    pub previous: Vec<String>,
    /// Whether anything changed (false when the key was already the pinned one).
    pub changed: bool,
}

/// The keys to check the coordinator's answers with, given the key it serves now (`url` is the
/// coordinator, for the message). On first contact the served key is pinned; afterwards a different
/// key is refused with [`SubmitError::KeyChanged`], which says how to trust it after checking it.
pub async fn trusted_keys(store: &Store, served: &CoordinatorKey, url: &str) -> Result<TrustedKeys, SubmitError> {
    let served_key = PublicKey::served(served)?;
    let (pinned, kept) = store.coordinator_keys().await?;
    let previous = kept.iter().map(|k| PublicKey::stored(k)).collect::<Result<Vec<_>, _>>()?;
    match pinned {
        Some(pinned) if pinned != served.public_key => Err(SubmitError::KeyChanged {
            url: url.to_owned(),
            served: served_key.fingerprint,
            pinned: PublicKey::stored(&pinned)?.fingerprint,
        }),
        Some(_) => Ok(TrustedKeys { current: served_key, previous }),
        None => {
            store.pin_coordinator_keys(&served.public_key, &kept).await?;
            Ok(TrustedKeys { current: served_key, previous })
        }
    }
}

/// Pins the key the coordinator serves now, if and only if its fingerprint is exactly `given`
/// (which the council has checked with the coordinator's operator over a second channel), keeping
/// the key pinned until now for the receipts it signed. Refused with
/// [`SubmitError::WrongFingerprint`], changing nothing, if the fingerprints differ.
pub async fn trust(store: &Store, served: &CoordinatorKey, given: &str, url: &str) -> Result<Trusted, SubmitError> {
    let served_key = PublicKey::served(served)?;
    let given = given.trim();
    if served_key.fingerprint != given {
        return Err(SubmitError::WrongFingerprint {
            url: url.to_owned(),
            served: served_key.fingerprint,
            given: given.to_owned(),
        });
    }
    let (pinned, mut previous) = store.coordinator_keys().await?;
    let changed = pinned.as_deref() != Some(served.public_key.as_str());
    if changed {
        previous.extend(pinned);
        previous.retain(|k| *k != served.public_key);
        previous.dedup();
        store.pin_coordinator_keys(&served.public_key, &previous).await?;
    }
    let previous = previous.iter().map(|k| PublicKey::stored(k).map(|k| k.fingerprint)).collect::<Result<_, _>>()?;
    Ok(Trusted { fingerprint: served_key.fingerprint, previous, changed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_protocol::{keypair::KeyPair, keys::encode_public_key};

    fn served() -> CoordinatorKey {
        let dir = tempfile::tempdir().unwrap();
        let pair = KeyPair::generate(&dir.path().join("coordinator.p8")).unwrap();
        CoordinatorKey {
            algorithm: "Ed25519".into(),
            public_key: pair.public_key_b64(),
            fingerprint: pair.fingerprint().to_owned(),
        }
    }

    async fn store(dir: &tempfile::TempDir) -> Store {
        let url = msp_store::sqlite_url(&dir.path().join("node.db"));
        Store::open(&url, "E06000001".parse().unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn the_first_key_is_pinned_and_a_different_one_later_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        let (first, second) = (served(), served());
        trusted_keys(&store, &first, "https://c").await.unwrap();
        assert_eq!(store.coordinator_keys().await.unwrap(), (Some(first.public_key.clone()), vec![]));
        let err = trusted_keys(&store, &second, "https://c").await.unwrap_err();
        assert!(matches!(err, SubmitError::KeyChanged { .. }), "{err}");
        let err = err.to_string();
        assert!(err.contains(&second.fingerprint) && err.contains(&first.fingerprint), "{err}");
        assert!(err.contains("msp-node trust-coordinator-key --fingerprint") && err.contains("operator"), "{err}");
        assert!(!err.contains("init --force"), "{err}");
    }

    #[tokio::test]
    async fn a_wrong_fingerprint_changes_nothing_and_the_right_one_keeps_the_old_key_for_receipts_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        let (first, second) = (served(), served());
        trusted_keys(&store, &first, "https://c").await.unwrap();
        let err = trust(&store, &second, &first.fingerprint, "https://c").await.unwrap_err();
        assert!(matches!(err, SubmitError::WrongFingerprint { .. }), "{err}");
        assert!(err.to_string().contains(&second.fingerprint) && err.to_string().contains("nothing was changed"));
        assert_eq!(store.coordinator_keys().await.unwrap(), (Some(first.public_key.clone()), vec![]));

        let done = trust(&store, &second, &format!(" {}\n", second.fingerprint), "https://c").await.unwrap();
        assert_eq!(
            done,
            Trusted {
                fingerprint: second.fingerprint.clone(),
                previous: vec![first.fingerprint.clone()],
                changed: true
            }
        );
        let keys = trusted_keys(&store, &second, "https://c").await.unwrap();
        assert_eq!(encode_public_key(keys.for_tree_head()), second.public_key, "tree heads: the new key only");
        assert!(keys.for_receipt(&first.fingerprint).is_some() && keys.for_receipt(&second.fingerprint).is_some());
        assert!(keys.for_receipt(&served().fingerprint).is_none(), "never a key it was not given");
        assert!(matches!(trusted_keys(&store, &first, "https://c").await, Err(SubmitError::KeyChanged { .. })));

        let again = trust(&store, &second, &second.fingerprint, "https://c").await.unwrap();
        assert!(!again.changed && again.previous == [first.fingerprint.clone()], "{again:?}");
    }

    #[tokio::test]
    async fn trusting_before_any_contact_pins_the_key_with_nothing_earlier() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        let key = served();
        let done = trust(&store, &key, &key.fingerprint, "https://c").await.unwrap();
        assert!(done.changed && done.previous.is_empty(), "{done:?}");
        assert_eq!(store.coordinator_keys().await.unwrap(), (Some(key.public_key), vec![]));
    }
}
