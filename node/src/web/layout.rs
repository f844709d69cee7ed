//! What every page of the web view shares: the shell (the council's name, the navigation, who is
//! signed in), number formats, the table of a release's cells, and the pages shown instead of
//! figures.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use maud::{Markup, html};
use msp_schemas::Period;
use msp_web::page::{NavItem, Shell, SignedIn};

use super::auth::Viewer;

/// The site's name, as the header and page titles show it.
pub const SITE: &str = "MSP node";

/// The main navigation.
const NAV: [NavItem<'static>; 6] = [
    NavItem { href: "/", label: "Quarters" },
    NavItem { href: "/imports", label: "Imports and data quality" },
    NavItem { href: "/budget", label: "Privacy budget" },
    NavItem { href: "/submissions", label: "Submissions" },
    NavItem { href: "/compare", label: "Compare" },
    NavItem { href: "/audit", label: "Audit log" },
];

/// The shell around a page for `viewer` (none on the sign-in page), marking `current`.
pub fn shell<'a>(viewer: Option<&'a Viewer>, current: &'a str) -> Shell<'a> {
    let nav: &'a [NavItem<'a>] = if viewer.is_some() { &NAV } else { &[] };
    Shell {
        site: SITE,
        home: "/",
        signed_in: viewer.map(|v| SignedIn { label: v.user.name.as_str(), sign_out: "/sign-out" }),
        nav,
        current,
        footer: html! {
            p { "This is your council's own node. Exact figures on these pages never leave it: only the "
                "differentially private release you approve is sent to the network." }
        },
    }
}

/// A page with `title` and `body` for `viewer`.
pub fn page(viewer: &Viewer, current: &str, title: &str, body: Markup) -> Response {
    shell(Some(viewer), current).page(title, body)
}

/// A page saying why not (a refusal, a missing page, an error), with `status`.
pub fn refusal(status: StatusCode, title: &str, why: &str) -> Response {
    let mut r = shell(None, "").page(
        title,
        html! {
            h1 { (title) }
            p.lead { (why) }
            p { a href="/" { "Go to the node's quarters" } }
        },
    );
    *r.status_mut() = status;
    r.into_response()
}

/// The quarter named in a path, or the page saying it is not one.
pub fn period(text: &str) -> Result<Period, Response> {
    text.parse().map_err(|e| refusal(StatusCode::NOT_FOUND, "Not a quarter", &format!("{e}")))
}

/// A count with thousands separators.
pub fn count(n: impl Into<i128>) -> String {
    crate::readable::thousands(n)
}

/// A proportion as a percentage (one decimal), or a mean (one decimal).
pub fn measure(proportion: bool, v: f64) -> String {
    if proportion { format!("{:.1}%", 100.0 * v) } else { format!("{v:.1}") }
}

/// A hidden form field with the session's form token.
pub fn csrf(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

/// A notice (a grey panel with a blue edge) holding `body`.
pub fn notice(body: Markup) -> Markup {
    html! { div.notice { (body) } }
}

/// The plain warning that a page holds exact figures.
pub fn exact_warning() -> Markup {
    notice(html! {
        p { strong { "Exact local figures. " }
            "These are the council's own counts as the node holds them. They never leave the node and are not the "
            "figures the network publishes: those carry noise, so that no one person's record can be told from them." }
    })
}
