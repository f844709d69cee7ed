//! The single log writer: one per process, it settles checked submissions in batches, each batch
//! in one transaction that no other writer (on any replica) can interleave with, and signs their
//! receipts.
//!
//! In the transaction, each submission in turn: a key revoked since it was checked is refused;
//! the same bytes as a stored submission get the receipt already given; different bytes for a
//! stored (council, period, revision) are a conflict; a release that would take its council's
//! published ρ past a cap of the network policy is refused (the ledger is read in the same
//! transaction and charged as the batch goes, so neither two replicas nor two submissions of one
//! batch can both slip under a cap); anything else becomes the next leaf of the log.

use std::sync::Arc;

use msp_protocol::jws;
use msp_schemas::{
    ProblemType,
    api::SubmissionAccepted,
    policy::SignedPolicy,
    release::{Receipt, ReceiptFormat, Sha256, Timestamp},
};
use tokio::sync::{RwLock, mpsc, oneshot};

use super::{Checked, Refused, limits, receipt_of};
use crate::{
    clock::Clock,
    signing_key::SigningKey,
    store::{CoordinatorStoreError, NewSubmission, Store},
};

/// The log's Merkle tree, kept in memory and brought up to date from the database before use
/// (another replica may have appended).
#[derive(Debug, Default)]
pub struct LogCache {
    tree: RwLock<msp_protocol::merkle::Tree>,
}

impl LogCache {
    /// The tree, synced with the database (a read: its errors are the store's).
    pub async fn synced(
        &self,
        store: &Store,
    ) -> Result<tokio::sync::RwLockWriteGuard<'_, msp_protocol::merkle::Tree>, CoordinatorStoreError> {
        let mut tree = self.tree.write().await;
        let stored = Store::log_size(store.db().pool()).await?;
        if stored > tree.size() {
            for leaf in Store::leaves_from(store.db().pool(), tree.size()).await? {
                tree.push(&leaf);
            }
        }
        Ok(tree)
    }
}

/// What the writer answers: the receipt, and whether this call logged the submission.
#[derive(Debug, Clone)]
pub struct Logged {
    /// The receipt and its signature.
    pub body: SubmissionAccepted,
    /// False when the same bytes had already been logged.
    pub new: bool,
}

type Job = (Checked, oneshot::Sender<Result<Logged, Refused>>);

/// The handle to the log writer.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    policy: Arc<SignedPolicy>,
    clock: Clock,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("policy", &self.policy.policy).finish_non_exhaustive()
    }
}

/// Most submissions settled in one transaction.
const BATCH: usize = 256;

/// What every batch is settled with.
struct Settler {
    store: Store,
    log: Arc<LogCache>,
    key: Arc<SigningKey>,
    clock: Clock,
    policy: Arc<SignedPolicy>,
}

impl Writer {
    /// Starts the writer task, which holds every submission to `policy`.
    pub fn spawn(
        store: Store,
        log: Arc<LogCache>,
        key: Arc<SigningKey>,
        clock: Clock,
        policy: Arc<SignedPolicy>,
    ) -> Self {
        let (jobs, mut rx) = mpsc::channel::<Job>(4 * BATCH);
        let settler = Settler { store, log, key, clock: clock.clone(), policy: policy.clone() };
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                settler.settle(batch).await;
            }
        });
        Self { jobs, policy, clock }
    }

    /// Holds a checked submission to the network policy, then logs it (or finds it already
    /// logged) and returns its receipt.
    #[tracing::instrument(
        name = "append",
        skip_all,
        fields(council = %checked.council, period = %checked.period, revision = checked.revision)
    )]
    pub async fn submit(&self, checked: Checked) -> Result<Logged, Refused> {
        limits::admit(&self.policy.policy, &checked.release, (self.clock)())?;
        let (reply, answer) = oneshot::channel();
        self.jobs.send((checked, reply)).await.map_err(|_| {
            Refused::new(ProblemType::Unavailable, "the coordinator is shutting down; send it again later")
        })?;
        answer.await.map_err(|_| {
            Refused::new(ProblemType::Unavailable, "the coordinator is shutting down; send it again later")
        })?
    }
}

