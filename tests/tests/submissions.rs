//! The submission protocol over real TLS on loopback, on SQLite and PostgreSQL: every refusal
//! with its status and problem type, and idempotent acceptance (DESIGN §7).

use msp_protocol::{jws, keys::thumbprint};
use msp_schemas::api::SubmissionAccepted;
use msp_store::testing::databases;
use msp_tests::{Options, TestCoordinator};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use serde_json::{Value, json};

const FIXTURE: &str = include_str!("../../schemas/tests/fixtures/release-v1.json");
const HARTLEPOOL: &str = "E06000001";
const MIDDLESBROUGH: &str = "E06000002";

fn key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

fn release() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

fn sign(k: &Ed25519KeyPair, payload: &Value) -> String {
    jws::sign(k, &thumbprint(k.public_key().as_ref()), jws::TYP_RELEASE, &serde_json::to_vec(payload).unwrap())
}

async fn post(c: &TestCoordinator, body: impl Into<reqwest::Body>) -> (u16, Value) {
    post_as(c, "application/jose", body).await
}

async fn post_as(c: &TestCoordinator, media: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let r = c
        .client()
        .post(format!("{}/v1/submissions", c.base))
        .header("content-type", media)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body: Value = r.json().await.unwrap();
    if status >= 400 {
        assert_eq!(ct, "application/problem+json", "{body}");
    }
    (status, body)
}

fn problem(status: u16, body: &Value) -> (u16, &str) {
    (status, body["type"].as_str().unwrap_or("(none)"))
}

#[tokio::test]
async fn a_valid_submission_is_accepted_once_and_the_same_bytes_again_get_the_same_receipt() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let k = key();
        c.enrol(HARTLEPOOL, k.public_key().as_ref()).await;
        let jws = sign(&k, &release());
        let (status, first) = post(&c, jws.clone()).await;
        assert_eq!(status, 201, "{first}");
        let accepted: SubmissionAccepted = serde_json::from_value(first.clone()).unwrap();
        assert_eq!(accepted.receipt.log_index, 0);
        assert_eq!(accepted.receipt.council.as_str(), HARTLEPOOL);
        let (status, again) = post(&c, jws).await;
        assert_eq!(status, 200);
        assert_eq!(again, first, "the same receipt, byte for byte");
        assert_eq!(c.stored().await, 1, "stored once ({:?})", db.backend);
        let metrics = c.client().get(format!("{}/metrics", c.base)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("msp_submissions_total{outcome=\"accepted\"} 1"), "{metrics}");
        assert!(metrics.contains("msp_submissions_total{outcome=\"repeated\"} 1"), "{metrics}");
        c.stop().await;
    }
}

#[tokio::test]
async fn every_bad_submission_is_refused_with_its_status_and_problem_type() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
        let (hartlepool, middlesbrough, stranger, revoked) = (key(), key(), key(), key());
        c.enrol(HARTLEPOOL, hartlepool.public_key().as_ref()).await;
        c.enrol(MIDDLESBROUGH, middlesbrough.public_key().as_ref()).await;
        c.enrol(HARTLEPOOL, revoked.public_key().as_ref()).await;
        c.store
            .revoke(
                HARTLEPOOL.parse().unwrap(),
                Some(&thumbprint(revoked.public_key().as_ref())),
                "2026-11-01T00:00:00Z",
            )
            .await
            .unwrap();

        // A forged signature: signed by a key that is not the one named.
        let honest = sign(&hartlepool, &release());
        let forged = sign(&stranger, &release());
        let forged = format!(
            "{}.{}.{}",
            honest.split('.').next().unwrap(),
            forged.split('.').nth(1).unwrap(),
            forged.split('.').nth(2).unwrap()
        );
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = release();
            f(&mut v);
            sign(&hartlepool, &v)
        };
        let cases: Vec<(&str, String, u16, &str)> = vec![
            ("forged signature", forged, 401, "/problems/bad-signature"),
            ("another council's key", sign(&middlesbrough, &release()), 403, "/problems/council-mismatch"),
            ("a key never enrolled", sign(&stranger, &release()), 401, "/problems/unknown-key"),
            ("a revoked key", sign(&revoked, &release()), 403, "/problems/revoked-key"),
            ("an unknown field", with(&|v| v["exact_count"] = json!(12)), 422, "/problems/invalid-release"),
            ("an unknown nested field", with(&|v| v["tables"][0]["n"] = json!(1)), 422, "/problems/invalid-release"),
            ("an unsupported spec", with(&|v| v["spec"] = json!("msp-quarterly/9")), 422, "/problems/unsupported-spec"),
            ("a future period", with(&|v| v["period"] = json!("2099-00-Q4")), 422, "/problems/invalid-period"),
            ("a malformed period", with(&|v| v["period"] = json!("2026-27-Q5")), 422, "/problems/invalid-release"),
            (
                "a wrong cell count",
                with(&|v| v["tables"][3]["values"].as_array_mut().unwrap().push(json!(1))),
                422,
                "/problems/invalid-release",
            ),
            ("a malformed JWS", "not.a.jws".into(), 400, "/problems/malformed-jws"),
            ("three dots", "a.b.c.d".into(), 400, "/problems/malformed-jws"),
            (
                "a signed payload that is not JSON",
                jws::sign(&hartlepool, &thumbprint(hartlepool.public_key().as_ref()), jws::TYP_RELEASE, b"{oops"),
                422,
                "/problems/invalid-release",
            ),
        ];
        for (what, body, status, kind) in cases {
            let (got, body) = post(&c, body).await;
            assert_eq!(problem(got, &body), (status, kind), "{what}: {body} ({:?})", db.backend);
            assert!(!body["detail"].as_str().unwrap_or_default().is_empty(), "{what}");
        }

        let (got, body) = post_as(&c, "application/json", honest.clone()).await;
        assert_eq!(problem(got, &body), (415, "/problems/unsupported-media-type"));
        let (got, body) = post(&c, vec![b'a'; 1024 * 1024 + 1]).await;
        assert_eq!(problem(got, &body), (413, "/problems/payload-too-large"));

        // Conflicting bytes for a stored (council, period, revision).
        assert_eq!(post(&c, honest).await.0, 201);
        let (got, body) = post(&c, with(&|v| v["tables"][0]["values"][0] = json!(999))).await;
        assert_eq!(problem(got, &body), (409, "/problems/conflict"), "{body}");
        assert_eq!(c.stored().await, 1, "nothing refused was stored");
        c.stop().await;
    }
}

