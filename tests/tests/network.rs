//! The whole network under faults, over real TLS on loopback, with the coordinator on SQLite and
//! on PostgreSQL: eight councils' nodes in two regions release two quarters and submit them
//! while the coordinator is restarted, in the wrong order, twice over, and with one release
//! revised. Half the councils stay on `msp-quarterly/1` (pinned in `node.toml`), half make the
//! `msp-quarterly/2` the network's policy accepts, so both versions meet in every group.
//! Afterwards nothing is lost, nothing is counted twice, every benchmark is exactly the sum of
//! the latest releases it covers (each spec's least-squares combinations, added), and the
//! synthetic truth falls inside the intervals about as often as 95% intervals should.

use std::{collections::BTreeMap, time::Duration};

use msp_estimate::Measure;
use msp_node::submit::Backoff;
use msp_schemas::{Council, CouncilCode, Period, Region, SpecId, release::Release};
use msp_store::testing::{TestDb, databases};
use msp_tests::{ExactTables, NodeSpec, Options, TestCoordinator, TestNode};
use serde_json::Value;

/// After both quarters have ended, so the nodes may release them.
const NOW: &str = "2026-10-20T10:00:00Z";

fn quarters() -> [Period; 2] {
    ["2026-27-Q1".parse().unwrap(), "2026-27-Q2".parse().unwrap()]
}

/// Retries quickly, for long enough to outlast a restart.
fn quick() -> Backoff {
    Backoff { first: Duration::from_millis(50), max: Duration::from_millis(250), tries: 80 }
}

/// The first four councils of two regions.
fn councils() -> Vec<CouncilCode> {
    [Region::NorthEast, Region::EastMidlands]
        .into_iter()
        .flat_map(|r| Council::all().iter().filter(move |c| c.region == r).take(4))
        .map(|c| c.council_code())
        .collect()
}

/// Sends each node's two releases, the even nodes the later quarter first.
async fn submit_all(nodes: &[TestNode]) {
    let [q1, q2] = quarters();
    let sends = nodes.iter().enumerate().map(|(i, n)| async move {
        let order = if i % 2 == 0 { [q2, q1] } else { [q1, q2] };
        for p in order {
            assert!(!n.submit(p, 1, quick()).await, "{} {p} was new to the coordinator", n.config.council);
        }
    });
    futures_util::future::join_all(sends).await;
}

#[tokio::test]
async fn a_network_under_faults_loses_nothing_counts_nothing_twice_and_its_benchmarks_are_honest() {
    msp_tests::crypto();
    for db in databases().await {
        let cdir = tempfile::tempdir().unwrap();
        let ndir = tempfile::tempdir().unwrap();
        let mut c = TestCoordinator::start(cdir.path().to_owned(), &db.url, Options::default()).await;
        let ca = cdir.path().join("tls/ca.pem");
        // On PostgreSQL, one node keeps its records there too.
        let node_pg = match db.backend {
            msp_store::Backend::Postgres => TestDb::postgres().await,
            msp_store::Backend::Sqlite => None,
        };
        let mut nodes = Vec::new();
        for (i, council) in councils().into_iter().enumerate() {
            let spec = NodeSpec {
                council,
                last: quarters()[1],
                quarters: 2,
                people: None,
                seed: 70 + i as u64,
                database_url: node_pg.as_ref().filter(|_| i == 0).map(|d| d.url.clone()),
            };
            let mut n = TestNode::new(&ndir.path().join(council.as_str()), spec, &c.base, &ca).await;
            if i % 2 == 1 {
                n.pin(SpecId::MspQuarterlyV1);
            }
            c.enrol(council.as_str(), n.key.public_key()).await;
            for p in quarters() {
                let made = n.release(p, false, NOW).await;
                let expected = if i % 2 == 1 { SpecId::MspQuarterlyV1 } else { SpecId::MspQuarterlyV2 };
                assert_eq!(made.spec(), expected, "{council}");
            }
            nodes.push(n);
        }

        // Half the councils submit; then the coordinator goes down (stopped before the other half
        // start, so each of them meets it down), and comes back on the same port while they retry.
        submit_all(&nodes[..4]).await;
        let (dir, url, addr) = (c.dir.clone(), c.url.clone(), c.addr);
        c.stop().await;
        let restart = async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            TestCoordinator::start(dir, &url, Options { addr, ..Options::default() }).await
        };
        let ((), restarted) = tokio::join!(submit_all(&nodes[4..]), restart);
        c = restarted;

        // The same submission again, from the node and as bytes from elsewhere: held already.
        let [q1, _] = quarters();
        assert!(nodes[0].submit(q1, 1, quick()).await, "a repeat is recognised ({:?})", db.backend);
        let o = nodes[2].store.outgoing(q1, 1).await.unwrap().unwrap();
        let again = c
            .client()
            .post(format!("{}/v1/submissions", c.base))
            .header("content-type", "application/jose")
            .body(o.jws.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200, "{:?}", db.backend);
        let receipt: Value = again.json().await.unwrap();
        assert_eq!(receipt["receipt_jws"].as_str(), o.receipt_jws.as_deref(), "the same receipt");

        // A council revises a quarter: the revision supersedes it.
        let revised = nodes[1].release(q1, true, NOW).await;
        assert_eq!(revised.revision(), 2);
        assert!(!nodes[1].submit(q1, 2, quick()).await);

        // A fresh start reads everything back from the database.
        c = c.restart().await;
        let submitted = nodes.len() as u64 * 2 + 1;
        assert_eq!(c.stored().await, submitted, "every submission stored once ({:?})", db.backend);
        for n in &nodes {
            let s = n.submitter(quick());
            for o in n.store.outbox(None).await.unwrap() {
                assert!(o.receipt_jws.is_some(), "{} {} has its receipt", n.config.council, o.period);
                let v = s.verify(o.period, Some(o.revision)).await.unwrap();
                assert_eq!(v.head.tree_size, submitted);
            }
        }

        check_benchmarks(&c, &nodes, db.backend).await;
        c.stop().await;
    }
}

