//! The network policy at the coordinator (DESIGN §4 "The network policy bounds every node", §7
//! "Plausibility and limits"), over real TLS on loopback, on SQLite and PostgreSQL: one test per
//! attack a validly signed release can make, each refused with its status and problem type, with
//! nothing stored (the log's size unchanged) and every benchmark byte for byte as it was; the
//! coordinator's own ledger across a council's keys; and the policy served signed.

use std::sync::Arc;

use msp_protocol::{jws, keys::thumbprint};
use msp_schemas::{
    Release,
    api::CoordinatorKey,
    policy::{NetworkPolicy, SignedPolicy},
    release::{ReleaseFields, Timestamp},
};
use msp_store::testing::databases;
use msp_tests::{Options, TestCoordinator};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use serde_json::Value;
use time::OffsetDateTime;

const FIXTURE: &[u8] = include_bytes!("../../schemas/tests/fixtures/release-v1.json");
const HARTLEPOOL: &str = "E06000001";
const MIDDLESBROUGH: &str = "E06000002";

/// The coordinator's clock in every test: after every quarter the tests release.
const NOW: &str = "2027-01-15T10:00:00Z";

fn now() -> OffsetDateTime {
    OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap()
}

fn options() -> Options {
    Options { clock: Arc::new(now), ..Options::default() }
}

fn key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

/// The golden release (Hartlepool, 2026-27-Q1, revision 1, ρ = 0.5).
fn fields() -> ReleaseFields {
    Release::from_json(FIXTURE).unwrap().fields().clone()
}

/// The release for another quarter and revision.
fn of(period: &str, revision: u32) -> ReleaseFields {
    let mut f = fields();
    f.period = period.parse().unwrap();
    f.revision = revision;
    f
}

/// The release re-noised at `rho`, its tables sharing it by weight: self-consistent, so
/// msp-release/1 accepts it.
fn at_rho(mut f: ReleaseFields, rho: f64) -> ReleaseFields {
    f.set_rho_by_weight(rho);
    f
}

/// A validly signed submission of `f` (which must be a valid msp-release/1).
fn signed(k: &Ed25519KeyPair, f: ReleaseFields) -> String {
    let release = Release::new(f).expect("a valid msp-release/1: only the policy can refuse it");
    jws::sign(k, &thumbprint(k.public_key().as_ref()), jws::TYP_RELEASE, &release.to_json())
}

async fn post(c: &TestCoordinator, body: String) -> (u16, Value) {
    let r = c
        .client()
        .post(format!("{}/v1/submissions", c.base))
        .header("content-type", "application/jose")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status >= 400 {
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    (status, r.json().await.unwrap())
}

async fn accepted(c: &TestCoordinator, body: String) {
    let (status, answer) = post(c, body).await;
    assert_eq!(status, 201, "{answer}");
}

/// A coordinator with Hartlepool's key enrolled, and Middlesbrough (in the same region) already
/// holding a release of 2026-27-Q1, so that the benchmarks an attack could move have figures.
struct Network {
    c: TestCoordinator,
    hartlepool: Ed25519KeyPair,
    national: String,
    _dir: tempfile::TempDir,
}

impl Network {
    async fn start(url: &str) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), url).await
    }

    async fn start_in(dir: tempfile::TempDir, url: &str) -> Self {
        let c = TestCoordinator::start(dir.path().to_owned(), url, options()).await;
        let (hartlepool, middlesbrough) = (key(), key());
        c.enrol(HARTLEPOOL, hartlepool.public_key().as_ref()).await;
        c.enrol(MIDDLESBROUGH, middlesbrough.public_key().as_ref()).await;
        let mut f = fields();
        f.council = MIDDLESBROUGH.parse().unwrap();
        accepted(&c, signed(&middlesbrough, f)).await;
        let national = c.token("national").await;
        Self { c, hartlepool, national, _dir: dir }
    }

    /// Every benchmark the attacked council is in, for each period, exactly as served.
    async fn benchmarks(&self, periods: &[&str]) -> Vec<(String, u16, Vec<u8>)> {
        let mut out = Vec::new();
        for group in ["england", "region:north_east", &format!("council:{HARTLEPOOL}")] {
            for period in periods {
                let path = format!("/v1/benchmarks?group={group}&period={period}");
                let r = self
                    .c
                    .client()
                    .get(format!("{}{path}", self.c.base))
                    .bearer_auth(&self.national)
                    .send()
                    .await
                    .unwrap();
                out.push((path, r.status().as_u16(), r.bytes().await.unwrap().to_vec()));
            }
        }
        out
    }

    /// Posts `body`, which must be refused with `status` and `kind`, storing nothing and leaving
    /// every benchmark of `periods` byte for byte as it was. Returns the problem's detail.
    async fn refused(&self, body: String, status: u16, kind: &str, periods: &[&str]) -> String {
        let (size, before) = (self.c.stored().await, self.benchmarks(periods).await);
        assert!(before.iter().any(|(_, s, _)| *s == 200), "some benchmark has figures to protect");
        let (got, problem) = post(&self.c, body).await;
        assert_eq!((got, problem["type"].as_str().unwrap_or("(none)")), (status, kind), "{problem}");
        assert_eq!(self.c.stored().await, size, "nothing stored");
        let after = self.benchmarks(periods).await;
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b, a, "{} is unchanged", b.0);
        }
        let detail = problem["detail"].as_str().unwrap().to_owned();
        assert!(!detail.is_empty());
        detail
    }

    async fn stop(self) {
        self.c.stop().await;
    }
}

