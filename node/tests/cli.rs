//! The `msp-node` binary as a council's lead would use it: init → synth → import → status, and
//! the clear refusals on the way.

mod common;

use std::path::Path;

fn node(dir: &Path, args: &[&str]) -> std::process::Output {
    common::node_command(dir, args)
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn failed(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a failure: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr.clone()).unwrap()
}

const INIT: &[&str] = &["init", "--council", "E08000038", "--coordinator", "https://coordinator.test:8443"];

#[test]
fn init_synth_import_and_status_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&node(dir.path(), &[INIT, &["--team-model", "locality", "--msp-level", "gold"]].concat()));
    assert!(out.contains("Barnsley (E08000038)") && out.contains("fingerprint"), "{out}");
    assert_printed_enrolment_checks_the_fingerprint(&out);

    let out = ok(&node(
        dir.path(),
        &[
            "synth",
            "--period",
            "2026-27-Q2",
            "--people",
            "60",
            "--history-quarters",
            "2",
            "--seed",
            "5",
            "--out",
            "cases.csv",
        ],
    ));
    assert!(out.contains("seed 5") && dir.path().join("cases.truth.json").exists(), "{out}");

    let out = ok(&node(dir.path(), &["import", "cases.csv", "--json"]));
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["rejected"], 0);
    assert_eq!(summary["rows_read"], summary["imported"]);

    let out = ok(&node(dir.path(), &["status", "--json"]));
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    let q2 = status["periods"].as_array().unwrap().iter().find(|p| p["period"] == "2026-27-Q2").unwrap();
    assert_eq!(q2["people_concluded"], 60);
    assert_eq!(status["last_import"]["imported"], summary["imported"]);
    let human = ok(&node(dir.path(), &["status"]));
    assert!(human.contains("never leave the node") && human.contains("2026-27-Q2"), "{human}");
}

/// The enrolment command printed for the coordinator's operator carries the fingerprint, so enrolling
/// by copying it still checks that the key arrived unaltered.
fn assert_printed_enrolment_checks_the_fingerprint(out: &str) {
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in:\n{out}"))
            .to_owned()
    };
    let (public_key, fingerprint) = (field("public key "), field("fingerprint "));
    let command = out.lines().map(str::trim).find(|l| l.starts_with("msp-coordinator council enrol")).expect(out);
    assert_eq!(
        command,
        format!("msp-coordinator council enrol --code E08000038 --public-key {public_key} --fingerprint {fingerprint}")
    );
}

#[test]
fn init_refuses_to_replace_a_node_without_force_and_force_keeps_the_node_secret() {
    let dir = tempfile::tempdir().unwrap();
    ok(&node(dir.path(), INIT));
    let secret = std::fs::read(dir.path().join("data/keys/node-secret")).unwrap();
    let key = std::fs::read(dir.path().join("data/keys/signing-key.p8")).unwrap();
    let err = failed(&node(dir.path(), INIT));
    assert!(err.contains("already set up") && err.contains("--force"), "{err}");

    let out = ok(&node(dir.path(), &[INIT, &["--force", "--json"]].concat()));
    let request: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(request["council"], "E08000038");
    assert_eq!(request["fingerprint"].as_str().unwrap().len(), 43);
    assert_eq!(std::fs::read(dir.path().join("data/keys/node-secret")).unwrap(), secret);
    assert_ne!(std::fs::read(dir.path().join("data/keys/signing-key.p8")).unwrap(), key);
}

