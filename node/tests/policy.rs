//! The network policy bounds every node (DESIGN §4): a node may be stricter, never looser. Its
//! releases are held to the policy it holds; the policy is kept only once it checks out with the
//! coordinator key it pins; and a stored release that breaks the policy fetched afresh is not sent.
//! On real databases (SQLite always, PostgreSQL when configured), against a stand-in coordinator.

mod common;
mod standin;

use std::sync::{Arc, Mutex};

use axum::{Json, Router, http::StatusCode, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Node, synthetic};
use msp_node::{
    clock,
    config::{Budget, NodeConfig},
    dp::limits::LimitError,
    keys::SigningKey,
    policy::{self, HeldPolicy},
    release::{self, ReleaseError},
    store::{Store, StoredPolicy},
    submit::{self, Backoff, Coordinator, SubmitError, Submitter},
};
use msp_schemas::{
    Period,
    api::CoordinatorKey,
    policy::{NetworkPolicy, PolicyViolation, RhoRange, SignedPolicy},
    release::Timestamp,
};
use msp_store::testing::databases;
use standin::{CoordinatorSigner, StandIn, TestCa};

fn config(budget: Option<Budget>) -> NodeConfig {
    NodeConfig { budget, ..common::config() }
}

fn q1() -> Period {
    "2026-27-Q1".parse().unwrap()
}

fn after_q1() -> Timestamp {
    "2026-07-15T09:00:00Z".parse().unwrap()
}

async fn node_with_cases(db: &msp_store::testing::TestDb) -> Node {
    let node = Node::new(db).await;
    node.import(&node.write("cases.csv", synthetic(120, 1, 3))).await.unwrap();
    node
}

#[tokio::test]
async fn the_node_refuses_to_release_above_the_networks_rho_even_when_its_own_config_allows_it() {
    for db in databases().await {
        let node = node_with_cases(&db).await;
        // ρ = 50 would give σ ≈ 0.1: the exact counts, almost always. The node's own caps allow it.
        let reckless =
            Budget { rho_per_release: 50.0, rho_per_quarter: 100.0, rho_per_four_quarters: 250.0, ..Budget::default() };
        let err = release::release(&node.store, &config(Some(reckless)), q1(), false, after_q1()).await.unwrap_err();
        assert!(matches!(err, ReleaseError::Limit(LimitError::RhoPerRelease { .. })), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("rho_per_release = 50") && msg.contains("from 0.05 to 1"), "names both figures: {msg}");
        assert!(msg.contains("default policy") && msg.contains("node.toml's [budget]"), "{msg}");
        assert!(node.store.charges().await.unwrap().is_empty(), "nothing charged");
        assert!(node.store.release(q1(), None).await.unwrap().is_none(), "nothing released");
    }
}

#[tokio::test]
async fn caps_looser_than_the_networks_are_refused_and_stricter_ones_release() {
    for db in databases().await {
        let node = node_with_cases(&db).await;
        for (loose, setting) in [
            (Budget { rho_per_quarter: 2.0, ..Budget::default() }, "rho_per_quarter = 2"),
            (Budget { rho_per_four_quarters: 5.0, ..Budget::default() }, "rho_per_four_quarters = 5"),
        ] {
            let err = release::release(&node.store, &config(Some(loose)), q1(), false, after_q1()).await.unwrap_err();
            assert!(matches!(err, ReleaseError::Limit(LimitError::LooserCap { .. })), "{err}");
            assert!(err.to_string().contains(setting) && err.to_string().contains("never looser"), "{err}");
        }
        assert!(node.store.charges().await.unwrap().is_empty());

        let strict =
            Budget { rho_per_release: 0.25, rho_per_quarter: 0.5, rho_per_four_quarters: 1.0, ..Budget::default() };
        let cfg = config(Some(strict));
        let made = release::release(&node.store, &cfg, q1(), false, after_q1()).await.unwrap();
        assert!(made.new && made.release.fields().privacy.rho <= 0.25);
        release::release(&node.store, &cfg, q1(), true, after_q1()).await.unwrap();
        let err = release::release(&node.store, &cfg, q1(), true, after_q1()).await.unwrap_err();
        assert!(matches!(err, ReleaseError::Refused(_)), "the node's own stricter cap holds: {err}");
    }
}

