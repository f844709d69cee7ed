//! Who made, approved and can see a release, on real databases (SQLite always, PostgreSQL when
//! configured): approval of exactly the bytes shown, four eyes, the audit log written with the
//! change, the web view's accounts and sessions, and the completeness of the records.

mod common;

use common::{HEADER, Node, synthetic};
use msp_node::{
    accounts::{self, Role},
    audit::{Action, Actor},
    completeness,
    config::{NodeConfig, SubmissionConfig},
    release,
    submit::{SubmitError, approval},
};
use msp_schemas::{Period, release::Timestamp};
use msp_store::testing::databases;

fn config(four_eyes: bool) -> NodeConfig {
    NodeConfig { submission: Some(SubmissionConfig { require_approval: true, four_eyes }), ..common::config() }
}

fn q1() -> Period {
    "2026-27-Q1".parse().unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn four_eyes_refuses_the_maker_and_the_approval_names_the_bytes_with_both_names_in_the_audit_log() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("cases.csv", synthetic(150, 1, 5))).await.unwrap();
        let cfg = config(true);
        let (sam, priya) = (Actor::web("Sam Officer"), Actor::web("Priya Shah"));
        let made = release::release_by(&node.store, &cfg, q1(), false, at("2026-07-15T09:00:00Z"), &sam).await.unwrap();
        assert_eq!(made.stored.made_by.as_deref(), Some("Sam Officer"));
        let sha = made.stored.sha256();
        let ask = approval::Request { period: q1(), revision: Some(1), sha256: Some(&sha) };

        let same = Actor::web(" sam officer ");
        let err = approval::approve(&node.store, &cfg, ask, &same, at("2026-07-15T10:00:00Z")).await.unwrap_err();
        assert!(matches!(err, SubmitError::SameApprover { .. }), "{err}");
        assert!(err.to_string().contains("another person must approve it"), "{err}");
        assert!(node.store.approval(q1(), 1).await.unwrap().is_none(), "nothing is recorded when refused");
        // Without four eyes the maker may approve.
        let relaxed = config(false);
        approval::check(&node.store, &relaxed, ask, &same).await.unwrap();

        let ok = approval::approve(&node.store, &cfg, ask, &priya, at("2026-07-15T10:05:00Z")).await.unwrap();
        assert_eq!((ok.revision, ok.by.as_str(), ok.sha256.as_str()), (1, "Priya Shah", sha.as_str()));
        let kept = node.store.approval(q1(), 1).await.unwrap().unwrap();
        assert_eq!((kept.by.as_str(), kept.release_sha256.as_deref()), ("Priya Shah", Some(sha.as_str())));

        let log = node.store.audit_log(None).await.unwrap();
        let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
        assert_eq!(actions, [("approve", "Priya Shah"), ("release", "Sam Officer")], "newest first");
        assert!(log[0].detail.contains(&sha) && log[1].detail.contains("ρ = 0.5"), "{log:?}");
        assert_eq!((log[0].period, log[0].revision), (Some(q1()), Some(1)));
        let entries = node.store.audit_log(Some(1)).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action_label(), Action::Approve.label());
    }
}

