//! The discrete Gaussian mechanism on each table, from opendp (DESIGN §4).
//!
//! For each table, the exact vector (from [`super::tables`]) goes through opendp's
//! `make_gaussian` on integer vectors under the L2 metric, which samples the discrete Gaussian
//! exactly. The noise scale is the smallest, from the closed form Δ₂/√(2ρᵢ) upward, at which
//! opendp's own privacy map, evaluated at the table's L2 sensitivity per person (1, √3 rounded
//! up, or U; proved by [`super::tables::contribute`] and its tests), gives at most ρᵢ. The ledger
//! is charged with the sum of those maps, rounded up: what opendp says, never more than planned.
//!
//! opendp measurements are not `Send`: build and use them on one thread.

use msp_schemas::{SpecId, TableSpec};
use opendp::{
    combinators::ConcentratedMeasure,
    core::Measurement,
    domains::{AtomDomain, VectorDomain},
    error::Fallible,
    measurements::make_gaussian,
    measures::ZeroConcentratedDivergence,
    metrics::L2Distance,
};

use super::tables::Rule;

/// A table's noise: its exact integer vector in, the noisy vector out, ρ-zCDP at a given L2
/// distance between neighbouring vectors.
pub type TableNoise = Measurement<VectorDomain<AtomDomain<i64>>, L2Distance<f64>, ZeroConcentratedDivergence, Vec<i64>>;

/// Shaves the planned ρ so that the tables' ρ, summed in floating point, never exceed it: two
/// releases at 0.5 must fit a quarter's 1.0 exactly.
pub const RHO_SLACK: f64 = 1.0 - 1e-9;

/// The noise plan of one table: fixed by the spec and the budget, never by the data.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePlan {
    /// The table.
    pub table: &'static TableSpec,
    /// Its contribution rule.
    pub rule: Rule,
    /// The L2 sensitivity per person passed to opendp's privacy map (rounded up).
    pub sensitivity: f64,
    /// Noise scale σ.
    pub sigma: f64,
    /// ρ spent, as opendp's privacy map states it.
    pub rho: f64,
}

/// The L2 sensitivity of a table, rounded up to a representable value (√3 is irrational).
pub fn sensitivity(table: &TableSpec) -> f64 {
    let exact = table.l2_sensitivity();
    if exact.fract() == 0.0 { exact } else { exact.next_up() }
}

/// opendp's discrete Gaussian on a table of `cells` cells at scale `sigma`.
pub fn make_table_noise(cells: usize, sigma: f64) -> Fallible<TableNoise> {
    make_gaussian::<_, _, ZeroConcentratedDivergence>(
        VectorDomain::new(AtomDomain::<i64>::default()).with_size(cells),
        L2Distance::default(),
        sigma,
        None,
    )
}

/// Why the mechanism could not be built or run (opendp's reason, which its `Display` omits).
#[derive(Debug, thiserror::Error)]
#[error("the privacy mechanism failed: {0}")]
pub struct MechanismError(pub String);

impl From<opendp::error::Error> for MechanismError {
    fn from(e: opendp::error::Error) -> Self {
        MechanismError(format!("{:?}: {}", e.variant, e.message.unwrap_or_default()))
    }
}

/// The smallest noise scale, from the closed form upward, at which opendp's map at the table's
/// sensitivity is at most `rho`; and that map's value.
fn scale_for(cells: usize, sensitivity: f64, rho: f64) -> Result<(f64, f64), MechanismError> {
    let mut sigma = sensitivity / (2.0 * rho).sqrt();
    for _ in 0..64 {
        let spent = make_table_noise(cells, sigma)?.map(&sensitivity)?;
        if spent <= rho {
            return Ok((sigma, spent));
        }
        sigma = sigma.next_up();
    }
    Err(MechanismError(format!("no noise scale found for ρ = {rho}")))
}

/// The noise plan for every table of `spec` when a release spends `rho`.
pub fn plan(spec: SpecId, rho: f64) -> Result<Vec<TablePlan>, MechanismError> {
    let spec = spec.spec();
    spec.tables
        .iter()
        .map(|t| {
            let rule = Rule::of(spec, t).ok_or_else(|| MechanismError(format!("no rule for table {}", t.id)))?;
            let sensitivity = sensitivity(t);
            let (sigma, spent) = scale_for(t.cells.len(), sensitivity, rho * t.weight() * RHO_SLACK)?;
            Ok(TablePlan { table: t, rule, sensitivity, sigma, rho: spent })
        })
        .collect()
}

