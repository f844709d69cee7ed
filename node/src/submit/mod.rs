//! Sending releases to the coordinator, and holding it to its receipts (DESIGN §7).
//!
//! A release is signed once (Ed25519 is deterministic anyway) and kept in the outbox before it is
//! sent, so whatever fails — the network, the coordinator, this process — a retry sends the same
//! bytes, and the coordinator answers with the same receipt.
//!
//! - [`client`]: the coordinator's API over HTTPS, with retries;
//! - [`receipt`]: the checks a receipt must pass before it is kept;
//! - [`trust`]: the coordinator keys this node trusts, pinned on first contact, and their rotation;
//! - [`policy`]: the network's policy, fetched and kept once its signature checks out;
//! - [`approval`]: who approved a release for submission;
//! - [`error`]: why any of it did not complete.
//!
//! [`Submitter`] puts them together: queue, send, verify, trust a new coordinator key. Before
//! anything is sent, the network's policy is fetched afresh and every release is checked against
//! it ([`NetworkPolicy::check_release`]): one made under an older, looser policy is not sent.

pub mod approval;
pub mod client;
pub mod error;
pub mod policy;
pub mod receipt;
pub mod trust;

use msp_protocol::{jws, sha256};
use msp_schemas::{
    Period, Release,
    api::TreeHead,
    policy::{NetworkPolicy, PolicyViolation},
    release::{Receipt, Sha256},
};

pub use client::{Backoff, Coordinator, MAX_ANSWER_BYTES};
pub use error::SubmitError;
pub use trust::{Trusted, TrustedKeys};

use crate::{
    audit::{Action, Actor, Event},
    clock::{self, Clock},
    config::NodeConfig,
    keys::SigningKey,
    policy::HeldPolicy,
    store::{CorruptRecord, NodeStoreError, Outgoing, Store},
};

/// The node's side of the protocol: its store, its key, the coordinator, and the clock that
/// stamps the outbox and the receipts.
pub struct Submitter<'a> {
    /// The node's database.
    pub store: &'a Store,
    /// The node's configuration.
    pub config: &'a NodeConfig,
    /// The node's signing key.
    pub key: &'a SigningKey,
    /// The coordinator.
    pub coordinator: Coordinator,
    /// Where the times recorded in the outbox come from.
    pub clock: Clock,
    /// Who is sending (recorded in the audit log with each submission).
    pub by: Actor,
}

/// What `submit` did with one release.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    /// The receipt.
    pub receipt: Receipt,
    /// Whether the coordinator already held it (a retry).
    pub repeated: bool,
    /// The tree head the receipt was checked against.
    pub checked_against: TreeHead,
}

/// What a verification of a stored receipt found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    /// The receipt.
    pub receipt: Receipt,
    /// The head it was checked against.
    pub head: TreeHead,
}

/// What one run of [`Submitter::submit_pending`] did.
#[derive(Debug, Default)]
pub struct Run {
    /// The releases sent, with their receipts, in order.
    pub done: Vec<Submitted>,
    /// The releases passed over because they await approval (quarter, revision).
    pub waiting: Vec<(Period, u32)>,
    /// The releases passed over because they break the network's policy: each a
    /// [`SubmitError::BreaksPolicy`], which says what to do.
    pub refused: Vec<SubmitError>,
    /// The policy they were checked against, fetched for this run (none when nothing was to be sent).
    pub policy: Option<HeldPolicy>,
}

impl Run {
    /// Whether there was nothing to send: every release had a receipt.
    pub fn was_empty(&self) -> bool {
        self.done.is_empty() && self.waiting.is_empty() && self.refused.is_empty()
    }
}

/// Whether the release `document` (of `period`, `revision`) keeps to `held`'s policy at `now`:
/// refused with [`SubmitError::BreaksPolicy`], saying what to do, if not.
pub fn keeps_to_policy(
    held: &HeldPolicy,
    period: Period,
    revision: u32,
    document: &[u8],
    now: time::OffsetDateTime,
) -> Result<(), SubmitError> {
    let release = Release::from_json(document)
        .map_err(|e| NodeStoreError::Corrupt(CorruptRecord::new(format!("stored release: {e}"))))?;
    held.policy.check_release(&release, now).map_err(|violation| SubmitError::BreaksPolicy {
        period,
        revision,
        policy: held.describe(),
        advice: advice(&held.policy, period, &violation),
        violation: Box::new(violation),
    })
}

