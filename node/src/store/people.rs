//! The `users` and `sessions` tables: the accounts of the local web view and their signed-in
//! browsers. Tokens and session ids are kept only as SHA-256 digests ([`crate::accounts::digest`]).

use msp_store::sqlx::{self, Row, any::AnyRow};

use super::{NodeStoreError, Store, audit::append};
use crate::{
    accounts::{Role, User},
    audit::{Action, Actor, Event},
};

/// A signed-in browser's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose.
    pub user: User,
    /// The token every form of the session must carry back.
    pub csrf: String,
    /// When it ends (RFC 3339).
    pub expires_at: String,
}

fn user_of(r: &AnyRow) -> Result<User, NodeStoreError> {
    let role: String = r.try_get(1)?;
    Ok(User {
        name: r.try_get(0)?,
        role: Role::of_code(&role)
            .ok_or_else(|| NodeStoreError::CorruptSetting(format!("an account has an unknown role {role:?}")))?,
        created_at: r.try_get(2)?,
        removed_at: r.try_get(3)?,
    })
}

impl Store {
    /// Adds an account, recording it in the audit log. `Ok(false)` when an account of that name
    /// exists already (removed or not: names in the audit log stay unambiguous).
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        token_sha256: &str,
        at: &str,
        by: &Actor,
    ) -> Result<bool, NodeStoreError> {
        let mut tx = self.db.begin().await?;
        let taken = sqlx::query("SELECT 1 FROM users WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            return Ok(false);
        }
        sqlx::query("INSERT INTO users (name, role, token_sha256, created_at) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(role.code())
            .bind(token_sha256)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        let event = Event { actor: by, action: Action::UserAdd, release: None, detail: format!("{name} ({role})") };
        append(&mut *tx, at, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes an account and ends its sessions; `Ok(false)` if there is no such account.
    pub async fn remove_user(&self, name: &str, at: &str, by: &Actor) -> Result<bool, NodeStoreError> {
        let mut tx = self.db.begin().await?;
        let found = sqlx::query("UPDATE users SET removed_at = $1 WHERE name = $2 AND removed_at IS NULL")
            .bind(at)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if found == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        let event = Event { actor: by, action: Action::UserRemove, release: None, detail: name.to_owned() };
        append(&mut *tx, at, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every account, removed ones included, by name.
    pub async fn users(&self) -> Result<Vec<User>, NodeStoreError> {
        let rows = sqlx::query("SELECT name, role, created_at, removed_at FROM users ORDER BY name")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(user_of).collect()
    }

    /// The account whose token has this digest, unless it was removed.
    pub async fn user_by_token(&self, token_sha256: &str) -> Result<Option<User>, NodeStoreError> {
        let row = sqlx::query(
            "SELECT name, role, created_at, removed_at FROM users WHERE token_sha256 = $1 AND removed_at IS NULL",
        )
        .bind(token_sha256)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(user_of).transpose()
    }

    /// Starts a session for `user`, ending at `expires_at`, and records the sign-in.
    pub async fn start_session(
        &self,
        id_sha256: &str,
        user: &User,
        csrf: &str,
        at: &str,
        expires_at: &str,
    ) -> Result<(), NodeStoreError> {
        let mut tx = self.db.begin().await?;
        // Sessions that have ended are of no use to anyone: clear them as new ones start.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(at).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO sessions (id_sha256, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_sha256)
        .bind(user.name.as_str())
        .bind(csrf)
        .bind(at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let actor = Actor::web(&user.name);
        let event = Event { actor: &actor, action: Action::SignIn, release: None, detail: format!("as {}", user.role) };
        append(&mut *tx, at, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session with this id digest, if it has not ended by `now` (RFC 3339, UTC) and its
    /// account has not been removed.
    pub async fn session(&self, id_sha256: &str, now: &str) -> Result<Option<Session>, NodeStoreError> {
        let row = sqlx::query(
            "SELECT u.name, u.role, u.created_at, u.removed_at, s.csrf, s.expires_at
             FROM sessions s JOIN users u ON u.name = s.user_name
             WHERE s.id_sha256 = $1 AND s.expires_at > $2 AND u.removed_at IS NULL",
        )
        .bind(id_sha256)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| Ok(Session { user: user_of(&r)?, csrf: r.try_get(4)?, expires_at: r.try_get(5)? })).transpose()
    }

    /// Ends a session (signing out), recording it for `user`.
    pub async fn end_session(&self, id_sha256: &str, user: &User, at: &str) -> Result<(), NodeStoreError> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1").bind(id_sha256).execute(&mut *tx).await?;
        let actor = Actor::web(&user.name);
        append(&mut *tx, at, &Event { actor: &actor, action: Action::SignOut, release: None, detail: String::new() })
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
