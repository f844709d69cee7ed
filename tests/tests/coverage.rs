//! Honest intervals (DESIGN §8): releases drawn, with the release engine's own opendp noise,
//! from synthetic councils whose truth is known; the coordinator's benchmark intervals must
//! cover the truth about 95% of the time, at national and at regional level.
//!
//! Tolerances. With n trials, the coverage of one measure has standard deviation
//! √(0.95·0.05/n) ≈ 0.69 points at n = 1,000, so the band of 94–96% would fail a correct
//! estimator about one time in seven if applied to each measure alone. So: (1) the coverage
//! pooled over the fourteen intervals of each trial (seven measures, two levels; some share
//! cells, so fewer than 14,000 independent checks, but at least 1,000 × 5) must lie in 94–96%,
//! at least 3.2 standard deviations from 95%; (2) each measure at each level must lie in 92–98%,
//! 4.3 standard deviations at n = 1,000. A correct estimator fails either about once in a
//! thousand runs. (1,000 trials, not 2,000: every trial noises 13 tables of 153 councils with
//! opendp, about 4½ minutes here; `coverage_everywhere.rs` checks every figure, not only these.)

use msp_coordinator::benchmark::{CouncilRelease, Group, Window, benchmark};
use msp_estimate::Measure;
use msp_node::dp::mechanism::{self, TablePlan};
use msp_schemas::{
    Council, Period, Region, SpecId,
    codes::{MspLevel, TeamModel},
};
use msp_synth::{self as synth, SynthOptions};
use msp_tests::ExactTables;

const TRIALS: usize = 1_000;
const MEASURES: [Measure; 7] = [
    Measure::Expressed,
    Measure::Fully,
    Measure::RiskReducedOrRemoved,
    Measure::Repeat,
    Measure::MeanDays,
    Measure::MeanMeetings,
    Measure::MeanStaffHours,
];
/// The tables those measures read: only these get fresh noise each trial (the four cross tables
/// because the coordinator combines their margins with `msp_outcomes`).
const NOISY: [&str; 13] = [
    "msp_outcomes",
    "msp_by_support_reason",
    "msp_by_age_band",
    "msp_by_ethnicity",
    "msp_by_sex",
    "risk_outcome",
    "repeat_within_12m",
    "days_to_conclude",
    "days_to_conclude_sum",
    "meetings_with_person",
    "meetings_with_person_sum",
    "staff_hours",
    "staff_hours_sum",
];

fn truth_of(exact: &[(Vec<Vec<i64>>, bool)], in_group: impl Fn(usize) -> bool) -> Vec<f64> {
    let spec = SpecId::MspQuarterlyV1.spec();
    let mut sums: Vec<Vec<i64>> = spec.tables.iter().map(|t| vec![0; t.cells.len()]).collect();
    for (i, (tables, _)) in exact.iter().enumerate() {
        if in_group(i) {
            for (s, t) in sums.iter_mut().zip(tables) {
                s.iter_mut().zip(t).for_each(|(a, b)| *a += b);
            }
        }
    }
    MEASURES.iter().map(|m| m.estimate(&ExactTables::v1(&sums)).expect("the truth is defined").value).collect()
}

#[test]
fn benchmark_intervals_cover_the_synthetic_truth_about_95_percent_of_the_time() {
    let period: Period = "2026-27-Q2".parse().unwrap();
    let spec = SpecId::MspQuarterlyV1.spec();
    // Every council's exact tables for the quarter, from the synthetic generator's own truth.
    let exact: Vec<(Vec<Vec<i64>>, bool)> = Council::all()
        .iter()
        .map(|c| {
            let options =
                SynthOptions { council: c.council_code(), period, people: None, history_quarters: 1, seed: 11 };
            let (_, truth) = synth::generate(&options).unwrap();
            let q = truth.quarter(&period.to_string()).unwrap();
            (spec.tables.iter().map(|t| q.tables[t.id].clone()).collect(), c.region == Region::London)
        })
        .collect();
    let truth_england = truth_of(&exact, |_| true);
    let truth_london = truth_of(&exact, |i| exact[i].1);
    let plans: Vec<TablePlan> = mechanism::plan(SpecId::MspQuarterlyV1, 0.5).unwrap();

    // Two threads share the trials (opendp measurements are built per thread).
    let covered: Vec<[[usize; MEASURES.len()]; 2]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|part| {
                let (exact, plans) = (&exact, &plans);
                let (te, tl) = (&truth_england, &truth_london);
                s.spawn(move || {
                    let noise: Vec<_> = plans
                        .iter()
                        .map(|p| {
                            NOISY
                                .contains(&p.table.id)
                                .then(|| mechanism::make_table_noise(p.table.cells.len(), p.sigma).unwrap())
                        })
                        .collect();
                    let mut hits = [[0usize; MEASURES.len()]; 2];
                    for _ in 0..TRIALS / 2 {
                        let releases: Vec<CouncilRelease> = Council::all()
                            .iter()
                            .zip(exact)
                            .map(|(c, (tables, _))| CouncilRelease {
                                council: c.council_code(),
                                period,
                                revision: 1,
                                spec: SpecId::MspQuarterlyV1,
                                team_model: TeamModel::Hybrid,
                                msp_level: MspLevel::Silver,
                                tables: tables
                                    .iter()
                                    .zip(plans)
                                    .zip(&noise)
                                    .map(|((t, p), m)| {
                                        (m.as_ref().map_or_else(|| t.clone(), |m| m.invoke(t).unwrap()), p.sigma)
                                    })
                                    .collect(),
                            })
                            .collect();
                        for (level, (group, truth)) in
                            [(Group::England, te), (Group::Region(Region::London), tl)].into_iter().enumerate()
                        {
                            let b = benchmark(group, Window::Quarter(period), &releases, &Default::default());
                            for (k, m) in MEASURES.iter().enumerate() {
                                let e = b.measure(*m).expect("an estimate");
                                if e.low <= truth[k] && truth[k] <= e.high {
                                    hits[level][k] += 1;
                                }
                            }
                        }
                    }
                    let _ = part;
                    hits
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut pooled = 0;
    let mut report = String::new();
    for (level, name) in ["England", "London"].iter().enumerate() {
        for (k, m) in MEASURES.iter().enumerate() {
            let hits: usize = covered.iter().map(|h| h[level][k]).sum();
            pooled += hits;
            let rate = hits as f64 / TRIALS as f64;
            report.push_str(&format!("  {name:<8} {:<26} {:.2}%\n", m.id(), 100.0 * rate));
            assert!((0.92..=0.98).contains(&rate), "{name} {}: coverage {rate}\n{report}", m.id());
        }
    }
    let pooled = pooled as f64 / (TRIALS * 2 * MEASURES.len()) as f64;
    eprintln!("coverage of 95% intervals over {TRIALS} trials:\n{report}  pooled {:.2}%", 100.0 * pooled);
    assert!((0.94..=0.96).contains(&pooled), "pooled coverage {pooled}\n{report}");
}
