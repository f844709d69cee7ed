//! `/dashboard/councils` (and `/open/councils`): every council of a region, a council type or
//! England side by side for one measure, each with its interval against England's line, sorted by
//! name or by estimate; for the councils the reader may see (every council, once the quarter is
//! published).

use axum::extract::{Query, State};
use maud::html;

use super::layout::{
    self, Page, Reading, chosen_window, england_line, group_select, measure_select, period_form_of, points, sort_id,
    sort_select, table,
};
use crate::{
    auth::Role,
    benchmark::{Group, Window},
    http::{
        caller::SignedIn,
        error::HttpError,
        query::{ViewQuery, group, measure, order},
        state::AppState,
    },
    render::charts,
    views,
};

/// `GET /dashboard/councils`: a region's reader (or a council's) sees its region by default.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    councils_page(&state, Some(role), &q).await
}

/// `GET /open/councils`: the same, for the public, of published quarters.
pub(in crate::http) async fn open(State(state): State<AppState>, Query(q): Query<ViewQuery>) -> Page {
    councils_page(&state, None, &q).await
}

/// The page for `reader` (a role, or the public for `None`).
async fn councils_page(state: &AppState, reader: Option<Role>, q: &ViewQuery) -> Page {
    let Reading { current, api, access } = layout::reading(state, reader, "councils").await?;
    let current = current.as_str();
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let w = chosen_window(&snap, &access, q.period.as_deref(), current)?;
    let default = match reader {
        Some(Role::Region(r)) => Group::Region(r),
        Some(Role::Council(c)) => Group::Region(c.council().region),
        _ => Group::England,
    };
    let g = match q.group.as_deref() {
        Some(_) => group(q.group.as_deref())?,
        None => default,
    };
    let m = measure(q.measure.as_deref())?;
    let o = order(q.sort.as_deref())?;
    let view = views::councils(&snap, &access, g, m, w, o).map_err(|why| layout::not_shown(reader, current, &why))?;
    let england = england_line(&snap, &access, m, w);
    let download = format!("{api}?period={w}&group={}&measure={}&sort={}", g.id(), m.id(), sort_id(o));
    let offered = |w: Window| reader.is_some() || access.published(w);
    let t = &view.tables[0];
    Ok(layout::page(
        "Every council",
        reader.as_ref(),
        current,
        html! {
            h1 { "Every council of " (snap.name(g)) ", " (w) }
            (period_form_of(&snap, w, html! { (group_select("Councils of", g, &snap, reader, None)) (measure_select(m)) (sort_select(o)) }, offered))
            p { "Each council's estimate (the diamond) with its 95% interval (the line between the caps). "
                "The verdict in the table compares each council with the rest of England." }
            @let (with, without): (Vec<_>, Vec<_>) = points(t).into_iter().partition(|(_, p)| p.is_some());
            (charts::intervals("councils", &t.caption, &with, m.is_proportion(), england.as_ref()))
            @if !without.is_empty() {
                p.notes { (without.len()) " of the " (t.rows.len()) " councils have no figure for " (w) " and are left out "
                    "of the chart: " (without.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")) "." }
            }
            (table(t, &download, 0))
        },
    ))
}
