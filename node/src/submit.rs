//! Sending releases to the coordinator, and holding it to its receipts (DESIGN §7).
//!
//! A release is signed once (Ed25519 is deterministic anyway) and kept in the outbox before it is
//! sent, so whatever fails — the network, the coordinator, this process — a retry sends the same
//! bytes, and the coordinator answers with the same receipt. Transient failures are retried with
//! bounded exponential back-off and jitter; refusals (a problem document) are not.
//!
//! A receipt is kept only once it checks out: signed by the coordinator's key (pinned on first
//! contact, over TLS, or an earlier key this node pinned before a rotation; see
//! [`crate::coordinator_key`]), for exactly the bytes sent, and — against a tree head fetched now
//! and signed with the key pinned now — included in the log, with the log at receipt time a prefix
//! of the log now.

use std::{path::Path, time::Duration};

use msp_protocol::{jws, merkle, sha256};
use msp_schemas::{
    Period, Problem, ProblemType, Release,
    api::{ConsistencyProof, CoordinatorKey, InclusionProof, SignedTreeHead, SubmissionAccepted, TreeHead},
    release::{Receipt, Sha256, Timestamp},
};
use rand::Rng;
use serde::de::DeserializeOwned;

use crate::{
    config::{ClientIdentity, DataDir, NodeConfig},
    coordinator_key::{self, Trusted, TrustedKeys},
    keys::{KeyError, SigningKey},
    store::{NodeStoreError, Outgoing, Store},
};

/// How failed requests are retried.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first wait.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Tries in all, the first included.
    pub tries: u32,
}

impl Default for Backoff {
    /// 0.5 s doubling to 30 s, ten tries: about three minutes before giving up.
    fn default() -> Self {
        Self { first: Duration::from_millis(500), max: Duration::from_secs(30), tries: 10 }
    }
}

impl Backoff {
    /// The wait before try `n` (1-based; the first try does not wait), with up to 50% jitter.
    fn wait(&self, n: u32) -> Duration {
        if n <= 1 || self.first.is_zero() {
            return Duration::ZERO;
        }
        let base = self.first.saturating_mul(1 << (n - 2).min(16)).min(self.max);
        base.mul_f64(0.5 + rand::rng().random::<f64>() * 0.5)
    }
}

/// Why a submission did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The coordinator refused it (this will not change by retrying).
    #[error("the coordinator refused {what}: {problem}")]
    Refused {
        /// What was refused.
        what: String,
        /// Its answer.
        problem: Problem,
    },
    /// The coordinator could not be reached, or kept failing.
    #[error(
        "the coordinator at {url} could not be reached after {tries} tries ({last}); the release stays in the outbox: run `msp-node submit` again later, or send it by hand with `msp-node export-submission`"
    )]
    Unreachable {
        /// The coordinator.
        url: String,
        /// Tries made.
        tries: u32,
        /// The last error.
        last: String,
    },
    /// The coordinator answered with something that does not check out.
    #[error(
        "the coordinator's answer does not check out: {0}. Nothing was accepted as proof; tell the coordinator's operator"
    )]
    Untrusted(String),
    /// The coordinator serves a key other than the one this node pinned.
    #[error(
        "the coordinator at {url} now signs with key {served}, but this node trusts key {pinned}, so nothing it \
         answers is accepted. If the coordinator's operator has announced a new key, check its fingerprint with them \
         by phone (or another channel than this connection), then run `msp-node trust-coordinator-key --fingerprint \
         <the fingerprint they read out>` and try again; if they have announced none, do not trust it and tell them"
    )]
    KeyChanged {
        /// The coordinator.
        url: String,
        /// The fingerprint of the key it serves.
        served: String,
        /// The fingerprint of the key this node pinned.
        pinned: String,
    },
    /// The fingerprint given to `trust-coordinator-key` is not the one of the key served.
    #[error(
        "the coordinator at {url} serves key {served}, not {given}: nothing was changed. Check the fingerprint with \
         the coordinator's operator again and run the command with the one they read out; if they confirm {given}, \
         the key this node is being served is not theirs (the connection may be intercepted): do not trust it, and \
         tell them"
    )]
    WrongFingerprint {
        /// The coordinator.
        url: String,
        /// The fingerprint of the key it serves.
        served: String,
        /// The fingerprint given.
        given: String,
    },
    /// The release needs approval first.
    #[error(
        "{0} revision {1} has not been approved for submission: run `msp-node approve --period {0} --by \"Your Name\"`"
    )]
    NotApproved(Period, u32),
    /// Nothing to do.
    #[error("{0}")]
    Nothing(String),
    /// The client could not be set up.
    #[error("could not set up the connection to the coordinator: {0}")]
    Setup(String),
    /// Keys.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] NodeStoreError),
}

