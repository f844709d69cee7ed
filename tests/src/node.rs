//! A council's node for end-to-end tests: a real data directory (`node.toml`, keys, database),
//! synthetic case records with their truth, imported by the real import code.

use std::path::{Path, PathBuf};

use msp_node::{
    clock,
    config::{ContextConfig, DataDir, NodeConfig},
    import::{ImportOptions, import_file},
    keys::{NodeSecret, SigningKey},
    release,
    store::Store,
    submit::{Backoff, Coordinator, Submitter},
};
use msp_schemas::{CouncilCode, Period, release::Release, release::Timestamp};
use msp_synth::{self as synth, CouncilProfile, SynthOptions, Truth};

/// What a test node holds.
pub struct NodeSpec {
    /// Its council.
    pub council: CouncilCode,
    /// The latest quarter of synthetic data.
    pub last: Period,
    /// How many quarters of data, ending with `last`.
    pub quarters: u32,
    /// People per quarter (`None`: the council's realistic size).
    pub people: Option<u32>,
    /// The synthetic draws' seed.
    pub seed: u64,
    /// Its database (`None`: SQLite in the data directory).
    pub database_url: Option<String>,
}

/// A node set up as `msp-node init` and `msp-node import` would leave it.
pub struct TestNode {
    /// Its data directory.
    pub data: DataDir,
    /// Its database.
    pub store: Store,
    /// Its signing key.
    pub key: SigningKey,
    /// Its configuration (also in `node.toml`).
    pub config: NodeConfig,
    /// The exact figures of its synthetic data.
    pub truth: Truth,
}

impl TestNode {
    /// Sets up a node in `dir` that sends to the coordinator at `base`, whose TLS certificate
    /// `ca` signs.
    pub async fn new(dir: &Path, spec: NodeSpec, base: &str, ca: &Path) -> Self {
        let data = DataDir::new(dir);
        std::fs::create_dir_all(dir).expect("the node's directory");
        let secret = NodeSecret::create(&data.keys_dir()).expect("a node secret");
        let key = SigningKey::create(&data.keys_dir()).expect("a signing key");
        let profile = CouncilProfile::of(spec.council);
        let config = NodeConfig {
            council: spec.council,
            coordinator_url: base.to_owned(),
            ca_cert: Some(ca.to_owned()),
            database_url: spec.database_url,
            context: Some(ContextConfig {
                team_model: profile.team_model,
                msp_level: profile.msp_level,
                recording_system: "synthetic test data".into(),
                validated: true,
            }),
            budget: None,
            submission: None,
            web: None,
            spec: None,
        };
        data.save(&config).expect("node.toml");
        let store = Store::open(&data.database_url(&config), spec.council).await.expect("the node's database");
        let csv = dir.join("cases.csv");
        let options = SynthOptions {
            council: spec.council,
            period: spec.last,
            people: spec.people,
            history_quarters: spec.quarters.saturating_sub(1),
            seed: spec.seed,
        };
        let truth = synth::write(&options, &csv).expect("synthetic data");
        let import = ImportOptions {
            mapping: None,
            rejects_path: None,
            rejects_dir: data.rejects_dir(),
            progress: false,
            clock: clock::system(),
            max_rejected: None,
        };
        import_file(&store, &secret, &csv, import).await.expect("the import");
        Self { data, store, key, config, truth }
    }

    /// Keeps the node on report spec `spec` (`spec` in `node.toml`), whatever the network accepts.
    pub fn pin(&mut self, spec: msp_schemas::SpecId) {
        self.config.spec = Some(spec);
        self.data.save(&self.config).expect("node.toml");
    }

    /// Its directory.
    pub fn dir(&self) -> PathBuf {
        self.data.root().to_owned()
    }

    /// Releases `period` (a revision if `revise`) as of `now`.
    pub async fn release(&self, period: Period, revise: bool, now: &str) -> Release {
        let now: Timestamp = now.parse().expect("a timestamp");
        release::release(&self.store, &self.config, period, revise, now).await.expect("the release").release
    }

    /// A submitter to the coordinator at `base`.
    pub fn submitter_to(&self, base: &str, ca: &Path, backoff: Backoff) -> Submitter<'_> {
        Submitter {
            store: &self.store,
            config: &self.config,
            key: &self.key,
            coordinator: Coordinator::new(base, Some(ca), backoff).expect("a coordinator client"),
            clock: clock::system(),
            by: msp_node::audit::Actor::command_line(None),
        }
    }

    /// A submitter to the coordinator in its configuration.
    pub fn submitter(&self, backoff: Backoff) -> Submitter<'_> {
        let ca = self.config.ca_cert.clone().expect("a CA");
        self.submitter_to(&self.config.coordinator_url, &ca, backoff)
    }

    /// Queues and sends the release of `period` at `revision`; whether it was already held.
    pub async fn submit(&self, period: Period, revision: u32, backoff: Backoff) -> bool {
        let s = self.submitter(backoff);
        let o = s.queue(period, revision).await.expect("queued");
        s.send(&o).await.expect("sent").repeated
    }
}
