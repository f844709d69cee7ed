//! The coordinator's JSON answers that nodes read (DESIGN §7, §8): submission receipts, the
//! signed tree head, log proofs and the coordinator's public key; and the benchmarks
//! (`GET /v1/benchmarks`) and comparisons (`GET /v1/compare`) that `msp-node compare` shows
//! beside a council's own figures. Hashes are lower-case hex. The coordinator serialises these
//! very types and the node deserialises them, so the two cannot drift apart.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::release::{Receipt, Sha256, Timestamp};

/// The `format` of a signed tree head.
pub const TREE_HEAD_FORMAT: &str = "msp-tree-head/1";

/// What the coordinator answers an accepted (or repeated) submission with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionAccepted {
    /// The receipt.
    pub receipt: Receipt,
    /// The receipt as a compact JWS signed by the coordinator (`typ: msp-receipt+jws`): its
    /// payload is the receipt's exact JSON.
    pub receipt_jws: String,
}

/// The log's state at a moment, signed by the coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    /// Document format: `msp-tree-head/1`.
    pub format: String,
    /// Entries in the log.
    pub tree_size: u64,
    /// RFC 9162 root hash of those entries.
    pub root_hash: Sha256,
    /// When the head was signed.
    pub timestamp: Timestamp,
}

/// A signed tree head as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// The head.
    pub tree_head: TreeHead,
    /// The head as a compact JWS signed by the coordinator (`typ: msp-tree-head+jws`).
    pub tree_head_jws: String,
}

/// Proof that an entry is in the log (RFC 9162 §2.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The entry's index.
    pub leaf_index: u64,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The audit path, leaf to root.
    pub audit_path: Vec<Sha256>,
}

/// Proof that one tree is a prefix of another (RFC 9162 §2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The smaller tree's size.
    pub first: u64,
    /// The larger tree's size.
    pub second: u64,
    /// The proof.
    pub proof: Vec<Sha256>,
}

/// The coordinator's receipt-signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorKey {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The public key, base64url.
    pub public_key: String,
    /// Its RFC 7638 thumbprint.
    pub fingerprint: String,
}

/// The standard normal quantile for a two-sided 95% interval: every interval the network
/// publishes is a 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Its standard error (from the noise).
    pub se: f64,
    /// Lower end of the 95% interval, clipped to the feasible range.
    pub low: f64,
    /// Upper end of the 95% interval, clipped to the feasible range.
    pub high: f64,
    /// Whether the interval is too wide to support a comparison.
    pub too_wide: bool,
}

impl Estimate {
    /// Half the interval's width before clipping (1.96 standard errors).
    pub fn half_width(&self) -> f64 {
        Z95 * self.se
    }
}

/// What the interval of a difference says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is above zero.
    Higher,
    /// The whole interval is below zero.
    Lower,
    /// The interval includes zero.
    CannotTell,
}

impl Verdict {
    /// The verdict on a difference.
    pub fn of(d: &Estimate) -> Self {
        if d.low > 0.0 {
            Verdict::Higher
        } else if d.high < 0.0 {
            Verdict::Lower
        } else {
            Verdict::CannotTell
        }
    }

    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Higher => "higher",
            Verdict::Lower => "lower",
            Verdict::CannotTell => "can't tell",
        }
    }
}

/// How much of a group a benchmark covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Councils with at least one release in the window.
    pub councils_included: u64,
    /// Councils in the group (for model groups: councils that declared the model in the window).
    pub councils_in_group: u64,
    /// Council-quarters released.
    pub quarters_included: u64,
    /// Council-quarters expected.
    pub quarters_expected: u64,
}

/// One cell of a benchmark table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
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

/// One table of a benchmark: each cell's summed value and its standard error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableEstimate {
    /// The table's id.
    pub table: String,
    /// Each cell, in the spec's order.
    pub cells: Vec<CellEstimate>,
}

/// A headline measure of a benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureEstimate {
    /// The measure's id (`fully`, `mean_days`, …).
    pub measure: String,
    /// What it measures.
    pub label: String,
    /// Whether it is a proportion (else a mean).
    pub proportion: bool,
    /// The estimate and its interval (absent when there is nothing to estimate).
    pub estimate: Option<Estimate>,
}

/// A benchmark: one group of councils over one window (a quarter or a financial year).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    /// The group's id (`england`, `region:london`, `council:E06000001`, …).
    pub group: String,
    /// The group's name.
    pub name: String,
    /// The window: a quarter (`2026-27-Q1`) or a financial year (`2026-27`).
    pub window: String,
    /// How much of the group it covers.
    pub coverage: Coverage,
    /// The headline measures, in display order.
    pub measures: Vec<MeasureEstimate>,
    /// The median days from concern to conclusion (parametric bootstrap).
    pub median_days: Option<Estimate>,
    /// Every table of the report spec.
    pub tables: Vec<TableEstimate>,
}

impl Benchmark {
    /// The estimate of the headline measure with this id, if the benchmark has one.
    pub fn measure(&self, id: impl AsRef<str>) -> Option<Estimate> {
        let id = id.as_ref();
        self.measures.iter().find(|m| m.measure == id).and_then(|m| m.estimate)
    }
}

