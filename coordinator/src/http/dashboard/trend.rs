//! `/dashboard/trend` (and `/open/trend`): any measure for any group over time, by quarter and by
//! financial year, each point with its 95% interval and the councils behind it, as a chart and as
//! tables. Quarters the reader may not see yet are listed with their publication date.

use axum::extract::{Query, State};
use maud::html;

use super::layout::{self, Page, Reading, group_select, measure_select, points, table};
use crate::{
    auth::Role,
    benchmark::Group,
    http::{
        caller::SignedIn,
        error::HttpError,
        query::{ViewQuery, group, measure},
        state::AppState,
    },
    render::charts,
    views,
};

/// `GET /dashboard/trend`.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    trend_page(&state, Some(role), &q).await
}

/// `GET /open/trend`.
pub(in crate::http) async fn open(State(state): State<AppState>, Query(q): Query<ViewQuery>) -> Page {
    trend_page(&state, None, &q).await
}

async fn trend_page(state: &AppState, reader: Option<Role>, q: &ViewQuery) -> Page {
    let Reading { current, api, access } = layout::reading(state, reader, "trend").await?;
    let current = current.as_str();
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let default = match reader {
        Some(Role::Region(r)) => Group::Region(r),
        Some(Role::Council(c)) => Group::Council(c),
        _ => Group::England,
    };
    let g = match q.group.as_deref() {
        Some(_) => group(q.group.as_deref())?,
        None => default,
    };
    let m = measure(q.measure.as_deref())?;
    let view = views::trend_view(&snap, &access, g, m).map_err(|why| layout::not_shown(reader, current, &why))?;
    let download = format!("{api}?group={}&measure={}", g.id(), m.id());
    Ok(layout::page(
        "Trends",
        reader.as_ref(),
        current,
        html! {
            h1 { (m.label()) ": " (snap.name(g)) ", by quarter" }
            form.form-row method="get" {
                (group_select("Group", g, &snap, reader, reader.and_then(|r| r.council())))
                (measure_select(m))
                button.button type="submit" { "Show" }
            }
            @if snap.quarters.is_empty() {
                p { "No council has submitted a release yet." }
            } @else {
                (charts::trend("trend", &view.tables[0].caption, &points(&view.tables[0]), m.is_proportion()))
                @for (i, t) in view.tables.iter().enumerate() {
                    h2 { (t.caption) }
                    (table(t, &download, i))
                }
            }
        },
    ))
}
