//! The portable SQL layer that `msp-node` and `msp-coordinator` share.
//!
//! One database URL chooses the backend: `sqlite://path` (the embedded default: a file in the
//! data directory, WAL mode) or `postgres://…` (production). Both go through sqlx's `Any` driver,
//! so each query is written once (`$1` placeholders work on both); only the DDL of a migration is
//! written per backend, because the two dialects differ there.
//!
//! Migrations are embedded in the binary, numbered, and checksummed when applied: a database that
//! was migrated by a newer binary, or whose applied migration text no longer matches, is refused
//! with a message saying what to do, before anything is read or written.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    Any, AnyPool, ConnectOptions, Connection, Executor, Row, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
};

#[cfg(feature = "test-util")]
pub mod testing;

pub use sqlx;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::BadUrl(redact(url)))
        }
    }
}

/// One numbered schema change, in both dialects. Never edit one that has landed: add another.
#[derive(Debug)]
pub struct Migration {
    /// 1, 2, 3…: applied in order.
    pub version: i64,
    /// What it does.
    pub description: &'static str,
    /// The SQLite DDL.
    pub sqlite: &'static str,
    /// The PostgreSQL DDL.
    pub postgres: &'static str,
}

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    fn checksum(&self, backend: Backend) -> String {
        hex(ring::digest::digest(&ring::digest::SHA256, self.sql(backend).as_bytes()).as_ref())
    }
}

