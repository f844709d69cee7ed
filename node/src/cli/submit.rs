//! `msp-node approve`, `msp-node submit` and `msp-node export-submission`: approving releases,
//! sending them with their receipts checked ([`crate::submit`]), and writing one to a file for a
//! coordinator the node cannot reach. Neither sends nor writes a release that breaks the network's
//! policy: `submit` checks against the policy it fetches first, `export-submission` against the
//! one the node holds.

use std::path::PathBuf;

use clap::Args;
use msp_schemas::Period;
use msp_terminal::say;

use msp_schemas::{Release, release::Sha256};

use super::{CliError, headline_table, open_store, submitter_parts};
use crate::{
    audit::{Action, Actor, Event},
    clock::{self, Clock},
    config::{DataDir, write_atomic},
    keys::SigningKey,
    policy,
    store::{CorruptRecord, NodeStoreError, StoredRelease},
    submit::{Backoff, Coordinator, Submitter, approval, keeps_to_policy},
};

/// `msp-node approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// The revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
    /// Who approves it.
    #[arg(long)]
    pub by: String,
}

/// `msp-node submit`: fetches the network's policy first, then sends every release not yet
/// receipted that keeps to it. A release that breaks it (made under an older, looser policy) is
/// not sent and stays on the node: it is listed with what to do, the others are sent, and the
/// command then exits with an error. With --period, such a release is refused outright.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Only this quarter (default: every release not yet receipted; when node.toml asks for
    /// approval, those not yet approved are listed and passed over, as are those that break the
    /// network's policy, after which the command fails).
    #[arg(long)]
    pub period: Option<Period>,
    /// Print the receipts as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node export-submission`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// The revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Shows what is being approved, then records who approved it.
pub async fn approve(data: &DataDir, a: ApproveArgs, clock: &Clock) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let shown = match approval::revision_or_latest(&store, a.period, a.revision).await {
        Ok(revision) => store.release(a.period, Some(revision)).await.map_err(CliError::from),
        // approve() refuses it the same way, below.
        Err(_) => Ok(None),
    };
    let shown = match shown {
        Ok(s) => s,
        Err(e) => {
            store.db().close().await;
            return Err(e);
        }
    };
    if let Some(stored) = &shown {
        say!("{}", being_approved(stored)?.trim_end());
        say!();
    }
    // What was printed is what is approved: a revision made meanwhile is refused, not approved.
    let sha = shown.as_ref().map(|s| s.sha256());
    let revision = a.revision.or(shown.as_ref().map(|s| s.revision));
    let ask = approval::Request { period: a.period, revision, sha256: sha.as_deref() };
    let approved = approval::approve(&store, &config, ask, &Actor::command_line(Some(&a.by)), clock::now(clock)).await;
    store.db().close().await;
    let approved = approved?;
    say!(
        "{} revision {} of {} approved for submission by {} (SHA-256 {})",
        a.period,
        approved.revision,
        config.council,
        approved.by,
        approved.sha256
    );
    Ok(())
}

/// What `approve` shows of the release it approves: which it is, when it was made, what it spent,
/// the SHA-256 of its exact bytes, and its headline measures.
pub fn being_approved(stored: &StoredRelease) -> Result<String, CliError> {
    let release = Release::from_json(stored.document.as_bytes())
        .map_err(|e| NodeStoreError::Corrupt(CorruptRecord::new(format!("stored release: {e}"))))?;
    let f = release.fields();
    let sha = Sha256::from_bytes(msp_protocol::sha256(stored.document.as_bytes()));
    Ok(format!(
        "Approving {} revision {} for submission: made {}, spending ρ = {:.4} (ε = {:.2} at δ = {:e}).\n\
         SHA-256 of the release's exact bytes: {sha}\n\
         (`msp-node show-release --period {} --revision {}` prints those bytes; add --table to read every table.)\n\n{}",
        f.period,
        f.revision,
        stored.created_at,
        f.privacy.rho,
        f.privacy.epsilon,
        f.privacy.delta,
        f.period,
        f.revision,
        headline_table(&msp_estimate::ReleaseCells(f))
    ))
}

