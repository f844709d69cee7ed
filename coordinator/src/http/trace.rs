//! What every request leaves behind: a span (method, matched route, status, latency) around its
//! handling, one log line when it is answered, and the request metrics. Only the route template
//! is recorded, never the address as sent, a header or a body: no token, key or figure reaches
//! the log this way.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use tracing::{Instrument, field::Empty};

use super::state::AppState;

/// Wraps every route: the request's span, its answer's log line and its metrics.
pub(super) async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let span = tracing::info_span!("request", method = %method, route = %route, status = Empty, latency_ms = Empty);
    let response = next.run(req).instrument(span.clone()).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    span.record("status", status);
    span.record("latency_ms", (took.as_secs_f64() * 1e6).round() / 1e3);
    span.in_scope(|| tracing::info!("answered"));
    state.metrics.request(&method, &route, status, took);
    response
}