#[tokio::test]
async fn plain_http_to_the_port_is_refused_with_a_problem_saying_to_use_https() {
    let db = msp_store::testing::TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
    let r = reqwest::Client::new().get(format!("http://127.0.0.1:{}/healthz", c.addr.port())).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("HTTPS only"), "{body}");
    // And a client that does not trust the coordinator's CA cannot talk to it at all.
    crate_untrusting_client_fails(&c).await;
    c.stop().await;
}

async fn crate_untrusting_client_fails(c: &TestCoordinator) {
    let r = reqwest::Client::builder().build().unwrap().get(format!("{}/healthz", c.base)).send().await;
    assert!(r.is_err(), "the development CA is not trusted by default");
}

#[tokio::test]
async fn proofs_and_heads_are_served_and_bad_proof_requests_get_problems() {
    let db = msp_store::testing::TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
    let k = key();
    c.enrol(HARTLEPOOL, k.public_key().as_ref()).await;
    let mut shas = Vec::new();
    // Five quarters of one council: five revisions of one quarter would pass the network policy's
    // revision limit and quarter cap, and be refused.
    for period in ["2025-26-Q2", "2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"] {
        let mut v = release();
        v["period"] = json!(period);
        let (status, body) = post(&c, sign(&k, &v)).await;
        assert_eq!(status, 201, "{body}");
        shas.push(body["receipt"]["jws_sha256"].as_str().unwrap().to_owned());
    }
    let get = |path: String| {
        let client = c.client();
        let base = c.base.clone();
        async move {
            let r = client.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (_, head) = get("/v1/log/head".into()).await;
    assert_eq!(head["tree_head"]["tree_size"], 5);
    let (s, proof) = get(format!("/v1/log/inclusion?hash={}&tree_size=5", shas[2])).await;
    assert_eq!((s, proof["leaf_index"].as_u64()), (200, Some(2)));
    let (s, _) = get("/v1/log/consistency?first=2&second=5".into()).await;
    assert_eq!(s, 200);
    let (s, body) = get("/v1/log/consistency?first=6&second=5".into()).await;
    assert_eq!(problem(s, &body), (400, "/problems/malformed-request"));
    let (s, body) = get("/v1/log/inclusion?hash=zz&tree_size=5".into()).await;
    assert_eq!(problem(s, &body), (400, "/problems/malformed-request"));
    let (s, body) = get(format!("/v1/log/inclusion?hash={}&tree_size=5", "0".repeat(64))).await;
    assert_eq!(problem(s, &body), (404, "/problems/not-found"));
    let (s, body) = get(format!("/v1/log/inclusion?hash={}", shas[0])).await;
    assert_eq!(problem(s, &body), (400, "/problems/malformed-request"));
    c.stop().await;
}
