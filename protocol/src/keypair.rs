//! The one Ed25519 key pair of the network: a council's node signs releases with it, the
//! coordinator signs receipts and tree heads with it. Kept as a PKCS#8 file written atomically with
//! mode 0600; its public half travels as base64url and is named by its RFC 7638 thumbprint, which is
//! also the JWS `kid`.
//!
//! Errors name the file and what went wrong with it; each side adds what its operator should do
//! (a node restores `keys/` or runs `init --force`; a coordinator is pointed at its data directory).

use std::path::{Path, PathBuf};

use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair as _},
};

use crate::keys::{encode_public_key, thumbprint};

/// What went wrong with a key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// There is no file at the path.
    #[error("there is no key at {}", path.display())]
    Missing {
        /// Where the key should be.
        path: PathBuf,
    },
    /// The file is there but could not be read, or could not be written.
    #[error("could not {action} the key at {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds something other than an Ed25519 PKCS#8 key.
    #[error("{} is not an Ed25519 key (PKCS#8)", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
    },
    /// The system's random source failed while making a key.
    #[error("the system's secure random number generator failed while making a key")]
    Random,
}

impl KeyFileError {
    /// The file the error is about (none for a failed random source).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Missing { path } | Self::Io { path, .. } | Self::Corrupt { path } => Some(path),
            Self::Random => None,
        }
    }
}

/// An Ed25519 key pair with its fingerprint. `Debug` shows the fingerprint, never the key.
pub struct KeyPair {
    pair: Ed25519KeyPair,
    fingerprint: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({})", self.fingerprint)
    }
}

impl KeyPair {
    /// Makes a new key pair and writes it to `path` (mode 0600, atomically), replacing any key there.
    pub fn generate(path: &Path) -> Result<Self, KeyFileError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyFileError::Random)?;
        crate::files::write_atomic(path, pkcs8.as_ref(), true).map_err(|source| KeyFileError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        })?;
        Self::from_pkcs8(pkcs8.as_ref(), path)
    }

    /// Loads the key pair at `path`; [`KeyFileError::Missing`] when there is no file.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        Self::from_pkcs8(&Self::read(path)?, path)
    }

    /// The raw PKCS#8 bytes at `path`, checked to be a key (to copy a key elsewhere as it is).
    pub fn read(path: &Path) -> Result<Vec<u8>, KeyFileError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyFileError::Missing { path: path.to_owned() });
            }
            Err(source) => return Err(KeyFileError::Io { action: "read", path: path.to_owned(), source }),
        };
        Self::from_pkcs8(&bytes, path)?;
        Ok(bytes)
    }

    /// The key pair in PKCS#8 `bytes` that were read from `path` (named in errors).
    pub fn from_pkcs8(bytes: &[u8], path: &Path) -> Result<Self, KeyFileError> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| KeyFileError::Corrupt { path: path.to_owned() })?;
        let fingerprint = thumbprint(pair.public_key().as_ref());
        Ok(Self { pair, fingerprint })
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key, base64url without padding (the JWK `x`).
    pub fn public_key_b64(&self) -> String {
        encode_public_key(self.public_key())
    }

    /// The RFC 7638 thumbprint of the public key: the key's name and the JWS `kid`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// Signs `payload` as a compact JWS of type `typ`, with this key's fingerprint as `kid`.
    pub fn sign_jws(&self, typ: &str, payload: &[u8]) -> String {
        crate::jws::sign(&self.pair, &self.fingerprint, typ, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_reloads_with_the_same_fingerprint_and_signs_verifiably() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/signing-key.p8");
        let made = KeyPair::generate(&path).unwrap();
        let again = KeyPair::load(&path).unwrap();
        assert_eq!(made.fingerprint(), again.fingerprint());
        assert_eq!(made.fingerprint().len(), 43);
        assert_eq!(made.fingerprint(), thumbprint(made.public_key()));
        assert_eq!(format!("{made:?}"), format!("KeyPair({})", made.fingerprint()));
        let sig = again.sign(b"release");
        let public = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, made.public_key());
        assert!(public.verify(b"release", &sig).is_ok());
        assert!(public.verify(b"tampered", &sig).is_err());
        let jws = made.sign_jws("msp-release+jws", b"{}");
        let compact = crate::jws::Compact::parse(&jws, "msp-release+jws").unwrap();
        assert_eq!(compact.header.kid, made.fingerprint());
        assert_eq!(compact.verify(made.public_key()).unwrap(), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.p8");
        KeyPair::generate(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_missing_or_corrupt_key_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.p8");
        assert!(matches!(KeyPair::load(&path), Err(KeyFileError::Missing { .. })));
        std::fs::write(&path, b"not a key").unwrap();
        let err = KeyPair::load(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::Corrupt { .. }));
        assert_eq!(err.path(), Some(path.as_path()));
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }
}
