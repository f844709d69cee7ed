//! Cross-site request forgery: whether a request comes from one of the site's own pages.
//!
//! A browser says where a form was sent from in `Origin` (or, when it sends none, in `Referer`).
//! The request passes only if that is the site's own origin: `https://` and the host and port the
//! request was sent to (`Host`, or HTTP/2's `:authority`, which hyper puts in the URI), compared
//! in lower case with `:443` dropped. A request that says neither is refused too: it cannot be
//! told from a forgery. The refusal says why and what to do, in words that name no program, so
//! each site wraps [`check`] in its own middleware with its own refusal page and problem document.
//!
//! Which requests to check is the site's rule; [`changes_state`] is the usual one (any method but
//! GET, HEAD and OPTIONS), and [`wants_html`] tells a browser, to be shown a page, from any other
//! client.

use axum::http::{HeaderMap, Method, Uri, header};

/// Whether a request with this method may change something, so must come from the site's pages.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the client asks for HTML first (a browser navigating), rather than anything.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.starts_with("text/html"))
}

/// Whether the request's `Origin` (else `Referer`) is the origin it was sent to; if not, why, in
/// a sentence that says where to go instead (`https://<host>/sign-in`).
pub fn check(headers: &HeaderMap, uri: &Uri) -> Result<(), String> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .ok_or_else(|| "the request names no host: send it to https://<this site's host>/".to_owned())?;
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
            "this request comes from {sent} ({from}), not from this site's own pages at {own}: a form on another \
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
    fn only_methods_that_may_change_something_are_checked() {
        assert!(changes_state(&Method::POST) && changes_state(&Method::DELETE) && changes_state(&Method::PUT));
        assert!(!changes_state(&Method::GET) && !changes_state(&Method::HEAD) && !changes_state(&Method::OPTIONS));
    }

    #[test]
    fn a_browser_navigating_asks_for_html_first_and_other_clients_do_not() {
        let browser = headers(&[(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")]);
        assert!(wants_html(&browser));
        assert!(!wants_html(&headers(&[(header::ACCEPT, "*/*")])));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn a_request_from_the_sites_own_origin_passes() {
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
            assert!(!why.contains("coordinator") && !why.contains("node"), "names no program: {why}");
        }
        assert!(check(&HeaderMap::new(), &path()).unwrap_err().contains("names no host"));
    }
}
