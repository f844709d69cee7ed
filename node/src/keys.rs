//! The node's two secrets, kept as files with mode 0600 in `keys/`:
//!
//! - the **node secret**, 32 random bytes that key the HMAC-SHA256 of every person id, so the
//!   database never holds a person id and the hashes mean nothing outside this node;
//! - the **signing key**, an Ed25519 key pair (PKCS#8, the network's one [`KeyPair`] type) that
//!   signs releases. Its public half and fingerprint form the enrolment request
//!   ([`msp_schemas::enrolment::EnrolmentRequest`]) the coordinator operator checks out of band.
//!
//! The fingerprint is the key's RFC 7638 JWK thumbprint (SHA-256, base64url), which also serves
//! as the JWS `kid`.

use std::path::{Path, PathBuf};

use msp_protocol::keypair::{KeyFileError, KeyPair};
use ring::{
    hmac,
    rand::{SecureRandom, SystemRandom},
};

use crate::config::{ConfigError, write_atomic};

const NODE_SECRET_FILE: &str = "node-secret";
const SIGNING_KEY_FILE: &str = "signing-key.p8";

/// Errors with the node's keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key file is missing.
    #[error(
        "the node's {what} is missing from {path}: restore keys/ from backup, or run `msp-node init --force` to make a new signing key"
    )]
    Missing {
        /// Which key.
        what: &'static str,
        /// Where it should be.
        path: PathBuf,
    },
    /// A key file is not a key.
    #[error("{path} is not a valid {what}: restore keys/ from backup")]
    Corrupt {
        /// Which key.
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A key file could not be read or written.
    #[error(transparent)]
    File(#[from] ConfigError),
    /// The system's random source failed.
    #[error("the system's secure random number generator failed")]
    Random,
}

impl KeyError {
    /// The node's advice for a problem with its signing-key file.
    fn signing(e: KeyFileError) -> Self {
        const WHAT: &str = "Ed25519 signing key";
        match e {
            KeyFileError::Missing { path } => KeyError::Missing { what: WHAT, path },
            KeyFileError::Corrupt { path } => KeyError::Corrupt { what: WHAT, path },
            KeyFileError::Io { action, path, source } => KeyError::File(ConfigError::Io { action, path, source }),
            KeyFileError::Random => KeyError::Random,
        }
    }
}

/// The HMAC key for person ids.
#[derive(Clone)]
pub struct NodeSecret(hmac::Key);

impl std::fmt::Debug for NodeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeSecret(..)")
    }
}

/// Length of a stored person key (a truncated HMAC-SHA256): 128 bits leave no practical chance
/// of two people colliding in one council.
pub const PERSON_KEY_LEN: usize = 16;

impl NodeSecret {
    /// The keyed hash of a person id, as stored.
    pub fn person_key(&self, person_id: &str) -> [u8; PERSON_KEY_LEN] {
        let tag = hmac::sign(&self.0, person_id.as_bytes());
        let mut out = [0u8; PERSON_KEY_LEN];
        out.copy_from_slice(&tag.as_ref()[..PERSON_KEY_LEN]);
        out
    }

    /// Creates a new secret in `keys_dir`.
    pub fn create(keys_dir: &Path) -> Result<Self, KeyError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| KeyError::Random)?;
        write_atomic(&keys_dir.join(NODE_SECRET_FILE), msp_store::hex(&bytes).as_bytes(), true)?;
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, &bytes)))
    }

    /// Loads the secret from `keys_dir`.
    pub fn load(keys_dir: &Path) -> Result<Self, KeyError> {
        let path = keys_dir.join(NODE_SECRET_FILE);
        let what = "node secret";
        let text = std::fs::read_to_string(&path).map_err(|_| KeyError::Missing { what, path: path.clone() })?;
        let text = text.trim();
        if text.len() != 64 {
            return Err(KeyError::Corrupt { what, path });
        }
        let bytes: Option<Vec<u8>> = (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect();
        let bytes = bytes.ok_or(KeyError::Corrupt { what, path })?;
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, &bytes)))
    }

    /// Whether a secret exists in `keys_dir`.
    pub fn exists(keys_dir: &Path) -> bool {
        keys_dir.join(NODE_SECRET_FILE).exists()
    }
}

/// The node's Ed25519 signing key: the network's one key-pair type
/// ([`msp_protocol::keypair::KeyPair`]) kept at `keys/signing-key.p8`, with errors that say what a
/// council should do.
pub struct SigningKey(KeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.fingerprint())
    }
}

impl SigningKey {
    /// Creates a new key pair in `keys_dir`, replacing any there.
    pub fn create(keys_dir: &Path) -> Result<Self, KeyError> {
        KeyPair::generate(&keys_dir.join(SIGNING_KEY_FILE)).map(Self).map_err(KeyError::signing)
    }

    /// Loads the key pair from `keys_dir`.
    pub fn load(keys_dir: &Path) -> Result<Self, KeyError> {
        KeyPair::load(&keys_dir.join(SIGNING_KEY_FILE)).map(Self).map_err(KeyError::signing)
    }

    /// The key pair itself.
    pub fn pair(&self) -> &KeyPair {
        &self.0
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.0.public_key()
    }

    /// The public key, base64url without padding (the JWK `x`).
    pub fn public_key_b64(&self) -> String {
        self.0.public_key_b64()
    }

    /// The RFC 7638 thumbprint of the public key (the JWS `kid`).
    pub fn fingerprint(&self) -> &str {
        self.0.fingerprint()
    }

    /// Signs `payload` as a compact JWS of type `typ`, with this key's thumbprint as `kid`.
    pub fn sign_jws(&self, typ: &str, payload: &[u8]) -> String {
        self.0.sign_jws(typ, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_keys_are_stable_for_one_secret_and_differ_between_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let a = NodeSecret::create(dir.path()).unwrap();
        let again = NodeSecret::load(dir.path()).unwrap();
        assert_eq!(a.person_key("P-1"), again.person_key("P-1"));
        assert_ne!(a.person_key("P-1"), a.person_key("P-2"));
        let other = tempfile::tempdir().unwrap();
        let b = NodeSecret::create(other.path()).unwrap();
        assert_ne!(a.person_key("P-1"), b.person_key("P-1"));
    }

    #[test]
    fn the_signing_key_reloads_with_the_same_fingerprint_and_signs_verifiably() {
        let dir = tempfile::tempdir().unwrap();
        let k = SigningKey::create(dir.path()).unwrap();
        let again = SigningKey::load(dir.path()).unwrap();
        assert_eq!(k.fingerprint(), again.fingerprint());
        assert_eq!(k.fingerprint().len(), 43);
        let sig = k.pair().sign(b"release");
        let public = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, k.public_key());
        assert!(public.verify(b"release", &sig).is_ok());
        assert!(public.verify(b"tampered", &sig).is_err());
    }

    #[test]
    fn missing_or_corrupt_keys_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SigningKey::load(dir.path()).unwrap_err().to_string().contains("init --force"));
        std::fs::write(dir.path().join(NODE_SECRET_FILE), "zz").unwrap();
        assert!(NodeSecret::load(dir.path()).unwrap_err().to_string().contains("restore keys/"));
    }
}
