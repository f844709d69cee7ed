//! Faults between a node and the coordinator, over real TLS on loopback, on SQLite and
//! PostgreSQL: nothing is lost and nothing is stored twice, even when the node's process is
//! killed in the middle of a submission.

use std::{
    path::Path,
    process::{Command, Stdio},
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
    config::SubmissionConfig,
    submit::{Backoff, SubmitError},
};
use msp_schemas::Period;
use msp_store::testing::{TestDb, databases};
use msp_tests::{NodeSpec, Options, TestCoordinator, TestNode};
use tokio::sync::mpsc;

const COUNCIL: &str = "E06000047";

fn period() -> Period {
    "2026-27-Q1".parse().unwrap()
}

/// A node of `COUNCIL` in `dir` with one quarter released.
async fn node_in(dir: &Path, council: &str, base: &str, ca: &Path) -> TestNode {
    let spec = NodeSpec {
        council: council.parse().unwrap(),
        last: period(),
        quarters: 1,
        people: Some(60),
        seed: 4,
        database_url: None,
    };
    let node = TestNode::new(dir, spec, base, ca).await;
    node.release(period(), false, "2026-07-20T10:00:00Z").await;
    node
}

/// A node of `COUNCIL` for the coordinator `c`, in a temporary directory.
async fn node(dir: &tempfile::TempDir, c: &TestCoordinator) -> TestNode {
    node_in(&dir.path().join("node"), COUNCIL, &c.base, &c.ca).await
}

/// A coordinator on a fresh SQLite database, and a node (not enrolled) with one quarter released.
struct OnSqlite {
    c: TestCoordinator,
    node: TestNode,
    _cdir: tempfile::TempDir,
    _db: TestDb,
    _ndir: tempfile::TempDir,
}

async fn on_sqlite() -> OnSqlite {
    let db = TestDb::sqlite();
    let ndir = tempfile::tempdir().unwrap();
    let cdir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
    let node = node(&ndir, &c).await;
    OnSqlite { c, node, _cdir: cdir, _db: db, _ndir: ndir }
}

fn quick() -> Backoff {
    Backoff { first: Duration::from_millis(50), max: Duration::from_millis(200), tries: 60 }
}

#[tokio::test]
async fn a_coordinator_restarted_while_a_node_submits_ends_with_exactly_one_stored_submission() {
    msp_tests::crypto();
    for db in databases().await {
        let ndir = tempfile::tempdir().unwrap();
        let cdir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
        let (addr, base) = (c.addr, c.base.clone());
        let node = node_in(ndir.path(), COUNCIL, &base, &cdir.path().join("tls/ca.pem")).await;
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
        let ndir = tempfile::tempdir().unwrap();
        let cdir = tempfile::tempdir().unwrap();
        let options = Options { wrap: Box::new(drop_first_answer), ..Options::default() };
        let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, options).await;
        let node = node(&ndir, &c).await;
        c.enrol(COUNCIL, node.key.public_key()).await;
        let s = node.submitter(quick());
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
    let OnSqlite { c, node, _cdir, _db, _ndir } = on_sqlite().await;
    // Not enrolled: the coordinator refuses, once.
    let s = node.submitter(quick());
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
    let OnSqlite { c, mut node, _cdir, _db, _ndir } = on_sqlite().await;
    c.enrol(COUNCIL, node.key.public_key()).await;
    node.config.submission = Some(SubmissionConfig { require_approval: true, ..Default::default() });
    let s = node.submitter(quick());
    let err = s.queue(period(), 1).await.unwrap_err();
    assert!(err.to_string().contains("msp-node approve --period 2026-27-Q1"), "{err}");
    assert_eq!(c.stored().await, 0);
    let lead = msp_node::audit::Actor::command_line(Some("A. Lead"));
    let ask = msp_node::submit::approval::Request { period: period(), revision: Some(1), sha256: None };
    let at = "2026-07-21T09:00:00Z".parse().unwrap();
    msp_node::submit::approval::approve(&node.store, &node.config, ask, &lead, at).await.unwrap();
    let o = s.queue(period(), 1).await.unwrap();
    s.send(&o).await.unwrap();
    assert_eq!(c.stored().await, 1);
    c.stop().await;
}

