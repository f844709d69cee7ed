//! The generator: a council's people and their concerns, quarter by quarter, as a case system
//! would record them (with blanks, long tails and the occasional inconsistent row).

use msp_schemas::{
    Period,
    codes::{
        AgeBand, Approach, CapacitySupport, CodeSet, DesiredOutcome, EnquiryType, Ethnicity, Feedback, LackedCapacity,
        OutcomesAchieved, OutcomesAsked, RiskAction, RiskLocation, RiskOutcome, RiskSource, RiskType, Sex,
        SupportReason,
    },
};
use rand::{Rng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use time::{Date, Duration};

use crate::{
    mixes::Mixes,
    profile::{self, CouncilProfile},
};

/// A synthetic person (the adult at risk).
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) id: u64,
    pub(crate) age_band: Option<AgeBand>,
    pub(crate) sex: Option<Sex>,
    pub(crate) ethnicity: Option<Ethnicity>,
    pub(crate) support_reason: Option<SupportReason>,
}

/// What happened in an enquiry, as a case system would record it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Detail {
    pub(crate) outcomes_asked: Option<OutcomesAsked>,
    pub(crate) desired: CodeSet<DesiredOutcome>,
    pub(crate) negotiated: CodeSet<DesiredOutcome>,
    pub(crate) achieved: Option<OutcomesAchieved>,
    pub(crate) risk_types: CodeSet<RiskType>,
    pub(crate) location: Option<RiskLocation>,
    pub(crate) source: Option<RiskSource>,
    pub(crate) risk_action: Option<RiskAction>,
    pub(crate) risk_outcome: Option<RiskOutcome>,
    pub(crate) lacked_capacity: Option<LackedCapacity>,
    pub(crate) capacity_support: Option<CapacitySupport>,
    pub(crate) meetings: Option<u32>,
    pub(crate) multiagency: Option<u32>,
    pub(crate) hours: Option<f64>,
    pub(crate) approaches: CodeSet<Approach>,
    pub(crate) felt_safer: Option<Feedback>,
    pub(crate) listened_to: Option<Feedback>,
}

/// One concern (one row of the file).
#[derive(Debug, Clone)]
pub(crate) struct Concern {
    pub(crate) seq: u64,
    pub(crate) person: usize,
    pub(crate) concern: Date,
    pub(crate) enquiry_type: Option<EnquiryType>,
    pub(crate) start: Option<Date>,
    pub(crate) concluded: Option<Date>,
    pub(crate) detail: Detail,
}

impl Concern {
    pub(crate) fn case_id(&self) -> String {
        format!("C-{:09}", self.seq)
    }
}

/// The generator's state.
pub(crate) struct Generator<'a> {
    pub(crate) rng: ChaCha8Rng,
    profile: &'a CouncilProfile,
    mixes: Mixes,
    pub(crate) people: Vec<Person>,
    pub(crate) concerns: Vec<Concern>,
    next_seq: u64,
}

fn days_in(period: Period) -> i64 {
    (period.last_day() - period.first_day()).whole_days() + 1
}

impl<'a> Generator<'a> {
    /// A generator for the council of `profile`, drawing from `rng`.
    pub(crate) fn new(profile: &'a CouncilProfile, rng: ChaCha8Rng) -> Self {
        Self { rng, profile, mixes: Mixes::new(), people: Vec::new(), concerns: Vec::new(), next_seq: 0 }
    }
}

