//! Security headers, in two layers.
//!
//! On every answer ([`protect`], a middleware): `Strict-Transport-Security`, since the server
//! speaks only HTTPS and a browser that has seen it once should never try plain HTTP again (for a
//! year); `X-Content-Type-Options: nosniff`, so nothing is sniffed as another type; and
//! `Cache-Control: no-store` unless the site's own predicate ([`Cacheable`]) says the path is
//! public and the same for every reader. The predicate belongs to the site, because only it knows
//! which of its answers hold what only the reader may see; a route it does not name is not cached.
//!
//! On every page ([`secure`]): a content security policy under which nothing loads from
//! elsewhere and no script runs, the referrer sent only to the site itself, and `no-store`.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// One year, as `Strict-Transport-Security` asks for it.
const HSTS: &str = "max-age=31536000";

/// The page policy: styles and images from the site itself, forms posted only to it, no
/// scripts, no framing, no `<base>`.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A site's answer to "may answers at this path be cached?": `true` only for what is public and
/// the same for every reader. The state of [`protect`].
#[derive(Clone, Copy)]
pub struct Cacheable(pub fn(&str) -> bool);

impl std::fmt::Debug for Cacheable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cacheable(fn)")
    }
}

/// Adds HSTS and `nosniff` to every answer, and `no-store` to every answer at a path the
/// predicate does not call cacheable. Install it with
/// `axum::middleware::from_fn_with_state(Cacheable(my_predicate), msp_web::headers::protect)`.
pub async fn protect(State(Cacheable(cacheable)): State<Cacheable>, req: Request, next: Next) -> Response {
    let cache = cacheable(req.uri().path());
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !cache {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Security headers every page carries: nothing may be loaded from elsewhere, and no script runs.
/// The referrer goes only to the site itself (`same-origin`): never to another site, and a
/// browser then sends its forms' real `Origin`, which [`crate::origin::check`] compares (under
/// `no-referrer` it would send `Origin: null`). Pages are never stored (`no-store`).
pub fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, middleware, routing::get};
    use tower::ServiceExt;

    use super::*;

    fn only_static(path: &str) -> bool {
        path.starts_with("/static/")
    }

    async fn answer(path: &str) -> Response {
        let app = Router::new()
            .route("/static/app.css", get(|| async { "css" }))
            .route("/private", get(|| async { "mine" }))
            .layer(middleware::from_fn_with_state(Cacheable(only_static), protect));
        app.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn every_answer_gets_hsts_and_nosniff_and_only_what_the_site_calls_cacheable_escapes_no_store() {
        for path in ["/static/app.css", "/private", "/nowhere"] {
            let r = answer(path).await;
            assert_eq!(r.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS, "{path}");
            assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
            let stored = r.headers().get(header::CACHE_CONTROL).is_some_and(|v| v == "no-store");
            assert_eq!(stored, path != "/static/app.css", "{path}");
        }
    }

    #[test]
    fn a_page_runs_no_script_sends_its_referrer_only_home_and_is_never_stored() {
        let r = secure(Response::new(axum::body::Body::empty()));
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'") && !csp.contains("script-src"), "{csp}");
        assert_eq!(r.headers()[header::REFERRER_POLICY], "same-origin");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
