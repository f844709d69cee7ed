//! The dashboard: server-rendered HTML that works without JavaScript and loads nothing from
//! outside the server. Every chart is followed by its data table, and every table can be
//! downloaded as CSV or XLSX from the API. One file per page; [`layout`] holds what they share.
//! The page shell, stylesheet and icon are msp-web's ([`msp_web::page`], [`msp_web::assets`]).

pub mod breakdowns;
pub mod council;
pub mod councils;
pub mod england;
pub mod groups;
pub mod layout;
pub mod methodology;
pub mod models;
pub mod open;
pub mod origin;
pub mod sign_in;
pub mod status;
pub mod trend;

use axum::response::Redirect;

/// `GET /`: the dashboard.
pub(super) async fn home() -> Redirect {
    Redirect::to("/dashboard")
}
