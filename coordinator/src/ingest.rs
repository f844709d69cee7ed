//! Taking in a signed release: the checks (in the order DESIGN §7 requires) and the single log
//! writer that stores accepted submissions and signs their receipts.
//!
//! The signature is verified over the exact bytes before anything in the payload is read. Then
//! the writer, one per process, takes submissions in batches: in one transaction that no other
//! writer (on any replica) can interleave with, it settles each one — the same bytes again get
//! the receipt already given, different bytes for a stored (council, period, revision) are a
//! conflict, anything else becomes the next leaf of the log — and commits, then answers. Batching
//! is what lets one serialised log take a thousand submissions a second on PostgreSQL, where
//! every commit waits for the disk.

use std::{collections::HashMap, sync::Arc};

use msp_protocol::{Hash, jws, sha256};
use msp_schemas::{
    CouncilCode, Period, ProblemType, Release, SpecId,
    api::SubmissionAccepted,
    release::{Receipt, ReceiptFormat, Sha256, Timestamp},
};
use time::Date;
use tokio::sync::{RwLock, mpsc, oneshot};
use tracing::field::Empty;

use crate::{
    clock::Clock,
    signing_key::SigningKey,
    store::{CoordinatorStoreError, CouncilKey, NewSubmission, Store},
};

/// Largest accepted submission body.
pub const MAX_BODY: usize = 1024 * 1024;

/// A refusal, as a problem type and what to say about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct Refused {
    /// The problem type.
    pub kind: ProblemType,
    /// What went wrong and what to do.
    pub detail: String,
}

impl Refused {
    /// A refusal of kind `kind`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into() }
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "submission failed inside the coordinator");
        Self::new(ProblemType::Internal, "the coordinator could not store the submission; send it again later")
    }
}

impl From<CoordinatorStoreError> for Refused {
    fn from(e: CoordinatorStoreError) -> Self {
        Refused::internal(e)
    }
}

/// A submission that passed every check and waits to be logged.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The council (the signing key's).
    pub council: CouncilCode,
    /// The quarter.
    pub period: Period,
    /// The revision.
    pub revision: u32,
    /// The spec.
    pub spec: SpecId,
    /// The signing key's thumbprint.
    pub fingerprint: String,
    /// The JWS exactly as received.
    pub jws: String,
    /// Its SHA-256.
    pub sha: Hash,
    /// The release JSON.
    pub payload: String,
}

/// Enrolled keys, remembered once read: a fingerprint's public key never changes, and
/// revocation, which can happen at any moment, is checked again inside the log transaction.
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: std::sync::RwLock<HashMap<String, CouncilKey>>,
}

impl KeyCache {
    async fn get(&self, store: &Store, fingerprint: &str) -> Result<Option<CouncilKey>, Refused> {
        if let Some(k) = self.keys.read().expect("key cache lock").get(fingerprint) {
            return Ok(Some(k.clone()));
        }
        let found = store.key(fingerprint).await?;
        if let Some(k) = &found {
            self.keys.write().expect("key cache lock").insert(fingerprint.to_owned(), k.clone());
        }
        Ok(found)
    }
}

/// Checks a submitted body, in order: a compact JWS of a release; a known, unrevoked key; a
/// signature that verifies; only then the payload (spec supported, exactly msp-release/1, the
/// key's council, a quarter that has ended by `today`).
///
/// Its span names the council, period and revision once the signature holds and the payload has
/// been read; never the key or anything in the release's tables.
#[tracing::instrument(name = "check", skip_all, fields(council = Empty, period = Empty, revision = Empty))]
pub async fn check(store: &Store, keys: &KeyCache, body: &[u8], today: Date) -> Result<Checked, Refused> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Refused::new(ProblemType::MalformedJws, "the body is not text: send the compact JWS as ASCII"))?;
    let (key, payload) = verify(store, keys, text).await?;
    let span = tracing::Span::current();
    span.record("council", tracing::field::display(key.council));

    // The signature holds: now the payload may be read.
    let value: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| Refused::new(ProblemType::InvalidRelease, format!("the payload is not JSON: {e}")))?;
    if let Some(spec) = value.get("spec").and_then(|s| s.as_str())
        && spec.parse::<SpecId>().is_err()
    {
        return Err(Refused::new(
            ProblemType::UnsupportedSpec,
            format!("{spec:?} is not a report spec this coordinator supports (msp-quarterly/1)"),
        ));
    }
    let release = Release::from_json(&payload).map_err(|e| {
        Refused::new(ProblemType::InvalidRelease, format!("the payload is not a valid msp-release/1: {e}"))
    })?;
    span.record("period", tracing::field::display(release.period()));
    span.record("revision", release.revision());
    if release.council() != key.council {
        return Err(Refused::new(
            ProblemType::CouncilMismatch,
            format!("the release is for {} but the key belongs to {}", release.council(), key.council),
        ));
    }
    let period = release.period();
    if period.last_day() >= today {
        return Err(Refused::new(
            ProblemType::InvalidPeriod,
            format!("{period} has not ended (it ends on {}): releases are for complete quarters", period.last_day()),
        ));
    }
    Ok(Checked {
        council: key.council,
        period,
        revision: release.revision(),
        spec: release.spec(),
        fingerprint: key.fingerprint,
        jws: text.trim_end_matches(['\r', '\n']).to_owned(),
        sha: sha256(text.trim_end_matches(['\r', '\n']).as_bytes()),
        payload: String::from_utf8(payload).map_err(Refused::internal)?,
    })
}

