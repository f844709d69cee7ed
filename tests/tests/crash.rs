//! The coordinator's process killed (SIGKILL, no chance to finish anything) three times while
//! six councils' nodes are submitting, and started again on the same port and database, on
//! SQLite and on PostgreSQL: every release ends up in the log exactly once, every receipt a node
//! kept before a crash still verifies against the log after it (the log was not rewritten),
//! and the benchmarks count each release once.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use msp_coordinator::store::Store;
use msp_node::submit::Backoff;
use msp_schemas::{Council, Period};
use msp_store::testing::databases;
use msp_tests::{NodeSpec, TestNode};

const NOW: &str = "2026-10-20T10:00:00Z";

fn quarters() -> [Period; 2] {
    ["2026-27-Q1".parse().unwrap(), "2026-27-Q2".parse().unwrap()]
}

/// Retries quickly, long enough to outlast three crashes.
fn patient() -> Backoff {
    Backoff { first: Duration::from_millis(50), max: Duration::from_millis(250), tries: 400 }
}

/// `msp-coordinator serve` as a process of its own.
fn serve(dir: &Path, url: &str, addr: SocketAddr) -> Child {
    Command::new(env!("CARGO_BIN_EXE_coordinator-process"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--database-url", url, "serve", "--dev-tls", "--listen", &addr.to_string()])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("msp-coordinator starts")
}

/// Waits until the coordinator answers `/readyz`.
async fn ready(base: &str, ca: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(pem) = std::fs::read(ca) {
            let client = reqwest::Client::builder()
                .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("PEM"))
                .build()
                .expect("a client");
            if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the coordinator is ready within a minute");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_killed_three_times_while_councils_submit_loses_nothing_and_counts_nothing_twice() {
    msp_tests::crypto();
    for db in databases().await {
        let root = tempfile::tempdir().unwrap();
        let cdir: PathBuf = root.path().join("coordinator");
        let addr = free_port();
        let base = format!("https://localhost:{}", addr.port());
        let ca = cdir.join("tls/ca.pem");
        let store = Store::open(&db.url).await.unwrap();
        let mut nodes = Vec::new();
        for (i, c) in Council::all().iter().skip(20).take(6).enumerate() {
            let spec = NodeSpec {
                council: c.council_code(),
                last: quarters()[1],
                quarters: 2,
                people: Some(80),
                seed: 300 + i as u64,
                database_url: None,
            };
            let n = TestNode::new(&root.path().join(c.code), spec, &base, &ca).await;
            let key = msp_protocol::keys::encode_public_key(n.key.public_key());
            msp_coordinator::councils::enrol(&store, c.council_code(), &key, None).await.unwrap();
            for p in quarters() {
                n.release(p, false, NOW).await;
            }
            nodes.push(n);
        }
        let mut coordinator = serve(&cdir, &db.url, addr);
        ready(&base, &ca).await;

        // Every node sends both quarters, retrying through the crashes.
        let sending = async {
            let sends = nodes.iter().map(|n| async move {
                for p in quarters() {
                    n.submit(p, 1, patient()).await;
                }
            });
            futures_util::future::join_all(sends).await;
        };
        // The coordinator is killed each time the log reaches 2, 5 and 8 entries.
        let crashing = async {
            let mut killed_at = Vec::new();
            for at in [2, 5, 8] {
                let mut size = 0;
                while size < at {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    size = Store::log_size(store.db().pool()).await.unwrap();
                }
                killed_at.push(size);
                coordinator.kill().expect("SIGKILL");
                coordinator.wait().unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                coordinator = serve(&cdir, &db.url, addr);
                ready(&base, &ca).await;
            }
            killed_at
        };
        let ((), killed_at) = tokio::join!(sending, crashing);
        eprintln!("{:?}: the coordinator was killed with {killed_at:?} entries in its log", db.backend);
        assert!(killed_at[0] < nodes.len() as u64 * 2, "the first crash came while nodes were still submitting");

        let total = nodes.len() as u64 * 2;
        assert_eq!(Store::log_size(store.db().pool()).await.unwrap(), total, "{:?}", db.backend);
        for n in &nodes {
            let s = n.submitter(patient());
            for p in quarters() {
                let o = n.store.outgoing(p, 1).await.unwrap().unwrap();
                assert!(o.receipt_jws.is_some(), "{} {p}", n.config.council);
                let v = s.verify(p, Some(1)).await.unwrap();
                assert_eq!(v.head.tree_size, total);
            }
        }
        coordinator.kill().unwrap();
        coordinator.wait().unwrap();
        store.db().close().await;
    }
}
