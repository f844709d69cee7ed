//! Statistical honesty of the release mechanism (DESIGN §4): for each kind of table — a
//! partition (`msp_outcomes`), a multi-valued table (`risk_type`) and a clamped sum
//! (`days_to_conclude_sum`) — many releases of one fixed dataset, through the very opendp
//! measurements a release uses.
//!
//! Tolerances. Each released value is exact + Z with Z discrete Gaussian of scale σ: mean 0,
//! variance V = Σ x²e^{−x²/2σ²} / Σ e^{−x²/2σ²} (computed below; ≈ σ² for σ ≥ 1) and fourth
//! moment M₄ (likewise). With n independent draws:
//! - per cell, the mean deviation d̄ has standard error √(V/n); we fail if |d̄| > 6·√(V/n);
//! - pooling a table's cells, the mean of d² estimates V with standard error √((M₄ − V²)/m) for
//!   m draws; we fail if it is off by more than 6 standard errors.
//!
//! With n ≥ 10,000 both statistics are normal to well within these tails, so each check fails a
//! correct implementation with probability about 2·10⁻⁹; there are fewer than 30 checks, so the
//! suite fails by chance less than once in ten million runs. A bias of a tenth of σ, or a
//! variance off by 5%, fails it.

mod common;

use common::{Node, synthetic};
use msp_node::{
    dp::{mechanism, tables},
    release,
};
use msp_store::testing::TestDb;

/// Variance and fourth moment of the discrete Gaussian with scale `sigma`.
fn moments(sigma: f64) -> (f64, f64) {
    let limit = (40.0 * sigma).ceil() as i64;
    let (mut z, mut m2, mut m4) = (0.0, 0.0, 0.0);
    for x in -limit..=limit {
        let x = x as f64;
        let w = (-x * x / (2.0 * sigma * sigma)).exp();
        z += w;
        m2 += x * x * w;
        m4 += x.powi(4) * w;
    }
    (m2 / z, m4 / z)
}

fn check_table(table: &str, draws: usize) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let persons = rt.block_on(async {
        let db = TestDb::sqlite();
        let node = Node::new(&db).await;
        node.import(&node.write("cases.csv", synthetic(300, 1, 42))).await.unwrap();
        release::load_persons(&node.store, "2026-27-Q1".parse().unwrap()).await.unwrap()
    });
    let plans = mechanism::plan(msp_schemas::SpecId::MspQuarterlyV1, 0.5).unwrap();
    let plan = plans.iter().find(|p| p.table.id == table).unwrap();
    let cells = plan.table.cells.len();
    let exact = tables::exact_table(plan.rule, cells, &persons);
    assert!(exact.iter().any(|v| *v != 0), "the dataset exercises {table}");
    let m = mechanism::make_table_noise(cells, plan.sigma).unwrap();

    let mut sum = vec![0.0f64; cells];
    let mut sum_sq = 0.0f64;
    for _ in 0..draws {
        let noisy = m.invoke(&exact).unwrap();
        for (i, (n, e)) in noisy.iter().zip(&exact).enumerate() {
            let d = (n - e) as f64;
            sum[i] += d;
            sum_sq += d * d;
        }
    }
    let (v, m4) = moments(plan.sigma);
    assert!((v / (plan.sigma * plan.sigma) - 1.0).abs() < 1e-6, "σ = {} is large enough that V ≈ σ²", plan.sigma);
    let n = draws as f64;
    for (i, s) in sum.iter().enumerate() {
        let z = (s / n) / (v / n).sqrt();
        assert!(z.abs() < 6.0, "{table} cell {i}: mean deviation z = {z:.2}");
    }
    let m_total = n * cells as f64;
    let var_hat = sum_sq / m_total;
    let z = (var_hat - v) / ((m4 - v * v) / m_total).sqrt();
    assert!(z.abs() < 6.0, "{table}: variance {var_hat:.4} vs {v:.4} (z = {z:.2})");
    eprintln!(
        "{table}: σ = {:.3}, {cells} cells × {draws} releases, variance {var_hat:.4} vs {v:.4} (z = {z:.2})",
        plan.sigma
    );
}

#[test]
fn a_partition_tables_noise_is_unbiased_with_the_published_variance() {
    check_table("msp_outcomes", 20_000);
}

#[test]
fn a_multi_valued_tables_noise_is_unbiased_with_the_published_variance() {
    check_table("risk_type", 20_000);
}

#[test]
fn a_clamped_sums_noise_is_unbiased_with_the_published_variance() {
    check_table("days_to_conclude_sum", 40_000);
}
