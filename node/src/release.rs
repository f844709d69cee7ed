//! `msp-node release`: the only thing that ever leaves a council.
//!
//! The order of work is what makes it safe. Person rows and the noise plan are built first
//! (neither draws noise). Then, in one transaction no other release can interleave with, the
//! budget is checked and the charge **committed**. Only then is noise drawn, the document built
//! and stored. If the process dies in between, the budget is spent and nothing is released:
//! overspending is impossible; under-releasing is acceptable. Asking again for a released
//! quarter returns the stored document: there are no free re-rolls.
//!
//! Every limit is checked before the charge: the node's `[budget]` against the network policy
//! it holds ([`crate::policy`], [`crate::dp::limits`]), the revision, the ρ the document will
//! state, the exact figures against the policy's plausibility bounds, and the ledger against the
//! tighter caps. So budget is never spent on a release the coordinator would refuse.

use msp_estimate::{Cells, Combined, Measure, Noisy};
use msp_schemas::{
    Period, Release, ReleaseFields, SpecId,
    policy::{NetworkPolicy, Spending},
    release::{Accounting, CouncilContext, Mechanism, Privacy, PrivacyUnit, ReleaseFormat, TableRelease, Timestamp},
};

use time::Date;
use tracing::Instrument;

use crate::{
    audit::{Action, Actor, Event},
    config::{Budget, BudgetError, NodeConfig},
    dp::{
        ledger::{self, Refusal},
        limits::{LimitError, Limits},
        mechanism::{self, MechanismError, TablePlan},
        persons::{Person, PersonRows},
        tables,
    },
    policy,
    store::{CorruptRecord, ImportRecord, NodeStoreError, Store, StoredRelease},
};

/// Why a release was not made.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// No council context in `node.toml`.
    #[error(
        "declare the council's context in node.toml before releasing:\n  [context]\n  team_model = \"specialist\"   \
         # or locality, hybrid\n  msp_level = \"silver\"        # or bronze, gold, none\n  \
         recording_system = \"…\"\n  validated = false"
    )]
    NoContext,
    /// `--revise` with nothing released.
    #[error("{0} has not been released yet, so there is nothing to revise: run `msp-node release --period {0}`")]
    NothingToRevise(Period),
    /// The quarter has not ended.
    #[error("{0} has not ended yet (it ends on {end}): a quarter is released once its data are complete", end = .0.last_day())]
    NotEnded(Period),
    /// No quarter has finished by the day given (outside the supported years).
    #[error("could not tell the last finished quarter on {0}: give --period, e.g. 2026-27-Q1")]
    NoFinishedQuarter(Date),
    /// The default quarter, when no case file has been imported at all.
    #[error(
        "no case file has been imported, so there is nothing to release for {0}: import the quarter's \
         case file (`msp-node import FILE`) and run this again. Nothing was released and no budget was spent."
    )]
    NothingImported(Period),
    /// The default quarter, when the last case file was imported before it ended.
    #[error(
        "{period} ended on {ended} but the last case file was imported on {day}, before that: import the \
         quarter's complete case file (`msp-node import FILE`) and run this again. Nothing was released and \
         no budget was spent. (`msp-node release --period {period}` releases the data as they stand.)"
    )]
    ImportedBeforeEnd {
        /// The quarter.
        period: Period,
        /// Its last day.
        ended: Date,
        /// The day of the last import.
        day: Date,
    },
    /// Another release of the quarter was made while this one was being prepared.
    #[error("{0} was released by another msp-node process just now; run the command again to see it")]
    Raced(Period),
    /// Over budget.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The node's settings, or the revision, break the network's policy.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The quarter's exact figures are beyond the policy's plausibility bounds.
    #[error(
        "the exact figures of {period}'s table {table:?} are beyond what {policy} finds plausible for one council \
         (at most {people} people in a quarter), so the coordinator would refuse the release. Nothing was released \
         and no budget was spent. Check the case file imported (`msp-node status` shows the quarter's people); if the \
         figures are right, ask the coordinator's operator to raise max_people_per_council_quarter in the network's \
         policy"
    )]
    Implausible {
        /// The quarter.
        period: Period,
        /// The table.
        table: &'static str,
        /// The policy's people bound.
        people: u64,
        /// Which policy.
        policy: String,
    },
    /// Budget settings.
    #[error(transparent)]
    Budget(#[from] BudgetError),
    /// opendp.
    #[error(transparent)]
    Mechanism(#[from] MechanismError),
    /// The document did not pass its own checks.
    #[error("the release document is not valid msp-release/1: {0}")]
    Document(#[from] msp_schemas::release::ReleaseError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] NodeStoreError),
}

/// A release, as made or as stored before.
#[derive(Debug, Clone)]
pub struct Made {
    /// The document.
    pub release: Release,
    /// Its stored form (with the exact bytes).
    pub stored: StoredRelease,
    /// Whether this call made it (and spent budget).
    pub new: bool,
}

/// Threads to share the work of a release among (the people are split between them).
fn shards() -> u8 {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8) as u8)
}