#[tokio::test]
async fn a_revision_beyond_the_networks_limit_is_refused_before_anything_is_charged() {
    for db in databases().await {
        let node = node_with_cases(&db).await;
        // Four releases of 0.25 fit the quarter's cap of 1.0, but the network takes at most 3.
        let cfg = config(Some(Budget { rho_per_release: 0.25, ..Budget::default() }));
        release::release(&node.store, &cfg, q1(), false, after_q1()).await.unwrap();
        for _ in 0..2 {
            release::release(&node.store, &cfg, q1(), true, after_q1()).await.unwrap();
        }
        let err = release::release(&node.store, &cfg, q1(), true, after_q1()).await.unwrap_err();
        assert!(matches!(err, ReleaseError::Limit(LimitError::Revision { revision: 4, max: 3, .. })), "{err}");
        assert!(err.to_string().contains("cannot be revised again"), "{err}");
        assert_eq!(node.store.charges().await.unwrap().len(), 3, "the refused revision charged nothing");
    }
}

#[tokio::test]
async fn a_release_is_held_to_the_stored_policy_when_it_is_stricter_than_the_default() {
    for db in databases().await {
        let node = node_with_cases(&db).await;
        let stricter = NetworkPolicy { rho_per_release: RhoRange { min: 0.05, max: 0.3 }, ..NetworkPolicy::default() };
        let json = serde_json::to_string(&stricter).unwrap();
        let at = "2026-07-10T08:00:00Z".to_owned();
        node.store
            .keep_network_policy(&StoredPolicy { jws: "h.p.s".into(), json, fetched_at: at.clone() })
            .await
            .unwrap();
        let err = release::release(&node.store, &config(None), q1(), false, after_q1()).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("rho_per_release = 0.5") && msg.contains("from 0.05 to 0.3"), "{msg}");
        assert!(msg.contains(&format!("fetched from the coordinator at {at}")), "{msg}");
        assert!(node.store.charges().await.unwrap().is_empty());
    }
}

/// What the stand-in coordinator serves; tests change it between fetches.
struct Answers {
    key: CoordinatorKey,
    policy: serde_json::Value,
}

async fn coordinator(ca: &TestCa, answers: Arc<Mutex<Answers>>) -> StandIn {
    let (keys, policies) = (answers.clone(), answers);
    let router = Router::new()
        .route("/v1/keys", get(move || async move { Json(keys.lock().unwrap().key.clone()) }))
        .route("/v1/policy", get(move || async move { Json(policies.lock().unwrap().policy.clone()) }))
        .fallback(|| async { StatusCode::SERVICE_UNAVAILABLE });
    StandIn::start(ca, router).await
}

fn client(server: &StandIn, ca: &TestCa) -> Coordinator {
    Coordinator::new(&server.base, Some(&ca.ca_file()), Backoff { tries: 1, ..Backoff::default() }).unwrap()
}

fn json(signed: &SignedPolicy) -> serde_json::Value {
    serde_json::to_value(signed).unwrap()
}

const AT: &str = "2026-07-10T08:00:00Z";

/// A store holding the policy `signer` signs, fetched through `coordinator`.
async fn fetched_once(store: &Store, coordinator: &Coordinator) -> HeldPolicy {
    let held = submit::policy::refresh(store, coordinator, AT).await.unwrap();
    assert_eq!(policy::held(store).await.unwrap(), held);
    held
}

