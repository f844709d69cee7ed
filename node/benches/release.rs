//! Release benchmark (issue: "Council node: differentially private quarterly release"):
//! a release for a quarter with 1,000,000 people concluded, including reading from the
//! database, by the `msp-node release` binary on SQLite. Reports the median of several runs and
//! where the time goes (the release's own timings: reading and counting, planning the noise,
//! charging the ledger, drawing the noise, storing the document).
//!
//! Run: `cargo bench -p msp-node --bench release` (options after `--`: `--people N`, `--runs N`).
//! The synthetic quarter (about 3.8 million stored rows) is generated and imported once and
//! kept under target/tmp. Results also go to `target/bench-results/release.json`.

use std::{path::PathBuf, process::Command, time::Instant};

use msp_node::config::{Budget, ContextConfig, DataDir};
use msp_schemas::codes::{MspLevel, TeamModel};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn node(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_msp-node"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "msp_node::release=info")
        .env("NO_COLOR", "1")
        .output()
        .expect("msp-node runs");
    assert!(out.status.success(), "msp-node {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let people = arg("--people", 1_000_000);
    let runs = arg("--runs", 5) as usize;
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-release-{people}"));
    let data = work.join("node");
    let period = "2026-27-Q1";
    if !data.join("ready").exists() {
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        node(
            &data,
            &[
                "init",
                "--council",
                "E10000007",
                "--coordinator",
                "https://localhost",
                "--team-model",
                "hybrid",
                "--msp-level",
                "gold",
            ],
        );
        let dir = DataDir::new(&data);
        let mut config = dir.load().unwrap();
        config.context = Some(ContextConfig {
            team_model: TeamModel::Hybrid,
            msp_level: MspLevel::Gold,
            recording_system: "benchmark".into(),
            validated: false,
        });
        // A budget big enough to release the same quarter once per run.
        config.budget = Some(Budget {
            rho_per_release: 0.5,
            rho_per_quarter: 1_000.0,
            rho_per_four_quarters: 1_000.0,
            delta: 1e-6,
        });
        dir.save(&config).unwrap();
        let csv = work.join("cases.csv");
        eprintln!("generating and importing a quarter with {people} people concluded (once)…");
        let people_s = people.to_string();
        node(
            &data,
            &[
                "synth",
                "--period",
                period,
                "--people",
                &people_s,
                "--history-quarters",
                "0",
                "--seed",
                "1",
                "--out",
                csv.to_str().unwrap(),
            ],
        );
        node(&data, &["import", csv.to_str().unwrap()]);
        std::fs::remove_file(&csv).unwrap();
        std::fs::write(data.join("ready"), "").unwrap();
    }
    let status: serde_json::Value = serde_json::from_slice(&node(&data, &["status", "--json"]).stdout).unwrap();
    let rows = status["case_records"].as_i64().unwrap();
    let concluded =
        status["periods"].as_array().unwrap().iter().find(|p| p["period"] == period).unwrap()["people_concluded"]
            .as_i64()
            .unwrap();

    let mut totals = Vec::new();
    let mut parts: Vec<(String, Vec<f64>)> = Vec::new();
    for i in 0..runs {
        let revise = if i == 0 && !data.join("released").exists() { vec![] } else { vec!["--revise"] };
        let start = Instant::now();
        let out = node(&data, &[&["release", "--period", period, "--json", "--yes"][..], &revise].concat());
        totals.push(start.elapsed().as_secs_f64());
        std::fs::write(data.join("released"), "").unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        let line = log.lines().find(|l| l.contains("release timings")).expect("the release logs its timings");
        for field in line.split_whitespace().filter_map(|w| w.split_once('=')) {
            if let (name, Ok(v)) = (field.0, field.1.parse::<f64>()) {
                match parts.iter_mut().find(|(n, _)| n == name) {
                    Some((_, vs)) => vs.push(v),
                    None => parts.push((name.to_owned(), vec![v])),
                }
            }
        }
    }
    let total = median(totals.clone());
    println!("release benchmark: {concluded} people concluded in {period}, {rows} stored rows, SQLite, {runs} runs");
    println!("  msp-node release (whole process)   median {total:>6.2} s   runs {totals:.2?}   (target at most 2 s)");
    println!("  where the time goes (medians, inside the release):");
    for (name, vs) in &parts {
        println!("    {:<22} {:>8.0} ms", name.trim_end_matches("_ms"), median(vs.clone()));
    }
    let results = serde_json::json!({
        "benchmark": "release",
        "people_concluded": concluded,
        "stored_rows": rows,
        "runs": runs,
        "seconds": totals,
        "median_seconds": total,
        "parts_ms": parts.iter().map(|(n, v)| (n.clone(), median(v.clone()))).collect::<std::collections::BTreeMap<_, _>>(),
    });
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("release.json"), serde_json::to_vec_pretty(&results).unwrap()).unwrap();
}