async fn scan(store: &Store, period: Period) -> Result<Vec<PersonRows>, NodeStoreError> {
    let n = shards();
    store.scan_for_release(period, (0..n).map(|i| PersonRows::shard(period, i, n)).collect()).await
}

/// The person rows of `period`, read from the store in one pass.
pub async fn load_persons(store: &Store, period: Period) -> Result<Vec<Person>, NodeStoreError> {
    let mut persons = Vec::new();
    for rows in scan(store, period).await? {
        persons.extend(rows.finish()?);
    }
    Ok(persons)
}

/// The exact vector of every table for `period` (in spec order), and the number of people
/// concluded. The people are split into shards built and counted on threads of their own;
/// tables add up across shards because each person is in exactly one.
pub async fn exact_tables(
    store: &Store,
    spec: SpecId,
    period: Period,
) -> Result<(Vec<Vec<i64>>, usize), NodeStoreError> {
    let tasks: Vec<_> = scan(store, period)
        .await?
        .into_iter()
        .map(|rows| {
            tokio::task::spawn_blocking(move || {
                let persons = rows.finish()?;
                let concluded = persons.iter().filter(|p| p.concluded.is_some()).count();
                Ok::<_, NodeStoreError>((tables::exact_tables(spec.spec(), &persons), concluded))
            })
        })
        .collect();
    let mut total: Vec<Vec<i64>> = spec.spec().tables.iter().map(|t| vec![0; t.cells.len()]).collect();
    let mut concluded = 0;
    for t in tasks {
        let (part, n) = t.await.expect("counting does not panic")?;
        concluded += n;
        for (sum, (_, v)) in total.iter_mut().zip(part) {
            sum.iter_mut().zip(v).for_each(|(a, b)| *a += b);
        }
    }
    Ok((total, concluded))
}

/// The spec this node releases now: `node.toml`'s `spec`, or else the newest this build makes
/// that the network policy the node holds accepts.
pub async fn current_spec(store: &Store, config: &NodeConfig) -> Result<SpecId, NodeStoreError> {
    Ok(crate::dp::limits::choose_spec(config.spec, &policy::held(store).await?.policy))
}

/// The noise plan for a release of `spec` spending `rho`, and the ρ opendp states for it all.
pub fn plan(spec: SpecId, rho: f64) -> Result<(Vec<TablePlan>, f64), MechanismError> {
    let plans = mechanism::plan(spec, rho)?;
    let total = mechanism::total_rho(&plans);
    Ok((plans, total))
}

/// Draws the noise: each table's exact vector through its opendp measurement.
pub fn noisy_tables(plans: &[TablePlan], exact: &[Vec<i64>]) -> Result<Vec<Vec<i64>>, MechanismError> {
    mechanism::noisy_tables(plans, exact)
}

/// What a release document says besides its tables.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The spec the release follows (its tables are the plans').
    pub spec: SpecId,
    /// The quarter.
    pub period: Period,
    /// Its revision.
    pub revision: u32,
    /// When it was made.
    pub created_at: Timestamp,
    /// ρ the release spent (opendp's composed map).
    pub rho: f64,
    /// ε at the budget's δ ([`mechanism::epsilon`]).
    pub epsilon: f64,
    /// The council context.
    pub context: CouncilContext,
}

