//! Compact JWS (RFC 7515) with Ed25519 (RFC 8037).
//!
//! The signature covers the exact bytes `BASE64URL(header) "." BASE64URL(payload)`: a verifier
//! checks it before decoding the payload, so nothing unverified is ever parsed. Only `EdDSA` is
//! accepted, and a `crit` header is refused (we understand no extensions).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// The `typ` of a signed release.
pub const TYP_RELEASE: &str = "msp-release+jws";
/// The `typ` of a signed receipt.
pub const TYP_RECEIPT: &str = "msp-receipt+jws";
/// The `typ` of a signed tree head.
pub const TYP_TREE_HEAD: &str = "msp-tree-head+jws";
/// The `typ` of a signed network policy.
pub const TYP_POLICY: &str = "msp-policy+jws";

/// The protected header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always `EdDSA`.
    pub alg: String,
    /// The signing key's thumbprint.
    pub kid: String,
    /// What is signed.
    pub typ: String,
    /// Critical extensions: refused whenever the member is there, whatever it holds (`null` and `[]`
    /// included: RFC 7515 §4.1.11 forbids an empty list, and we understand no extension to list).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub crit: Option<serde_json::Value>,
}

/// A member that is there, even as `null`, is `Some`: serde's default would make `"crit": null`
/// look absent and let it through.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// Why a JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three base64url parts.
    #[error("not a compact JWS: expected three base64url parts separated by dots")]
    Malformed,
    /// The header is not what we accept.
    #[error("the JWS header is not acceptable: {0}")]
    Header(String),
    /// The signature does not verify.
    #[error("the signature does not verify with the key named by kid")]
    BadSignature,
}

/// A compact JWS split into its parts, signature not yet checked.
#[derive(Debug, Clone)]
pub struct Compact<'a> {
    /// The decoded protected header.
    pub header: Header,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature: Vec<u8>,
}

/// Signs `payload` as a compact JWS.
pub fn sign(key: &Ed25519KeyPair, kid: &str, typ: &str, payload: &[u8]) -> String {
    let header = Header { alg: "EdDSA".into(), kid: kid.into(), typ: typ.into(), crit: None };
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("a header serialises"));
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

fn b64(part: &str) -> Result<Vec<u8>, JwsError> {
    if part.is_empty() || part.contains('=') {
        return Err(JwsError::Malformed);
    }
    URL_SAFE_NO_PAD.decode(part).map_err(|_| JwsError::Malformed)
}

impl<'a> Compact<'a> {
    /// Splits a compact JWS and reads its header, expecting `typ`.
    pub fn parse(jws: &'a str, typ: &str) -> Result<Self, JwsError> {
        let jws = jws.trim_end_matches(['\r', '\n']);
        let mut parts = jws.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(JwsError::Malformed);
        };
        let header: Header =
            serde_json::from_slice(&b64(h)?).map_err(|e| JwsError::Header(format!("not a JSON header: {e}")))?;
        if header.alg != "EdDSA" {
            return Err(JwsError::Header(format!("alg is {:?}; only EdDSA is accepted", header.alg)));
        }
        if header.crit.is_some() {
            return Err(JwsError::Header(
                "crit is present; no extensions are understood, so none may be critical".into(),
            ));
        }
        if header.typ != typ {
            return Err(JwsError::Header(format!("typ is {:?}; expected {typ:?}", header.typ)));
        }
        let signature = b64(s)?;
        Ok(Self { header, signing_input: &jws[..h.len() + 1 + p.len()], payload_b64: p, signature })
    }

    /// Checks the signature with `public_key` (32 raw bytes), and only then decodes the payload.
    pub fn verify(&self, public_key: &[u8]) -> Result<Vec<u8>, JwsError> {
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| JwsError::BadSignature)?;
        URL_SAFE_NO_PAD.decode(self.payload_b64).map_err(|_| JwsError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::{rand::SystemRandom, signature::KeyPair};

    fn key() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
    }

    #[test]
    fn a_signed_payload_verifies_and_comes_back_exactly() {
        let k = key();
        let jws = sign(&k, "kid-1", TYP_RELEASE, b"{\"a\":1}");
        let c = Compact::parse(&jws, TYP_RELEASE).unwrap();
        assert_eq!(c.header.kid, "kid-1");
        assert_eq!(c.verify(k.public_key().as_ref()).unwrap(), b"{\"a\":1}");
        // Ed25519 is deterministic: the same payload signs to the same bytes, so a resent
        // submission is byte-identical.
        assert_eq!(sign(&k, "kid-1", TYP_RELEASE, b"{\"a\":1}"), jws);
    }

    #[test]
    fn another_key_or_a_changed_payload_does_not_verify() {
        let (k, other) = (key(), key());
        let jws = sign(&k, "kid", TYP_RELEASE, b"payload");
        let c = Compact::parse(&jws, TYP_RELEASE).unwrap();
        assert_eq!(c.verify(other.public_key().as_ref()), Err(JwsError::BadSignature));
        let parts: Vec<&str> = jws.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(b"payloaD"), parts[2]);
        let c = Compact::parse(&tampered, TYP_RELEASE).unwrap();
        assert_eq!(c.verify(k.public_key().as_ref()), Err(JwsError::BadSignature));
    }

    #[test]
    fn malformed_or_unacceptable_jws_are_refused_before_verification() {
        let k = key();
        for bad in ["", "a.b", "a.b.c.d", "!!.b.c", "eyJ9.e30.AA"] {
            assert!(Compact::parse(bad, TYP_RELEASE).is_err(), "{bad:?}");
        }
        let enc = |v: &str| URL_SAFE_NO_PAD.encode(v);
        let with_header = |h: &str| format!("{}.{}.{}", enc(h), enc("{}"), enc("sig"));
        let err = Compact::parse(&with_header(r#"{"alg":"none","kid":"k","typ":"msp-release+jws"}"#), TYP_RELEASE)
            .unwrap_err();
        assert!(err.to_string().contains("only EdDSA"), "{err}");
        for crit in [r#"["x"]"#, "[]", "null", "{}", r#""""#] {
            let header = format!(r#"{{"alg":"EdDSA","kid":"k","typ":"msp-release+jws","crit":{crit}}}"#);
            let err = Compact::parse(&with_header(&header), TYP_RELEASE).unwrap_err();
            assert!(err.to_string().contains("crit is present"), "crit {crit}: {err}");
        }
        let header = r#"{"alg":"EdDSA","kid":"k","typ":"msp-release+jws"}"#;
        assert!(Compact::parse(&with_header(header), TYP_RELEASE).is_ok(), "no crit at all is fine");
        let jws = sign(&k, "kid", TYP_RECEIPT, b"x");
        assert!(Compact::parse(&jws, TYP_RELEASE).unwrap_err().to_string().contains("typ"));
        assert!(Compact::parse(&format!("{jws}="), TYP_RECEIPT).is_err(), "padding is not base64url");
    }
}
