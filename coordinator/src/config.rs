//! The coordinator's data directory: its signing key, development TLS files and (by default) its
//! SQLite database. A PostgreSQL URL comes from `--database-url` or `MSP_COORDINATOR_DATABASE_URL`.

use std::path::{Path, PathBuf};

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "msp-coordinator-data";
/// Environment variable for the database URL (use it for passwords).
pub const DATABASE_URL_ENV: &str = "MSP_COORDINATOR_DATABASE_URL";

/// A coordinator's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the signing key lives.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// Where development TLS files live.
    pub fn tls_dir(&self) -> PathBuf {
        self.root.join("tls")
    }

    /// The database URL: the flag's, the environment's, or `coordinator.db` in the directory.
    pub fn database_url(&self, flag: Option<&str>) -> String {
        flag.map(str::to_owned)
            .or_else(|| std::env::var(DATABASE_URL_ENV).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| msp_store::sqlite_url(&self.root.join("coordinator.db")))
    }
}
