//! The dashboard in a real headless browser: Debian's Chromium driven by `tests/browser/dashboard.mjs`
//! (playwright-core and axe-core from npm, pinned in `tests/browser/package.json`) against a network
//! built by the real node code. Sign-in by keyboard, every page, charts with their tables, downloads,
//! sign-out, and no serious or critical accessibility violation.
//!
//! `.ci/run` installs Chromium, Node.js and the npm packages and sets `MSP_REQUIRE_BROWSER=1`, so
//! there a missing browser fails the test. Elsewhere it is skipped with a message saying what to install.

use std::{path::Path, process::Command};

use msp_tests::DemoNetwork;

const HARTLEPOOL: &str = "E06000001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_real_browser_and_axe_finds_nothing_serious() {
    let Some((dir, chromium)) = msp_tests::browser("the browser test") else { return };
    let net = DemoNetwork::start(24, 2).await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    let (base, token) = (net.base.clone(), net.token.clone());
    let (dir2, shots2) = (dir.clone(), shots.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir2.join("dashboard.mjs"))
            .current_dir(&dir2)
            .env("MSP_BASE", base)
            .env("MSP_TOKEN", token)
            .env("MSP_COUNCIL", HARTLEPOOL)
            .env("MSP_CHROMIUM", chromium)
            .env("MSP_SHOTS", shots2)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    net.stop().await;
    let report = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the browser run failed:\n{report}\n{log}");
    let report: serde_json::Value = serde_json::from_str(&report).expect("a JSON report");
    let pages = report["pages"].as_array().unwrap();
    assert!(pages.len() >= 16, "every page was visited: {report}");
    eprintln!("browser: {} pages passed; screenshots in {}", pages.len(), shots.display());
}
