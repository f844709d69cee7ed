//! Benchmarks from noisy releases (DESIGN §8): pure, no I/O.
//!
//! For a group of councils and a window (a quarter, or a financial year of four), each table's
//! cells are the sums of the latest-revision noisy values of the councils in the group that
//! submitted, and their variances the sums of the published σ² (noise is independent across
//! councils, quarters and tables). Headline measures and their intervals come from
//! [`msp_estimate`]: proportions and means by the delta method, clipped to what is feasible. The
//! median days to conclude, which has no closed form, gets a parametric bootstrap interval from
//! the known noise. Coverage (councils included out of councils in the group) is part of every
//! benchmark.

use std::collections::{BTreeMap, BTreeSet};

use msp_estimate::{Cells, Estimate, Measure, Noisy};
use msp_schemas::{
    AuthorityType, Council, CouncilCode, FinancialYear, Period, Region, Release,
    codes::{CodeList, MspLevel, TeamModel},
    spec::{DAYS_BUCKETS, SpecId},
};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// A council's release as the estimator uses it (the latest revision of its quarter).
#[derive(Debug, Clone)]
pub struct CouncilRelease {
    /// The council.
    pub council: CouncilCode,
    /// The quarter.
    pub period: Period,
    /// The revision.
    pub revision: u32,
    /// Self-declared team model.
    pub team_model: TeamModel,
    /// Self-declared MSP level.
    pub msp_level: MspLevel,
    /// Each table's values (in spec order) and noise scale.
    pub tables: Vec<(Vec<i64>, f64)>,
}

impl CouncilRelease {
    /// From a validated release document.
    pub fn from_release(r: &Release) -> Self {
        let f = r.fields();
        Self {
            council: r.council(),
            period: r.period(),
            revision: r.revision(),
            team_model: f.context.team_model,
            msp_level: f.context.msp_level,
            tables: f.tables.iter().map(|t| (t.values.clone(), t.sigma)).collect(),
        }
    }
}

/// Keeps the latest revision of each (council, quarter).
pub fn latest(releases: impl IntoIterator<Item = CouncilRelease>) -> Vec<CouncilRelease> {
    let mut by: BTreeMap<(CouncilCode, Period), CouncilRelease> = BTreeMap::new();
    for r in releases {
        match by.get(&(r.council, r.period)) {
            Some(have) if have.revision >= r.revision => {}
            _ => {
                by.insert((r.council, r.period), r);
            }
        }
    }
    by.into_values().collect()
}

/// A group of councils to benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// All 153.
    England,
    /// One region.
    Region(Region),
    /// One authority type.
    Type(AuthorityType),
    /// Councils declaring a team model.
    TeamModel(TeamModel),
    /// Councils declaring an MSP level.
    MspLevel(MspLevel),
    /// One council alone.
    Council(CouncilCode),
    /// A council's peers: the other councils of its region.
    Peers(CouncilCode),
}

impl Group {
    /// The machine name: `england`, `region:london`, `type:unitary`, `team_model:specialist`,
    /// `msp_level:gold`, `council:E06000001`, `peers:E06000001`.
    pub fn id(&self) -> String {
        match self {
            Group::England => "england".into(),
            Group::Region(r) => format!("region:{}", r.slug()),
            Group::Type(t) => format!("type:{}", t.slug()),
            Group::TeamModel(m) => format!("team_model:{}", m.code()),
            Group::MspLevel(l) => format!("msp_level:{}", l.code()),
            Group::Council(c) => format!("council:{c}"),
            Group::Peers(c) => format!("peers:{c}"),
        }
    }

    /// The name, for people.
    pub fn name(&self) -> String {
        match self {
            Group::England => "England".into(),
            Group::Region(r) => r.name().into(),
            Group::Type(t) => t.plural().to_owned(),
            Group::TeamModel(m) => m.label().into(),
            Group::MspLevel(l) => format!("MSP level: {}", l.label()),
            Group::Council(c) => c.council().name.into(),
            Group::Peers(c) => format!("{}'s peers ({})", c.council().name, c.council().region.name()),
        }
    }