#[test]
fn init_force_keeps_every_setting_it_is_not_given_and_takes_those_it_is() {
    use msp_node::config::{Budget, DataDir, SubmissionConfig};
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    std::fs::write(dir.path().join("ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        .unwrap();
    let ledger = format!("sqlite://{}", dir.path().join("ledger/node.db").display());
    let context = ["--team-model", "locality", "--msp-level", "gold", "--recording-system", "CaseWorks 4"];
    ok(&node(dir.path(), &[INIT, &["--ca-cert", "ca.pem", "--database-url", &ledger], &context].concat()));
    // What the council edits into node.toml afterwards.
    let mut before = data.load().unwrap();
    before.context.as_mut().unwrap().validated = true;
    before.budget = Some(Budget { rho_per_release: 0.25, ..Budget::default() });
    before.submission = Some(SubmissionConfig { require_approval: true, ..Default::default() });
    data.save(&before).unwrap();
    // The copy in the data directory is what counts, not the file init was given.
    std::fs::remove_file(dir.path().join("ca.pem")).unwrap();

    ok(&node(dir.path(), &[INIT, &["--force"]].concat()));
    assert_eq!(data.load().unwrap(), before);
    assert!(!data.default_database().exists(), "the node stays on its own database, not a fresh one");

    // Flags given again win; the rest still stays.
    let moved = format!("sqlite://{}", dir.path().join("moved.db").display());
    ok(&node(dir.path(), &[INIT, &["--force", "--database-url", &moved, "--recording-system", "Mosaic"]].concat()));
    let after = data.load().unwrap();
    assert_eq!(after.database_url.as_deref(), Some(moved.as_str()));
    let context = after.context.as_ref().unwrap();
    assert_eq!((context.recording_system.as_str(), context.validated), ("Mosaic", true));
    assert_eq!(after.context.as_ref().unwrap().team_model, before.context.as_ref().unwrap().team_model);
    assert_eq!(
        (after.ca_cert.as_ref(), after.budget, after.submission),
        (before.ca_cert.as_ref(), before.budget, before.submission)
    );
}

#[test]
fn init_force_will_not_leave_a_nodes_ledger_behind_for_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    ok(&node(dir.path(), INIT));
    ok(&node(dir.path(), &["synth", "--period", "2026-27-Q1", "--people", "30", "--out", "cases.csv"]));
    ok(&node(dir.path(), &["import", "cases.csv"]));
    let config = std::fs::read_to_string(dir.path().join("data/node.toml")).unwrap();
    let key = std::fs::read(dir.path().join("data/keys/signing-key.p8")).unwrap();

    let empty = format!("sqlite://{}", dir.path().join("empty.db").display());
    let err = failed(&node(dir.path(), &[INIT, &["--force", "--database-url", &empty]].concat()));
    assert!(err.contains("holds none") && err.contains("copy its database"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("data/node.toml")).unwrap(), config, "node.toml unchanged");
    assert_eq!(std::fs::read(dir.path().join("data/keys/signing-key.p8")).unwrap(), key, "the enrolled key is kept");

    // A copy of the node's database is a move, and init says so.
    let copy = dir.path().join("copy.db");
    std::fs::copy(dir.path().join("data/node.db"), &copy).unwrap();
    let copy = format!("sqlite://{}", copy.display());
    let out = ok(&node(dir.path(), &[INIT, &["--force", "--database-url", &copy]].concat()));
    assert!(out.contains("now uses the database at"), "{out}");
}

#[test]
fn init_force_with_a_node_toml_it_cannot_keep_from_changes_nothing_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    ok(&node(dir.path(), INIT));
    let key = std::fs::read(dir.path().join("data/keys/signing-key.p8")).unwrap();
    let config = dir.path().join("data/node.toml");
    let good = std::fs::read_to_string(&config).unwrap();

    std::fs::write(&config, format!("{good}\ndatabase_ur = \"postgres://db/msp\"\n")).unwrap();
    let err = failed(&node(dir.path(), &[INIT, &["--force"]].concat()));
    assert!(err.contains("database_ur") && err.contains("fix the file first"), "{err}");

    std::fs::write(&config, format!("{good}ca_cert = \"gone.pem\"\n")).unwrap();
    let err = failed(&node(dir.path(), &[INIT, &["--force"]].concat()));
    assert!(err.contains("gone.pem") && err.contains("--ca-cert"), "{err}");

    std::fs::write(&config, &good).unwrap();
    let err = failed(&node(dir.path(), &[INIT, &["--force", "--recording-system", "Mosaic"]].concat()));
    assert!(err.contains("--team-model and --msp-level"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("data/keys/signing-key.p8")).unwrap(), key, "the enrolled key is kept");
}

#[test]
fn init_refuses_an_unknown_council_a_former_code_and_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let err = failed(&node(dir.path(), &["init", "--council", "E99999999", "--coordinator", "https://x"]));
    assert!(err.contains("not the code of a council"), "{err}");
    let err = failed(&node(dir.path(), &["init", "--council", "E08000016", "--coordinator", "https://x"]));
    assert!(err.contains("E08000038"), "{err}");
    let err = failed(&node(dir.path(), &["init", "--council", "E08000038", "--coordinator", "http://x"]));
    assert!(err.contains("https://"), "{err}");
    assert!(!dir.path().join("data/node.toml").exists());
}

#[test]
fn commands_before_init_say_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.csv"), "case_id\n").unwrap();
    let err = failed(&node(dir.path(), &["import", "x.csv"]));
    assert!(err.contains("msp-node init"), "{err}");
}

#[test]
fn a_mapping_with_an_unknown_target_is_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    ok(&node(dir.path(), INIT));
    std::fs::write(dir.path().join("m.toml"), "[columns]\n\"Ref\" = \"reference\"\n").unwrap();
    std::fs::write(dir.path().join("x.csv"), "Ref\n1\n").unwrap();
    let err = failed(&node(dir.path(), &["import", "x.csv", "--mapping", "m.toml"]));
    assert!(err.contains("m.toml") && err.contains("\"reference\"") && err.contains("case_id"), "{err}");
}