/// Each node's latest release of each quarter.
async fn latest(nodes: &[TestNode]) -> Vec<(CouncilCode, Release)> {
    let mut out = Vec::new();
    for n in nodes {
        for p in quarters() {
            let stored = n.store.release(p, None).await.unwrap().unwrap();
            out.push((n.config.council, Release::from_json(stored.document.as_bytes()).unwrap()));
        }
    }
    out
}

/// Checks every benchmark of England and the two regions, for each quarter and the year:
/// its cells against the sums of the releases, its measures' intervals against the truth.
async fn check_benchmarks(c: &TestCoordinator, nodes: &[TestNode], backend: msp_store::Backend) {
    let token = c.token("national").await;
    let releases = latest(nodes).await;
    let spec = SpecId::MspQuarterlyV1.spec();
    let (mut checked, mut covered, mut report) = (0usize, 0usize, String::new());
    for group in ["england", "region:north_east", "region:east_midlands"] {
        let in_group =
            |code: CouncilCode| group == "england" || group == format!("region:{}", code.council().region.slug());
        for window in ["2026-27-Q1", "2026-27-Q2", "2026-27"] {
            let in_window = |p: Period| window == "2026-27" || p.to_string() == window;
            let b = c.get_json(&format!("/v1/benchmarks?group={group}&period={window}"), &token).await;
            let covering: Vec<&(CouncilCode, Release)> =
                releases.iter().filter(|(code, r)| in_group(*code) && in_window(r.period())).collect();
            assert_eq!(b["coverage"]["quarters_included"], covering.len(), "{group} {window}");

            // The benchmark shows the tables every release it covers carries, in the newest spec's
            // order. Each cell is the sum of the latest releases' values, each spec's apart, and a
            // table other tables measure again is, within each spec, that sum combined by inverse
            // variance with the crossing tables' margins; the specs' figures are then added.
            let newest = SpecId::NEWEST.spec();
            let shared: Vec<_> = newest
                .tables
                .iter()
                .filter(|t| covering.iter().all(|(_, r)| r.spec().spec().table(t.id).is_some()))
                .collect();
            let tables = b["tables"].as_array().expect("tables");
            assert_eq!(tables.len(), shared.len(), "{group} {window}: only the tables every release carries");
            assert!(shared.len() < newest.tables.len(), "{group} {window} mixes the two versions");
            for (got, table) in tables.iter().zip(&shared) {
                assert_eq!(got["table"], table.id);
                for (k, cell) in got["cells"].as_array().expect("cells").iter().enumerate() {
                    let (mut value, mut variance, mut combined) = (0.0, 0.0, false);
                    for id in SpecId::ALL {
                        let of: Vec<&Release> = covering.iter().map(|(_, r)| r).filter(|r| r.spec() == id).collect();
                        if of.is_empty() {
                            continue;
                        }
                        let sum_of = |t: &str, k: usize| -> (f64, f64) {
                            let value: i64 = of.iter().map(|r| r.table(t).unwrap().values[k]).sum();
                            (value as f64, of.iter().map(|r| r.table(t).unwrap().sigma.powi(2)).sum())
                        };
                        let mut measured = vec![sum_of(table.id, k)];
                        for m in id.spec().margins.iter().filter(|m| m.table == table.id) {
                            combined = true;
                            for crossed in &m.crossed {
                                let groups = id.spec().table(crossed).unwrap().cells.len() / table.cells.len();
                                let margin = (0..groups).map(|g| sum_of(crossed, g * table.cells.len() + k));
                                measured.push(margin.fold((0.0, 0.0), |a, m| (a.0 + m.0, a.1 + m.1)));
                            }
                        }
                        if let [(v, var)] = measured[..] {
                            (value, variance) = (value + v, variance + var);
                            continue;
                        }
                        let precision: f64 = measured.iter().map(|m| 1.0 / m.1).sum();
                        value += measured.iter().map(|m| m.0 / m.1).sum::<f64>() / precision;
                        variance += precision.recip();
                    }
                    let (v, se) = (cell["value"].as_f64().unwrap(), cell["se"].as_f64().unwrap());
                    if combined {
                        assert!(
                            (v - value).abs() < 1e-6 * value.abs().max(1.0),
                            "{group} {window} {} cell {k}: {v} vs {value}",
                            table.id
                        );
                    } else {
                        assert_eq!(v, value, "{group} {window} {} cell {k}", table.id);
                    }
                    assert!(
                        (se - variance.sqrt()).abs() < 1e-9 * se.max(1.0),
                        "{group} {window} {} cell {k}: se {se}",
                        table.id
                    );
                }
            }

            // The truth: the exact tables of the same councils and quarters, summed.
            let mut exact: Vec<Vec<i64>> = spec.tables.iter().map(|t| vec![0; t.cells.len()]).collect();
            for n in nodes.iter().filter(|n| in_group(n.config.council)) {
                for q in n.truth.quarters.iter().filter(|q| in_window(q.period.parse().unwrap())) {
                    for (sum, t) in exact.iter_mut().zip(&spec.tables) {
                        sum.iter_mut().zip(&q.tables[t.id]).for_each(|(s, v)| *s += v);
                    }
                }
            }
            let measures: BTreeMap<&str, &Value> = b["measures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["measure"].as_str().unwrap(), &m["estimate"]))
                .collect();
            for m in Measure::ALL.iter().filter(|m| m.id().ends_with("_s42")) {
                assert!(measures[m.id()].is_null(), "{group} {window}: {} needs every release to be /2", m.id());
            }
            for m in Measure::ALL {
                let (Some(truth), Some(e)) =
                    (m.estimate(&ExactTables::v1(&exact)), measures.get(m.id()).filter(|e| !e.is_null()))
                else {
                    continue;
                };
                let (low, high) = (e["low"].as_f64().unwrap(), e["high"].as_f64().unwrap());
                checked += 1;
                if low <= truth.value && truth.value <= high {
                    covered += 1;
                } else {
                    report.push_str(&format!(
                        "  {group} {window} {}: {} outside [{low}, {high}]\n",
                        m.id(),
                        truth.value
                    ));
                }
            }
        }
    }
    // A smoke check that the intervals mean what they say end to end; coverage.rs is the
    // statistical test of the estimator. 15 measures × 3 groups × 3 windows, far from
    // independent (a region is part of England, a quarter part of the year): think of 45
    // independent clusters of three, each missing with probability 0.05. Covering fewer than 70%
    // takes 14 or more missed clusters where 2.25 are expected: P ≈ 2·10⁻⁸ for a correct
    // estimator. Intervals half as wide as they should be (67% coverage) fail about two runs in
    // three; intervals off by more fail almost always.
    let rate = covered as f64 / checked as f64;
    eprintln!("{backend:?}: the truth fell inside {covered} of {checked} intervals ({:.1}%)\n{report}", 100.0 * rate);
    assert!(checked >= 100, "only {checked} intervals to check");
    assert!(rate >= 0.70, "{backend:?}: the truth fell inside only {covered} of {checked} intervals\n{report}");
}
