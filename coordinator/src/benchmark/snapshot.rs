//! The releases the benchmarks are made from, kept in memory at one log size and brought up to
//! date when the log grows (another replica may have appended), and the submission status they
//! show. Every view states the log size it was computed from.

use std::sync::Arc;

use msp_schemas::{Council, CouncilCode, Period, Release, api::Benchmark};
use tokio::sync::RwLock;

use super::{
    estimator::{benchmark, included},
    groups::{Group, Window},
    release::{CouncilRelease, latest},
};
use crate::store::{CoordinatorStoreError, Store};

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
    /// A snapshot at `tree_size` of every release received (all revisions, in log order).
    pub fn new(tree_size: u64, all: Vec<CouncilRelease>) -> Self {
        let latest = latest(all.iter().cloned());
        let mut quarters: Vec<Period> = latest.iter().map(|r| r.period).collect();
        quarters.sort();
        quarters.dedup();
        Self { tree_size, all, latest, quarters }
    }

    /// The most recent quarter with any release.
    pub fn latest_quarter(&self) -> Option<Period> {
        self.quarters.last().copied()
    }

    /// A benchmark from this snapshot.
    pub fn benchmark(&self, group: Group, window: Window) -> Benchmark {
        benchmark(group, window, &self.latest)
    }

    /// The councils a benchmark from this snapshot includes (for the visibility rules).
    pub fn included(&self, group: Group, window: Window) -> Vec<CouncilCode> {
        included(group, window, &self.latest)
    }

    /// Submission status of the councils `visible` lets through: the quarters with releases,
    /// and for each council the latest revision received for each.
    pub fn status(&self, visible: impl Fn(CouncilCode) -> bool) -> (Vec<String>, Vec<StatusRow>) {
        let quarters: Vec<String> = self.quarters.iter().map(ToString::to_string).collect();
        let rows = Council::all()
            .iter()
            .filter(|c| visible(c.council_code()))
            .map(|c| StatusRow {
                council: c.code.to_owned(),
                name: c.name.to_owned(),
                region: c.region.name().to_owned(),
                revisions: self
                    .quarters
                    .iter()
                    .map(|q| {
                        self.all
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
}

/// Submission status: for one council, the latest revision received for each quarter.
#[derive(Debug, Clone)]
pub struct StatusRow {
    /// The council's code.
    pub council: String,
    /// Its name.
    pub name: String,
    /// Its region.
    pub region: String,
    /// Per quarter (as in the quarters listed with it), the latest revision received (0: none).
    pub revisions: Vec<u32>,
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
        let snap = Arc::new(Snapshot::new(tree_size, all));
        *guard = snap.clone();
        Ok(snap)
    }
}