/// Refreshes expecting a refusal, and checks the stored policy is what it was.
async fn refused(store: &Store, coordinator: &Coordinator, expect: &str) -> String {
    let before = store.network_policy().await.unwrap();
    let err = submit::policy::refresh(store, coordinator, "2026-07-11T08:00:00Z").await.unwrap_err();
    assert!(matches!(err, SubmitError::PolicyRefused { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(expect), "{expect}: {msg}");
    assert!(msg.contains("kept, unchanged") && msg.contains("operator"), "{msg}");
    assert_eq!(store.network_policy().await.unwrap(), before, "the stored policy is kept");
    msg
}

#[tokio::test]
async fn a_verified_policy_is_kept_and_one_with_a_bad_signature_is_refused_keeping_it() {
    let ca = TestCa::new();
    let signer = CoordinatorSigner::new();
    let first = NetworkPolicy { max_revision: 2, ..NetworkPolicy::default() };
    let answers = Arc::new(Mutex::new(Answers { key: signer.served(), policy: json(&signer.sign(&first)) }));
    let server = coordinator(&ca, answers.clone()).await;
    for db in databases().await {
        let node = Node::new(&db).await;
        let c = client(&server, &ca);
        let held = fetched_once(&node.store, &c).await;
        assert_eq!((held.policy.clone(), held.fetched_at.as_deref()), (first.clone(), Some(AT)));

        // A looser policy under the coordinator's own signature of another document.
        let looser = NetworkPolicy { max_revision: 9, ..NetworkPolicy::default() };
        let good = signer.sign(&first).policy_jws;
        let parts: Vec<&str> = good.split('.').collect();
        let forged =
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&looser).unwrap()), parts[2]);
        answers.lock().unwrap().policy = json(&SignedPolicy { policy: looser.clone(), policy_jws: forged });
        refused(&node.store, &c, "signature does not verify").await;

        // Signed with a key the node has never trusted.
        answers.lock().unwrap().policy = json(&CoordinatorSigner::new().sign(&looser));
        refused(&node.store, &c, "never trusted").await;
        assert_eq!(policy::held(&node.store).await.unwrap().policy, first);
        answers.lock().unwrap().policy = json(&signer.sign(&first));
    }
}

#[tokio::test]
async fn a_policy_signed_with_a_retired_coordinator_key_is_refused_keeping_the_stored_one() {
    let ca = TestCa::new();
    let (old, new) = (CoordinatorSigner::new(), CoordinatorSigner::new());
    let strict = NetworkPolicy { rho_per_release: RhoRange { min: 0.1, max: 0.5 }, ..NetworkPolicy::default() };
    let answers = Arc::new(Mutex::new(Answers { key: old.served(), policy: json(&old.sign(&strict)) }));
    let server = coordinator(&ca, answers.clone()).await;
    for db in databases().await {
        let node = Node::new(&db).await;
        let c = client(&server, &ca);
        {
            let mut a = answers.lock().unwrap();
            (a.key, a.policy) = (old.served(), json(&old.sign(&strict)));
        }
        fetched_once(&node.store, &c).await;
        // The operator rotates the key and the council trusts the new one; the old key stays
        // trusted for its receipts only.
        answers.lock().unwrap().key = new.served();
        submit::trust::trust(&node.store, &new.served(), new.pair.fingerprint(), &server.base).await.unwrap();
        let msg = refused(&node.store, &c, "trusts only for the receipts it signed").await;
        assert!(msg.contains(old.pair.fingerprint()) && msg.contains(new.pair.fingerprint()), "{msg}");

        answers.lock().unwrap().policy = json(&new.sign(&NetworkPolicy::default()));
        let held = submit::policy::refresh(&node.store, &c, "2026-07-12T08:00:00Z").await.unwrap();
        assert_eq!(held.policy, NetworkPolicy::default(), "the current key's policy is taken");
    }
}

#[tokio::test]
async fn a_policy_whose_document_differs_from_its_signed_payload_or_cannot_be_enforced_is_refused() {
    let ca = TestCa::new();
    let signer = CoordinatorSigner::new();
    let answers =
        Arc::new(Mutex::new(Answers { key: signer.served(), policy: json(&signer.sign(&NetworkPolicy::default())) }));
    let server = coordinator(&ca, answers.clone()).await;
    for db in databases().await {
        let node = Node::new(&db).await;
        let c = client(&server, &ca);
        answers.lock().unwrap().policy = json(&signer.sign(&NetworkPolicy::default()));
        fetched_once(&node.store, &c).await;

        let mut signed = signer.sign(&NetworkPolicy::default());
        signed.policy.rho_per_release.max = 0.9;
        answers.lock().unwrap().policy = json(&signed);
        refused(&node.store, &c, "differs from the one signed").await;

        let unusable = NetworkPolicy { rho_per_release: RhoRange { min: 0.6, max: 0.5 }, ..NetworkPolicy::default() };
        answers.lock().unwrap().policy = json(&signer.sign(&unusable));
        refused(&node.store, &c, "cannot exceed rho_per_release.max").await;
    }
}

