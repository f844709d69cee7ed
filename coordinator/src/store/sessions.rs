//! Dashboard sessions (schema 4): each stored as the SHA-256 of its id, with the token it was
//! opened with, when it was opened, when it expires and when it was signed out of. A session is
//! valid only while it has not expired or ended and its token is not revoked: the role is read
//! through a join with the tokens, so revoking a token ends its sessions at once.

use msp_store::{
    Migration,
    sqlx::{self, Row},
};

use super::{Result, Store};

/// Schema 4: dashboard sessions.
pub const MIGRATION: Migration = Migration {
    version: 4,
    description: "dashboard sessions",
    sqlite: include_str!("../../migrations/sqlite/0004_sessions.sql"),
    postgres: include_str!("../../migrations/postgres/0004_sessions.sql"),
};

/// A session to be stored.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// SHA-256 of the session id, hex.
    pub id_sha256: &'a str,
    /// The id of the token it was opened with.
    pub token_id: &'a str,
    /// When it was opened (RFC 3339).
    pub created_at: &'a str,
    /// When it expires, in seconds since the Unix epoch.
    pub expires_at: i64,
}

impl Store {
    /// The id and role of the unrevoked token with this hash (to open a session with).
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT id, role FROM tokens WHERE token_sha256 = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(self.db().pool())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Stores a new session, and forgets sessions that expired before `now` (seconds since the
    /// epoch), so the table holds only live ones.
    pub async fn add_session(&self, session: &NewSession<'_>, now: i64) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(self.db().pool()).await?;
        sqlx::query("INSERT INTO sessions (id_sha256, token_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(session.id_sha256)
            .bind(session.token_id)
            .bind(session.created_at)
            .bind(session.expires_at)
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    /// The role of the session with this hash, if it has neither expired by `now` (seconds
    /// since the epoch) nor ended, and its token is not revoked.
    pub async fn session_role(&self, id_sha256: &str, now: i64) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT t.role FROM sessions s JOIN tokens t ON t.id = s.token_id
             WHERE s.id_sha256 = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND t.revoked_at IS NULL",
        )
        .bind(id_sha256)
        .bind(now)
        .fetch_optional(self.db().pool())
        .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    /// Ends the session with this hash (signing out); returns whether one was open.
    pub async fn end_session(&self, id_sha256: &str, at: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id_sha256 = $2 AND ended_at IS NULL")
            .bind(at)
            .bind(id_sha256)
            .execute(self.db().pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every open session opened with the token with this id (when it is revoked).
    pub async fn end_sessions_of(&self, token_id: &str, at: &str) -> Result<u64> {
        let done = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE token_id = $2 AND ended_at IS NULL")
            .bind(at)
            .bind(token_id)
            .execute(self.db().pool())
            .await?;
        Ok(done.rows_affected())
    }
}