/// Builds the document for noisy `values` (one vector per planned table).
pub fn document(
    config: &NodeConfig,
    budget: &Budget,
    heading: Heading,
    plans: &[TablePlan],
    values: Vec<Vec<i64>>,
) -> Result<Release, msp_schemas::release::ReleaseError> {
    let Heading { spec, period, revision, created_at, rho, epsilon, context } = heading;
    let tables = plans
        .iter()
        .zip(values)
        .map(|(p, values)| TableRelease { table: p.table.id.to_owned(), rho: p.rho, sigma: p.sigma, values })
        .collect();
    Release::new(ReleaseFields {
        format: ReleaseFormat,
        spec,
        council: config.council,
        period,
        revision,
        created_at,
        software: format!("msp-node {}", env!("CARGO_PKG_VERSION")),
        privacy: Privacy {
            unit: PrivacyUnit,
            accounting: Accounting,
            mechanism: Mechanism,
            rho,
            epsilon,
            delta: budget.delta,
        },
        context,
        tables,
    })
}

fn context(config: &NodeConfig) -> Result<CouncilContext, ReleaseError> {
    let c = config.context.as_ref().ok_or(ReleaseError::NoContext)?;
    Ok(CouncilContext {
        team_model: c.team_model,
        msp_level: c.msp_level,
        recording_system: c.recording_system.clone(),
        validated: c.validated,
    })
}

/// The last quarter to have ended by `today`: what `msp-node release` makes when no `--period`
/// is given.
pub fn last_finished_quarter(today: Date) -> Result<Period, ReleaseError> {
    Period::containing(today).ok().and_then(Period::previous).ok_or(ReleaseError::NoFinishedQuarter(today))
}

/// Whether the node's data for `period` can be complete: a case file was imported after the
/// quarter ended. A release made before that would spend budget on part of the quarter.
pub fn check_imported_after(period: Period, last_import: Option<&ImportRecord>) -> Result<(), ReleaseError> {
    let ended = period.last_day();
    let imported_on = last_import.and_then(|i| i.finished_at.parse::<Timestamp>().ok()).map(|t| t.get().date());
    match imported_on {
        Some(day) if day > ended => Ok(()),
        Some(day) => Err(ReleaseError::ImportedBeforeEnd { period, ended, day }),
        None => Err(ReleaseError::NothingImported(period)),
    }
}

/// The quarter to release when none is given: the last finished by `today`. When `first` (a
/// new first release, as a scheduled run makes) and the quarter has not been released, it is
/// refused unless a case file was imported after the quarter ended. A stored release is
/// returned unchanged anyway, and a revision or a dry run is asked for by a person, so they need
/// no such guard.
pub async fn default_period(store: &Store, today: Date, first: bool) -> Result<Period, ReleaseError> {
    let period = last_finished_quarter(today)?;
    if first && store.release(period, None).await?.is_none() {
        check_imported_after(period, store.last_import().await?.as_ref())?;
    }
    Ok(period)
}

/// Whether every exact figure lies within the range the policy finds plausible for one council
/// before noise: a release of them would be refused by the coordinator.
fn check_plausible(period: Period, limits: &Limits, exact: &[Vec<i64>]) -> Result<(), ReleaseError> {
    let policy: &NetworkPolicy = limits.policy();
    for (table, values) in limits.spec.spec().tables.iter().zip(exact) {
        let (low, high) = policy.value_bounds(table, 0.0);
        if values.iter().any(|&v| v as f64 > high || (v as f64) < low) {
            return Err(ReleaseError::Implausible {
                period,
                table: table.id,
                people: policy.max_people_per_council_quarter,
                policy: limits.described().to_owned(),
            });
        }
    }
    Ok(())
}

/// Makes (or returns the stored) release of `period`, under the network policy the node holds
/// ([`policy::held`]: the one last fetched, or the default), as made by the login running this
/// process. `now` is the creation time to record, read from the caller's clock (so that tests
/// can fix it).
pub async fn release(
    store: &Store,
    config: &NodeConfig,
    period: Period,
    revise: bool,
    now: Timestamp,
) -> Result<Made, ReleaseError> {
    release_by(store, config, period, revise, now, &Actor::command_line(None)).await
}