/// The first checks: a compact JWS of a release, signed by a known, unrevoked key, whose
/// signature verifies over the exact bytes. Returns the key and the payload, unread.
#[tracing::instrument(name = "verify", skip_all)]
async fn verify(store: &Store, keys: &KeyCache, text: &str) -> Result<(CouncilKey, Vec<u8>), Refused> {
    let compact = jws::Compact::parse(text, jws::TYP_RELEASE)
        .map_err(|e| Refused::new(ProblemType::MalformedJws, e.to_string()))?;
    let kid = &compact.header.kid;
    let key = keys.get(store, kid).await?.ok_or_else(|| {
        Refused::new(
            ProblemType::UnknownKey,
            format!("no council key has the fingerprint {kid:?}: the council must be enrolled with this key first"),
        )
    })?;
    if let Some(at) = &key.revoked_at {
        return Err(Refused::new(
            ProblemType::RevokedKey,
            format!("the key {kid} of {} was revoked at {at}: sign with the council's current key", key.council),
        ));
    }
    let public = msp_protocol::keys::decode_public_key(&key.public_key).map_err(Refused::internal)?;
    let payload = compact.verify(&public).map_err(|e| Refused::new(ProblemType::BadSignature, e.to_string()))?;
    Ok((key, payload))
}

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
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// Most submissions settled in one transaction.
const BATCH: usize = 256;

impl Writer {
    /// Starts the writer task.
    pub fn spawn(store: Store, log: Arc<LogCache>, key: Arc<SigningKey>, clock: Clock) -> Self {
        let (jobs, mut rx) = mpsc::channel::<Job>(4 * BATCH);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                settle(&store, &log, &key, &clock, batch).await;
            }
        });
        Self { jobs }
    }

    /// Logs a checked submission (or finds it already logged) and returns its receipt.
    #[tracing::instrument(
        name = "append",
        skip_all,
        fields(council = %checked.council, period = %checked.period, revision = checked.revision)
    )]
    pub async fn submit(&self, checked: Checked) -> Result<Logged, Refused> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send((checked, reply)).await.map_err(|_| {
            Refused::new(ProblemType::Unavailable, "the coordinator is shutting down; send it again later")
        })?;
        answer.await.map_err(|_| {
            Refused::new(ProblemType::Unavailable, "the coordinator is shutting down; send it again later")
        })?
    }
}

/// The receipt inside a receipt JWS this coordinator signed.
pub fn receipt_of(receipt_jws: &str) -> Result<Receipt, Refused> {
    serde_json::from_slice(&base64_payload(receipt_jws)?).map_err(Refused::internal)
}

fn base64_payload(jws: &str) -> Result<Vec<u8>, Refused> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let part = jws.split('.').nth(1).ok_or_else(|| Refused::internal("a stored receipt is not a JWS"))?;
    URL_SAFE_NO_PAD.decode(part).map_err(Refused::internal)
}

async fn settle(store: &Store, log: &LogCache, key: &SigningKey, clock: &Clock, batch: Vec<Job>) {
    let outcome = settle_batch(store, log, key, clock, &batch).await;
    match outcome {
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
async fn settle_batch(
    store: &Store,
    log: &LogCache,
    key: &SigningKey,
    clock: &Clock,
    batch: &[Job],
) -> Result<Vec<Result<Logged, Refused>>, Refused> {
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
