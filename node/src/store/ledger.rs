//! The `ledger` and `releases` tables: every charge against the privacy budget, and the release
//! each completed charge paid for.

use msp_schemas::Period;
use msp_store::sqlx::{self, Any, Row};

use super::{NodeStoreError, Store, audit::append, period_of};
use crate::audit::Event;

/// One charge in the budget ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Charge {
    /// Its id.
    pub id: i64,
    /// The quarter of data it was charged to.
    pub period: Period,
    /// ρ charged.
    pub rho: f64,
    /// What it paid for.
    pub purpose: String,
    /// When (RFC 3339).
    pub charged_at: String,
    /// The revision it produced, if the release was completed.
    pub revision: Option<u32>,
}

/// A release as the node stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    /// The quarter.
    pub period: Period,
    /// Its revision.
    pub revision: u32,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// The exact JSON bytes of the document.
    pub document: String,
    /// Who made it (an account or a login; `None` for releases made before schema 4).
    pub made_by: Option<String>,
}

impl StoredRelease {
    /// The SHA-256 (hex) of the exact bytes: what an approval names.
    pub fn sha256(&self) -> String {
        msp_store::hex(&msp_protocol::sha256(self.document.as_bytes()))
    }
}

impl Store {
    /// Every charge in the ledger, oldest first, with the revision each produced.
    pub async fn charges(&self) -> Result<Vec<Charge>, NodeStoreError> {
        read_charges(self.db.pool()).await
    }

    /// Charges `rho` to `period` if the budget allows, in a transaction no other release can
    /// interleave with, and commits the charge before returning: noise is drawn only after.
    /// `decide` sees the current charges and stored revisions and says whether to go on, and
    /// with which revision.
    pub async fn charge<E: From<NodeStoreError>>(
        &self,
        period: Period,
        rho: f64,
        purpose: &str,
        charged_at: &str,
        decide: impl FnOnce(&[Charge], Option<u32>) -> Result<u32, E>,
    ) -> Result<(i64, u32), E> {
        let mut tx = self.db.begin_exclusive("ledger").await.map_err(NodeStoreError::from)?;
        let charges = read_charges(&mut *tx).await?;
        let latest: Option<i64> = sqlx::query("SELECT MAX(revision) FROM releases WHERE quarter = $1")
            .bind(i64::from(period.ordinal()))
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(NodeStoreError::from)?;
        let revision = decide(&charges, latest.map(|v| v as u32))?;
        let id: i64 =
            sqlx::query("INSERT INTO ledger (quarter, rho, purpose, charged_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(i64::from(period.ordinal()))
                .bind(rho)
                .bind(purpose)
                .bind(charged_at)
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(NodeStoreError::from)?;
        tx.commit().await.map_err(NodeStoreError::from)?;
        Ok((id, revision))
    }

    /// Stores a release paid for by charge `ledger_id`, and records `event` (who made it) in the
    /// audit log in the same transaction.
    pub async fn save_release(
        &self,
        release: &StoredRelease,
        ledger_id: i64,
        event: &Event<'_>,
    ) -> Result<(), NodeStoreError> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO releases (quarter, revision, ledger_id, created_at, document, made_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(i64::from(release.period.ordinal()))
        .bind(i64::from(release.revision))
        .bind(ledger_id)
        .bind(release.created_at.as_str())
        .bind(release.document.as_str())
        .bind(release.made_by.as_deref())
        .execute(&mut *tx)
        .await?;
        append(&mut *tx, &release.created_at, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The stored release of `period`: the given revision, or the latest.
    pub async fn release(
        &self,
        period: Period,
        revision: Option<u32>,
    ) -> Result<Option<StoredRelease>, NodeStoreError> {
        let row = sqlx::query(
            "SELECT revision, created_at, document, made_by FROM releases WHERE quarter = $1 AND ($2 < 0 OR revision = $2)
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(i64::from(period.ordinal()))
        .bind(revision.map_or(-1, i64::from))
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let revision: i64 = r.try_get(0)?;
            Ok(StoredRelease {
                period,
                revision: revision as u32,
                created_at: r.try_get(1)?,
                document: r.try_get(2)?,
                made_by: r.try_get(3)?,
            })
        })
        .transpose()
    }

    /// Every stored release, oldest quarter first.
    pub async fn releases(&self) -> Result<Vec<StoredRelease>, NodeStoreError> {
        let rows = sqlx::query(
            "SELECT quarter, revision, created_at, document, made_by FROM releases ORDER BY quarter, revision",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let revision: i64 = r.try_get(1)?;
                Ok(StoredRelease {
                    period: period_of(r.try_get(0)?)?,
                    revision: revision as u32,
                    created_at: r.try_get(2)?,
                    document: r.try_get(3)?,
                    made_by: r.try_get(4)?,
                })
            })
            .collect()
    }
}

async fn read_charges<'e>(e: impl sqlx::Executor<'e, Database = Any>) -> Result<Vec<Charge>, NodeStoreError> {
    let rows = sqlx::query(
        "SELECT l.id, l.quarter, l.rho, l.purpose, l.charged_at, r.revision
         FROM ledger l LEFT JOIN releases r ON r.ledger_id = l.id ORDER BY l.id",
    )
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| {
            let revision: Option<i64> = r.try_get(5)?;
            Ok(Charge {
                id: r.try_get(0)?,
                period: period_of(r.try_get(1)?)?,
                rho: r.try_get(2)?,
                purpose: r.try_get(3)?,
                charged_at: r.try_get(4)?,
                revision: revision.map(|v| v as u32),
            })
        })
        .collect()
}
