//! Import benchmark (issue: "Council node: init, synthetic data…, import"):
//! import about 1,000,000 synthetic rows into a fresh SQLite node, and compare with the time the
//! `sqlite3` shell takes to `.import` the same CSV into a table of the same columns (which
//! validates nothing). Reports the median of several runs, the ratio, and the importer's peak
//! memory (maximum resident set size of the `msp-node import` process).
//!
//! Run: `cargo bench -p msp-node --bench import` (options after `--`: `--rows N`, `--runs N`).
//! Needs the `sqlite3` shell (`apt-get install sqlite3`). Results also go to
//! `target/bench-results/import.json`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use msp_synth::SynthOptions;
use nix::sys::resource::{UsageWho, getrusage};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("the command runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let rows_wanted = arg("--rows", 1_000_000);
    let runs = arg("--runs", 3) as usize;
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-import");
    std::fs::create_dir_all(&work).unwrap();
    if Command::new("sqlite3").arg("--version").output().is_err() {
        eprintln!("the sqlite3 shell is needed for the baseline: apt-get install sqlite3");
        std::process::exit(2);
    }

    // About 18 rows per person per quarter-of-people over five quarters (concerns, enquiries,
    // history), so choose the people per quarter from the rows wanted.
    let people = (rows_wanted as f64 / 18.13).round() as u32;
    let csv = work.join(format!("cases-{people}.csv"));
    if !csv.exists() {
        eprintln!("generating about {rows_wanted} synthetic rows…");
        let options = SynthOptions {
            council: "E10000007".parse().unwrap(),
            period: "2026-27-Q1".parse().unwrap(),
            people: Some(people),
            history_quarters: 4,
            seed: 2026,
        };
        msp_synth::write(&options, &csv).unwrap();
    }
    let rows = std::fs::read(&csv).unwrap().iter().filter(|b| **b == b'\n').count() as u64 - 1;
    let bytes = std::fs::metadata(&csv).unwrap().len();

    let node = env!("CARGO_BIN_EXE_msp-node");
    let mut ours = Vec::new();
    for i in 0..runs {
        let dir = work.join(format!("node-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        run(Command::new(node).arg("--data-dir").arg(&dir).args([
            "init",
            "--council",
            "E10000007",
            "--coordinator",
            "https://localhost",
        ]));
        let start = Instant::now();
        run(Command::new(node).arg("--data-dir").arg(&dir).arg("import").arg(&csv));
        ours.push(start.elapsed().as_secs_f64());
        let _ = std::fs::remove_dir_all(&dir);
    }
    let peak_kib = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss();

    let header = std::fs::read_to_string(&csv).unwrap().lines().next().unwrap().to_owned();
    let columns: Vec<String> = header.split(',').map(|c| format!("\"{c}\" TEXT")).collect();
    let script =
        format!("CREATE TABLE cases ({});\n.import --csv --skip 1 {} cases\n", columns.join(", "), csv.display());
    let mut shell = Vec::new();
    for i in 0..runs {
        let db = work.join(format!("baseline-{i}.db"));
        let _ = std::fs::remove_file(&db);
        let start = Instant::now();
        let mut child = Command::new("sqlite3").arg(&db).stdin(std::process::Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
        shell.push(start.elapsed().as_secs_f64());
        check_rows(&db, rows);
        let _ = std::fs::remove_file(&db);
    }

    let (ours_s, shell_s) = (median(ours.clone()), median(shell.clone()));
    let ratio = ours_s / shell_s;
    println!("import benchmark: {rows} rows, {:.0} MB of CSV, {runs} runs each", bytes as f64 / 1e6);
    println!("  msp-node import (SQLite)      median {ours_s:>6.2} s   runs {ours:.2?}");
    println!("  sqlite3 .import (no checks)   median {shell_s:>6.2} s   runs {shell:.2?}");
    println!("  ratio                         {ratio:>6.2}×   (target at most 2×)");
    println!("  msp-node peak memory          {:>6.0} MB  (target under 300 MB)", peak_kib as f64 / 1024.0);
    let results = serde_json::json!({
        "benchmark": "import",
        "rows": rows,
        "csv_bytes": bytes,
        "runs": runs,
        "msp_node_seconds": ours,
        "sqlite3_seconds": shell,
        "median_msp_node_seconds": ours_s,
        "median_sqlite3_seconds": shell_s,
        "ratio": ratio,
        "peak_rss_mib": peak_kib as f64 / 1024.0,
    });
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("import.json"), serde_json::to_vec_pretty(&results).unwrap()).unwrap();
}

fn check_rows(db: &Path, rows: u64) {
    let out = Command::new("sqlite3").arg(db).arg("SELECT COUNT(*) FROM cases").output().unwrap();
    let n: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(n, rows, "the baseline imported every row");
}