/// What to do with a release the policy refuses.
fn advice(policy: &NetworkPolicy, period: Period, violation: &PolicyViolation) -> String {
    match violation {
        PolicyViolation::RhoPerRelease { .. } => format!(
            "Once node.toml's [budget] is within the network's limits (`msp-node policy` shows them), make a new \
             revision with `msp-node release --period {period} --revise` (it spends budget again) and submit that"
        ),
        PolicyViolation::Revision { .. } => format!(
            "The network takes at most {} releases of a quarter; the revisions of {period} it holds already stand",
            policy.max_revision
        ),
        PolicyViolation::Future { .. } => format!(
            "Once the clock is right, make a new revision with `msp-node release --period {period} --revise` and \
             submit that"
        ),
        PolicyViolation::Spec { .. } | PolicyViolation::TableShare { .. } | PolicyViolation::Implausible { .. } => {
            "Tell the coordinator's operator, quoting this message".into()
        }
    }
}

impl Submitter<'_> {
    /// The coordinator's keys as this node trusts them, checked against the key it serves now
    /// (pinned on first contact; a different key later is refused).
    async fn coordinator_key(&self) -> Result<TrustedKeys, SubmitError> {
        let served = self.coordinator.key().await?;
        trust::trusted_keys(self.store, &served, self.coordinator.url()).await
    }

    /// Pins the key the coordinator serves now if its fingerprint is exactly `fingerprint`, keeping
    /// the key pinned until now for the receipts it signed (`msp-node trust-coordinator-key`).
    pub async fn trust_coordinator_key(&self, fingerprint: &str) -> Result<Trusted, SubmitError> {
        let served = self.coordinator.key().await?;
        trust::trust(self.store, &served, fingerprint, self.coordinator.url()).await
    }

    /// Signs (once) and queues the release `revision` of `period`, honouring approval.
    #[tracing::instrument(name = "queue", skip_all, fields(council = %self.config.council, period = %period, revision))]
    pub async fn queue(&self, period: Period, revision: u32) -> Result<Outgoing, SubmitError> {
        if let Some(o) = self.store.outgoing(period, revision).await? {
            return Ok(o);
        }
        let stored = self.store.release(period, Some(revision)).await?.ok_or_else(|| {
            SubmitError::Nothing(format!(
                "{period} revision {revision} has not been released: run `msp-node release --period {period}`"
            ))
        })?;
        if self.config.requires_approval() {
            match self.store.approval(period, revision).await? {
                None => return Err(SubmitError::NotApproved(period, revision)),
                Some(a) if a.release_sha256.as_ref().is_some_and(|sha| *sha != stored.sha256()) => {
                    return Err(SubmitError::ApprovalMismatch(period, revision));
                }
                Some(_) => {}
            }
        }
        let jws = self.key.sign_jws(jws::TYP_RELEASE, stored.document.as_bytes());
        let sha = Sha256::from_bytes(sha256(jws.as_bytes())).to_string();
        Ok(self.store.enqueue(period, revision, &jws, &sha, &clock::now(&self.clock).to_string()).await?)
    }

    /// Sends one queued release and keeps the receipt once it checks out.
    #[tracing::instrument(
        name = "send",
        skip_all,
        fields(council = %self.config.council, period = %o.period, revision = o.revision)
    )]
    pub async fn send(&self, o: &Outgoing) -> Result<Submitted, SubmitError> {
        let keys = self.coordinator_key().await?;
        let held = self.fetch_policy(&keys).await?;
        keeps_to_policy(&held, o.period, o.revision, &receipt::payload_of(&o.jws)?, (self.clock)())?;
        self.post(o, &keys).await
    }

    /// The network's policy, fetched now, checked with `keys` and kept.
    async fn fetch_policy(&self, keys: &TrustedKeys) -> Result<HeldPolicy, SubmitError> {
        policy::fetch(self.store, &self.coordinator, keys, &clock::now(&self.clock).to_string()).await
    }

    /// Fetches the network's policy afresh, checks it and keeps it (`msp-node policy`).
    pub async fn refresh_policy(&self) -> Result<HeldPolicy, SubmitError> {
        let keys = self.coordinator_key().await?;
        self.fetch_policy(&keys).await
    }

    /// Posts one queued release, already checked against the policy, and keeps the receipt once
    /// it checks out.
    async fn post(&self, o: &Outgoing, keys: &TrustedKeys) -> Result<Submitted, SubmitError> {
        let what = format!("{} revision {}", o.period, o.revision);
        let (answer, repeated) = match self.coordinator.post(&what, &o.jws).await {
            Ok(a) => a,
            Err(e) => {
                let why = e.to_string();
                self.store.attempted(o.period, o.revision, Some(&why)).await?;
                let event = Event {
                    actor: &self.by,
                    action: Action::SubmitFailed,
                    release: Some((o.period, o.revision)),
                    detail: why,
                };
                self.store.record(&clock::now(&self.clock).to_string(), &event).await?;
                return Err(e);
            }
        };
        self.store.attempted(o.period, o.revision, None).await?;
        let receipt = receipt::check_receipt(o, &answer.receipt_jws, keys)?;
        if receipt != answer.receipt {
            return Err(SubmitError::Untrusted("the receipt beside the signature differs from the one signed".into()));
        }
        let head = receipt::check_in_log(&self.coordinator, &receipt, keys).await?;
        let at = clock::now(&self.clock).to_string();
        let event = Event {
            actor: &self.by,
            action: Action::Submit,
            release: Some((o.period, o.revision)),
            detail: format!(
                "receipted at log position {}{}",
                receipt.log_index,
                if repeated { " (sent before)" } else { "" }
            ),
        };
        self.store.receipted(o.period, o.revision, &answer.receipt_jws, &at, &event).await?;
        Ok(Submitted { receipt, repeated, checked_against: head })
    }

    /// Queues and sends every stored release that has no receipt yet (only those of `period`, if
    /// given), oldest first, calling `sent` after each one that is accepted. First, when there is
    /// anything to send, the network's policy is fetched afresh and kept ([`Run::policy`]), and
    /// each release is checked against it before it is signed or sent.
    ///
    /// Without a `period` this is the scheduled run, which comes before anyone could approve: a
    /// release that awaits approval is passed over (and listed in [`Run::waiting`]), one that
    /// breaks the policy too (listed in [`Run::refused`]), and the others are sent. With one, they
    /// are refused with [`SubmitError::NotApproved`] or [`SubmitError::BreaksPolicy`]. The first
    /// other failure stops the run.
    pub async fn submit_pending(
        &self,
        period: Option<Period>,
        mut sent: impl FnMut(Period, u32, &Submitted),
    ) -> Result<Run, SubmitError> {
        let mut todo = Vec::new();
        for r in self.store.releases().await? {
            if period.is_some_and(|p| p != r.period) {
                continue;
            }
            if self.store.outgoing(r.period, r.revision).await?.is_some_and(|o| o.receipt_jws.is_some()) {
                continue;
            }
            todo.push((r.document, r.period, r.revision));
        }
        let mut run = Run::default();
        if todo.is_empty() {
            return Ok(run);
        }
        let keys = self.coordinator_key().await?;
        let held = self.fetch_policy(&keys).await?;
        run.policy = Some(held.clone());
        for (document, p, revision) in todo {
            let result = match keeps_to_policy(&held, p, revision, document.as_bytes(), (self.clock)()) {
                Ok(()) => match self.queue(p, revision).await {
                    Ok(o) => self.post(&o, &keys).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match result {
                Err(SubmitError::NotApproved(p, revision)) if period.is_none() => run.waiting.push((p, revision)),
                Err(e @ SubmitError::BreaksPolicy { .. }) if period.is_none() => run.refused.push(e),
                Ok(sub) => {
                    sent(p, revision, &sub);
                    run.done.push(sub);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(run)
    }

    /// Re-checks a stored receipt against the log as it is now.
    pub async fn verify(&self, period: Period, revision: Option<u32>) -> Result<Verified, SubmitError> {
        let outbox = self.store.outbox(Some(period)).await?;
        let o = outbox
            .iter()
            .rev()
            .find(|o| o.receipt_jws.is_some() && revision.is_none_or(|r| r == o.revision))
            .ok_or_else(|| {
                SubmitError::Nothing(format!(
                    "there is no receipt for {period}: run `msp-node submit --period {period}`"
                ))
            })?;
        let keys = self.coordinator_key().await?;
        let receipt = receipt::check_receipt(o, o.receipt_jws.as_deref().expect("found with a receipt"), &keys)?;
        let head = receipt::check_in_log(&self.coordinator, &receipt, &keys).await?;
        Ok(Verified { receipt, head })
    }
}
