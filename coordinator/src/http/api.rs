//! The read API: benchmarks, comparisons and every dashboard view, as JSON, CSV and XLSX.
//! Callers present a bearer token (or the dashboard's session cookie); see [`crate::auth`].

use axum::{
    Json,
    extract::{FromRequestParts, Path, Query, State, rejection::QueryRejection},
    http::{HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
};
use msp_schemas::{CouncilCode, ProblemType};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::{
    auth::{Role, token_hash},
    benchmarks::{Snapshot, compare},
    estimate::{Group, Window},
    exports,
    views::{self, View, measure_named},
};

/// The name of the dashboard's session cookie.
pub const SESSION_COOKIE: &str = "msp_session";

/// The caller's role, from a bearer token or the session cookie.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Role);

fn bearer(parts: &Parts) -> Option<String> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    session_cookie(&parts.headers)
}

/// The dashboard's session token, from the request's cookies.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The role of a token, if it is valid.
pub async fn role_of(state: &AppState, token: &str) -> Result<Option<Role>, ApiError> {
    match state.store.token_role(&token_hash(token)).await? {
        Some(r) => Ok(Some(r.parse().map_err(|e: String| ApiError::new(ProblemType::Internal, e))?)),
        None => Ok(None),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::new(
                ProblemType::Unauthenticated,
                "send a bearer token (Authorization: Bearer …) or sign in to the dashboard",
            )
        })?;
        role_of(state, &token)
            .await?
            .map(Caller)
            .ok_or_else(|| ApiError::new(ProblemType::Unauthenticated, "the token is not valid or has been revoked"))
    }
}

/// Query parameters the views take.
#[derive(Debug, Deserialize, Default)]
pub struct ViewQuery {
    /// A quarter (2026-27-Q1) or a financial year (2026-27); default: the latest quarter.
    pub period: Option<String>,
    /// A group id (england, region:london, …).
    pub group: Option<String>,
    /// A measure id (fully, expressed, …).
    pub measure: Option<String>,
    /// json (default), csv or xlsx.
    pub format: Option<String>,
    /// For CSV: which table of the view (0-based).
    pub table: Option<usize>,
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemType::MalformedRequest, detail)
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemType::Forbidden, detail)
}

/// The window asked for, or the latest quarter with releases.
pub fn window(snap: &Snapshot, period: Option<&str>) -> Result<Window, ApiError> {
    match period {
        Some(p) => p.parse().map_err(bad),
        None => snap
            .latest_quarter()
            .map(Window::Quarter)
            .ok_or_else(|| ApiError::new(ProblemType::NotFound, "no releases have been received yet")),
    }
}

/// The measure asked for (default: fully achieved).
pub fn measure(name: Option<&str>) -> Result<msp_estimate::Measure, ApiError> {
    match name {
        None => Ok(msp_estimate::Measure::Fully),
        Some(n) => measure_named(n).ok_or_else(|| {
            let ids: Vec<_> = msp_estimate::Measure::ALL.iter().map(|m| m.id()).collect();
            bad(format!("{n:?} is not a measure: use one of {}", ids.join(", ")))
        }),
    }
}

/// A view in the format asked for.
pub fn respond(view: View, q: &ViewQuery) -> Result<Response, ApiError> {
    let base = view.tables.first().map_or("view".to_owned(), |t| t.id.clone());
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(view).into_response()),
        "csv" => {
            let t = q.table.unwrap_or(0);
            let body = exports::csv(&view, t).map_err(bad)?;
            let name = view.tables.get(t).map_or(base, |t| t.id.clone());
            Ok(file(body, "text/csv; charset=utf-8", &format!("{name}.csv")))
        }
        "xlsx" => {
            let body = exports::xlsx(&view).map_err(|e| ApiError::new(ProblemType::Internal, e))?;
            Ok(file(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{base}.xlsx")))
        }
        other => Err(bad(format!("{other:?} is not a format: use json, csv or xlsx"))),
    }
}

fn file(body: Vec<u8>, media: &'static str, name: &str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], ""));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn query(q: Result<Query<ViewQuery>, QueryRejection>) -> Result<ViewQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|e| bad(e.body_text()))
}