const Q1: &[&str] = &["2026-27-Q1", "2026-27"];

#[tokio::test]
async fn a_self_consistent_release_spending_rho_50_is_refused_as_a_policy_violation() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        // σ of the main table ≈ 0.25: the exact counts would come out almost every time.
        let body = signed(&n.hartlepool, at_rho(fields(), 50.0));
        let detail = n.refused(body, 422, "/problems/policy-violation", Q1).await;
        assert!(detail.contains("ρ = 50") && detail.contains("[0.05, 1]"), "{detail}");
        assert!(detail.contains("rho_per_release"), "says what to change: {detail}");
        n.stop().await;
    }
}

#[tokio::test]
async fn a_self_consistent_release_spending_rho_1e_302_is_refused_as_a_policy_violation() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        // σ ≈ 1e151: every benchmark it joined would be too wide to compare.
        let body = signed(&n.hartlepool, at_rho(fields(), 1e-302));
        let detail = n.refused(body, 422, "/problems/policy-violation", Q1).await;
        assert!(detail.contains("outside the network's range"), "{detail}");
        n.stop().await;
    }
}

/// The golden release with every value of every table set to `value`.
fn every_cell(value: i64) -> ReleaseFields {
    let mut f = fields();
    for t in &mut f.tables {
        t.values.iter_mut().for_each(|v| *v = value);
    }
    f
}

#[tokio::test]
async fn a_release_with_i64_max_in_every_cell_is_refused_as_implausible() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        let detail =
            n.refused(signed(&n.hartlepool, every_cell(i64::MAX)), 422, "/problems/implausible-release", Q1).await;
        assert!(detail.contains(&i64::MAX.to_string()) && detail.contains("plausible range"), "{detail}");
        n.stop().await;
    }
}

#[tokio::test]
async fn a_release_with_i64_min_in_every_cell_is_refused_as_implausible() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        let detail =
            n.refused(signed(&n.hartlepool, every_cell(i64::MIN)), 422, "/problems/implausible-release", Q1).await;
        assert!(detail.contains(&i64::MIN.to_string()), "{detail}");
        n.stop().await;
    }
}

#[tokio::test]
async fn a_release_made_an_hour_in_the_future_is_refused_as_implausible() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        let mut f = fields();
        f.created_at = Timestamp::from(now() + time::Duration::hours(1));
        let detail = n.refused(signed(&n.hartlepool, f), 422, "/problems/implausible-release", Q1).await;
        assert!(detail.contains("2027-01-15T11:00:00Z") && detail.contains("NTP"), "{detail}");
        n.stop().await;
    }
}

