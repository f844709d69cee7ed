//! The coordinator's HTTP API and dashboard. [`router`] is public so tests can drive it in memory.
//!
//! - [`state`]: what every handler shares; [`caller`]: who is asking (bearer token or session);
//! - [`error`]: the one enum of what can go wrong and its one mapping to problem documents;
//! - `trace`: a span, a log line and metrics for every request;
//! - `submissions`, `log`, `policy`: the protocol (DESIGN §7); `benchmarks`, `views`: the read API;
//! - `dashboard`: the server-rendered pages, one file per page; `problem`, `health`, `openapi`;
//! - `headers`: what may be cached (HSTS, `nosniff` and `no-store` on every other answer, by
//!   msp-web); `dashboard::origin`: CSRF, by msp-web's check. The stylesheet and icon are
//!   msp-web's [`msp_web::assets`], shared with the node's local view.

mod benchmarks;
pub mod caller;
mod dashboard;
pub mod error;
mod headers;
mod health;
mod log;
mod openapi;
mod policy;
pub mod problem;
pub mod query;
pub mod state;
mod submissions;
mod trace;
mod views;

use axum::{
    Router, middleware,
    routing::{get, post},
};
use msp_web::headers::Cacheable;

use caller::Caller;
pub use error::HttpError;
pub use state::AppState;
use views::Public;

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/submissions", post(submissions::submit))
        .route("/v1/log/head", get(log::head))
        .route("/v1/log/inclusion", get(log::inclusion))
        .route("/v1/log/consistency", get(log::consistency))
        .route("/v1/keys", get(log::key))
        .route("/v1/policy", get(policy::policy))
        .route("/v1/benchmarks", get(benchmarks::benchmark))
        .route("/v1/compare", get(benchmarks::comparison))
        .route("/v1/views/overview", get(views::overview::<Caller>))
        .route("/v1/views/groups", get(views::groups::<Caller>))
        .route("/v1/views/breakdowns", get(views::breakdowns::<Caller>))
        .route("/v1/views/models", get(views::models::<Caller>))
        .route("/v1/views/councils", get(views::councils::<Caller>))
        .route("/v1/views/council/{code}", get(views::council::<Caller>))
        .route("/v1/views/trend", get(views::trend::<Caller>))
        .route("/v1/open/overview", get(views::overview::<Public>))
        .route("/v1/open/groups", get(views::groups::<Public>))
        .route("/v1/open/breakdowns", get(views::breakdowns::<Public>))
        .route("/v1/open/models", get(views::models::<Public>))
        .route("/v1/open/councils", get(views::councils::<Public>))
        .route("/v1/open/council/{code}", get(views::council::<Public>))
        .route("/v1/open/trend", get(views::trend::<Public>))
        .route("/v1/views/status", get(views::status))
        .route("/openapi.json", get(openapi::document))
        .route("/", get(dashboard::home))
        .route("/sign-in", get(dashboard::sign_in::form).post(dashboard::sign_in::sign_in))
        .route("/sign-out", post(dashboard::sign_in::sign_out))
        .route("/dashboard", get(dashboard::england::page))
        .route("/dashboard/groups", get(dashboard::groups::page))
        .route("/dashboard/breakdowns", get(dashboard::breakdowns::page))
        .route("/dashboard/models", get(dashboard::models::page))
        .route("/dashboard/councils", get(dashboard::councils::page))
        .route("/open", get(dashboard::open::index))
        .route("/open/groups", get(dashboard::open::groups))
        .route("/open/councils", get(dashboard::councils::open))
        .route("/dashboard/trend", get(dashboard::trend::page))
        .route("/open/trend", get(dashboard::trend::open))
        .route("/dashboard/council", get(dashboard::council::picker))
        .route("/dashboard/council/go", get(dashboard::council::go))
        .route("/dashboard/council/{code}", get(dashboard::council::page))
        .route("/dashboard/council/{code}/peers", post(dashboard::council::save_peers))
        .route("/dashboard/status", get(dashboard::status::page))
        .route("/dashboard/methodology", get(dashboard::methodology::page))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/problems/{slug}", get(problem::explain))
        .merge(msp_web::assets::routes())
        .fallback(problem::not_found)
        .layer(middleware::from_fn(dashboard::origin::same_origin))
        .layer(middleware::from_fn_with_state(Cacheable(headers::cacheable), msp_web::headers::protect))
        .layer(middleware::from_fn_with_state(state.clone(), trace::observe))
        .with_state(state)
}

#[cfg(test)]
mod tests;
