//! Sending releases to the coordinator, and holding it to its receipts (DESIGN §7).
//!
//! A release is signed once (Ed25519 is deterministic anyway) and kept in the outbox before it is
//! sent, so whatever fails — the network, the coordinator, this process — a retry sends the same
//! bytes, and the coordinator answers with the same receipt.
//!
//! - [`client`]: the coordinator's API over HTTPS, with retries;
//! - [`receipt`]: the checks a receipt must pass before it is kept;
//! - [`trust`]: the coordinator keys this node trusts, pinned on first contact, and their rotation;
//! - [`approval`]: who approved a release for submission;
//! - [`error`]: why any of it did not complete.
//!
//! [`Submitter`] puts them together: queue, send, verify, trust a new coordinator key.

pub mod approval;
pub mod client;
pub mod error;
pub mod receipt;
pub mod trust;

use msp_protocol::{jws, sha256};
use msp_schemas::{
    Period,
    api::TreeHead,
    release::{Receipt, Sha256},
};

pub use client::{Backoff, Coordinator};
pub use error::SubmitError;
pub use trust::{Trusted, TrustedKeys};

use crate::{
    clock::{self, Clock},
    config::NodeConfig,
    keys::SigningKey,
    store::{Outgoing, Store},
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
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The releases sent, with their receipts, in order.
    pub done: Vec<Submitted>,
    /// The releases passed over because they await approval (quarter, revision).
    pub waiting: Vec<(Period, u32)>,
}

impl Run {
    /// Whether there was nothing to send: every release had a receipt.
    pub fn was_empty(&self) -> bool {
        self.done.is_empty() && self.waiting.is_empty()
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
        if self.config.requires_approval() && self.store.approval(period, revision).await?.is_none() {
            return Err(SubmitError::NotApproved(period, revision));
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
        let what = format!("{} revision {}", o.period, o.revision);
        let (answer, repeated) = match self.coordinator.post(&what, &o.jws).await {
            Ok(a) => a,
            Err(e) => {
                self.store.attempted(o.period, o.revision, Some(&e.to_string())).await?;
                return Err(e);
            }
        };
        self.store.attempted(o.period, o.revision, None).await?;
        let receipt = receipt::check_receipt(o, &answer.receipt_jws, &keys)?;
        if receipt != answer.receipt {
            return Err(SubmitError::Untrusted("the receipt beside the signature differs from the one signed".into()));
        }
        let head = receipt::check_in_log(&self.coordinator, &receipt, &keys).await?;
        let at = clock::now(&self.clock).to_string();
        self.store.receipted(o.period, o.revision, &answer.receipt_jws, &at).await?;
        Ok(Submitted { receipt, repeated, checked_against: head })
    }

    /// Queues and sends every stored release that has no receipt yet (only those of `period`, if
    /// given), oldest first, calling `sent` after each one that is accepted. Without a `period`
    /// this is the scheduled run, which comes before anyone could approve: a release that awaits
    /// approval is passed over (and listed in [`Run::waiting`]) and the others are sent. With one,
    /// it is refused with [`SubmitError::NotApproved`]. The first other failure stops the run.
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
            todo.push((r.period, r.revision));
        }
        let mut run = Run::default();
        for (p, revision) in todo {
            let result = match self.queue(p, revision).await {
                Ok(o) => self.send(&o).await,
                Err(e) => Err(e),
            };
            match result {
                Err(SubmitError::NotApproved(p, revision)) if period.is_none() => run.waiting.push((p, revision)),
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
