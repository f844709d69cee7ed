//! Rotating the coordinator's receipt-signing key, over real TLS on loopback, on SQLite and
//! PostgreSQL: the operator runs `msp-coordinator signing-key --rotate` and restarts; the node
//! refuses the new key and says what to do; `msp-node trust-coordinator-key` refuses a fingerprint
//! that is not the served key's and changes nothing; with the right one the node submits again, and
//! the receipt the old key signed still verifies.

use std::path::Path;

use clap::Parser;
use msp_coordinator::signing_key::SigningKey;
use msp_node::{
    cli::CliError,
    submit::{Backoff, SubmitError},
};
use msp_schemas::Period;
use msp_store::testing::databases;
use msp_tests::{NodeSpec, Options, TestCoordinator, TestNode};

const COUNCIL: &str = "E06000047";

fn quarter(n: u8) -> Period {
    format!("2026-27-Q{n}").parse().unwrap()
}

/// Runs `msp-node` in-process with the node's data directory, as the council's staff would.
async fn node_cli(node: &TestNode, args: &[&str]) -> Result<(), CliError> {
    let dir = node.dir();
    let argv = [&["msp-node", "--data-dir", dir.to_str().unwrap()], args].concat();
    msp_node::cli::run(msp_node::cli::Cli::try_parse_from(argv).expect("the arguments parse")).await
}

/// Runs `msp-coordinator` in-process with the coordinator's data directory, as its operator would.
async fn coordinator_cli(dir: &Path, db: &str, args: &[&str]) {
    let argv = [&["msp-coordinator", "--data-dir", dir.to_str().unwrap(), "--database-url", db], args].concat();
    msp_coordinator::cli::run(msp_coordinator::cli::Cli::try_parse_from(argv).expect("the arguments parse"))
        .await
        .expect("the coordinator's command succeeds");
}

/// The key the node has pinned and those it keeps for earlier receipts.
async fn pinned(node: &TestNode) -> (Option<String>, Vec<String>) {
    node.store.coordinator_keys().await.unwrap()
}

/// The `kid` of the stored receipt of `period`: the fingerprint of the key that signed it.
async fn receipt_kid(node: &TestNode, period: Period) -> String {
    let outbox = node.store.outbox(Some(period)).await.unwrap();
    let jws = outbox[0].receipt_jws.clone().expect("a receipt");
    msp_protocol::jws::Compact::parse(&jws, msp_protocol::jws::TYP_RECEIPT).unwrap().header.kid
}

#[tokio::test]
async fn after_the_coordinator_rotates_its_key_a_node_trusts_the_new_one_only_with_its_fingerprint_and_old_receipts_still_verify()
 {
    msp_tests::crypto();
    for db in databases().await {
        let (cdir, ndir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
        let spec = NodeSpec {
            council: COUNCIL.parse().unwrap(),
            last: quarter(2),
            quarters: 2,
            people: Some(60),
            seed: 7,
            database_url: None,
        };
        let node = TestNode::new(ndir.path(), spec, &c.base, &c.ca).await;
        node.release(quarter(1), false, "2026-07-20T10:00:00Z").await;
        node.release(quarter(2), false, "2026-10-20T10:00:00Z").await;
        c.enrol(COUNCIL, node.key.public_key()).await;

        // Q1 goes in under the first key, which the node pins.
        node_cli(&node, &["submit", "--period", "2026-27-Q1"]).await.unwrap();
        let keys = cdir.path().join("keys");
        let old = SigningKey::load(&keys).unwrap().public();
        assert_eq!(pinned(&node).await, (Some(old.public_key.clone()), vec![]), "{db:?}");
        assert_eq!(receipt_kid(&node, quarter(1)).await, old.fingerprint);

        // The operator rotates the key and restarts the coordinator.
        let c = {
            let url = c.url.clone();
            let (addr, dir) = (c.addr, c.dir.clone());
            c.stop().await;
            coordinator_cli(&dir, &url, &["signing-key", "--rotate"]).await;
            TestCoordinator::start(dir, &url, Options { addr, ..Options::default() }).await
        };
        let new = SigningKey::load(&keys).unwrap().public();
        assert_ne!(new.fingerprint, old.fingerprint);

        // The node refuses the new key, sends nothing, and says what to do.
        let refused = node_cli(&node, &["submit", "--period", "2026-27-Q2"]).await.unwrap_err();
        assert!(matches!(refused, CliError::Submit(SubmitError::KeyChanged { .. })), "{refused}");
        let advice = refused.to_string();
        assert!(advice.contains(&new.fingerprint) && advice.contains(&old.fingerprint), "{advice}");
        assert!(advice.contains("operator") && advice.contains("msp-node trust-coordinator-key --fingerprint"));
        assert_eq!(c.stored().await, 1, "nothing was sent under a key the node does not trust");

        // A wrong fingerprint (here the old key's) is refused, naming the one served; nothing changes.
        let wrong = node_cli(&node, &["trust-coordinator-key", "--fingerprint", &old.fingerprint]).await.unwrap_err();
        assert!(matches!(wrong, CliError::Submit(SubmitError::WrongFingerprint { .. })), "{wrong}");
        assert!(wrong.to_string().contains(&new.fingerprint) && wrong.to_string().contains("nothing was changed"));
        assert_eq!(pinned(&node).await, (Some(old.public_key.clone()), vec![]));
        let still = node_cli(&node, &["submit", "--period", "2026-27-Q2"]).await.unwrap_err();
        assert!(matches!(still, CliError::Submit(SubmitError::KeyChanged { .. })), "{still}");

        // The right fingerprint: the new key is pinned, the old one kept for its receipts.
        node_cli(&node, &["trust-coordinator-key", "--fingerprint", &new.fingerprint]).await.unwrap();
        assert_eq!(pinned(&node).await, (Some(new.public_key.clone()), vec![old.public_key.clone()]));
        node_cli(&node, &["submit", "--period", "2026-27-Q2"]).await.unwrap();
        assert_eq!(c.stored().await, 2);
        assert_eq!(receipt_kid(&node, quarter(2)).await, new.fingerprint);

        // The receipt the old key signed still verifies, against a tree head the new key signed.
        node_cli(&node, &["verify-receipt", "--period", "2026-27-Q1"]).await.unwrap();
        node_cli(&node, &["verify-receipt", "--period", "2026-27-Q2"]).await.unwrap();
        let s = node.submitter(Backoff::default());
        let verified = s.verify(quarter(1), None).await.unwrap();
        assert_eq!(verified.head.tree_size, 2, "checked against the log as it is now");
        // Sending Q1 again gets the receipt the old key signed, which is still accepted.
        let o = node.store.outgoing(quarter(1), 1).await.unwrap().unwrap();
        assert!(s.send(&o).await.unwrap().repeated);
        c.stop().await;
    }
}