    /// Whether the group is fixed by the register (so its size is known in advance) rather
    /// than by what councils declare in their releases.
    fn by_register(&self) -> bool {
        !matches!(self, Group::TeamModel(_) | Group::MspLevel(_))
    }

    /// Whether a council is in the group by the register.
    fn holds(&self, c: CouncilCode) -> bool {
        let council = c.council();
        match self {
            Group::England => true,
            Group::Region(r) => council.region == *r,
            Group::Type(t) => council.authority_type == *t,
            Group::Council(x) => *x == c,
            Group::Peers(x) => *x != c && x.council().region == council.region,
            Group::TeamModel(_) | Group::MspLevel(_) => true,
        }
    }

    /// Whether a release belongs to the group (declared context counts for model groups).
    fn takes(&self, r: &CouncilRelease) -> bool {
        match self {
            Group::TeamModel(m) => r.team_model == *m,
            Group::MspLevel(l) => r.msp_level == *l,
            other => other.holds(r.council),
        }
    }

    /// The groups every benchmark page offers.
    pub fn standard() -> Vec<Group> {
        let mut out = vec![Group::England];
        out.extend(Region::ALL.map(Group::Region));
        out.extend(AuthorityType::ALL.map(Group::Type));
        out.extend(TeamModel::ALL.iter().map(|m| Group::TeamModel(*m)));
        out.extend(MspLevel::ALL.iter().map(|l| Group::MspLevel(*l)));
        out
    }
}

impl std::str::FromStr for Group {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not a group: use england, region:<slug>, type:<slug>, team_model:<code>, msp_level:<code>, \
                 council:<code> or peers:<code>"
            )
        };
        if s == "england" {
            return Ok(Group::England);
        }
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        Ok(match kind {
            "region" => Group::Region(value.parse().map_err(|e| format!("{e}"))?),
            "type" => Group::Type(value.parse().map_err(|e| format!("{e}"))?),
            "team_model" => Group::TeamModel(value.parse().map_err(|e| format!("{e}"))?),
            "msp_level" => Group::MspLevel(value.parse().map_err(|e| format!("{e}"))?),
            "council" => Group::Council(value.parse().map_err(|e| format!("{e}"))?),
            "peers" => Group::Peers(value.parse().map_err(|e| format!("{e}"))?),
            _ => return Err(bad()),
        })
    }
}

/// The time a benchmark covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// One quarter.
    Quarter(Period),
    /// A financial year: its four quarters added up.
    Year(FinancialYear),
}

impl Window {
    /// The quarters covered.
    pub fn quarters(&self) -> Vec<Period> {
        match self {
            Window::Quarter(p) => vec![*p],
            Window::Year(y) => y.quarters().to_vec(),
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Window::Quarter(p) => write!(f, "{p}"),
            Window::Year(y) => write!(f, "{y}"),
        }
    }
}

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains("-Q") {
            s.parse().map(Window::Quarter).map_err(|e: msp_schemas::period::PeriodError| e.to_string())
        } else {
            s.parse().map(Window::Year).map_err(|e: msp_schemas::period::PeriodError| e.to_string())
        }
    }
}

/// How much of a group a benchmark covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Councils with at least one release in the window.
    pub councils_included: usize,
    /// Councils in the group (for model groups: councils that declared the model in the window).
    pub councils_in_group: usize,
    /// Council-quarters released.
    pub quarters_included: usize,
    /// Council-quarters expected.
    pub quarters_expected: usize,
}

/// One table of a benchmark: each cell's summed value and noise variance.
#[derive(Debug, Clone, Serialize)]
pub struct TableEstimate {
    /// The table's id.
    pub table: &'static str,
    /// Each cell: its code, the summed noisy value and its variance.
    pub cells: Vec<CellEstimate>,
}

