//! The node against the real coordinator's network policy (DESIGN §4, issue 12): the policy the
//! coordinator signs is the one the node keeps, a release made before the network tightened its
//! policy is not sent, and the largest answers the node reads stay far below its limit.

use std::{path::Path, sync::Arc};

use msp_coordinator::{
    http::{AppState, router},
    signing_key::SigningKey,
    store::Store,
    tls,
};
use msp_node::{
    policy,
    submit::{self, Backoff, Coordinator, MAX_ANSWER_BYTES, SubmitError},
};
use msp_schemas::{
    Period,
    policy::{NetworkPolicy, RhoRange, SignedPolicy},
};
use msp_store::testing::TestDb;
use msp_tests::{DemoNetwork, NodeSpec, Options, TestCoordinator, TestNode};
use msp_web::server::Server;

const COUNCIL: &str = "E06000047";

fn q1() -> Period {
    "2026-27-Q1".parse().unwrap()
}

fn once() -> Backoff {
    Backoff { first: std::time::Duration::ZERO, max: std::time::Duration::ZERO, tries: 1 }
}

/// A node of `COUNCIL` in `dir`, enrolled with the coordinator at `base`, with Q1 released under
/// the default policy (ρ = 0.5).
async fn released_node(dir: &Path, base: &str, ca: &Path) -> TestNode {
    let spec = NodeSpec {
        council: COUNCIL.parse().unwrap(),
        last: q1(),
        quarters: 1,
        people: Some(60),
        seed: 4,
        database_url: None,
    };
    let node = TestNode::new(dir, spec, base, ca).await;
    node.release(q1(), false, "2026-07-20T10:00:00Z").await;
    node
}

#[tokio::test]
async fn a_node_keeps_the_policy_the_coordinator_signs_and_sends_under_it() {
    let (db, cdir, ndir) = (TestDb::sqlite(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
    let node = released_node(ndir.path(), &c.base, &c.ca).await;
    c.enrol(COUNCIL, node.key.public_key()).await;

    let answer = c.client().get(format!("{}/v1/policy", c.base)).send().await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let served: SignedPolicy = answer.json().await.expect("the coordinator serves msp-policy/1, signed");
    let coordinator = Coordinator::new(&c.base, Some(&c.ca), once()).unwrap();
    let held = submit::policy::refresh(&node.store, &coordinator, "2026-07-21T09:00:00Z").await.unwrap();
    assert_eq!(held.policy, served.policy);
    assert_eq!(node.store.network_policy().await.unwrap().map(|p| p.jws), Some(served.policy_jws));
    assert_eq!(policy::held(&node.store).await.unwrap(), held);

    let run = node.submitter(once()).submit_pending(None, |_, _, _| {}).await.unwrap();
    assert_eq!((run.done.len(), run.refused.len()), (1, 0), "{run:?}");
    assert_eq!(run.policy.map(|h| h.policy), Some(served.policy));
    assert_eq!(c.stored().await, 1);
    c.stop().await;
}

/// A coordinator like [`TestCoordinator`] but holding submissions to `policy`.
struct Strict {
    base: String,
    ca: std::path::PathBuf,
    store: Store,
    stop: tokio::sync::oneshot::Sender<()>,
}

async fn strict_coordinator(dir: &Path, url: &str, policy: NetworkPolicy) -> Strict {
    msp_tests::crypto();
    let store = Store::open(url).await.unwrap();
    let dev = tls::dev_tls(&dir.join("tls")).unwrap();
    let config = tls::server_config(&dev.cert, &dev.key).unwrap();
    let key = SigningKey::load_or_create(&dir.join("keys")).unwrap();
    let state = AppState::new(store.clone(), key, Arc::new(time::OffsetDateTime::now_utc)).with_policy(policy);
    let server = Server::build("127.0.0.1:0".parse().unwrap(), config, router(state)).await.unwrap();
    let port = server.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    Strict { base: format!("https://localhost:{port}"), ca: dev.ca_cert, store, stop }
}

#[tokio::test]
async fn a_release_made_before_the_network_tightened_its_policy_is_not_sent() {
    let (db, cdir, ndir) = (TestDb::sqlite(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let tightened = NetworkPolicy { rho_per_release: RhoRange { min: 0.05, max: 0.3 }, ..NetworkPolicy::default() };
    let c = strict_coordinator(cdir.path(), &db.url, tightened.clone()).await;
    let node = released_node(ndir.path(), &c.base, &c.ca).await;
    let public_key = msp_protocol::keys::encode_public_key(node.key.public_key());
    msp_coordinator::councils::enrol(&c.store, COUNCIL.parse().unwrap(), &public_key, None).await.unwrap();

    let run = node.submitter(once()).submit_pending(None, |_, _, _| panic!("nothing may be sent")).await.unwrap();
    assert_eq!(run.policy.as_ref().map(|h| &h.policy), Some(&tightened), "checked against the coordinator's policy");
    let [refusal] = &run.refused[..] else { panic!("one refusal: {run:?}") };
    assert!(matches!(refusal, SubmitError::BreaksPolicy { .. }), "{refusal}");
    assert!(refusal.to_string().contains("[0.05, 0.3]") && refusal.to_string().contains("--revise"), "{refusal}");
    assert_eq!(Store::log_size(c.store.db().pool()).await.unwrap(), 0, "the coordinator received nothing to store");
    let _ = c.stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_answers_the_node_reads_are_far_below_its_limit() {
    // Benchmarks are aggregates: their size is set by the spec's cells, not the councils in them.
    let net = DemoNetwork::start(24, 2).await;
    let mut largest = 0;
    for path in [
        "/v1/compare?a=council:E06000001&b=region:north_east",
        "/v1/benchmarks?group=england",
        "/v1/benchmarks?group=type:unitary",
    ] {
        let r = net.client().get(format!("{}{path}", net.base)).bearer_auth(&net.token).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let size = r.bytes().await.unwrap().len();
        eprintln!("{path}: {size} bytes");
        largest = largest.max(size);
    }
    assert!(largest * 16 < MAX_ANSWER_BYTES, "the largest answer, {largest} bytes, is within 1/16 of the limit");
    net.stop().await;
}
