//! The cryptography of the submission protocol (DESIGN §7), shared by nodes and the coordinator.
//!
//! - [`jws`]: compact JWS (RFC 7515) signed with Ed25519 (`alg: EdDSA`, RFC 8037), verified over
//!   the exact bytes before anything in the payload is read;
//! - [`keys`]: public keys as base64url and their RFC 7638 thumbprints (the `kid`);
//! - [`keypair`]: the one Ed25519 key pair type both sides sign with, kept as a 0600 PKCS#8 file;
//! - [`files`]: files written atomically (keys, certificates, configuration);
//! - [`merkle`]: the transparency log's Merkle tree (RFC 9162 hashing), its inclusion and
//!   consistency proofs, and their verification.
//!
//! Pure but for [`keypair`] and [`files`], which read and write key files: no network, no clock.

pub mod files;
pub mod jws;
pub mod keypair;
pub mod keys;
pub mod merkle;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("SHA-256 is 32 bytes")
}
