//! `GET /v1/policy`: the network policy every submission is held to, signed with the key that
//! signs receipts, so that a node can check it came from the coordinator it pinned and hold its
//! own releases to it (a node may be stricter, never looser). No sign-in: nodes fetch it.

use axum::{Json, extract::State};
use msp_schemas::policy::SignedPolicy;

use super::state::AppState;

/// `GET /v1/policy`: the policy, and its exact JSON as a compact JWS (`typ: msp-policy+jws`).
pub(super) async fn policy(State(state): State<AppState>) -> Json<SignedPolicy> {
    Json(state.policy.as_ref().clone())
}
