//! The releases the benchmarks are made from, kept in memory and brought up to date when the
//! log grows, and the views built on them: benchmarks, comparisons, trends and submission status.
//! Every view states the log size it was computed from.

use std::sync::Arc;

use msp_estimate::{Estimate, Measure, Verdict, difference};
use msp_schemas::{Council, CouncilCode, Period, Release};
use serde::Serialize;
use tokio::sync::RwLock;

use crate::{
    estimate::{Benchmark, CouncilRelease, Group, Window, benchmark, latest},
    store::{CoordinatorStoreError, Store},
};

/// The latest releases at one log size.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Entries in the log.
    pub tree_size: u64,
    /// Every release received (all revisions).
    all: Vec<CouncilRelease>,
    /// The latest revision of each (council, quarter).
    pub latest: Vec<CouncilRelease>,
    /// Quarters with any release, oldest first.
    pub quarters: Vec<Period>,
}

impl Snapshot {
    /// The most recent quarter with any release.
    pub fn latest_quarter(&self) -> Option<Period> {
        self.quarters.last().copied()
    }

    /// A benchmark from this snapshot.
    pub fn benchmark(&self, group: Group, window: Window) -> Benchmark {
        benchmark(group, window, &self.latest)
    }
}

/// The releases, cached.
#[derive(Debug, Default)]
pub struct Releases {
    snapshot: RwLock<Arc<Snapshot>>,
}

impl Releases {
    /// The snapshot for the log as it is now.
    pub async fn current(&self, store: &Store) -> Result<Arc<Snapshot>, CoordinatorStoreError> {
        let size = Store::log_size(store.db().pool()).await?;
        {
            let snap = self.snapshot.read().await;
            if snap.tree_size == size {
                return Ok(snap.clone());
            }
        }
        let mut guard = self.snapshot.write().await;
        if guard.tree_size == size {
            return Ok(guard.clone());
        }
        let mut all = guard.all.clone();
        let mut tree_size = guard.tree_size;
        for s in store.submissions_from(guard.tree_size).await? {
            let release = Release::from_json(s.payload.as_bytes())
                .map_err(|e| CoordinatorStoreError::Corrupt(format!("stored release {}: {e}", s.log_index)))?;
            all.push(CouncilRelease::from_release(&release));
            tree_size = tree_size.max(s.log_index + 1);
        }
        let latest = latest(all.iter().cloned());
        let mut quarters: Vec<Period> = latest.iter().map(|r| r.period).collect();
        quarters.sort();
        quarters.dedup();
        let snap = Arc::new(Snapshot { tree_size, all, latest, quarters });
        *guard = snap.clone();
        Ok(snap)
    }
}

/// One measure compared between two groups.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureDifference {
    /// The measure's id.
    pub measure: &'static str,
    /// What it measures.
    pub label: &'static str,
    /// Whether it is a proportion.
    pub proportion: bool,
    /// The first group's estimate.
    pub a: Option<Estimate>,
    /// The second group's estimate.
    pub b: Option<Estimate>,
    /// a − b, with its interval.
    pub difference: Option<Estimate>,
    /// What the interval of the difference says.
    pub verdict: Option<Verdict>,
}

/// Two benchmarks side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The log size the figures come from.
    pub tree_size: u64,
    /// The first group.
    pub a: Benchmark,
    /// The second group.
    pub b: Benchmark,
    /// Each measure's difference.
    pub differences: Vec<MeasureDifference>,
}

/// Compares two benchmarks measure by measure. When the second group contains the first (a
/// council and its region, a region and England), the difference is taken against the second
/// without the first, so that the two noises are independent and the interval of the difference
/// is honest: "this council against the rest of its region". Partly overlapping groups share
/// some noise, which makes their difference's interval wider than it need be, never narrower.
pub fn compare(snap: &Snapshot, a: Group, b: Group, window: Window) -> Comparison {
    let ba = snap.benchmark(a, window);
    let bb = snap.benchmark(b, window);
    let contains = a != b && !ba.councils.is_empty() && ba.councils.iter().all(|c| bb.councils.contains(c));
    let b_for_difference = if contains {
        let without: Vec<CouncilRelease> =
            snap.latest.iter().filter(|r| !ba.councils.contains(&r.council)).cloned().collect();
        benchmark(b, window, &without)
    } else {
        bb.clone()
    };
    let differences = Measure::ALL
        .iter()
        .map(|m| {
            let (ea, eb) = (ba.measure(*m), b_for_difference.measure(*m));
            let d = ea.zip(eb).map(|(x, y)| difference(&x, &y));
            MeasureDifference {
                measure: m.id(),
                label: m.label(),
                proportion: m.is_proportion(),
                a: ea,
                b: bb.measure(*m),
                difference: d,
                verdict: d.map(|d| Verdict::of(&d)),
            }
        })
        .collect();
    Comparison { tree_size: snap.tree_size, a: ba, b: bb, differences }
}

/// A measure over time for one group.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// The quarter.
    pub period: String,
    /// Councils included.
    pub councils: usize,
    /// The estimate.
    pub estimate: Option<Estimate>,
}

/// A measure's trend for a group over every quarter with releases.
pub fn trend(snap: &Snapshot, group: Group, measure: Measure) -> Vec<TrendPoint> {
    snap.quarters
        .iter()
        .map(|q| {
            let b = snap.benchmark(group, Window::Quarter(*q));
            TrendPoint { period: q.to_string(), councils: b.coverage.councils_included, estimate: b.measure(measure) }
        })
        .collect()
}

/// Submission status: for each council, the latest revision received for each quarter.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    /// The council's code.
    pub council: String,
    /// Its name.
    pub name: String,
    /// Its region.
    pub region: String,
    /// Per quarter (as in `quarters`), the latest revision received (0: none).
    pub revisions: Vec<u32>,
}

/// The submission status of the councils `visible` lets through.
pub fn status(snap: &Snapshot, visible: impl Fn(CouncilCode) -> bool) -> (Vec<String>, Vec<StatusRow>) {
    let quarters: Vec<String> = snap.quarters.iter().map(ToString::to_string).collect();
    let rows = Council::all()
        .iter()
        .filter(|c| visible(c.council_code()))
        .map(|c| StatusRow {
            council: c.code.to_owned(),
            name: c.name.to_owned(),
            region: c.region.name().to_owned(),
            revisions: snap
                .quarters
                .iter()
                .map(|q| {
                    snap.all
                        .iter()
                        .filter(|r| r.council.as_str() == c.code && r.period == *q)
                        .map(|r| r.revision)
                        .max()
                        .unwrap_or(0)
                })
                .collect(),
        })
        .collect();
    (quarters, rows)
}
