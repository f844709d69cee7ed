//! What the coordinator lets be cached. Every answer carries HSTS, `nosniff` and, unless
//! [`cacheable`] says otherwise, `Cache-Control: no-store` ([`msp_web::headers::protect`], built
//! with this predicate in [`super::router`]). Cacheable is only what is public and the same for
//! everyone: the stylesheet and
//! icon, the coordinator's key and log (signed, public by design), the policy, the OpenAPI
//! document and problem explanations. Everything else — the API's views, benchmarks and
//! comparisons with councils' figures, their CSV and XLSX downloads, the dashboard's pages, the
//! metrics — may hold what only the reader's role may see, so no browser or proxy keeps a copy.
//! A route added later is not cached until it is named here.

/// Whether answers at `path` are public and the same for every reader, so may be cached.
pub(super) fn cacheable(path: &str) -> bool {
    matches!(path, "/v1/keys" | "/v1/policy" | "/openapi.json" | "/favicon.ico")
        || ["/v1/log/", "/static/", "/problems/"].iter().any(|p| path.starts_with(p))
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
