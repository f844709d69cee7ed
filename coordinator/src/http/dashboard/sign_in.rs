//! Signing in and out: the token goes into an HTTP-only, same-site session cookie; the page never
//! shows it again.

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::html;
use serde::Deserialize;

use super::layout::{Page, page, secure};
use crate::{
    http::{caller::SESSION_COOKIE, error::HttpError, state::AppState},
    tokens,
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

/// `POST /sign-in`: a valid token becomes the session; another is refused on the form.
pub(in crate::http) async fn sign_in(State(state): State<AppState>, Form(form): Form<SignIn>) -> Page {
    let token = form.token.trim();
    match tokens::role_of(&state.store, token).await.map_err(HttpError::from)? {
        Some(_) => {
            let mut r = Redirect::to("/dashboard").into_response();
            let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=28800");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(secure(r))
        }
        None => Ok(sign_in_page(Some("That token is not valid, or has been revoked"), StatusCode::UNAUTHORIZED)),
    }
}

/// `POST /sign-out`: the session cookie is cleared.
pub(in crate::http) async fn sign_out() -> Response {
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("msp_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    secure(r)
}
