//! deploy/verify.sh, run for real: the images built with podman from this build's binaries, the
//! coordinator and a council's node in containers on PostgreSQL (the machine's, and compose's own),
//! a release made, submitted and receipted, England's benchmark read back, the manifests checked.
//!
//! Skipped, saying so, when podman is not installed, unless `MSP_REQUIRE_PODMAN=1` (as `.ci/run`
//! sets when it could install podman), which makes a missing podman a failure. The network step
//! needs PostgreSQL: `MSP_TEST_POSTGRES_URL`, or it is left out with a note.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The folder cargo put this build's binaries in (this test is `…/debug/deps/deploy_verify-…`).
fn binaries() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    for b in ["msp-coordinator", "msp-node"] {
        assert!(
            dir.join(b).is_file(),
            "{} is missing: build the binaries first (cargo build -p msp-coordinator -p msp-node; cargo test --workspace does)",
            dir.join(b).display()
        );
    }
    dir
}

fn podman() -> bool {
    Command::new("podman").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn the_images_build_and_run_the_network_end_to_end() {
    if !podman() {
        assert!(
            std::env::var("MSP_REQUIRE_PODMAN").as_deref() != Ok("1"),
            "MSP_REQUIRE_PODMAN=1 but podman is not installed (apt-get install -y podman runc debootstrap)"
        );
        eprintln!("skipped: podman is not installed (apt-get install -y podman runc debootstrap, or run .ci/run)");
        return;
    }
    let mut steps = vec!["images"];
    let postgres = std::env::var("MSP_TEST_POSTGRES_URL").ok();
    match &postgres {
        Some(_) => steps.push("network"),
        None => eprintln!("the network step is left out: set MSP_TEST_POSTGRES_URL to a PostgreSQL superuser URL"),
    }
    steps.extend(["compose", "manifests"]);
    let mut command = Command::new(root().join("deploy/verify.sh"));
    command.args(&steps).env("BIN_DIR", binaries());
    if let Some(url) = postgres {
        command.env("POSTGRES_URL", url);
    }
    let out = command.output().expect("deploy/verify.sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(out.status.success(), "deploy/verify.sh {} failed:\n{stderr}", steps.join(" "));
    // Each step said what it checked, not merely exited 0.
    for expected in ["Image sizes", "healthy:", "verify: all steps passed"] {
        assert!(stdout.contains(expected), "the script's output lacks {expected:?}");
    }
    if steps.contains(&"network") {
        for expected in [
            "refused: the same check without a client certificate",
            "England",
            "the timer's service released",
            "exit code 0",
        ] {
            assert!(stdout.contains(expected), "the network step's output lacks {expected:?}");
        }
    }
}
