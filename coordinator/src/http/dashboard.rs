//! The dashboard: server-rendered HTML that works without JavaScript and loads nothing from
//! outside the server. Every chart is followed by its data table, and every table can be
//! downloaded as CSV or XLSX from the API.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::{DOCTYPE, Markup, html};
use msp_estimate::Measure;
use msp_schemas::{Council, CouncilCode, FinancialYear, ProblemType};
use serde::Deserialize;

use super::{
    ApiError, AppState,
    api::{self, SESSION_COOKIE, ViewQuery, measure, role_of, window},
};
use crate::{
    auth::Role,
    benchmarks::Snapshot,
    charts::{self, Point},
    estimate::{Group, Window},
    views::{self, DataTable, Value, View},
};

/// The stylesheet.
const CSS: &str = include_str!("../../static/app.css");
const ICON: &str = include_str!("../../static/icon.svg");

/// Security headers every page carries: nothing may be loaded from elsewhere, and no script runs.
fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn page(title: &str, role: Option<&Role>, current: &str, body: Markup) -> Response {
    let nav: Vec<(&str, &str)> = match role {
        Some(Role::Admin) => {
            vec![("/dashboard/status", "Submission status"), ("/dashboard/methodology", "How to read this")]
        }
        Some(r) => {
            let mut v = vec![
                ("/dashboard", "England"),
                ("/dashboard/groups", "Regions and council types"),
                ("/dashboard/models", "Models of practice"),
                ("/dashboard/breakdowns", "Breakdowns"),
            ];
            if !matches!(r, Role::Admin) {
                v.push(("/dashboard/council", "Council"));
            }
            v.extend([("/dashboard/status", "Submission status"), ("/dashboard/methodology", "How to read this")]);
            v
        }
        None => vec![("/dashboard/methodology", "How to read this")],
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – MSP Outcomes Network" }
                link rel="stylesheet" href="/static/app.css";
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
            }
            body {
                a.skip-link href="#main" { "Skip to main content" }
                header.header {
                    div.header__inner {
                        a.header__title href="/dashboard" { "MSP Outcomes Network" }
                        @if let Some(r) = role {
                            div.header__role {
                                "Signed in as " strong { (r) } " "
                                form.inline method="post" action="/sign-out" {
                                    button.button.button--secondary type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                nav.nav aria-label="Main" {
                    div.nav__inner {
                        ul.nav__list {
                            @for (href, label) in &nav {
                                li { a href=(href) aria-current=[(*href == current).then_some("page")] { (label) } }
                            }
                        }
                    }
                }
                main.main id="main" tabindex="-1" { (body) }
                footer.footer {
                    div.footer__inner {
                        p { "Figures come from councils' differentially private releases. Every interval is 95% and allows for the noise. "
                            a href="/dashboard/methodology" { "How to read them" } "." }
                    }
                }
            }
        }
    };
    secure((StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response())
}

fn fmt(v: &Value) -> String {
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
        Value::Missing(m) => m.missing.to_owned(),
    }
}

fn is_num(v: &Value) -> bool {
    v.number().is_some()
}

/// A data table, with its notes and download links.
fn table(t: &DataTable, download: &str, index: usize) -> Markup {
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
                                @else if matches!(v, Value::Text(s) if s == "higher") { td { strong.tag."tag--higher" { "higher" } } }
                                @else if matches!(v, Value::Text(s) if s == "lower") { td { strong.tag."tag--lower" { "lower" } } }
                                @else if matches!(v, Value::Text(s) if s == "can't tell") { td { strong.tag."tag--unclear" { "can't tell" } } }
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
            "Download this table: "
            a href=(format!("{download}{sep}format=csv&table={index}")) { "CSV" } ", "
            a href=(format!("{download}{sep}format=xlsx")) { "XLSX (every table on this page)" } ", "
            a href=(format!("{download}{sep}format=json")) { "JSON" }
        }
    }
}

/// The points of a table with Estimate / Lower 95% / Upper 95% columns, labelled by its first column.
fn points(t: &DataTable) -> Vec<(String, Option<Point>)> {
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

fn period_form(snap: &Snapshot, selected: Window, extra: Markup) -> Markup {
    let mut years: Vec<FinancialYear> = snap.quarters.iter().map(|q| q.year()).collect();
    years.dedup();
    html! {
        form.form-row method="get" {
            div {
                label for="period" { "Period" }
                select id="period" name="period" {
                    @for q in snap.quarters.iter().rev() {
                        option value=(q) selected[Window::Quarter(*q) == selected] { (q) }
                    }
                    @for y in years.iter().rev() {
                        option value=(y) selected[Window::Year(*y) == selected] { "Financial year " (y) }
                    }
                }
            }
            (extra)
            button.button type="submit" { "Show" }
        }
    }
}

fn measure_select(selected: Measure) -> Markup {
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

fn no_data(role: &Role, current: &str) -> Response {
    page(
        "No releases yet",
        Some(role),
        current,
        html! {
            h1 { "No releases yet" }
            p { "No council has submitted a release yet. Benchmarks appear here as soon as the first arrives." }
        },
    )
}

fn refused(role: &Role, current: &str, why: &str) -> Response {
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

/// The caller from the session cookie, or a redirect to sign in.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Role, Response> {
    let Some(token) = api::session_cookie(headers) else { return Err(Redirect::to("/sign-in").into_response()) };
    match role_of(state, &token).await {
        Ok(Some(role)) => Ok(role),
        Ok(None) => Err(Redirect::to("/sign-in?expired=1").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

pub(super) async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

pub(super) async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON)
}

pub(super) async fn home() -> Redirect {
    Redirect::to("/dashboard")
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct SignInQuery {
    expired: Option<String>,
}

fn sign_in_page(error: Option<&str>, status: StatusCode) -> Response {
    let mut r = page(
        "Sign in",
        None,
        "",
        html! {
            @if let Some(e) = error {
                div.error-summary role="alert" aria-labelledby="error-title" tabindex="-1" {
                    h2 id="error-title" { "There is a problem" }
                    ul { li { a href="#token" { (e) } } }
                }
            }
            h1 { "Sign in" }
            p.lead { "Benchmarks of Making Safeguarding Personal outcomes across England's councils." }
            form method="post" action="/sign-in" {
                div {
                    label for="token" { "Access token" }
                    p.hint id="token-hint" { "The token your network administrator gave you. It starts msp_." }
                    input type="password" id="token" name="token" autocomplete="off" spellcheck="false" aria-describedby="token-hint" required;
                }
                p {}
                button.button type="submit" { "Sign in" }
            }
        },
    );
    *r.status_mut() = status;
    r
}

pub(super) async fn sign_in_form(Query(q): Query<SignInQuery>) -> Response {
    sign_in_page(
        q.expired.as_ref().map(|_| "Your session has ended or the token was revoked: sign in again"),
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct SignIn {
    token: String,
}

pub(super) async fn sign_in(State(state): State<AppState>, Form(form): Form<SignIn>) -> Response {
    let token = form.token.trim();
    match role_of(&state, token).await {
        Ok(Some(_)) => {
            let mut r = Redirect::to("/dashboard").into_response();
            let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            secure(r)
        }
        Ok(None) => sign_in_page(Some("That token is not valid, or has been revoked"), StatusCode::UNAUTHORIZED),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn sign_out() -> Response {
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("msp_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    secure(r)
}

/// What every figures page starts with: the signed-in reader (an admin is sent to submission
/// status, which is all it reads), the current snapshot and the period asked for.
async fn reader(
    state: &AppState,
    headers: &HeaderMap,
    period: Option<&str>,
    here: &str,
) -> Result<(Role, std::sync::Arc<Snapshot>, Window), Response> {
    let role = session(state, headers).await?;
    if matches!(role, Role::Admin) {
        return Err(Redirect::to("/dashboard/status").into_response());
    }
    let snap = snapshot(state).await?;
    match window(&snap, period) {
        Ok(w) => Ok((role, snap, w)),
        Err(_) => Err(no_data(&role, here)),
    }
}

async fn snapshot(state: &AppState) -> Result<std::sync::Arc<Snapshot>, Response> {
    state.releases.current(&state.store).await.map_err(|e| ApiError::from(e).into_response())
}

pub(super) async fn breakdowns(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Response {
    let (role, snap, w) = match reader(&state, &headers, q.period.as_deref(), "/dashboard/breakdowns").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let view = match views::breakdowns(&snap, &role, Group::England, w) {
        Ok(v) => v,
        Err(why) => return refused(&role, "/dashboard/breakdowns", &why),
    };
    let download = format!("/v1/views/breakdowns?period={w}");
    page(
        "Breakdowns",
        Some(&role),
        "/dashboard/breakdowns",
        html! {
            h1 { "What people wanted, the risks, and outcomes by who people are: England, " (w) }
            (period_form(&snap, w, html! {}))
            @for (i, t) in view.tables.iter().enumerate() {
                h2 { (t.caption) }
                (charts::intervals(&format!("breakdown-{i}"), &t.caption, &points(t), true))
                (table(t, &download, i))
            }
        },
    )
}

pub(super) async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Response {
    let (role, snap, w) = match reader(&state, &headers, q.period.as_deref(), "/dashboard").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let view = match views::headline(&snap, &role, Group::England, w) {
        Ok(v) => v,
        Err(why) => return refused(&role, "/dashboard", &why),
    };
    let b = snap.benchmark(Group::England, w);
    let trend_view = views::trend_view(&snap, &role, Group::England, Measure::Fully).ok();
    let download = format!("/v1/views/overview?period={w}");
    page(
        "England",
        Some(&role),
        "/dashboard",
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
                    .collect::<Vec<_>>(), true))
            (table(&view.tables[0], &download, 0))
            @if let Some(t) = &trend_view {
                h2 { "Outcomes fully achieved, by quarter" }
                (charts::trend("trend-fully", "Outcomes fully achieved in England by quarter, with 95% intervals", &points(&t.tables[0]), true))
                (table(&t.tables[0], "/v1/views/trend?group=england&measure=fully", 0))
                (table(&t.tables[1], "/v1/views/trend?group=england&measure=fully", 1))
            }
        },
    )
}

pub(super) async fn groups(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<ViewQuery>) -> Response {
    comparison_page(state, headers, q, "/dashboard/groups").await
}

pub(super) async fn models(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<ViewQuery>) -> Response {
    comparison_page(state, headers, q, "/dashboard/models").await
}

async fn comparison_page(state: AppState, headers: HeaderMap, q: ViewQuery, current: &'static str) -> Response {
    let role = match session(&state, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !role.reads_benchmarks() {
        return refused(&role, current, "This role manages the network and does not read benchmarks.");
    }
    let snap = match snapshot(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(w) = window(&snap, q.period.as_deref()) else { return no_data(&role, current) };
    let Ok(m) = measure(q.measure.as_deref()) else {
        return ApiError::new(ProblemType::MalformedRequest, "unknown measure").into_response();
    };
    let (view, title, api) = if current == "/dashboard/groups" {
        (views::groups(&snap, &role, m, w), "Regions and council types", "groups")
    } else {
        (views::models(&snap, &role, m, w), "Models of practice", "models")
    };
    let download = format!("/v1/views/{api}?period={w}&measure={}", m.id());
    page(
        title,
        Some(&role),
        current,
        html! {
            h1 { (title) ", " (w) }
            (period_form(&snap, w, measure_select(m)))
            @for (i, t) in view.tables.iter().enumerate() {
                h2 { (t.caption) }
                @let pts = points(t);
                @if !pts.is_empty() {
                    (charts::intervals(&format!("chart-{i}"), &t.caption, &pts, m.is_proportion()))
                }
                (table(t, &download, i))
            }
        },
    )
}

pub(super) async fn council_picker(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let role = match session(&state, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Role::Council(c) = role {
        return Redirect::to(&format!("/dashboard/council/{c}")).into_response();
    }
    let councils: Vec<&Council> = Council::all().iter().filter(|c| role.sees_council(c.council_code())).collect();
    page(
        "Council",
        Some(&role),
        "/dashboard/council",
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
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct Go {
    code: String,
}

pub(super) async fn council_go(Query(q): Query<Go>) -> Response {
    match q.code.parse::<CouncilCode>() {
        Ok(c) => Redirect::to(&format!("/dashboard/council/{c}")).into_response(),
        Err(e) => ApiError::new(ProblemType::MalformedRequest, e.to_string()).into_response(),
    }
}

pub(super) async fn council(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Response {
    let role = match session(&state, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Ok(code) = code.parse::<CouncilCode>() else {
        return ApiError::new(ProblemType::NotFound, "no council has that code").into_response();
    };
    let snap = match snapshot(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(w) = window(&snap, q.period.as_deref()) else { return no_data(&role, "/dashboard/council") };
    let view: View = match views::council(&snap, &role, code, w) {
        Ok(v) => v,
        Err(why) => return refused(&role, "/dashboard/council", &why),
    };
    let c = code.council();
    let key = Measure::Fully;
    let beside: Vec<(String, Option<Point>)> =
        [Group::Council(code), Group::Region(c.region), Group::Type(c.authority_type), Group::England]
            .iter()
            .map(|g| {
                let b = snap.benchmark(*g, w);
                let shown = role.may_see(g, &b.councils);
                (
                    b.name.clone(),
                    b.measure(key).filter(|_| shown).map(|e| Point { value: e.value, low: e.low, high: e.high }),
                )
            })
            .collect();
    let download = format!("/v1/views/council/{code}?period={w}");
    page(
        c.name,
        Some(&role),
        "/dashboard/council",
        html! {
            h1 { (c.name) ", " (w) }
            (period_form(&snap, w, html! {}))
            p { (c.name) " is a " (c.authority_type.name()) " in " (c.region.name()) "." }
            h2 { "Outcomes fully achieved, beside its groups" }
            (charts::intervals("council-beside", &format!("{}: outcomes fully achieved beside its region, council type and England", c.name), &beside, true))
            @for (i, t) in view.tables.iter().enumerate() {
                h2 { (t.caption) }
                (table(t, &download, i))
            }
        },
    )
}

pub(super) async fn status(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let role = match session(&state, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let snap = match snapshot(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let view = views::submissions(&snap, &role);
    page(
        "Submission status",
        Some(&role),
        "/dashboard/status",
        html! {
            h1 { "Submission status" }
            p { "Which councils' releases the coordinator holds, by quarter. Computed from the first " (view.tree_size) " entries of the transparency log." }
            (table(&view.tables[1], "/v1/views/status", 1))
            (table(&view.tables[0], "/v1/views/status", 0))
        },
    )
}

pub(super) async fn methodology(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let role = session(&state, &headers).await.ok();
    page(
        "How to read this",
        role.as_ref(),
        "/dashboard/methodology",
        html! {
            h1 { "How to read these figures" }
            p.lead { "Every figure here comes from councils' quarterly releases, which are protected by differential privacy. Here is what that means, and how to read an interval." }
            h2 { "What leaves a council" }
            p { "Each council runs a node beside its case management system. The node keeps the council's case records; nothing about any person ever leaves it. Once a quarter it counts, from its own records, a fixed set of tables — outcomes asked and achieved, risk, mental capacity, demographics, time and meetings — and adds carefully calibrated random noise to every count before it is sent. Only those noisy tables reach this service." }
            h2 { "Differential privacy, in plain English" }
            p { "The noise is large enough that no one can tell from a release whether any particular person's records were in the council's data, yet small enough that totals over a council, a region or England remain useful. The promise is about people: adding or removing everything about one person changes what a release can show only by a small, bounded amount." }
            p { "Before counting, each person is reduced to one row a quarter: their latest concluded enquiry, at most three enquiries counted, at most three values from each list, and numbers capped (days at 365, meetings at 10, hours at 80). So one person can move a count by at most one." }
            h2 { "The privacy budget" }
            p { "How much noise is added is set by a privacy budget, written ρ (rho). Smaller budgets mean more noise and stronger protection. Each release spends a part of the council's budget: by default a quarter's data may be released once and corrected once, and any four consecutive quarters may spend a fixed total. The budget bounds what can be learned about a person per quarter and per year; someone who appears in many years is protected year by year, not over a lifetime. Councils can see their own spending with msp-node budget." }
            h2 { "How to read an interval" }
            p { "Every estimate comes with a 95% interval. Because the noise is known exactly, we know how far it can plausibly have moved each figure: in about 95 of 100 cases the true figure lies inside the interval. We check this by simulation, releasing synthetic councils with known truth thousands of times." }
            p { "When comparing two groups, look at the interval of the difference. " strong.tag."tag--higher" { "higher" } " or " strong.tag."tag--lower" { "lower" } " means the whole interval is on one side of zero. " strong.tag."tag--unclear" { "can't tell" } " means the groups may differ, but the data cannot show it. " strong.tag."tag--wide" { "too wide to compare" } " means the interval is too wide for the figure to support a comparison: small groups and small councils give wide intervals." }
            p { "Intervals are cut off at what is possible — a percentage between 0% and 100%, a mean between zero and its cap. A council compared with its region is compared with the rest of the region, so that the two figures' noise is independent." }
            h2 { "Coverage" }
            p { "Each benchmark says how many councils in the group it includes. A figure covering few councils describes those councils, not the whole group. Groups of fewer than three councils are not shown to anyone who may not see each council's own figures." }
            h2 { "Where the numbers come from" }
            p { "Every release is signed by its council and recorded in a tamper-evident transparency log; each page states how many log entries its figures were computed from. Councils can check that their releases are in the log, unaltered." }
        },
    )
}
