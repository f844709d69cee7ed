//! Bearer tokens for the API and the dashboard (DESIGN §8): each is made for one role, shown
//! once, and kept only as its SHA-256; listing shows their ids, roles and labels, never a token;
//! a revoked token stops working at once.

use msp_schemas::release::Timestamp;
use rand::RngCore;

use crate::{
    auth::Role,
    store::{CoordinatorStoreError, Store, TokenRecord},
};

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

/// Revokes the active token with this id; [`TokenError::NoSuchToken`] when there is none.
pub async fn revoke(store: &Store, id: &str) -> Result<(), TokenError> {
    if store.revoke_token(id, &Timestamp::now().to_string()).await? {
        Ok(())
    } else {
        Err(TokenError::NoSuchToken(id.to_owned()))
    }
}

/// The role of `token`, if it is a token this coordinator made and has not revoked.
pub async fn role_of(store: &Store, token: &str) -> Result<Option<Role>, CoordinatorStoreError> {
    match store.token_role(&token_hash(token)).await? {
        Some(r) => {
            r.parse().map(Some).map_err(|e: String| CoordinatorStoreError::Corrupt(format!("a token's role: {e}")))
        }
        None => Ok(None),
    }
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
}
