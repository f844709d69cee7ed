//! One group's benchmark over one window, from the latest releases (pure, no I/O): each table's
//! cells summed over the councils that submitted, with their noise variances added; the headline
//! measures and the median with their intervals; and coverage.
//!
//! Releases of different specs are summed separately (each spec's tables in its own order) and
//! added where they share a table: each spec keeps every table of the one before with the same
//! cells and meaning. A table, and a measure read from it, is shown only when every included
//! release carries it. A mean adds one part per spec ([`msp_estimate::mean_of`]): `/2`'s sums are
//! centred.
//!
//! Within each spec, a table whose cells other tables measure again (`msp_outcomes`, crossed by
//! support reason, age band, ethnic group and sex, and in `/2` by enquiry type; `/2`'s
//! `risk_outcome`, by enquiry type) is read as the generalised-least-squares combination of every
//! measurement ([`msp_estimate::Combined`]): `msp_outcomes`' standard error is 0.93 of the table's
//! own at `/1`'s default budget.
//!
//! Values are summed exactly, in i128, across councils and quarters, and cells of one table are
//! summed exactly before the sum is made a float: no combination of i64 values can overflow it or
//! lose its sign, and small cells are not rounded away beside large ones. (The network policy
//! bounds what is accepted far below that; the arithmetic does not rely on it.)

use std::collections::{BTreeMap, BTreeSet};

use msp_estimate::{Cells, Combined, Measure, Mixed, Noisy};
use msp_schemas::{
    Council, CouncilCode, ReportSpec,
    api::{Benchmark, CellEstimate, Coverage, MeasureEstimate, TableEstimate},
    spec::SpecId,
};

use super::{
    groups::{Group, Memberships, Window},
    median::bootstrap_median,
    release::CouncilRelease,
};

/// One cell summed over releases: the noisy values exactly, their noise variances added.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sum {
    value: i128,
    variance: f64,
}

impl Sum {
    /// Adds one release's value with noise of scale `sigma`. An i128 holds 2⁶⁴ values of i64 before
    /// it could overflow: more than any group, window and table can sum.
    fn add(self, value: i64, sigma: f64) -> Sum {
        Sum { value: self.value + i128::from(value), variance: self.variance + sigma * sigma }
    }

    /// The exact sum of two sums.
    fn plus(self, other: Sum) -> Sum {
        Sum { value: self.value + other.value, variance: self.variance + other.variance }
    }

    /// The sum without `part` (a sum taken over some of the same releases).
    fn minus(self, part: Sum) -> Sum {
        Sum { value: self.value - part.value, variance: (self.variance - part.variance).max(0.0) }
    }

    /// As the estimator reads it: the sum made a float once, at the end.
    fn noisy(self) -> Noisy {
        Noisy { value: self.value as f64, variance: self.variance }
    }
}

/// One spec's tables summed over releases of that spec, as the measures read them.
#[derive(Debug, Clone, Copy)]
struct SpecSums<'a> {
    spec: &'static ReportSpec,
    sums: &'a [Vec<Sum>],
}

impl SpecSums<'_> {
    fn sum(&self, table: &str, cell: usize) -> Option<Sum> {
        self.sums.get(self.spec.position(table)?)?.get(cell).copied()
    }
}

impl Cells for SpecSums<'_> {
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        self.sum(table, cell).map(Sum::noisy)
    }

    /// Cells of one table summed exactly before the sum is made a float.
    fn cells(&self, table: &str, cells: &[usize]) -> Option<Noisy> {
        cells.iter().try_fold(Sum::default(), |acc, c| Some(acc.plus(self.sum(table, *c)?))).map(Sum::noisy)
    }

    fn centre(&self, table: &str) -> f64 {
        self.spec.table(table).map_or(0.0, |t| t.centre())
    }
}

/// Every table's cells summed over some releases, separately for each spec they follow, with
/// how many releases of each.
#[derive(Debug, Clone, Default)]
struct Sums(BTreeMap<SpecId, (usize, Vec<Vec<Sum>>)>);