impl Settler {
    async fn settle(&self, batch: Vec<Job>) {
        match self.settle_batch(&batch).await {
            Ok(results) => {
                for ((_, reply), result) in batch.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }

    #[tracing::instrument(name = "settle", skip_all, fields(submissions = batch.len()))]
    async fn settle_batch(&self, batch: &[Job]) -> Result<Vec<Result<Logged, Refused>>, Refused> {
        let Self { store, log, key, clock, policy } = self;
        let mut tree = log.tree.write().await;
        let mut tx = store.begin_append().await?;
        let stored = Store::log_size(&mut *tx).await?;
        if stored > tree.size() {
            for leaf in Store::leaves_from(&mut *tx, tree.size()).await? {
                tree.push(&leaf);
            }
        }
        let start = tree.size();
        let received_at = Timestamp::from(clock());
        let received = received_at.to_string();
        let identities: Vec<_> = batch.iter().map(|(c, _)| (c.council, c.period, c.revision)).collect();
        let mut known = store.by_identities(&mut tx, &identities).await?;
        let fingerprints: Vec<&str> = batch.iter().map(|(c, _)| c.fingerprint.as_str()).collect();
        let revoked = store.revoked_among(&mut tx, &fingerprints).await?;
        let councils: Vec<_> = batch.iter().map(|(c, _)| c.council).collect();
        let mut ledger = limits::Ledger::new(store.published_rho(&mut tx, &councils).await?);
        let mut rows = Vec::new();
        let mut results = Vec::with_capacity(batch.len());
        for (c, _) in batch {
            if revoked.contains(&c.fingerprint) {
                results.push(Err(Refused::new(
                    ProblemType::RevokedKey,
                    format!(
                        "the key {} of {} has been revoked: sign with the council's current key",
                        c.fingerprint, c.council
                    ),
                )));
                continue;
            }
            let identity = (c.council, c.period, c.revision);
            if let Some((sha, receipt_jws)) = known.get(&identity) {
                results.push(if *sha == c.sha {
                    receipt_of(receipt_jws).map(|receipt| Logged {
                        body: SubmissionAccepted { receipt, receipt_jws: receipt_jws.clone() },
                        new: false,
                    })
                } else {
                    Err(Refused::new(
                        ProblemType::Conflict,
                        format!(
                            "revision {} of {} for {} is already stored with different content: \
                             a corrected release must be a new revision (msp-node release --revise)",
                            c.revision, c.period, c.council
                        ),
                    ))
                });
                continue;
            }
            if let Err(refused) = ledger.charge(&policy.policy, c) {
                results.push(Err(refused));
                continue;
            }
            let index = tree.size();
            tree.push(&c.sha);
            let root = tree.root(index + 1).map_err(Refused::internal)?;
            let sha_hex = Sha256::from_bytes(c.sha);
            let receipt = Receipt {
                format: ReceiptFormat,
                submission_id: format!("sub_{}", &sha_hex.to_string()[..20]),
                council: c.council,
                period: c.period,
                revision: c.revision,
                jws_sha256: sha_hex,
                log_index: index,
                tree_size: index + 1,
                root_hash: Sha256::from_bytes(root),
                received_at,
            };
            let receipt_jws = key.sign_jws(jws::TYP_RECEIPT, &serde_json::to_vec(&receipt).map_err(Refused::internal)?);
            known.insert(identity, (c.sha.to_vec(), receipt_jws.clone()));
            rows.push(NewSubmission {
                log_index: index,
                submission_id: receipt.submission_id.clone(),
                council: c.council,
                period: c.period,
                revision: c.revision,
                spec: c.spec.as_str(),
                key_fingerprint: &c.fingerprint,
                jws_sha256: &c.sha,
                jws: &c.jws,
                payload: &c.payload,
                rho: c.rho(),
                received_at: &received,
                receipt_jws: receipt_jws.clone(),
            });
            results.push(Ok(Logged { body: SubmissionAccepted { receipt, receipt_jws }, new: true }));
        }
        if let Err(e) = store.insert(&mut tx, &rows).await {
            tree.truncate(start);
            return Err(Refused::internal(e));
        }
        if let Err(e) = tx.commit().await {
            tree.truncate(start);
            return Err(Refused::new(
                ProblemType::Unavailable,
                format!("the coordinator could not commit the submission ({e}); send it again"),
            ));
        }
        Ok(results)
    }
}
