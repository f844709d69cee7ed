//! The coordinator's own Ed25519 key, which signs receipts and tree heads. Created on first
//! start (`keys/coordinator.p8`, mode 0600); nodes fetch its public half over TLS and pin it.
//!
//! `signing-key --rotate` retires the current key to `keys/retired/<fingerprint>.p8` (mode 0600,
//! kept so the operator can always show which key signed an old receipt) and makes a new current
//! one. Only the current key signs; receipts already issued stay valid under the key that signed
//! them, which nodes keep trusting for old receipts once they trust the new key.

use std::path::Path;

use msp_protocol::keys::{encode_public_key, thumbprint};
use msp_schemas::api::CoordinatorKey;
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};

const FILE: &str = "coordinator.p8";
/// Where retired keys are kept, under the keys directory.
const RETIRED: &str = "retired";

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

/// What [`SigningKey::rotate`] did: the public halves of the key retired and of the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key that signed until now, kept in `keys/retired/`.
    pub retired: CoordinatorKey,
    /// The key that signs from the next start of `serve`.
    pub current: CoordinatorKey,
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
                let made = Self::generate(&path)?;
                tracing::info!(path = %path.display(), "created the coordinator's signing key");
                Ok(made)
            }
            loaded => loaded,
        }
    }

    /// Retires the current key in `dir` and makes a new one. The old key is copied to
    /// `retired/<fingerprint>.p8` before the new one replaces `coordinator.p8`, each write atomic, so a
    /// crash part-way leaves either the old key current (and a copy retired) or the new one.
    /// [`KeyError::Missing`] if there is no key to rotate.
    pub fn rotate(dir: &Path) -> Result<Rotation, KeyError> {
        let path = dir.join(FILE);
        let old_bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::Missing(dir.display().to_string()));
            }
            Err(e) => return Err(KeyError::Io("read", path.display().to_string(), e)),
        };
        let old = Self::from_pkcs8(&old_bytes, path.display().to_string())?;
        let retired_path = dir.join(RETIRED).join(format!("{}.p8", old.fingerprint));
        msp_protocol::files::write_atomic(&retired_path, &old_bytes, true)
            .map_err(|e| KeyError::Io("write", retired_path.display().to_string(), e))?;
        let new = Self::generate(&path)?;
        tracing::info!(retired = %old.fingerprint, current = %new.fingerprint, "rotated the coordinator's signing key");
        Ok(Rotation { retired: old.public(), current: new.public() })
    }

    /// The public halves of the retired keys in `dir` (none if nothing was ever rotated), in
    /// fingerprint order.
    pub fn retired(dir: &Path) -> Result<Vec<CoordinatorKey>, KeyError> {
        let retired = dir.join(RETIRED);
        let entries = match std::fs::read_dir(&retired) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(KeyError::Io("read", retired.display().to_string(), e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| KeyError::Io("read", retired.display().to_string(), e))?.path();
            if path.extension().is_some_and(|x| x == "p8") {
                let shown = path.display().to_string();
                let bytes = std::fs::read(&path).map_err(|e| KeyError::Io("read", shown.clone(), e))?;
                keys.push(Self::from_pkcs8(&bytes, shown)?.public());
            }
        }
        keys.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(keys)
    }

    /// Makes a new key and writes it to `path` (mode 0600), replacing any key there.
    fn generate(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| KeyError::Corrupt("the random number generator failed".into()))?;
        msp_protocol::files::write_atomic(path, pkcs8.as_ref(), true)
            .map_err(|e| KeyError::Io("write", shown.clone(), e))?;
        Self::from_pkcs8(pkcs8.as_ref(), shown)
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

    #[test]
    fn rotate_retires_the_old_key_with_mode_0600_and_makes_a_new_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let err = SigningKey::rotate(&keys).unwrap_err();
        assert!(matches!(err, KeyError::Missing(_)), "{err}");
        assert!(!keys.exists(), "nothing is made when there is nothing to rotate");
        let first = SigningKey::load_or_create(&keys).unwrap().public();
        let rotation = SigningKey::rotate(&keys).unwrap();
        assert_eq!(rotation.retired, first);
        assert_ne!(rotation.current.fingerprint, first.fingerprint);
        assert_eq!(SigningKey::load(&keys).unwrap().public(), rotation.current, "the new key is current");
        let retired = keys.join("retired").join(format!("{}.p8", first.fingerprint));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&retired).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let second = SigningKey::rotate(&keys).unwrap();
        assert_eq!(second.retired, rotation.current);
        let mut expected = vec![first, rotation.current];
        expected.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        assert_eq!(SigningKey::retired(&keys).unwrap(), expected, "every retired key is kept");
    }
}
