//! `msp-node compare` against a stand-in coordinator serving the benchmark API's answers: each
//! group figure says how many councils stand behind it, a group of one is flagged as the
//! council's own figure, and a quarter without the council's release is refused.

mod standin;

use std::{path::Path, process::Command};

use axum::{Json, Router, extract::Query, routing::get};
use msp_schemas::api::{self, Benchmark, BenchmarkAnswer, Coverage, Difference, Estimate, MeasureEstimate, Verdict};
use standin::{StandIn, TestCa};

const WINDOW: &str = "2026-27-Q1";

fn estimate(value: f64) -> Estimate {
    Estimate { value, se: 0.02, low: value - 0.04, high: value + 0.04, too_wide: false }
}

/// A benchmark of `councils` councils; with none, it has no figures.
fn benchmark(group: &str, name: &str, window: &str, councils: u64) -> Benchmark {
    let value = (councils > 0).then(|| estimate(0.6));
    Benchmark {
        group: group.into(),
        name: name.into(),
        window: window.into(),
        coverage: Coverage {
            councils_included: councils,
            councils_in_group: 12,
            quarters_included: councils,
            quarters_expected: 12,
        },
        measures: vec![MeasureEstimate {
            measure: "fully".into(),
            label: "Outcomes fully achieved".into(),
            proportion: true,
            estimate: value,
        }],
        median_days: None,
        tables: vec![],
    }
}

/// Serves Barnsley (E08000038) with a release in 2026-27-Q1 only, alone in its region that
/// quarter, beside 30 metropolitan districts and 140 councils in England.
async fn coordinator(ca: &TestCa) -> StandIn {
    let compare = get(|Query(q): Query<std::collections::HashMap<String, String>>| async move {
        let window = q.get("period").map_or(WINDOW, String::as_str);
        let own = u64::from(window == WINDOW);
        let a = benchmark("council:E08000038", "Barnsley", window, own);
        let b = benchmark("region:yorkshire", "Yorkshire", window, own);
        let differences = vec![Difference {
            measure: "fully".into(),
            label: "Outcomes fully achieved".into(),
            proportion: true,
            a: a.measure("fully"),
            b: b.measure("fully"),
            difference: None,
            verdict: None::<Verdict>,
        }];
        Json(api::Comparison { tree_size: 171, a, b, differences })
    });
    let benchmarks = get(|Query(q): Query<std::collections::HashMap<String, String>>| async move {
        let group = q.get("group").cloned().unwrap_or_default();
        let (name, councils) = if group == "england" { ("England", 140) } else { ("Metropolitan districts", 30) };
        Json(BenchmarkAnswer { tree_size: 171, benchmark: benchmark(&group, name, WINDOW, councils) })
    });
    StandIn::start(ca, Router::new().route("/v1/compare", compare).route("/v1/benchmarks", benchmarks)).await
}

fn node(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_msp-node"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .current_dir(dir)
        .env_remove("MSP_NODE_DATABASE_URL")
        .env_remove("MSP_NODE_TOKEN")
        .output()
        .expect("msp-node runs")
}

/// Runs `msp-node` off the async runtime, so the stand-in keeps answering meanwhile.
async fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    let (dir, args): (std::path::PathBuf, Vec<String>) = (dir.to_owned(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || node(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_says_how_many_councils_stand_behind_each_group_and_refuses_a_quarter_without_a_release() {
    let ca = TestCa::new();
    let server = coordinator(&ca).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.ca_file().display().to_string();
    let init = ["init", "--council", "E08000038", "--coordinator", &server.base, "--ca-cert", &ca_file];
    let out = run(dir.path(), &init).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.path().join("token"), "msp_test_token\n").unwrap();

    let out = run(dir.path(), &["compare", "--period", WINDOW, "--token-file", "token"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("based on 1 council *"), "the region stands on Barnsley alone:\n{text}");
    assert!(text.contains("based on 30 councils") && text.contains("based on 140 councils"), "{text}");
    assert!(text.contains("* based on 1 council: yours"), "{text}");
    let json = run(dir.path(), &["compare", "--period", WINDOW, "--token-file", "token", "--json"]).await;
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["councils"], serde_json::json!([1, 30, 140]));

    let out = run(dir.path(), &["compare", "--period", "2026-27-Q2", "--token-file", "token"]).await;
    assert!(!out.status.success(), "a quarter without the council's release is refused");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no release of Barnsley for 2026-27-Q2"), "{err}");
    assert!(err.contains("msp-node submit") && out.stdout.is_empty(), "{err}");
}
