//! All of the node's SQL. Everything else calls these functions.
//!
//! Case records are stored one row per `case_id`: the person as a keyed hash, the dates and
//! periods that queries select on, and the validated record in a compact binary form
//! ([`crate::stored::StoredCase`]) that the release engine decodes without re-parsing text.

use std::collections::HashMap;

use msp_schemas::{CouncilCode, Period};

use crate::{
    dp::persons::{PersonRows, StoredRow},
    stored::CorruptRecord,
};
use msp_store::{
    Backend, Db, Migration, StoreError,
    sqlx::{self, Any, AssertSqlSafe, Row, Transaction},
};

/// The node's schema, in order. Never edit a migration that has landed: add one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "node meta, imports and case records",
        sqlite: include_str!("../../migrations/sqlite/0001_cases.sql"),
        postgres: include_str!("../../migrations/postgres/0001_cases.sql"),
    },
    Migration {
        version: 2,
        description: "privacy budget ledger and releases",
        sqlite: include_str!("../../migrations/sqlite/0002_ledger.sql"),
        postgres: include_str!("../../migrations/postgres/0002_ledger.sql"),
    },
    Migration {
        version: 3,
        description: "submission outbox, receipts and approvals",
        sqlite: include_str!("../../migrations/sqlite/0003_outbox.sql"),
        postgres: include_str!("../../migrations/postgres/0003_outbox.sql"),
    },
];

/// Errors from the node's database.
#[derive(Debug, thiserror::Error)]
pub enum NodeStoreError {
    /// Opening or querying failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The SQLite database could not be read directly.
    #[error("could not read the node's database: {0}")]
    Read(String),
    /// A stored case record is corrupt.
    #[error(transparent)]
    Corrupt(#[from] crate::stored::CorruptRecord),
    /// A value the node stored for itself cannot be read back.
    #[error("{0}")]
    CorruptSetting(String),
    /// The database belongs to another council.
    #[error(
        "the database at {url} belongs to council {found}, not {expected}: each council's node needs its own database"
    )]
    WrongCouncil {
        /// The URL.
        url: String,
        /// The council in the database.
        found: String,
        /// The council configured.
        expected: CouncilCode,
    },
}

impl From<sqlx::Error> for NodeStoreError {
    fn from(e: sqlx::Error) -> Self {
        NodeStoreError::Store(StoreError::Sql(e))
    }
}

/// The node's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

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

