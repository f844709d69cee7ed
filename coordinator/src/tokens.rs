//! Bearer tokens for the API and the dashboard (DESIGN §8): each is made for one role, shown
//! once, and kept only as its SHA-256; listing shows their ids, roles and labels, never a token;
//! a revoked token stops working at once.
//!
//! Signing in to the dashboard exchanges a token for a session ([`open_session`]): a new random
//! id from the operating system's generator, which is all the browser's cookie holds (never the
//! token, nor anything derived from it), kept only as its SHA-256 beside the token's id. A
//! session lasts [`SESSION_LIFETIME`], ends when its reader signs out ([`close_session`]), and
//! ends with its token: revoking the token ends every session opened with it.

use std::fmt;

use msp_schemas::release::Timestamp;
use rand::{RngCore, TryRngCore, rngs::OsRng};
use time::OffsetDateTime;

use crate::{
    auth::Role,
    store::{CoordinatorStoreError, NewSession, Store, TokenRecord},
};

/// How long a dashboard session lasts from signing in: a working day.
pub const SESSION_LIFETIME: time::Duration = time::Duration::hours(8);

/// Why a token could not be made, found or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// There is no active token with this id.
    #[error("there is no active token with id {0}: `msp-coordinator token list` shows them")]
    NoSuchToken(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] CoordinatorStoreError),
}

/// A new bearer token: `msp_` and 43 characters of base64url (256 random bits).
pub fn new_token() -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("msp_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    msp_store::hex(&msp_protocol::sha256(token.as_bytes()))
}

/// Makes a token for `role`; returns the token (to be shown once) and its record.
pub async fn create_token(store: &Store, role: Role, label: &str) -> Result<(String, TokenRecord), TokenError> {
    let token = new_token();
    let hash = token_hash(&token);
    let record = TokenRecord {
        id: hash[..12].to_owned(),
        role: role.to_string(),
        label: label.to_owned(),
        created_at: Timestamp::now().to_string(),
        revoked_at: None,
    };
    store.add_token(&record, &hash).await?;
    Ok((token, record))
}

/// Every token's record, oldest first.
pub async fn list(store: &Store) -> Result<Vec<TokenRecord>, TokenError> {
    Ok(store.tokens().await?)
}

/// Revokes the active token with this id, and ends the dashboard sessions opened with it;
/// [`TokenError::NoSuchToken`] when there is none.
pub async fn revoke(store: &Store, id: &str) -> Result<(), TokenError> {
    let at = Timestamp::now().to_string();
    if store.revoke_token(id, &at).await? {
        // Sessions are refused once their token is revoked in any case (their role is read
        // through the token); ending them too records when.
        store.end_sessions_of(id, &at).await?;
        Ok(())
    } else {
        Err(TokenError::NoSuchToken(id.to_owned()))
    }
}

/// The role of `token`, if it is a token this coordinator made and has not revoked.
pub async fn role_of(store: &Store, token: &str) -> Result<Option<Role>, CoordinatorStoreError> {
    store.token_role(&token_hash(token)).await?.map(parse_role).transpose()
}

fn parse_role(r: String) -> Result<Role, CoordinatorStoreError> {
    r.parse().map_err(|e: String| CoordinatorStoreError::Corrupt(format!("a token's role: {e}")))
}

/// A dashboard session's id: 256 bits from the operating system's random number generator,
/// base64url. It is what the session cookie holds; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// The id as the cookie holds it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(redacted)")
    }
}

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The operating system gave no random bytes.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] CoordinatorStoreError),
}

/// Whether `id` has the shape of a session id (43 characters of base64url), so that anything
/// else a cookie holds is refused without a database read.
fn well_formed(id: &str) -> bool {
    id.len() == 43 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Opens a dashboard session for `token` at `now`: its id and role, or `None` when the token is
/// not one this coordinator made or has been revoked.
pub async fn open_session(
    store: &Store,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<(SessionId, Role)>, SessionError> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let Some((token_id, role)) = store.token_by_hash(&token_hash(token)).await? else { return Ok(None) };
    let role = parse_role(role)?;
    let mut bytes = [0u8; 32];
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| SessionError::Random(e.to_string()))?;
    let id = SessionId(URL_SAFE_NO_PAD.encode(bytes));
    let session = NewSession {
        id_sha256: &token_hash(id.expose()),
        token_id: &token_id,
        created_at: &Timestamp::from(now).to_string(),
        expires_at: (now + SESSION_LIFETIME).unix_timestamp(),
    };
    store.add_session(&session, now.unix_timestamp()).await?;
    Ok(Some((id, role)))
}