#[tokio::test]
async fn submit_refuses_to_send_a_stored_release_that_breaks_the_fresh_policy() {
    let ca = TestCa::new();
    let signer = CoordinatorSigner::new();
    // The network has tightened ρ per release since the node released at 0.5.
    let tightened = NetworkPolicy { rho_per_release: RhoRange { min: 0.05, max: 0.3 }, ..NetworkPolicy::default() };
    let answers = Arc::new(Mutex::new(Answers { key: signer.served(), policy: json(&signer.sign(&tightened)) }));
    let server = coordinator(&ca, answers).await;
    for db in databases().await {
        let node = node_with_cases(&db).await;
        let cfg = NodeConfig { coordinator_url: server.base.clone(), ..config(None) };
        release::release(&node.store, &cfg, q1(), false, after_q1()).await.unwrap();
        let key = SigningKey::create(&node.path("keys")).unwrap();
        let s = Submitter {
            store: &node.store,
            config: &cfg,
            key: &key,
            coordinator: client(&server, &ca),
            clock: clock::fixed(time::macros::datetime!(2026-07-16 12:00 UTC)),
            by: msp_node::audit::Actor::command_line(None),
        };

        let run = s.submit_pending(None, |_, _, _| panic!("nothing may be sent")).await.unwrap();
        assert!(run.done.is_empty() && run.waiting.is_empty(), "{run:?}");
        assert_eq!(run.policy.as_ref().map(|h| &h.policy), Some(&tightened), "checked against the fresh policy");
        let [refusal] = &run.refused[..] else { panic!("one refusal: {run:?}") };
        assert!(
            matches!(refusal, SubmitError::BreaksPolicy { violation, .. }
                if matches!(**violation, PolicyViolation::RhoPerRelease { .. })),
            "{refusal}"
        );
        let msg = refusal.to_string();
        assert!(
            msg.starts_with("2026-27-Q1 revision 1 breaks the network policy fetched from the coordinator"),
            "{msg}"
        );
        assert!(
            msg.contains("rho_per_release") && msg.contains("--revise") && msg.contains("stays on the node"),
            "{msg}"
        );

        let err = s.submit_pending(Some(q1()), |_, _, _| panic!("nothing may be sent")).await.unwrap_err();
        assert!(matches!(err, SubmitError::BreaksPolicy { .. }), "{err}");
        // Queued before the policy tightened (an earlier run that could not reach the coordinator):
        // sending it is refused all the same.
        let o = s.queue(q1(), 1).await.unwrap();
        assert!(matches!(s.send(&o).await.unwrap_err(), SubmitError::BreaksPolicy { .. }));
        assert!(node.store.outbox(None).await.unwrap().iter().all(|o| o.receipt_jws.is_none()), "nothing receipted");
    }
    assert!(
        server.requests().iter().all(|r| !r.starts_with("POST")),
        "the coordinator received no submission: {:?}",
        server.requests()
    );
}

#[tokio::test]
async fn a_coordinator_that_serves_no_policy_is_named_as_too_old_and_nothing_is_sent() {
    let ca = TestCa::new();
    let signer = CoordinatorSigner::new();
    let key = signer.served();
    let router = Router::new()
        .route("/v1/keys", get(move || async move { Json(key.clone()) }))
        .fallback(|| async { StatusCode::NOT_FOUND });
    let server = StandIn::start(&ca, router).await;
    for db in databases().await {
        let node = node_with_cases(&db).await;
        let cfg = NodeConfig { coordinator_url: server.base.clone(), ..config(None) };
        release::release(&node.store, &cfg, q1(), false, after_q1()).await.unwrap();
        let key = SigningKey::create(&node.path("keys")).unwrap();
        let s = Submitter {
            store: &node.store,
            config: &cfg,
            key: &key,
            coordinator: client(&server, &ca),
            clock: clock::system(),
            by: msp_node::audit::Actor::command_line(None),
        };
        let err = s.submit_pending(None, |_, _, _| panic!("nothing may be sent")).await.unwrap_err();
        assert!(matches!(err, SubmitError::NoPolicy { .. }), "{err}");
        assert!(
            err.to_string().contains("older than this node") && err.to_string().contains("export-submission"),
            "{err}"
        );
        assert_eq!(node.store.network_policy().await.unwrap(), None, "nothing kept");
    }
    assert!(server.requests().iter().all(|r| !r.starts_with("POST")), "{:?}", server.requests());
}