#[tokio::test]
async fn a_fourth_revision_is_refused_as_a_policy_violation() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        let body = signed(&n.hartlepool, of("2026-27-Q1", 4));
        let detail = n.refused(body, 422, "/problems/policy-violation", Q1).await;
        assert!(detail.contains("revision 4") && detail.contains("limit of 3"), "{detail}");
        n.stop().await;
    }
}

#[tokio::test]
async fn a_second_key_of_the_council_cannot_spend_past_the_quarter_cap_whether_the_first_is_live_or_revoked() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        // Rotation overlap: the council's new key is enrolled while the old one is still live.
        let second = key();
        n.c.enrol(HARTLEPOOL, second.public_key().as_ref()).await;
        accepted(&n.c, signed(&n.hartlepool, of("2026-27-Q1", 1))).await;
        accepted(&n.c, signed(&n.hartlepool, of("2026-27-Q1", 2))).await;
        // The second key's node has its own ledger, empty: it thinks ρ = 0.5 is free.
        let third = signed(&second, of("2026-27-Q1", 3));
        let detail = n.refused(third.clone(), 422, "/problems/budget-exceeded", Q1).await;
        for figure in
            ["revision 3", "2026-27-Q1", "ρ = 0.5000", "ρ = 1.5000", "cap of 1 per quarter", "ρ = 1.0000 already"]
        {
            assert!(detail.contains(figure), "{figure}: {detail}");
        }
        // The old key revoked: its releases still count.
        let old = thumbprint(n.hartlepool.public_key().as_ref());
        n.c.store.revoke(HARTLEPOOL.parse().unwrap(), Some(&old), "2027-01-15T09:00:00Z").await.unwrap();
        n.refused(third, 422, "/problems/budget-exceeded", Q1).await;
        n.stop().await;
    }
}

#[tokio::test]
async fn a_node_restored_from_backup_cannot_spend_its_quarter_again() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        let (first, second) = (signed(&n.hartlepool, of("2026-27-Q1", 1)), signed(&n.hartlepool, of("2026-27-Q1", 2)));
        accepted(&n.c, first.clone()).await;
        accepted(&n.c, second.clone()).await;
        // The node's database is restored from before it spent anything: its ledger says 0.
        let detail = n.refused(signed(&n.hartlepool, of("2026-27-Q1", 3)), 422, "/problems/budget-exceeded", Q1).await;
        assert!(detail.contains("cap of 1 per quarter"), "{detail}");
        // What was accepted stays accepted: the same bytes again get the same receipt.
        let (status, _) = post(&n.c, second).await;
        assert_eq!(status, 200, "idempotency comes before the ledger");

        // Submission status shows what Hartlepool has published, against the caps.
        let admin = n.c.token("admin").await;
        let status = n.c.get_json("/v1/views/status", &admin).await;
        let table = status["tables"].as_array().unwrap().iter().find(|t| t["id"] == "published-rho").unwrap();
        let headings: Vec<&str> =
            table["columns"].as_array().unwrap().iter().map(|c| c["heading"].as_str().unwrap()).collect();
        let row = table["rows"].as_array().unwrap().iter().find(|r| r[1] == HARTLEPOOL).unwrap();
        let at = |h: &str| &row[headings.iter().position(|x| *x == h).unwrap_or_else(|| panic!("{h}: {headings:?}"))];
        assert!((at("ρ 2026-27-Q1").as_f64().unwrap() - 1.0).abs() < 1e-9, "{row}");
        assert!((at("Most in four quarters").as_f64().unwrap() - 1.0).abs() < 1e-9, "{row}");
        assert_eq!((at("Quarter cap").as_f64(), at("Four-quarter cap").as_f64()), (Some(1.0), Some(2.5)));
        assert_eq!(at("At a cap"), "quarter cap: 2026-27-Q1");
        n.stop().await;
    }
}

