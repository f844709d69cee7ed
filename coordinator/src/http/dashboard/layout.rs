//! What every page shares: the layout and security headers, data tables with their download
//! links, chart points, the period and measure pickers, and the pages shown instead of figures
//! (no releases yet, not available to this role).

use std::sync::Arc;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use msp_estimate::Measure;
use msp_schemas::{AuthorityType, CouncilCode, FinancialYear, Region};
use msp_web::page::{NavItem, Shell, SignedIn};

use crate::{
    auth::{Access, Role},
    benchmark::{Group, SizeBand, Snapshot, Window},
    http::{
        error::HttpError,
        query::{ViewQuery, measure, order, window},
        state::AppState,
    },
    render::charts::{self, Point},
    views::{self, DataTable, Order, Value},
};

/// A page, or what is shown instead of it: a redirect (to sign in, or an administrator to
/// submission status), a page saying why not, or a problem document.
pub(super) type Page = Result<Response, Response>;

/// What every figures page starts with once the reader is signed in: an administrator is sent to
/// submission status (all it reads); then the current snapshot and the period asked for, or the
/// page that says no releases have arrived yet.
pub(super) async fn figures(
    state: &AppState,
    role: &Role,
    period: Option<&str>,
    here: &str,
) -> Result<(Arc<Snapshot>, Window), Response> {
    if matches!(role, Role::Admin) {
        return Err(Redirect::to("/dashboard/status").into_response());
    }
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    match window(&snap, period) {
        Ok(w) => Ok((snap, w)),
        Err(_) => Err(no_data(role, here)),
    }
}

/// Security headers every page carries (msp-web's: no script, nothing from elsewhere, referrer
/// `same-origin` so forms send their real `Origin`, `no-store`).
pub(super) use msp_web::headers::secure;

/// The footer of every page.
fn footer() -> Markup {
    html! {
        p { "Figures come from councils' differentially private releases. Every interval is 95% and allows for the noise. "
            a href="/dashboard/methodology" { "How to read them" } "." }
    }
}

/// The navigation a role reads: an administrator only submission status and methodology, a
/// reader of benchmarks every figures page, anyone signed out only methodology.
fn nav(role: Option<&Role>) -> Vec<NavItem<'static>> {
    let item = |href, label| NavItem { href, label };
    let (status, methodology) =
        (item("/dashboard/status", "Submission status"), item("/dashboard/methodology", "How to read this"));
    match role {
        Some(Role::Admin) => vec![status, methodology],
        Some(_) => vec![
            item("/dashboard", "England"),
            item("/dashboard/groups", "Regions, council types and sizes"),
            item("/dashboard/councils", "Every council"),
            item("/dashboard/trend", "Trends"),
            item("/dashboard/models", "Models of practice"),
            item("/dashboard/breakdowns", "Breakdowns"),
            item("/dashboard/council", "Council"),
            status,
            methodology,
        ],
        None => vec![
            item("/open", "Open data"),
            item("/open/groups", "Regions, council types and sizes"),
            item("/open/councils", "Every council"),
            item("/open/trend", "Trends"),
            methodology,
        ],
    }
}

/// A page of the dashboard: msp-web's page shell (header, navigation for the role, footer)
/// around `body`.
pub(super) fn page(title: &str, role: Option<&Role>, current: &str, body: Markup) -> Response {
    let label = role.map(Role::to_string);
    let nav = nav(role);
    Shell {
        site: "MSP Outcomes Network",
        home: "/dashboard",
        signed_in: label.as_deref().map(|label| SignedIn { label, sign_out: "/sign-out" }),
        nav: &nav,
        current,
        footer: footer(),
    }
    .page(title, body)
}

/// A value as shown on a page.
pub(super) fn fmt(v: &Value) -> String {
    // "-0.0" reads as a signed difference that is not there.
    let tidy = |s: String| {
        if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.' || c == '%') {
            s.trim_start_matches('-').to_owned()
        } else {
            s
        }
    };
    match v {
        Value::Text(s) => s.clone(),
        Value::Count(n) => format!("{n:.0}"),
        Value::Percent(p) => tidy(format!("{:.1}%", p * 100.0)),
        Value::Decimal(d) => tidy(format!("{d:.1}")),
        Value::Missing(m) => m.missing.to_string(),
    }
}

