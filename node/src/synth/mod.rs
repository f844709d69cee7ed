//! `msp-node synth`: realistic synthetic case files with the truth written beside them.
//!
//! Nobody developing or demonstrating the network has real case data, so the node makes it: a
//! `case-record/1` file for one council that exercises every column and every table of
//! `msp-quarterly/1` — people with several concerns and enquiries, earlier quarters of history so
//! that repeats and contribution bounds matter, long-tailed days, meetings and hours, blanks and
//! the occasional inconsistent row — drawn from the council's [`profile::CouncilProfile`].
//!
//! Beside the file goes the truth (`*.truth.json`): the profile, and for every quarter generated
//! the exact counts and the exact values of every `msp-quarterly/1` table, computed here from the
//! generator's own records. Tests compare releases and benchmarks with it. It is an independent
//! second implementation of the report's rules, on purpose.

pub mod profile;
mod truth;

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use msp_schemas::{
    CouncilCode, Period,
    codes::{
        AgeBand, Approach, CapacitySupport, CodeList, CodeSet, DesiredOutcome, EnquiryType, Ethnicity, Feedback,
        LackedCapacity, OutcomesAchieved, OutcomesAsked, RiskAction, RiskLocation, RiskOutcome, RiskSource, RiskType,
        Sex, SupportReason,
    },
};
use rand::{Rng, SeedableRng, distr::weighted::WeightedIndex, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use time::{Date, Duration};

pub use profile::CouncilProfile;
pub use truth::{QuarterTruth, Truth};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// The council.
    pub council: CouncilCode,
    /// The latest quarter: data are as exported at its end.
    pub period: Period,
    /// People with an enquiry concluded in each quarter (default: the council's profile).
    pub people: Option<u32>,
    /// Earlier quarters of history to generate.
    pub history_quarters: u32,
    /// Seed of the draws.
    pub seed: u64,
}

/// Errors writing synthetic data.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Too much history for the supported years.
    #[error("{0} quarters of history before {1} reach before the earliest supported year")]
    TooMuchHistory(u32, Period),
}

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

/// A weighted choice among codes.
struct Pick<T> {
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

    fn draw(&self, rng: &mut ChaCha8Rng) -> T {
        self.codes[self.index.sample(rng)]
    }

    /// `n` distinct codes.
    fn draw_distinct(&self, rng: &mut ChaCha8Rng, n: usize) -> Vec<T>
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
struct Mixes {
    age: Pick<AgeBand>,
    sex: Pick<Sex>,
    ethnicity: Pick<Ethnicity>,
    reason: Pick<SupportReason>,
    risk: Pick<RiskType>,
    location: Pick<RiskLocation>,
    source: Pick<RiskSource>,
    action: Pick<RiskAction>,
    desired: Pick<DesiredOutcome>,
    approach: Pick<Approach>,
    support: Pick<CapacitySupport>,
    feedback: Pick<Feedback>,
}

impl Mixes {
    fn new() -> Self {
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

/// The generator's state.
struct Generator<'a> {
    rng: ChaCha8Rng,
    profile: &'a CouncilProfile,
    mixes: Mixes,
    people: Vec<Person>,
    concerns: Vec<Concern>,
    next_seq: u64,
}

fn days_in(period: Period) -> i64 {
    (period.last_day() - period.first_day()).whole_days() + 1
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
    fn quarter(&mut self, period: Period, people: u32, recent: &[usize], latest: bool) -> Vec<usize> {
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

/// Generates the case file and its truth. Rows are written in a shuffled order, as exports are
/// rarely sorted the way a report needs.
pub fn generate(options: &SynthOptions) -> Result<(Vec<u8>, Truth), SynthError> {
    let profile = CouncilProfile::of(options.council);
    let quarters = options.period.window(options.history_quarters as usize + 1);
    if quarters.len() != options.history_quarters as usize + 1 {
        return Err(SynthError::TooMuchHistory(options.history_quarters, options.period));
    }
    let mut g = Generator {
        rng: ChaCha8Rng::seed_from_u64(options.seed ^ council_salt(options.council)),
        profile: &profile,
        mixes: Mixes::new(),
        people: Vec::new(),
        concerns: Vec::new(),
        next_seq: 0,
    };
    let per_quarter = options.people.unwrap_or(profile.people_per_quarter);
    let mut recent: std::collections::VecDeque<Vec<usize>> = Default::default();
    for (i, q) in quarters.iter().enumerate() {
        let pool: Vec<usize> = recent.iter().flatten().copied().collect();
        let concluded = g.quarter(*q, per_quarter, &pool, i + 1 == quarters.len());
        recent.push_back(concluded);
        if recent.len() > 4 {
            recent.pop_front();
        }
    }
    let order = {
        let mut idx: Vec<usize> = (0..g.concerns.len()).collect();
        for i in (1..idx.len()).rev() {
            let j = g.rng.random_range(0..=i);
            idx.swap(i, j);
        }
        idx
    };
    let mut out = Vec::with_capacity(g.concerns.len() * 160);
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(msp_schemas::Column::ALL.iter().map(|c| c.name())).expect("writing to memory");
        for i in order {
            w.write_record(row_fields(&g.concerns[i], &g.people)).expect("writing to memory");
        }
        w.flush().expect("writing to memory");
    }
    let truth = truth::compute(options, &profile, &quarters, &g.people, &g.concerns);
    Ok((out, truth))
}

fn council_salt(council: CouncilCode) -> u64 {
    council.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn set<T: CodeList>(s: CodeSet<T>) -> String {
    s.to_string()
}

/// The 27 fields of a concern, in `Column::ALL` order.
fn row_fields(c: &Concern, people: &[Person]) -> Vec<String> {
    let p = &people[c.person];
    let d = &c.detail;
    vec![
        c.case_id(),
        format!("P-{:08}", p.id),
        c.concern.to_string(),
        opt(c.enquiry_type),
        opt(c.start),
        opt(c.concluded),
        opt(p.age_band),
        opt(p.sex),
        opt(p.ethnicity),
        opt(p.support_reason),
        set(d.risk_types),
        opt(d.location),
        opt(d.source),
        opt(d.outcomes_asked),
        set(d.desired),
        set(d.negotiated),
        opt(d.achieved),
        opt(d.risk_action),
        opt(d.risk_outcome),
        opt(d.lacked_capacity),
        opt(d.capacity_support),
        opt(d.meetings),
        opt(d.multiagency),
        opt(d.hours),
        set(d.approaches),
        opt(d.felt_safer),
        opt(d.listened_to),
    ]
}

/// The truth file's path for a case file: `data.csv` → `data.truth.json`.
pub fn truth_path(out: &Path) -> PathBuf {
    out.with_extension("truth.json")
}

/// Generates and writes the case file and its truth, each atomically.
pub fn write(options: &SynthOptions, out: &Path) -> Result<Truth, SynthError> {
    let (csv, truth) = generate(options)?;
    let write = |path: &Path, bytes: &[u8]| -> Result<(), SynthError> {
        let err = |source| SynthError::Write { path: path.to_owned(), source };
        let tmp = path.with_extension("partial");
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    };
    write(out, &csv)?;
    let json = serde_json::to_vec_pretty(&truth).expect("the truth serialises");
    write(&truth_path(out), &json)?;
    Ok(truth)
}