impl Generator<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn maybe<T>(&mut self, p_blank: f64, v: T) -> Option<T> {
        (!self.chance(p_blank)).then_some(v)
    }

    fn new_person(&mut self) -> usize {
        let age = self.mixes.age.draw(&mut self.rng);
        let sex = self.mixes.sex.draw(&mut self.rng);
        let ethnicity = self.mixes.ethnicity.draw(&mut self.rng);
        let reason = self.mixes.reason.draw(&mut self.rng);
        let person = Person {
            id: self.people.len() as u64 + 1,
            age_band: self.maybe(0.01, age),
            sex: self.maybe(0.005, sex),
            ethnicity: self.maybe(0.02, ethnicity),
            support_reason: self.maybe(0.02, reason),
        };
        self.people.push(person);
        self.people.len() - 1
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn day_in(&mut self, period: Period, last_days: Option<i64>) -> Date {
        let n = days_in(period);
        let from = last_days.map_or(0, |d| (n - d).max(0));
        period.first_day() + Duration::days(self.rng.random_range(from..n))
    }

    /// What happened in a concluded enquiry.
    fn detail(&mut self, person: usize) -> Detail {
        let p = self.profile;
        let reason = self.people[person].support_reason;
        let mut d = Detail::default();
        let u: f64 = self.rng.random();
        let asked = if u < p.p_expressed {
            OutcomesAsked::AskedExpressed
        } else if u < p.p_expressed + p.p_asked_not_expressed {
            OutcomesAsked::AskedNotExpressed
        } else if u < p.p_expressed + p.p_asked_not_expressed + p.p_not_asked {
            OutcomesAsked::NotAsked
        } else {
            OutcomesAsked::Unknown
        };
        d.outcomes_asked = self.maybe(0.02, asked);
        if d.outcomes_asked == Some(OutcomesAsked::AskedExpressed) {
            // Up to four desired outcomes, so the k = 3 bound has work to do.
            let n = match self.rng.random::<f64>() {
                x if x < 0.45 => 1,
                x if x < 0.80 => 2,
                x if x < 0.95 => 3,
                _ => 4,
            };
            d.desired = self.mixes.desired.draw_distinct(&mut self.rng, n).into_iter().collect();
            d.negotiated = d.desired.iter().filter(|_| self.rng.random::<f64>() < 0.8).collect();
            let p_fully = (p.p_fully + profile::fully_effect(reason)).clamp(0.05, 0.97);
            let achieved = match self.rng.random::<f64>() {
                x if x < p_fully => OutcomesAchieved::Fully,
                x if x < p_fully + (1.0 - p_fully) * p.p_partially_of_rest => OutcomesAchieved::Partially,
                _ => OutcomesAchieved::NotAchieved,
            };
            d.achieved = self.maybe(0.03, achieved);
        } else if self.chance(0.005) {
            // An inconsistent row a real export has: achievement recorded without expressed outcomes.
            d.achieved = Some(OutcomesAchieved::Fully);
        }
        let n_risks = match self.rng.random::<f64>() {
            x if x < 0.70 => 1,
            x if x < 0.90 => 2,
            x if x < 0.98 => 3,
            _ => 4,
        };
        if !self.chance(0.02) {
            d.risk_types = self.mixes.risk.draw_distinct(&mut self.rng, n_risks).into_iter().collect();
        }
        let location = self.mixes.location.draw(&mut self.rng);
        d.location = self.maybe(0.04, location);
        let source = self.mixes.source.draw(&mut self.rng);
        d.source = self.maybe(0.05, source);
        let action = self.mixes.action.draw(&mut self.rng);
        d.risk_action = self.maybe(0.03, action);
        if let Some(a) = d.risk_action
            && a.risk_identified()
        {
            let p_ok = if a == RiskAction::RiskNoAction {
                p.p_risk_reduced_or_removed - 0.3
            } else {
                p.p_risk_reduced_or_removed
            };
            let outcome = match self.rng.random::<f64>() {
                x if x < p_ok * 0.33 => RiskOutcome::Removed,
                x if x < p_ok => RiskOutcome::Reduced,
                _ => RiskOutcome::Remains,
            };
            d.risk_outcome = self.maybe(0.03, outcome);
        }
        let lacked = match self.rng.random::<f64>() {
            x if x < 0.27 => LackedCapacity::Yes,
            x if x < 0.90 => LackedCapacity::No,
            _ => LackedCapacity::Unknown,
        };
        d.lacked_capacity = self.maybe(0.03, lacked);
        if d.lacked_capacity == Some(LackedCapacity::Yes) {
            let s = self.mixes.support.draw(&mut self.rng);
            d.capacity_support = self.maybe(0.04, s);
        }
        let long_tail = |rng: &mut ChaCha8Rng, median: f64, sigma: f64| {
            LogNormal::new(median.ln(), sigma).expect("valid").sample(rng)
        };
        let meetings = (long_tail(&mut self.rng, 1.6, 0.8) - 0.5).max(0.0).floor() as u32;
        d.meetings = self.maybe(0.05, meetings.min(60));
        let multi = (long_tail(&mut self.rng, 0.9, 0.9) - 0.5).max(0.0).floor() as u32;
        d.multiagency = self.maybe(0.06, multi.min(40));
        let hours = (long_tail(&mut self.rng, 8.0, 0.9) * 2.0).round() / 2.0;
        d.hours = self.maybe(0.08, hours.min(400.0));
        let n_approaches = match self.rng.random::<f64>() {
            x if x < 0.30 => 0,
            x if x < 0.65 => 1,
            x if x < 0.88 => 2,
            x if x < 0.97 => 3,
            _ => 4,
        };
        d.approaches = self.mixes.approach.draw_distinct(&mut self.rng, n_approaches).into_iter().collect();
        let f = self.mixes.feedback.draw(&mut self.rng);
        d.felt_safer = self.maybe(0.1, f);
        let l = self.mixes.feedback.draw(&mut self.rng);
        d.listened_to = self.maybe(0.1, l);
        d
    }

    /// One quarter: people with concluded enquiries, concerns that led nowhere, and (for the
    /// latest quarter) enquiries still open and concerns still undecided.
    pub(crate) fn quarter(&mut self, period: Period, people: u32, recent: &[usize], latest: bool) -> Vec<usize> {
        let mut concluded_people = Vec::with_capacity(people as usize);
        let mut used = std::collections::HashSet::new();
        let mut enquiries = 0u64;
        for _ in 0..people {
            let returning = if !recent.is_empty() && self.chance(self.profile.p_repeat) {
                let p = *recent.choose(&mut self.rng).expect("not empty");
                (!used.contains(&p)).then_some(p)
            } else {
                None
            };
            let person = returning.unwrap_or_else(|| self.new_person());
            used.insert(person);
            concluded_people.push(person);
            let k = match self.rng.random::<f64>() {
                x if x < 0.86 => 1,
                x if x < 0.97 => 2,
                x if x < 0.995 => 3,
                _ => 4,
            };
            // Distinct conclusion days, so "latest concluded enquiry" is never a tie.
            let n = days_in(period);
            let mut days: Vec<i64> = Vec::with_capacity(k);
            while days.len() < k {
                let d = self.rng.random_range(0..n);
                if !days.contains(&d) {
                    days.push(d);
                }
            }
            for day in days {
                enquiries += 1;
                let concluded = period.first_day() + Duration::days(day);
                let median = self.profile.median_days;
                let length = LogNormal::new(median.ln(), 0.85).expect("valid").sample(&mut self.rng).min(800.0) as i64;
                let concern = concluded - Duration::days(length);
                let start = concern + Duration::days(self.rng.random_range(0..=length.min(5)));
                let enquiry_type = if self.chance(0.95) { EnquiryType::S42 } else { EnquiryType::Other };
                let detail = self.detail(person);
                let seq = self.seq();
                let start = self.maybe(0.05, start);
                self.concerns.push(Concern {
                    seq,
                    person,
                    concern,
                    enquiry_type: Some(enquiry_type),
                    start,
                    concluded: Some(concluded),
                    detail,
                });
            }
        }
        // Concerns that did not lead to an enquiry (or, at the end of the latest quarter, are
        // still being decided): about half about people the council already knows.
        let others = (enquiries as f64 * (self.profile.concerns_per_enquiry - 1.0)).round() as u64;
        for _ in 0..others {
            let person = if !self.people.is_empty() && self.chance(0.5) {
                self.rng.random_range(0..self.people.len())
            } else {
                self.new_person()
            };
            let concern = self.day_in(period, None);
            let recent_concern = (period.last_day() - concern).whole_days() < 14;
            let enquiry_type =
                if latest && recent_concern && self.chance(0.5) { None } else { Some(EnquiryType::NoEnquiry) };
            let seq = self.seq();
            self.concerns.push(Concern {
                seq,
                person,
                concern,
                enquiry_type,
                start: None,
                concluded: None,
                detail: Detail::default(),
            });
        }
        if latest {
            // Enquiries opened recently and not yet concluded.
            for _ in 0..(f64::from(people) * 0.2).round() as u64 {
                let person = if self.chance(0.3) && !self.people.is_empty() {
                    self.rng.random_range(0..self.people.len())
                } else {
                    self.new_person()
                };
                let concern = self.day_in(period, Some(45));
                let seq = self.seq();
                let detail = if self.chance(0.5) {
                    Detail { outcomes_asked: Some(OutcomesAsked::AskedExpressed), ..Detail::default() }
                } else {
                    Detail::default()
                };
                self.concerns.push(Concern {
                    seq,
                    person,
                    concern,
                    enquiry_type: Some(EnquiryType::S42),
                    start: Some(concern),
                    concluded: None,
                    detail,
                });
            }
        }
        concluded_people
    }
}
