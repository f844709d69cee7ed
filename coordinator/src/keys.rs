//! The coordinator's own Ed25519 key, which signs receipts and tree heads. Created on first
//! start (`keys/coordinator.p8`, mode 0600); nodes fetch its public half over TLS and pin it.

use std::path::Path;

use msp_protocol::keys::{encode_public_key, thumbprint};
use msp_schemas::api::CoordinatorKey;
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};

const FILE: &str = "coordinator.p8";

/// Errors with the signing key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("could not {0} the coordinator's signing key at {1}: {2}")]
    Io(&'static str, String, std::io::Error),
    /// The file is not a key.
    #[error("{0} is not an Ed25519 key: restore keys/ from backup")]
    Corrupt(String),
    /// There is no key where one was expected.
    #[error(
        "there is no receipt-signing key in {0} (no {FILE} there): pass the coordinator's own data directory with \
         --data-dir (or MSP_COORDINATOR_DIR), or, for a new coordinator, make its key on purpose first with \
         `msp-coordinator --data-dir DIR signing-key`"
    )]
    Missing(String),
}

/// The coordinator's signing key.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    fingerprint: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.fingerprint)
    }
}

impl SigningKey {
    /// Loads the key from `dir`; [`KeyError::Missing`] if there is none. Commands other than `serve`,
    /// `signing-key` and `demo` use this: a key made under a mistyped data directory would sign
    /// receipts with a key no node has pinned.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let path = dir.join(FILE);
        let shown = path.display().to_string();
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_pkcs8(&bytes, shown),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeyError::Missing(dir.display().to_string())),
            Err(e) => Err(KeyError::Io("read", shown, e)),
        }
    }

    /// Loads the key from `dir`, creating it if there is none.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        match Self::load(dir) {
            Err(KeyError::Missing(_)) => {
                let path = dir.join(FILE);
                let shown = path.display().to_string();
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                    .map_err(|_| KeyError::Corrupt("the random number generator failed".into()))?;
                msp_store::files::write_atomic(&path, pkcs8.as_ref(), true)
                    .map_err(|e| KeyError::Io("write", shown.clone(), e))?;
                tracing::info!(path = %shown, "created the coordinator's signing key");
                Self::from_pkcs8(pkcs8.as_ref(), shown)
            }
            loaded => loaded,
        }
    }

    fn from_pkcs8(bytes: &[u8], shown: String) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| KeyError::Corrupt(shown))?;
        let fingerprint = thumbprint(pair.public_key().as_ref());
        Ok(Self { pair, fingerprint })
    }

    /// Signs `payload` as a compact JWS of type `typ`.
    pub fn sign_jws(&self, typ: &str, payload: &[u8]) -> String {
        msp_protocol::jws::sign(&self.pair, &self.fingerprint, typ, payload)
    }

    /// The public half, as served.
    pub fn public(&self) -> CoordinatorKey {
        CoordinatorKey {
            algorithm: "Ed25519".into(),
            public_key: encode_public_key(self.pair.public_key().as_ref()),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_finds_the_key_load_or_create_made_and_makes_none_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let err = SigningKey::load(&keys).unwrap_err().to_string();
        assert!(err.contains(&keys.display().to_string()) && err.contains("--data-dir"), "{err}");
        assert!(!keys.exists(), "nothing is made");
        let made = SigningKey::load_or_create(&keys).unwrap().public();
        assert_eq!(SigningKey::load(&keys).unwrap().public(), made);
        assert_eq!(SigningKey::load_or_create(&keys).unwrap().public(), made);
    }
}