/// [`release`], made by `by`: recorded as the release's maker (which four-eyes approval holds
/// the approver apart from) and in the audit log, in the transaction that stores the release.
#[tracing::instrument(
    name = "release",
    skip_all,
    fields(council = %config.council, period = %period, revise, revision = tracing::field::Empty)
)]
pub async fn release_by(
    store: &Store,
    config: &NodeConfig,
    period: Period,
    revise: bool,
    now: Timestamp,
    by: &Actor,
) -> Result<Made, ReleaseError> {
    let budget = config.budget();
    budget.validate()?;
    let existing = store.release(period, None).await?;
    match (&existing, revise) {
        (Some(stored), false) => {
            let release = Release::from_json(stored.document.as_bytes())
                .map_err(|e| NodeStoreError::Corrupt(CorruptRecord::new(format!("stored release: {e}"))))?;
            return Ok(Made { release, stored: stored.clone(), new: false });
        }
        (None, true) => return Err(ReleaseError::NothingToRevise(period)),
        _ => {}
    }
    if now.get().date() <= period.last_day() {
        return Err(ReleaseError::NotEnded(period));
    }
    let context = context(config)?;
    let held = policy::held(store).await?;
    let limits = Limits::new(&budget, config.spec, &held.policy, &held.describe())?;
    let started = std::time::Instant::now();
    let (exact, _) = exact_tables(store, limits.spec, period).instrument(tracing::info_span!("count")).await?;
    check_plausible(period, &limits, &exact)?;
    let read = started.elapsed();
    let (plans, rho) = plan(limits.spec, limits.rho_per_release)?;
    limits.check_planned(rho)?;
    let epsilon = mechanism::epsilon(limits.spec, rho, budget.delta)?;
    let planned = started.elapsed();

    let (ledger_id, revision) = charge(store, &limits, period, rho, revise, now).await?;
    let charged = started.elapsed();
    tracing::Span::current().record("revision", revision);
    tracing::info!(revision, rho, "budget charged; drawing noise");

    let values = tracing::info_span!("noise", revision).in_scope(|| noisy_tables(&plans, &exact))?;
    let noised = started.elapsed();
    let heading = Heading { spec: limits.spec, period, revision, created_at: now, rho, epsilon, context };
    let release = document(config, &budget, heading, &plans, values)?;
    let stored = StoredRelease {
        period,
        revision,
        created_at: now.to_string(),
        document: String::from_utf8(release.to_json()).expect("JSON is UTF-8"),
        made_by: Some(by.name.clone()),
    };
    let event = Event {
        actor: by,
        action: if revise { Action::Revise } else { Action::Release },
        release: Some((period, revision)),
        detail: format!("spent ρ = {rho:.4}; SHA-256 {}", stored.sha256()),
    };
    store.save_release(&stored, ledger_id, &event).instrument(tracing::info_span!("store", revision)).await?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    tracing::info!(
        read_and_count_ms = ms(read),
        plan_ms = ms(planned - read),
        charge_ms = ms(charged - planned),
        noise_ms = ms(noised - charged),
        store_ms = ms(started.elapsed() - noised),
        total_ms = ms(started.elapsed()),
        "release timings"
    );
    Ok(Made { release, stored, new: true })
}

/// Charges `rho` to `period` if the limits allow (the revision, and the caps), committing the
/// charge before any noise is drawn; returns the ledger entry and the revision it pays for (1, or
/// the next when `revise`).
#[tracing::instrument(name = "charge", skip_all, fields(period = %period, rho, revision))]
async fn charge(
    store: &Store,
    limits: &Limits,
    period: Period,
    rho: f64,
    revise: bool,
    now: Timestamp,
) -> Result<(i64, u32), ReleaseError> {
    let purpose = if revise { "revision" } else { "release" };
    let (ledger_id, revision) = store
        .charge(period, rho, purpose, &now.to_string(), |charges, latest| {
            if latest.is_some() != revise {
                return Err(ReleaseError::Raced(period));
            }
            let revision = latest.map_or(1, |r| r + 1);
            limits.check_revision(period, revision)?;
            let spent = Spending::from_charges(charges.iter().map(|c| (c.period, c.rho)));
            ledger::check(&spent, limits.caps, period, rho)?;
            Ok(revision)
        })
        .await?;
    tracing::Span::current().record("revision", revision);
    Ok((ledger_id, revision))
}

