//! `msp-demo` as a newcomer runs it: the whole network built, England's figures printed, and the
//! network left on disk for `msp-coordinator serve`.

use std::process::Command;

#[test]
fn the_demo_builds_a_network_prints_englands_figures_and_leaves_it_ready_to_serve() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_msp-demo"))
        .args(["--councils", "6", "--quarters", "2", "--no-serve", "--dir", demo.to_str().unwrap()])
        .env_remove("MSP_COORDINATOR_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("msp-demo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8(out.stdout).unwrap();
    assert!(out.contains("6 councils' nodes") && out.contains("submitted 12 signed releases"), "{out}");
    assert!(out.contains("England, 20"), "{out}");
    assert!(out.contains("Outcomes fully achieved (of those who expressed outcomes)"), "{out}");
    assert!(out.contains("msp-coordinator -- --data-dir"), "it says how to serve what it built: {out}");
    let token = out.split_whitespace().find(|w| w.starts_with("msp_")).expect("a token is printed");
    assert_eq!(token.len(), 47);
    // The network stays on disk: the token it printed is a national token in the coordinator's database.
    let tokens = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let url = msp_store::sqlite_url(&demo.join("coordinator/coordinator.db"));
        let store = msp_coordinator::store::Store::open(&url).await.unwrap();
        store.tokens().await.unwrap()
    });
    assert!(tokens.iter().any(|t| t.role == "national" && t.label == "demo" && t.revoked_at.is_none()), "{tokens:?}");
    assert!(demo.join("nodes/E06000001/node.db").exists());
}