/// A client for the coordinator's API.
#[derive(Debug, Clone)]
pub struct Coordinator {
    http: reqwest::Client,
    base: String,
    backoff: Backoff,
}

impl Coordinator {
    /// A client for `base` (https://…), trusting only `ca_cert` when one is given, or the
    /// platform's roots otherwise.
    pub fn new(base: &str, ca_cert: Option<&Path>, backoff: Backoff) -> Result<Self, SubmitError> {
        Self::with_identity(base, ca_cert, None, backoff)
    }

    /// As [`Coordinator::new`], presenting `identity`'s certificate to a coordinator that requires
    /// mutual TLS.
    pub fn with_identity(
        base: &str,
        ca_cert: Option<&Path>,
        identity: Option<&ClientIdentity>,
        backoff: Backoff,
    ) -> Result<Self, SubmitError> {
        if !base.starts_with("https://") {
            return Err(SubmitError::Setup(format!("{base} is not an https:// URL")));
        }
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("msp-node/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_cert {
            let pem = std::fs::read(path).map_err(|e| SubmitError::Setup(format!("{}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| SubmitError::Setup(format!("{} is not a PEM certificate: {e}", path.display())))?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(identity) = identity {
            builder = builder.identity(read_identity(identity)?);
        }
        let http = builder.build().map_err(|e| SubmitError::Setup(e.to_string()))?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), backoff })
    }

    /// The client for a node's configuration, with its client certificate when it has one.
    pub fn for_node(config: &NodeConfig, data: &DataDir, backoff: Backoff) -> Result<Self, SubmitError> {
        let identity = data.client_identity().map_err(|e| SubmitError::Setup(e.to_string()))?;
        Self::with_identity(&config.coordinator_url, data.ca_cert(config).as_deref(), identity.as_ref(), backoff)
    }

