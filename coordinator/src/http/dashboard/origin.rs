//! Cross-site request forgery: a request that changes something (any method but GET, HEAD and
//! OPTIONS) is refused unless the browser says it comes from one of the coordinator's own pages
//! — its `Origin` (or, when a browser sends none, its `Referer`) must be the coordinator's own
//! origin: `https://` and the host and port the request was sent to. Signing in and out are the
//! dashboard's forms; a page on another site that posts to them is refused with a 403: a page
//! saying why and where to sign in for a browser (which would otherwise offer a problem
//! document as a download), the `forbidden` problem document for any other client.
//!
//! The API's own writes (`POST /v1/submissions` from nodes, which carry no cookie and are
//! authenticated by their signature) are not affected; an API write that carries the session
//! cookie is held to the same rule as a form, since the cookie is what a forged request would
//! ride on.
//!
//! The check itself is msp-web's ([`msp_web::origin::check`]), shared with the node's local view;
//! this file holds the coordinator's rule of which requests it applies to, and its refusals.

use axum::{
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use maud::html;
use msp_web::origin::{changes_state, check, wants_html};

use super::layout::page;
use crate::http::{caller::session_cookie, error::HttpError};

/// Refuses a state-changing request that does not come from the coordinator's own pages.
pub(in crate::http) async fn same_origin(req: Request, next: Next) -> Response {
    let safe = !changes_state(req.method());
    let api = req.uri().path().starts_with("/v1/") && session_cookie(req.headers()).is_none();
    if safe || api {
        return next.run(req).await;
    }
    match check(req.headers(), req.uri()) {
        Ok(()) => next.run(req).await,
        Err(why) if wants_html(req.headers()) => refused_page(&why),
        Err(why) => HttpError::Forbidden(why).into_response(),
    }
}

/// The refusal as a page a person can read.
fn refused_page(why: &str) -> Response {
    let mut r = page(
        "Refused",
        None,
        "",
        html! {
            h1 { "This form was sent from another site" }
            p.lead { (why) }
            p { a href="/sign-in" { "Sign in to the MSP Outcomes Network" } }
        },
    );
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_browser_is_shown_a_page_and_any_other_client_a_problem() {
        let browser = headers(&[(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")]);
        assert!(wants_html(&browser));
        let r = refused_page("this request comes from https://evil.example");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    }
}
