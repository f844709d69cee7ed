//! One test per limit of `msp-policy/1`, each on a release that passes every `msp-release/1` check:
//! what the policy adds is exactly what the release checks alone let through.

use time::macros::datetime;

use super::*;
use crate::release::{ReleaseFields, Timestamp, gaussian_sigma};

fn fixture() -> ReleaseFields {
    let bytes = include_bytes!("../../tests/fixtures/release-v1.json");
    Release::from_json(bytes).expect("the golden release is valid").fields().clone()
}

/// The fixture's release re-noised at `rho`, its tables sharing it by weight: self-consistent, so
/// `Release::new` accepts it.
fn at_rho(mut f: ReleaseFields, rho: f64) -> ReleaseFields {
    f.set_rho_by_weight(rho);
    f
}

/// The fixture as an `msp-quarterly/2` release: its tables zero at ρ = 0.5, shared by weight.
fn fixture_v2() -> ReleaseFields {
    let mut f = fixture();
    f.spec = crate::spec::SpecId::MspQuarterlyV2;
    f.tables = f
        .spec
        .spec()
        .tables
        .iter()
        .map(|t| crate::release::TableRelease {
            table: t.id.to_owned(),
            rho: 0.0,
            sigma: 0.0,
            values: vec![0; t.cells.len()],
        })
        .collect();
    at_rho(f, 0.5)
}

fn release(f: ReleaseFields) -> Release {
    Release::new(f).expect("self-consistent, so msp-release/1 accepts it")
}

const NOW: OffsetDateTime = datetime!(2026-07-16 12:00 UTC);