/// The tag a verdict is shown as: coloured by what it means (better, worse, or neither), never by
/// its sign alone.
fn verdict_class(v: &Value) -> Option<&'static str> {
    let Value::Text(s) = v else { return None };
    Some(match s.as_str() {
        "higher — better" | "lower — better" => "tag--better",
        "higher — worse" | "lower — worse" => "tag--worse",
        "higher" | "lower" => "tag--neutral",
        "can't tell" => "tag--unclear",
        _ => return None,
    })
}

/// England's `m` over `w` as a chart's reference line, if the reader may see it.
pub(super) fn england_line(snap: &Snapshot, access: &Access, m: Measure, w: Window) -> Option<charts::Reference> {
    if !access.may_see_in(snap, Group::England, w) {
        return None;
    }
    snap.benchmark(Group::England, w).measure(m).map(|e| charts::Reference { label: "England".into(), value: e.value })
}

/// Whether a value is a number (right-aligned).
fn is_num(v: &Value) -> bool {
    v.number().is_some()
}

/// A data table, with its notes and download links.
pub(super) fn table(t: &DataTable, download: &str, index: usize) -> Markup {
    let sep = if download.contains('?') { '&' } else { '?' };
    html! {
        div.table-wrap {
            table {
                caption { (t.caption) }
                thead { tr { @for c in &t.columns { th scope="col" { (c.heading) } } } }
                tbody {
                    @for row in &t.rows {
                        tr {
                            @for (i, v) in row.iter().enumerate() {
                                @if i == 0 { th scope="row" { (fmt(v)) } }
                                @else if is_num(v) { td.num { (fmt(v)) } }
                                @else if let Some(class) = verdict_class(v) { td { strong.tag.(class) { (fmt(v)) } } }
                                @else if matches!(v, Value::Text(s) if s == "too wide to compare") { td { strong.tag."tag--wide" { "too wide to compare" } } }
                                @else { td { (fmt(v)) } }
                            }
                        }
                    }
                }
            }
        }
        @for n in &t.notes { p.notes { (n) } }
        p.downloads {
            "Download: "
            a href=(format!("{download}{sep}format=csv&table={index}")) { "this table (CSV)" } ", "
            a href=(format!("{download}{sep}format=csv")) { "every figure on this page, one row each (CSV)" } ", "
            a href=(format!("{download}{sep}format=xlsx")) { "XLSX (every figure and every table)" } ", "
            a href=(format!("{download}{sep}format=json")) { "JSON" }
        }
    }
}

/// The points of a table with Estimate / Lower 95% / Upper 95% columns, labelled by its first column.
pub(super) fn points(t: &DataTable) -> Vec<(String, Option<Point>)> {
    let at = |h: &str| t.columns.iter().position(|c| c.heading == h);
    let (Some(e), Some(l), Some(u)) = (at("Estimate"), at("Lower 95%"), at("Upper 95%")) else { return Vec::new() };
    t.rows
        .iter()
        .map(|r| {
            let p = match (r[e].number(), r[l].number(), r[u].number()) {
                (Some(value), Some(low), Some(high)) => Some(Point { value, low, high }),
                _ => None,
            };
            (fmt(&r[0]), p)
        })
        .collect()
}

/// The period picker (every quarter and financial year with releases), with `extra` fields.
pub(super) fn period_form(snap: &Snapshot, selected: Window, extra: Markup) -> Markup {
    period_form_of(snap, selected, extra, |_| true)
}

/// The period picker of the windows `offered` lets through (the public's: published ones).
pub(super) fn period_form_of(
    snap: &Snapshot,
    selected: Window,
    extra: Markup,
    offered: impl Fn(Window) -> bool,
) -> Markup {
    let mut years: Vec<FinancialYear> = snap.quarters.iter().map(|q| q.year()).collect();
    years.dedup();
    let quarters: Vec<Window> =
        snap.quarters.iter().rev().map(|q| Window::Quarter(*q)).filter(|w| offered(*w)).collect();
    let years: Vec<Window> = years.iter().rev().map(|y| Window::Year(*y)).filter(|w| offered(*w)).collect();
    html! {
        form.form-row method="get" {
            div {
                label for="period" { "Period" }
                select id="period" name="period" {
                    @for w in &quarters {
                        option value=(w) selected[*w == selected] { (w) }
                    }
                    @for w in &years {
                        option value=(w) selected[*w == selected] { "Financial year " (w) }
                    }
                }
            }
            (extra)
            button.button type="submit" { "Show" }
        }
    }
}

