//! The releases the benchmarks are made from, kept in memory at one log size and brought up to
//! date when the log grows (another replica may have appended), and the submission status they
//! show: which quarters each council has released, and the ρ it has published against the
//! network policy's caps. Every view states the log size it was computed from.

use std::{collections::BTreeMap, sync::Arc};

use msp_schemas::{
    Council, CouncilCode, Period, Release,
    api::Benchmark,
    policy::{NetworkPolicy, SignedPolicy, Spending},
};
use tokio::sync::RwLock;

use super::{
    estimator::{AgainstRest, benchmark, each_against_rest, included},
    groups::{Comparator, Group, Memberships, SizeBand, Window},
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
    /// Every release's council, quarter and published ρ (all revisions, in log order).
    charges: Vec<(CouncilCode, Period, f64)>,
    /// The network policy the releases were held to.
    pub policy: NetworkPolicy,
    /// Who is in the named comparator groups, as the database held them with these releases.
    pub groups: Arc<Memberships>,
    /// What the named groups were when read (see [`Store::comparators_stamp`]) and which quarters
    /// were published (the size bands come from them), to tell when to work them out again.
    groups_stamp: String,
}

/// Each council's size band, from its releases of the four latest published quarters it released
/// (see [`SizeBand`]): its people with a concluded enquiry, summed and scaled to a year.
fn size_bands(latest: &[CouncilRelease], published: &dyn Fn(Period) -> bool) -> BTreeMap<CouncilCode, SizeBand> {
    let mut by: BTreeMap<CouncilCode, Vec<&CouncilRelease>> = BTreeMap::new();
    for r in latest.iter().filter(|r| published(r.period)) {
        by.entry(r.council).or_default().push(r);
    }
    by.into_iter()
        .map(|(c, mut rs)| {
            rs.sort_by_key(|r| std::cmp::Reverse(r.period));
            rs.truncate(4);
            let people: i64 = rs
                .iter()
                .map(|r| {
                    let table = r.spec.spec().position("enquiries_concluded");
                    table.and_then(|t| r.tables.get(t)).map_or(0, |(v, _)| v.iter().sum::<i64>())
                })
                .sum();
            (c, SizeBand::of(people as f64 * 4.0 / rs.len() as f64))
        })
        .collect()
}

impl Snapshot {
    /// A snapshot at `tree_size` of every release received (all revisions, in log order), with
    /// the ρ each published, under `policy`.
    pub fn new(tree_size: u64, all: Vec<CouncilRelease>, rho: Vec<f64>, policy: NetworkPolicy) -> Self {
        let latest = latest(all.iter().cloned());
        let mut quarters: Vec<Period> = latest.iter().map(|r| r.period).collect();
        quarters.sort();
        quarters.dedup();
        let charges = all.iter().zip(rho).map(|(r, rho)| (r.council, r.period, rho)).collect();
        Self { tree_size, all, latest, quarters, charges, policy, groups: Arc::default(), groups_stamp: String::new() }
    }

    /// The same releases with the named groups `groups` (read when their stamp was `stamp`).
    pub fn with_groups(mut self, groups: Arc<Memberships>, stamp: String) -> Self {
        self.groups = groups;
        self.groups_stamp = stamp;
        self
    }

    /// A group's name, for people (a named group's as the operator gave it).
    pub fn name(&self, group: Group) -> String {
        group.name_in(&self.groups)
    }

    /// The councils the register or the named groups put in `group` (`None` for a model group).
    pub fn members(&self, group: Group) -> Option<Vec<CouncilCode>> {
        group.members(&self.groups)
    }

    /// [`each_against_rest`] over these releases.
    pub fn against_rest(
        &self,
        group: Group,
        window: Window,
        measure: msp_estimate::Measure,
        parts: &[Group],
    ) -> Vec<AgainstRest> {
        each_against_rest(group, window, &self.latest, measure, parts, &self.groups)
    }

    /// The ρ `council` has published, by quarter of data (every revision counts).
    pub fn published(&self, council: CouncilCode) -> Spending {
        Spending::from_charges(self.charges.iter().filter(|(c, ..)| *c == council).map(|(_, p, rho)| (*p, *rho)))
    }

    /// The most recent quarter with any release.
    pub fn latest_quarter(&self) -> Option<Period> {
        self.quarters.last().copied()
    }

    /// A benchmark from this snapshot.
    pub fn benchmark(&self, group: Group, window: Window) -> Benchmark {
        benchmark(group, window, &self.latest, &self.groups)
    }

