//! The `imports` and `cases` tables: what an import writes, and what the node holds.

use std::collections::HashMap;

use msp_schemas::Period;
use msp_store::{
    Backend,
    sqlx::{self, Any, AssertSqlSafe, Row, Transaction},
};

use super::{NodeStoreError, Store};

/// One case row ready to be written.
#[derive(Debug, Clone)]
pub struct CaseRow {
    /// The council's reference.
    pub case_id: String,
    /// Keyed hash of the person id.
    pub person_key: [u8; crate::keys::PERSON_KEY_LEN],
    /// The quarter of the concern.
    pub concern_period: Period,
    /// The quarter of the conclusion.
    pub concluded_period: Option<Period>,
    /// The encoded record.
    pub record: Vec<u8>,
    /// Fingerprint of everything above, to tell unchanged rows on re-import.
    pub row_hash: [u8; 16],
}

/// Columns written per case row.
const CASE_COLUMNS: usize = 7;

/// Case rows per INSERT statement: amortises the per-statement cost while staying well inside
/// both backends' limits on bound parameters.
pub const BATCH_ROWS: usize = 3_600;

/// Counts an import reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    /// Data rows read.
    pub rows_read: u64,
    /// New case records.
    pub imported: u64,
    /// Changed case records.
    pub updated: u64,
    /// Case records already stored as given.
    pub unchanged: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Warnings about rows imported.
    pub warnings: u64,
}

/// One past import.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportRecord {
    /// Its id.
    pub id: i64,
    /// The file's name.
    pub file_name: String,
    /// SHA-256 of the file.
    pub file_sha256: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// The rejects and warnings report written, if any.
    pub rejects_file: Option<String>,
}

/// What the node holds for one quarter (local figures; never sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PeriodHoldings {
    /// The quarter.
    pub period: String,
    /// Concerns received in the quarter.
    pub concerns: i64,
    /// People with a concern received in the quarter.
    pub people_with_concerns: i64,
    /// Enquiries concluded in the quarter.
    pub concluded_enquiries: i64,
    /// People with an enquiry concluded in the quarter.
    pub people_concluded: i64,
}

impl Store {
    /// Every stored case id with its row fingerprint, to classify the rows of an import.
    /// Streamed, so a million stored cases cost only the map they end up in.
    pub async fn case_fingerprints<V>(
        &self,
        mut value: impl FnMut([u8; 16]) -> V,
    ) -> Result<HashMap<Box<str>, V>, NodeStoreError> {
        use futures_util::TryStreamExt;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM cases").fetch_one(self.db.pool()).await?.try_get(0)?;
        let mut out = HashMap::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut rows = sqlx::query("SELECT case_id, row_hash FROM cases").fetch(self.db.pool());
        while let Some(row) = rows.try_next().await? {
            let id: String = row.try_get(0)?;
            let hash: Vec<u8> = row.try_get(1)?;
            let mut h = [0u8; 16];
            if hash.len() == 16 {
                h.copy_from_slice(&hash);
            }
            out.insert(id.into_boxed_str(), value(h));
        }
        Ok(out)
    }

