//! `msp-node compare` against a network built by the real node code: a council's token gets its
//! own figures beside its region, type and England, each figure the coordinator's own; another
//! council's token is refused.

use msp_coordinator::{auth::Role, tokens::create_token};
use msp_node::{
    compare,
    submit::{Backoff, Coordinator, SubmitError},
};
use msp_tests::DemoNetwork;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_council_sees_itself_beside_its_region_type_and_england_with_verdicts() {
    let net = DemoNetwork::start(24, 2).await;
    let store = net.store().await;
    let (hartlepool, _) =
        create_token(&store, "council:E06000001".parse::<Role>().unwrap(), "hartlepool").await.unwrap();
    let (camden, _) = create_token(&store, "council:E09000007".parse::<Role>().unwrap(), "camden").await.unwrap();
    store.db().close().await;
    let coordinator = Coordinator::new(&net.base, Some(&net.ca), Backoff::default()).unwrap();
    let code = "E06000001".parse().unwrap();

    let c = compare::fetch(&coordinator, &hartlepool, code, None, &[]).await.unwrap();
    assert_eq!(c.council, "Hartlepool");
    assert_eq!(c.groups, ["North East".to_owned(), "English unitaries".to_owned(), "England".to_owned()]);
    assert_eq!(c.rows.len(), msp_estimate::Measure::ALL.len());
    // Each figure is the coordinator's own estimate for that group.
    let body: serde_json::Value = net
        .client()
        .get(format!("{}/v1/benchmarks?group=council:E06000001", net.base))
        .bearer_auth(&net.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (row, m) in c.rows.iter().zip(body["measures"].as_array().unwrap()) {
        assert_eq!(row.label, m["label"].as_str().unwrap());
        let (v, l, h, _) = row.own.expect("Hartlepool has data for every measure");
        assert_eq!(
            (v, l, h),
            (
                m["estimate"]["value"].as_f64().unwrap(),
                m["estimate"]["low"].as_f64().unwrap(),
                m["estimate"]["high"].as_f64().unwrap()
            )
        );
        assert!(row.groups.iter().all(Option::is_some), "{row:?}");
        assert!(["higher", "lower", "can't tell", "too wide to compare"].contains(&row.verdict.as_str()), "{row:?}");
    }
    let text = compare::render(&c);
    eprintln!("{text}");
    assert!(text.starts_with("Hartlepool beside North East, English unitaries and England"), "{text}");
    assert!(text.contains("Outcomes fully achieved") && text.contains("Against the rest of the region"), "{text}");

    // Each group's figures say how many councils stand behind them.
    assert!(c.councils.iter().all(|n| *n >= 1), "{:?}", c.councils);
    assert!(text.contains("based on"), "{text}");

    // A quarter the council has no release for is refused, saying what to do, not shown as "no data".
    match compare::fetch(&coordinator, &hartlepool, code, Some("2020-21-Q1"), &[]).await {
        Err(e @ compare::CompareError::NoRelease { .. }) => {
            assert!(e.to_string().contains("no release of Hartlepool for 2020-21-Q1"), "{e}")
        }
        other => panic!("expected a refusal for a quarter without a release, got {other:?}"),
    }

    // A named comparator group the operator saved as Hartlepool's peer list is a group like any other.
    let store = net.store().await;
    let neighbours = msp_coordinator::benchmark::Comparator {
        slug: "hartlepool-neighbours".parse().unwrap(),
        name: "Hartlepool's nearest neighbours".into(),
        owner: Some(code),
        members: ["E06000002", "E06000003", "E06000004"].iter().map(|c| c.parse().unwrap()).collect(),
    };
    store.define_comparator(&neighbours.stored(), "2026-12-03T00:00:00Z").await.unwrap();
    store.db().close().await;
    let with =
        compare::fetch(&coordinator, &hartlepool, code, None, &["named:hartlepool-neighbours".into()]).await.unwrap();
    assert_eq!(with.groups.last().map(String::as_str), Some("Hartlepool's nearest neighbours"), "{:?}", with.groups);
    assert_eq!(with.councils, [c.councils.clone(), vec![3]].concat(), "three councils stand behind it");
    assert!(with.rows.iter().all(|r| r.groups.len() == 4), "a fourth column in every row");
    assert!(compare::render(&with).contains("Hartlepool's nearest neighbours"));

    // Before the quarter's publication date, another council's token may not see Hartlepool's own figures,
    // and Hartlepool may not yet see its region's or England's: the coordinator says when they are published.
    let store = net.store().await;
    let far = time::Date::from_calendar_date(2099, time::Month::January, 1).unwrap();
    for q in store.quarters_with_releases().await.unwrap() {
        store.set_publication_date(q, far, "2026-12-03T00:00:00Z").await.unwrap();
    }
    store.db().close().await;
    for (who, token) in [("Camden", &camden), ("Hartlepool", &hartlepool)] {
        match compare::fetch(&coordinator, token, code, None, &[]).await {
            Err(compare::CompareError::Fetch(SubmitError::Refused { problem, .. })) => {
                assert_eq!(problem.status, 403, "{who}: {problem:?}");
                assert!(format!("{problem:?}").contains("published on 1 January 2099"), "{who}: {problem:?}");
            }
            other => panic!("expected a refusal for {who}, got {other:?}"),
        }
    }
    net.stop().await;
}
