//! The one place errors become HTTP responses: RFC 9457 problem documents with a stable type.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use msp_schemas::{Problem, ProblemType};

use crate::ingest::Refused;

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub Refused);

impl ApiError {
    /// An error of kind `kind`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self(Refused::new(kind, detail))
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        Self(r)
    }
}

impl From<crate::store::CoordinatorStoreError> for ApiError {
    fn from(e: crate::store::CoordinatorStoreError) -> Self {
        Self(Refused::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&Problem::new(self.0.kind, self.0.detail))
    }
}

/// A problem document as a response.
pub fn problem_response(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(p).expect("a problem serialises");
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

/// What each problem type means and what to do, served at `/problems/<slug>`.
pub fn explanation(kind: ProblemType) -> &'static str {
    match kind {
        ProblemType::MalformedJws => {
            "The body must be a compact JWS (three base64url parts separated by dots) with alg EdDSA and typ msp-release+jws, as msp-node submit sends."
        }
        ProblemType::MalformedRequest => "The request could not be read: check its parameters against /openapi.json.",
        ProblemType::BadSignature => {
            "The signature does not verify with the key named by kid. The release was altered, or signed with another key: submit again with msp-node."
        }
        ProblemType::UnknownKey => {
            "The key named by kid is not enrolled. The council sends the enrolment request printed by msp-node init; the operator enrols it with msp-coordinator council enrol."
        }
        ProblemType::Unauthenticated => "Sign in, or send a bearer token.",
        ProblemType::RevokedKey => {
            "The key named by kid was revoked. The council makes a new key (msp-node init --force) and has it enrolled."
        }
        ProblemType::CouncilMismatch => "A key may only submit releases of its own council.",
        ProblemType::Forbidden => "Your role may not see or do this.",
        ProblemType::NotFound => "Nothing is at this address.",
        ProblemType::Conflict => {
            "A different release is stored for this council, quarter and revision. Stored releases never change: a corrected release is a new revision (msp-node release --revise)."
        }
        ProblemType::PayloadTooLarge => "Request bodies are limited to 1 MiB.",
        ProblemType::UnsupportedMediaType => "Submissions are sent with Content-Type: application/jose.",
        ProblemType::UnsupportedSpec => "This coordinator supports the report spec msp-quarterly/1.",
        ProblemType::InvalidPeriod => "Releases are for quarters that have ended.",
        ProblemType::InvalidRelease => {
            "The payload must be exactly an msp-release/1 document: no unknown fields, every table of its spec in order, noise parameters consistent with the budget."
        }
        ProblemType::Internal => {
            "Something went wrong inside the coordinator. Nothing was stored; try again, and tell the operator if it persists."
        }
        ProblemType::Unavailable => {
            "The coordinator cannot take requests right now (starting, stopping, or its database is unreachable). Try again shortly."
        }
    }
}
