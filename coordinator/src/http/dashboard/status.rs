//! `/dashboard/status`: which councils' releases the coordinator holds, by quarter (the councils
//! the role may see; every council for national and administrator roles).

use axum::extract::State;
use maud::html;

use super::layout::{self, Page, table};
use crate::{
    http::{caller::SignedIn, error::HttpError, state::AppState},
    views,
};

/// `GET /dashboard/status`.
pub(in crate::http) async fn page(State(state): State<AppState>, SignedIn(role): SignedIn) -> Page {
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let view = views::submissions(&snap, &role);
    Ok(layout::page(
        "Submission status",
        Some(&role),
        "/dashboard/status",
        html! {
            h1 { "Submission status" }
            p { "Which councils' releases the coordinator holds, by quarter. Computed from the first " (view.tree_size) " entries of the transparency log." }
            (table(&view.tables[1], "/v1/views/status", 1))
            (table(&view.tables[0], "/v1/views/status", 0))
        },
    ))
}
