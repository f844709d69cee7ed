//! The `msp-node` binary from a release to a receipt, as a council's safeguarding lead and
//! performance officer use it: `release` asks before it spends, `show-release --table` reads the
//! release, `approve` shows what it approves, `status` shows each quarter's state, and the
//! `node.toml` that `init` writes shows every section.

mod common;

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

use msp_node::config::{ContextConfig, DataDir, NodeConfig};
use msp_schemas::{
    Release,
    codes::{MspLevel, TeamModel},
};

const PERIOD: &str = "2026-27-Q2";

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_msp-node")
}

/// Runs `msp-node` without a terminal (standard input is closed, as under a timer).
fn node(dir: &Path, args: &[&str]) -> Output {
    common::node_command(dir, args)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn failed(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A node for Barnsley whose coordinator is unreachable (nothing listens on port 1), with a
/// quarter of synthetic cases imported.
fn node_with_cases(dir: &Path) {
    let init = ["init", "--council", "E08000038", "--coordinator", "https://127.0.0.1:1"];
    ok(&node(dir, &[&init[..], &["--team-model", "locality", "--msp-level", "gold"]].concat()));
    ok(&node(dir, &["synth", "--period", PERIOD, "--people", "60", "--seed", "5", "--out", "cases.csv"]));
    ok(&node(dir, &["import", "cases.csv"]));
}

fn charges(dir: &Path) -> usize {
    let budget: serde_json::Value = serde_json::from_str(&ok(&node(dir, &["budget", "--json"]))).unwrap();
    budget["charges"].as_array().unwrap().len()
}

/// Runs `msp-node release` on a pseudo-terminal (util-linux `script`), answering `answer`.
/// None when `script` is not installed.
fn release_on_a_terminal(dir: &Path, answer: &str) -> Option<(bool, String)> {
    let line = format!("{} --data-dir {} release --period {PERIOD}", binary(), dir.join("data").display());
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .env_remove("MSP_NODE_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Some((out.status.success(), String::from_utf8_lossy(&out.stdout).replace('\r', "")))
}

#[test]
fn without_a_terminal_or_yes_release_refuses_and_spends_nothing_and_with_yes_it_releases() {
    let dir = tempfile::tempdir().unwrap();
    node_with_cases(dir.path());

    let err = failed(&node(dir.path(), &["release", "--period", PERIOD]));
    assert!(err.contains("there is no terminal to ask on") && err.contains("--yes"), "{err}");
    assert!(err.contains("Nothing was released and no budget was spent"), "{err}");
    assert_eq!(charges(dir.path()), 0, "the ledger is unchanged");
    let err = failed(&node(dir.path(), &["release", "--period", PERIOD, "--json"]));
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(charges(dir.path()), 0, "the ledger is unchanged");

    // A dry run spends nothing and never asks.
    ok(&node(dir.path(), &["release", "--period", PERIOD, "--dry-run"]));

    let out = ok(&node(dir.path(), &["release", "--period", PERIOD, "--yes"]));
    assert!(out.contains(&format!("Released {PERIOD} revision 1")), "{out}");
    assert_eq!(charges(dir.path()), 1);

    // The stored release spends nothing, so it needs no answer; a revision does.
    let out = ok(&node(dir.path(), &["release", "--period", PERIOD]));
    assert!(out.contains("was already released") && out.contains("unchanged"), "{out}");
    let err = failed(&node(dir.path(), &["release", "--period", PERIOD, "--revise"]));
    assert!(err.contains("--yes") && err.contains("no budget was spent"), "{err}");
    assert_eq!(charges(dir.path()), 1, "the ledger is unchanged");
}

#[test]
fn a_release_that_would_be_refused_is_refused_before_the_question() {
    let dir = tempfile::tempdir().unwrap();
    node_with_cases(dir.path());
    // The quarter has not ended: refused for that, not for want of a terminal.
    let err = failed(&node(dir.path(), &["release", "--period", "2040-41-Q1"]));
    assert!(err.contains("has not ended yet") && !err.contains("--yes"), "{err}");
    assert_eq!(charges(dir.path()), 0);
}

#[test]
fn on_a_terminal_release_shows_what_it_will_spend_and_spends_only_on_yes() {
    let dir = tempfile::tempdir().unwrap();
    node_with_cases(dir.path());
    let Some((success, out)) = release_on_a_terminal(dir.path(), "n\n") else {
        eprintln!("util-linux `script` is not installed: the terminal is not tested");
        return;
    };
    assert!(success, "{out}");
    assert!(out.contains(&format!("This makes the first release of {PERIOD} and spends ρ = 0.5000")), "{out}");
    assert!(out.contains("ε = 5.22 at δ = 1e-6") && out.contains("Spent budget never comes back"), "{out}");
    assert!(out.contains(&format!("Afterwards {PERIOD}'s data have ρ = 0.5000 left of 1")), "{out}");
    assert!(out.contains("four consecutive quarters holding it ρ = 2.0000 left of 2.5"), "{out}");
    assert!(out.contains("expected interval") && out.contains("Outcomes fully achieved"), "{out}");
    assert!(out.contains(&format!("Spend ρ = 0.5000 and release {PERIOD}? [y/N]")), "{out}");
    assert!(out.contains("Nothing was released and no budget was spent."), "{out}");
    assert_eq!(charges(dir.path()), 0, "no is no");

    let (success, out) = release_on_a_terminal(dir.path(), "y\n").unwrap();
    assert!(success && out.contains(&format!("Released {PERIOD} revision 1")), "{out}");
    assert_eq!(charges(dir.path()), 1);
}

#[test]
fn show_release_reads_as_labelled_tables_and_still_prints_the_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    node_with_cases(dir.path());
    ok(&node(dir.path(), &["release", "--period", PERIOD, "--yes"]));

    let bytes = ok(&node(dir.path(), &["show-release", "--period", PERIOD]));
    assert_eq!(bytes, ok(&node(dir.path(), &["show-release", "--period", PERIOD, "--json"])));
    let release = Release::from_json(bytes.trim_end().as_bytes()).unwrap();

    let text = ok(&node(dir.path(), &["show-release", "--period", PERIOD, "--table"]));
    let spec = release.spec().spec();
    for (t, published) in spec.tables.iter().zip(&release.fields().tables) {
        assert!(text.contains(&format!("\n{}\n", t.title)), "no title {:?} in\n{text}", t.title);
        assert!(text.contains(&format!("ρ = {:.4} (σ = {:.2})", published.rho, published.sigma)), "{text}");
    }
    let first = &spec.tables[0];
    let line = text.lines().find(|l| l.trim_start().starts_with(&first.cells[0].label)).expect("a labelled cell");
    let value = msp_node::cli::thousands(release.fields().tables[0].values[0]);
    assert!(line.trim_end().ends_with(&value), "{line:?} shows {value}");
    assert!(text.contains("about 95% of published values are within ±"), "{text}");
    assert!(text.contains("ε = ") && text.contains("whether or not that person's records are included"), "{text}");
    let negative = release.fields().tables.iter().any(|t| t.values.iter().any(|v| *v < 0));
    assert_eq!(text.contains(msp_node::readable::NEGATIVE_VALUES), negative, "the note shows when a value is negative");

    let exact = ok(&node(dir.path(), &["show-release", "--period", PERIOD, "--table", "--exact"]));
    assert!(exact.contains("they never leave the node") && exact.contains("exact "), "{exact}");
    let err = failed(&node(dir.path(), &["show-release", "--period", PERIOD, "--table", "--json"]));
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn approve_shows_what_is_approved_and_status_follows_each_quarter_to_its_state() {
    let dir = tempfile::tempdir().unwrap();
    node_with_cases(dir.path());
    let status = ok(&node(dir.path(), &["status"]));
    let row = status.lines().find(|l| l.starts_with(PERIOD)).expect(&status);
    assert!(row.ends_with("not released"), "{row}");

    ok(&node(dir.path(), &["release", "--period", PERIOD, "--yes"]));
    let status = ok(&node(dir.path(), &["status"]));
    assert!(status.lines().any(|l| l.starts_with(PERIOD) && l.ends_with("released r1")), "{status}");

    let bytes = ok(&node(dir.path(), &["show-release", "--period", PERIOD]));
    let bytes = bytes.trim_end();
    let sha = msp_schemas::release::Sha256::from_bytes(msp_protocol::sha256(bytes.as_bytes())).to_string();
    let release = Release::from_json(bytes.as_bytes()).unwrap();
    let out = ok(&node(dir.path(), &["approve", "--period", PERIOD, "--by", "A. Lead"]));
    assert!(out.contains(&format!("Approving {PERIOD} revision 1 for submission: made ")), "{out}");
    assert!(out.contains(&format!("spending ρ = {:.4}", release.fields().privacy.rho)), "{out}");
    assert!(out.contains(&format!("SHA-256 of the release's exact bytes: {sha}")), "{out}");
    assert!(out.contains("Outcomes fully achieved") && out.contains("95% interval"), "{out}");
    let approved = format!("approved for submission by A. Lead (SHA-256 {sha})");
    assert!(out.trim_end().ends_with(&approved), "{out}");

    let status: serde_json::Value = serde_json::from_str(&ok(&node(dir.path(), &["status", "--json"]))).unwrap();
    let quarter = status["quarters"].as_array().unwrap().iter().find(|q| q["period"] == PERIOD).unwrap();
    assert_eq!(quarter["stage"], "approved");
    assert_eq!(quarter["state"], "r1 approved by A. Lead");
    assert_eq!(quarter["latest"]["revision"], 1);
    assert_eq!(quarter["holdings"]["people_concluded"], 60);

    // Signed for the coordinator (here as a file): sent, awaiting its receipt.
    ok(&node(dir.path(), &["export-submission", "--period", PERIOD, "--out", "release.jws"]));
    let status = ok(&node(dir.path(), &["status"]));
    assert!(status.lines().any(|l| l.starts_with(PERIOD) && l.ends_with("r1 sent, awaiting receipt")), "{status}");
}

#[test]
fn the_node_toml_init_writes_shows_every_section_and_reads_back_as_set() {
    let dir = tempfile::tempdir().unwrap();
    let init = ["init", "--council", "E08000038", "--coordinator", "https://coordinator.test:8443"];
    let context = ["--team-model", "hybrid", "--msp-level", "bronze", "--recording-system", "Mosaic \"7\""];
    ok(&node(dir.path(), &[&init[..], &context].concat()));
    let data = DataDir::new(dir.path().join("data"));
    let expected = NodeConfig {
        council: "E08000038".parse().unwrap(),
        coordinator_url: "https://coordinator.test:8443".into(),
        ca_cert: None,
        database_url: None,
        context: Some(ContextConfig {
            team_model: TeamModel::Hybrid,
            msp_level: MspLevel::Bronze,
            recording_system: "Mosaic \"7\"".into(),
            validated: false,
        }),
        budget: None,
        submission: None,
        web: None,
        spec: None,
    };
    assert_eq!(data.load().unwrap(), expected);
    let text = std::fs::read_to_string(data.config_path()).unwrap();
    for line in [
        "[context]",
        "team_model = \"hybrid\"",
        "# database_url = \"postgres://msp_node@db.council.example:5432/msp_node\"",
        "# [budget]",
        "# rho_per_release = 0.5",
        "# rho_per_quarter = 1.0",
        "# rho_per_four_quarters = 2.5",
        "# [submission]",
        "# require_approval = false",
        "# four_eyes = false",
        "# [web]",
        "# session_hours = 8",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
    // Re-initialising writes the same settings again.
    ok(&node(dir.path(), &[&init[..], &["--force"]].concat()));
    assert_eq!(data.load().unwrap(), expected);
}
