//! The enrolment request (DESIGN §7): what `msp-node init` prints for a council to send to the
//! coordinator's operator, and what `msp-coordinator council enrol-many` reads back. The operator
//! checks the fingerprint out of band (read out by phone) before enrolling the key.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CouncilCode;

/// The only signature algorithm of the network.
pub const ALGORITHM: &str = "Ed25519";

/// A council's request to have its node's signing key enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    /// The council's code.
    pub council: CouncilCode,
    /// The council's name, for the operator's check.
    pub council_name: String,
    /// Signature algorithm: always `Ed25519`.
    pub algorithm: String,
    /// Public key, base64url without padding.
    pub public_key: String,
    /// RFC 7638 thumbprint of the public key, to read out over the phone.
    pub fingerprint: String,
}

impl EnrolmentRequest {
    /// The request for `council`'s key with this public half and fingerprint.
    pub fn new(council: CouncilCode, public_key: String, fingerprint: String) -> Self {
        Self {
            council,
            council_name: council.council().name.to_owned(),
            algorithm: ALGORITHM.to_owned(),
            public_key,
            fingerprint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_and_refuses_unknown_councils_and_fields() {
        let code: CouncilCode = "E06000001".parse().unwrap();
        let request = EnrolmentRequest::new(code, "k".repeat(43), "f".repeat(43));
        assert_eq!(request.council_name, "Hartlepool");
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<EnrolmentRequest>(&json).unwrap(), request);
        let unknown = json.replace("E06000001", "E99999999");
        assert!(serde_json::from_str::<EnrolmentRequest>(&unknown).is_err());
        let extra = json.replacen('{', r#"{"note":"x","#, 1);
        assert!(serde_json::from_str::<EnrolmentRequest>(&extra).unwrap_err().to_string().contains("note"));
    }
}
