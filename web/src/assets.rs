//! The stylesheet and icon every site of the network serves, the same bytes for everyone and so
//! cacheable: `/static/app.css`, `/static/icon.svg` and `/favicon.ico` (the icon again, for
//! browsers that ask for it by that name). One copy, so the coordinator's dashboard and a node's
//! local view look alike and an officer who reads both finds the same patterns in each.

use axum::{Router, http::header, response::IntoResponse, routing::get};

/// The stylesheet: GOV.UK Design System patterns, written for this project (`static/app.css`).
pub const CSS: &str = include_str!("../static/app.css");
/// The icon (`static/icon.svg`).
pub const ICON: &str = include_str!("../static/icon.svg");

/// The paths [`routes`] serves.
pub const PATHS: [&str; 3] = ["/static/app.css", "/static/icon.svg", "/favicon.ico"];

/// Whether `path` is one of the assets (for a site's "may be cached" predicate).
pub fn is_asset(path: &str) -> bool {
    PATHS.contains(&path)
}

/// `GET /static/app.css`: cached for an hour.
pub async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

/// `GET /static/icon.svg` and `/favicon.ico`: cached for a day.
pub async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON)
}

/// The routes of the assets, to merge into a site's router (whatever its state).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/static/app.css", get(stylesheet))
        .route("/static/icon.svg", get(icon))
        .route("/favicon.ico", get(icon))
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn each_asset_is_served_with_its_type_and_may_be_cached() {
        for (path, kind) in [
            ("/static/app.css", "text/css; charset=utf-8"),
            ("/static/icon.svg", "image/svg+xml"),
            ("/favicon.ico", "image/svg+xml"),
        ] {
            let r = routes::<()>().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            assert_eq!(r.headers()[header::CONTENT_TYPE], kind, "{path}");
            assert!(r.headers()[header::CACHE_CONTROL].to_str().unwrap().starts_with("public"), "{path}");
            assert!(is_asset(path));
        }
        assert!(!is_asset("/static/other.css") && !is_asset("/"));
    }

    #[test]
    fn the_stylesheet_styles_the_shell_and_the_shared_components() {
        for class in [
            ".skip-link",
            ".header__title",
            ".nav__list",
            ".footer",
            ".summary-list",
            ".tag--green",
            ".tag--blue",
            ".tag--grey",
            ".tag--red",
            ".warning-text",
            ".error-summary",
            ".inset-text",
            ".notification-banner",
        ] {
            assert!(CSS.contains(class), "{class}");
        }
    }
}