/// One cell of a benchmark table.
#[derive(Debug, Clone, Serialize)]
pub struct CellEstimate {
    /// The cell's code.
    pub cell: String,
    /// The cell's label.
    pub label: String,
    /// The estimate (sum of noisy values).
    pub value: f64,
    /// Standard error (from the noise).
    pub se: f64,
}

/// A headline measure of a benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureEstimate {
    /// The measure's id.
    pub measure: &'static str,
    /// What it measures.
    pub label: &'static str,
    /// Whether it is a proportion.
    pub proportion: bool,
    /// The estimate and its interval (absent when there is nothing to estimate).
    pub estimate: Option<Estimate>,
}

/// A benchmark: one group, one window.
#[derive(Debug, Clone, Serialize)]
pub struct Benchmark {
    /// The group's id.
    pub group: String,
    /// The group's name.
    pub name: String,
    /// The window.
    pub window: String,
    /// Coverage.
    pub coverage: Coverage,
    /// The councils included.
    #[serde(skip)]
    pub councils: Vec<CouncilCode>,
    /// Headline measures.
    pub measures: Vec<MeasureEstimate>,
    /// The median days from concern to conclusion (parametric bootstrap).
    pub median_days: Option<Estimate>,
    /// Every table.
    pub tables: Vec<TableEstimate>,
}

impl Benchmark {
    /// A headline measure's estimate.
    pub fn measure(&self, m: Measure) -> Option<Estimate> {
        self.measures.iter().find(|e| e.measure == m.id()).and_then(|e| e.estimate)
    }
}

struct Summed<'a> {
    spec: &'static msp_schemas::ReportSpec,
    sums: &'a [Vec<Noisy>],
}

impl Cells for Summed<'_> {
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        let i = self.spec.tables.iter().position(|t| t.id == table)?;
        self.sums.get(i)?.get(cell).copied()
    }
}

/// Bootstrap draws for the median.
const BOOTSTRAP_DRAWS: usize = 1_000;

/// The median of a histogram over the `days_to_conclude` buckets, interpolating within the
/// bucket that holds it (the last, open bucket is taken as 366–730 days).
pub fn histogram_median(counts: &[f64]) -> Option<f64> {
    let bounds: Vec<(f64, f64)> = {
        let mut lo = 0.0;
        let mut v = Vec::new();
        for (hi, _) in DAYS_BUCKETS {
            v.push((lo, f64::from(hi) + 1.0));
            lo = f64::from(hi) + 1.0;
        }
        v.push((lo, 731.0));
        v
    };
    let counts: Vec<f64> = counts.iter().map(|c| c.max(0.0)).collect();
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let half = total / 2.0;
    let mut seen = 0.0;
    for (c, (lo, hi)) in counts.iter().zip(bounds) {
        if seen + c >= half && *c > 0.0 {
            return Some(lo + (hi - lo) * (half - seen) / c);
        }
        seen += c;
    }
    None
}

/// The median days with a parametric-bootstrap 95% interval: the histogram is redrawn with the
/// published noise (Gaussian with each cell's variance) and the middle 95% of the redrawn
/// medians, re-centred on the estimate, is the interval. The draws use a fixed seed so that the
/// same releases always give the same interval; no data are changed.
pub fn bootstrap_median(cells: &[Noisy]) -> Option<Estimate> {
    let value = histogram_median(&cells.iter().map(|c| c.value).collect::<Vec<_>>())?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x6d65_6469_616e);
    let mut draws: Vec<f64> = (0..BOOTSTRAP_DRAWS)
        .filter_map(|_| {
            let redrawn: Vec<f64> = cells
                .iter()
                .map(|c| {
                    c.value
                        + c.variance.sqrt() * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
                })
                .collect();
            histogram_median(&redrawn)
        })
        .collect();
    if draws.len() < BOOTSTRAP_DRAWS / 2 {
        return None;
    }
    draws.sort_by(f64::total_cmp);
    let q = |p: f64| draws[((draws.len() - 1) as f64 * p).round() as usize];
    // Basic bootstrap: reflect the spread of the redrawn medians around the estimate.
    let (lo, hi) = ((2.0 * value - q(0.975)).max(0.0), (2.0 * value - q(0.025)).max(0.0));
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let se = (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (draws.len() - 1) as f64).sqrt();
    Some(Estimate { value, se, low: lo.min(value), high: hi.max(value), too_wide: hi - lo > 0.5 * value.max(1.0) })
}