fn group(name: Option<&str>) -> Result<Group, ApiError> {
    name.map_or(Ok(Group::England), |g| g.parse().map_err(bad))
}

async fn snapshot(state: &AppState) -> Result<std::sync::Arc<Snapshot>, ApiError> {
    Ok(state.releases.current(&state.store).await?)
}

/// What every windowed view shares: the query, the snapshot, the window asked for, and the answer
/// in the format asked for; `make` builds the view from them.
async fn windowed_view(
    state: &AppState,
    q: Result<Query<ViewQuery>, QueryRejection>,
    make: impl FnOnce(&Snapshot, &ViewQuery, Window) -> Result<View, ApiError>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let snap = snapshot(state).await?;
    let w = window(&snap, q.period.as_deref())?;
    respond(make(&snap, &q, w)?, &q)
}

pub(super) async fn overview(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    windowed_view(&state, q, |snap, q, w| {
        views::headline(snap, &role, group(q.group.as_deref())?, w).map_err(forbidden)
    })
    .await
}

pub(super) async fn breakdowns(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    windowed_view(&state, q, |snap, q, w| {
        views::breakdowns(snap, &role, group(q.group.as_deref())?, w).map_err(forbidden)
    })
    .await
}

pub(super) async fn groups(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    reads(&role)?;
    windowed_view(&state, q, |snap, q, w| Ok(views::groups(snap, &role, measure(q.measure.as_deref())?, w))).await
}

pub(super) async fn models(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    reads(&role)?;
    windowed_view(&state, q, |snap, q, w| Ok(views::models(snap, &role, measure(q.measure.as_deref())?, w))).await
}

pub(super) async fn council(
    State(state): State<AppState>,
    Caller(role): Caller,
    Path(code): Path<String>,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let code: CouncilCode = code.parse().map_err(|e| bad(format!("{e}")))?;
    windowed_view(&state, q, |snap, _, w| views::council(snap, &role, code, w).map_err(forbidden)).await
}

pub(super) async fn trend(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    reads(&role)?;
    let snap = snapshot(&state).await?;
    let view = views::trend_view(&snap, &role, group(q.group.as_deref())?, measure(q.measure.as_deref())?)
        .map_err(forbidden)?;
    respond(view, &q)
}

pub(super) async fn status(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let snap = snapshot(&state).await?;
    respond(views::submissions(&snap, &role), &q)
}

fn reads(role: &Role) -> Result<(), ApiError> {
    if role.reads_benchmarks() {
        Ok(())
    } else {
        Err(forbidden("this role manages the network and does not read benchmarks"))
    }
}

/// A benchmark with every table, and the log size it comes from.
#[derive(Debug, serde::Serialize)]
struct BenchmarkAnswer {
    tree_size: u64,
    #[serde(flatten)]
    benchmark: crate::estimate::Benchmark,
}

pub(super) async fn benchmark(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let snap = snapshot(&state).await?;
    let g = group(q.group.as_deref())?;
    let b = snap.benchmark(g, window(&snap, q.period.as_deref())?);
    if !role.may_see(&g, &b.councils) {
        return Err(forbidden(format!("{} is not available to this role", b.name)));
    }
    Ok(Json(BenchmarkAnswer { tree_size: snap.tree_size, benchmark: b }).into_response())
}

/// `a` and `b` for a comparison.
#[derive(Debug, Deserialize)]
pub(super) struct CompareQuery {
    a: String,
    b: String,
    period: Option<String>,
}

pub(super) async fn comparison(
    State(state): State<AppState>,
    Caller(role): Caller,
    q: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| bad(e.body_text()))?;
    let (a, b) = (q.a.parse::<Group>().map_err(bad)?, q.b.parse::<Group>().map_err(bad)?);
    let snap = snapshot(&state).await?;
    let c = compare(&snap, a, b, window(&snap, q.period.as_deref())?);
    if !role.may_see(&a, &c.a.councils) || !role.may_see(&b, &c.b.councils) {
        return Err(forbidden("one of the groups is not available to this role"));
    }
    Ok(Json(c).into_response())
}
