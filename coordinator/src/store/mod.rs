//! All of the coordinator's SQL.

use std::collections::{HashMap, HashSet};

use msp_schemas::{CouncilCode, Period};
use msp_store::{
    Db, Migration, StoreError,
    sqlx::{self, Any, Row, Transaction},
};

/// The coordinator's schema, in order. Never edit a migration that has landed: add one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "council keys and submissions",
        sqlite: include_str!("../../migrations/sqlite/0001_submissions.sql"),
        postgres: include_str!("../../migrations/postgres/0001_submissions.sql"),
    },
    Migration {
        version: 2,
        description: "bearer tokens",
        sqlite: include_str!("../../migrations/sqlite/0002_tokens.sql"),
        postgres: include_str!("../../migrations/postgres/0002_tokens.sql"),
    },
    ledger::MIGRATION,
    sessions::MIGRATION,
    publication::MIGRATION,
    comparators::MIGRATION,
];

/// A bearer token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRecord {
    /// Its id (to revoke it by).
    pub id: String,
    /// Its role.
    pub role: String,
    /// Who or what it is for.
    pub label: String,
    /// When it was made.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Errors from the coordinator's database.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorStoreError {
    /// Opening or querying failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something stored that cannot be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for CoordinatorStoreError {
    fn from(e: sqlx::Error) -> Self {
        CoordinatorStoreError::Store(StoreError::Sql(e))
    }
}

type Result<T> = std::result::Result<T, CoordinatorStoreError>;

mod comparators;
pub use comparators::StoredGroup;
mod ledger;
mod publication;
mod sessions;
pub use sessions::NewSession;

/// An enrolled key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CouncilKey {
    /// RFC 7638 thumbprint.
    pub fingerprint: String,
    /// The council it signs for.
    pub council: CouncilCode,
    /// The public key, base64url.
    pub public_key: String,
    /// When it was enrolled (RFC 3339).
    pub enrolled_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A submission to be written to the log.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    /// Its leaf index.
    pub log_index: u64,
    /// Its id.
    pub submission_id: String,
    /// The council.
    pub council: CouncilCode,
    /// The quarter.
    pub period: Period,
    /// The revision.
    pub revision: u32,
    /// The spec id.
    pub spec: &'a str,
    /// The key that signed it.
    pub key_fingerprint: &'a str,
    /// SHA-256 of the JWS.
    pub jws_sha256: &'a [u8; 32],
    /// The JWS as received.
    pub jws: &'a str,
    /// The release JSON.
    pub payload: &'a str,
    /// The ρ the release publishes (its `privacy.rho`): the ledger's charge.
    pub rho: f64,
    /// When it arrived (RFC 3339).
    pub received_at: &'a str,
    /// The signed receipt.
    pub receipt_jws: String,
}

/// A stored submission, for reading releases back.
#[derive(Debug, Clone)]
pub struct StoredSubmission {
    /// Its leaf index.
    pub log_index: u64,
    /// The council.
    pub council: String,
    /// The quarter (ordinal).
    pub quarter: u32,
    /// The revision.
    pub revision: u32,
    /// The release JSON.
    pub payload: String,
}

/// The coordinator's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

fn key_of(r: &sqlx::any::AnyRow) -> Result<CouncilKey> {
    let council: String = r.try_get(1)?;
    Ok(CouncilKey {
        fingerprint: r.try_get(0)?,
        council: council.parse().map_err(|e| CoordinatorStoreError::Corrupt(format!("{e}")))?,
        public_key: r.try_get(2)?,
        enrolled_at: r.try_get(3)?,
        revoked_at: r.try_get(4)?,
    })
}

