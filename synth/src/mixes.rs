//! The national mixes of codes the generator draws from: who the adults at risk are, the risks
//! they face, and what they want. A council's own character ([`crate::profile`]) shifts the rates
//! that matter for comparisons; these mixes stay national.

use msp_schemas::codes::{
    AgeBand, Approach, CapacitySupport, DesiredOutcome, Ethnicity, Feedback, RiskAction, RiskLocation, RiskSource,
    RiskType, Sex, SupportReason,
};
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand_chacha::ChaCha8Rng;

/// A weighted choice among codes.
pub(crate) struct Pick<T> {
    codes: Vec<T>,
    index: WeightedIndex<f64>,
}

impl<T: Copy> Pick<T> {
    fn new(pairs: &[(T, f64)]) -> Self {
        Self {
            codes: pairs.iter().map(|p| p.0).collect(),
            index: WeightedIndex::new(pairs.iter().map(|p| p.1)).expect("positive weights"),
        }
    }

    pub(crate) fn draw(&self, rng: &mut ChaCha8Rng) -> T {
        self.codes[self.index.sample(rng)]
    }

    /// `n` distinct codes.
    pub(crate) fn draw_distinct(&self, rng: &mut ChaCha8Rng, n: usize) -> Vec<T>
    where
        T: PartialEq,
    {
        let mut out = Vec::with_capacity(n);
        let mut guard = 0;
        while out.len() < n.min(self.codes.len()) && guard < 100 {
            let c = self.draw(rng);
            if !out.contains(&c) {
                out.push(c);
            }
            guard += 1;
        }
        out
    }
}

/// The national mixes the generator draws from.
pub(crate) struct Mixes {
    pub(crate) age: Pick<AgeBand>,
    pub(crate) sex: Pick<Sex>,
    pub(crate) ethnicity: Pick<Ethnicity>,
    pub(crate) reason: Pick<SupportReason>,
    pub(crate) risk: Pick<RiskType>,
    pub(crate) location: Pick<RiskLocation>,
    pub(crate) source: Pick<RiskSource>,
    pub(crate) action: Pick<RiskAction>,
    pub(crate) desired: Pick<DesiredOutcome>,
    pub(crate) approach: Pick<Approach>,
    pub(crate) support: Pick<CapacitySupport>,
    pub(crate) feedback: Pick<Feedback>,
}

impl Mixes {
    pub(crate) fn new() -> Self {
        use AgeBand as A;
        use RiskType as R;
        Self {
            age: Pick::new(&[
                (A::Age18To64, 37.0),
                (A::Age65To74, 14.0),
                (A::Age75To84, 22.0),
                (A::Age85To94, 22.0),
                (A::Age95Plus, 4.0),
                (A::Unknown, 1.0),
            ]),
            sex: Pick::new(&[(Sex::Female, 60.0), (Sex::Male, 39.0), (Sex::Unknown, 1.0)]),
            ethnicity: Pick::new(&[
                (Ethnicity::White, 82.0),
                (Ethnicity::Asian, 5.0),
                (Ethnicity::Black, 4.0),
                (Ethnicity::Mixed, 2.0),
                (Ethnicity::Other, 1.0),
                (Ethnicity::Refused, 1.0),
                (Ethnicity::Unknown, 5.0),
            ]),
            reason: Pick::new(&[
                (SupportReason::Physical, 52.0),
                (SupportReason::Sensory, 2.0),
                (SupportReason::MemoryCognition, 12.0),
                (SupportReason::LearningDisability, 12.0),
                (SupportReason::MentalHealth, 14.0),
                (SupportReason::Social, 4.0),
                (SupportReason::NoSupportReason, 3.0),
                (SupportReason::Unknown, 1.0),
            ]),
            risk: Pick::new(&[
                (R::Neglect, 32.0),
                (R::Physical, 20.0),
                (R::Financial, 16.0),
                (R::Psychological, 15.0),
                (R::SelfNeglect, 8.0),
                (R::Domestic, 6.0),
                (R::Organisational, 5.0),
                (R::Sexual, 4.0),
                (R::Discriminatory, 1.0),
                (R::SexualExploitation, 0.5),
                (R::ModernSlavery, 0.5),
            ]),
            location: Pick::new(&[
                (RiskLocation::OwnHome, 45.0),
                (RiskLocation::CareHomeResidential, 14.0),
                (RiskLocation::CareHomeNursing, 10.0),
                (RiskLocation::Community, 8.0),
                (RiskLocation::CommunityService, 6.0),
                (RiskLocation::HospitalAcute, 3.0),
                (RiskLocation::HospitalMentalHealth, 2.0),
                (RiskLocation::HospitalCommunity, 1.0),
                (RiskLocation::Other, 6.0),
            ]),
            source: Pick::new(&[
                (RiskSource::ServiceProvider, 35.0),
                (RiskSource::Known, 55.0),
                (RiskSource::UnknownToIndividual, 10.0),
            ]),
            action: Pick::new(&[
                (RiskAction::RiskAction, 72.0),
                (RiskAction::RiskNoAction, 6.0),
                (RiskAction::InconclusiveAction, 6.0),
                (RiskAction::InconclusiveNoAction, 3.0),
                (RiskAction::NoRiskAction, 5.0),
                (RiskAction::NoRiskNoAction, 5.0),
                (RiskAction::CeasedAtRequest, 3.0),
            ]),
            desired: Pick::new(&[
                (DesiredOutcome::FeelSafer, 45.0),
                (DesiredOutcome::Relationships, 23.0),
                (DesiredOutcome::Control, 21.0),
                (DesiredOutcome::NotHappenToOthers, 21.0),
                (DesiredOutcome::JusticeApology, 18.0),
                (DesiredOutcome::InvolvedInDecisions, 15.0),
                (DesiredOutcome::ProtectSelf, 12.0),
                (DesiredOutcome::Other, 9.0),
                (DesiredOutcome::Choice, 8.0),
                (DesiredOutcome::KnowWhereHelp, 8.0),
                (DesiredOutcome::NewFriends, 1.0),
                (DesiredOutcome::Recovery, 2.0),
            ]),
            approach: Pick::new(&[
                (Approach::Advocacy, 25.0),
                (Approach::SupportedDecisionMaking, 18.0),
                (Approach::FamilyGroupConference, 8.0),
                (Approach::Mediation, 6.0),
                (Approach::SignsOfSafety, 6.0),
                (Approach::ResilienceBuilding, 8.0),
                (Approach::MotivationalInterviewing, 5.0),
                (Approach::BriefIntervention, 5.0),
                (Approach::Therapeutic, 4.0),
                (Approach::PeerSupport, 3.0),
                (Approach::RestorativeJustice, 2.0),
                (Approach::SupportPersonCausingHarm, 4.0),
                (Approach::Other, 6.0),
            ]),
            support: Pick::new(&[
                (CapacitySupport::Advocate, 35.0),
                (CapacitySupport::FamilyFriend, 45.0),
                (CapacitySupport::NoSupport, 12.0),
                (CapacitySupport::Unknown, 8.0),
            ]),
            feedback: Pick::new(&[
                (Feedback::Yes, 55.0),
                (Feedback::Partly, 20.0),
                (Feedback::No, 7.0),
                (Feedback::NotAsked, 18.0),
            ]),
        }
    }
}
