//! The cryptography of the submission protocol (DESIGN §7), shared by nodes and the coordinator.
//!
//! - [`jws`]: compact JWS (RFC 7515) signed with Ed25519 (`alg: EdDSA`, RFC 8037), verified over
//!   the exact bytes before anything in the payload is read;
//! - [`keys`]: public keys as base64url and their RFC 7638 thumbprints (the `kid`);
//! - [`merkle`]: the transparency log's Merkle tree (RFC 9162 hashing), its inclusion and
//!   consistency proofs, and their verification.
//!
//! Pure: no I/O, no clock.

pub mod jws;
pub mod keys;
pub mod merkle;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("SHA-256 is 32 bytes")
}
