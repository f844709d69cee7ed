//! What operators and their probes read: liveness, readiness (the database answers) and the
//! Prometheus metrics.

use axum::{extract::State, http::header, response::IntoResponse};

use super::{error::HttpError, state::AppState};

/// `GET /healthz`: the process answers.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the database answers too.
pub(super) async fn readyz(State(state): State<AppState>) -> Result<&'static str, HttpError> {
    msp_store::sqlx::query("SELECT 1").execute(state.store.db().pool()).await.map_err(|_| HttpError::NotReady)?;
    Ok("ready\n")
}

/// `GET /metrics`: the Prometheus text exposition format.
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
