//! `/dashboard/council…`: picking a council the role may see, and one council beside its region,
//! its council type and England.

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect},
};
use maud::html;
use msp_estimate::Measure;
use msp_schemas::{Council, CouncilCode};
use serde::Deserialize;

use super::layout::{self, Page, no_data, period_form, refused, table};
use crate::{
    auth::Role,
    benchmark::Window,
    http::{
        caller::SignedIn,
        error::HttpError,
        query::{ViewQuery, window},
        state::AppState,
    },
    render::charts::{self, Point},
    views,
};

const HERE: &str = "/dashboard/council";

/// `GET /dashboard/council`: a council's reader goes straight to its own page while no quarter is
/// published; otherwise every reader picks one of the councils it may see (every council, once
/// a quarter is published).
pub(in crate::http) async fn picker(State(state): State<AppState>, SignedIn(role): SignedIn) -> Page {
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let access = state.access(Some(role)).await.map_err(HttpError::from)?;
    let any_published = snap.quarters.iter().any(|q| access.published(Window::Quarter(*q)));
    if let (Role::Council(c), false) = (role, any_published) {
        return Ok(Redirect::to(&format!("/dashboard/council/{c}")).into_response());
    }
    let mut councils: Vec<&Council> =
        Council::all().iter().filter(|c| any_published || role.sees_council(c.council_code())).collect();
    // The role's own council first.
    councils.sort_by_key(|c| !role.sees_council(c.council_code()) as u8);
    Ok(layout::page(
        "Council",
        Some(&role),
        HERE,
        html! {
            h1 { "A council beside its region and England" }
            @if councils.is_empty() {
                p { "This role does not see any council's own figures." }
            } @else {
                form.form-row method="get" action="/dashboard/council/go" {
                    div {
                        label for="code" { "Council" }
                        select id="code" name="code" {
                            @for c in &councils { option value=(c.code) { (c.name) " (" (c.code) ")" } }
                        }
                    }
                    button.button type="submit" { "Show" }
                }
            }
        },
    ))
}

/// The picker's choice.
#[derive(Debug, Deserialize)]
pub(in crate::http) struct Go {
    code: String,
}

/// `GET /dashboard/council/go?code=…`: the picker's form, sent on to the council's page.
pub(in crate::http) async fn go(Query(q): Query<Go>) -> Result<Redirect, HttpError> {
    let c = q.code.parse::<CouncilCode>().map_err(|e| HttpError::BadQuery(e.to_string()))?;
    Ok(Redirect::to(&format!("/dashboard/council/{c}")))
}

/// `GET /dashboard/council/{code}`.
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ViewQuery>,
    SignedIn(role): SignedIn,
) -> Page {
    let code = code.parse::<CouncilCode>().map_err(|_| HttpError::NotFound("no council has that code".into()))?;
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let Ok(mut w) = window(&snap, q.period.as_deref()) else { return Err(no_data(&role, HERE)) };
    let access = state.access(Some(role)).await.map_err(HttpError::from)?;
    if q.period.is_none() && !access.sees_council(code, w) {
        // Not this role's council: its latest published quarter, if there is one.
        if let Some(p) = snap.quarters.iter().rev().find(|p| access.published(Window::Quarter(**p))) {
            w = Window::Quarter(*p);
        }
    }
    let view = views::council(&snap, &access, code, w).map_err(|why| refused(&role, HERE, &why))?;
    let c = code.council();
    let key = Measure::Fully;
    let beside: Vec<(String, Option<Point>)> = views::beside(&snap, code)
        .iter()
        .map(|g| {
            let b = snap.benchmark(*g, w);
            let shown = access.may_see_in(&snap, *g, w);
            (
                b.name.clone(),
                b.measure(key).filter(|_| shown).map(|e| Point { value: e.value, low: e.low, high: e.high }),
            )
        })
        .collect();
    let download = format!("/v1/views/council/{code}?period={w}");
    Ok(layout::page(
        c.name,
        Some(&role),
        HERE,
        html! {
            h1 { (c.name) ", " (w) }
            (period_form(&snap, w, html! {}))
            p { (c.name) " is a " (c.authority_type.name()) " in " (c.region.name()) "." }
            h2 { "Outcomes fully achieved, beside its groups" }
            (charts::intervals("council-beside", &format!("{}: outcomes fully achieved beside its region, council type and England", c.name), &beside, true, None))
            @for (i, t) in view.tables.iter().enumerate() {
                h2 { (t.caption) }
                (table(t, &download, i))
            }
        },
    ))
}
