//! `/dashboard/council…`: picking a council the role may see, and one council beside its region,
//! its council type and England.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect},
};
use maud::{Markup, html};
use msp_estimate::Measure;
use msp_schemas::{Council, CouncilCode, Region};
use serde::Deserialize;

use super::layout::{self, Page, no_data, period_form, refused, table};
use crate::{
    auth::Role,
    benchmark::{Comparator, MIN_NAMED, Slug, Window},
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
            @if role == Role::Council(code) {
                (peers_form(&snap, code))
            }
        },
    ))
}

/// The id of the peer group a council saves for itself.
fn peers_slug(code: CouncilCode) -> Slug {
    format!("peers-{}", code.as_str().to_lowercase()).parse().expect("a council code makes a valid id")
}

/// The form with which a council's reader saves the councils it compares itself with: a named
/// group like any other, shown beside the council on this page and offered in its pickers.
fn peers_form(snap: &crate::benchmark::Snapshot, code: CouncilCode) -> Markup {
    let saved = snap.groups.get(peers_slug(code));
    let name = saved.map_or_else(|| format!("{}'s comparator group", code.council().name), |g| g.name.clone());
    let chosen = |c: CouncilCode| saved.is_some_and(|g| g.members.contains(&c));
    html! {
        h2 id="peers" { "Your comparator group" }
        p { "Choose the councils you compare yourselves with — your nearest neighbours, say — three or more. "
            "The group is shown beside your council on this page, offered in the pickers of the other pages, and "
            "available to msp-node compare as " code { "--group named:" (peers_slug(code)) } ". "
            "Its figures follow the publication rule like any group's." }
        @if let Some(g) = saved { p { "Saved: " (g.members.len()) " councils." } }
        form method="post" action=(format!("/dashboard/council/{code}/peers")) {
            div {
                label for="peers-name" { "Name of the group" }
                input #peers-name type="text" name="name" value=(name) maxlength="100" required;
            }
            details open[saved.is_none()] {
                summary { "Councils in the group" }
                @for region in Region::ALL {
                    fieldset.checkboxes {
                        legend { (region.name()) }
                        @for c in Council::all().iter().filter(|c| c.region == region && c.council_code() != code) {
                            div.checkbox {
                                input type="checkbox" id=(format!("peer-{}", c.code)) name="council" value=(c.code)
                                    checked[chosen(c.council_code())];
                                label for=(format!("peer-{}", c.code)) { (c.name) }
                            }
                        }
                    }
                }
            }
            button.button type="submit" { "Save the group" }
        }
    }
}

/// `POST /dashboard/council/{code}/peers`: a council's reader saves its comparator group (only its
/// own council's; the form's origin is checked by [`super::origin`]).
pub(in crate::http) async fn save_peers(
    State(state): State<AppState>,
    Path(code): Path<String>,
    SignedIn(role): SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Page {
    let code = code.parse::<CouncilCode>().map_err(|_| HttpError::NotFound("no council has that code".into()))?;
    if role != Role::Council(code) {
        return Err(refused(&role, HERE, "Only the council's own readers save its comparator group."));
    }
    let name = fields.iter().find(|(k, _)| k == "name").map_or("", |(_, v)| v.trim()).to_owned();
    let mut members: Vec<CouncilCode> = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == "council") {
        let c = v.parse::<CouncilCode>().map_err(|e| HttpError::BadQuery(e.to_string()))?;
        if c != code && !members.contains(&c) {
            members.push(c);
        }
    }
    members.sort();
    let problem = if name.is_empty() || name.chars().count() > 100 {
        Some("Give the group a name of 1 to 100 characters.".to_owned())
    } else if members.len() < MIN_NAMED {
        Some(format!("Choose at least {MIN_NAMED} councils: you chose {}.", members.len()))
    } else {
        None
    };
    if let Some(why) = problem {
        let mut r = layout::page(
            "Comparator group not saved",
            Some(&role),
            HERE,
            html! {
                h1 { "Your comparator group was not saved" }
                div.error-summary role="alert" { p { (why) } }
                p { a href=(format!("/dashboard/council/{code}#peers")) { "Back to the form" } }
            },
        );
        *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Err(r);
    }
    let group = Comparator { slug: peers_slug(code), name, owner: Some(code), members };
    state.store.define_comparator(&group.stored(), &(state.clock)().to_string()).await.map_err(HttpError::from)?;
    Ok(Redirect::to(&format!("/dashboard/council/{code}#peers")).into_response())
}
