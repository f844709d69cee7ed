//! A fresh, real database per test: a temporary SQLite file always, and a new `test_msp_<random>`
//! PostgreSQL database when `MSP_TEST_POSTGRES_URL` (or `DATABASE_URL`) points at a server.
//!
//! ```ignore
//! for db in msp_store::testing::databases().await {
//!     let store = Store::open(&db.url).await?;
//!     // …
//! }
//! ```

use rand::Rng;
use sqlx::{AnyConnection, Connection, Executor};
use tempfile::TempDir;

use crate::{Backend, sqlite_url};

/// The environment variables that name a PostgreSQL server for tests, in order of preference.
pub const POSTGRES_ENV: [&str; 2] = ["MSP_TEST_POSTGRES_URL", "DATABASE_URL"];

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Its backend.
    pub backend: Backend,
    dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDb({})", crate::redact(&self.url))
    }
}

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = sqlite_url(&dir.path().join("test.db"));
        Self { url, backend: Backend::Sqlite, dir: Some(dir), postgres: None }
    }

    /// A new PostgreSQL database, or `None` (with a note on stderr) when no server is configured.
    pub async fn postgres() -> Option<Self> {
        let Some(admin) = POSTGRES_ENV.iter().find_map(|k| std::env::var(k).ok().filter(|v| v.starts_with("postgres")))
        else {
            eprintln!(
                "PostgreSQL variant skipped: set MSP_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
                 (.ci/run does this when a server answers)"
            );
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = format!("test_msp_{:016x}", rand::rng().random::<u64>());
        let mut conn = AnyConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{} is set but PostgreSQL does not answer: {e}", POSTGRES_ENV[0]));
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("CREATE DATABASE");
        conn.close().await.ok();
        let url = with_database(&admin, &name);
        Some(Self { url, backend: Backend::Postgres, dir: None, postgres: Some((admin, name)) })
    }

    /// The directory of an SQLite test database (for other files a test needs).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(TempDir::path)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else { return };
        // Drop cannot await, and may run inside a runtime: do the cleanup on a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = AnyConnection::connect(&admin).await {
                    let _ =
                        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A fresh SQLite database, and a fresh PostgreSQL one when a server is configured.
pub async fn databases() -> Vec<TestDb> {
    let mut out = vec![TestDb::sqlite()];
    out.extend(TestDb::postgres().await);
    out
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_in_a_url() {
        assert_eq!(with_database("postgres://p@h:5432/postgres", "t1"), "postgres://p@h:5432/t1");
        assert_eq!(with_database("postgres://p@h:5432", "t1"), "postgres://p@h:5432/t1");
        assert_eq!(with_database("postgres://p@h/db?sslmode=disable", "t1"), "postgres://p@h/t1?sslmode=disable");
    }
}
