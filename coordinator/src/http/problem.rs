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
        ProblemType::PolicyViolation => {
            "The release breaks the network policy served at /v1/policy: a report spec the network does not accept, a ρ per release outside the policy's range (too little noise to hide a person, or so much that every benchmark it joins is too wide to compare), or a revision beyond the policy's limit. The detail names the limit and the figures. Nothing was stored. Set the node's budget within the policy (rho_per_release in node.toml's [budget]) and release again; a quarter at its revision limit cannot be revised again."
        }
        ProblemType::ImplausibleRelease => {
            "The release holds something no correct node makes: a value outside the plausible range for a council (the most people a council can have in a quarter, plus a generous allowance of noise), a table given more or less than its weight's share of the release's ρ, or a creation time in the future. The detail names the table, cell and figures. Nothing was stored. Correct the node's clock if it is the creation time; otherwise the release is corrupt or was not made by msp-node: make it again with msp-node."
        }
        ProblemType::BudgetExceeded => {
            "The coordinator keeps its own ledger of the ρ each council has published, by quarter of data, across all the council's keys (current and revoked). This release would take the council past the network policy's cap for its quarter, or for a window of four consecutive quarters that holds it. The detail names the quarter or window, ρ already published, this release's ρ and the cap. Nothing was stored, and nothing published before changes. A second key, a new node or a node restored from backup shares the same ledger: the quarter's budget is spent, and the releases already accepted stand."
        }
        ProblemType::Internal => {
            "Something went wrong inside the coordinator: nothing was stored, and nothing it holds was changed. Try again, and tell the operator if it persists."
        }
        ProblemType::Unavailable => {
            "The coordinator cannot take requests right now (starting, stopping, or its database is unreachable). Try again shortly."
        }
    }
}
