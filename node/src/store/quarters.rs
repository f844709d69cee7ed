//! Each released quarter's latest revision as the `releases`, `approvals` and `outbox` tables hold
//! it, read in one query: what [`crate::quarters`] turns into a quarter's state.

use msp_schemas::Period;
use msp_store::sqlx::{self, Row};

use super::{NodeStoreError, Store, period_of};

/// The latest revision of one released quarter, with its approval and its place in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestRow {
    /// The quarter.
    pub period: Period,
    /// How many revisions of it are stored.
    pub revisions: u32,
    /// The latest revision.
    pub revision: u32,
    /// When that revision was made (RFC 3339).
    pub created_at: String,
    /// Its exact JSON bytes.
    pub document: String,
    /// Who approved it and when, if anyone has.
    pub approval: Option<(String, String)>,
    /// Its outbox entry, if it has been signed for sending.
    pub outbox: Option<OutboxRow>,
}

/// The part of an outbox entry a quarter's state shows.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Sending attempts so far.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// The coordinator's signed receipt, once received and verified.
    pub receipt_jws: Option<String>,
    /// When the receipt was received.
    pub received_at: Option<String>,
}

impl Store {
    /// The latest revision of every released quarter, newest quarter first.
    pub async fn latest_releases(&self) -> Result<Vec<LatestRow>, NodeStoreError> {
        let rows = sqlx::query(
            "SELECT r.quarter, n.revisions, r.revision, r.created_at, r.document,
                    a.approved_by, a.approved_at,
                    o.quarter, o.attempts, o.last_error, o.receipt_jws, o.received_at
             FROM releases r
             JOIN (SELECT quarter, MAX(revision) AS latest, COUNT(*) AS revisions FROM releases GROUP BY quarter) n
               ON n.quarter = r.quarter AND n.latest = r.revision
             LEFT JOIN approvals a ON a.quarter = r.quarter AND a.revision = r.revision
             LEFT JOIN outbox o ON o.quarter = r.quarter AND o.revision = r.revision
             ORDER BY r.quarter DESC",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let by: Option<String> = r.try_get(5)?;
                let at: Option<String> = r.try_get(6)?;
                let queued: Option<i64> = r.try_get(7)?;
                let outbox = match queued {
                    Some(_) => Some(OutboxRow {
                        attempts: r.try_get(8)?,
                        last_error: r.try_get(9)?,
                        receipt_jws: r.try_get(10)?,
                        received_at: r.try_get(11)?,
                    }),
                    None => None,
                };
                Ok(LatestRow {
                    period: period_of(r.try_get(0)?)?,
                    revisions: r.try_get::<i64, _>(1)? as u32,
                    revision: r.try_get::<i64, _>(2)? as u32,
                    created_at: r.try_get(3)?,
                    document: r.try_get(4)?,
                    approval: by.zip(at),
                    outbox,
                })
            })
            .collect()
    }
}
