//! All of the node's SQL, one file per table. Everything else calls these functions.
//!
//! - [`cases`]: the imports and the case records (one row per `case_id`: the person as a keyed
//!   hash, the dates and periods queries select on, and the validated record in the compact form
//!   of [`record`]);
//! - [`scan`]: the one read a release makes, handing plain stored rows to the release engine;
//! - [`ledger`]: the privacy budget ledger and the releases it paid for;
//! - [`outbox`]: signed releases waiting to be sent, their receipts, and approvals;
//! - [`settings`]: the node's own values (its council, the coordinator keys it trusts, the network
//!   policy it last fetched);
//! - [`people`]: the accounts of the local web view and their sessions;
//! - [`audit`]: the audit log, written with the change it records;
//! - [`record`]: the compact binary form of a stored case record.

pub mod all_rows;
pub mod audit;
pub mod cases;
pub mod ledger;
pub mod outbox;
pub mod people;
pub mod quarters;
pub mod record;
pub mod retention;
pub mod scan;
pub mod settings;

use msp_schemas::{CouncilCode, Period};
use msp_store::{
    Db, Migration, StoreError,
    sqlx::{self, Row},
};

pub use cases::{BATCH_ROWS, CaseRow, ImportCounts, ImportRecord, PeriodHoldings};
pub use ledger::{Charge, StoredRelease};
pub use outbox::{Approval, Outgoing};
pub use people::Session;
pub use record::CorruptRecord;
pub use scan::{CaseSink, ScannedCase};
pub use settings::StoredPolicy;

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
    Migration {
        version: 4,
        description: "accounts, sessions, the audit log, and who made and approved which release",
        sqlite: include_str!("../../migrations/sqlite/0004_people.sql"),
        postgres: include_str!("../../migrations/postgres/0004_people.sql"),
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
    Corrupt(#[from] CorruptRecord),
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

    /// A value of `node_meta`.
    async fn meta(&self, key: &str) -> Result<Option<String>, NodeStoreError> {
        let row =
            sqlx::query("SELECT value FROM node_meta WHERE key = $1").bind(key).fetch_optional(self.db.pool()).await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Sets a value of `node_meta`.
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
}

/// The quarter of a stored ordinal; one out of range means the database was altered.
fn period_of(ordinal: i64) -> Result<Period, NodeStoreError> {
    u32::try_from(ordinal)
        .ok()
        .and_then(Period::from_ordinal)
        .ok_or_else(|| NodeStoreError::Corrupt(CorruptRecord::new("quarter out of range")))
}
