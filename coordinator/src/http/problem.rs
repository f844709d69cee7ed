//! The problem types explained: `/problems/<slug>` pages (each problem document's `type` links to
//! one), and the answer for an address where nothing is.

use axum::{extract::Path, http::StatusCode, response::IntoResponse};
use msp_schemas::ProblemType;

use super::error::HttpError;

/// `GET /problems/{slug}`: what a problem type means and what to do.
pub(super) async fn explain(Path(slug): Path<String>) -> Result<impl IntoResponse, HttpError> {
    let kind: ProblemType = slug.parse().map_err(|_| HttpError::NotFound("no such problem type".into()))?;
    Ok((StatusCode::OK, format!("{} ({})\n\n{}\n", kind.title(), kind.status(), explanation(kind))))
}

/// Any address no route answers.
pub(super) async fn not_found() -> HttpError {
    HttpError::NotFound("nothing is at this address: the API is described at /openapi.json".into())
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
            "Something went wrong inside the coordinator: nothing was stored, and nothing it holds was changed. Try again, and tell the operator if it persists."
        }
        ProblemType::Unavailable => {
            "The coordinator cannot take requests right now (starting, stopping, or its database is unreachable). Try again shortly."
        }
    }
}
