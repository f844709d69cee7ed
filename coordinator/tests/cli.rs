//! The `msp-coordinator` binary as an operator uses it: the enrolment ceremony, key revocation,
//! importing a file by hand, and serving until told to stop.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
};

use msp_protocol::keypair::KeyPair;
use msp_schemas::enrolment::EnrolmentRequest;

fn coordinator(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_msp-coordinator"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("MSP_COORDINATOR_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("msp-coordinator runs")
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn failed(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a failure: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A new council key's public half and fingerprint (the key itself is thrown away).
fn key() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let k = KeyPair::generate(&dir.path().join("key.p8")).unwrap();
    (k.public_key_b64(), k.fingerprint().to_owned())
}

#[test]
fn the_enrolment_ceremony_checks_the_fingerprint_and_keys_can_be_rotated_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (old, old_fp) = key();
    let (_, other_fp) = key();
    let err = failed(&coordinator(
        dir.path(),
        &["council", "enrol", "--code", "E06000001", "--public-key", &old, "--fingerprint", &other_fp],
    ));
    assert!(err.contains("does not match") && err.contains("do not enrol"), "{err}");
    let out = ok(&coordinator(
        dir.path(),
        &["council", "enrol", "--code", "E06000001", "--public-key", &old, "--fingerprint", &old_fp],
    ));
    assert!(out.contains("Hartlepool") && out.contains(&old_fp), "{out}");
    // Rotation: a new key beside the old, then the old one revoked.
    let (new, new_fp) = key();
    ok(&coordinator(dir.path(), &["council", "enrol", "--code", "E06000001", "--public-key", &new]));
    ok(&coordinator(dir.path(), &["council", "revoke", "--code", "E06000001", "--key", &old_fp]));
    let list = ok(&coordinator(dir.path(), &["council", "list", "--json"]));
    let keys: serde_json::Value = serde_json::from_str(&list).unwrap();
    let status =
        |fp: &str| keys.as_array().unwrap().iter().find(|k| k["fingerprint"] == fp).unwrap()["revoked_at"].is_null();
    assert!(!status(&old_fp) && status(&new_fp), "{list}");
    let err = failed(&coordinator(dir.path(), &["council", "enrol", "--code", "E06000001", "--public-key", &old]));
    assert!(err.contains("revoked"), "{err}");
    let err = failed(&coordinator(dir.path(), &["council", "revoke", "--code", "E06000002"]));
    assert!(err.contains("no active key"), "{err}");
    let err = failed(&coordinator(dir.path(), &["council", "enrol", "--code", "E06000001", "--public-key", "short"]));
    assert!(err.contains("not an Ed25519 public key"), "{err}");
}

#[test]
fn many_councils_enrol_from_their_requests_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    // What `msp-node init --json` prints: the whole enrolment request.
    let request = |code: &str| {
        let (pk, fp) = key();
        EnrolmentRequest::new(code.parse().unwrap(), pk, fp)
    };
    let requests: String = ["E06000001", "E09000007", "E08000038"]
        .iter()
        .map(|code| serde_json::to_string_pretty(&request(code)).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("requests.json"), requests).unwrap();
    let out =
        ok(&coordinator(dir.path(), &["council", "enrol-many", dir.path().join("requests.json").to_str().unwrap()]));
    assert!(out.contains("Enrolled 3 keys"), "{out}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&coordinator(dir.path(), &["council", "list", "--json"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");

    // A request whose fingerprint is not its key's is refused, and so is one with a field missing.
    let mut forged = request("E06000002");
    forged.fingerprint = key().1;
    std::fs::write(dir.path().join("forged.json"), serde_json::to_string(&forged).unwrap()).unwrap();
    let err =
        failed(&coordinator(dir.path(), &["council", "enrol-many", dir.path().join("forged.json").to_str().unwrap()]));
    assert!(err.contains("does not match"), "{err}");
    let (pk, fp) = key();
    let partial = serde_json::json!({"council": "E06000002", "public_key": pk, "fingerprint": fp});
    std::fs::write(dir.path().join("partial.json"), partial.to_string()).unwrap();
    let err =
        failed(&coordinator(dir.path(), &["council", "enrol-many", dir.path().join("partial.json").to_str().unwrap()]));
    assert!(err.contains("partial.json") && err.contains("council_name"), "{err}");
}

#[test]
fn a_file_imported_by_hand_gets_the_same_checks_as_https() {
    let dir = tempfile::tempdir().unwrap();
    ok(&coordinator(dir.path(), &["signing-key"]));
    std::fs::write(dir.path().join("bad.jws"), "not a jws").unwrap();
    let err = failed(&coordinator(dir.path(), &["submission", "import", dir.path().join("bad.jws").to_str().unwrap()]));
    assert!(err.contains("malformed-jws"), "{err}");
}

#[test]
fn importing_by_hand_is_held_to_the_same_network_policy_as_serve() {
    let dir = tempfile::tempdir().unwrap();
    ok(&coordinator(dir.path(), &["signing-key"]));
    // A policy that cannot be enforced stops the import before the file is even read as a JWS: the
    // import reads the operator's policy.toml, not the defaults.
    std::fs::write(dir.path().join("policy.toml"), "max_revision = 0\n").unwrap();
    std::fs::write(dir.path().join("release.jws"), "not a jws").unwrap();
    let err =
        failed(&coordinator(dir.path(), &["submission", "import", dir.path().join("release.jws").to_str().unwrap()]));
    assert!(err.contains("policy.toml") && err.contains("max_revision"), "{err}");
}