#[tokio::test]
async fn a_page_opened_before_a_revision_cannot_approve_it() {
    for db in databases().await {
        let node = Node::new(&db).await;
        node.import(&node.write("cases.csv", synthetic(150, 1, 6))).await.unwrap();
        let cfg = config(false);
        let sam = Actor::web("Sam Officer");
        let first =
            release::release_by(&node.store, &cfg, q1(), false, at("2026-07-15T09:00:00Z"), &sam).await.unwrap();
        let old_sha = first.stored.sha256();
        release::release_by(&node.store, &cfg, q1(), true, at("2026-07-16T09:00:00Z"), &sam).await.unwrap();

        let old_page = approval::Request { period: q1(), revision: Some(1), sha256: Some(&old_sha) };
        let err = approval::approve(&node.store, &cfg, old_page, &Actor::web("Priya Shah"), at("2026-07-16T10:00:00Z"))
            .await
            .unwrap_err();
        assert!(matches!(err, SubmitError::Changed { .. }), "{err}");
        assert!(err.to_string().contains("superseded by revision 2"), "{err}");

        let forged = approval::Request { period: q1(), revision: Some(2), sha256: Some(&old_sha) };
        let err = approval::approve(&node.store, &cfg, forged, &Actor::web("Priya Shah"), at("2026-07-16T10:00:00Z"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("are not those stored"), "{err}");
        for r in [1, 2] {
            assert!(node.store.approval(q1(), r).await.unwrap().is_none());
        }
        let latest = approval::Request { period: q1(), revision: None, sha256: None };
        let ok = approval::approve(
            &node.store,
            &cfg,
            latest,
            &Actor::command_line(Some("A. Lead")),
            at("2026-07-16T11:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(ok.revision, 2);
        let log = node.store.audit_log(None).await.unwrap();
        assert_eq!(log[0].via, msp_node::audit::Via::CommandLine);
        assert_eq!(log.iter().filter(|e| e.action == "revise").count(), 1);
    }
}

#[tokio::test]
async fn accounts_sign_in_by_token_digest_and_sessions_end_by_time_sign_out_or_removal() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let store = &node.store;
        let admin = Actor::command_line(Some("root"));
        let token = accounts::secret();
        assert!(
            store
                .add_user("Priya Shah", Role::Approver, &accounts::digest(&token), "2026-07-01T09:00:00Z", &admin)
                .await
                .unwrap()
        );
        let other = accounts::digest("x");
        let again = store.add_user("PRIYA SHAH", Role::Officer, &other, "2026-07-01T09:01:00Z", &admin).await;
        assert!(!again.unwrap(), "a name is taken whatever its case");

        let user = store.user_by_token(&accounts::digest(&token)).await.unwrap().unwrap();
        assert_eq!((user.name.as_str(), user.role), ("Priya Shah", Role::Approver));
        assert!(store.user_by_token(&accounts::digest("wrong")).await.unwrap().is_none());

        let (id, csrf) = (accounts::secret(), accounts::secret());
        let sid = accounts::digest(&id);
        store.start_session(&sid, &user, &csrf, "2026-07-01T09:00:00Z", "2026-07-01T17:00:00Z").await.unwrap();
        let s = store.session(&sid, "2026-07-01T12:00:00Z").await.unwrap().unwrap();
        assert_eq!((s.user.name.as_str(), s.csrf.as_str()), ("Priya Shah", csrf.as_str()));
        assert!(store.session(&sid, "2026-07-01T17:00:01Z").await.unwrap().is_none(), "ended by time");
        store.end_session(&sid, &user, "2026-07-01T12:30:00Z").await.unwrap();
        assert!(store.session(&sid, "2026-07-01T12:31:00Z").await.unwrap().is_none(), "ended by signing out");

        let sid2 = accounts::digest(&accounts::secret());
        store.start_session(&sid2, &user, &csrf, "2026-07-01T13:00:00Z", "2026-07-01T21:00:00Z").await.unwrap();
        assert!(store.remove_user("Priya Shah", "2026-07-01T14:00:00Z", &admin).await.unwrap());
        assert!(store.session(&sid2, "2026-07-01T14:01:00Z").await.unwrap().is_none(), "ended by removal");
        assert!(store.user_by_token(&accounts::digest(&token)).await.unwrap().is_none());
        assert!(!store.remove_user("Priya Shah", "2026-07-01T14:02:00Z", &admin).await.unwrap());

        let actions: Vec<_> = store.audit_log(None).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["user_remove", "sign_in", "sign_out", "sign_in", "user_add"]);
    }
}

#[tokio::test]
async fn completeness_counts_each_field_over_the_records_it_applies_to() {
    for db in databases().await {
        let node = Node::new(&db).await;
        // Four concerns in Q1: two concluded in Q1 (one with outcomes expressed but achievement
        // blank), one concluded in Q2, one with no enquiry decided.
        let csv = format!(
            "{HEADER}\n\
             c1,p1,2026-04-02,s42,2026-05-01,asked_expressed,fully\n\
             c2,p2,2026-04-03,s42,2026-05-02,asked_expressed,\n\
             c3,p3,2026-04-04,other,2026-07-10,unknown,\n\
             c4,p4,2026-04-05,,,,\n"
        );
        let summary = node.import(&node.write("cases.csv", csv)).await.unwrap();
        assert_eq!(summary.counts.rejected, 0, "{summary:?}");
        let q2: Period = "2026-27-Q2".parse().unwrap();
        let c = completeness::completeness(&node.store, &[q1(), q2]).await.unwrap();
        let field = |name: &str| c.fields.iter().find(|f| f.column == name).unwrap();
        let share = |name: &str, q: usize| {
            let s = field(name).shares[q];
            (s.applicable, s.missing)
        };
        assert_eq!(share("enquiry_type", 0), (4, 1), "one concern of four has no enquiry decision");
        assert_eq!(share("age_band", 0), (4, 4), "no age band in this file");
        assert_eq!(share("outcomes_asked", 0), (2, 0));
        assert_eq!(share("outcomes_achieved", 0), (2, 1), "over the two that expressed outcomes");
        assert_eq!(share("outcomes_asked", 1), (1, 1), "Q2's one conclusion, not known whether asked");
        assert_eq!(share("outcomes_achieved", 1), (0, 0));
        assert_eq!(field("outcomes_achieved").shares[1].fraction(), None);
        assert_eq!(share("enquiry_type", 1), (0, 0), "no concerns received in Q2");
    }
}

#[tokio::test]
async fn an_import_keeps_where_its_rejects_report_went() {
    for db in databases().await {
        let node = Node::new(&db).await;
        let csv = format!("{HEADER}\nc1,p1,2026-04-02,s42,2026-05-01,asked_expressed,fully\nc2,p2,not-a-date,,,,\n");
        let summary = node.import(&node.write("cases.csv", csv)).await.unwrap();
        let written = summary.rejects_file.clone().expect("a rejects report");
        let imports = node.store.imports(None).await.unwrap();
        assert_eq!(imports.len(), 1);
        assert_eq!(imports[0].rejects_file.as_deref(), Some(written.display().to_string().as_str()));
        assert_eq!(imports[0].counts.rejected, 1);
    }
}