impl Sums {
    /// The sums of `releases`; of none, the newest spec's tables at zero (what an empty group
    /// shows).
    fn of(releases: &[&CouncilRelease]) -> Self {
        let zero = |spec: SpecId| spec.spec().tables.iter().map(|t| vec![Sum::default(); t.cells.len()]).collect();
        let mut by: BTreeMap<SpecId, (usize, Vec<Vec<Sum>>)> = BTreeMap::new();
        if releases.is_empty() {
            by.insert(SpecId::NEWEST, (0, zero(SpecId::NEWEST)));
        }
        for r in releases {
            let (n, sums) = by.entry(r.spec).or_insert_with(|| (0, zero(r.spec)));
            *n += 1;
            for (sum, (values, sigma)) in sums.iter_mut().zip(&r.tables) {
                for (cell, v) in sum.iter_mut().zip(values) {
                    *cell = cell.add(*v, *sigma);
                }
            }
        }
        Self(by)
    }

    /// These sums less `part`'s (sums over some of the same releases); a spec none of the rest's
    /// releases follow is left out.
    fn minus(&self, part: &Sums) -> Sums {
        let rest = self.0.iter().filter_map(|(spec, (n, total))| {
            let Some((m, own)) = part.0.get(spec) else { return Some((*spec, (*n, total.clone()))) };
            (n > m).then(|| {
                let sums = total.iter().zip(own).map(|(t, o)| t.iter().zip(o).map(|(t, o)| t.minus(*o)).collect());
                (*spec, (n - m, sums.collect()))
            })
        });
        Sums(rest.collect())
    }

    /// The cells as the measures read them: each spec's sums with its tables that other tables
    /// measure again combined by least squares ([`Combined`]), then added over the specs (a table
    /// is there only if every spec's releases carry it).
    fn cells(&self) -> Mixed<Combined<SpecSums<'_>>> {
        Mixed(
            self.0
                .iter()
                .map(|(spec, (_, sums))| Combined::new(spec.spec(), SpecSums { spec: spec.spec(), sums }))
                .collect(),
        )
    }
}

/// The releases of `group` within `window` (`m` says who is in named groups).
fn taken<'a>(group: Group, window: Window, releases: &'a [CouncilRelease], m: &Memberships) -> Vec<&'a CouncilRelease> {
    let quarters = window.quarters();
    releases.iter().filter(|r| quarters.contains(&r.period) && group.takes(r, m)).collect()
}

/// The councils a benchmark of `group` over `window` includes, in code order: what the
/// visibility rules (see [`crate::auth`]) judge, and what the API does not show.
pub fn included(group: Group, window: Window, releases: &[CouncilRelease], m: &Memberships) -> Vec<CouncilCode> {
    let councils: BTreeSet<CouncilCode> = taken(group, window, releases, m).iter().map(|r| r.council).collect();
    councils.into_iter().collect()
}

/// One part's `measure` over `window` (a council, or a region within England), and the same
/// measure for the rest of `group` without it: what a page of every council, or of every region,
/// compares each with. The group's sums are made once and each part's taken from them, so this is
/// cheap for all 153 councils.
#[derive(Debug, Clone, Copy)]
pub struct AgainstRest {
    /// The part's estimate (`None`: none of its councils submitted).
    pub council: Option<msp_estimate::Estimate>,
    /// The rest of the group's (`None`: no other council submitted).
    pub rest: Option<msp_estimate::Estimate>,
}

/// [`AgainstRest`] for each of `parts`, within `group` over `window` (a part's releases outside
/// `group` are not counted: each part is taken as its councils within the group).
pub fn each_against_rest(
    group: Group,
    window: Window,
    releases: &[CouncilRelease],
    measure: Measure,
    parts: &[Group],
    m: &Memberships,
) -> Vec<AgainstRest> {
    let all = taken(group, window, releases, m);
    let total = Sums::of(&all);
    parts
        .iter()
        .map(|part| {
            let own_releases: Vec<&CouncilRelease> = all.iter().copied().filter(|r| part.takes(r, m)).collect();
            let own = Sums::of(&own_releases);
            let rest = total.minus(&own);
            let others = all.len() > own_releases.len();
            AgainstRest {
                council: if own_releases.is_empty() { None } else { measure.estimate(&own.cells()) },
                rest: if others { measure.estimate(&rest.cells()) } else { None },
            }
        })
        .collect()
}

