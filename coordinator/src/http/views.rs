//! `GET /v1/views/…`: every dashboard view as JSON, CSV (one table) or XLSX (every table), for
//! the caller's role; and `GET /v1/open/…`, the same views for the public, with no sign-in, of
//! published quarters only (see [`crate::auth`]). Every answer states the log size it comes from.

use axum::{
    Json,
    extract::{FromRequestParts, Path, Query, State, rejection::QueryRejection},
    http::{HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
};
use msp_schemas::CouncilCode;

use super::{
    caller::Caller,
    error::HttpError,
    query::{ViewQuery, group, measure, order, query, window},
    state::AppState,
};
use crate::{
    auth::{Access, NOT_A_READER, Role},
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
            let body = exports::csv(&view, q.table).map_err(HttpError::BadQuery)?;
            let name = match q.table {
                Some(t) => view.tables.get(t).map_or(base, |t| t.id.clone()),
                None if !view.data.is_empty() => format!("{base}-data"),
                None => base,
            };
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

/// Who reads a view: the API's caller (a role, signed in), or the public (the open-data API,
/// `/v1/open/…`, which needs no sign-in and answers for published quarters only).
pub(super) trait Reader: FromRequestParts<AppState, Rejection = HttpError> + Send {
    /// The role, or `None` for the public.
    fn role(&self) -> Option<Role>;
}

impl Reader for Caller {
    fn role(&self) -> Option<Role> {
        Some(self.0)
    }
}

/// The public: anyone, with no sign-in.
pub(super) struct Public;

impl FromRequestParts<AppState> for Public {
    type Rejection = HttpError;

    async fn from_request_parts(_: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Public)
    }
}

impl Reader for Public {
    fn role(&self) -> Option<Role> {
        None
    }
}

/// What every windowed view shares: the query, the snapshot, the reader's access, the window
/// asked for (default: the latest quarter, or for the public the latest published one), and the
/// answer in the format asked for; `make` builds the view from them.
async fn windowed_view(
    state: &AppState,
    reader: Option<Role>,
    q: Result<Query<ViewQuery>, QueryRejection>,
    make: impl FnOnce(&Snapshot, &Access, &ViewQuery, Window) -> Result<View, HttpError>,
) -> Result<Response, HttpError> {
    let q = query(q)?;
    let (snap, access) = read_for(state, reader, q.tree_size).await?;
    if !access.reads() {
        return Err(HttpError::Forbidden(NOT_A_READER.into()));
    }
    let w = match (reader, q.period.as_deref()) {
        (None, None) => latest_published(&snap, &access)?,
        (_, period) => window(&snap, period)?,
    };
    respond(make(&snap, &access, &q, w)?, &q)
}

/// The snapshot a query asks for (at its `tree_size`, or now) and what the reader may see of it.
pub(super) async fn read_for(
    state: &AppState,
    reader: Option<Role>,
    tree_size: Option<u64>,
) -> Result<(std::sync::Arc<Snapshot>, Access), HttpError> {
    let (snap, access) = state.read_for(reader, tree_size).await?;
    let snap = snap.ok_or_else(|| {
        HttpError::NotFound(format!(
            "the transparency log does not have {} entries yet: ask for a tree_size it has reached (GET /v1/log/head)",
            tree_size.unwrap_or_default()
        ))
    })?;
    Ok((snap, access))
}

/// The latest quarter with releases that is published.
pub(super) fn latest_published(snap: &Snapshot, access: &Access) -> Result<Window, HttpError> {
    snap.quarters
        .iter()
        .rev()
        .map(|q| Window::Quarter(*q))
        .find(|w| access.published(*w))
        .ok_or_else(|| HttpError::NotFound("no quarter with releases is published yet".into()))
}

/// `GET /v1/views/overview` (and `/v1/open/overview`).
pub(super) async fn overview<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, reader.role(), q, |snap, access, q, w| {
        views::headline(snap, access, group(q.group.as_deref())?, w).map_err(HttpError::Forbidden)
    })
    .await
}

/// `GET /v1/views/breakdowns` (and `/v1/open/breakdowns`).
pub(super) async fn breakdowns<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, reader.role(), q, |snap, access, q, w| {
        views::breakdowns(snap, access, group(q.group.as_deref())?, w).map_err(HttpError::Forbidden)
    })
    .await
}

/// `GET /v1/views/groups` (and `/v1/open/groups`).
pub(super) async fn groups<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, reader.role(), q, |snap, access, q, w| {
        Ok(views::groups(snap, access, measure(q.measure.as_deref())?, w, order(q.sort.as_deref())?))
    })
    .await
}

/// `GET /v1/views/models` (and `/v1/open/models`).
pub(super) async fn models<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, reader.role(), q, |snap, access, q, w| {
        Ok(views::models(snap, access, measure(q.measure.as_deref())?, w))
    })
    .await
}

/// `GET /v1/views/councils` (and `/v1/open/councils`): every council of a group for one measure.
pub(super) async fn councils<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    windowed_view(&state, reader.role(), q, |snap, access, q, w| {
        let (g, m, o) = (group(q.group.as_deref())?, measure(q.measure.as_deref())?, order(q.sort.as_deref())?);
        views::councils(snap, access, g, m, w, o).map_err(HttpError::Forbidden)
    })
    .await
}

/// `GET /v1/views/council/{code}` (and `/v1/open/council/{code}`).
pub(super) async fn council<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    Path(code): Path<String>,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let code: CouncilCode = code.parse().map_err(|e| HttpError::BadQuery(format!("{e}")))?;
    windowed_view(&state, reader.role(), q, |snap, access, _, w| {
        views::council(snap, access, code, w).map_err(HttpError::Forbidden)
    })
    .await
}

/// `GET /v1/views/trend` (and `/v1/open/trend`).
pub(super) async fn trend<R: Reader>(
    State(state): State<AppState>,
    reader: R,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let q = query(q)?;
    let (snap, access) = read_for(&state, reader.role(), q.tree_size).await?;
    let view = views::trend_view(&snap, &access, group(q.group.as_deref())?, measure(q.measure.as_deref())?)
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
