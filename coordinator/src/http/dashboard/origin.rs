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

use axum::{
    extract::Request,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use maud::html;

use super::layout::page;
use crate::http::{caller::session_cookie, error::HttpError};

/// Refuses a state-changing request that does not come from the coordinator's own pages.
pub(in crate::http) async fn same_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
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

/// Whether the client asks for HTML first (a browser navigating), rather than anything.
fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.starts_with("text/html"))
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

/// Whether the request's `Origin` (else `Referer`) is the origin it was sent to; if not, why.
fn check(headers: &HeaderMap, uri: &Uri) -> Result<(), String> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .ok_or_else(|| "the request names no host: send it to https://<the coordinator's host>/".to_owned())?;
    let own = normalise(&format!("https://{host}"));
    let header_text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("(unreadable)"));
    let (sent, from) = match (header_text(header::ORIGIN), header_text(header::REFERER)) {
        (Some(origin), _) => (normalise(origin), "Origin"),
        (None, Some(referer)) => (normalise(&origin_of(referer)), "Referer"),
        (None, None) => {
            return Err(format!(
                "this request says neither where it comes from (Origin) nor which page sent it (Referer), so it \
                 cannot be told from a forgery: use the form on {own}/sign-in, in a browser that sends Origin"
            ));
        }
    };
    if sent == own {
        Ok(())
    } else {
        Err(format!(
            "this request comes from {sent} ({from}), not from the coordinator's own pages at {own}: a form on another \
             site may not sign you in or out; open {own}/sign-in and use its form"
        ))
    }
}

/// The origin (scheme, host and port) a `Referer` URL starts with.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            format!("{scheme}://{authority}")
        }
        None => url.to_owned(),
    }
}

/// An origin as compared: lower case, without the default port of `https`.
fn normalise(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    origin.strip_suffix(":443").filter(|o| o.starts_with("https://")).map_or(origin.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn path() -> Uri {
        Uri::from_static("/sign-in")
    }

    #[test]
    fn a_browser_is_shown_a_page_and_any_other_client_a_problem() {
        let browser = headers(&[(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")]);
        assert!(wants_html(&browser));
        assert!(!wants_html(&headers(&[(header::ACCEPT, "*/*")])));
        assert!(!wants_html(&HeaderMap::new()));
        let r = refused_page("this request comes from https://evil.example");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    }

    #[test]
    fn a_request_from_the_coordinators_own_origin_passes() {
        let own = headers(&[(header::HOST, "localhost:8443"), (header::ORIGIN, "https://localhost:8443")]);
        assert_eq!(check(&own, &path()), Ok(()));
        let default_port = headers(&[(header::HOST, "msp.example"), (header::ORIGIN, "https://MSP.example:443")]);
        assert_eq!(check(&default_port, &path()), Ok(()));
        let referer =
            headers(&[(header::HOST, "localhost:8443"), (header::REFERER, "https://localhost:8443/sign-in?expired=1")]);
        assert_eq!(check(&referer, &path()), Ok(()));
        // HTTP/2 sends the host as :authority, which hyper puts in the URI.
        let h2 = headers(&[(header::ORIGIN, "https://localhost:8443")]);
        assert_eq!(check(&h2, &Uri::from_static("https://localhost:8443/sign-in")), Ok(()));
    }

    #[test]
    fn a_request_from_another_site_or_from_nowhere_is_refused_saying_why() {
        for (pairs, says) in [
            (vec![(header::HOST, "localhost:8443"), (header::ORIGIN, "https://evil.example")], "https://evil.example"),
            (vec![(header::HOST, "localhost:8443"), (header::ORIGIN, "null")], "null"),
            (vec![(header::HOST, "localhost:8443"), (header::ORIGIN, "http://localhost:8443")], "http://localhost"),
            (vec![(header::HOST, "localhost:8443"), (header::ORIGIN, "https://localhost:9443")], "9443"),
            (vec![(header::HOST, "localhost:8443"), (header::REFERER, "https://evil.example/x")], "Referer"),
            (vec![(header::HOST, "localhost:8443")], "neither"),
        ] {
            let why = check(&headers(&pairs), &path()).unwrap_err();
            assert!(why.contains(says), "{pairs:?}: {why}");
            assert!(why.contains("https://localhost:8443/sign-in"), "says what to do: {why}");
        }
        assert!(check(&HeaderMap::new(), &path()).unwrap_err().contains("names no host"));
    }
}
