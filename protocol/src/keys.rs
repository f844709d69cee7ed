//! Ed25519 public keys as they travel (base64url, no padding) and their RFC 7638 thumbprints.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// A public key that is not an Ed25519 public key in base64url.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an Ed25519 public key: expected 43 characters of base64url (the `public key` line msp-node init prints)"
)]
pub struct BadPublicKey(pub String);

/// The raw 32 bytes of a base64url Ed25519 public key.
pub fn decode_public_key(b64: &str) -> Result<[u8; 32], BadPublicKey> {
    let bytes = URL_SAFE_NO_PAD.decode(b64.trim()).map_err(|_| BadPublicKey(b64.to_owned()))?;
    bytes.try_into().map_err(|_| BadPublicKey(b64.to_owned()))
}

/// A public key as base64url.
pub fn encode_public_key(key: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The RFC 7638 JWK thumbprint of an Ed25519 public key: SHA-256 over the canonical JWK
/// `{"crv":"Ed25519","kty":"OKP","x":"…"}`, base64url without padding.
pub fn thumbprint(public_key: &[u8]) -> String {
    let jwk = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public_key));
    URL_SAFE_NO_PAD.encode(crate::sha256(jwk.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_follows_rfc_8037_appendix_a3() {
        let x = decode_public_key("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        assert_eq!(thumbprint(&x), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!(encode_public_key(&x), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    }

    #[test]
    fn malformed_public_keys_are_refused() {
        assert!(decode_public_key("not a key").is_err());
        assert!(decode_public_key("AAAA").is_err());
        assert!(decode_public_key("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=").is_err());
    }
}