    /// Starts an import inside `tx` and returns its id.
    pub async fn begin_import(
        &self,
        tx: &mut Transaction<'static, Any>,
        file_name: &str,
        started_at: &str,
    ) -> Result<i64, NodeStoreError> {
        if self.db.backend() == Backend::Sqlite {
            // A large import touches every page of the case_id index; a page cache that holds it
            // avoids spilling and re-reading pages (64 MiB; SQLite's default is 2 MiB).
            sqlx::query("PRAGMA cache_size = -65536").execute(&mut **tx).await?;
            // Each multi-row upsert keeps a statement journal (so one statement can be undone
            // without the transaction); in memory it costs copies, not a temporary file's syscalls.
            sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut **tx).await?;
        }
        let row =
            sqlx::query("INSERT INTO imports (file_name, file_sha256, started_at) VALUES ($1, '', $2) RETURNING id")
                .bind(file_name)
                .bind(started_at)
                .fetch_one(&mut **tx)
                .await?;
        Ok(row.try_get(0)?)
    }

    /// Writes case rows (new or changed) for import `import_id`.
    pub async fn upsert_cases(
        &self,
        tx: &mut Transaction<'static, Any>,
        import_id: i64,
        rows: &[CaseRow],
    ) -> Result<(), NodeStoreError> {
        for chunk in rows.chunks(BATCH_ROWS) {
            let sql = upsert_sql(chunk.len(), self.db.backend());
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.case_id.as_str())
                    .bind(r.person_key.to_vec())
                    .bind(i64::from(r.concern_period.ordinal()))
                    .bind(r.concluded_period.map(|p| i64::from(p.ordinal())))
                    .bind(r.record.as_slice())
                    .bind(r.row_hash.to_vec())
                    .bind(import_id);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Records the outcome of import `import_id`.
    pub async fn finish_import(
        tx: &mut Transaction<'static, Any>,
        import_id: i64,
        file_sha256: &str,
        finished_at: &str,
        c: &ImportCounts,
        rejects_file: Option<&str>,
    ) -> Result<(), NodeStoreError> {
        sqlx::query(
            "UPDATE imports SET file_sha256 = $1, finished_at = $2, rows_read = $3, imported = $4, updated = $5,
                unchanged = $6, rejected = $7, warnings = $8, rejects_file = $10 WHERE id = $9",
        )
        .bind(file_sha256)
        .bind(finished_at)
        .bind(c.rows_read as i64)
        .bind(c.imported as i64)
        .bind(c.updated as i64)
        .bind(c.unchanged as i64)
        .bind(c.rejected as i64)
        .bind(c.warnings as i64)
        .bind(import_id)
        .bind(rejects_file)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The latest finished import.
    pub async fn last_import(&self) -> Result<Option<ImportRecord>, NodeStoreError> {
        Ok(self.imports(Some(1)).await?.pop())
    }

    /// The finished imports, newest first: the last `most` (all when `None`).
    pub async fn imports(&self, most: Option<u32>) -> Result<Vec<ImportRecord>, NodeStoreError> {
        let rows = sqlx::query(
            "SELECT id, file_name, file_sha256, finished_at, rows_read, imported, updated, unchanged, rejected, warnings,
                    rejects_file
             FROM imports WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT $1",
        )
        .bind(most.map_or(i64::MAX, i64::from))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let n = |i: usize| r.try_get::<i64, _>(i).map(|v| v as u64);
                Ok(ImportRecord {
                    id: r.try_get(0)?,
                    file_name: r.try_get(1)?,
                    file_sha256: r.try_get(2)?,
                    finished_at: r.try_get(3)?,
                    counts: ImportCounts {
                        rows_read: n(4)?,
                        imported: n(5)?,
                        updated: n(6)?,
                        unchanged: n(7)?,
                        rejected: n(8)?,
                        warnings: n(9)?,
                    },
                    rejects_file: r.try_get(10)?,
                })
            })
            .collect()
    }

    /// Per quarter, the concerns and concluded enquiries held, with distinct people, newest first.
    pub async fn holdings(&self) -> Result<Vec<PeriodHoldings>, NodeStoreError> {
        let mut by_period: std::collections::BTreeMap<i64, PeriodHoldings> = Default::default();
        let name = |ordinal: i64| {
            u32::try_from(ordinal)
                .ok()
                .and_then(Period::from_ordinal)
                .map_or_else(|| ordinal.to_string(), |p| p.to_string())
        };
        let concerns = sqlx::query(
            "SELECT concern_quarter, COUNT(*), COUNT(DISTINCT person_key) FROM cases GROUP BY concern_quarter",
        )
        .fetch_all(self.db.pool())
        .await?;
        for r in concerns {
            let q: i64 = r.try_get(0)?;
            let h = by_period.entry(q).or_insert_with(|| PeriodHoldings { period: name(q), ..Default::default() });
            h.concerns = r.try_get(1)?;
            h.people_with_concerns = r.try_get(2)?;
        }
        let concluded = sqlx::query(
            "SELECT concluded_quarter, COUNT(*), COUNT(DISTINCT person_key) FROM cases
             WHERE concluded_quarter IS NOT NULL GROUP BY concluded_quarter",
        )
        .fetch_all(self.db.pool())
        .await?;
        for r in concluded {
            let q: i64 = r.try_get(0)?;
            let h = by_period.entry(q).or_insert_with(|| PeriodHoldings { period: name(q), ..Default::default() });
            h.concluded_enquiries = r.try_get(1)?;
            h.people_concluded = r.try_get(2)?;
        }
        Ok(by_period.into_values().rev().collect())
    }

    /// Number of case records held.
    pub async fn case_count(&self) -> Result<i64, NodeStoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM cases").fetch_one(self.db.pool()).await?.try_get(0)?)
    }
}

/// `INSERT … ON CONFLICT (case_id) DO UPDATE` for `rows` rows (see [`msp_store::placeholders`]).
fn upsert_sql(rows: usize, backend: Backend) -> String {
    format!(
        "INSERT INTO cases (case_id, person_key, concern_quarter, concluded_quarter, record, row_hash, import_id) VALUES {}
         ON CONFLICT (case_id) DO UPDATE SET person_key = excluded.person_key,
            concern_quarter = excluded.concern_quarter, concluded_quarter = excluded.concluded_quarter,
            record = excluded.record, row_hash = excluded.row_hash, import_id = excluded.import_id",
        msp_store::placeholders(backend, rows, CASE_COLUMNS, 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_numbers_every_placeholder_once() {
        let sql = upsert_sql(3, Backend::Postgres);
        assert!(sql.contains("($1,$2,$3,$4,$5,$6,$7),($8,"));
        assert!(sql.contains("$21)") && !sql.contains("$22"));
        let sql = upsert_sql(2, Backend::Sqlite);
        assert!(sql.contains("VALUES (?,?,?,?,?,?,?),(?,?,?,?,?,?,?)\n"));
    }
}
