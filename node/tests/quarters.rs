//! Each quarter's state on real databases (SQLite always, PostgreSQL when configured): read from
//! the releases, approvals and outbox tables in one query, up to the log position a stored
//! receipt gives.

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{COUNCIL, Node, synthetic};
use msp_node::{
    audit::{Action, Actor, Event},
    config::NodeConfig,
    quarters::{self, Stage},
    release,
    submit::approval,
};
use msp_schemas::{
    Period,
    release::{Receipt, ReceiptFormat, Sha256},
};
use msp_store::testing::databases;

fn config() -> NodeConfig {
    common::config()
}

fn q1() -> Period {
    "2026-27-Q1".parse().unwrap()
}

/// A receipt JWS as the node stores it once verified (only its payload is read back).
fn receipt_jws(period: Period, revision: u32, log_index: u64) -> String {
    let receipt = Receipt {
        format: ReceiptFormat,
        submission_id: "sub-1".into(),
        council: COUNCIL.parse().unwrap(),
        period,
        revision,
        jws_sha256: Sha256::from_bytes([1; 32]),
        log_index,
        tree_size: log_index + 1,
        root_hash: Sha256::from_bytes([2; 32]),
        received_at: "2026-07-16T09:00:00Z".parse().unwrap(),
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&receipt).unwrap());
    format!("eyJhbGciOiJFZERTQSJ9.{payload}.c2ln")
}

#[tokio::test]
async fn a_quarters_state_follows_its_latest_release_from_made_to_receipted() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("cases.csv", synthetic(80, 1, 7))).await.unwrap();
        let store = &node.store;
        let state = |states: Vec<quarters::QuarterState>| states.into_iter().find(|s| s.period == q1()).unwrap();

        let before = state(quarters::states(store).await.unwrap());
        assert_eq!(before.stage(), Stage::NotReleased);
        assert!(before.holdings.is_some(), "the quarter's holdings are part of its state");

        let cfg = config();
        let first = release::release(store, &cfg, q1(), false, "2026-07-15T09:00:00Z".parse().unwrap()).await.unwrap();
        let s = state(quarters::states(store).await.unwrap());
        assert_eq!((s.stage(), s.describe().as_str(), s.revisions), (Stage::Released, "released r1", 1));
        let latest = s.latest.unwrap();
        assert_eq!(latest.rho, first.release.fields().privacy.rho);
        assert_eq!(latest.created_at, "2026-07-15T09:00:00Z");

        let lead = Actor::command_line(Some("A. Lead"));
        let ask = approval::Request { period: q1(), revision: Some(1), sha256: None };
        approval::approve(store, &cfg, ask, &lead, "2026-07-15T10:00:00Z".parse().unwrap()).await.unwrap();
        let s = state(quarters::states(store).await.unwrap());
        assert_eq!(s.approval, Some(("A. Lead".to_owned(), "2026-07-15T10:00:00Z".to_owned())));
        assert_eq!(s.stage(), Stage::Approved);

        store.enqueue(q1(), 1, "a.b.c", "00", "2026-07-15T11:00:00Z").await.unwrap();
        store.attempted(q1(), 1, Some("the coordinator could not be reached")).await.unwrap();
        let s = state(quarters::states(store).await.unwrap());
        assert_eq!(s.stage(), Stage::Sent);
        let sent = s.sent.clone().unwrap();
        assert_eq!((sent.attempts, sent.last_error.as_deref()), (1, Some("the coordinator could not be reached")));

        let sent = Event { actor: &lead, action: Action::Submit, release: Some((q1(), 1)), detail: String::new() };
        store.receipted(q1(), 1, &receipt_jws(q1(), 1, 41), "2026-07-16T09:00:01Z", &sent).await.unwrap();
        let s = state(quarters::states(store).await.unwrap());
        assert_eq!((s.stage(), s.describe().as_str()), (Stage::Receipted, "r1 receipted at log position 41"));
        assert_eq!(s.sent.unwrap().receipted_at.as_deref(), Some("2026-07-16T09:00:01Z"));

        // A revision is a new release: its state starts again, and the revisions are counted.
        release::release(store, &cfg, q1(), true, "2026-08-01T09:00:00Z".parse().unwrap()).await.unwrap();
        let s = state(quarters::states(store).await.unwrap());
        assert_eq!((s.stage(), s.describe().as_str(), s.revisions), (Stage::Released, "released r2", 2));
        assert_eq!(s.approval, None, "the approval was of revision 1");
        node.store.db().close().await;
    }
}