    /// Sends a request (made afresh for each try), retrying transient failures. Returns the
    /// status and body of the first non-transient answer.
    async fn send(
        &self,
        what: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), SubmitError> {
        let mut last = String::new();
        for n in 1..=self.backoff.tries {
            tokio::time::sleep(self.backoff.wait(n)).await;
            match make().send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.bytes().await {
                        Ok(body) if !matches!(status, 429 | 500 | 502 | 503 | 504) => {
                            return Ok((status, body.to_vec()));
                        }
                        Ok(_) => last = format!("HTTP {status}"),
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(e) => last = error_chain(&e),
            }
            tracing::warn!(what, try_ = n, error = %last, "request to the coordinator failed; will retry");
        }
        Err(SubmitError::Unreachable { url: self.base.clone(), tries: self.backoff.tries, last })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SubmitError> {
        let url = format!("{}{path}", self.base);
        let (status, body) = self.send(path, || self.http.get(&url)).await?;
        decode(path, status, &body)
    }

    /// A read of the benchmark API with a bearer token, as JSON.
    pub async fn read(&self, path: &str, token: &str) -> Result<serde_json::Value, SubmitError> {
        let url = format!("{}{path}", self.base);
        let (status, body) = self.send(path, || self.http.get(&url).bearer_auth(token)).await?;
        decode(path, status, &body)
    }

    /// The coordinator's receipt-signing key.
    pub async fn key(&self) -> Result<CoordinatorKey, SubmitError> {
        self.get("/v1/keys").await
    }

    /// The signed tree head now.
    pub async fn head(&self) -> Result<SignedTreeHead, SubmitError> {
        self.get("/v1/log/head").await
    }

    /// The inclusion proof of a JWS hash in the tree of `size` entries.
    pub async fn inclusion(&self, sha: &Sha256, size: u64) -> Result<InclusionProof, SubmitError> {
        self.get(&format!("/v1/log/inclusion?hash={sha}&tree_size={size}")).await
    }

    /// The consistency proof between two tree sizes.
    pub async fn consistency(&self, first: u64, second: u64) -> Result<ConsistencyProof, SubmitError> {
        self.get(&format!("/v1/log/consistency?first={first}&second={second}")).await
    }

    /// Posts a signed release; says whether the coordinator already held it (200, not 201).
    pub async fn post(&self, what: &str, jws: &str) -> Result<(SubmissionAccepted, bool), SubmitError> {
        let url = format!("{}/v1/submissions", self.base);
        let (status, body) = self
            .send(what, || self.http.post(&url).header("content-type", "application/jose").body(jws.to_owned()))
            .await?;
        Ok((decode(what, status, &body)?, status == 200))
    }
}

/// A client certificate and its key, as reqwest takes them: one PEM buffer with both.
fn read_identity(identity: &ClientIdentity) -> Result<reqwest::Identity, SubmitError> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| SubmitError::Setup(format!("{}: {e}", path.display())));
    let mut pem = read(&identity.cert)?;
    pem.push(b'\n');
    pem.extend(read(&identity.key)?);
    reqwest::Identity::from_pem(&pem).map_err(|e| {
        SubmitError::Setup(format!(
            "{} and {} are not a client certificate and its private key in PEM ({}): give the certificate chain \
             and a PKCS#8, PKCS#1 or SEC1 key",
            identity.cert.display(),
            identity.key.display(),
            error_chain(&e)
        ))
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn decode<T: DeserializeOwned>(what: &str, status: u16, body: &[u8]) -> Result<T, SubmitError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body)
            .map_err(|e| SubmitError::Untrusted(format!("{what}: unreadable answer ({e})")));
    }
    let problem = serde_json::from_slice::<Problem>(body).unwrap_or_else(|_| {
        Problem::new(
            ProblemType::Internal,
            format!("HTTP {status}: {}", String::from_utf8_lossy(body).chars().take(200).collect::<String>()),
        )
    });
    Err(SubmitError::Refused { what: what.to_owned(), problem })
}

/// The node's side of the protocol: its store, its key and the coordinator.
pub struct Submitter<'a> {
    /// The node's database.
    pub store: &'a Store,
    /// The node's configuration.
    pub config: &'a NodeConfig,
    /// The node's signing key.
    pub key: &'a SigningKey,
    /// The coordinator.
    pub coordinator: Coordinator,
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

