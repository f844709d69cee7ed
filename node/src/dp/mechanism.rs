//! The discrete Gaussian mechanism on each table, built from opendp (DESIGN §4).
//!
//! Each table is an opendp [`Transformation`] from person rows to its integer vector, whose
//! stability map says that adding or removing `d` people moves the vector by at most `d·Δ₂` in
//! L2 (Δ₂ = 1 for a partition, √k for a multi-valued table, U for a clamped sum; the bound is
//! proved by [`super::tables::contribute`] and its tests). It is chained to opendp's
//! `make_gaussian` on integers, which samples the discrete Gaussian exactly. The noise scale is
//! the smallest (from Δ₂/√(2ρᵢ) upward) for which opendp's privacy map gives at most ρᵢ, so the
//! ledger is charged with what opendp says, and that never exceeds the plan. The tables are
//! composed with opendp's `make_composition`, whose map adds their ρ (rounding up).
//!
//! opendp measurements are not `Send`: build and use them on one thread.

use msp_schemas::{SpecId, TableSpec};
use opendp::{
    combinators::make_composition,
    core::{Domain, Function, Measurement, StabilityMap, Transformation},
    domains::{AtomDomain, VectorDomain},
    error::Fallible,
    measurements::make_gaussian,
    measures::ZeroConcentratedDivergence,
    metrics::{L2Distance, SymmetricDistance},
};

use super::{
    persons::Person,
    tables::{TableId, contribute},
};

/// The domain of one person's row. Every `Person` value is a member: contributions are bounded
/// by construction, not by filtering.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonDomain;

impl Domain for PersonDomain {
    type Carrier = Person;

    fn member(&self, _: &Person) -> Fallible<bool> {
        Ok(true)
    }
}

/// A dataset: one row per person.
pub type Persons = VectorDomain<PersonDomain>;
/// A table's release: person rows in, noisy integer vector out, ρ-zCDP.
pub type TableMeasurement = Measurement<Persons, SymmetricDistance, ZeroConcentratedDivergence, Vec<i64>>;
/// A table's exact counts: person rows in, integer vector out, L2-stable.
pub type TableCounts = Transformation<Persons, SymmetricDistance, VectorDomain<AtomDomain<i64>>, L2Distance<f64>>;
/// Every table's release at once.
pub type ReleaseMeasurement = Measurement<Persons, SymmetricDistance, ZeroConcentratedDivergence, Vec<Vec<i64>>>;

/// Shaves the planned ρ so that the tables' ρ, summed in floating point, never exceed it: two
/// releases at 0.5 must fit a quarter's 1.0 exactly.
pub const RHO_SLACK: f64 = 1.0 - 1e-9;

/// The noise plan of one table: fixed by the spec and the budget, never by the data.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePlan {
    /// The table.
    pub table: &'static TableSpec,
    /// Its contribution rule.
    pub id: TableId,
    /// The L2 sensitivity per person passed to opendp (rounded up).
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

/// opendp's transformation from person rows to a table's exact vector.
pub fn make_table_counts(id: TableId, cells: usize, sensitivity: f64) -> Fallible<TableCounts> {
    Transformation::new(
        VectorDomain::new(PersonDomain),
        SymmetricDistance,
        VectorDomain::new(AtomDomain::<i64>::default()),
        L2Distance::default(),
        Function::new(move |persons: &Vec<Person>| {
            let mut out = vec![0i64; cells];
            for p in persons {
                contribute(id, p, &mut out);
            }
            out
        }),
        // Each person moves the vector by at most `sensitivity` in L2 (see `tables::contribute`);
        // d people by at most d times that. Rounded up so the bound is never understated.
        StabilityMap::new_fallible(move |d_in: &u32| {
            let d = f64::from(*d_in) * sensitivity;
            Ok(if d == 0.0 { 0.0 } else { d.next_up() })
        }),
    )
}

/// A table's measurement at noise scale `sigma`.
pub fn make_table_measurement(id: TableId, cells: usize, sensitivity: f64, sigma: f64) -> Fallible<TableMeasurement> {
    let counts = make_table_counts(id, cells, sensitivity)?;
    let noise = make_gaussian::<_, _, ZeroConcentratedDivergence>(
        counts.output_domain.clone(),
        counts.output_metric.clone(),
        sigma,
        None,
    )?;
    counts >> noise
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

/// The smallest noise scale, from the closed form upward, at which opendp's map for one
/// person is at most `rho`.
fn scale_for(id: TableId, cells: usize, sensitivity: f64, rho: f64) -> Result<(f64, f64), MechanismError> {
    let mut sigma = sensitivity / (2.0 * rho).sqrt();
    for _ in 0..64 {
        let m = make_table_measurement(id, cells, sensitivity, sigma)?;
        let spent = m.map(&1)?;
        if spent <= rho {
            return Ok((sigma, spent));
        }
        sigma = sigma.next_up();
    }
    Err(MechanismError(format!("no noise scale found for ρ = {rho}")))
}

/// The noise plan for every table of `spec` when a release spends `rho`.
pub fn plan(spec: SpecId, rho: f64) -> Result<Vec<TablePlan>, MechanismError> {
    spec.spec()
        .tables
        .iter()
        .map(|t| {
            let id =
                TableId::from_spec_id(t.id).ok_or_else(|| MechanismError(format!("no rule for table {}", t.id)))?;
            let sensitivity = sensitivity(t);
            let (sigma, spent) = scale_for(id, t.cells.len(), sensitivity, rho * t.weight() * RHO_SLACK)?;
            Ok(TablePlan { table: t, id, sensitivity, sigma, rho: spent })
        })
        .collect()
}

/// The composed measurement of a plan, and the ρ its privacy map states for one person.
pub fn compose(plans: &[TablePlan]) -> Result<(ReleaseMeasurement, f64), MechanismError> {
    let parts = plans
        .iter()
        .map(|p| make_table_measurement(p.id, p.table.cells.len(), p.sensitivity, p.sigma))
        .collect::<Fallible<Vec<_>>>()?;
    let all = make_composition(parts)?;
    let rho = all.map(&1)?;
    Ok((all, rho))
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
            let (_, total) = compose(&plans).unwrap();
            assert!(total <= rho, "{total} > {rho}");
            assert!(2.0 * total <= 2.0 * rho, "two releases fit twice the budget");
        }
    }

    #[test]
    fn the_stability_map_states_the_sensitivity_per_person() {
        let t = make_table_counts(TableId::RiskType, 11, 3f64.sqrt().next_up()).unwrap();
        assert!(t.map(&1).unwrap() >= 3f64.sqrt());
        assert!(t.map(&2).unwrap() >= 2.0 * 3f64.sqrt());
        assert_eq!(t.map(&0).unwrap(), 0.0);
    }

    #[test]
    fn the_msp_outcomes_noise_at_the_default_budget_is_what_design_says() {
        // ρ = 0.5, w = 0.16: ρᵢ = 0.08, σ = 1/√0.16 = 2.5.
        let plans = plan(SpecId::MspQuarterlyV1, 0.5).unwrap();
        let msp = plans.iter().find(|p| p.table.id == "msp_outcomes").unwrap();
        assert!((msp.sigma - 2.5).abs() < 1e-6, "{}", msp.sigma);
    }
}
