//! The coordinator's HTTP API. `router(state)` is public so tests can drive it in memory.

pub mod api;
mod dashboard;
mod log;
mod openapi;
pub mod problem;
mod submissions;

use std::{sync::Arc, time::Instant};

use axum::{
    Json, Router,
    extract::{MatchedPath, Path, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use msp_schemas::ProblemType;

use crate::{
    benchmarks::Releases,
    ingest::{Clock, KeyCache, LogCache, Writer},
    keys::SigningKey,
    metrics::Metrics,
    store::Store,
};
pub use problem::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The log writer.
    pub writer: Writer,
    /// The log's tree.
    pub log: Arc<LogCache>,
    /// Enrolled keys read so far.
    pub keys: Arc<KeyCache>,
    /// The releases benchmarks are made from.
    pub releases: Arc<Releases>,
    /// The coordinator's signing key.
    pub key: Arc<SigningKey>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The clock.
    pub clock: Clock,
}

impl AppState {
    /// State over `store`, starting the log writer.
    pub fn new(store: Store, key: SigningKey, clock: Clock) -> Self {
        let log = Arc::new(LogCache::default());
        let key = Arc::new(key);
        let writer = Writer::spawn(store.clone(), log.clone(), key.clone(), clock.clone());
        Self {
            store,
            writer,
            log,
            key,
            keys: Arc::new(KeyCache::default()),
            releases: Arc::new(Releases::default()),
            metrics: Arc::new(Metrics::default()),
            clock,
        }
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/submissions", post(submissions::submit))
        .route("/v1/log/head", get(log::head))
        .route("/v1/log/inclusion", get(log::inclusion))
        .route("/v1/log/consistency", get(log::consistency))
        .route("/v1/keys", get(keys))
        .route("/v1/benchmarks", get(api::benchmark))
        .route("/v1/compare", get(api::comparison))
        .route("/v1/views/overview", get(api::overview))
        .route("/v1/views/groups", get(api::groups))
        .route("/v1/views/breakdowns", get(api::breakdowns))
        .route("/v1/views/models", get(api::models))
        .route("/v1/views/council/{code}", get(api::council))
        .route("/v1/views/trend", get(api::trend))
        .route("/v1/views/status", get(api::status))
        .route("/openapi.json", get(openapi::document))
        .route("/", get(dashboard::home))
        .route("/static/app.css", get(dashboard::stylesheet))
        .route("/static/icon.svg", get(dashboard::icon))
        .route("/favicon.ico", get(dashboard::icon))
        .route("/sign-in", get(dashboard::sign_in_form).post(dashboard::sign_in))
        .route("/sign-out", post(dashboard::sign_out))
        .route("/dashboard", get(dashboard::overview))
        .route("/dashboard/groups", get(dashboard::groups))
        .route("/dashboard/breakdowns", get(dashboard::breakdowns))
        .route("/dashboard/models", get(dashboard::models))
        .route("/dashboard/council", get(dashboard::council_picker))
        .route("/dashboard/council/go", get(dashboard::council_go))
        .route("/dashboard/council/{code}", get(dashboard::council))
        .route("/dashboard/status", get(dashboard::status))
        .route("/dashboard/methodology", get(dashboard::methodology))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/problems/{slug}", get(explain))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let response = next.run(req).await;
    state.metrics.request(&method, &route, response.status().as_u16(), started.elapsed());
    response
}

async fn keys(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.key.public())
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    msp_store::sqlx::query("SELECT 1")
        .execute(state.store.db().pool())
        .await
        .map_err(|_| ApiError::new(ProblemType::Unavailable, "the database does not answer"))?;
    Ok("ready\n")
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

async fn explain(Path(slug): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let kind: ProblemType = slug.parse().map_err(|_| ApiError::new(ProblemType::NotFound, "no such problem type"))?;
    Ok((StatusCode::OK, format!("{} ({})\n\n{}\n", kind.title(), kind.status(), problem::explanation(kind))))
}

async fn not_found() -> ApiError {
    ApiError::new(ProblemType::NotFound, "nothing is at this address: the API is described at /openapi.json")
}
