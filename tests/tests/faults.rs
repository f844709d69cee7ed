//! Faults between a node and the coordinator, over real TLS on loopback, on SQLite and
//! PostgreSQL: nothing is lost and nothing is stored twice.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::Request,
    middleware::{self, Next},
    response::Response,
};
use msp_node::{
    config::{ContextConfig, NodeConfig, SubmissionConfig},
    keys::{NodeSecret, SigningKey},
    release,
    store::Store,
    submit::{Backoff, Coordinator, SubmitError, Submitter},
};
use msp_schemas::{
    Period,
    codes::{MspLevel, TeamModel},
};
use msp_store::testing::{TestDb, databases};
use msp_tests::{Options, TestCoordinator};

const COUNCIL: &str = "E06000047";

/// A node with one quarter released, on `db`.
struct TestNode {
    dir: tempfile::TempDir,
    store: Store,
    key: SigningKey,
    config: NodeConfig,
}

fn period() -> Period {
    "2026-27-Q1".parse().unwrap()
}

impl TestNode {
    async fn new(db: &TestDb, base: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&db.url, COUNCIL.parse().unwrap()).await.unwrap();
        let secret = NodeSecret::create(&dir.path().join("keys")).unwrap();
        let key = SigningKey::create(&dir.path().join("keys")).unwrap();
        let csv = dir.path().join("cases.csv");
        let options = msp_node::synth::SynthOptions {
            council: COUNCIL.parse().unwrap(),
            period: period(),
            people: Some(60),
            history_quarters: 0,
            seed: 4,
        };
        msp_node::synth::write(&options, &csv).unwrap();
        let import = msp_node::import::ImportOptions {
            mapping: None,
            rejects_path: None,
            rejects_dir: dir.path().join("rejects"),
            progress: false,
        };
        msp_node::import::import_file(&store, &secret, &csv, import).await.unwrap();
        let config = NodeConfig {
            council: COUNCIL.parse().unwrap(),
            coordinator_url: base.to_owned(),
            ca_cert: None,
            database_url: None,
            context: Some(ContextConfig {
                team_model: TeamModel::Specialist,
                msp_level: MspLevel::Silver,
                recording_system: String::new(),
                validated: true,
            }),
            budget: None,
            submission: None,
        };
        release::release(&store, &config, period(), false, "2026-07-20T10:00:00Z".parse().unwrap()).await.unwrap();
        Self { dir, store, key, config }
    }

    fn submitter(&self, c: &TestCoordinator, backoff: Backoff) -> Submitter<'_> {
        self.submitter_to(&c.base, &c.ca, backoff)
    }

    fn submitter_to(&self, base: &str, ca: &std::path::Path, backoff: Backoff) -> Submitter<'_> {
        Submitter {
            store: &self.store,
            config: &self.config,
            key: &self.key,
            coordinator: Coordinator::new(base, Some(ca), backoff).unwrap(),
        }
    }
}

fn quick() -> Backoff {
    Backoff { first: Duration::from_millis(50), max: Duration::from_millis(200), tries: 60 }
}

#[tokio::test]
async fn a_coordinator_restarted_while_a_node_submits_ends_with_exactly_one_stored_submission() {
    msp_tests::crypto();
    for db in databases().await {
        let node_db = TestDb::sqlite();
        let cdir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
        let (addr, base) = (c.addr, c.base.clone());
        let node = TestNode::new(&node_db, &base).await;
        c.enrol(COUNCIL, node.key.public_key()).await;
        c.stop().await;

        // The coordinator is down when the node starts sending; it comes back on the same port.
        let submitter = node.submitter_to(&base, &cdir.path().join("tls/ca.pem"), quick());
        let restart = async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            TestCoordinator::start(cdir.path().to_owned(), &db.url, Options { addr, ..Options::default() }).await
        };
        let send = async {
            let o = submitter.queue(period(), 1).await.unwrap();
            submitter.send(&o).await
        };
        let (sent, c) = tokio::join!(send, restart);
        let sent = sent.unwrap();
        assert_eq!(sent.receipt.log_index, 0);
        assert_eq!(c.stored().await, 1, "{:?}", db.backend);
        let o = node.store.outgoing(period(), 1).await.unwrap().unwrap();
        assert!(o.receipt_jws.is_some() && o.attempts >= 1);
        c.stop().await;
        drop(node.dir);
    }
}

/// Stores the first submission, then breaks the connection instead of answering.
fn drop_first_answer(router: axum::Router) -> axum::Router {
    let dropped = Arc::new(AtomicBool::new(false));
    router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let dropped = dropped.clone();
        async move {
            let post = req.uri().path() == "/v1/submissions";
            let response = next.run(req).await;
            if post && !dropped.swap(true, Ordering::SeqCst) {
                let (parts, _) = response.into_parts();
                let broken = futures_util::stream::once(async {
                    Err::<axum::body::Bytes, _>(std::io::Error::other("connection dropped"))
                });
                return Response::from_parts(parts, Body::from_stream(broken));
            }
            response
        }
    }))
}

