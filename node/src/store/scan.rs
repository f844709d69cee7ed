//! The one read a release makes: every stored row of the quarter's populations and their
//! history, handed as plain [`ScannedCase`]s to sinks the release engine provides, one per share
//! of the people. The store builds none of the engine's types.

use msp_schemas::Period;
use msp_store::{
    Backend,
    sqlx::{self, Row},
};

use super::{NodeStoreError, Store, record::CorruptRecord};
use crate::keys::PERSON_KEY_LEN;

/// One stored case row, as a release reads it (borrowed from the read buffer: a release reads
/// millions).
#[derive(Debug, Clone, Copy)]
pub struct ScannedCase<'a> {
    /// The person's keyed hash.
    pub person: [u8; PERSON_KEY_LEN],
    /// The case id (for tie-breaks only).
    pub case_id: &'a str,
    /// Quarter of the concern (ordinal).
    pub concern_quarter: u32,
    /// Quarter of the conclusion (ordinal).
    pub concluded_quarter: Option<u32>,
    /// The encoded record ([`super::record::StoredCase`]).
    pub record: &'a [u8],
}

/// Takes in the scanned rows of one share of the people. Each sink is moved to a thread of its
/// own on SQLite, so it must be `Send`.
pub trait CaseSink: Send + 'static {
    /// The first bytes of the person keys this sink takes: `lo..hi` (`hi` is 256 for the last).
    /// The SQLite scan reads only this range; rows outside it may still be shown (and must be
    /// ignored).
    fn key_range(&self) -> (u16, u16);

    /// Takes in one row.
    fn add(&mut self, row: ScannedCase<'_>) -> Result<(), CorruptRecord>;
}

impl Store {
    /// Shows every sink in `shards` every stored row received in `period` or concluded in or
    /// before it: what a release of `period` needs (its populations, and history for the repeat
    /// flag).
    ///
    /// On SQLite each shard reads on a blocking thread of its own, through a read-only connection
    /// of its own, without copying: a million-person quarter must release in seconds, and sqlx
    /// costs about 5 µs a row here where rusqlite costs well under 1 (measured). On PostgreSQL
    /// the rows are streamed once to every shard.
    pub async fn scan_for_release<S: CaseSink>(
        &self,
        period: Period,
        shards: Vec<S>,
    ) -> Result<Vec<S>, NodeStoreError> {
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
                    let stored = ScannedCase {
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
}

/// Reads the rows a release of quarter `q` needs, for the people of one shard, from the SQLite
/// file at `path` into `rows`. The shard's key range is in the query, so each thread reads
/// only its own people.
fn scan_sqlite<S: CaseSink>(path: &str, q: i64, mut rows: S) -> Result<S, NodeStoreError> {
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
        rows.add(ScannedCase {
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