/// The benchmark of `group` over `window`, from the latest releases (`m` says who is in named
/// groups, and their names).
pub fn benchmark(group: Group, window: Window, releases: &[CouncilRelease], m: &Memberships) -> Benchmark {
    let quarters = window.quarters();
    let included = taken(group, window, releases, m);
    let sums = Sums::of(&included);
    let councils: BTreeSet<CouncilCode> = included.iter().map(|r| r.council).collect();
    // A size band's members are known (from published quarters), like the register's.
    let in_group = if group.by_register() || matches!(group, Group::Size(_)) {
        Council::all().iter().filter(|c| group.holds(c.council_code(), m)).count()
    } else {
        councils.len()
    };
    let coverage = Coverage {
        councils_included: councils.len() as u64,
        councils_in_group: in_group as u64,
        quarters_included: included.len() as u64,
        quarters_expected: (in_group * quarters.len()) as u64,
    };
    let cells = sums.cells();
    let measures = Measure::ALL
        .iter()
        .map(|m| MeasureEstimate {
            measure: m.id().to_owned(),
            label: m.label().to_owned(),
            proportion: m.is_proportion(),
            estimate: if included.is_empty() { None } else { m.estimate(&cells) },
        })
        .collect();
    // The tables every included release carries, in the newest spec's order (each spec keeps every
    // table of the one before), as the measures read them.
    let newest = SpecId::NEWEST.spec();
    let days_cells = newest.table("days_to_conclude").map_or(0, |t| t.cells.len());
    let days: Option<Vec<Noisy>> = (0..days_cells).map(|i| cells.cell("days_to_conclude", i)).collect();
    let median_days = match days {
        Some(days) if !included.is_empty() => bootstrap_median(&days),
        _ => None,
    };
    let tables = newest
        .tables
        .iter()
        .filter_map(|t| {
            let values: Vec<Noisy> = (0..t.cells.len()).map(|i| cells.cell(t.id, i)).collect::<Option<_>>()?;
            Some(TableEstimate {
                table: t.id.to_owned(),
                cells: t
                    .cells
                    .iter()
                    .zip(values)
                    .map(|(c, n)| CellEstimate {
                        cell: c.code.clone(),
                        label: c.label.clone(),
                        value: n.value,
                        se: n.variance.sqrt(),
                    })
                    .collect(),
            })
        })
        .collect();
    Benchmark {
        group: group.id(),
        name: group.name_in(m),
        window: window.to_string(),
        coverage,
        measures,
        median_days,
        tables,
    }
}

#[cfg(test)]
mod tests {
    use msp_schemas::{
        Region,
        codes::{MspLevel, TeamModel},
    };

    use super::*;
    use crate::benchmark::latest;
    use msp_schemas::spec::MSP_OUTCOMES_CROSSED;

    const MSP_OUTCOMES: &str = "msp_outcomes";

