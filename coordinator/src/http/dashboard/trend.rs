//! `/dashboard/trend` (and `/open/trend`): any measure for any group over time, by quarter and by
//! financial year, each point with its 95% interval and the councils behind it, as a chart and as
//! tables. Quarters the reader may not see yet are listed with their publication date.

use axum::extract::{Query, State};
use maud::{Markup, html};
use msp_schemas::{AuthorityType, Region};

use super::layout::{self, Page, measure_select, points, refused, table};
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
    let (current, api) =
        if reader.is_some() { ("/dashboard/trend", "/v1/views/trend") } else { ("/open/trend", "/v1/open/trend") };
    let access = state.access(reader).await.map_err(HttpError::from)?;
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
    let view = views::trend_view(&snap, &access, g, m).map_err(|why| match reader {
        Some(role) => refused(&role, current, &why),
        None => layout::page("Not available", None, current, html! { h1 { "Not available" } p { (why) "." } }),
    })?;
    let download = format!("{api}?group={}&measure={}", g.id(), m.id());
    Ok(layout::page(
        "Trends",
        reader.as_ref(),
        current,
        html! {
            h1 { (m.label()) ": " (snap.name(g)) ", by quarter" }
            form.form-row method="get" {
                (group_select(g, reader, &super::councils::named_offered(&snap, reader)))
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

/// The group picker: England, each region and council type, and the reader's own council.
fn group_select(selected: Group, reader: Option<Role>, named: &[(Group, String)]) -> Markup {
    let mut groups: Vec<(Group, String)> = vec![(Group::England, Group::England.name())];
    groups.extend(Region::ALL.map(|r| (Group::Region(r), r.name().to_owned())));
    groups.extend(AuthorityType::ALL.map(|t| (Group::Type(t), Group::Type(t).name())));
    groups.extend(crate::benchmark::SizeBand::ALL.map(|b| (Group::Size(b), b.name().to_owned())));
    groups.extend(named.iter().cloned());
    if let Some(Role::Council(c)) = reader {
        groups.insert(0, (Group::Council(c), Group::Council(c).name()));
    }
    if let Group::Council(_) = selected
        && !groups.iter().any(|(g, _)| *g == selected)
    {
        groups.push((selected, selected.name()));
    }
    html! {
        div {
            label for="group" { "Group" }
            select id="group" name="group" {
                @for (g, name) in &groups { option value=(g.id()) selected[*g == selected] { (name) } }
            }
        }
    }
}