/// The benchmark of `group` over `window`, from the latest releases.
pub fn benchmark(group: Group, window: Window, releases: &[CouncilRelease]) -> Benchmark {
    let spec = SpecId::MspQuarterlyV1.spec();
    let quarters = window.quarters();
    let included: Vec<&CouncilRelease> =
        releases.iter().filter(|r| quarters.contains(&r.period) && group.takes(r)).collect();
    let mut sums: Vec<Vec<Noisy>> = spec.tables.iter().map(|t| vec![Noisy::default(); t.cells.len()]).collect();
    for r in &included {
        for (sum, (values, sigma)) in sums.iter_mut().zip(&r.tables) {
            for (cell, v) in sum.iter_mut().zip(values) {
                *cell = *cell + Noisy::new(*v as f64, *sigma);
            }
        }
    }
    let councils: BTreeSet<CouncilCode> = included.iter().map(|r| r.council).collect();
    let in_group = if group.by_register() {
        Council::all().iter().filter(|c| group.holds(c.council_code())).count()
    } else {
        councils.len()
    };
    let coverage = Coverage {
        councils_included: councils.len(),
        councils_in_group: in_group,
        quarters_included: included.len(),
        quarters_expected: in_group * quarters.len(),
    };
    let cells = Summed { spec, sums: &sums };
    let measures = Measure::ALL
        .iter()
        .map(|m| MeasureEstimate {
            measure: m.id(),
            label: m.label(),
            proportion: m.is_proportion(),
            estimate: if included.is_empty() { None } else { m.estimate(&cells) },
        })
        .collect();
    let days = spec.tables.iter().position(|t| t.id == "days_to_conclude").expect("a spec table");
    let median_days = if included.is_empty() { None } else { bootstrap_median(&sums[days]) };
    let tables = spec
        .tables
        .iter()
        .zip(&sums)
        .map(|(t, s)| TableEstimate {
            table: t.id,
            cells: t
                .cells
                .iter()
                .zip(s)
                .map(|(c, n)| CellEstimate {
                    cell: c.code.clone(),
                    label: c.label.clone(),
                    value: n.value,
                    se: n.variance.sqrt(),
                })
                .collect(),
        })
        .collect();
    Benchmark {
        group: group.id(),
        name: group.name(),
        window: window.to_string(),
        coverage,
        councils: councils.into_iter().collect(),
        measures,
        median_days,
        tables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(council: &str, period: &str, revision: u32, scale: i64, sigma: f64) -> CouncilRelease {
        let spec = SpecId::MspQuarterlyV1.spec();
        CouncilRelease {
            council: council.parse().unwrap(),
            period: period.parse().unwrap(),
            revision,
            team_model: TeamModel::Specialist,
            msp_level: MspLevel::Gold,
            tables: spec.tables.iter().map(|t| (vec![scale; t.cells.len()], sigma)).collect(),
        }
    }

    #[test]
    fn benchmarks_equal_the_sums_of_the_releases_they_cover_with_variances_added() {
        let rs = latest(vec![
            release("E06000001", "2026-27-Q1", 1, 10, 2.0),
            release("E06000002", "2026-27-Q1", 1, 20, 3.0),
            release("E09000007", "2026-27-Q1", 1, 40, 1.0),
        ]);
        let b = benchmark(Group::Region(Region::NorthEast), Window::Quarter("2026-27-Q1".parse().unwrap()), &rs);
        assert_eq!(b.coverage.councils_included, 2);
        assert_eq!(b.coverage.councils_in_group, 12);
        let cell = &b.tables[0].cells[0];
        assert_eq!(cell.value, 30.0);
        assert!((cell.se - (4.0f64 + 9.0).sqrt()).abs() < 1e-12);
        let e = benchmark(Group::England, Window::Quarter("2026-27-Q1".parse().unwrap()), &rs);
        assert_eq!(e.tables[0].cells[0].value, 70.0);
        assert_eq!(e.coverage.councils_in_group, 153);
    }

    #[test]
    fn a_higher_revision_supersedes_and_years_add_their_quarters() {
        let rs = latest(vec![
            release("E06000001", "2026-27-Q1", 1, 10, 2.0),
            release("E06000001", "2026-27-Q1", 2, 11, 2.0),
            release("E06000001", "2026-27-Q2", 1, 5, 2.0),
        ]);
        assert_eq!(rs.len(), 2);
        let year =
            benchmark(Group::Council("E06000001".parse().unwrap()), Window::Year("2026-27".parse().unwrap()), &rs);
        assert_eq!(year.tables[3].cells[0].value, 16.0);
        assert!((year.tables[3].cells[0].se - 8f64.sqrt()).abs() < 1e-12);
        assert_eq!((year.coverage.quarters_included, year.coverage.quarters_expected), (2, 4));
    }

    #[test]
    fn model_groups_follow_what_councils_declare_and_peers_leave_out_the_council() {
        let mut a = release("E06000001", "2026-27-Q1", 1, 10, 2.0);
        a.team_model = TeamModel::Locality;
        let rs = latest(vec![a, release("E06000002", "2026-27-Q1", 1, 10, 2.0)]);
        let q = Window::Quarter("2026-27-Q1".parse().unwrap());
        assert_eq!(benchmark(Group::TeamModel(TeamModel::Locality), q, &rs).councils.len(), 1);
        let peers = benchmark(Group::Peers("E06000001".parse().unwrap()), q, &rs);
        assert_eq!(peers.councils, vec!["E06000002".parse().unwrap()]);
        assert_eq!(peers.coverage.councils_in_group, 11);
    }

    #[test]
    fn an_empty_group_has_no_estimates() {
        let b = benchmark(Group::England, Window::Quarter("2026-27-Q1".parse().unwrap()), &[]);
        assert!(b.measures.iter().all(|m| m.estimate.is_none()) && b.median_days.is_none());
        assert_eq!(b.coverage.councils_included, 0);
    }

    #[test]
    fn the_histogram_median_interpolates_within_its_bucket() {
        // 0-7: 10, 8-28: 10 → the median (10 of 20) is at the top of the first bucket.
        assert_eq!(histogram_median(&[10.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]), Some(8.0));
        // Half way through the second bucket (8..29 days).
        assert_eq!(histogram_median(&[0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]), Some(18.5));
        assert_eq!(histogram_median(&[-3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
    }

    #[test]
    fn the_bootstrap_interval_contains_the_estimate_and_narrows_with_less_noise() {
        let cells = |sigma: f64| -> Vec<Noisy> {
            [50.0, 300.0, 250.0, 120.0, 80.0, 30.0, 10.0].iter().map(|v| Noisy::new(*v, sigma)).collect()
        };
        let wide = bootstrap_median(&cells(20.0)).unwrap();
        let narrow = bootstrap_median(&cells(2.0)).unwrap();
        assert!(wide.low <= wide.value && wide.value <= wide.high);
        assert!(narrow.high - narrow.low < wide.high - wide.low);
        assert_eq!(bootstrap_median(&cells(2.0)).unwrap(), narrow, "the same releases give the same interval");
    }

    #[test]
    fn groups_and_windows_parse_from_their_ids() {
        for g in Group::standard() {
            assert_eq!(g.id().parse::<Group>().unwrap(), g);
        }
        assert!("region:wales".parse::<Group>().is_err());
        assert_eq!("2026-27".parse::<Window>().unwrap(), Window::Year("2026-27".parse().unwrap()));
        assert!("2026-27-Q9".parse::<Window>().is_err());
    }
}
