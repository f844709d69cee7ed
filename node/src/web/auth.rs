//! Signing in and out, and the session every other page needs.
//!
//! Signing in exchanges an account's token for a session: the cookie (`Secure; HttpOnly;
//! SameSite=Strict`) holds only a random session id, the node keeps only its SHA-256, and the
//! session ends after `[web] session_hours`, on signing out, or when the account is removed.
//! Each session has a form token of its own, carried by every form of its pages and checked by
//! every POST ([`Viewer::check_form`]) besides the `Origin` check all POSTs pass first.

use std::time::Duration;

use axum::{
    Form,
    extract::{FromRequestParts, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use maud::html;
use serde::Deserialize;

use super::{Page, State as NodeState, failed, layout};
use crate::{
    accounts::{self, User},
    audit::{Action, Actor, Event},
    clock,
};

/// The session cookie's name.
pub const COOKIE: &str = "msp_node_session";

/// Someone signed in.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Their account.
    pub user: User,
    /// The session's form token.
    pub csrf: String,
    /// The SHA-256 of the session id.
    session: String,
}

impl Viewer {
    /// Who they are, for the audit log.
    pub fn actor(&self) -> Actor {
        Actor::web(&self.user.name)
    }

    /// Whether a form sent `token`, this session's form token; if not, the refusal page.
    pub fn check_form(&self, token: &str) -> Result<(), Response> {
        // Digests are compared, so the time taken says nothing about the token's characters.
        if !token.is_empty() && accounts::digest(token) == accounts::digest(&self.csrf) {
            Ok(())
        } else {
            Err(layout::refusal(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from a page of your current session (it may be from before you last signed \
                 in, or from another site). Nothing was changed: open the page again and use its form.",
            ))
        }
    }
}

impl FromRequestParts<NodeState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, node: &NodeState) -> Result<Self, Self::Rejection> {
        let to_sign_in = || Redirect::to("/sign-in").into_response();
        let id = msp_web::cookie::read(&parts.headers, COOKIE).ok_or_else(to_sign_in)?;
        let session = accounts::digest(&id);
        let now = clock::now(&node.clock).to_string();
        let found = node.store.session(&session, &now).await.map_err(failed)?;
        let s = found.ok_or_else(|| Redirect::to("/sign-in?ended=1").into_response())?;
        Ok(Viewer { user: s.user, csrf: s.csrf, session })
    }
}

/// `?ended=1`: the session ended.
#[derive(Debug, Deserialize, Default)]
pub struct SignInQuery {
    ended: Option<String>,
}

fn sign_in_page(node: &NodeState, error: Option<&str>, status: StatusCode) -> Response {
    let council = node.config.council.council();
    let mut r = layout::shell(None, "").page(
        "Sign in",
        html! {
            @if let Some(e) = error {
                div.error-summary role="alert" aria-labelledby="error-title" tabindex="-1" {
                    h2 id="error-title" { "There is a problem" }
                    ul { li { a href="#token" { (e) } } }
                }
            }
            h1 { "Sign in" }
            p.lead { (council.name) "'s node in the MSP Outcomes Network: your council's own figures, and what it sends." }
            form method="post" action="/sign-in" {
                div {
                    label for="token" { "Sign-in token" }
                    p.hint id="token-hint" { "The token you were given when your account was made (msp-node user add)." }
                    input type="password" id="token" name="token" autocomplete="off" spellcheck="false"
                        aria-describedby="token-hint" required;
                }
                p {}
                button.button type="submit" { "Sign in" }
            }
        },
    );
    *r.status_mut() = status;
    r
}

/// `GET /sign-in`.
pub async fn form(State(node): State<NodeState>, q: axum::extract::Query<SignInQuery>) -> Response {
    let ended = q.ended.as_ref().map(|_| "Your session has ended: sign in again");
    sign_in_page(&node, ended, StatusCode::OK)
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    token: String,
}

/// `POST /sign-in`: the token of an account opens a session; any other is refused (and the
/// refusal recorded in the audit log).
pub async fn sign_in(State(node): State<NodeState>, headers: HeaderMap, Form(form): Form<SignIn>) -> Page {
    let now = node.clock.as_ref()();
    let at = clock::now(&node.clock).to_string();
    let Some(user) = node.store.user_by_token(&accounts::digest(&form.token)).await.map_err(failed)? else {
        let nobody = Actor::web("(no account)");
        let event =
            Event { actor: &nobody, action: Action::SignInRefused, release: None, detail: "a wrong token".into() };
        node.store.record(&at, &event).await.map_err(failed)?;
        return Ok(sign_in_page(&node, Some("That token is not the token of any account"), StatusCode::UNAUTHORIZED));
    };
    if let Some(old) = msp_web::cookie::read(&headers, COOKIE) {
        let _ = node.store.end_session(&accounts::digest(&old), &user, &at).await;
    }
    let hours = node.config.web().session_hours.clamp(1, 24);
    let expires = msp_schemas::release::Timestamp::from(now + time::Duration::hours(i64::from(hours)));
    let (id, csrf) = (accounts::secret(), accounts::secret());
    node.store.start_session(&accounts::digest(&id), &user, &csrf, &at, &expires.to_string()).await.map_err(failed)?;
    let cookie = msp_web::cookie::set(COOKIE, &id, Duration::from_secs(u64::from(hours) * 3600)).map_err(failed)?;
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(msp_web::headers::secure(r))
}

/// `POST /sign-out`: ends the session on the node and clears the cookie. The shared page shell's
/// sign-out button carries no form token; the `Origin` check and the `SameSite=Strict` cookie
/// keep other sites from posting it, and being signed out by a forgery would harm nothing.
pub async fn sign_out(State(node): State<NodeState>, viewer: Viewer) -> Page {
    let at = clock::now(&node.clock).to_string();
    node.store.end_session(&viewer.session, &viewer.user, &at).await.map_err(failed)?;
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut().insert(header::SET_COOKIE, msp_web::cookie::clear(COOKIE).map_err(failed)?);
    Ok(msp_web::headers::secure(r))
}