#[tokio::test]
async fn an_exported_submission_imported_by_the_operator_gets_the_receipt_the_node_then_verifies() {
    msp_tests::crypto();
    let OnSqlite { c, node, _cdir, _db, _ndir } = on_sqlite().await;
    c.enrol(COUNCIL, node.key.public_key()).await;
    let s = node.submitter(quick());
    let o = s.queue(period(), 1).await.unwrap();
    // The operator takes the file in by hand (the same checks as HTTPS).
    let state = msp_coordinator::http::AppState::new(
        c.store.clone(),
        msp_coordinator::signing_key::SigningKey::load_or_create(&c.dir.join("keys")).unwrap(),
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

/// Where the coordinator holds a node's submission while the test kills the node.
#[derive(Debug, Clone, Copy)]
enum Hold {
    /// Received, not yet checked or stored.
    BeforeStoring,
    /// Stored, the answer not yet sent.
    AfterStoring,
}

/// Holds the first submission for five seconds at `hold`, and says when it is held there.
fn hold_first(hold: Hold, held: mpsc::UnboundedSender<()>) -> impl FnOnce(axum::Router) -> axum::Router + Send {
    move |router| {
        let first = Arc::new(AtomicBool::new(true));
        router.layer(middleware::from_fn(move |req: Request, next: Next| {
            let (first, held) = (first.clone(), held.clone());
            async move {
                let post = req.uri().path() == "/v1/submissions";
                if !(post && first.swap(false, Ordering::SeqCst)) {
                    return next.run(req).await;
                }
                let pause = || tokio::time::sleep(Duration::from_secs(5));
                match hold {
                    Hold::BeforeStoring => {
                        let _ = held.send(());
                        pause().await;
                        next.run(req).await
                    }
                    Hold::AfterStoring => {
                        let response = next.run(req).await;
                        let _ = held.send(());
                        pause().await;
                        response
                    }
                }
            }
        }))
    }
}

/// `msp-node --data-dir DIR ARGS…` as a process of its own.
fn node_process(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_node-process"));
    command.arg("--data-dir").arg(dir).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Runs `msp-node` to its end off the runtime's thread, so the coordinator keeps serving.
async fn run_node(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = node_process(dir, args);
    tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("msp-node runs")
}

#[tokio::test]
async fn a_node_killed_in_the_middle_of_a_submission_resumes_and_its_release_is_stored_once() {
    msp_tests::crypto();
    for hold in [Hold::BeforeStoring, Hold::AfterStoring] {
        for db in databases().await {
            let cdir = tempfile::tempdir().unwrap();
            let (held_tx, mut held) = mpsc::unbounded_channel();
            let options = Options { wrap: Box::new(hold_first(hold, held_tx)), ..Options::default() };
            let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, options).await;
            let ndir = tempfile::tempdir().unwrap();
            let node = node(&ndir, &c).await;
            c.enrol(COUNCIL, node.key.public_key()).await;

            // `msp-node submit` runs until the coordinator holds its submission; then it is killed.
            let mut child = node_process(&node.dir(), &["submit"]).spawn().expect("msp-node starts");
            tokio::time::timeout(Duration::from_secs(120), held.recv())
                .await
                .expect("the submission reaches the coordinator")
                .expect("the coordinator says so");
            child.kill().expect("SIGKILL");
            let status = child.wait().unwrap();
            assert!(!status.success(), "{hold:?}: the node was killed");
            let queued = node.store.outgoing(period(), 1).await.unwrap().expect("the release stays queued");
            assert!(queued.receipt_jws.is_none(), "{hold:?}: no receipt yet");
            let before = c.stored().await;
            match hold {
                Hold::BeforeStoring => assert!(before <= 1),
                Hold::AfterStoring => assert_eq!(before, 1, "{:?}", db.backend),
            }

            // Run again, it sends the same signed bytes and keeps the one receipt.
            let out = run_node(&node.dir(), &["submit"]).await;
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{hold:?}: {said}{}", String::from_utf8_lossy(&out.stderr));
            assert!(said.contains("2026-27-Q1 revision 1:"), "{said}");
            assert_eq!(c.stored().await, 1, "{hold:?} {:?}: stored once", db.backend);
            let o = node.store.outgoing(period(), 1).await.unwrap().unwrap();
            assert_eq!(o.jws, queued.jws, "signed once");
            assert!(o.receipt_jws.is_some());
            let verified = run_node(&node.dir(), &["verify-receipt", "--period", "2026-27-Q1"]).await;
            assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
            c.stop().await;
        }
    }
}
