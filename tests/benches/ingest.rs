//! Ingest benchmark (issue: "Coordinator service and submission protocol"): sustained ingest of
//! distinct signed submissions over HTTPS on loopback from 32 concurrent clients, on SQLite and
//! (when `MSP_TEST_POSTGRES_URL` points at a server) PostgreSQL; and, in the same run, the same
//! server's `GET /healthz` throughput, for the ratio. Clients and server share this machine.
//!
//! Run: `cargo bench -p msp-tests --bench ingest` (options after `--`: `--submissions N`,
//! `--clients N`). Results also go to `target/bench-results/ingest.json`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use msp_protocol::{jws, keys::thumbprint};
use msp_schemas::Council;
use msp_store::testing::TestDb;
use msp_tests::{Options, TestCoordinator};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use serde_json::json;

const FIXTURE: &str = include_str!("../../schemas/tests/fixtures/release-v1.json");

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Runs `total` requests from `clients` concurrent clients; returns (requests/s, latencies sorted).
async fn load(
    c: &TestCoordinator,
    clients: usize,
    bodies: Arc<Vec<String>>,
    make: fn(&reqwest::Client, &str, &str) -> reqwest::RequestBuilder,
    expect: u16,
) -> (f64, Vec<Duration>) {
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let client = c.client();
            let base = c.base.clone();
            let bodies = bodies.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                for body in bodies.iter().skip(i).step_by(clients) {
                    let t = Instant::now();
                    let r = make(&client, &base, body).send().await.expect("a response");
                    assert_eq!(r.status().as_u16(), expect, "{}", r.text().await.unwrap_or_default());
                    r.bytes().await.expect("a body");
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("a client task"));
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort();
    (rate, all)
}

fn post(client: &reqwest::Client, base: &str, body: &str) -> reqwest::RequestBuilder {
    client.post(format!("{base}/v1/submissions")).header("content-type", "application/jose").body(body.to_owned())
}

fn healthz(client: &reqwest::Client, base: &str, _: &str) -> reqwest::RequestBuilder {
    client.get(format!("{base}/healthz"))
}

async fn run(label: &str, db: &TestDb, n: usize, clients: usize) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
    // One key per council; distinct submissions are (council, revision) pairs of one quarter.
    let councils = Council::all();
    let keys: Vec<Ed25519KeyPair> = councils
        .iter()
        .map(|_| {
            Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap().as_ref()).unwrap()
        })
        .collect();
    for (council, k) in councils.iter().zip(&keys) {
        c.enrol(council.code, k.public_key().as_ref()).await;
    }
    let base: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let sign = |i: usize| {
        let k = &keys[i % keys.len()];
        let mut v = base.clone();
        v["council"] = json!(councils[i % councils.len()].code);
        v["revision"] = json!(i / councils.len() + 1);
        jws::sign(k, &thumbprint(k.public_key().as_ref()), jws::TYP_RELEASE, &serde_json::to_vec(&v).unwrap())
    };
    let warm: Vec<String> = (0..clients * 10).map(sign).collect();
    let bodies: Vec<String> = (warm.len()..warm.len() + n).map(sign).collect();
    load(&c, clients, Arc::new(warm), post, 201).await;
    let (rate, lat) = load(&c, clients, Arc::new(bodies), post, 201).await;
    let probes: Vec<String> = vec![String::new(); n];
    let (health, _) = load(&c, clients, Arc::new(probes), healthz, 200).await;
    let (p50, p99) = (percentile(&lat, 0.50), percentile(&lat, 0.99));
    println!(
        "  {label:<10} {rate:>8.0} submissions/s   p50 {:>6.1} ms   p99 {:>6.1} ms   healthz {health:>7.0}/s   ratio {:.2}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        rate / health
    );
    assert_eq!(c.stored().await as usize, n + clients * 10, "every submission stored once");
    c.stop().await;
    json!({ "backend": label, "submissions": n, "clients": clients, "per_second": rate,
            "p50_ms": p50.as_secs_f64() * 1e3, "p99_ms": p99.as_secs_f64() * 1e3,
            "healthz_per_second": health, "ratio_to_healthz": rate / health })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    msp_tests::crypto();
    let n = arg("--submissions", 20_000);
    let clients = arg("--clients", 32);
    println!("ingest benchmark: {n} distinct signed submissions over HTTPS on loopback, {clients} concurrent clients");
    println!("  (targets: at least 1,000 submissions/s with p99 at most 100 ms)");
    let mut results = vec![run("SQLite", &TestDb::sqlite(), n, clients).await];
    match TestDb::postgres().await {
        Some(pg) => results.push(run("PostgreSQL", &pg, n, clients).await),
        None => println!("  PostgreSQL   skipped: set MSP_TEST_POSTGRES_URL"),
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("ingest.json"), serde_json::to_vec_pretty(&results).unwrap()).unwrap();
}
