//! Taking in a signed release: the checks (in the order DESIGN §7 requires) and the single log
//! writer that stores accepted submissions and signs their receipts.
//!
//! The signature is verified over the exact bytes before anything in the payload is read
//! ([`check`]). Then the release is held to the network policy ([`limits`]: the spec, ρ within
//! its range, the revision limit, plausible values and creation time). Then the writer
//! ([`writer`]), one per process, takes submissions in batches: in one transaction that no other
//! writer (on any replica) can interleave with, it settles each one — the same bytes again get
//! the receipt already given, different bytes for a stored (council, period, revision) are a
//! conflict, a release that would take its council's published ρ past a cap of the policy is
//! refused, anything else becomes the next leaf of the log — and commits, then answers. Batching
//! is what lets one serialised log take a thousand submissions a second on PostgreSQL, where
//! every commit waits for the disk.

pub mod limits;
pub mod writer;

pub use writer::{LogCache, Logged, Writer};

use std::collections::HashMap;

use msp_protocol::{Hash, jws, sha256};
use msp_schemas::{CouncilCode, Period, ProblemType, Release, SpecId, release::Receipt};
use time::Date;
use tracing::field::Empty;

use crate::store::{CoordinatorStoreError, CouncilKey, Store};

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
    /// The release, read from it (what the network policy is checked against).
    pub release: Release,
}

impl Checked {
    /// The ρ the release spends: what the coordinator's ledger charges its council.
    pub fn rho(&self) -> f64 {
        self.release.fields().privacy.rho
    }
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
/// key's council, a quarter that has ended by `today`). The network policy comes next, in
/// [`Writer::submit`], so that every path into the log is held to the policy the writer was given.
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
        release,
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

/// The receipt inside a receipt JWS this coordinator signed.
pub fn receipt_of(receipt_jws: &str) -> Result<Receipt, Refused> {
    serde_json::from_slice(&base64_payload(receipt_jws)?).map_err(Refused::internal)
}

fn base64_payload(jws: &str) -> Result<Vec<u8>, Refused> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let part = jws.split('.').nth(1).ok_or_else(|| Refused::internal("a stored receipt is not a JWS"))?;
    URL_SAFE_NO_PAD.decode(part).map_err(Refused::internal)
}
