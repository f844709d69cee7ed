//! `/dashboard/groups`: one measure for England, each region and each council type.

use axum::extract::{Query, State};

use super::layout::{MeasurePage, Page, measure_page};
use crate::http::{caller::SignedIn, query::ViewQuery, state::AppState};

/// `GET /dashboard/groups`.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    measure_page(&state, Some(role), &q, MeasurePage::Groups).await
}
