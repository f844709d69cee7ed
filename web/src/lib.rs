//! msp-web: the web machinery both sides of the network serve their pages and APIs with.
//!
//! The coordinator serves its API and dashboard over HTTPS; a node serves a council officer a
//! local view. Both must hold connections to the same deadlines, make and load certificates the
//! same way, send the same security headers, refuse forged form posts by the same rule and draw
//! the same accessible pages. This crate is that one copy. It knows neither side: it depends on
//! no node or coordinator code (checked in `tests/tests/workspace_shape.rs`), and each site passes
//! in what names it — its title and navigation, its certificate names, what it lets be cached.
//!
//! - [`server`]: the HTTPS server with transport limits ([`server::Server`], [`server::Limits`])
//!   and graceful shutdown;
//! - [`tls`]: a development CA and localhost certificate written once into a directory, and the
//!   operator's PEM certificate and key, optionally with a client CA (mutual TLS);
//! - [`headers`]: HSTS, `nosniff` and `no-store` on every answer not cacheable; pages' CSP;
//! - [`origin`]: the cross-site request forgery check on form posts;
//! - [`page`]: the GOV.UK-style page shell; [`assets`]: its stylesheet and icon;
//! - [`cookie`]: reading a cookie, and setting one `Secure; HttpOnly; SameSite=Strict`.

pub mod assets;
pub mod cookie;
pub mod headers;
pub mod origin;
pub mod page;
pub mod server;
pub mod tls;
