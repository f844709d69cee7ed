//! Runs every benchmark the repository ships and prints one table of their figures:
//!
//! ```text
//! cargo run --release -p msp-tests --bin benchmarks [-- --quick]
//! ```
//!
//! Import, release, ingest and benchmark queries run as `cargo bench` (each writes its figures
//! to `target/bench-results/NAME.json`); the demo (153 councils × 1 quarter) runs here, in this
//! process, built with the same release profile. PostgreSQL figures are measured when
//! `MSP_TEST_POSTGRES_URL` is set or PostgreSQL answers at 127.0.0.1:5432. `--quick` runs every
//! benchmark at a tenth of its size or less, to check the runner itself; its figures are not
//! the ones to quote. The table also goes to `target/bench-results/summary.md`.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::Instant,
};

use serde_json::Value;

/// One benchmark: its package, and the arguments that shrink it for `--quick` (at full size it
/// runs with its own defaults).
struct Bench {
    name: &'static str,
    package: &'static str,
    quick: &'static [&'static str],
}

const BENCHES: [Bench; 4] = [
    Bench { name: "import", package: "msp-node", quick: &["--rows", "50000", "--runs", "1"] },
    Bench { name: "release", package: "msp-node", quick: &["--people", "50000", "--runs", "1"] },
    Bench { name: "ingest", package: "msp-tests", quick: &["--submissions", "2000", "--clients", "8"] },
    Bench { name: "queries", package: "msp-tests", quick: &["--councils", "20", "--quarters", "2", "--samples", "30"] },
];

/// A row of the table.
struct Figure {
    what: String,
    value: String,
    target: &'static str,
}

fn figure(what: impl Into<String>, value: impl Into<String>, target: &'static str) -> Figure {
    Figure { what: what.into(), value: value.into(), target }
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let results = results_dir();
    let postgres = std::env::var("MSP_TEST_POSTGRES_URL")
        .ok()
        .or_else(|| postgres_answers().then(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()));
    let mut failed = Vec::new();
    for b in &BENCHES {
        let _ = std::fs::remove_file(results.join(format!("{}.json", b.name)));
        eprintln!("\n==> cargo bench -p {} --bench {}", b.package, b.name);
        let args: &[&str] = if quick { b.quick } else { &[] };
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args(["bench", "-p", b.package, "--bench", b.name, "--"]).args(args);
        if let Some(url) = &postgres {
            cargo.env("MSP_TEST_POSTGRES_URL", url);
        }
        let status = cargo.status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => failed.push(format!("{} ({s})", b.name)),
            Err(e) => failed.push(format!("{} (could not run cargo: {e})", b.name)),
        }
    }
    let councils = if quick { 20 } else { 153 };
    eprintln!("\n==> the demo: {councils} councils × 1 quarter, in this process");
    let demo = demo(councils);

    let mut rows = Vec::new();
    for b in &BENCHES {
        match read(&results.join(format!("{}.json", b.name))) {
            Some(v) => rows.extend(figures(b.name, &v)),
            None => rows.push(figure(b.name, "not measured (see its output above)", "")),
        }
    }
    match demo {
        Ok(f) => rows.extend(f),
        Err(e) => {
            failed.push(format!("demo ({e})"));
            rows.push(figure("demo", "failed", ""));
        }
    }
    let table = render(&rows, quick);
    println!("\n{table}");
    let _ = std::fs::write(results.join("summary.md"), &table);
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("these did not finish: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

/// `target/bench-results`, beside this binary's profile directory.
fn results_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the runner's own path");
    let target = exe.ancestors().nth(2).expect("the runner lives in target/PROFILE/").to_owned();
    let dir = target.join("bench-results");
    std::fs::create_dir_all(&dir).expect("target/bench-results");
    dir
}

fn postgres_answers() -> bool {
    std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().expect("an address"),
        std::time::Duration::from_secs(1),
    )
    .is_ok()
}

fn read(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// The rows of one benchmark's results.
fn figures(name: &str, v: &Value) -> Vec<Figure> {
    match name {
        "import" => vec![
            figure(
                format!("import {} rows (SQLite): msp-node vs sqlite3 .import", v["rows"]),
                format!(
                    "{:.2} s vs {:.2} s = {:.2}×",
                    num(v, "median_msp_node_seconds"),
                    num(v, "median_sqlite3_seconds"),
                    num(v, "ratio")
                ),
                "≤ 2×",
            ),
            figure("import peak memory", format!("{:.0} MB", num(v, "peak_rss_mib")), "< 300 MB"),
        ],
        "release" => vec![figure(
            format!("release of {} people concluded (SQLite)", v["people_concluded"]),
            format!("{:.2} s", num(v, "median_seconds")),
            "≤ 2 s",
        )],
        "ingest" => per_backend(v, |b| {
            vec![figure(
                format!("ingest, {} clients over HTTPS ({})", b["clients"], b["backend"].as_str().unwrap_or("")),
                format!("{:.0}/s, p99 {:.1} ms", num(b, "per_second"), num(b, "p99_ms")),
                "≥ 1,000/s, p99 ≤ 100 ms",
            )]
        }),
        "queries" => per_backend(v, |b| {
            let backend = b["backend"].as_str().unwrap_or("");
            vec![
                figure(
                    format!("England + 9 regions, {} releases ({backend})", b["releases"]),
                    format!(
                        "p99 {:.1} ms (cold {:.1} ms)",
                        num(b, "national_and_regions_p99_ms"),
                        num(b, "national_and_regions_cold_ms")
                    ),
                    "p99 ≤ 50 ms",
                ),
                figure(
                    format!("overview page, warm ({backend})"),
                    format!("p99 {:.1} ms", num(b, "overview_p99_ms")),
                    "≤ 100 ms",
                ),
            ]
        }),
        _ => Vec::new(),
    }
}

fn per_backend(v: &Value, f: impl Fn(&Value) -> Vec<Figure>) -> Vec<Figure> {
    v.as_array().map(|a| a.iter().flat_map(f).collect()).unwrap_or_default()
}

/// Builds the demo network of `councils` councils × 1 quarter and times it, with this
/// process's peak memory.
fn demo(councils: usize) -> Result<Vec<Figure>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    msp_tests::crypto();
    let options = msp_demo::DemoOptions {
        dir: dir.path().join("demo"),
        councils,
        quarters: 1,
        listen: "127.0.0.1:0".parse().expect("an address"),
        parallel: std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
        progress: false,
        database_url: None,
    };
    let started = Instant::now();
    let mut built = None;
    runtime.block_on(msp_demo::run(options, |d| built = Some(d.submissions), async {})).map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let submissions = built.ok_or("the demo did not report")?;
    Ok(vec![
        figure(
            format!("demo: {councils} councils × 1 quarter, {submissions} submissions"),
            format!("{seconds:.1} s"),
            "≤ 60 s",
        ),
        figure("demo peak memory (this process)", format!("{:.0} MB", peak_rss_mib()), ""),
    ])
}

/// This process's peak resident memory (Linux), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn render(rows: &[Figure], quick: bool) -> String {
    let mut out = String::from(if quick {
        "Benchmarks (--quick: reduced sizes, not figures to quote)\n\n"
    } else {
        "Benchmarks\n\n"
    });
    out.push_str("| Figure | Measured | Target |\n|---|---|---|\n");
    for r in rows {
        out.push_str(&format!("| {} | {} | {} |\n", r.what, r.value, r.target));
    }
    out
}
