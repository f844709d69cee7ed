//! `GET /v1/views/…`: every dashboard view as JSON, CSV (one table) or XLSX (every table), for
//! the caller's role (see [`crate::auth`]).

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use msp_schemas::CouncilCode;

use super::{
    caller::Caller,
    error::HttpError,
    query::{ViewQuery, group, measure, query, window},
    state::AppState,
};
use crate::{
    auth::Role,
    benchmark::{Snapshot, Window},
    render::exports,
    views::{self, View},
};

/// A view in the format asked for.
fn respond(view: View, q: &ViewQuery) -> Result<Response, HttpError> {
    let base = view.tables.first().map_or("view".to_owned(), |t| t.id.clone());
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(view).into_response()),
        "csv" => {
            let t = q.table.unwrap_or(0);
            let body = exports::csv(&view, t).map_err(HttpError::BadQuery)?;
            let name = view.tables.get(t).map_or(base, |t| t.id.clone());
            Ok(file(body, "text/csv; charset=utf-8", &format!("{name}.csv")))
        }
        "xlsx" => {
            let body = exports::xlsx(&view).map_err(HttpError::Export)?;
            Ok(file(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{base}.xlsx")))
        }
        other => Err(HttpError::BadQuery(format!("{other:?} is not a format: use json, csv or xlsx"))),
    }
}

/// A download named `name`.
fn file(body: Vec<u8>, media: &'static str, name: &str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], ""));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// What every windowed view shares: the query, the snapshot, the window asked for, and the answer
/// in the format asked for; `make` builds the view from them.
async fn windowed_view(
    state: &AppState,
    q: Result<Query<ViewQuery>, QueryRejection>,
    make: impl FnOnce(&Snapshot, &ViewQuery, Window) -> Result<View, HttpError>,
) -> Result<Response, HttpError> {
    let q = query(q)?;
    let snap = state.snapshot().await?;
    let w = window(&snap, q.period.as_deref())?;
    respond(make(&snap, &q, w)?, &q)
}

/// Refuses a role that does not read benchmarks (the administrator's).
fn reads(role: &Role) -> Result<(), HttpError> {
    if role.reads_benchmarks() {
        Ok(())
    } else {
        Err(HttpError::Forbidden("this role manages the network and does not read benchmarks".into()))
    }
}

/// `GET /v1/views/overview`.
pub(super) async fn overview(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, q, |snap, q, w| {
        views::headline(snap, &role, group(q.group.as_deref())?, w).map_err(HttpError::Forbidden)
    })
    .await
}

/// `GET /v1/views/breakdowns`.
pub(super) async fn breakdowns(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, q, |snap, q, w| {
        views::breakdowns(snap, &role, group(q.group.as_deref())?, w).map_err(HttpError::Forbidden)
    })
    .await
}

/// `GET /v1/views/groups`.
pub(super) async fn groups(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    reads(&role)?;
    windowed_view(&state, q, |snap, q, w| Ok(views::groups(snap, &role, measure(q.measure.as_deref())?, w))).await
}

/// `GET /v1/views/models`.
pub(super) async fn models(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    reads(&role)?;
    windowed_view(&state, q, |snap, q, w| Ok(views::models(snap, &role, measure(q.measure.as_deref())?, w))).await
}

/// `GET /v1/views/council/{code}`.
pub(super) async fn council(
    State(state): State<AppState>,
    Caller(role): Caller,
    Path(code): Path<String>,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let code: CouncilCode = code.parse().map_err(|e| HttpError::BadQuery(format!("{e}")))?;
    windowed_view(&state, q, |snap, _, w| views::council(snap, &role, code, w).map_err(HttpError::Forbidden)).await
}

/// `GET /v1/views/trend`.
pub(super) async fn trend(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let q = query(q)?;
    reads(&role)?;
    let snap = state.snapshot().await?;
    let view = views::trend_view(&snap, &role, group(q.group.as_deref())?, measure(q.measure.as_deref())?)
        .map_err(HttpError::Forbidden)?;
    respond(view, &q)
}

/// `GET /v1/views/status`.
pub(super) async fn status(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let q = query(q)?;
    let snap = state.snapshot().await?;
    respond(views::submissions(&snap, &role), &q)
}