#[test]
fn importing_by_hand_in_a_directory_without_the_coordinators_key_makes_no_key_and_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("not-the-coordinator");
    std::fs::write(dir.path().join("release.jws"), "not a jws").unwrap();
    let err = failed(&coordinator(&wrong, &["submission", "import", dir.path().join("release.jws").to_str().unwrap()]));
    assert!(
        err.contains("no receipt-signing key in") && err.contains(&wrong.join("keys").display().to_string()),
        "{err}"
    );
    assert!(err.contains("--data-dir") && err.contains("signing-key"), "{err}");
    assert!(!wrong.exists(), "neither a key nor a database is made there");
}

#[test]
fn rotating_the_signing_key_keeps_the_old_one_retired_and_says_what_to_tell_the_councils() {
    let dir = tempfile::tempdir().unwrap();
    let before: serde_json::Value =
        serde_json::from_str(&ok(&coordinator(dir.path(), &["signing-key", "--json"]))).unwrap();
    let old = before["fingerprint"].as_str().unwrap().to_owned();
    let out = ok(&coordinator(dir.path(), &["signing-key", "--rotate"]));
    let after: serde_json::Value =
        serde_json::from_str(&ok(&coordinator(dir.path(), &["signing-key", "--json"]))).unwrap();
    let new = after["fingerprint"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert!(out.contains(&format!("retired      {old}")) && out.contains(&format!("current      {new}")), "{out}");
    assert!(out.contains(&format!("msp-node trust-coordinator-key --fingerprint {new}")), "{out}");
    assert!(out.contains("restart") && out.contains("every replica"), "{out}");
    let retired = dir.path().join("keys/retired").join(format!("{old}.p8"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&retired).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let shown = ok(&coordinator(dir.path(), &["signing-key"]));
    assert!(shown.contains(&format!("retired      {old}")) && shown.contains(&new), "{shown}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&coordinator(dir.path(), &["signing-key", "--rotate", "--json"]))).unwrap();
    assert_eq!(json["retired"]["fingerprint"], new.as_str());
    assert_ne!(json["current"]["fingerprint"], new.as_str());
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_msp-coordinator"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--dev-tls", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("listening on https://127.0.0.1:"), "{line}");
    assert!(dir.path().join("tls/ca.pem").exists() && dir.path().join("keys/coordinator.p8").exists());
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn a_named_group_is_defined_from_a_file_of_codes_listed_and_removed_and_a_bad_one_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let good = file(
        "nn.csv",
        "name,code\nMiddlesbrough,E06000002\nRedcar and Cleveland,E06000003\nStockton-on-Tees,E06000004\n",
    );
    let out = ok(&coordinator(
        dir.path(),
        &[
            "group",
            "define",
            "hartlepool-neighbours",
            "--name",
            "Hartlepool's nearest neighbours",
            "--councils",
            &good,
            "--for",
            "E06000001",
        ],
    ));
    assert!(
        out.contains("named:hartlepool-neighbours")
            && out.contains("as Hartlepool's peer list")
            && out.contains("E06000004"),
        "{out}"
    );
    let list = ok(&coordinator(dir.path(), &["group", "list"]));
    assert!(
        list.contains("named:hartlepool-neighbours") && list.contains("E06000001") && list.contains(" 3 "),
        "{list}"
    );

    let two = file("two.csv", "E06000002\nE06000003\n");
    let err = failed(&coordinator(dir.path(), &["group", "define", "pair", "--name", "A pair", "--councils", &two]));
    assert!(err.contains("needs at least 3"), "{err}");
    let bad = file("bad.csv", "E06000002\nE06000003\nE99999999\n");
    let err = failed(&coordinator(dir.path(), &["group", "define", "bad", "--name", "Bad", "--councils", &bad]));
    assert!(err.contains("line 3:") && err.contains("no group was defined"), "{err}");
    let err = failed(&coordinator(dir.path(), &["group", "define", "Not_A_Slug", "--name", "x", "--councils", &good]));
    assert!(err.contains("not a group id"), "{err}");

    ok(&coordinator(dir.path(), &["group", "remove", "hartlepool-neighbours"]));
    assert!(ok(&coordinator(dir.path(), &["group", "list"])).contains("No named groups yet"));
    let err = failed(&coordinator(dir.path(), &["group", "remove", "hartlepool-neighbours"]));
    assert!(err.contains("there is no group named:hartlepool-neighbours"), "{err}");
}

#[test]
fn publication_dates_are_listed_set_and_reset_and_a_date_inside_the_quarter_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&coordinator(dir.path(), &["publication", "set", "2026-27-Q1", "2026-08-15"]));
    assert!(out.contains("2026-27-Q1 is published on 15 August 2026 (its default was 1 September 2026)"), "{out}");
    let list = ok(&coordinator(dir.path(), &["publication", "list"]));
    assert!(list.contains("2026-27-Q1") && list.contains("15 August 2026") && list.contains("operator"), "{list}");
    let err = failed(&coordinator(dir.path(), &["publication", "set", "2026-27-Q1", "2026-06-30"]));
    assert!(err.contains("ends on 30 June 2026"), "{err}");
    let err = failed(&coordinator(dir.path(), &["publication", "set", "2026-27-Q1", "15/08/2026"]));
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    let out = ok(&coordinator(dir.path(), &["publication", "reset", "2026-27-Q1"]));
    assert!(out.contains("back on its default publication date, 1 September 2026"), "{out}");
}