/// The role of the session with id `id` at `now`, if it is open: not expired, not signed out
/// of, and its token not revoked.
pub async fn session_role(store: &Store, id: &str, now: OffsetDateTime) -> Result<Option<Role>, CoordinatorStoreError> {
    if !well_formed(id) {
        return Ok(None);
    }
    store.session_role(&token_hash(id), now.unix_timestamp()).await?.map(parse_role).transpose()
}

/// Ends the session with id `id` (signing out); returns whether one was open.
pub async fn close_session(store: &Store, id: &str, now: OffsetDateTime) -> Result<bool, CoordinatorStoreError> {
    if !well_formed(id) {
        return Ok(false);
    }
    store.end_session(&token_hash(id), &Timestamp::from(now).to_string()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_only_as_hashes() {
        let (t1, t2) = (new_token(), new_token());
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 47);
        assert_eq!(token_hash(&t1).len(), 64);
        assert_ne!(token_hash(&t1), token_hash(&t2));
    }

    #[tokio::test]
    async fn a_token_has_its_role_until_it_is_revoked_and_listing_never_shows_it() {
        for db in msp_store::testing::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            let (token, record) = create_token(&store, Role::National, "analyst").await.unwrap();
            assert_eq!(role_of(&store, &token).await.unwrap(), Some(Role::National));
            assert_eq!(role_of(&store, "msp_not_a_token").await.unwrap(), None);
            let listed = list(&store).await.unwrap();
            assert_eq!(listed, vec![record.clone()]);
            assert!(!format!("{listed:?}").contains(&token), "a listing never holds the token");
            revoke(&store, &record.id).await.unwrap();
            assert_eq!(role_of(&store, &token).await.unwrap(), None);
            let err = revoke(&store, &record.id).await.unwrap_err();
            assert!(matches!(err, TokenError::NoSuchToken(_)) && err.to_string().contains("token list"), "{err}");
            store.db().close().await;
        }
    }

    #[tokio::test]
    async fn a_session_lasts_until_it_expires_is_signed_out_of_or_its_token_is_revoked() {
        for db in msp_store::testing::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            let (token, record) = create_token(&store, Role::Council("E06000001".parse().unwrap()), "t").await.unwrap();
            let now = OffsetDateTime::now_utc();
            assert!(open_session(&store, "msp_not_a_token", now).await.unwrap().is_none());
            let (id, role) = open_session(&store, &token, now).await.unwrap().unwrap();
            assert_eq!(role, Role::Council("E06000001".parse().unwrap()));
            assert!(!id.expose().contains(&token) && !id.expose().contains(&token_hash(&token)));
            assert!(!format!("{id:?}").contains(id.expose()), "Debug redacts the id");
            assert_eq!(session_role(&store, id.expose(), now).await.unwrap(), Some(role));
            let almost = now + SESSION_LIFETIME - time::Duration::seconds(1);
            assert_eq!(session_role(&store, id.expose(), almost).await.unwrap(), Some(role));
            assert_eq!(session_role(&store, id.expose(), now + SESSION_LIFETIME).await.unwrap(), None, "expired");
            assert_eq!(session_role(&store, &token, now).await.unwrap(), None, "a token is not a session id");

            let (other, _) = open_session(&store, &token, now).await.unwrap().unwrap();
            assert_ne!(other, id, "every sign-in gets a new id");
            assert!(close_session(&store, id.expose(), now).await.unwrap());
            assert!(!close_session(&store, id.expose(), now).await.unwrap(), "already closed");
            assert_eq!(session_role(&store, id.expose(), now).await.unwrap(), None, "signed out");
            assert_eq!(session_role(&store, other.expose(), now).await.unwrap(), Some(role), "the other goes on");

            revoke(&store, &record.id).await.unwrap();
            assert_eq!(session_role(&store, other.expose(), now).await.unwrap(), None, "its token was revoked");
            assert!(open_session(&store, &token, now).await.unwrap().is_none());
            store.db().close().await;
        }
    }

    #[tokio::test]
    async fn revoking_a_token_by_another_way_than_revoke_still_ends_its_sessions() {
        for db in msp_store::testing::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            let (token, record) = create_token(&store, Role::National, "t").await.unwrap();
            let now = OffsetDateTime::now_utc();
            let (id, _) = open_session(&store, &token, now).await.unwrap().unwrap();
            assert!(store.revoke_token(&record.id, &Timestamp::now().to_string()).await.unwrap());
            assert_eq!(session_role(&store, id.expose(), now).await.unwrap(), None, "read through the token");
            store.db().close().await;
        }
    }
}