/// Sends every release without a receipt (or those of one quarter) and prints the receipts.
pub async fn submit(data: &DataDir, a: SubmitArgs, clock: Clock) -> Result<(), CliError> {
    let (config, store, key, coordinator) = submitter_parts(data).await?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator, clock, by: Actor::command_line(None) };
    let run = s
        .submit_pending(a.period, |period, revision, sub| {
            if !a.json {
                say!(
                    "{period} revision {revision}: {} as log entry {} (submission {}); receipt verified against the signed tree head of {} entries",
                    if sub.repeated { "already held by the coordinator" } else { "accepted" },
                    sub.receipt.log_index,
                    sub.receipt.submission_id,
                    sub.checked_against.tree_size
                );
            }
        })
        .await;
    store.db().close().await;
    let run = run?;
    if let (Some(held), false) = (&run.policy, a.json) {
        say!("Network policy fetched from the coordinator and verified ({}).", held.summary());
    }
    if run.was_empty() {
        say!(
            "Nothing to submit: every release{} has a receipt.",
            a.period.map(|p| format!(" of {p}")).unwrap_or_default()
        );
        return Ok(());
    }
    if a.json {
        say!("{}", serde_json::to_string_pretty(&run.done).expect("serialises"));
    }
    let notices = run.waiting.iter().map(|(period, revision)| awaiting_approval(*period, *revision));
    for notice in notices.chain(run.refused.iter().map(|e| e.to_string())) {
        // Standard output carries the JSON document when --json is given.
        if a.json {
            eprintln!("{notice}");
        } else {
            say!("{notice}");
        }
    }
    match run.refused.len() {
        0 => Ok(()),
        n => Err(CliError::Usage(format!(
            "{n} release{} not sent because {} the network's policy (see above)",
            if n == 1 { " was" } else { "s were" },
            if n == 1 { "it breaks" } else { "they break" }
        ))),
    }
}

/// What `msp-node submit` says of a release it passed over for want of approval.
pub fn awaiting_approval(period: Period, revision: u32) -> String {
    format!(
        "{period} revision {revision} awaits approval and was not sent: check it with `msp-node show-release --period \
         {period} --table`, approve it with `msp-node approve --period {period} --by \"Your Name\"`, then run `msp-node submit`"
    )
}

/// Signs (once) and writes a release to a file, for the coordinator's operator to take in.
pub async fn export_submission(data: &DataDir, a: ExportArgs, clock: Clock) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let key = SigningKey::load(&data.keys_dir())?;
    let revision = approval::revision_or_latest(&store, a.period, a.revision).await?;
    // The coordinator takes it in under its policy: write nothing that breaks the one held.
    let held = policy::held(&store).await?;
    if let Some(stored) = store.release(a.period, Some(revision)).await?
        && let Err(e) = keeps_to_policy(&held, a.period, revision, stored.document.as_bytes(), clock())
    {
        store.db().close().await;
        return Err(e.into());
    }
    // No network: the client is built but not used.
    let coordinator = Coordinator::new("https://unused.invalid", None, Backoff::default())?;
    let by = Actor::command_line(None);
    let s = Submitter { store: &store, config: &config, key: &key, coordinator, clock: clock.clone(), by: by.clone() };
    let written = async {
        let o = s.queue(a.period, revision).await?;
        write_atomic(&a.out, o.jws.as_bytes(), false)?;
        let event = Event {
            actor: &by,
            action: Action::Export,
            release: Some((a.period, revision)),
            detail: format!("to {} (SHA-256 of the JWS {})", a.out.display(), o.jws_sha256),
        };
        store.record(&clock::now(&clock).to_string(), &event).await?;
        Ok::<_, CliError>(o)
    }
    .await;
    store.db().close().await;
    let o = written?;
    say!(
        "Wrote the signed release {} revision {revision} to {} (SHA-256 {}). The coordinator's operator takes it in with \
         `msp-coordinator submission import {}`.",
        a.period,
        a.out.display(),
        o.jws_sha256,
        a.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_passed_over_for_approval_says_how_to_approve_and_send_it() {
        let notice = awaiting_approval("2026-27-Q1".parse().unwrap(), 2);
        assert!(notice.starts_with("2026-27-Q1 revision 2 awaits approval and was not sent"), "{notice}");
        assert!(notice.contains("msp-node approve --period 2026-27-Q1 --by") && notice.contains("msp-node submit"));
    }
}