/// The setting that holds the coordinator's pinned receipt-signing key (base64url).
const COORDINATOR_KEY: &str = "coordinator_key";
/// The setting that holds the coordinator's earlier pinned keys, as a JSON list: trusted for the
/// receipts they signed, never for a tree head.
const PREVIOUS_COORDINATOR_KEYS: &str = "coordinator_keys_previous";

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
    /// Opens and migrates the database at `url`, and checks it belongs to `council`.
    pub async fn open(url: &str, council: CouncilCode) -> Result<Self, NodeStoreError> {
        let db = Db::open(url, MIGRATIONS).await?;
        let store = Self { db };
        match store.meta("council").await? {
            Some(found) if found != council.as_str() => {
                return Err(NodeStoreError::WrongCouncil { url: store.db.url().to_owned(), found, expected: council });
            }
            Some(_) => {}
            None => store.set_meta("council", council.as_str()).await?,
        }
        Ok(store)
    }

    /// The underlying database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, NodeStoreError> {
        let row =
            sqlx::query("SELECT value FROM node_meta WHERE key = $1").bind(key).fetch_optional(self.db.pool()).await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), NodeStoreError> {
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

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
    ) -> Result<(), NodeStoreError> {
        sqlx::query(
            "UPDATE imports SET file_sha256 = $1, finished_at = $2, rows_read = $3, imported = $4, updated = $5,
                unchanged = $6, rejected = $7, warnings = $8 WHERE id = $9",
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
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The latest finished import.
    pub async fn last_import(&self) -> Result<Option<ImportRecord>, NodeStoreError> {
        let row = sqlx::query(
            "SELECT id, file_name, file_sha256, finished_at, rows_read, imported, updated, unchanged, rejected, warnings
             FROM imports WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.db.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let n = |i: usize| r.try_get::<i64, _>(i).map(|v| v as u64);
        Ok(Some(ImportRecord {
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
        }))
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
}

impl Store {
    /// Shows every shard in `shards` every stored row received in `period` or concluded in or
    /// before it: what a release of `period` needs (its populations, and history for the repeat
    /// flag).
    ///
    /// On SQLite each shard reads on a blocking thread of its own, through a read-only connection
    /// of its own, without copying: a million-person quarter must release in seconds, and sqlx
    /// costs about 5 µs a row here where rusqlite costs well under 1 (measured). On PostgreSQL
    /// the rows are streamed once to every shard.
    pub async fn scan_for_release(
        &self,
        period: Period,
        shards: Vec<PersonRows>,
    ) -> Result<Vec<PersonRows>, NodeStoreError> {
        const SQL: &str = "SELECT person_key, case_id, concern_quarter, concluded_quarter, record FROM cases
             WHERE concern_quarter = $1 OR concluded_quarter <= $1";
        let q = i64::from(period.ordinal());
        match self.db.backend() {
            Backend::Sqlite => {
                let path = msp_store::sqlite_path(self.db.url()).unwrap_or_default().to_owned();
                let tasks: Vec<_> = shards
                    .into_iter()
                    .map(|rows| {
                        let path = path.clone();
                        tokio::task::spawn_blocking(move || scan_sqlite(&path, q, rows))
                    })
                    .collect();
                let mut out = Vec::with_capacity(tasks.len());
                for t in tasks {
                    out.push(t.await.expect("the scan thread does not panic")?);
                }
                Ok(out)
            }
            Backend::Postgres => {
                use futures_util::TryStreamExt;
                let mut shards = shards;
                let mut found = sqlx::query(SQL).bind(q).fetch(self.db.pool());
                while let Some(row) = found.try_next().await? {
                    let key: Vec<u8> = row.try_get(0)?;
                    let case_id: String = row.try_get(1)?;
                    let concern: i64 = row.try_get(2)?;
                    let concluded: Option<i64> = row.try_get(3)?;
                    let record: Vec<u8> = row.try_get(4)?;
                    let stored = StoredRow {
                        person: key.as_slice().try_into().map_err(|_| CorruptRecord::new("person key length"))?,
                        case_id: &case_id,
                        concern_quarter: concern as u32,
                        concluded_quarter: concluded.map(|c| c as u32),
                        record: &record,
                    };
                    for rows in shards.iter_mut() {
                        rows.add(stored)?;
                    }
                }
                Ok(shards)
            }
        }
    }

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

    /// Stores a release paid for by charge `ledger_id`.
    pub async fn save_release(&self, release: &StoredRelease, ledger_id: i64) -> Result<(), NodeStoreError> {
        sqlx::query(
            "INSERT INTO releases (quarter, revision, ledger_id, created_at, document) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(i64::from(release.period.ordinal()))
        .bind(i64::from(release.revision))
        .bind(ledger_id)
        .bind(release.created_at.as_str())
        .bind(release.document.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The stored release of `period`: the given revision, or the latest.
    pub async fn release(
        &self,
        period: Period,
        revision: Option<u32>,
    ) -> Result<Option<StoredRelease>, NodeStoreError> {
        let row = sqlx::query(
            "SELECT revision, created_at, document FROM releases WHERE quarter = $1 AND ($2 < 0 OR revision = $2)
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(i64::from(period.ordinal()))
        .bind(revision.map_or(-1, i64::from))
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let revision: i64 = r.try_get(0)?;
            Ok(StoredRelease { period, revision: revision as u32, created_at: r.try_get(1)?, document: r.try_get(2)? })
        })
        .transpose()
    }

    /// Every stored release, oldest quarter first.
    pub async fn releases(&self) -> Result<Vec<StoredRelease>, NodeStoreError> {
        let rows =
            sqlx::query("SELECT quarter, revision, created_at, document FROM releases ORDER BY quarter, revision")
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

/// Reads the rows a release of quarter `q` needs, for the people of one shard, from the SQLite
/// file at `path` into `rows`. The shard's key range is in the query, so each thread reads
/// only its own people.
fn scan_sqlite(path: &str, q: i64, mut rows: PersonRows) -> Result<PersonRows, NodeStoreError> {
    use rusqlite::OpenFlags;
    let read = |e: rusqlite::Error| NodeStoreError::Read(e.to_string());
    let conn =
        rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(read)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(read)?;
    let (lo, hi) = rows.key_range();
    let mut stmt = conn
        .prepare(
            "SELECT person_key, case_id, concern_quarter, concluded_quarter, record FROM cases
             WHERE (concern_quarter = ?1 OR concluded_quarter <= ?1) AND person_key >= ?2 AND (?3 IS NULL OR person_key < ?3)",
        )
        .map_err(read)?;
    let lower = vec![lo as u8];
    let upper = (hi < 256).then(|| vec![hi as u8]);
    let mut found = stmt.query(rusqlite::params![q, lower, upper]).map_err(read)?;
    while let Some(r) = found.next().map_err(read)? {
        let blob = |i| r.get_ref(i).and_then(|v| v.as_blob().map_err(Into::into)).map_err(read);
        let person = blob(0)?.try_into().map_err(|_| CorruptRecord::new("person key length"))?;
        let case_id = r.get_ref(1).and_then(|v| v.as_str().map_err(Into::into)).map_err(read)?;
        let concern: i64 = r.get(2).map_err(read)?;
        let concluded: Option<i64> = r.get(3).map_err(read)?;
        rows.add(StoredRow {
            person,
            case_id,
            concern_quarter: concern as u32,
            concluded_quarter: concluded.map(|c| c as u32),
            record: blob(4)?,
        })?;
    }
    drop(found);
    Ok(rows)
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
    /// A stored value of the node's own (the coordinator's pinned key, for example).
    pub async fn setting(&self, key: &str) -> Result<Option<String>, NodeStoreError> {
        self.meta(key).await
    }

    /// Stores a value of the node's own.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), NodeStoreError> {
        self.set_meta(key, value).await
    }

    /// The coordinator's receipt-signing keys this node trusts (base64url public keys): the one
    /// pinned now, if any, and those pinned before it, trusted for earlier receipts only.
    pub async fn coordinator_keys(&self) -> Result<(Option<String>, Vec<String>), NodeStoreError> {
        let pinned = self.meta(COORDINATOR_KEY).await?;
        let previous = match self.meta(PREVIOUS_COORDINATOR_KEYS).await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                NodeStoreError::CorruptSetting(format!(
                    "the node's list of earlier coordinator keys is not a JSON list of keys ({e}): restore the \
                     database from backup"
                ))
            })?,
            None => Vec::new(),
        };
        Ok((pinned, previous))
    }

    /// Pins the coordinator's key `current` and keeps `previous` as the earlier keys, in one
    /// transaction: a crash never leaves a node with the new key but without the old ones.
    pub async fn pin_coordinator_keys(&self, current: &str, previous: &[String]) -> Result<(), NodeStoreError> {
        let previous = serde_json::to_string(previous).expect("a list of strings serialises");
        let mut tx = self.db.begin().await?;
        for (key, value) in [(COORDINATOR_KEY, current), (PREVIOUS_COORDINATOR_KEYS, previous.as_str())] {
            sqlx::query(
                "INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

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
    ) -> Result<(), NodeStoreError> {
        sqlx::query(
            "UPDATE outbox SET receipt_jws = $1, received_at = $2, last_error = NULL WHERE quarter = $3 AND revision = $4",
        )
        .bind(receipt_jws)
        .bind(at)
        .bind(i64::from(period.ordinal()))
        .bind(i64::from(revision))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Records who approved a release.
    pub async fn approve(&self, period: Period, revision: u32, by: &str, at: &str) -> Result<(), NodeStoreError> {
        sqlx::query(
            "INSERT INTO approvals (quarter, revision, approved_by, approved_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (quarter, revision) DO UPDATE SET approved_by = excluded.approved_by, approved_at = excluded.approved_at",
        )
        .bind(i64::from(period.ordinal()))
        .bind(i64::from(revision))
        .bind(by)
        .bind(at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Who approved a release, and when.
    pub async fn approval(&self, period: Period, revision: u32) -> Result<Option<(String, String)>, NodeStoreError> {
        let row = sqlx::query("SELECT approved_by, approved_at FROM approvals WHERE quarter = $1 AND revision = $2")
            .bind(i64::from(period.ordinal()))
            .bind(i64::from(revision))
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}

fn period_of(ordinal: i64) -> Result<Period, NodeStoreError> {
    u32::try_from(ordinal)
        .ok()
        .and_then(Period::from_ordinal)
        .ok_or_else(|| NodeStoreError::Corrupt(crate::stored::CorruptRecord::new("quarter out of range")))
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
