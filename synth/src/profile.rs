//! Each council's synthetic character: its size and its true rates.
//!
//! A profile depends only on the council (not on `--seed`), so a council keeps its character from
//! run to run and quarter to quarter, and the 153 councils together look like England: about
//! 149,000 people a year in s42 enquiries, sizes skewed like the 2014/15 evaluation's range, and
//! rates that vary around the published national figures with real differences by team model,
//! MSP level and support reason, so that comparisons have something to find.

use msp_schemas::{
    AuthorityType, Council, CouncilCode,
    codes::{MspLevel, SupportReason, TeamModel},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};
use serde::Serialize;

/// People with a concluded enquiry in a year, England (2024-25: 148,830 people in s42 enquiries,
/// plus people in other enquiries).
pub const NATIONAL_PEOPLE_PER_YEAR: f64 = 149_000.0;

/// Fixed seed of the national profile draw: changing it changes every council's character.
const PROFILE_SEED: u64 = 0x4d53_505f_3230_3236;

/// A council's true rates, the parameters its synthetic data are drawn from.
#[derive(Debug, Clone, Serialize)]
pub struct CouncilProfile {
    /// The council.
    pub council: String,
    /// How it organises enquiries.
    pub team_model: TeamModel,
    /// Its MSP level.
    pub msp_level: MspLevel,
    /// People with an enquiry concluded per quarter.
    pub people_per_quarter: u32,
    /// P(asked and expressed outcomes).
    pub p_expressed: f64,
    /// P(asked, no outcomes expressed).
    pub p_asked_not_expressed: f64,
    /// P(not asked).
    pub p_not_asked: f64,
    /// P(fully achieved | expressed), before support-reason effects.
    pub p_fully: f64,
    /// P(partially achieved | expressed, not fully).
    pub p_partially_of_rest: f64,
    /// P(removed or reduced | risk identified).
    pub p_risk_reduced_or_removed: f64,
    /// Median days from concern to conclusion.
    pub median_days: f64,
    /// P(a concluded person had another concluded enquiry in the previous year).
    pub p_repeat: f64,
    /// Concerns per enquiry.
    pub concerns_per_enquiry: f64,
}

/// Change in P(fully achieved) by support reason: people whose support is for learning
/// disability, mental health or memory are less often fully supported to their outcomes.
pub fn fully_effect(reason: Option<SupportReason>) -> f64 {
    match reason {
        Some(SupportReason::Physical) => 0.02,
        Some(SupportReason::Sensory) => 0.0,
        Some(SupportReason::MemoryCognition) => -0.05,
        Some(SupportReason::LearningDisability) => -0.06,
        Some(SupportReason::MentalHealth) => -0.09,
        Some(SupportReason::Social) => 0.01,
        _ => 0.0,
    }
}

