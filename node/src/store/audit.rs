//! The `audit` table: appended to in the same transaction as the change it records, never updated.

use msp_store::sqlx::{self, Any, Row};

use super::{NodeStoreError, Store, period_of};
use crate::audit::{Entry, Event, Via};

/// Appends `event`, at `at`, through `e` (a transaction, so that the entry and the change it
/// records are written together).
pub(super) async fn append<'e>(
    e: impl sqlx::Executor<'e, Database = Any>,
    at: &str,
    event: &Event<'_>,
) -> Result<(), NodeStoreError> {
    let (quarter, revision) = event.release.map(|(p, r)| (i64::from(p.ordinal()), i64::from(r))).unzip();
    sqlx::query(
        "INSERT INTO audit (at, actor, via, action, quarter, revision, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(at)
    .bind(event.actor.name.as_str())
    .bind(event.actor.via.code())
    .bind(event.action.code())
    .bind(quarter)
    .bind(revision)
    .bind(event.detail.as_str())
    .execute(e)
    .await?;
    Ok(())
}

impl Store {
    /// Records `event` at `at`, on its own (for a change with no transaction of its own, such as
    /// a sign-in or a failed submission).
    pub async fn record(&self, at: &str, event: &Event<'_>) -> Result<(), NodeStoreError> {
        append(self.db.pool(), at, event).await
    }

    /// The audit log, newest first: the last `most` entries (every entry when `None`).
    pub async fn audit_log(&self, most: Option<u32>) -> Result<Vec<Entry>, NodeStoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, via, action, quarter, revision, detail FROM audit ORDER BY id DESC LIMIT $1",
        )
        .bind(most.map_or(i64::MAX, i64::from))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let quarter: Option<i64> = r.try_get(5)?;
                let revision: Option<i64> = r.try_get(6)?;
                let via: String = r.try_get(3)?;
                Ok(Entry {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    via: Via::of_code(&via),
                    action: r.try_get(4)?,
                    period: quarter.map(period_of).transpose()?,
                    revision: revision.map(|v| v as u32),
                    detail: r.try_get(7)?,
                })
            })
            .collect()
    }
}
