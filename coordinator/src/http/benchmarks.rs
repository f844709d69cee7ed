//! `GET /v1/benchmarks` and `GET /v1/compare`: a group's benchmark with every table, and two
//! groups compared, as the wire types of [`msp_schemas::api`] that `msp-node compare` reads.

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use msp_schemas::api::{BenchmarkAnswer, Comparison};
use serde::Deserialize;

use super::{
    caller::Caller,
    error::HttpError,
    query::{ViewQuery, group, query, window},
    state::AppState,
};
use crate::benchmark::{Group, compare};

/// `GET /v1/benchmarks?group=…&period=…`.
pub(super) async fn benchmark(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Json<BenchmarkAnswer>, HttpError> {
    let q = query(q)?;
    let (snap, access) = super::views::read_for(&state, Some(role), q.tree_size).await?;
    let g = group(q.group.as_deref())?;
    let w = window(&snap, q.period.as_deref())?;
    if !access.may_see_in(&snap, g, w) {
        return Err(HttpError::Forbidden(access.refusal_in(&snap, g, w)));
    }
    Ok(Json(BenchmarkAnswer { tree_size: snap.tree_size, benchmark: snap.benchmark(g, w) }))
}

/// `a` and `b` for a comparison.
#[derive(Debug, Deserialize)]
pub(super) struct CompareQuery {
    a: String,
    b: String,
    period: Option<String>,
    /// The figures as computed from the log's first `tree_size` entries (default: all of them).
    tree_size: Option<u64>,
}

/// `GET /v1/compare?a=…&b=…&period=…`.
pub(super) async fn comparison(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Json<Comparison>, HttpError> {
    let q = query(q)?;
    let (a, b) =
        (q.a.parse::<Group>().map_err(HttpError::BadQuery)?, q.b.parse::<Group>().map_err(HttpError::BadQuery)?);
    let (snap, access) = super::views::read_for(&state, Some(role), q.tree_size).await?;
    let w = window(&snap, q.period.as_deref())?;
    for g in [a, b] {
        if !access.may_see_in(&snap, g, w) {
            return Err(HttpError::Forbidden(access.refusal_in(&snap, g, w)));
        }
    }
    Ok(Json(compare(&snap, a, b, w)))
}