    /// A benchmark of `group` from these releases less those `left_out` lets through: "the rest".
    pub fn benchmark_without(
        &self,
        group: Group,
        window: Window,
        left_out: impl Fn(&CouncilRelease) -> bool,
    ) -> Benchmark {
        let rest: Vec<CouncilRelease> = self.latest.iter().filter(|r| !left_out(r)).cloned().collect();
        benchmark(group, window, &rest, &self.groups)
    }

    /// The councils a benchmark from this snapshot includes (for the visibility rules).
    pub fn included(&self, group: Group, window: Window) -> Vec<CouncilCode> {
        included(group, window, &self.latest, &self.groups)
    }

    /// Submission status of the councils `visible` lets through: the quarters with releases,
    /// and for each council the latest revision received for each.
    pub fn status(&self, visible: impl Fn(CouncilCode) -> bool) -> (Vec<String>, Vec<StatusRow>) {
        let quarters: Vec<String> = self.quarters.iter().map(ToString::to_string).collect();
        let rows = Council::all()
            .iter()
            .filter(|c| visible(c.council_code()))
            .map(|c| {
                let spent = self.published(c.council_code());
                StatusRow {
                    council: c.code.to_owned(),
                    name: c.name.to_owned(),
                    region: c.region.name().to_owned(),
                    rho: self.quarters.iter().map(|q| spent.quarter(*q)).collect(),
                    most_in_four_quarters: most_in_four_quarters(&spent),
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
                }
            })
            .collect();
        (quarters, rows)
    }
}

/// The most ρ published in any four consecutive quarters (0 when nothing is).
pub fn most_in_four_quarters(spent: &Spending) -> f64 {
    spent
        .quarters()
        .flat_map(|(q, _)| Spending::windows_holding(q))
        .map(|first| spent.window(first))
        .fold(0.0, f64::max)
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
    /// Per quarter, the ρ published for it (all revisions together).
    pub rho: Vec<f64>,
    /// The most ρ published in any four consecutive quarters.
    pub most_in_four_quarters: f64,
}

/// The releases, cached.
#[derive(Debug)]
pub struct Releases {
    snapshot: RwLock<Arc<Snapshot>>,
    /// The last snapshot of an earlier log size asked for ([`Releases::at`]).
    earlier: tokio::sync::Mutex<Option<Arc<Snapshot>>>,
    policy: Arc<SignedPolicy>,
}

impl Releases {
    /// None yet, held to `policy`.
    pub fn new(policy: Arc<SignedPolicy>) -> Self {
        let empty = Snapshot { policy: policy.policy.clone(), ..Snapshot::default() };
        Self { snapshot: RwLock::new(Arc::new(empty)), earlier: tokio::sync::Mutex::new(None), policy }
    }
}

impl Releases {
    /// The snapshot of the log's first `size` entries: the releases a figure published at that
    /// tree size was computed from, so that it can be reproduced later (a Freedom of Information
    /// request, say). `None` when the log is not that long yet. Made afresh, not cached: it is
    /// asked for rarely.
    pub async fn at(
        &self,
        store: &Store,
        size: u64,
        published: &(dyn Fn(Period) -> bool + Sync),
    ) -> Result<Option<Arc<Snapshot>>, CoordinatorStoreError> {
        let current = self.current(store, published).await?;
        if size >= current.tree_size {
            return Ok((size == current.tree_size).then_some(current));
        }
        if let Some(earlier) =
            self.earlier.lock().await.as_ref().filter(|s| s.tree_size == size && s.groups_stamp == current.groups_stamp)
        {
            return Ok(Some(earlier.clone()));
        }
        let (mut all, mut rho) = (Vec::new(), Vec::new());
        for s in store.submissions_from(0).await?.into_iter().take_while(|s| s.log_index < size) {
            let release = Release::from_json(s.payload.as_bytes())
                .map_err(|e| CoordinatorStoreError::Corrupt(format!("stored release {}: {e}", s.log_index)))?;
            all.push(CouncilRelease::from_release(&release));
            rho.push(release.fields().privacy.rho);
        }
        let snap = Snapshot::new(size, all, rho, self.policy.policy.clone());
        // Size bands from these releases (the quarters published now); named groups as they are now.
        let groups = (*current.groups).clone().with_sizes(size_bands(&snap.latest, published));
        let snap = Arc::new(snap.with_groups(Arc::new(groups), current.groups_stamp.clone()));
        // The last one asked for is kept: an FOI request's figures are often asked for again.
        *self.earlier.lock().await = Some(snap.clone());
        Ok(Some(snap))
    }

