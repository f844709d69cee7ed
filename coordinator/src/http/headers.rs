//! Headers every answer carries. `Strict-Transport-Security`: the coordinator speaks only HTTPS,
//! so a browser that has seen it once never tries plain HTTP again (for a year). Nothing may be
//! sniffed as another type (`X-Content-Type-Options: nosniff`). And nothing is cached
//! (`Cache-Control: no-store`) unless it is public and the same for everyone: the stylesheet and
//! icon, the coordinator's key and log (signed, public by design), the policy, the OpenAPI
//! document and problem explanations. Everything else — the API's views, benchmarks and
//! comparisons with councils' figures, their CSV and XLSX downloads, the dashboard's pages, the
//! metrics — may hold what only the reader's role may see, so no browser or proxy keeps a copy.
//! A route added later is not cached until it is named here.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// One year, as `Strict-Transport-Security` asks for it.
const HSTS: &str = "max-age=31536000";

/// Whether answers at `path` are public and the same for every reader, so may be cached.
fn cacheable(path: &str) -> bool {
    matches!(path, "/v1/keys" | "/v1/policy" | "/openapi.json" | "/favicon.ico")
        || ["/v1/log/", "/static/", "/problems/"].iter().any(|p| path.starts_with(p))
}

/// Adds the headers to every answer.
pub(super) async fn protect(req: Request, next: Next) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_answers_the_same_for_everyone_may_be_cached() {
        for public in
            ["/v1/keys", "/v1/log/head", "/v1/log/inclusion", "/v1/policy", "/static/app.css", "/problems/forbidden"]
        {
            assert!(cacheable(public), "{public}");
        }
        for private in [
            "/v1/views/overview",
            "/v1/views/council/E06000001",
            "/v1/benchmarks",
            "/v1/compare",
            "/v1/submissions",
            "/dashboard",
            "/dashboard/council/E06000001",
            "/sign-in",
            "/metrics",
            "/v1/keysmith",
            "/",
        ] {
            assert!(!cacheable(private), "{private}");
        }
    }
}