/// Exact cells with the noise a release would add (for a dry run: local, never sent).
struct Planned<'a> {
    exact: &'a [Vec<i64>],
    plans: &'a [TablePlan],
}

impl Cells for Planned<'_> {
    fn cell(&self, table: &str, cell: usize) -> Option<Noisy> {
        let i = self.plans.iter().position(|p| p.table.id == table)?;
        Some(Noisy::new(*self.exact.get(i)?.get(cell)? as f64, self.plans[i].sigma))
    }

    fn centre(&self, table: &str) -> f64 {
        self.plans.iter().find(|p| p.table.id == table).map_or(0.0, |p| p.table.centre())
    }
}

/// A headline measure in a dry run: the exact local figure and the half-width of the 95%
/// interval a release at the budget would give it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expected {
    /// The measure's id.
    pub measure: &'static str,
    /// What it measures.
    pub label: &'static str,
    /// Whether it is a proportion.
    pub proportion: bool,
    /// Its exact local value.
    pub exact: Option<f64>,
    /// Expected half-width of the 95% interval.
    pub half_width: Option<f64>,
}

/// What a release of `spec` at `rho` would show of `period`, spending nothing.
pub async fn dry_run(
    store: &Store,
    spec: SpecId,
    period: Period,
    rho: f64,
) -> Result<(usize, Vec<Expected>), ReleaseError> {
    let (exact, concluded) = exact_tables(store, spec, period).await?;
    Ok((concluded, expected(spec, &exact, rho)?))
}

/// The headline measures of the `exact` tables of `spec`, each with the half-width of the 95%
/// interval a release at `rho` would give it, read as the coordinator reads a release (tables
/// that other tables measure again combined: [`Combined`]); a preview at several budgets reads
/// the store once.
pub fn expected(spec: SpecId, exact: &[Vec<i64>], rho: f64) -> Result<Vec<Expected>, MechanismError> {
    let (plans, _) = plan(spec, rho)?;
    let cells = Combined::new(spec.spec(), Planned { exact, plans: &plans });
    Ok(Measure::ALL
        .iter()
        .map(|m| {
            let e = m.estimate(&cells);
            Expected {
                measure: m.id(),
                label: m.label(),
                proportion: m.is_proportion(),
                exact: e.map(|e| e.value),
                half_width: e.map(|e| e.half_width()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(s: &str) -> Period {
        s.parse().unwrap()
    }

    fn imported_at(finished_at: &str) -> ImportRecord {
        ImportRecord {
            id: 1,
            file_name: "cases.csv".into(),
            file_sha256: String::new(),
            finished_at: finished_at.into(),
            counts: Default::default(),
            rejects_file: None,
        }
    }

    #[test]
    fn release_without_a_period_means_the_last_finished_quarter() {
        let cases = [
            (time::macros::date!(2026 - 04 - 01), "2025-26-Q4"),
            (time::macros::date!(2026 - 06 - 30), "2025-26-Q4"),
            (time::macros::date!(2026 - 07 - 01), "2026-27-Q1"),
            (time::macros::date!(2026 - 10 - 15), "2026-27-Q2"),
            (time::macros::date!(2027 - 01 - 15), "2026-27-Q3"),
            (time::macros::date!(2027 - 03 - 31), "2026-27-Q3"),
        ];
        for (today, expected) in cases {
            assert_eq!(last_finished_quarter(today).unwrap(), period(expected), "on {today}");
        }
    }

    #[test]
    fn the_default_quarter_is_released_only_after_an_import_made_once_it_ended() {
        let q = period("2026-27-Q1");
        let none = check_imported_after(q, None).unwrap_err().to_string();
        assert!(none.contains("msp-node import") && none.contains("no budget was spent"), "{none}");
        let on_the_last_day = check_imported_after(q, Some(&imported_at("2026-06-30T23:00:00Z"))).unwrap_err();
        let on_the_last_day = on_the_last_day.to_string();
        assert!(on_the_last_day.contains("ended on 2026-06-30") && on_the_last_day.contains("--period 2026-27-Q1"));
        check_imported_after(q, Some(&imported_at("2026-07-01T06:00:00Z"))).unwrap();
    }
}