#[test]
fn the_default_policy_is_usable_and_accepts_what_a_node_makes_by_default() {
    let policy = NetworkPolicy::default();
    policy.validate().unwrap();
    assert_eq!(policy.check_release(&release(fixture()), NOW), Ok(()));
    let json = serde_json::to_string(&policy).unwrap();
    assert_eq!(serde_json::from_str::<NetworkPolicy>(&json).unwrap(), policy);
    assert!(serde_json::from_str::<NetworkPolicy>(&json.replacen('{', r#"{"extra":1,"#, 1)).is_err());
}

#[test]
fn a_policy_that_cannot_be_enforced_is_refused_with_the_setting_named() {
    let bad = |change: fn(&mut NetworkPolicy), expect: &str| {
        let mut p = NetworkPolicy::default();
        change(&mut p);
        let err = p.validate().unwrap_err().to_string();
        assert!(err.contains(expect), "{expect}: {err}");
    };
    bad(|p| p.format = "msp-policy/2".into(), "format");
    bad(|p| p.specs.clear(), "specs");
    bad(|p| p.rho_per_release.min = f64::NAN, "rho_per_release.min");
    bad(|p| p.rho_per_release.max = 0.0, "rho_per_release.max");
    bad(|p| p.rho_per_release = RhoRange { min: 0.6, max: 0.5 }, "cannot exceed rho_per_release.max");
    bad(|p| p.rho_per_release = RhoRange { min: 0.1, max: 2.0 }, "cannot exceed rho_per_quarter");
    bad(|p| p.rho_per_quarter = 3.0, "cannot exceed rho_per_four_quarters");
    bad(|p| p.noise_allowance_sigmas = 3.0, "would refuse correct releases");
    bad(|p| p.max_revision = 0, "max_revision");
    bad(|p| p.max_people_per_council_quarter = 0, "max_people");
}

#[test]
fn a_release_with_rho_above_the_range_is_refused_though_it_is_self_consistent() {
    // ρ = 50: σ of the main table ≈ 0.25, and the exact counts come out almost always.
    let err = NetworkPolicy::default().check_release(&release(at_rho(fixture(), 50.0)), NOW).unwrap_err();
    assert!(matches!(err, PolicyViolation::RhoPerRelease { rho, .. } if (rho - 50.0).abs() < 1e-9), "{err}");
    assert!(err.to_string().contains("rho_per_release"), "says what to change: {err}");
    assert!(!err.is_implausible());
}

#[test]
fn a_release_with_rho_below_the_range_is_refused() {
    // ρ = 1e-302: σ ≈ 1e151, enough to make every benchmark it joins too wide to compare.
    let err = NetworkPolicy::default().check_release(&release(at_rho(fixture(), 1e-302)), NOW).unwrap_err();
    assert!(matches!(err, PolicyViolation::RhoPerRelease { .. }), "{err}");
}

#[test]
fn rho_at_either_end_of_the_range_is_accepted() {
    let policy = NetworkPolicy::default();
    for rho in [policy.rho_per_release.min, policy.rho_per_release.max] {
        assert_eq!(policy.check_release(&release(at_rho(fixture(), rho)), NOW), Ok(()), "ρ = {rho}");
    }
}

#[test]
fn extreme_values_are_implausible_and_values_within_the_noise_allowance_are_not() {
    let policy = NetworkPolicy::default();
    for extreme in [i64::MAX, i64::MIN, 1_000_000, -1_000] {
        let mut f = fixture();
        f.tables[3].values[0] = extreme;
        let err = policy.check_release(&release(f), NOW).unwrap_err();
        assert!(
            matches!(&err, PolicyViolation::Implausible { table, cell, value, .. }
                if table == "msp_outcomes" && cell == "expressed_fully" && *value == extreme),
            "{extreme}: {err}"
        );
        assert!(err.is_implausible());
    }
    let spec = crate::spec::SpecId::MspQuarterlyV1.spec();
    let mut f = fixture();
    let sigma = f.tables[3].sigma;
    let (low, high) = policy.value_bounds(&spec.tables[3], sigma);
    assert_eq!(low, -10.0 * sigma);
    assert_eq!(high, 50_000.0 + 10.0 * sigma);
    f.tables[3].values[0] = low.ceil() as i64;
    f.tables[3].values[1] = high.floor() as i64;
    assert_eq!(policy.check_release(&release(f.clone()), NOW), Ok(()), "the edges are plausible");
    f.tables[3].values[1] = high.floor() as i64 + 1;
    assert!(policy.check_release(&release(f), NOW).is_err(), "one past the edge is not");
}

#[test]
fn a_sum_table_is_bounded_by_its_clamp_times_the_people() {
    let policy = NetworkPolicy::default();
    let spec = crate::spec::SpecId::MspQuarterlyV1.spec();
    let sum = spec.tables.iter().find(|t| t.id == "days_to_conclude_sum").unwrap();
    assert_eq!(policy.value_bounds(sum, 1.0), (-10.0, 50_000.0 * 365.0 + 10.0));
    let multi = spec.tables.iter().find(|t| t.id == "risk_type").unwrap();
    assert_eq!(policy.value_bounds(multi, 1.0), (-10.0, 50_010.0), "one person adds 1 to each of ≤ k cells");
}

#[test]
fn a_centred_sum_may_be_below_zero_but_not_below_what_its_people_could_take_off() {
    let policy = NetworkPolicy::default();
    let f = fixture_v2();
    assert_eq!(policy.check_release(&release(f.clone()), NOW), Ok(()), "a /2 release passes");
    let i = f.spec.spec().position("days_to_conclude_sum").unwrap();
    let sigma = f.tables[i].sigma;
    let (low, high) = policy.value_bounds(&f.spec.spec().tables[i], sigma);
    assert_eq!((low, high), (-50_000.0 * 182.0 - 10.0 * sigma, 50_000.0 * 183.0 + 10.0 * sigma));
    let with = |v: i64| {
        let mut f = f.clone();
        f.tables[i].values[0] = v;
        policy.check_release(&release(f), NOW)
    };
    assert_eq!(with(low.ceil() as i64), Ok(()), "far below zero, yet possible");
    let err = with(low.ceil() as i64 - 1).unwrap_err();
    assert!(matches!(&err, PolicyViolation::Implausible { table, .. } if table == "days_to_conclude_sum"), "{err}");
    assert!(with(high.floor() as i64 + 1).is_err());
}

#[test]
fn a_version_2_release_states_an_epsilon_above_rho_and_at_most_the_closed_form() {
    let f = fixture_v2();
    let closed = crate::release::zcdp_epsilon(f.privacy.rho, f.privacy.delta);
    let with = |epsilon: f64| {
        let mut f = f.clone();
        f.privacy.epsilon = epsilon;
        Release::new(f)
    };
    assert!(with(closed).is_ok() && with(5.2215).is_ok(), "the closed form and opendp's tighter value");
    assert!(with(closed * 1.001).is_err(), "a looser ε than the closed form is not what any node states");
    assert!(with(f.privacy.rho).is_err() && with(0.1).is_err(), "no ε at or below ρ holds");
    // /1 states the closed form exactly.
    let mut v1 = fixture();
    v1.privacy.epsilon = 5.2215;
    assert!(Release::new(v1).unwrap_err().to_string().contains("closed form"));
}

#[test]
fn a_table_given_more_than_its_share_of_rho_is_refused_even_when_the_total_is_right() {
    let mut f = fixture();
    // Half of table 1's ρ moved to table 0: the total and every σ stay consistent.
    let spec = f.spec.spec();
    let moved = f.tables[1].rho / 2.0;
    for (i, delta) in [(0, moved), (1, -moved)] {
        f.tables[i].rho += delta;
        f.tables[i].sigma = gaussian_sigma(spec.tables[i].l2_sensitivity(), f.tables[i].rho);
    }
    let err = NetworkPolicy::default().check_release(&release(f), NOW).unwrap_err();
    assert!(matches!(&err, PolicyViolation::TableShare { table, .. } if table == "concern_outcome"), "{err}");
}

#[test]
fn a_revision_beyond_the_limit_is_refused() {
    let policy = NetworkPolicy::default();
    let mut f = fixture();
    f.revision = policy.max_revision;
    assert_eq!(policy.check_release(&release(f.clone()), NOW), Ok(()));
    f.revision += 1;
    let err = policy.check_release(&release(f), NOW).unwrap_err();
    assert_eq!(err, PolicyViolation::Revision { revision: 4, max: 3 });
}

#[test]
fn a_release_from_the_future_is_refused_beyond_the_clock_skew_allowance() {
    let policy = NetworkPolicy::default();
    let mut f = fixture();
    f.created_at = Timestamp::from(NOW + time::Duration::seconds(300));
    assert_eq!(policy.check_release(&release(f.clone()), NOW), Ok(()), "within the allowance");
    f.created_at = Timestamp::from(NOW + time::Duration::seconds(301));
    let err = policy.check_release(&release(f), NOW).unwrap_err();
    assert!(matches!(err, PolicyViolation::Future { .. }) && err.to_string().contains("NTP"), "{err}");
}

#[test]
fn spending_fits_two_releases_a_quarter_and_refuses_a_third_or_a_fifth_across_a_year() {
    let q = |s: &str| s.parse::<Period>().unwrap();
    let mut spent = Spending::from_charges([(q("2026-27-Q1"), 0.5)]);
    assert_eq!(spent.check(q("2026-27-Q1"), 0.5, 1.0, 2.5), Ok(()));
    spent = Spending::from_charges(spent.quarters().chain([(q("2026-27-Q1"), 0.5)]));
    assert!((spent.quarter(q("2026-27-Q1")) - 1.0).abs() < 1e-12);
    assert!(matches!(spent.check(q("2026-27-Q1"), 0.05, 1.0, 2.5), Err(CapExceeded::Quarter { .. })));
    // 1.0 + 0.5 + 0.5 + 0.5 = 2.5 over four quarters: full; one more anywhere in a window holding
    // them is refused, and the window named is the first that overflows.
    let spent = Spending::from_charges([
        (q("2026-27-Q1"), 1.0),
        (q("2026-27-Q2"), 0.5),
        (q("2026-27-Q3"), 0.5),
        (q("2026-27-Q4"), 0.5),
    ]);
    assert!((spent.window(q("2026-27-Q1")) - 2.5).abs() < 1e-12);
    let err = spent.check(q("2026-27-Q3"), 0.5, 1.0, 2.5).unwrap_err();
    assert!(matches!(err, CapExceeded::FourQuarters { first, .. } if first == q("2026-27-Q1")), "{err}");
    // A year later the first quarter has left every window.
    assert_eq!(spent.check(q("2027-28-Q1"), 0.5, 1.0, 2.5), Ok(()));
}

#[test]
fn the_windows_holding_a_quarter_are_the_four_that_end_at_or_after_it() {
    let q = |s: &str| s.parse::<Period>().unwrap();
    let windows: Vec<Period> = Spending::windows_holding(q("2026-27-Q2")).collect();
    assert_eq!(windows, [q("2025-26-Q3"), q("2025-26-Q4"), q("2026-27-Q1"), q("2026-27-Q2")]);
}