/// The ε at `delta` a release of `spec` states for `rho`: `msp-quarterly/1` DESIGN §4's closed form
/// ρ + 2√(ρ·ln(1/δ)); later specs opendp's own conversion from ρ-zCDP to (ε, δ)-DP, which is
/// tighter (5.22 rather than 5.76 at ρ = 0.5, δ = 10⁻⁶) and is never above the closed form.
pub fn epsilon(spec: SpecId, rho: f64, delta: f64) -> Result<f64, MechanismError> {
    let closed = msp_schemas::release::zcdp_epsilon(rho, delta);
    if spec == SpecId::MspQuarterlyV1 {
        return Ok(closed);
    }
    let epsilon = ZeroConcentratedDivergence::convert(rho)?.epsilon(delta)?;
    if !(epsilon > rho && epsilon <= closed) {
        return Err(MechanismError(format!("opendp's ε {epsilon} for ρ {rho} is outside ({rho}, {closed}]")));
    }
    Ok(epsilon)
}

/// ε at `delta` for `rho` spent over any releases, as the node's budget pages state it: opendp's
/// conversion, as `msp-quarterly/2` releases state theirs (the closed form should it fail).
pub fn spent_epsilon(rho: f64, delta: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    epsilon(SpecId::NEWEST, rho, delta).unwrap_or_else(|_| msp_schemas::release::zcdp_epsilon(rho, delta))
}

/// ρ of all the tables together: sequential composition adds them (rounded up, as opendp's
/// compositors do).
pub fn total_rho(plans: &[TablePlan]) -> f64 {
    plans.iter().fold(0.0, |total, p| (total + p.rho).next_up())
}

/// Draws the noise for every table: `exact` holds the exact vectors in plan order.
pub fn noisy_tables(plans: &[TablePlan], exact: &[Vec<i64>]) -> Result<Vec<Vec<i64>>, MechanismError> {
    plans.iter().zip(exact).map(|(p, v)| Ok(make_table_noise(p.table.cells.len(), p.sigma)?.invoke(v)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_spends_at_most_rho_and_each_table_its_share() {
        for rho in [0.5, 0.25, 1.0, 0.1] {
            let plans = plan(SpecId::MspQuarterlyV1, rho).unwrap();
            for p in &plans {
                assert!(p.rho <= rho * p.table.weight(), "{}", p.table.id);
                assert!(p.rho > rho * p.table.weight() * (1.0 - 1e-6), "{}: the share is used", p.table.id);
                // The release document's rule: σ = Δ₂/√(2ρᵢ).
                let closed = msp_schemas::release::gaussian_sigma(p.table.l2_sensitivity(), p.rho);
                assert!((closed - p.sigma).abs() <= 1e-9 * p.sigma, "{}", p.table.id);
            }
            let total = total_rho(&plans);
            assert!(total <= rho, "{total} > {rho}");
            assert!(total + total <= 2.0 * rho, "two releases fit twice the budget");
        }
    }

    #[test]
    fn the_privacy_map_grows_with_the_square_of_the_distance() {
        // ρ = (Δ/σ)²/2: two people cost four times one.
        let m = make_table_noise(11, 2.0).unwrap();
        let one = m.map(&3f64.sqrt().next_up()).unwrap();
        let two = m.map(&(2.0 * 3f64.sqrt()).next_up()).unwrap();
        assert!((one - 3.0 / 8.0).abs() < 1e-12 && (two / one - 4.0).abs() < 1e-9);
        assert!(sensitivity(SpecId::MspQuarterlyV1.spec().table("risk_type").unwrap()) > 3f64.sqrt());
    }

    #[test]
    fn a_vanishing_scale_returns_the_exact_vector() {
        let m = make_table_noise(3, 1e-9).unwrap();
        assert_eq!(m.invoke(&vec![5, 0, -2]).unwrap(), vec![5, 0, -2]);
    }

    #[test]
    fn the_msp_outcomes_noise_at_the_default_budget_is_what_design_says() {
        // ρ = 0.5, w = 0.16: ρᵢ = 0.08, σ = 1/√0.16 = 2.5.
        let plans = plan(SpecId::MspQuarterlyV1, 0.5).unwrap();
        let msp = plans.iter().find(|p| p.table.id == "msp_outcomes").unwrap();
        assert!((msp.sigma - 2.5).abs() < 1e-6, "{}", msp.sigma);
    }

    #[test]
    fn epsilon_is_the_closed_form_for_version_1_and_opendps_tighter_conversion_after() {
        let closed = msp_schemas::release::zcdp_epsilon(0.5, 1e-6);
        assert_eq!(epsilon(SpecId::MspQuarterlyV1, 0.5, 1e-6).unwrap(), closed);
        let tight = epsilon(SpecId::MspQuarterlyV2, 0.5, 1e-6).unwrap();
        eprintln!("ρ = 0.5, δ = 1e-6: ε = {tight} (closed form {closed})");
        assert!(tight > 0.5 && tight < closed - 0.3, "{tight} vs {closed}");
        assert_eq!(spent_epsilon(0.5, 1e-6), tight);
        assert_eq!(spent_epsilon(0.0, 1e-6), 0.0);
        for rho in [0.05, 0.125, 1.0, 2.5] {
            let e = epsilon(SpecId::MspQuarterlyV2, rho, 1e-6).unwrap();
            assert!(e > rho && e <= msp_schemas::release::zcdp_epsilon(rho, 1e-6), "{rho}: {e}");
        }
    }
}
