//! `msp-node serve`: the council's own view of its node, in a browser.
//!
//! Server-rendered HTML after the GOV.UK patterns (the page shell, stylesheet, headers, CSRF
//! check and HTTPS server with its transport limits are the coordinator's, shared through
//! `msp-web`): no script, nothing loaded from elsewhere. It listens on 127.0.0.1 by default and
//! refuses an address other machines can reach unless node.toml's `[web] allow_non_loopback`
//! says so, because its pages show the council's exact figures.
//!
//! Everyone signs in with an account's token (`msp-node user add`). Every state change — making
//! a release, approving one, submitting — is a POST that must come from the node's own pages
//! (its `Origin`) and carry the session's form token, and is written to the audit log with the
//! change itself.
//!
//! - [`auth`]: signing in and out, the session every page needs, the form token;
//! - [`layout`]: the shell, tables and the pages shown instead of figures;
//! - [`pages`]: what each page shows;
//! - [`actions`]: the POSTs that change something.

// A page's "error" is the page shown instead (sign in, a refusal): an axum `Response`, as large as
// any answer, built once per request. Boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod actions;
pub mod auth;
pub mod layout;
pub mod pages;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{
    Router,
    extract::Request,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use msp_web::{
    headers::{Cacheable, protect},
    origin,
};

use crate::{
    clock::Clock,
    config::{DataDir, NodeConfig},
    keys::SigningKey,
    store::Store,
};

/// What every page and action reads.
pub struct Node {
    /// The node's database.
    pub store: Store,
    /// Its configuration.
    pub config: NodeConfig,
    /// Its data directory (keys, the coordinator's CA).
    pub data: DataDir,
    /// The time.
    pub clock: Clock,
    /// The council's read token for the coordinator's benchmarks (for the compare page), if given.
    pub read_token: Option<String>,
}

/// The shared state of the web view.
pub type State = Arc<Node>;

/// Why the web view could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address is reachable from other machines and node.toml does not allow it.
    #[error(
        "{0} can be reached from other machines, and the web view shows the council's exact figures: listen on \
         127.0.0.1 (the default), or, if the council has decided to serve it on its network, set \
         allow_non_loopback = true in node.toml's [web] section"
    )]
    NotLoopback(SocketAddr),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] msp_web::tls::TlsError),
    /// Only one of the certificate and its key is configured.
    #[error("node.toml's [web] names tls_cert without tls_key or the other way round: give both, or neither")]
    HalfTls,
    /// The address could not be bound.
    #[error("could not listen on {addr}: {source} (is another msp-node serve running? choose another with --listen)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Whether the web view may listen on `addr` under `allow_non_loopback`.
pub fn check_listen(addr: SocketAddr, allow_non_loopback: bool) -> Result<(), ServeError> {
    if addr.ip().is_loopback() || allow_non_loopback { Ok(()) } else { Err(ServeError::NotLoopback(addr)) }
}

/// The TLS configuration: the certificate node.toml names, or the node's own, made once under
/// `web-tls/` in the data directory (its CA certificate is `web-tls/ca.pem`, for the browser).
pub fn tls(node: &Node) -> Result<(Arc<rustls::ServerConfig>, Option<PathBuf>), ServeError> {
    let web = node.config.web();
    match (&web.tls_cert, &web.tls_key) {
        (Some(cert), Some(key)) => {
            let (cert, key) = (node.data.root().join(cert), node.data.root().join(key));
            Ok((msp_web::tls::server_config(&cert, &key)?, None))
        }
        (None, None) => {
            let names = msp_web::tls::Names { ca: "msp-node local web view CA", server: "msp-node (local web view)" };
            let files = msp_web::tls::dev_tls(&node.data.root().join("web-tls"), names)?;
            Ok((msp_web::tls::server_config(&files.cert, &files.key)?, Some(files.ca_cert)))
        }
        _ => Err(ServeError::HalfTls),
    }
}

/// Only the stylesheet and icon are the same for everyone; every page may hold exact figures.
fn cacheable(path: &str) -> bool {
    msp_web::assets::is_asset(path)
}

/// Refuses a state-changing request that does not come from the node's own pages.
async fn same_origin(req: Request, next: Next) -> Response {
    if !origin::changes_state(req.method()) {
        return next.run(req).await;
    }
    match origin::check(req.headers(), req.uri()) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            layout::refusal(axum::http::StatusCode::FORBIDDEN, "This form was not sent from this node's pages", &why)
        }
    }
}

/// Every route of the web view.
pub fn router(node: State) -> Router {
    Router::new()
        .route("/", get(pages::home::home))
        .route("/sign-in", get(auth::form).post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/imports", get(pages::imports::imports))
        .route("/quarters/{period}", get(pages::quarter::quarter))
        .route("/quarters/{period}/preview", get(pages::quarter::preview))
        .route("/quarters/{period}/release", get(pages::release::release).post(actions::release))
        .route("/quarters/{period}/release.json", get(pages::release::download))
        .route("/quarters/{period}/approve", post(actions::approve))
        .route("/quarters/{period}/submit", post(actions::submit))
        .route("/budget", get(pages::budget::budget))
        .route("/submissions", get(pages::submissions::submissions))
        .route("/compare", get(pages::compare::compare))
        .route("/audit", get(pages::audit::audit))
        .fallback(|| async {
            layout::refusal(
                axum::http::StatusCode::NOT_FOUND,
                "Page not found",
                "There is no page at this address: use the navigation above.",
            )
        })
        .merge(msp_web::assets::routes())
        .layer(middleware::from_fn(same_origin))
        .layer(middleware::from_fn_with_state(Cacheable(cacheable), protect))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(node)
}

/// What a page handler returns: the page, or the page shown instead (sign in, an error).
pub type Page = Result<Response, Response>;

/// Turns anything displayable that went wrong into the error page.
pub(crate) fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "web view");
    layout::refusal(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &format!("{e}. Nothing was changed by this page; the node's log has the details."),
    )
}

/// The login of the node's own signing key, for the submit action.
pub(crate) fn signing_key(node: &Node) -> Result<SigningKey, Response> {
    SigningKey::load(&node.data.keys_dir()).map_err(failed)
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        failed(self)
    }
}
