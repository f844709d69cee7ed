//! `/dashboard/breakdowns`: what people wanted, the risks, and outcomes by who people are, for
//! England, each table with its chart.

use axum::extract::{Query, State};
use maud::html;

use super::layout::{self, Page, figures, period_form, points, refused, table};
use crate::{
    benchmark::Group,
    http::{caller::SignedIn, error::HttpError, query::ViewQuery, state::AppState},
    render::charts,
    views,
};

const HERE: &str = "/dashboard/breakdowns";

/// `GET /dashboard/breakdowns`.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    let (snap, w) = figures(&state, &role, q.period.as_deref(), HERE).await?;
    let access = state.access(Some(role)).await.map_err(HttpError::from)?;
    let view = views::breakdowns(&snap, &access, Group::England, w).map_err(|why| refused(&role, HERE, &why))?;
    let download = format!("/v1/views/breakdowns?period={w}");
    Ok(layout::page(
        "Breakdowns",
        Some(&role),
        HERE,
        html! {
            h1 { "What people wanted, the risks, and outcomes by who people are: England, " (w) }
            (period_form(&snap, w, html! {}))
            @for (i, t) in view.tables.iter().enumerate() {
                h2 { (t.caption) }
                (charts::intervals(&format!("breakdown-{i}"), &t.caption, &points(t), true, None))
                (table(t, &download, i))
            }
        },
    ))
}