#[tokio::test]
async fn the_four_quarter_cap_holds_across_quarters() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        let k = &n.hartlepool;
        // Each quarter within its own cap; 2025-26-Q4 to 2026-27-Q3 together at the cap of 2.5.
        accepted(&n.c, signed(k, at_rho(of("2025-26-Q4", 1), 1.0))).await;
        accepted(&n.c, signed(k, at_rho(of("2026-27-Q1", 1), 1.0))).await;
        accepted(&n.c, signed(k, of("2026-27-Q2", 1))).await;
        let periods = ["2025-26-Q4", "2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2025-26", "2026-27"];
        let detail = n.refused(signed(k, of("2026-27-Q3", 1)), 422, "/problems/budget-exceeded", &periods).await;
        for figure in
            ["the four quarters from 2025-26-Q4", "ρ = 3.0000", "cap of 2.5 per four quarters", "ρ = 2.5000 already"]
        {
            assert!(detail.contains(figure), "{figure}: {detail}");
        }
        // Not even the smallest release the policy allows fits in a window at its cap.
        let smallest = signed(k, at_rho(of("2026-27-Q3", 1), NetworkPolicy::default().rho_per_release.min));
        n.refused(smallest, 422, "/problems/budget-exceeded", &periods).await;
        n.stop().await;
    }
}

#[tokio::test]
async fn two_submissions_at_once_cannot_both_slip_under_the_quarter_cap() {
    for db in databases().await {
        let n = Network::start(&db.url).await;
        accepted(&n.c, signed(&n.hartlepool, of("2026-27-Q1", 1))).await;
        let (a, b) = (signed(&n.hartlepool, of("2026-27-Q1", 2)), signed(&n.hartlepool, of("2026-27-Q1", 3)));
        let size = n.c.stored().await;
        let ((sa, pa), (sb, pb)) = tokio::join!(post(&n.c, a), post(&n.c, b));
        let mut statuses = [(sa, pa["type"].clone()), (sb, pb["type"].clone())];
        statuses.sort_by_key(|(s, _)| *s);
        assert_eq!(statuses[0].0, 201, "one fits: {pa} {pb}");
        assert_eq!(statuses[1], (422, Value::from("/problems/budget-exceeded")), "the other does not: {pa} {pb}");
        assert_eq!(n.c.stored().await, size + 1);
        n.stop().await;
    }
}

#[tokio::test]
async fn the_policy_is_served_signed_with_the_coordinators_key_exactly_as_its_file_sets_it() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.toml");
        std::fs::write(&file, "max_revision = 2\nrho_per_quarter = 0.9\n\n[rho_per_release]\nmax = 0.6\n").unwrap();
        let configured = msp_coordinator::config::read_policy(&file).unwrap();
        assert_ne!(configured, NetworkPolicy::default());
        let n = Network::start_in(dir, &db.url).await;

        let r = n.c.client().get(format!("{}/v1/policy", n.c.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "no sign-in: nodes fetch it");
        assert_eq!(r.headers()["content-type"], "application/json");
        let served: SignedPolicy = r.json().await.unwrap();
        assert_eq!(served.policy, configured, "the served policy is the file's");
        let key: CoordinatorKey =
            n.c.client().get(format!("{}/v1/keys", n.c.base)).send().await.unwrap().json().await.unwrap();
        let compact = jws::Compact::parse(&served.policy_jws, jws::TYP_POLICY).unwrap();
        assert_eq!(compact.header.kid, key.fingerprint);
        let payload = compact.verify(&msp_protocol::keys::decode_public_key(&key.public_key).unwrap()).unwrap();
        assert_eq!(payload, serde_json::to_vec(&configured).unwrap(), "the payload is exactly the policy's JSON");
        assert_eq!(serde_json::from_slice::<NetworkPolicy>(&payload).unwrap(), served.policy);

        // And it is the policy submissions are held to.
        accepted(&n.c, signed(&n.hartlepool, of("2026-27-Q1", 1))).await;
        let detail = n.refused(signed(&n.hartlepool, of("2026-27-Q1", 3)), 422, "/problems/policy-violation", Q1).await;
        assert!(detail.contains("limit of 2"), "{detail}");
        let detail = n
            .refused(signed(&n.hartlepool, at_rho(of("2026-27-Q1", 2), 0.7)), 422, "/problems/policy-violation", Q1)
            .await;
        assert!(detail.contains("[0.05, 0.6]"), "{detail}");
        n.stop().await;
    }
}
