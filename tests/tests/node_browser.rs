//! The node's web view (`msp-node serve`) in a real headless browser: Debian's Chromium driven by
//! `tests/browser/node.mjs` (playwright-core and axe-core, pinned in `tests/browser/package.json`)
//! against a node that imported a synthetic quarter and sends to a real coordinator over TLS.
//! An officer and two approvers sign in by keyboard and open every page; the officer makes the
//! release, an approver who did not make it approves it (four eyes) and submits it, and the
//! coordinator's receipt shows on the submissions page; no page has a serious or critical
//! accessibility violation.
//!
//! As with `browser.rs`, a missing browser skips the test with a message unless
//! `MSP_REQUIRE_BROWSER=1` (as `.ci/run` sets), when it fails it.

use std::{path::Path, process::Command, sync::Arc};

use msp_node::{
    accounts::{self, Role},
    audit::Actor,
    clock,
    config::SubmissionConfig,
    web,
};
use msp_store::testing::TestDb;
use msp_tests::{NodeSpec, Options, TestCoordinator, TestNode};

const COUNCIL: &str = "E06000047";
const QUARTER: &str = "2026-27-Q2";

/// Every page the script opens, for each person.
const PAGES: [&str; 9] = [
    "/",
    "/imports",
    "/quarters/{Q}",
    "/quarters/{Q}/preview",
    "/quarters/{Q}/release",
    "/budget",
    "/submissions",
    "/compare",
    "/audit",
];

/// The accounts the script signs in as, with the environment variable that carries each token.
const PEOPLE: [(&str, Role, &str); 3] = [
    ("Sam Officer", Role::Officer, "MSP_OFFICER_TOKEN"),
    ("Priya Shah", Role::Approver, "MSP_APPROVER_TOKEN"),
    ("Alex Lead", Role::Approver, "MSP_SECOND_APPROVER_TOKEN"),
];

/// 2026-10-20 10:00 UTC: three weeks after the quarter ended, when the council releases it.
fn after_the_quarter() -> time::OffsetDateTime {
    let day = time::Date::from_calendar_date(2026, time::Month::October, 20).expect("a date");
    day.with_hms(10, 0, 0).expect("a time").assume_utc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn council_staff_release_approve_and_submit_in_a_real_browser_and_axe_finds_nothing_serious() {
    let Some((dir, chromium)) = msp_tests::browser("the node browser test") else { return };

    // A coordinator, and a node enrolled with it that holds two quarters of synthetic cases.
    let (db, cdir, ndir) = (TestDb::sqlite(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
    let spec = NodeSpec {
        council: COUNCIL.parse().unwrap(),
        last: QUARTER.parse().unwrap(),
        quarters: 2,
        people: Some(200),
        seed: 13,
        database_url: None,
    };
    let mut node = TestNode::new(ndir.path(), spec, &c.base, &c.ca).await;
    c.enrol(COUNCIL, node.key.public_key()).await;
    // Four eyes, as node.toml says it: the person who makes a release cannot approve it.
    node.config.submission = Some(SubmissionConfig { require_approval: true, four_eyes: true });
    node.data.save(&node.config).expect("node.toml");

    let admin = Actor::command_line(Some("test"));
    let tokens = PEOPLE.map(|_| accounts::secret());
    for ((name, role, _), token) in PEOPLE.iter().zip(&tokens) {
        let digest = accounts::digest(token);
        let made = node.store.add_user(name, *role, &digest, "2026-10-01T09:00:00Z", &admin);
        assert!(made.await.expect("the account is stored"), "{name} is a new account");
    }

    // The web view as `msp-node serve` builds it, on a day after the quarter ended.
    let read_token = c.token(&format!("council:{COUNCIL}")).await;
    let state = Arc::new(web::Node {
        store: node.store.clone(),
        config: node.config.clone(),
        data: node.data.clone(),
        clock: clock::fixed(after_the_quarter()),
        read_token: Some(read_token),
    });
    let (tls, _ca) = web::tls(&state).expect("the node's own TLS");
    let server = msp_web::server::Server::build("127.0.0.1:0".parse().unwrap(), tls, web::router(state))
        .await
        .expect("the web view binds");
    let base = format!("https://localhost:{}", server.local_addr().unwrap().port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-screenshots");
    let mut script = Command::new("node");
    script
        .arg(dir.join("node.mjs"))
        .current_dir(&dir)
        .env("MSP_BASE", &base)
        .env("MSP_QUARTER", QUARTER)
        .env("MSP_CHROMIUM", chromium)
        .env("MSP_SHOTS", &shots);
    for ((_, _, var), token) in PEOPLE.iter().zip(&tokens) {
        script.env(var, token);
    }
    let out = tokio::task::spawn_blocking(move || script.output()).await.unwrap().expect("node runs");
    let _ = stop.send(());
    let _ = served.await;

    let report = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    std::fs::create_dir_all(&shots).expect("the screenshots' directory");
    std::fs::write(shots.join("report.json"), report.as_bytes()).expect("the report is kept");
    assert!(out.status.success(), "the browser run failed:\n{report}\n{log}");
    let report: serde_json::Value = serde_json::from_str(&report).expect("a JSON report");
    let pages = report["pages"].as_array().expect("a list of pages");
    for (name, _, _) in PEOPLE {
        for page in PAGES {
            let path = page.replace("{Q}", QUARTER);
            let seen = pages.iter().any(|p| p["person"] == name && p["path"] == path.as_str());
            assert!(seen, "{name} did not visit {path}: {report:#}");
        }
    }
    // The submission the approver made in the browser reached the coordinator's log.
    assert_eq!(c.stored().await, 1, "one release in the coordinator's log");
    let approval = node.store.approval(QUARTER.parse().unwrap(), 1).await.unwrap().expect("an approval");
    assert_eq!(approval.by, "Priya Shah");
    c.stop().await;
    eprintln!("node browser: {} pages passed; screenshots and report.json in {}", pages.len(), shots.display());
}
