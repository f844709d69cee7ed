//! Removing stored cases, on real databases (SQLite always, PostgreSQL when configured): a
//! snapshot import (`import --snapshot`) removes the stored cases of its date range that its file
//! no longer holds, and `purge` removes the cases received before a date; both in one
//! transaction with their audit entry, neither touching the ledger or a stored release.

mod common;

use std::{collections::BTreeSet, path::Path};

use common::{HEADER, Node, assert_accounted};
use msp_node::{
    audit::Actor,
    clock,
    config::NodeConfig,
    import::{self, ImportError, ImportOptions, MaxRejected},
    release,
};
use msp_store::testing::databases;
use time::macros::date;

fn config() -> NodeConfig {
    common::config()
}

fn options(node: &Node, max_rejected: Option<MaxRejected>) -> ImportOptions {
    ImportOptions {
        mapping: None,
        rejects_path: None,
        rejects_dir: node.path("rejects"),
        progress: false,
        clock: clock::system(),
        max_rejected,
    }
}

/// One concluded s42 enquiry per (case id, concern date).
fn file(rows: &[(&str, &str)]) -> String {
    let mut text = format!("{HEADER}\n");
    for (i, (id, day)) in rows.iter().enumerate() {
        text.push_str(&format!("{id},P{i},{day},s42,2026-09-30,asked_expressed,fully\n"));
    }
    text
}

/// Stored case ids.
async fn stored(node: &Node) -> BTreeSet<String> {
    node.store.case_fingerprints(|_| ()).await.unwrap().into_keys().map(String::from).collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The base every test starts from: C8 on 1 April 2026 (in the quarter of the snapshot's range
/// but a day before it), C5 before the range, C6 after it.
const BASE: &[(&str, &str)] = &[
    ("C1", "2026-04-02"),
    ("C2", "2026-04-10"),
    ("C3", "2026-05-01"),
    ("C4", "2026-06-20"),
    ("C5", "2026-03-15"),
    ("C6", "2026-07-05"),
    ("C8", "2026-04-01"),
];

#[tokio::test]
async fn a_snapshot_removes_exactly_the_absent_cases_in_its_range_and_leaves_ledger_and_releases_alone() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("base.csv", file(BASE))).await.unwrap();
        let made =
            release::release(&node.store, &config(), "2026-27-Q1".parse().unwrap(), false, after_q1()).await.unwrap();
        let (charges, releases) = (node.store.charges().await.unwrap(), node.store.releases().await.unwrap());
        assert_eq!(releases.len(), 1);

        // C1 as it was, C3 changed, C4 rejected (an unknown code), C7 new: the range is 2 April to
        // 25 June 2026, so C2 is the one case absent from it.
        let mut text = file(&[("C1", "2026-04-02"), ("C3", "2026-05-02"), ("C7", "2026-06-25")]);
        text.push_str("C4,P3,2026-06-20,bogus,,,\n");
        let by = Actor::command_line(Some("Priya Shah"));
        let s = import::import_snapshot(
            &node.store,
            &node.secret,
            &node.write("snap.csv", text),
            options(&node, None),
            &by,
        )
        .await
        .unwrap();
        assert_accounted(&s);
        let c = &s.counts;
        assert_eq!((c.rows_read, c.imported, c.updated, c.unchanged, c.rejected), (4, 1, 1, 1, 1), "{c:?}");
        let snap = s.snapshot.unwrap();
        assert_eq!(
            (snap.first, snap.last, snap.removed),
            (Some(date!(2026 - 04 - 02)), Some(date!(2026 - 06 - 25)), 1)
        );
        assert_eq!(stored(&node).await, ids(&["C1", "C3", "C4", "C5", "C6", "C7", "C8"]));

        assert_eq!(node.store.charges().await.unwrap(), charges, "the ledger is untouched");
        let after = node.store.releases().await.unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].document, made.stored.document, "the stored release is untouched");

        let log = node.store.audit_log(Some(1)).await.unwrap();
        assert_eq!((log[0].action.as_str(), log[0].actor.as_str()), ("snapshot_removed", "Priya Shah"));
        assert!(log[0].detail.contains("2026-04-02 to 2026-06-25") && log[0].detail.contains("1 stored"), "{log:?}");

        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["snapshot"]["removed"], 1);
        assert_eq!(json["snapshot"]["first"], "2026-04-02");
    }
}

#[tokio::test]
async fn an_ordinary_import_removes_nothing_and_a_snapshot_without_rows_imported_removes_nothing() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("base.csv", file(BASE))).await.unwrap();
        let s = node.import(&node.write("one.csv", file(&[("C1", "2026-04-02")]))).await.unwrap();
        assert!(s.snapshot.is_none());
        assert_eq!(stored(&node).await.len(), BASE.len());

        let text = format!("{HEADER}\nC2,P1,2026-04-10,bogus,,,\n");
        let by = Actor::command_line(None);
        let s =
            import::import_snapshot(&node.store, &node.secret, &node.write("bad.csv", text), options(&node, None), &by)
                .await
                .unwrap();
        let snap = s.snapshot.unwrap();
        assert_eq!((snap.first, snap.removed), (None, 0));
        assert_eq!(stored(&node).await.len(), BASE.len());
    }
}

