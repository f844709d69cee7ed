//! Comparisons and trends from a snapshot (pure): two groups' measures with the interval of
//! their difference and a verdict, and one group's measure quarter by quarter.

use msp_estimate::{Estimate, Measure, difference};
use msp_schemas::api::{Comparison, Difference, Verdict};

use super::{
    groups::{Group, Window},
    snapshot::Snapshot,
};

/// Compares two benchmarks measure by measure. When the second group contains the first (a
/// council and its region, a region and England), the difference is taken against the second
/// without the first, so that the two noises are independent and the interval of the difference
/// is honest: "this council against the rest of its region". Partly overlapping groups share
/// some noise, which makes their difference's interval wider than it need be, never narrower.
pub fn compare(snap: &Snapshot, a: Group, b: Group, window: Window) -> Comparison {
    let ba = snap.benchmark(a, window);
    let bb = snap.benchmark(b, window);
    let (in_a, in_b) = (snap.included(a, window), snap.included(b, window));
    let contains = a != b && !in_a.is_empty() && in_a.iter().all(|c| in_b.contains(c));
    let b_for_difference =
        if contains { snap.benchmark_without(b, window, |r| in_a.contains(&r.council)) } else { bb.clone() };
    let differences = Measure::ALL
        .iter()
        .map(|m| {
            let (ea, eb) = (ba.measure(m), b_for_difference.measure(m));
            let d = ea.zip(eb).map(|(x, y)| difference(&x, &y));
            Difference {
                measure: m.id().to_owned(),
                label: m.label().to_owned(),
                proportion: m.is_proportion(),
                a: ea,
                b: bb.measure(m),
                difference: d,
                verdict: d.map(|d| Verdict::of(&d)),
            }
        })
        .collect();
    Comparison { tree_size: snap.tree_size, a: ba, b: bb, differences }
}

/// A measure in one quarter for one group.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    /// The quarter.
    pub period: msp_schemas::Period,
    /// Councils included.
    pub councils: u64,
    /// The estimate.
    pub estimate: Option<Estimate>,
    /// The benchmark it comes from.
    pub benchmark: msp_schemas::api::Benchmark,
}

/// A measure's trend for a group over every quarter with releases.
pub fn trend(snap: &Snapshot, group: Group, measure: Measure) -> Vec<TrendPoint> {
    snap.quarters
        .iter()
        .map(|q| {
            let b = snap.benchmark(group, Window::Quarter(*q));
            TrendPoint {
                period: *q,
                councils: b.coverage.councils_included,
                estimate: b.measure(measure),
                benchmark: b,
            }
        })
        .collect()
}
