//! Who is asking: the API's caller (a bearer token, or the dashboard's session cookie) and the
//! dashboard's signed-in reader (the session cookie), each as an extractor, so handlers receive a
//! role and never a token. The cookie holds a session id, never a token (see [`tokens`]).

use std::convert::Infallible;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};

use super::{error::HttpError, state::AppState};
use crate::{auth::Role, tokens};

/// The name of the dashboard's session cookie.
pub const SESSION_COOKIE: &str = "msp_session";

/// The dashboard's session id, from the request's cookies.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    msp_web::cookie::read(headers, SESSION_COOKIE)
}

/// The bearer token of `Authorization: Bearer …`.
fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

/// The role of the request's open session, if it has one.
async fn session(parts: &Parts, state: &AppState) -> Result<Option<Role>, HttpError> {
    match session_cookie(&parts.headers) {
        Some(id) => Ok(tokens::session_role(&state.store, &id, (state.clock)()).await?),
        None => Ok(None),
    }
}

/// The API's caller: the role of its bearer token (or of the dashboard's session cookie).
/// Without a valid one, the request is refused as `unauthenticated`.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Role);

impl FromRequestParts<AppState> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(parts) {
            return tokens::role_of(&state.store, &token)
                .await?
                .map(Caller)
                .ok_or(HttpError::NotSignedIn("the token is not valid or has been revoked"));
        }
        if session_cookie(&parts.headers).is_none() {
            return Err(HttpError::NotSignedIn(
                "send a bearer token (Authorization: Bearer …) or sign in to the dashboard",
            ));
        }
        session(parts, state).await?.map(Caller).ok_or(HttpError::NotSignedIn(
            "the dashboard session has ended or its token was revoked: sign in again, or send a bearer token",
        ))
    }
}

/// The dashboard's reader: the role of the session cookie. Without a session the browser is sent
/// to sign in (with a note when the session has ended or its token was revoked).
#[derive(Debug, Clone, Copy)]
pub struct SignedIn(pub Role);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if session_cookie(&parts.headers).is_none() {
            return Err(Redirect::to("/sign-in").into_response());
        }
        match session(parts, state).await {
            Ok(Some(role)) => Ok(SignedIn(role)),
            Ok(None) => Err(Redirect::to("/sign-in?expired=1").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Pages anyone may read show the reader's role when there is one.
impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        Ok(<SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state).await.ok())
    }
}