impl Store {
    /// Opens and migrates the database at `url`, and records the published ρ of submissions
    /// stored before the ledger had a column for it.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self { db: Db::open(url, MIGRATIONS).await? };
        store.backfill_published_rho().await?;
        Ok(store)
    }

    /// The underlying database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Records an enrolled key (or returns it if it is already enrolled for that council).
    pub async fn enrol(&self, key: &CouncilKey) -> Result<CouncilKey> {
        if let Some(existing) = self.key(&key.fingerprint).await? {
            return Ok(existing);
        }
        sqlx::query(
            "INSERT INTO council_keys (fingerprint, council, public_key, enrolled_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (fingerprint) DO NOTHING",
        )
        .bind(&key.fingerprint)
        .bind(key.council.as_str())
        .bind(&key.public_key)
        .bind(&key.enrolled_at)
        .execute(self.db.pool())
        .await?;
        self.key(&key.fingerprint).await?.ok_or_else(|| CoordinatorStoreError::Corrupt("enrolled key vanished".into()))
    }

    /// The key with this thumbprint.
    pub async fn key(&self, fingerprint: &str) -> Result<Option<CouncilKey>> {
        let row = sqlx::query(
            "SELECT fingerprint, council, public_key, enrolled_at, revoked_at FROM council_keys WHERE fingerprint = $1",
        )
        .bind(fingerprint)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(key_of).transpose()
    }

    /// Every key, or one council's, by council then enrolment.
    pub async fn keys(&self, council: Option<CouncilCode>) -> Result<Vec<CouncilKey>> {
        let rows = sqlx::query(
            "SELECT fingerprint, council, public_key, enrolled_at, revoked_at FROM council_keys
             WHERE $1 = '' OR council = $1 ORDER BY council, enrolled_at",
        )
        .bind(council.map_or("", |c| c.as_str()))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(key_of).collect()
    }

    /// Revokes a council's key (one, or all not yet revoked); returns how many were revoked.
    pub async fn revoke(&self, council: CouncilCode, fingerprint: Option<&str>, at: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE council_keys SET revoked_at = $1
             WHERE council = $2 AND revoked_at IS NULL AND ($3 = '' OR fingerprint = $3)",
        )
        .bind(at)
        .bind(council.as_str())
        .bind(fingerprint.unwrap_or(""))
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Starts the transaction that appends to the log: one writer at a time, on every replica.
    pub async fn begin_append(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.db.begin_exclusive("submissions").await?)
    }

    /// The leaf data (SHA-256 of each JWS) from `start` on, in log order.
    pub async fn leaves_from<'e>(e: impl sqlx::Executor<'e, Database = Any>, start: u64) -> Result<Vec<[u8; 32]>> {
        let rows = sqlx::query("SELECT jws_sha256 FROM submissions WHERE log_index >= $1 ORDER BY log_index")
            .bind(start as i64)
            .fetch_all(e)
            .await?;
        rows.iter()
            .map(|r| {
                let v: Vec<u8> = r.try_get(0)?;
                v.try_into().map_err(|_| CoordinatorStoreError::Corrupt("a leaf is not 32 bytes".into()))
            })
            .collect()
    }

    /// Entries in the log.
    pub async fn log_size<'e>(e: impl sqlx::Executor<'e, Database = Any>) -> Result<u64> {
        let n: i64 =
            sqlx::query("SELECT COALESCE(MAX(log_index) + 1, 0) FROM submissions").fetch_one(e).await?.try_get(0)?;
        Ok(n as u64)
    }

    /// The SHA-256 and signed receipt of each submission stored for one of these
    /// (council, period, revision) identities, in one query.
    pub async fn by_identities(
        &self,
        tx: &mut Transaction<'static, Any>,
        identities: &[(CouncilCode, Period, u32)],
    ) -> Result<HashMap<(CouncilCode, Period, u32), (Vec<u8>, String)>> {
        if identities.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT council, quarter, revision, jws_sha256, receipt_jws FROM submissions
             WHERE (council, quarter, revision) IN (VALUES {})",
            msp_store::placeholders(self.db.backend(), identities.len(), 3, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (c, p, r) in identities {
            q = q.bind(c.as_str()).bind(i64::from(p.ordinal())).bind(i64::from(*r));
        }
        let rows = q.fetch_all(&mut **tx).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            let council: String = r.try_get(0)?;
            let council: CouncilCode = council.parse().map_err(|e| CoordinatorStoreError::Corrupt(format!("{e}")))?;
            let quarter: i64 = r.try_get(1)?;
            let period = u32::try_from(quarter)
                .ok()
                .and_then(Period::from_ordinal)
                .ok_or_else(|| CoordinatorStoreError::Corrupt("a stored quarter is out of range".into()))?;
            let revision: i64 = r.try_get(2)?;
            out.insert((council, period, revision as u32), (r.try_get(3)?, r.try_get(4)?));
        }
        Ok(out)
    }

    /// Which of these key fingerprints are revoked (read inside the log transaction, so a
    /// revocation takes effect for every submission not yet committed).
    pub async fn revoked_among(
        &self,
        tx: &mut Transaction<'static, Any>,
        fingerprints: &[&str],
    ) -> Result<HashSet<String>> {
        if fingerprints.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "SELECT fingerprint FROM council_keys WHERE revoked_at IS NOT NULL AND fingerprint IN {}",
            msp_store::placeholders(self.db.backend(), 1, fingerprints.len(), 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for f in fingerprints {
            q = q.bind(*f);
        }
        q.fetch_all(&mut **tx).await?.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// The leaf index of the submission whose JWS has this SHA-256.
    pub async fn index_of(&self, jws_sha256: &[u8; 32]) -> Result<Option<u64>> {
        let row = sqlx::query("SELECT log_index FROM submissions WHERE jws_sha256 = $1")
            .bind(jws_sha256.to_vec())
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| Ok(r.try_get::<i64, _>(0)? as u64)).transpose()
    }

    /// Appends submissions inside the log transaction, in one statement.
    pub async fn insert(&self, tx: &mut Transaction<'static, Any>, rows: &[NewSubmission<'_>]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO submissions (log_index, submission_id, council, quarter, revision, spec, key_fingerprint,
                jws_sha256, jws, payload, rho, received_at, receipt_jws) VALUES {}",
            msp_store::placeholders(self.db.backend(), rows.len(), 13, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in rows {
            q = q
                .bind(s.log_index as i64)
                .bind(s.submission_id.as_str())
                .bind(s.council.as_str())
                .bind(i64::from(s.period.ordinal()))
                .bind(i64::from(s.revision))
                .bind(s.spec)
                .bind(s.key_fingerprint)
                .bind(s.jws_sha256.to_vec())
                .bind(s.jws)
                .bind(s.payload)
                .bind(s.rho)
                .bind(s.received_at)
                .bind(s.receipt_jws.as_str());
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }

    /// Stores a new token's hash.
    pub async fn add_token(&self, record: &TokenRecord, hash: &str) -> Result<()> {
        sqlx::query("INSERT INTO tokens (id, token_sha256, role, label, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&record.id)
            .bind(hash)
            .bind(&record.role)
            .bind(&record.label)
            .bind(&record.created_at)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The role of an unrevoked token with this hash.
    pub async fn token_role(&self, hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT role FROM tokens WHERE token_sha256 = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    /// Every token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query("SELECT id, role, label, created_at, revoked_at FROM tokens ORDER BY created_at, id")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRecord {
                    id: r.try_get(0)?,
                    role: r.try_get(1)?,
                    label: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    revoked_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Revokes a token by id; returns whether one was revoked.
    pub async fn revoke_token(&self, id: &str, at: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Submissions from log entry `start` on, in log order (to keep an in-memory copy current).
    pub async fn submissions_from(&self, start: u64) -> Result<Vec<StoredSubmission>> {
        let rows = sqlx::query(
            "SELECT log_index, council, quarter, revision, payload FROM submissions WHERE log_index >= $1 ORDER BY log_index",
        )
        .bind(start as i64)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredSubmission {
                    log_index: r.try_get::<i64, _>(0)? as u64,
                    council: r.try_get(1)?,
                    quarter: r.try_get::<i64, _>(2)? as u32,
                    revision: r.try_get::<i64, _>(3)? as u32,
                    payload: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// When each (council, quarter, revision) was received, for the submission status view.
    pub async fn received(&self) -> Result<Vec<(String, u32, u32, String)>> {
        let rows = sqlx::query("SELECT council, quarter, revision, received_at FROM submissions ORDER BY log_index")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? as u32, r.try_get::<i64, _>(2)? as u32, r.try_get(3)?)))
            .collect()
    }
}