/// The measure picker.
pub(super) fn measure_select(selected: Measure) -> Markup {
    html! {
        div {
            label for="measure" { "Measure" }
            select id="measure" name="measure" {
                @for m in Measure::ALL {
                    option value=(m.id()) selected[*m == selected] { (m.label()) }
                }
            }
        }
    }
}

/// The page shown before any release has arrived.
pub(super) fn no_data(role: &Role, current: &str) -> Response {
    no_data_for(Some(role), current)
}

/// The page shown before any release has arrived, to a role or the public.
pub(super) fn no_data_for(role: Option<&Role>, current: &str) -> Response {
    page(
        "No releases yet",
        role,
        current,
        html! {
            h1 { "No releases yet" }
            p { "No council has submitted a release yet. Benchmarks appear here as soon as the first arrives." }
        },
    )
}

/// The page shown when the role may not see a page's figures (403).
pub(super) fn refused(role: &Role, current: &str, why: &str) -> Response {
    let mut r = page(
        "Not available",
        Some(role),
        current,
        html! {
            h1 { "Not available to your role" }
            p { (why) }
            p { "Each council's own figures are shown to the council itself, its region's group and national analysts." }
        },
    );
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// A page served both signed in (`/dashboard/NAME`, its figures at `/v1/views/NAME`) and to the
/// public (`/open/NAME`, `/v1/open/NAME`), as `reader` asks for it.
pub(super) struct Reading {
    /// The page's own path.
    pub current: String,
    /// Where its figures are in the API.
    pub api: String,
    /// What the reader may see.
    pub access: Access,
}

/// The paths and access of page `name` for `reader` (a role, or the public for `None`), refusing a
/// role that reads no benchmarks.
pub(super) async fn reading(state: &AppState, reader: Option<Role>, name: &str) -> Result<Reading, Response> {
    let (current, api) = match reader {
        Some(_) => (format!("/dashboard/{name}"), format!("/v1/views/{name}")),
        None => (format!("/open/{name}"), format!("/v1/open/{name}")),
    };
    let access = state.access(reader).await.map_err(HttpError::from)?;
    if let (Some(role), false) = (reader, access.reads()) {
        return Err(refused(&role, &current, "This role manages the network and does not read benchmarks."));
    }
    Ok(Reading { current, api, access })
}

/// The page shown when a view is not for this reader: 403 for a role, and for the public a page
/// saying the figures are not published yet.
pub(super) fn not_shown(reader: Option<Role>, current: &str, why: &str) -> Response {
    match reader {
        Some(role) => refused(&role, current, why),
        None => page("Not published yet", None, current, html! { h1 { "Not published yet" } p { (why) "." } }),
    }
}

/// Which one-measure page: regions and council types, or models of practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MeasurePage {
    /// `/dashboard/groups`.
    Groups,
    /// `/dashboard/models`.
    Models,
}

/// The window a page shows: the one asked for, or by default the latest quarter with releases
/// (for the public, the latest published one). `Err` carries the page to show instead (as every
/// page handler's `Err` does: see [`Page`]).
#[allow(clippy::result_large_err)]
pub(super) fn chosen_window(
    snap: &Snapshot,
    access: &Access,
    period: Option<&str>,
    current: &str,
) -> Result<Window, Response> {
    if access.role.is_none() && period.is_none() {
        return snap.quarters.iter().rev().map(|q| Window::Quarter(*q)).find(|w| access.published(*w)).ok_or_else(|| {
            let next = snap.quarters.first().map(|q| access.withheld(Window::Quarter(*q)));
            page(
                "Nothing published yet",
                None,
                current,
                html! {
                    h1 { "Nothing published yet" }
                    p { "Figures are published quarter by quarter, two full months after each quarter ends (or on the date "
                        "the network's operator sets)." }
                    @if let Some(n) = next { p { "The first quarter with releases is " (n) "." } }
                },
            )
        });
    }
    window(snap, period).map_err(|_| no_data_for(access.role.as_ref(), current))
}