    /// The snapshot for the log as it is now, with the size bands of the quarters `published`
    /// lets through.
    pub async fn current(
        &self,
        store: &Store,
        published: &(dyn Fn(Period) -> bool + Sync),
    ) -> Result<Arc<Snapshot>, CoordinatorStoreError> {
        let size = Store::log_size(store.db().pool()).await?;
        let named = store.comparators_stamp().await?;
        let published_key = |quarters: &[Period]| {
            quarters.iter().filter(|q| published(**q)).map(|q| q.ordinal().to_string()).collect::<Vec<_>>().join(",")
        };
        let stamp = |quarters: &[Period]| format!("{named}|{}", published_key(quarters));
        {
            let snap = self.snapshot.read().await;
            if snap.tree_size == size && snap.groups_stamp == stamp(&snap.quarters) {
                return Ok(snap.clone());
            }
        }
        let mut guard = self.snapshot.write().await;
        if guard.tree_size == size && guard.groups_stamp == stamp(&guard.quarters) {
            return Ok(guard.clone());
        }
        let mut all = guard.all.clone();
        let mut rho: Vec<f64> = guard.charges.iter().map(|(.., rho)| *rho).collect();
        let mut tree_size = guard.tree_size;
        for s in store.submissions_from(guard.tree_size).await? {
            let release = Release::from_json(s.payload.as_bytes())
                .map_err(|e| CoordinatorStoreError::Corrupt(format!("stored release {}: {e}", s.log_index)))?;
            all.push(CouncilRelease::from_release(&release));
            rho.push(release.fields().privacy.rho);
            tree_size = tree_size.max(s.log_index + 1);
        }
        let snap = Snapshot::new(tree_size, all, rho, self.policy.policy.clone());
        let named = store.comparators().await?.into_iter().filter_map(Comparator::from_stored);
        let groups = Memberships::new(named).with_sizes(size_bands(&snap.latest, published));
        let stamp = stamp(&snap.quarters);
        let snap = Arc::new(snap.with_groups(Arc::new(groups), stamp));
        *guard = snap.clone();
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use msp_schemas::{
        codes::{MspLevel, TeamModel},
        spec::SpecId,
    };

    use super::*;

    /// A release of `council` for `period` with `people` in `enquiries_concluded` (all else zero).
    fn release(council: &str, period: &str, people: i64) -> CouncilRelease {
        let spec = SpecId::MspQuarterlyV1.spec();
        let tables = spec
            .tables
            .iter()
            .map(|t| {
                let mut v = vec![0; t.cells.len()];
                if t.id == "enquiries_concluded" {
                    v[0] = people;
                }
                (v, 1.0)
            })
            .collect();
        CouncilRelease {
            council: council.parse().unwrap(),
            period: period.parse().unwrap(),
            revision: 1,
            spec: msp_schemas::SpecId::MspQuarterlyV1,
            team_model: TeamModel::Locality,
            msp_level: MspLevel::NoLevel,
            tables,
        }
    }

    #[test]
    fn a_councils_size_comes_from_its_four_latest_published_quarters_scaled_to_a_year() {
        let q = |s: &str| s.parse::<Period>().unwrap();
        let releases = vec![
            // Hartlepool: 100 a quarter for four published quarters, then 1,000 unpublished.
            release("E06000001", "2025-26-Q2", 100),
            release("E06000001", "2025-26-Q3", 100),
            release("E06000001", "2025-26-Q4", 100),
            release("E06000001", "2026-27-Q1", 100),
            release("E06000001", "2026-27-Q2", 1000),
            // Middlesbrough: one published quarter of 200, a year of 800.
            release("E06000002", "2026-27-Q1", 200),
            // Camden: nothing published.
            release("E09000007", "2026-27-Q2", 900),
        ];
        let published = |p: Period| p <= q("2026-27-Q1");
        let sizes = size_bands(&releases, &published);
        assert_eq!(sizes.get(&"E06000001".parse().unwrap()), Some(&SizeBand::Small), "400 a year, not 1,300");
        assert_eq!(
            sizes.get(&"E06000002".parse().unwrap()),
            Some(&SizeBand::Medium),
            "200 in one quarter is 800 a year"
        );
        assert_eq!(sizes.get(&"E09000007".parse().unwrap()), None, "no band from an unpublished release");
        assert_eq!(SizeBand::of(1500.0), SizeBand::Large);
    }
}