#[tokio::test]
async fn a_snapshot_import_that_fails_is_rolled_back_whole() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("base.csv", file(BASE))).await.unwrap();
        let before = stored(&node).await;
        let log = node.store.audit_log(None).await.unwrap().len();
        // One row in two rejected is over the limit of none: nothing is stored or removed.
        let mut text = file(&[("C1", "2026-04-02"), ("C9", "2026-05-01")]);
        text.push_str("C4,P3,2026-06-20,bogus,,,\n");
        let by = Actor::command_line(None);
        let err = import::import_snapshot(
            &node.store,
            &node.secret,
            &node.write("snap.csv", text),
            options(&node, Some(MaxRejected::Rows(0))),
            &by,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ImportError::TooManyRejected { .. }), "{err}");
        assert_eq!(stored(&node).await, before);
        assert_eq!(node.store.audit_log(None).await.unwrap().len(), log, "nothing audited either");
    }
}

#[tokio::test]
async fn a_purge_removes_the_cases_received_before_its_date_to_the_day_and_is_audited() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("base.csv", file(BASE))).await.unwrap();
        release::release(&node.store, &config(), "2026-27-Q1".parse().unwrap(), false, after_q1()).await.unwrap();
        let (charges, releases) = (node.store.charges().await.unwrap(), node.store.releases().await.unwrap());

        let count = node.store.count_before(date!(2026 - 04 - 02), date!(2026 - 09 - 30)).await.unwrap();
        assert_eq!((count.cases, count.still_needed), (2, 2));
        let by = Actor::command_line(Some("Sam Jones"));
        let removed = node
            .store
            .purge_before(date!(2026 - 04 - 02), "2026-12-01T09:00:00Z", &by, |n| format!("{n} gone"))
            .await
            .unwrap();
        assert_eq!(removed, 2, "C5 in the quarter before, C8 a day before the date in its own quarter");
        assert_eq!(stored(&node).await, ids(&["C1", "C2", "C3", "C4", "C6"]));
        assert_eq!(node.store.charges().await.unwrap(), charges);
        assert_eq!(node.store.releases().await.unwrap().len(), releases.len());
        let log = node.store.audit_log(Some(1)).await.unwrap();
        assert_eq!((log[0].action.as_str(), log[0].detail.as_str()), ("purge", "2 gone"));
    }
}

fn after_q1() -> msp_schemas::release::Timestamp {
    "2026-07-15T09:00:00Z".parse().unwrap()
}

fn node_cmd(dir: &Path, args: &[&str]) -> std::process::Output {
    common::node_command(dir, args)
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_purge_command_asks_refuses_off_a_terminal_and_a_too_recent_date_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let init =
        node_cmd(dir.path(), &["init", "--council", "E08000038", "--coordinator", "https://coordinator.test:8443"]);
    assert!(init.status.success(), "{}", text(&init));
    let old = "case_id,person_id,concern_date,enquiry_type,concluded_date,outcomes_asked,outcomes_achieved\n\
               A1,P1,2023-05-01,s42,2023-06-01,asked_expressed,fully\n\
               A2,P2,2023-09-01,s42,2023-10-01,asked_expressed,fully\n\
               A3,P3,2024-02-01,s42,2024-03-01,asked_expressed,fully\n";
    std::fs::write(dir.path().join("old.csv"), old).unwrap();
    let out = node_cmd(dir.path(), &["import", "old.csv", "--snapshot", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((json["snapshot"]["removed"].as_u64(), json["imported"].as_u64()), (Some(0), Some(3)));

    // No terminal and no --yes: refused, nothing removed.
    let out = node_cmd(dir.path(), &["purge", "--before", "2024-01-01"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no terminal") && text(&out).contains("--yes"), "{}", text(&out));

    // Too recent: refused without --force, saying why.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let out = node_cmd(dir.path(), &["purge", "--before", &today, "--yes"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("repeat-within-12-months") && text(&out).contains("--force"), "{}", text(&out));

    let out = node_cmd(dir.path(), &["purge", "--before", "2024-01-01", "--yes", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["removed"], 2);

    let out = node_cmd(dir.path(), &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let concerns: i64 = status["periods"].as_array().unwrap().iter().map(|p| p["concerns"].as_i64().unwrap()).sum();
    assert_eq!(concerns, 1, "A3 is kept");

    let out = node_cmd(dir.path(), &["audit", "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["purge", "snapshot_removed"]);
}
