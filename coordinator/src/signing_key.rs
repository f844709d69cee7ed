//! The coordinator's own Ed25519 key, which signs receipts and tree heads. Created on first
//! start (`keys/coordinator.p8`, mode 0600); nodes fetch its public half over TLS and pin it.
//!
//! `signing-key --rotate` retires the current key to `keys/retired/<fingerprint>.p8` (mode 0600,
//! kept so the operator can always show which key signed an old receipt) and makes a new current
//! one. Only the current key signs; receipts already issued stay valid under the key that signed
//! them, which nodes keep trusting for old receipts once they trust the new key.
//!
//! The key itself is the network's one key-pair type, [`msp_protocol::keypair::KeyPair`]; this
//! module adds where the coordinator keeps it, rotation, and what its operator should do when a
//! key file is missing or damaged.

use std::path::{Path, PathBuf};

use msp_protocol::keypair::{KeyFileError, KeyPair};
use msp_schemas::{api::CoordinatorKey, enrolment::ALGORITHM};

const FILE: &str = "coordinator.p8";
/// Where retired keys are kept, under the keys directory.
const RETIRED: &str = "retired";

/// Errors with the signing key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("could not {action} the coordinator's signing key at {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file (or directory of retired keys).
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a key.
    #[error("{} is not an Ed25519 key: restore keys/ from backup", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
    },
    /// There is no key where one was expected.
    #[error(
        "there is no receipt-signing key in {} (no {FILE} there): pass the coordinator's own data directory with \
         --data-dir (or MSP_COORDINATOR_DIR), or, for a new coordinator, make its key on purpose first with \
         `msp-coordinator --data-dir DIR signing-key`",
        dir.display()
    )]
    Missing {
        /// The keys directory looked in.
        dir: PathBuf,
    },
    /// The system's random source failed while making a key.
    #[error("the system's secure random number generator failed while making the coordinator's signing key")]
    Random,
}

impl KeyError {
    /// The coordinator's account of a key file's error, for a key in the keys directory `dir`.
    fn of_file(e: KeyFileError, dir: &Path) -> Self {
        match e {
            KeyFileError::Missing { .. } => KeyError::Missing { dir: dir.to_owned() },
            KeyFileError::Io { action, path, source } => KeyError::Io { action, path, source },
            KeyFileError::Corrupt { path } => KeyError::Corrupt { path },
            KeyFileError::Random => KeyError::Random,
        }
    }
}

/// What [`SigningKey::rotate`] did: the public halves of the key retired and of the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key that signed until now, kept in `keys/retired/`.
    pub retired: CoordinatorKey,
    /// The key that signs from the next start of `serve`.
    pub current: CoordinatorKey,
}

/// The coordinator's signing key. `Debug` shows the fingerprint, never the key.
pub struct SigningKey {
    pair: KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.pair.fingerprint())
    }
}

impl SigningKey {
    /// Loads the key from `dir`; [`KeyError::Missing`] if there is none. Commands other than `serve`
    /// and `signing-key` use this: a key made under a mistyped data directory would sign receipts
    /// with a key no node has pinned.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let pair = KeyPair::load(&dir.join(FILE)).map_err(|e| KeyError::of_file(e, dir))?;
        Ok(Self { pair })
    }

    /// Loads the key from `dir`, creating it if there is none.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        match Self::load(dir) {
            Err(KeyError::Missing { .. }) => {
                let path = dir.join(FILE);
                let pair = KeyPair::generate(&path).map_err(|e| KeyError::of_file(e, dir))?;
                tracing::info!(path = %path.display(), "created the coordinator's signing key");
                Ok(Self { pair })
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
        let old_bytes = KeyPair::read(&path).map_err(|e| KeyError::of_file(e, dir))?;
        let old = KeyPair::from_pkcs8(&old_bytes, &path).map_err(|e| KeyError::of_file(e, dir))?;
        let retired_path = dir.join(RETIRED).join(format!("{}.p8", old.fingerprint()));
        msp_protocol::files::write_atomic(&retired_path, &old_bytes, true).map_err(|source| KeyError::Io {
            action: "write",
            path: retired_path.clone(),
            source,
        })?;
        let new = KeyPair::generate(&path).map_err(|e| KeyError::of_file(e, dir))?;
        tracing::info!(retired = %old.fingerprint(), current = %new.fingerprint(), "rotated the coordinator's signing key");
        Ok(Rotation { retired: public(&old), current: public(&new) })
    }

    /// The public halves of the retired keys in `dir` (none if nothing was ever rotated), in
    /// fingerprint order.
    pub fn retired(dir: &Path) -> Result<Vec<CoordinatorKey>, KeyError> {
        let retired = dir.join(RETIRED);
        let unreadable = |source| KeyError::Io { action: "read", path: retired.clone(), source };
        let entries = match std::fs::read_dir(&retired) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(unreadable(e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(unreadable)?.path();
            if path.extension().is_some_and(|x| x == "p8") {
                keys.push(public(&KeyPair::load(&path).map_err(|e| KeyError::of_file(e, dir))?));
            }
        }
        keys.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(keys)
    }

    /// Signs `payload` as a compact JWS of type `typ`.
    pub fn sign_jws(&self, typ: &str, payload: &[u8]) -> String {
        self.pair.sign_jws(typ, payload)
    }

    /// The public half, as served.
    pub fn public(&self) -> CoordinatorKey {
        public(&self.pair)
    }
}

/// A key pair's public half as `GET /v1/keys` serves it.
fn public(pair: &KeyPair) -> CoordinatorKey {
    CoordinatorKey {
        algorithm: ALGORITHM.into(),
        public_key: pair.public_key_b64(),
        fingerprint: pair.fingerprint().to_owned(),
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
        assert!(matches!(err, KeyError::Missing { .. }), "{err}");
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

    #[test]
    fn a_damaged_key_file_is_named_with_what_to_do_and_debug_shows_only_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let key = SigningKey::load_or_create(&keys).unwrap();
        assert_eq!(format!("{key:?}"), format!("SigningKey({})", key.public().fingerprint));
        std::fs::write(keys.join(FILE), b"not a key").unwrap();
        let err = SigningKey::load(&keys).unwrap_err().to_string();
        assert!(err.contains("coordinator.p8") && err.contains("restore keys/ from backup"), "{err}");
        assert!(SigningKey::rotate(&keys).is_err(), "a damaged key is not rotated away");
    }
}