#[tokio::test]
async fn a_connection_dropped_after_storing_is_retried_and_gets_the_same_receipt() {
    msp_tests::crypto();
    for db in databases().await {
        let node_db = TestDb::sqlite();
        let cdir = tempfile::tempdir().unwrap();
        let options = Options { wrap: Box::new(drop_first_answer), ..Options::default() };
        let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, options).await;
        let node = TestNode::new(&node_db, &c.base).await;
        c.enrol(COUNCIL, node.key.public_key()).await;
        let s = node.submitter(&c, quick());
        let o = s.queue(period(), 1).await.unwrap();
        let sent = s.send(&o).await.unwrap();
        assert!(sent.repeated, "the retry found the submission already stored ({:?})", db.backend);
        assert_eq!(c.stored().await, 1);
        assert!(node.store.outgoing(period(), 1).await.unwrap().unwrap().receipt_jws.is_some());
        c.stop().await;
    }
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_the_release_stays_queued() {
    msp_tests::crypto();
    let db = TestDb::sqlite();
    let node_db = TestDb::sqlite();
    let cdir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
    let node = TestNode::new(&node_db, &c.base).await;
    // Not enrolled: the coordinator refuses, once.
    let s = node.submitter(&c, quick());
    let o = s.queue(period(), 1).await.unwrap();
    let err = s.send(&o).await.unwrap_err();
    assert!(
        matches!(&err, SubmitError::Refused { problem, .. } if problem.type_uri == "/problems/unknown-key"),
        "{err}"
    );
    let o = node.store.outgoing(period(), 1).await.unwrap().unwrap();
    assert_eq!(o.attempts, 1);
    assert!(o.receipt_jws.is_none() && o.last_error.is_some());
    // Once enrolled, the queued bytes go through.
    c.enrol(COUNCIL, node.key.public_key()).await;
    assert!(!s.send(&o).await.unwrap().repeated);
    c.stop().await;
}

#[tokio::test]
async fn with_approval_required_an_unapproved_release_is_not_sent() {
    msp_tests::crypto();
    let db = TestDb::sqlite();
    let node_db = TestDb::sqlite();
    let cdir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
    let mut node = TestNode::new(&node_db, &c.base).await;
    c.enrol(COUNCIL, node.key.public_key()).await;
    node.config.submission = Some(SubmissionConfig { require_approval: true });
    let s = node.submitter(&c, quick());
    let err = s.queue(period(), 1).await.unwrap_err();
    assert!(err.to_string().contains("msp-node approve --period 2026-27-Q1"), "{err}");
    assert_eq!(c.stored().await, 0);
    node.store.approve(period(), 1, "A. Lead", "2026-07-21T09:00:00Z").await.unwrap();
    let o = s.queue(period(), 1).await.unwrap();
    s.send(&o).await.unwrap();
    assert_eq!(c.stored().await, 1);
    c.stop().await;
}

#[tokio::test]
async fn an_exported_submission_imported_by_the_operator_gets_the_receipt_the_node_then_verifies() {
    msp_tests::crypto();
    let db = TestDb::sqlite();
    let node_db = TestDb::sqlite();
    let cdir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
    let node = TestNode::new(&node_db, &c.base).await;
    c.enrol(COUNCIL, node.key.public_key()).await;
    let s = node.submitter(&c, quick());
    let o = s.queue(period(), 1).await.unwrap();
    // The operator takes the file in by hand (the same checks as HTTPS).
    let state = msp_coordinator::http::AppState::new(
        c.store.clone(),
        msp_coordinator::keys::SigningKey::load_or_create(&cdir.path().join("keys")).unwrap(),
        Arc::new(time::OffsetDateTime::now_utc),
    );
    let today = time::OffsetDateTime::now_utc().date();
    let checked = msp_coordinator::ingest::check(&c.store, &state.keys, o.jws.as_bytes(), today).await.unwrap();
    assert_eq!(checked.council.as_str(), COUNCIL);
    let logged = state.writer.submit(checked).await.unwrap();
    assert!(logged.new);
    // Later the node sends the same bytes online: it gets the same receipt and verifies it.
    let sent = s.send(&o).await.unwrap();
    assert!(sent.repeated);
    assert_eq!(sent.receipt, logged.body.receipt);
    let v = s.verify(period(), None).await.unwrap();
    assert_eq!(v.receipt.log_index, 0);
    c.stop().await;
}
