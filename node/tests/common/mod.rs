//! Shared set-up for the node's integration tests: a node's store and secret on a fresh
//! database, and small case files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use msp_node::{
    clock,
    config::{ContextConfig, NodeConfig},
    import::{self, ImportError, ImportOptions, ImportSummary, Mapping},
    keys::NodeSecret,
    store::Store,
};
use msp_store::testing::TestDb;
use msp_synth::SynthOptions;

/// The council every test node belongs to.
pub const COUNCIL: &str = "E06000001";

/// A node's database and secret for one test.
pub struct Node {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub secret: NodeSecret,
}

impl Node {
    pub async fn new(db: &TestDb) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&db.url, COUNCIL.parse().unwrap()).await.unwrap();
        let secret = NodeSecret::create(dir.path()).unwrap();
        Self { dir, store, secret }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub async fn import(&self, file: &Path) -> Result<ImportSummary, ImportError> {
        self.import_with(file, None, None).await
    }

    pub async fn import_with(
        &self,
        file: &Path,
        mapping: Option<Mapping>,
        rejects: Option<PathBuf>,
    ) -> Result<ImportSummary, ImportError> {
        let options = ImportOptions {
            mapping,
            rejects_path: rejects,
            rejects_dir: self.path("rejects"),
            progress: false,
            clock: clock::system(),
            max_rejected: None,
        };
        import::import_file(&self.store, &self.secret, file, options).await
    }

    pub async fn cases(&self) -> i64 {
        self.store.case_count().await.unwrap()
    }
}

/// A synthetic case file for the test council.
pub fn synthetic(people: u32, history_quarters: u32, seed: u64) -> Vec<u8> {
    let options = SynthOptions {
        council: COUNCIL.parse().unwrap(),
        period: "2026-27-Q1".parse().unwrap(),
        people: Some(people),
        history_quarters,
        seed,
    };
    msp_synth::generate(&options).unwrap().0
}

/// Data rows in a CSV text without embedded newlines.
pub fn data_lines(csv: &[u8]) -> u64 {
    csv.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64 - 1
}

/// Asserts read = imported + updated + unchanged + rejected.
pub fn assert_accounted(s: &ImportSummary) {
    let c = &s.counts;
    assert_eq!(c.rows_read, c.imported + c.updated + c.unchanged + c.rejected, "{c:?}");
}

pub const HEADER: &str = "case_id,person_id,concern_date,enquiry_type,concluded_date,outcomes_asked,outcomes_achieved";

/// The configuration of a test node: the test council, a coordinator no one answers at, and a
/// declared context (tests change what they need with `..config()`).
pub fn config() -> NodeConfig {
    NodeConfig {
        council: COUNCIL.parse().unwrap(),
        coordinator_url: "https://coordinator.test".into(),
        ca_cert: None,
        database_url: None,
        context: Some(ContextConfig {
            team_model: msp_schemas::codes::TeamModel::Hybrid,
            msp_level: msp_schemas::codes::MspLevel::Gold,
            recording_system: "CaseWorks 4".into(),
            validated: true,
        }),
        budget: None,
        submission: None,
        web: None,
        spec: None,
    }
}

/// Runs the `msp-node` binary on the data directory `dir/data`, in `dir`.
pub fn node_command(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_msp-node"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .current_dir(dir)
        .env_remove("MSP_NODE_DATABASE_URL")
        .output()
        .expect("msp-node runs")
}
