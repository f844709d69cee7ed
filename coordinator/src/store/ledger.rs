//! The coordinator's ledger of published ρ (DESIGN §4): every accepted submission's ρ, stored
//! beside it (schema 3), read by council inside the log writer's transaction so that the caps are
//! checked against exactly what is committed.
//!
//! The ledger counts by council, never by key: a council's current and revoked keys, and two keys
//! live at once during a rotation (enrol the new, then revoke the old), all spend from one budget.

use std::collections::HashMap;

use msp_schemas::{CouncilCode, Period, Release};
use msp_store::{
    Migration,
    sqlx::{self, Any, Row, Transaction},
};

use super::{CoordinatorStoreError, Result, Store};

/// Schema 3: each submission's published ρ.
pub const MIGRATION: Migration = Migration {
    version: 3,
    description: "published rho per submission",
    sqlite: include_str!("../../migrations/sqlite/0003_published_rho.sql"),
    postgres: include_str!("../../migrations/postgres/0003_published_rho.sql"),
};

/// How many submissions the backfill reads at a time.
const BACKFILL_CHUNK: i64 = 500;

fn corrupt(what: impl std::fmt::Display) -> CoordinatorStoreError {
    CoordinatorStoreError::Corrupt(what.to_string())
}

impl Store {
    /// The ρ of every submission stored for these councils, by quarter of data: their ledgers,
    /// across all their keys. Read inside the log transaction, which no other writer interleaves
    /// with, so a charge checked against it cannot be overtaken.
    pub async fn published_rho(
        &self,
        tx: &mut Transaction<'static, Any>,
        councils: &[CouncilCode],
    ) -> Result<HashMap<CouncilCode, Vec<(Period, f64)>>> {
        let mut councils: Vec<&str> = councils.iter().map(|c| c.as_str()).collect();
        councils.sort_unstable();
        councils.dedup();
        if councils.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT council, quarter, rho FROM submissions WHERE council IN {} ORDER BY log_index",
            msp_store::placeholders(self.db().backend(), 1, councils.len(), 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in &councils {
            q = q.bind(*c);
        }
        let mut out: HashMap<CouncilCode, Vec<(Period, f64)>> = HashMap::new();
        for r in q.fetch_all(&mut **tx).await? {
            let council: String = r.try_get(0)?;
            let council: CouncilCode = council.parse().map_err(corrupt)?;
            let quarter: i64 = r.try_get(1)?;
            let period = u32::try_from(quarter)
                .ok()
                .and_then(Period::from_ordinal)
                .ok_or_else(|| corrupt("a stored quarter is out of range"))?;
            let rho: Option<f64> = r.try_get(2)?;
            let rho = rho.ok_or_else(|| {
                corrupt(format!("a submission of {council} for {period} has no ρ recorded: restart the coordinator"))
            })?;
            out.entry(council).or_default().push((period, rho));
        }
        Ok(out)
    }

    /// Fills in the ρ of submissions stored before schema 3, from the release each one holds;
    /// returns how many it filled in. Run when the database is opened: idempotent, and safe when
    /// several replicas start at once (each writes the same figure from the same release).
    pub(super) async fn backfill_published_rho(&self) -> Result<u64> {
        let mut filled = 0;
        loop {
            let rows =
                sqlx::query("SELECT log_index, payload FROM submissions WHERE rho IS NULL ORDER BY log_index LIMIT $1")
                    .bind(BACKFILL_CHUNK)
                    .fetch_all(self.db().pool())
                    .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.db().begin().await?;
            for r in &rows {
                let index: i64 = r.try_get(0)?;
                let payload: String = r.try_get(1)?;
                let release = Release::from_json(payload.as_bytes())
                    .map_err(|e| corrupt(format!("stored release {index}: {e}")))?;
                sqlx::query("UPDATE submissions SET rho = $1 WHERE log_index = $2 AND rho IS NULL")
                    .bind(release.fields().privacy.rho)
                    .bind(index)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
        if filled > 0 {
            tracing::info!(submissions = filled, "recorded the published ρ of submissions stored before schema 3");
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use msp_store::{Db, testing::databases};

    use super::*;
    use crate::store::MIGRATIONS;

    const FIXTURE: &str = include_str!("../../../schemas/tests/fixtures/release-v1.json");

    /// A submission row as schema 2 stored it (no ρ column yet).
    async fn insert_v2(db: &Db, index: i64, council: &str, period: &str, revision: i64, payload: &str) {
        let period: Period = period.parse().unwrap();
        sqlx::query(
            "INSERT INTO submissions (log_index, submission_id, council, quarter, revision, spec, key_fingerprint,
                jws_sha256, jws, payload, received_at, receipt_jws)
             VALUES ($1, $2, $3, $4, $5, 'msp-quarterly/1', 'kid', $6, 'jws', $7, '2026-08-01T00:00:00Z', 'r')",
        )
        .bind(index)
        .bind(format!("sub_{index}"))
        .bind(council)
        .bind(i64::from(period.ordinal()))
        .bind(revision)
        .bind(vec![index as u8; 32])
        .bind(payload)
        .execute(db.pool())
        .await
        .unwrap();
    }

    fn release(rho: f64, revision: u32) -> String {
        let mut f = Release::from_json(FIXTURE.as_bytes()).unwrap().fields().clone();
        f.revision = revision;
        f.set_rho_by_weight(rho);
        String::from_utf8(Release::new(f).unwrap().to_json()).unwrap()
    }

    #[tokio::test]
    async fn submissions_stored_before_schema_3_get_their_published_rho_when_the_database_is_opened() {
        for db in databases().await {
            let old = Db::open(&db.url, &MIGRATIONS[..2]).await.unwrap();
            sqlx::query(
                "INSERT INTO council_keys (fingerprint, council, public_key, enrolled_at) VALUES ('kid', 'E06000001', 'k', 'now')",
            )
            .execute(old.pool())
            .await
            .unwrap();
            insert_v2(&old, 0, "E06000001", "2026-27-Q1", 1, &release(0.5, 1)).await;
            insert_v2(&old, 1, "E06000001", "2026-27-Q1", 2, &release(0.25, 2)).await;
            insert_v2(&old, 2, "E06000001", "2026-27-Q2", 1, &release(0.1, 1)).await;
            old.close().await;

            let store = Store::open(&db.url).await.unwrap();
            assert_eq!(store.db().schema_version().await.unwrap(), MIGRATIONS.last().unwrap().version);
            let council: CouncilCode = "E06000001".parse().unwrap();
            let mut tx = store.begin_append().await.unwrap();
            let ledger = store.published_rho(&mut tx, &[council, council]).await.unwrap();
            tx.rollback().await.unwrap();
            let (q1, q2): (Period, Period) = ("2026-27-Q1".parse().unwrap(), "2026-27-Q2".parse().unwrap());
            let rho_of = |payload: &str| Release::from_json(payload.as_bytes()).unwrap().fields().privacy.rho;
            let expected =
                vec![(q1, rho_of(&release(0.5, 1))), (q1, rho_of(&release(0.25, 2))), (q2, rho_of(&release(0.1, 1)))];
            assert_eq!(ledger[&council], expected, "each release's own ρ, exactly ({:?})", db.backend);
            assert_eq!(store.backfill_published_rho().await.unwrap(), 0, "nothing is left to fill in");
            store.db().close().await;
        }
    }
}
