//! The `outbox` and `approvals` tables: signed releases waiting to be sent, the coordinator's
//! receipts for them, and who approved each release for submission.

use msp_schemas::Period;
use msp_store::sqlx::{self, Row};

use super::{NodeStoreError, Store, audit::append, period_of};
use crate::audit::Event;

/// An approval of a release for submission.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Approval {
    /// Who approved it (an account of the web view, or the name given to `msp-node approve`).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The SHA-256 of the exact bytes approved (`None` for approvals made before schema 4).
    pub release_sha256: Option<String>,
}

/// A release's place in the outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outgoing {
    /// The quarter.
    pub period: Period,
    /// The revision.
    pub revision: u32,
    /// The signed release.
    #[serde(skip)]
    pub jws: String,
    /// SHA-256 of the JWS (hex).
    pub jws_sha256: String,
    /// Sending attempts so far.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// The coordinator's signed receipt, once received and verified.
    #[serde(skip)]
    pub receipt_jws: Option<String>,
    /// When the receipt was received.
    pub received_at: Option<String>,
}

impl Store {
    /// Puts a signed release in the outbox (keeping the one there, if any: it is never re-signed).
    pub async fn enqueue(
        &self,
        period: Period,
        revision: u32,
        jws: &str,
        sha: &str,
        at: &str,
    ) -> Result<Outgoing, NodeStoreError> {
        sqlx::query(
            "INSERT INTO outbox (quarter, revision, jws, jws_sha256, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (quarter, revision) DO NOTHING",
        )
        .bind(i64::from(period.ordinal()))
        .bind(i64::from(revision))
        .bind(jws)
        .bind(sha)
        .bind(at)
        .execute(self.db.pool())
        .await?;
        self.outgoing(period, revision).await?.ok_or_else(|| NodeStoreError::Read("the outbox entry vanished".into()))
    }

    /// One outbox entry.
    pub async fn outgoing(&self, period: Period, revision: u32) -> Result<Option<Outgoing>, NodeStoreError> {
        Ok(self.outbox(Some(period)).await?.into_iter().find(|o| o.revision == revision))
    }

    /// The outbox, for one quarter or all, oldest first.
    pub async fn outbox(&self, period: Option<Period>) -> Result<Vec<Outgoing>, NodeStoreError> {
        let rows = sqlx::query(
            "SELECT quarter, revision, jws, jws_sha256, attempts, last_error, receipt_jws, received_at FROM outbox
             WHERE $1 < 0 OR quarter = $1 ORDER BY quarter, revision",
        )
        .bind(period.map_or(-1, |p| i64::from(p.ordinal())))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Outgoing {
                    period: period_of(r.try_get(0)?)?,
                    revision: r.try_get::<i64, _>(1)? as u32,
                    jws: r.try_get(2)?,
                    jws_sha256: r.try_get(3)?,
                    attempts: r.try_get(4)?,
                    last_error: r.try_get(5)?,
                    receipt_jws: r.try_get(6)?,
                    received_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Records a sending attempt and its failure, if it failed.
    pub async fn attempted(&self, period: Period, revision: u32, error: Option<&str>) -> Result<(), NodeStoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE quarter = $2 AND revision = $3")
            .bind(error)
            .bind(i64::from(period.ordinal()))
            .bind(i64::from(revision))
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Stores a verified receipt.
    pub async fn receipted(
        &self,
        period: Period,
        revision: u32,
        receipt_jws: &str,
        at: &str,
        event: &Event<'_>,
    ) -> Result<(), NodeStoreError> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE outbox SET receipt_jws = $1, received_at = $2, last_error = NULL WHERE quarter = $3 AND revision = $4",
        )
        .bind(receipt_jws)
        .bind(at)
        .bind(i64::from(period.ordinal()))
        .bind(i64::from(revision))
        .execute(&mut *tx)
        .await?;
        append(&mut *tx, at, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that `event.actor` approved `revision` of `period`, whose exact bytes have the
    /// SHA-256 `release_sha256`, with the audit entry in the same transaction. An approval made
    /// again replaces the one before.
    pub async fn approve(
        &self,
        period: Period,
        revision: u32,
        release_sha256: &str,
        at: &str,
        event: &Event<'_>,
    ) -> Result<(), NodeStoreError> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO approvals (quarter, revision, approved_by, approved_at, release_sha256) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (quarter, revision) DO UPDATE SET approved_by = excluded.approved_by,
                 approved_at = excluded.approved_at, release_sha256 = excluded.release_sha256",
        )
        .bind(i64::from(period.ordinal()))
        .bind(i64::from(revision))
        .bind(event.actor.name.as_str())
        .bind(at)
        .bind(release_sha256)
        .execute(&mut *tx)
        .await?;
        append(&mut *tx, at, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who approved a release, when, and which bytes.
    pub async fn approval(&self, period: Period, revision: u32) -> Result<Option<Approval>, NodeStoreError> {
        let row = sqlx::query(
            "SELECT approved_by, approved_at, release_sha256 FROM approvals WHERE quarter = $1 AND revision = $2",
        )
        .bind(i64::from(period.ordinal()))
        .bind(i64::from(revision))
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| Ok(Approval { by: r.try_get(0)?, at: r.try_get(1)?, release_sha256: r.try_get(2)? })).transpose()
    }
}
