//! `/dashboard/models`: one measure by team model and MSP level, and the differences between
//! models of practice.

use axum::extract::{Query, State};

use super::layout::{MeasurePage, Page, measure_page};
use crate::http::{caller::SignedIn, query::ViewQuery, state::AppState};

/// `GET /dashboard/models`.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    measure_page(&state, Some(role), &q, MeasurePage::Models).await
}