impl Submitter<'_> {
    /// The coordinator's keys as this node trusts them, checked against the key it serves now
    /// (pinned on first contact; a different key later is refused).
    async fn coordinator_key(&self) -> Result<TrustedKeys, SubmitError> {
        let served = self.coordinator.key().await?;
        coordinator_key::trusted_keys(self.store, &served, &self.coordinator.base).await
    }

    /// Pins the key the coordinator serves now if its fingerprint is exactly `fingerprint`, keeping
    /// the key pinned until now for the receipts it signed (`msp-node trust-coordinator-key`).
    pub async fn trust_coordinator_key(&self, fingerprint: &str) -> Result<Trusted, SubmitError> {
        let served = self.coordinator.key().await?;
        coordinator_key::trust(self.store, &served, fingerprint, &self.coordinator.base).await
    }

    /// Signs (once) and queues the release `revision` of `period`, honouring approval.
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
        Ok(self.store.enqueue(period, revision, &jws, &sha, &Timestamp::now().to_string()).await?)
    }

    /// Sends one queued release and keeps the receipt once it checks out.
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
        let receipt = self.check_receipt(o, &answer.receipt_jws, &keys)?;
        if receipt != answer.receipt {
            return Err(SubmitError::Untrusted("the receipt beside the signature differs from the one signed".into()));
        }
        let head = self.check_in_log(&receipt, &keys).await?;
        self.store.receipted(o.period, o.revision, &answer.receipt_jws, &Timestamp::now().to_string()).await?;
        Ok(Submitted { receipt, repeated, checked_against: head })
    }

    /// A receipt's signature and content, for the release in `o`. The receipt may be signed with
    /// the key pinned now or one pinned before it: a receipt given before a rotation stays valid.
    fn check_receipt(&self, o: &Outgoing, receipt_jws: &str, keys: &TrustedKeys) -> Result<Receipt, SubmitError> {
        let untrusted = |why: String| SubmitError::Untrusted(why);
        let compact =
            jws::Compact::parse(receipt_jws, jws::TYP_RECEIPT).map_err(|e| untrusted(format!("receipt: {e}")))?;
        let key = keys.for_receipt(&compact.header.kid).ok_or_else(|| {
            untrusted(format!(
                "the receipt is signed with key {}, which this node has never trusted",
                compact.header.kid
            ))
        })?;
        let payload = compact.verify(key).map_err(|e| untrusted(format!("receipt: {e}")))?;
        let receipt: Receipt = serde_json::from_slice(&payload).map_err(|e| untrusted(format!("receipt: {e}")))?;
        if receipt.jws_sha256.to_string() != o.jws_sha256 {
            return Err(untrusted("the receipt is for different bytes from those sent".into()));
        }
        let release = Release::from_json(&payload_of(&o.jws)?).map_err(|e| untrusted(e.to_string()))?;
        if (receipt.council, receipt.period, receipt.revision)
            != (release.council(), release.period(), release.revision())
        {
            return Err(untrusted("the receipt names another council, quarter or revision".into()));
        }
        if receipt.log_index >= receipt.tree_size {
            return Err(untrusted("the receipt's log index is outside its tree".into()));
        }
        Ok(receipt)
    }

    /// Checks, against a tree head fetched now and signed with the key pinned now, that the
    /// receipt's entry is in the log and that the log at receipt time is a prefix of the log now.
    async fn check_in_log(&self, receipt: &Receipt, keys: &TrustedKeys) -> Result<TreeHead, SubmitError> {
        let untrusted = |why: String| SubmitError::Untrusted(why);
        let key = keys.for_tree_head();
        let signed = self.coordinator.head().await?;
        let compact = jws::Compact::parse(&signed.tree_head_jws, jws::TYP_TREE_HEAD)
            .map_err(|e| untrusted(format!("tree head: {e}")))?;
        let head: TreeHead =
            serde_json::from_slice(&compact.verify(key).map_err(|e| untrusted(format!("tree head: {e}")))?)
                .map_err(|e| untrusted(format!("tree head: {e}")))?;
        if head.tree_size < receipt.tree_size {
            return Err(untrusted(format!(
                "the log has {} entries but a receipt speaks of {}",
                head.tree_size, receipt.tree_size
            )));
        }
        let leaf = merkle::leaf_hash(receipt.jws_sha256.as_bytes());
        let proof = self.coordinator.inclusion(&receipt.jws_sha256, head.tree_size).await?;
        let path: Vec<[u8; 32]> = proof.audit_path.iter().map(|h| *h.as_bytes()).collect();
        if proof.leaf_index != receipt.log_index
            || !merkle::verify_inclusion(&leaf, receipt.log_index, head.tree_size, &path, head.root_hash.as_bytes())
        {
            return Err(untrusted("the release is not in the log where the receipt says".into()));
        }
        let consistent = if receipt.tree_size == head.tree_size {
            receipt.root_hash == head.root_hash
        } else {
            let c = self.coordinator.consistency(receipt.tree_size, head.tree_size).await?;
            let proof: Vec<[u8; 32]> = c.proof.iter().map(|h| *h.as_bytes()).collect();
            merkle::verify_consistency(
                receipt.tree_size,
                head.tree_size,
                receipt.root_hash.as_bytes(),
                head.root_hash.as_bytes(),
                &proof,
            )
        };
        if !consistent {
            return Err(untrusted("the log has been rewritten since the receipt was given".into()));
        }
        Ok(head)
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
        let receipt = self.check_receipt(o, o.receipt_jws.as_deref().expect("found with a receipt"), &keys)?;
        let head = self.check_in_log(&receipt, &keys).await?;
        Ok(Verified { receipt, head })
    }
}

/// The payload bytes of a compact JWS this node made.
fn payload_of(jws: &str) -> Result<Vec<u8>, SubmitError> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let part =
        jws.split('.').nth(1).ok_or_else(|| SubmitError::Untrusted("a stored submission is not a JWS".into()))?;
    URL_SAFE_NO_PAD.decode(part).map_err(|e| SubmitError::Untrusted(e.to_string()))
}
