//! The dashboard: server-rendered HTML that works without JavaScript and loads nothing from
//! outside the server. Every chart is followed by its data table, and every table can be
//! downloaded as CSV or XLSX from the API. One file per page; [`layout`] holds what they share.

pub mod breakdowns;
pub mod council;
pub mod england;
pub mod groups;
pub mod layout;
pub mod methodology;
pub mod models;
pub mod origin;
pub mod sign_in;
pub mod status;

use axum::{
    http::header,
    response::{IntoResponse, Redirect},
};

/// The stylesheet.
const CSS: &str = include_str!("../../../static/app.css");
/// The icon.
const ICON: &str = include_str!("../../../static/icon.svg");

/// `GET /static/app.css`.
pub(super) async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

/// `GET /static/icon.svg` and `/favicon.ico`.
pub(super) async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON)
}

/// `GET /`: the dashboard.
pub(super) async fn home() -> Redirect {
    Redirect::to("/dashboard")
}