/// What can go wrong opening or migrating a database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Neither an SQLite nor a PostgreSQL URL.
    #[error(
        "{0:?} is not a database URL this software can use: give sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    BadUrl(String),
    /// The database could not be reached or opened.
    #[error("could not open the database at {url}: {source}")]
    Connect {
        /// The URL, without any password.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// The database was migrated by a newer version of the software.
    #[error(
        "the database at {url} has schema version {found}, newer than this software knows ({known}): \
         upgrade this software before using that database"
    )]
    TooNew {
        /// The URL.
        url: String,
        /// Highest applied version.
        found: i64,
        /// Highest version this binary has.
        known: i64,
    },
    /// An applied migration's text differs from the one in this binary.
    #[error(
        "migration {version} applied to the database at {url} differs from the one in this software: \
         the database was made by a different build; restore it from backup or use the matching build"
    )]
    Tampered {
        /// The URL.
        url: String,
        /// The migration.
        version: i64,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

/// An open, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

impl Db {
    /// Opens (creating an SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str, migrations: &[Migration]) -> Result<Self, StoreError> {
        let db = Self::connect(url).await?;
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// Opens the database without migrating it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let shown = redact(url);
        let connect_err = |source| StoreError::Connect { url: shown.clone(), source };
        let mut url = url.to_owned();
        if backend == Backend::Sqlite {
            if let Some(parent) = sqlite_path(&url).and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(&parent).map_err(|e| connect_err(sqlx::Error::Io(e)))?;
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
            }
        }
        // Bulk imports and releases run long statements by design: note them at debug level only.
        let options = AnyConnectOptions::from_str(&url)
            .map_err(connect_err)?
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
        // One direct attempt first, so that an unreachable server fails at once rather than after
        // the pool's acquire timeout.
        sqlx::AnyConnection::connect_with(&options).await.map_err(connect_err)?.close().await.ok();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Only takes effect when the file is created: 16 KiB pages make shallower
                        // B-trees for the large tables both binaries keep (measured: 10% faster
                        // bulk imports than 4 KiB).
                        conn.execute("PRAGMA page_size = 16384").await?;
                        // WAL lets readers run beside the one writer; NORMAL is durable in WAL mode
                        // against application crashes, which is what the budget ledger needs.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        Ok(Self { pool, backend, url: shown })
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL, with any password removed: safe to show.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Starts a transaction that no other writer can interleave with: on SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`, so read-then-write never fails half way); on PostgreSQL it
    /// locks `table` against other writers until commit. For check-then-write rules such as a
    /// privacy budget or an append-only log.
    pub async fn begin_exclusive(&self, table: &'static str) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let lock = format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE");
                tx.execute(sqlx::AssertSqlSafe(lock)).await?;
                Ok(tx)
            }
        }
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Applies the migrations not yet applied, in order, after checking those already applied.
    pub async fn migrate(&self, migrations: &[Migration]) -> Result<(), StoreError> {
        debug_assert!(
            migrations.windows(2).all(|w| w[0].version + 1 == w[1].version),
            "migrations are numbered 1, 2, …"
        );
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS msp_schema_migrations (
                    version BIGINT PRIMARY KEY,
                    description TEXT NOT NULL,
                    checksum TEXT NOT NULL
                )",
            )
            .await?;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // Several coordinator replicas may start at once: one migrates, the others wait.
            tx.execute("LOCK TABLE msp_schema_migrations IN EXCLUSIVE MODE").await?;
        }
        let applied = sqlx::query("SELECT version, checksum FROM msp_schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
        let known = migrations.last().map_or(0, |m| m.version);
        for row in &applied {
            let version: i64 = row.try_get(0)?;
            let checksum: String = row.try_get(1)?;
            let Some(m) = migrations.iter().find(|m| m.version == version) else {
                return Err(StoreError::TooNew { url: self.url.clone(), found: version, known });
            };
            if m.checksum(self.backend) != checksum {
                return Err(StoreError::Tampered { url: self.url.clone(), version });
            }
        }
        for m in migrations.iter().skip(applied.len()) {
            tracing::info!(version = m.version, description = m.description, "applying database migration");
            tx.execute(sqlx::raw_sql(m.sql(self.backend))).await?;
            sqlx::query("INSERT INTO msp_schema_migrations (version, description, checksum) VALUES ($1, $2, $3)")
                .bind(m.version)
                .bind(m.description)
                .bind(m.checksum(self.backend))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The highest applied migration.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COALESCE(MAX(version), 0) FROM msp_schema_migrations").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}

/// Placeholders for `rows` rows of `columns` values each, `(…),(…)`, numbered from `first`.
///
/// SQLite gets anonymous `?`: sqlx looks up each numbered `$n` by name and SQLite finds a name by
/// scanning its list of them, so binding thousands of numbered parameters is quadratic
/// (measured: more than half of a large import's time). PostgreSQL needs `$n`.
pub fn placeholders(backend: Backend, rows: usize, columns: usize, first: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(first + r * columns + c).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// The SQLite URL of a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The file path in an SQLite URL.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    match path {
        Some(p) => format!("{scheme}://{authority}/{p}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        write!(s, "{b:02x}").expect("writing to a String cannot fail");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/msp"), "postgres://app:***@db:5432/msp");
        assert_eq!(redact("postgres://postgres@127.0.0.1:5432/test"), "postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(redact("sqlite://./data/node.db"), "sqlite://./data/node.db");
    }

    #[test]
    fn backends_are_chosen_by_url_and_other_urls_are_refused() {
        assert_eq!(Backend::of_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgresql://h/d").unwrap(), Backend::Postgres);
        let err = Backend::of_url("mysql://root:pw@h/d").unwrap_err().to_string();
        assert!(err.contains("sqlite://PATH") && !err.contains("pw"), "{err}");
    }

    #[test]
    fn placeholders_number_every_parameter_once_on_postgres_and_are_anonymous_on_sqlite() {
        assert_eq!(placeholders(Backend::Postgres, 2, 3, 1), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(Backend::Postgres, 1, 2, 5), "($5,$6)");
        assert_eq!(placeholders(Backend::Sqlite, 2, 2, 1), "(?,?),(?,?)");
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_path("sqlite://data/node.db?mode=rwc"), Some("data/node.db"));
        assert_eq!(sqlite_path("sqlite:///abs/node.db"), Some("/abs/node.db"));
        assert_eq!(sqlite_path("postgres://h/d"), None);
    }
}