fn clip(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

fn type_weight(t: AuthorityType) -> f64 {
    match t {
        AuthorityType::ShireCounty => 3.2,
        AuthorityType::MetropolitanDistrict => 1.3,
        AuthorityType::EnglishUnitary => 1.0,
        AuthorityType::LondonBorough => 0.85,
    }
}

impl CouncilProfile {
    /// The profile of `council`.
    pub fn of(council: CouncilCode) -> Self {
        let all = Council::all();
        let mut rng = ChaCha8Rng::seed_from_u64(PROFILE_SEED);
        let size = LogNormal::new(0.0, 0.45).expect("valid parameters");
        let weights: Vec<f64> = all
            .iter()
            .map(|c| {
                // The City of London and the Isles of Scilly have a few thousand residents.
                let tiny = if matches!(c.code, "E09000001" | "E06000053") { 0.02 } else { 1.0 };
                type_weight(c.authority_type) * size.sample(&mut rng) * tiny
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let index = all.iter().position(|c| c.code == council.as_str()).expect("a council code is in the register");
        let annual = NATIONAL_PEOPLE_PER_YEAR * weights[index] / total;

        // Each council's rates come from its own stream, so they do not depend on the size draw.
        let mut rng = ChaCha8Rng::seed_from_u64(PROFILE_SEED ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let team_model = match rng.random::<f64>() {
            x if x < 0.30 => TeamModel::Specialist,
            x if x < 0.75 => TeamModel::Locality,
            _ => TeamModel::Hybrid,
        };
        let msp_level = match rng.random::<f64>() {
            x if x < 0.30 => MspLevel::Bronze,
            x if x < 0.65 => MspLevel::Silver,
            x if x < 0.85 => MspLevel::Gold,
            _ => MspLevel::NoLevel,
        };
        let normal = |rng: &mut ChaCha8Rng, mean: f64, sd: f64| Normal::new(mean, sd).expect("valid").sample(rng);
        let model_effect = match team_model {
            TeamModel::Specialist => 0.04,
            TeamModel::Locality => -0.02,
            TeamModel::Hybrid => 0.0,
        };
        let level_effect = match msp_level {
            MspLevel::Gold => 0.03,
            MspLevel::Silver => 0.01,
            MspLevel::Bronze => 0.0,
            MspLevel::NoLevel => -0.03,
        };
        let p_expressed = clip(normal(&mut rng, 0.62, 0.08) + level_effect, 0.35, 0.9);
        let p_asked_not_expressed = clip(normal(&mut rng, 0.14, 0.03), 0.03, 0.3);
        let rest = 1.0 - p_expressed - p_asked_not_expressed;
        Self {
            council: council.as_str().to_owned(),
            team_model,
            msp_level,
            people_per_quarter: ((annual / 4.0).round() as u32).max(5),
            p_expressed,
            p_asked_not_expressed,
            p_not_asked: rest * 0.7,
            p_fully: clip(normal(&mut rng, 0.68, 0.05) + model_effect + level_effect, 0.4, 0.9),
            p_partially_of_rest: clip(normal(&mut rng, 0.82, 0.05), 0.5, 0.95),
            p_risk_reduced_or_removed: clip(normal(&mut rng, 0.89, 0.03), 0.7, 0.98),
            median_days: clip(
                normal(&mut rng, 45.0, 10.0) + if team_model == TeamModel::Specialist { -8.0 } else { 0.0 },
                15.0,
                120.0,
            ),
            p_repeat: clip(normal(&mut rng, 0.12, 0.03), 0.03, 0.25),
            concerns_per_enquiry: clip(normal(&mut rng, 3.5, 0.5), 2.0, 5.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn councils_together_look_like_england() {
        let profiles: Vec<_> = Council::all().iter().map(|c| CouncilProfile::of(c.council_code())).collect();
        let yearly: f64 = profiles.iter().map(|p| f64::from(p.people_per_quarter) * 4.0).sum();
        assert!((yearly - NATIONAL_PEOPLE_PER_YEAR).abs() / NATIONAL_PEOPLE_PER_YEAR < 0.01, "{yearly}");
        let sizes: Vec<u32> = profiles.iter().map(|p| p.people_per_quarter).collect();
        let (min, max) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
        assert!(min < 40 && max > 1_500, "sizes are skewed like the evaluation's range: {min}..{max}");
        let mean_expressed = profiles.iter().map(|p| p.p_expressed).sum::<f64>() / 153.0;
        assert!((mean_expressed - 0.63).abs() < 0.03, "{mean_expressed}");
        for m in [TeamModel::Specialist, TeamModel::Locality, TeamModel::Hybrid] {
            assert!(profiles.iter().filter(|p| p.team_model == m).count() > 15, "{m}");
        }
    }

    #[test]
    fn a_councils_profile_is_stable() {
        let code: CouncilCode = "E10000007".parse().unwrap();
        let a = CouncilProfile::of(code);
        let b = CouncilProfile::of(code);
        assert_eq!(a.people_per_quarter, b.people_per_quarter);
        assert_eq!(a.p_fully, b.p_fully);
    }
}
