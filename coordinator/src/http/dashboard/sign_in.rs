//! Signing in and out. Signing in exchanges the token for a server-side session (see
//! [`tokens::open_session`]): the cookie (`Secure; HttpOnly; SameSite=Strict`) holds only the
//! session's random id, never the token. Signing out ends the session on the server, so the old
//! cookie is worth nothing even if it was copied. Both forms are accepted only from the
//! coordinator's own pages (see [`super::origin`]).

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::html;
use msp_web::cookie;
use serde::Deserialize;

use super::layout::{Page, page, secure};
use crate::{
    http::{
        caller::{SESSION_COOKIE, session_cookie},
        error::HttpError,
        state::AppState,
    },
    tokens::{self, SESSION_LIFETIME, SessionError},
};

/// `?expired=1`: the session ended or its token was revoked.
#[derive(Debug, Deserialize, Default)]
pub(in crate::http) struct SignInQuery {
    expired: Option<String>,
}

fn sign_in_page(error: Option<&str>, status: StatusCode) -> Response {
    let mut r = page(
        "Sign in",
        None,
        "",
        html! {
            @if let Some(e) = error {
                div.error-summary role="alert" aria-labelledby="error-title" tabindex="-1" {
                    h2 id="error-title" { "There is a problem" }
                    ul { li { a href="#token" { (e) } } }
                }
            }
            h1 { "Sign in" }
            p.lead { "Benchmarks of Making Safeguarding Personal outcomes across England's councils." }
            form method="post" action="/sign-in" {
                div {
                    label for="token" { "Access token" }
                    p.hint id="token-hint" { "The token your network administrator gave you. It starts msp_." }
                    input type="password" id="token" name="token" autocomplete="off" spellcheck="false" aria-describedby="token-hint" required;
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
pub(in crate::http) async fn form(Query(q): Query<SignInQuery>) -> Response {
    sign_in_page(
        q.expired.as_ref().map(|_| "Your session has ended or the token was revoked: sign in again"),
        StatusCode::OK,
    )
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub(in crate::http) struct SignIn {
    token: String,
}

/// `POST /sign-in`: a valid token opens a session (ending the one the browser had, if any);
/// another is refused on the form.
pub(in crate::http) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Page {
    let now = (state.clock)();
    let opened = tokens::open_session(&state.store, form.token.trim(), now).await.map_err(|e| match e {
        SessionError::Store(e) => HttpError::from(e),
        SessionError::Random(why) => HttpError::NoRandomness(why),
    })?;
    let Some((session, _)) = opened else {
        return Ok(sign_in_page(Some("That token is not valid, or has been revoked"), StatusCode::UNAUTHORIZED));
    };
    if let Some(old) = session_cookie(&headers) {
        tokens::close_session(&state.store, &old, now).await.map_err(HttpError::from)?;
    }
    let mut r = Redirect::to("/dashboard").into_response();
    let cookie = cookie::set(SESSION_COOKIE, session.expose(), SESSION_LIFETIME.unsigned_abs())
        .expect("a session id is base64url: a valid cookie value");
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(secure(r))
}

/// `POST /sign-out`: the session is ended on the server and the cookie cleared.
pub(in crate::http) async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Page {
    if let Some(id) = session_cookie(&headers) {
        tokens::close_session(&state.store, &id, (state.clock)()).await.map_err(HttpError::from)?;
    }
    let mut r = Redirect::to("/sign-in").into_response();
    let cleared = cookie::clear(SESSION_COOKIE).expect("the session cookie's name is a valid cookie name");
    r.headers_mut().insert(header::SET_COOKIE, cleared);
    Ok(secure(r))
}
