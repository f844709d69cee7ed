//! Crash safety of the budget ledger: `msp-node release` processes are killed (SIGKILL) at
//! random moments, again and again. Afterwards spent ρ never exceeds the caps, and every stored
//! release has the ledger entry that paid for it. On SQLite, and PostgreSQL when configured.

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use msp_node::{
    clock,
    config::{Budget, ContextConfig, DataDir, NodeConfig},
    keys::NodeSecret,
    store::{Store, StoredPolicy},
};
use msp_schemas::{
    Period, Release,
    codes::{MspLevel, TeamModel},
    policy::NetworkPolicy,
};
use msp_store::testing::databases;
use rand::Rng;

const PERIOD: &str = "2026-27-Q1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_releases_at_random_moments_never_overspends_or_orphans_a_release() {
    let budget = Budget { rho_per_release: 0.5, rho_per_quarter: 3.0, rho_per_four_quarters: 10.0, delta: 1e-6 };
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("node"));
        let config = NodeConfig {
            council: common::COUNCIL.parse().unwrap(),
            // Nothing listens on port 1: the release's policy refresh fails at once.
            coordinator_url: "https://127.0.0.1:1".into(),
            ca_cert: None,
            database_url: Some(db.url.clone()),
            context: Some(ContextConfig {
                team_model: TeamModel::Locality,
                msp_level: MspLevel::Bronze,
                recording_system: String::new(),
                validated: false,
            }),
            budget: Some(budget),
            submission: None,
            web: None,
            spec: None,
        };
        data.save(&config).unwrap();
        NodeSecret::create(&data.keys_dir()).unwrap();
        let store = Store::open(&db.url, config.council).await.unwrap();
        // A network policy that lets this node's budget revise a quarter many times over, so that
        // the kills land in many releases.
        let policy = NetworkPolicy {
            rho_per_quarter: budget.rho_per_quarter,
            rho_per_four_quarters: budget.rho_per_four_quarters,
            max_revision: 1_000,
            ..NetworkPolicy::default()
        };
        let stored = StoredPolicy {
            jws: "(set by the test)".into(),
            json: serde_json::to_string(&policy).unwrap(),
            fetched_at: "2026-07-01T00:00:00Z".into(),
        };
        store.keep_network_policy(&stored).await.unwrap();
        let secret = NodeSecret::load(&data.keys_dir()).unwrap();
        let csv = dir.path().join("cases.csv");
        std::fs::write(&csv, common::synthetic(1_500, 1, 5)).unwrap();
        let options = msp_node::import::ImportOptions {
            mapping: None,
            rejects_path: None,
            rejects_dir: data.rejects_dir(),
            progress: false,
            clock: clock::system(),
            max_rejected: None,
        };
        msp_node::import::import_file(&store, &secret, &csv, options).await.unwrap();

        let run = |revise: bool| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_msp-node"));
            cmd.arg("--data-dir").arg(data.root()).args(["release", "--period", PERIOD, "--yes"]);
            if revise {
                cmd.arg("--revise");
            }
            cmd.env_remove("MSP_NODE_DATABASE_URL").stdout(Stdio::null()).stderr(Stdio::null());
            cmd
        };
        // How long an uninterrupted release takes, to aim the kills across all of it.
        let start = Instant::now();
        assert!(run(false).status().unwrap().success());
        let full = start.elapsed();

        let mut rng = rand::rng();
        let mut killed = 0;
        for _ in 0..30 {
            let mut child = run(true).spawn().unwrap();
            let delay = rng.random_range(0..=full.as_micros() as u64 * 3 / 2);
            std::thread::sleep(Duration::from_micros(delay));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                killed += 1;
            }
            child.wait().unwrap();
        }
        assert!(killed > 0, "some releases were killed part-way");

        let charges = store.charges().await.unwrap();
        let spent: f64 = charges.iter().map(|c| c.rho).sum();
        assert!(spent <= budget.rho_per_quarter, "spent {spent} > {}", budget.rho_per_quarter);
        let period: Period = PERIOD.parse().unwrap();
        let releases = store.releases().await.unwrap();
        assert!(!releases.is_empty());
        let paid: Vec<_> = charges.iter().filter_map(|c| c.revision).collect();
        for r in &releases {
            assert!(paid.contains(&r.revision), "release {} has its ledger entry", r.revision);
            let doc = Release::from_json(r.document.as_bytes()).expect("every stored release is complete and valid");
            assert_eq!(doc.period(), period);
            let charge = charges.iter().find(|c| c.revision == Some(r.revision)).unwrap();
            assert!((charge.rho - doc.fields().privacy.rho).abs() < 1e-12, "charged what the document states");
        }
        assert_eq!(paid.len(), releases.len(), "no two releases share a charge");
        let revisions: Vec<u32> = releases.iter().map(|r| r.revision).collect();
        assert_eq!(revisions, (1..=releases.len() as u32).collect::<Vec<_>>(), "revisions are consecutive");
        eprintln!(
            "{:?}: {killed} of 30 releases killed; {} charges (ρ = {spent:.4}), {} releases",
            db.backend,
            charges.len(),
            releases.len()
        );
        store.db().close().await;
    }
}