/// `GET /v1/benchmarks`: a benchmark and the log size it was computed from.
///
/// The benchmark's fields sit beside `tree_size` at the top level. Unknown fields are not refused
/// here: serde cannot refuse them through a flattened struct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BenchmarkAnswer {
    /// Entries in the transparency log the figures were computed from.
    pub tree_size: u64,
    /// The benchmark.
    #[serde(flatten)]
    pub benchmark: Benchmark,
}

/// One measure compared between two groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Difference {
    /// The measure's id.
    pub measure: String,
    /// What it measures.
    pub label: String,
    /// Whether it is a proportion (else a mean).
    pub proportion: bool,
    /// The first group's estimate.
    pub a: Option<Estimate>,
    /// The second group's estimate.
    pub b: Option<Estimate>,
    /// a − b with its interval. When the second group contains the first, b is taken without
    /// the first ("this council against the rest of its region"), so the noises are independent.
    pub difference: Option<Estimate>,
    /// What the interval of the difference says.
    pub verdict: Option<Verdict>,
}

/// `GET /v1/compare`: two benchmarks side by side, each measure's difference and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// Entries in the transparency log the figures were computed from.
    pub tree_size: u64,
    /// The first group.
    pub a: Benchmark,
    /// The second group.
    pub b: Benchmark,
    /// Each headline measure's difference, in display order.
    pub differences: Vec<Difference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(value: f64, se: f64) -> Estimate {
        Estimate { value, se, low: value - Z95 * se, high: value + Z95 * se, too_wide: false }
    }

    fn benchmark(group: &str) -> Benchmark {
        Benchmark {
            group: group.into(),
            name: "England".into(),
            window: "2026-27-Q1".into(),
            coverage: Coverage {
                councils_included: 3,
                councils_in_group: 153,
                quarters_included: 3,
                quarters_expected: 153,
            },
            measures: vec![
                MeasureEstimate {
                    measure: "fully".into(),
                    label: "Outcomes fully achieved".into(),
                    proportion: true,
                    estimate: Some(estimate(0.5, 0.01)),
                },
                MeasureEstimate {
                    measure: "mean_days".into(),
                    label: "Mean days".into(),
                    proportion: false,
                    estimate: None,
                },
            ],
            median_days: None,
            tables: vec![TableEstimate {
                table: "enquiry_type".into(),
                cells: vec![CellEstimate { cell: "s42".into(), label: "Section 42".into(), value: 12.0, se: 2.5 }],
            }],
        }
    }

    #[test]
    fn a_benchmark_answer_puts_the_benchmark_beside_the_tree_size_and_round_trips() {
        let answer = BenchmarkAnswer { tree_size: 7, benchmark: benchmark("england") };
        let json = serde_json::to_string(&answer).unwrap();
        assert!(
            json.starts_with(r#"{"tree_size":7,"group":"england","name":"England","window":"2026-27-Q1","coverage":"#)
        );
        assert!(json.contains(r#""estimate":null"#), "a missing estimate is written as null: {json}");
        assert_eq!(serde_json::from_str::<BenchmarkAnswer>(&json).unwrap(), answer);
        assert_eq!(answer.benchmark.measure("fully"), Some(estimate(0.5, 0.01)));
        assert_eq!(answer.benchmark.measure("mean_days"), None);
        assert_eq!(answer.benchmark.measure("nothing"), None);
    }

    #[test]
    fn a_comparison_round_trips_and_refuses_unknown_or_missing_fields() {
        let d = estimate(0.1, 0.02);
        let c = Comparison {
            tree_size: 9,
            a: benchmark("council:E06000001"),
            b: benchmark("region:north_east"),
            differences: vec![Difference {
                measure: "fully".into(),
                label: "Outcomes fully achieved".into(),
                proportion: true,
                a: Some(estimate(0.6, 0.01)),
                b: Some(estimate(0.5, 0.01)),
                difference: Some(d),
                verdict: Some(Verdict::of(&d)),
            }],
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""verdict":"higher""#), "{json}");
        assert_eq!(serde_json::from_str::<Comparison>(&json).unwrap(), c);
        let extra = json.replacen(r#""group":"council:E06000001""#, r#""group":"council:E06000001","councils":[]"#, 1);
        assert!(serde_json::from_str::<Comparison>(&extra).unwrap_err().to_string().contains("councils"));
        let missing = json.replacen(r#""too_wide":false"#, "", 1).replacen(",}", "}", 1);
        assert!(serde_json::from_str::<Comparison>(&missing).is_err());
        assert!(serde_json::from_str::<Verdict>(r#""maybe""#).is_err());
    }

    #[test]
    fn verdicts_follow_the_interval_of_the_difference_and_read_as_words() {
        assert_eq!(Verdict::of(&estimate(0.1, 0.01)), Verdict::Higher);
        assert_eq!(Verdict::of(&estimate(-0.1, 0.01)), Verdict::Lower);
        assert_eq!(Verdict::of(&estimate(0.01, 0.01)), Verdict::CannotTell);
        assert_eq!(serde_json::to_string(&Verdict::CannotTell).unwrap(), r#""cannot_tell""#);
        assert_eq!(Verdict::CannotTell.words(), "can't tell");
        assert!((estimate(1.0, 2.0).half_width() - 2.0 * Z95).abs() < 1e-15);
    }
}
