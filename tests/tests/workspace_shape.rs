//! The shape every later part inherits: the contracts crate stays free of runtime, HTTP,
//! database and cryptography dependencies, so both sides can speak it (DESIGN §2).

use std::process::Command;

#[test]
fn the_contracts_crate_depends_on_no_runtime_http_database_or_crypto_crate() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "msp-schemas", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("msp-schemas"), "{tree}");
    let forbidden = ["tokio", "sqlx", "axum", "hyper", "reqwest", "ring", "rustls", "openssl", "opendp"];
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        assert!(
            !forbidden.iter().any(|f| name == *f || name.starts_with(&format!("{f}-"))),
            "msp-schemas must not depend on {name}"
        );
    }
}
