//! `/dashboard`: England's headline measures for a period, with coverage, and outcomes fully
//! achieved by quarter.

use axum::extract::{Query, State};
use maud::html;
use msp_estimate::Measure;

use super::layout::{self, Page, figures, period_form, points, refused, table};
use crate::{
    benchmark::Group,
    http::{caller::SignedIn, error::HttpError, query::ViewQuery, state::AppState},
    render::charts,
    views,
};

const HERE: &str = "/dashboard";

/// `GET /dashboard`.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    let (snap, w) = figures(&state, &role, q.period.as_deref(), HERE).await?;
    let access = state.access(Some(role)).await.map_err(HttpError::from)?;
    let view = views::headline(&snap, &access, Group::England, w).map_err(|why| refused(&role, HERE, &why))?;
    let b = snap.benchmark(Group::England, w);
    let trend_view = views::trend_view(&snap, &access, Group::England, Measure::Fully).ok();
    let download = format!("/v1/views/overview?period={w}");
    Ok(layout::page(
        "England",
        Some(&role),
        HERE,
        html! {
            h1 { "Making Safeguarding Personal in England, " (w) }
            (period_form(&snap, w, html! {}))
            dl.summary-list {
                dt { "Councils included" } dd { (b.coverage.councils_included) " of " (b.coverage.councils_in_group) }
                dt { "Council-quarters" } dd { (b.coverage.quarters_included) " of " (b.coverage.quarters_expected) }
                dt { "Transparency log" } dd { "Computed from the first " (view.tree_size) " entries" }
            }
            h2 { "Headline measures" }
            (charts::intervals("headline-proportions", "Headline proportions with 95% intervals",
                &points(&view.tables[0])
                    .into_iter()
                    .filter_map(|(l, p)| Measure::ALL.iter().find(|m| m.is_proportion() && m.label() == l).map(|m| (m.short().to_owned(), p)))
                    .collect::<Vec<_>>(), true, None))
            (table(&view.tables[0], &download, 0))
            @if let Some(t) = &trend_view {
                h2 { "Outcomes fully achieved, by quarter" }
                (charts::trend("trend-fully", "Outcomes fully achieved in England by quarter, with 95% intervals", &points(&t.tables[0]), true))
                (table(&t.tables[0], "/v1/views/trend?group=england&measure=fully", 0))
                (table(&t.tables[1], "/v1/views/trend?group=england&measure=fully", 1))
            }
        },
    ))
}