/// A page of one measure's tables across groups, each with its chart: what the groups and
/// models pages share, signed in (`reader` is the role) or on the open-data pages (`None`).
pub(super) async fn measure_page(state: &AppState, reader: Option<Role>, q: &ViewQuery, which: MeasurePage) -> Page {
    let name = match which {
        MeasurePage::Groups => "groups",
        MeasurePage::Models => "models",
    };
    let Reading { current, api, access } = reading(state, reader, name).await?;
    let current = current.as_str();
    let snap = state.snapshot().await.map_err(HttpError::from)?;
    let w = chosen_window(&snap, &access, q.period.as_deref(), current)?;
    let m = measure(q.measure.as_deref()).map_err(|_| HttpError::BadQuery("unknown measure".into()))?;
    let (view, title) = match which {
        MeasurePage::Groups => {
            (views::groups(&snap, &access, m, w, order(q.sort.as_deref())?), "Regions, council types and sizes")
        }
        MeasurePage::Models => (views::models(&snap, &access, m, w), "Models of practice"),
    };
    let o = order(q.sort.as_deref())?;
    let download = format!("{api}?period={w}&measure={}&sort={}", m.id(), sort_id(o));
    let england = england_line(&snap, &access, m, w);
    let offered = |w: Window| reader.is_some() || access.published(w);
    let pickers = match which {
        MeasurePage::Groups => html! { (measure_select(m)) (sort_select(o)) },
        MeasurePage::Models => measure_select(m),
    };
    Ok(page(
        title,
        reader.as_ref(),
        current,
        html! {
            h1 { (title) ", " (w) }
            (period_form_of(&snap, w, pickers, offered))
            @for (i, t) in view.tables.iter().enumerate() {
                h2 { (t.caption) }
                @let pts = points(t);
                @if !pts.is_empty() {
                    (charts::intervals(&format!("chart-{i}"), &t.caption, &pts, m.is_proportion(), england.as_ref()))
                }
                (table(t, &download, i))
            }
        },
    ))
}

/// The order of a sorted view, as its query names it.
pub(super) fn sort_id(o: Order) -> &'static str {
    match o {
        Order::Name => "name",
        Order::Estimate => "estimate",
    }
}

/// The order picker.
pub(super) fn sort_select(selected: Order) -> Markup {
    html! {
        div {
            label for="sort" { "Order" }
            select id="sort" name="sort" {
                option value="name" selected[selected == Order::Name] { "By name" }
                option value="estimate" selected[selected == Order::Estimate] { "By estimate, highest first" }
            }
        }
    }
}

/// The group picker, labelled `label`: England, each region, council type and size band, the named
/// groups the reader is offered, and first `own` council if given (and the selected group, if it
/// is another council).
pub(super) fn group_select(
    label: &str,
    selected: Group,
    snap: &Snapshot,
    reader: Option<Role>,
    own: Option<CouncilCode>,
) -> Markup {
    let mut groups: Vec<(Group, String)> =
        own.map(|c| (Group::Council(c), Group::Council(c).name())).into_iter().collect();
    groups.push((Group::England, Group::England.name()));
    groups.extend(Region::ALL.map(|r| (Group::Region(r), r.name().to_owned())));
    groups.extend(AuthorityType::ALL.map(|t| (Group::Type(t), Group::Type(t).name())));
    groups.extend(SizeBand::ALL.map(|b| (Group::Size(b), b.name().to_owned())));
    groups.extend(named_offered(snap, reader));
    if !groups.iter().any(|(g, _)| *g == selected) {
        groups.push((selected, snap.name(selected)));
    }
    html! {
        div {
            label for="group" { (label) }
            select id="group" name="group" {
                @for (g, name) in &groups { option value=(g.id()) selected[*g == selected] { (name) } }
            }
        }
    }
}

/// The named groups a reader is offered in pickers, with their names: the network's, and the
/// peer lists saved for the reader's council (national analysts: every one).
fn named_offered(snap: &Snapshot, reader: Option<Role>) -> Vec<(Group, String)> {
    let (council, everything) = match reader {
        Some(Role::Council(c)) => (Some(c), false),
        Some(Role::National) => (None, true),
        _ => (None, false),
    };
    snap.groups.offered(council, everything).into_iter().map(|g| (Group::Named(g.slug), g.name.clone())).collect()
}