#[test]
fn synth_with_a_seed_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let args = |out: &str| {
        vec![
            "synth",
            "--council",
            "E09000033",
            "--period",
            "2026-27-Q1",
            "--people",
            "40",
            "--seed",
            "99",
            "--out",
            out,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let a = args("a.csv");
    let b = args("b.csv");
    ok(&node(dir.path(), &a.iter().map(String::as_str).collect::<Vec<_>>()));
    ok(&node(dir.path(), &b.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), std::fs::read(dir.path().join("b.csv")).unwrap());
}

#[test]
fn release_and_budget_go_by_the_default_network_policy_when_none_can_be_fetched_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: the coordinator is unreachable, as for a node that only exports.
    let init = ["init", "--council", "E08000038", "--coordinator", "https://127.0.0.1:1"];
    ok(&node(dir.path(), &[&init[..], &["--team-model", "locality", "--msp-level", "gold"]].concat()));
    let synth = ["synth", "--period", "2026-27-Q2", "--people", "60", "--seed", "5", "--out", "cases.csv"];
    ok(&node(dir.path(), &synth));
    ok(&node(dir.path(), &["import", "cases.csv"]));

    // A node.toml that allows far more than the network: refused, naming the setting and both figures.
    let toml = dir.path().join("data/node.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let reckless = "[budget]\nrho_per_release = 50.0\nrho_per_quarter = 100.0\nrho_per_four_quarters = 250.0\n";
    std::fs::write(&toml, format!("{text}\n{reckless}")).unwrap();
    let out = node(dir.path(), &["release", "--period", "2026-27-Q2"]);
    let err = failed(&out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("the network's default policy applies"), "{said}");
    assert!(err.contains("rho_per_release = 50") && err.contains("from 0.05 to 1"), "{err}");
    let budget = ok(&node(dir.path(), &["budget"]));
    assert!(budget.contains("Network policy (default") && budget.contains("does not keep to the policy"), "{budget}");

    std::fs::write(&toml, text).unwrap();
    let out = ok(&node(dir.path(), &["release", "--period", "2026-27-Q2", "--yes"]));
    assert!(out.contains("default policy applies") && out.contains("Released 2026-27-Q2 revision 1"), "{out}");
    let budget: serde_json::Value = serde_json::from_str(&ok(&node(dir.path(), &["budget", "--json"]))).unwrap();
    assert_eq!(budget["network_policy"]["source"], "default");
    assert_eq!(budget["network_policy"]["policy"]["rho_per_release"]["max"], 1.0);
    assert_eq!(budget["network_policy"]["node_keeps_to_it"], true);
    assert_eq!(budget["caps_in_force"]["per_quarter"], 1.0);
    let policy: serde_json::Value =
        serde_json::from_str(&ok(&node(dir.path(), &["policy", "--stored", "--json"]))).unwrap();
    assert_eq!(policy["source"], "default");
    let err = failed(&node(dir.path(), &["policy"]));
    assert!(err.contains("could not be reached"), "fetching says why it failed: {err}");
}

#[test]
fn serve_refuses_an_address_other_machines_reach_and_accounts_are_listed_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    ok(&node(dir.path(), INIT));
    let err = failed(&node(dir.path(), &["serve", "--listen", "0.0.0.0:0"]));
    assert!(err.contains("can be reached from other machines") && err.contains("allow_non_loopback = true"), "{err}");

    let out = ok(&node(dir.path(), &["user", "add", "Priya Shah", "--role", "approver"]));
    let token = out.lines().map(str::trim).find(|l| l.len() == 43).expect("the token, on a line of its own");
    assert!(out.contains("shown only this once"), "{out}");
    let err = failed(&node(dir.path(), &["user", "add", "priya shah", "--role", "officer"]));
    assert!(err.contains("already an account named"), "{err}");
    let list = ok(&node(dir.path(), &["user", "list"]));
    assert!(list.contains("Priya Shah") && list.contains("approver") && !list.contains(token), "{list}");
    ok(&node(dir.path(), &["user", "remove", "Priya Shah"]));
    let audit: serde_json::Value = serde_json::from_str(&ok(&node(dir.path(), &["audit", "--json"]))).unwrap();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user_remove", "user_add"]);
    let table = ok(&node(dir.path(), &["audit"]));
    assert!(table.contains("Added an account") && table.contains("Priya Shah (approver)"), "{table}");
}
