//! Benchmark-query benchmark (issue: "Benchmarks, dashboard, API and exports"): with 153 councils ×
//! 8 quarters of releases stored — made by the real node code through `msp-demo` — a
//! freshly started coordinator on the same database answers, over HTTPS on loopback:
//!
//! - "national plus all regions": `GET /v1/benchmarks` for England and each of the 9 regions for the
//!   latest quarter, one after another; the time for all ten is one sample;
//! - the dashboard's overview page, `GET /dashboard`, signed in.
//!
//! The first request after start reads every release from the database (cold); the rest use the
//! coordinator's snapshot (warm). On SQLite and (when `MSP_TEST_POSTGRES_URL` points at a server)
//! PostgreSQL. Run: `cargo bench -p msp-tests --bench queries` (options after `--`: `--councils N`,
//! `--quarters N`, `--samples N`). Results also go to `target/bench-results/queries.json`.

use std::time::{Duration, Instant};

use msp_coordinator::{auth::Role, tokens::create_token};
use msp_schemas::Region;
use msp_store::testing::TestDb;
use msp_tests::{DemoNetwork, Options, TestCoordinator};
use serde_json::json;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn fetch(req: reqwest::RequestBuilder) {
    let r = req.send().await.expect("a response");
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap_or_default());
    r.bytes().await.expect("a body");
}

async fn run(label: &str, db: &TestDb, councils: usize, quarters: u32, samples: usize) -> serde_json::Value {
    let built = Instant::now();
    let net = DemoNetwork::start_on(Some(&db.url), councils, quarters).await;
    net.stop().await;
    let build_s = built.elapsed().as_secs_f64();

    let dir = tempfile::tempdir().unwrap();
    let c = TestCoordinator::start(dir.path().to_owned(), &db.url, Options::default()).await;
    let stored = c.stored().await;
    let (token, _) = create_token(&c.store, Role::National, "benchmark").await.unwrap();
    let (session, _) = msp_coordinator::tokens::open_session(&c.store, &token, time::OffsetDateTime::now_utc())
        .await
        .unwrap()
        .expect("a session for the token");
    let client = c.client();
    let groups: Vec<String> = std::iter::once("england".to_owned())
        .chain(Region::ALL.iter().map(|r| format!("region:{}", r.slug())))
        .collect();
    let national_and_regions = || async {
        let t = Instant::now();
        for g in &groups {
            fetch(client.get(format!("{}/v1/benchmarks?group={g}", c.base)).bearer_auth(&token)).await;
        }
        t.elapsed()
    };
    let overview = || async {
        let t = Instant::now();
        fetch(
            client.get(format!("{}/dashboard", c.base)).header("cookie", format!("msp_session={}", session.expose())),
        )
        .await;
        t.elapsed()
    };
    let cold = national_and_regions().await;
    let mut api: Vec<Duration> = Vec::with_capacity(samples);
    let mut page: Vec<Duration> = Vec::with_capacity(samples);
    for _ in 0..samples {
        api.push(national_and_regions().await);
        page.push(overview().await);
    }
    api.sort();
    page.sort();
    println!(
        "  {label:<10} {stored} releases   national + 9 regions: cold {:>6.1} ms, warm p50 {:>5.1} ms, p99 {:>5.1} ms   overview page: p50 {:>5.1} ms, p99 {:>5.1} ms   (network built in {build_s:.0} s)",
        ms(cold),
        ms(percentile(&api, 0.5)),
        ms(percentile(&api, 0.99)),
        ms(percentile(&page, 0.5)),
        ms(percentile(&page, 0.99)),
    );
    c.stop().await;
    json!({ "backend": label, "releases": stored, "councils": councils, "quarters": quarters, "samples": samples,
            "national_and_regions_cold_ms": ms(cold),
            "national_and_regions_p50_ms": ms(percentile(&api, 0.5)), "national_and_regions_p99_ms": ms(percentile(&api, 0.99)),
            "overview_p50_ms": ms(percentile(&page, 0.5)), "overview_p99_ms": ms(percentile(&page, 0.99)) })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    msp_tests::crypto();
    let councils = arg("--councils", 153);
    let quarters = arg("--quarters", 8) as u32;
    let samples = arg("--samples", 300);
    println!(
        "benchmark queries: {councils} councils × {quarters} quarters stored, {samples} samples over HTTPS on loopback"
    );
    println!("  (targets: national plus all regions p99 at most 50 ms; overview page at most 100 ms warm)");
    let mut results = vec![run("SQLite", &TestDb::sqlite(), councils, quarters, samples).await];
    match TestDb::postgres().await {
        Some(pg) => results.push(run("PostgreSQL", &pg, councils, quarters, samples).await),
        None => println!("  PostgreSQL   skipped: set MSP_TEST_POSTGRES_URL"),
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("queries.json"), serde_json::to_vec_pretty(&results).unwrap()).unwrap();
}
