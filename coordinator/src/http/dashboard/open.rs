//! `/open`: the open-data pages, with no sign-in. They show published quarters only: which
//! quarters are published and when the others will be, then the same pages a signed-in reader
//! has (regions and council types, every council), each table downloadable as CSV, XLSX or JSON
//! from `/v1/open/…`. Every figure states the log size it was computed from, so that a published
//! figure can be reproduced later.

use axum::extract::{Query, State};
use maud::html;

use super::layout::{self, MeasurePage, Page, measure_page};
use crate::{
    auth::long_date,
    benchmark::Window,
    http::{error::HttpError, query::ViewQuery, state::AppState},
};

const HERE: &str = "/open";

/// `GET /open`: what is published, and when the rest will be.
pub(in crate::http) async fn index(State(state): State<AppState>) -> Page {
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let access = state.access(None).await.map_err(HttpError::from)?;
    // Published quarters only: that an unpublished quarter has releases is itself unpublished.
    let quarters: Vec<_> = snap.quarters.iter().rev().filter(|q| access.published(Window::Quarter(**q))).collect();
    let next = quarters.first().and_then(|q| q.next());
    Ok(layout::page(
        "Open data",
        None,
        HERE,
        html! {
            h1 { "Open data: Making Safeguarding Personal, published quarters" }
            p { "Each quarter's figures are published two full months after the quarter ends, unless the network's "
                "operator sets another date. From then anyone may read every council's figures and every group's, "
                "here and from the API, with no sign-in. Before then, a council sees only its own, a region's group "
                "its councils, and national analysts every council." }
            p { "Every figure is computed from councils' differentially private releases: no case record, person or "
                "exact count leaves a council. " a href="/dashboard/methodology" { "How to read the figures" } "." }
            @if quarters.is_empty() {
                p { "No quarter is published yet." }
            } @else {
                div.table-wrap {
                    table {
                        caption { "Published quarters" }
                        thead { tr { th scope="col" { "Quarter" } th scope="col" { "Published" } th scope="col" { "Figures" } } }
                        tbody {
                            @for q in &quarters {
                                @let w = Window::Quarter(**q);
                                tr {
                                    th scope="row" { (q) }
                                    td { "On " (long_date(access.publication.date(**q))) }
                                    td {
                                        a href=(format!("/open/groups?period={w}")) { "Regions, council types and sizes" } ", "
                                        a href=(format!("/open/councils?period={w}")) { "every council" } ", "
                                        a href=(format!("/v1/open/councils?period={w}&format=csv")) { "CSV of every council" }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(n) = next {
                    p { "The next quarter, " (n) ", is published on " (long_date(access.publication.date(n))) "." }
                }
                p.notes { "Figures are computed from the first " (snap.tree_size) " entries of the network's "
                          "transparency log; each download states the log size it comes from (tree_size), so a figure "
                          "can be reproduced later, for example for a Freedom of Information request." }
            }
        },
    ))
}

/// `GET /open/groups`: regions and council types for one measure, published quarters only.
pub(in crate::http) async fn groups(State(state): State<AppState>, Query(q): Query<ViewQuery>) -> Page {
    measure_page(&state, None, &q, MeasurePage::Groups).await
}