    fn release(council: &str, period: &str, revision: u32, scale: i64, sigma: f64) -> CouncilRelease {
        let spec = SpecId::MspQuarterlyV1.spec();
        CouncilRelease {
            council: council.parse().unwrap(),
            period: period.parse().unwrap(),
            revision,
            spec: SpecId::MspQuarterlyV1,
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
        let b = benchmark(
            Group::Region(Region::NorthEast),
            Window::Quarter("2026-27-Q1".parse().unwrap()),
            &rs,
            &Memberships::default(),
        );
        assert_eq!(b.coverage.councils_included, 2);
        assert_eq!(b.coverage.councils_in_group, 12);
        let cell = &b.tables[0].cells[0];
        assert_eq!(cell.value, 30.0);
        assert!((cell.se - (4.0f64 + 9.0).sqrt()).abs() < 1e-12);
        let e = benchmark(Group::England, Window::Quarter("2026-27-Q1".parse().unwrap()), &rs, &Memberships::default());
        assert_eq!(e.tables[0].cells[0].value, 70.0);
        assert_eq!(e.coverage.councils_in_group, 153);
    }

    #[test]
    fn msp_outcomes_is_combined_with_its_cross_tables_margins_by_inverse_variance() {
        let spec = SpecId::MspQuarterlyV1.spec();
        // A release whose cross tables put every person in their first group: each margin is then
        // exactly msp_outcomes' cell, as in a real release without noise.
        let outcomes: Vec<i64> = (1..=7).map(|c| 10 * c).collect();
        let sigma = |id: &str| if id == MSP_OUTCOMES { 4.0 } else { 6.0 };
        let tables: Vec<(Vec<i64>, f64)> = spec
            .tables
            .iter()
            .map(|t| {
                let cells = if t.id == MSP_OUTCOMES {
                    outcomes.clone()
                } else if MSP_OUTCOMES_CROSSED.contains(&t.id) {
                    (0..t.cells.len()).map(|i| if i < 7 { outcomes[i] } else { 0 }).collect()
                } else {
                    vec![1; t.cells.len()]
                };
                (cells, sigma(t.id))
            })
            .collect();
        let r = CouncilRelease {
            council: "E06000001".parse().unwrap(),
            period: "2026-27-Q1".parse().unwrap(),
            revision: 1,
            spec: SpecId::MspQuarterlyV1,
            team_model: TeamModel::Specialist,
            msp_level: MspLevel::Gold,
            tables,
        };
        let b = benchmark(Group::England, Window::Quarter(r.period), &[r], &Memberships::default());
        let t = b.tables.iter().find(|t| t.table == MSP_OUTCOMES).unwrap();
        // Precision: 1/4² from the table, and 1/(groups·6²) from each cross table's margin.
        let groups = |id: &str| spec.tables.iter().find(|t| t.id == id).unwrap().cells.len() as f64 / 7.0;
        let precision = 1.0 / 16.0 + MSP_OUTCOMES_CROSSED.iter().map(|id| 1.0 / (groups(id) * 36.0)).sum::<f64>();
        for (cell, exact) in t.cells.iter().zip(&outcomes) {
            assert!((cell.value - *exact as f64).abs() < 1e-9, "{cell:?}");
            assert!((cell.se - precision.recip().sqrt()).abs() < 1e-12, "{cell:?}");
            assert!(cell.se < 4.0, "narrower than msp_outcomes alone");
        }
        // The measures read the combined cells: asked, of those whose record says (not unknown).
        let asked = b.measure("asked").unwrap();
        assert!((asked.value - (10.0 + 20.0 + 30.0 + 40.0 + 50.0) / 210.0).abs() < 1e-12, "{asked:?}");
    }

    #[test]
    fn a_higher_revision_supersedes_and_years_add_their_quarters() {
        let rs = latest(vec![
            release("E06000001", "2026-27-Q1", 1, 10, 2.0),
            release("E06000001", "2026-27-Q1", 2, 11, 2.0),
            release("E06000001", "2026-27-Q2", 1, 5, 2.0),
        ]);
        assert_eq!(rs.len(), 2);
        let year = benchmark(
            Group::Council("E06000001".parse().unwrap()),
            Window::Year("2026-27".parse().unwrap()),
            &rs,
            &Memberships::default(),
        );
        let t = year.tables.iter().find(|t| t.table == "risk_action").unwrap();
        assert_eq!(t.cells[0].value, 16.0);
        assert!((t.cells[0].se - 8f64.sqrt()).abs() < 1e-12);
        assert_eq!((year.coverage.quarters_included, year.coverage.quarters_expected), (2, 4));
    }

    #[test]
    fn model_groups_follow_what_councils_declare_and_peers_leave_out_the_council() {
        let mut a = release("E06000001", "2026-27-Q1", 1, 10, 2.0);
        a.team_model = TeamModel::Locality;
        let rs = latest(vec![a, release("E06000002", "2026-27-Q1", 1, 10, 2.0)]);
        let q = Window::Quarter("2026-27-Q1".parse().unwrap());
        assert_eq!(included(Group::TeamModel(TeamModel::Locality), q, &rs, &Memberships::default()).len(), 1);
        let peers = benchmark(Group::Peers("E06000001".parse().unwrap()), q, &rs, &Memberships::default());
        assert_eq!(
            included(Group::Peers("E06000001".parse().unwrap()), q, &rs, &Memberships::default()),
            vec!["E06000002".parse().unwrap()]
        );
        assert_eq!((peers.coverage.councils_included, peers.coverage.councils_in_group), (1, 11));
    }

    #[test]
    fn every_council_at_the_highest_value_the_policy_allows_gives_finite_sensible_figures() {
        use msp_schemas::policy::NetworkPolicy;
        let policy = NetworkPolicy::default();
        for id in SpecId::ALL {
            let spec = id.spec();
            // σ of each table at the highest ρ per release is the least noise; the lowest ρ gives the
            // most noise and so the widest plausible range: take that, the hardest case.
            let rho = policy.rho_per_release.min;
            let tables: Vec<(Vec<i64>, f64)> = spec
                .tables
                .iter()
                .map(|t| {
                    let sigma = msp_schemas::release::gaussian_sigma(t.l2_sensitivity(), t.weight() * rho);
                    let (_, high) = policy.value_bounds(t, sigma);
                    (vec![high.floor() as i64; t.cells.len()], sigma)
                })
                .collect();
            let quarters = ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"];
            let rs: Vec<CouncilRelease> = Council::all()
                .iter()
                .flat_map(|c| {
                    let tables = tables.clone();
                    quarters.iter().map(move |q| CouncilRelease {
                        council: c.council_code(),
                        period: q.parse().unwrap(),
                        revision: 1,
                        spec: id,
                        team_model: TeamModel::Specialist,
                        msp_level: MspLevel::Gold,
                        tables: tables.clone(),
                    })
                })
                .collect();
            assert_eq!(rs.len(), 153 * 4);
            let b = benchmark(Group::England, Window::Year("2026-27".parse().unwrap()), &rs, &Memberships::default());
            assert_eq!(b.coverage.councils_included, 153);
            for (t, (values, _)) in b.tables.iter().zip(&tables) {
                for cell in &t.cells {
                    // Tables combined with the tables that cross them, whose margins these cells do not
                    // add up to, are checked for sense only.
                    if !spec.margins.iter().any(|m| m.table == t.table) {
                        assert_eq!(cell.value, (values[0] as i128 * 153 * 4) as f64, "{}: summed exactly", t.table);
                    }
                    assert!(cell.value > 0.0 && cell.se.is_finite() && cell.se > 0.0, "{}: {cell:?}", t.table);
                }
            }
            for m in &b.measures {
                let Some(e) = m.estimate else {
                    assert!(
                        id == SpecId::MspQuarterlyV1 && m.measure.ends_with("_s42"),
                        "{} has an estimate",
                        m.measure
                    );
                    continue;
                };
                assert!([e.value, e.se, e.low, e.high].iter().all(|v| v.is_finite()), "{}: {e:?}", m.measure);
                assert!(e.low <= e.value && e.value <= e.high && e.value >= 0.0, "{}: {e:?}", m.measure);
            }
            // Every cell equal: fully achieved is one of three cells, exactly a third, with a real interval.
            let fully = b.measure(msp_estimate::Measure::Fully).unwrap();
            assert!((fully.value - 1.0 / 3.0).abs() < 1e-12 && fully.high > fully.low, "{fully:?}");
            // A mean of values at their cap is the cap.
            let days = b.measure(msp_estimate::Measure::MeanDays).unwrap();
            assert!(days.value > 0.0 && days.value <= 365.0, "{days:?}");
            assert!(b.median_days.is_some_and(|m| m.value.is_finite()));
        }
    }

    #[test]
    fn sums_of_the_largest_and_smallest_i64_keep_their_sign_and_do_not_overflow() {
        let q = Window::Quarter("2026-27-Q1".parse().unwrap());
        let rs = latest(vec![
            release("E06000001", "2026-27-Q1", 1, i64::MAX, 1.0),
            release("E06000002", "2026-27-Q1", 1, i64::MAX, 1.0),
            release("E06000003", "2026-27-Q1", 1, i64::MIN, 1.0),
            release("E06000004", "2026-27-Q1", 1, i64::MIN, 1.0),
            release("E06000005", "2026-27-Q1", 1, 7, 1.0),
        ]);
        let b = benchmark(Group::England, q, &rs, &Memberships::default());
        assert_eq!(b.tables[0].cells[0].value, 5.0, "2·MAX + 2·MIN + 7 = 5, exactly");
    }

    #[test]
    fn an_empty_group_has_no_estimates() {
        let b = benchmark(Group::England, Window::Quarter("2026-27-Q1".parse().unwrap()), &[], &Memberships::default());
        assert!(b.measures.iter().all(|m| m.estimate.is_none()) && b.median_days.is_none());
        assert_eq!(b.coverage.councils_included, 0);
    }
}
