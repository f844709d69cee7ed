//! The coordinator's API as the node calls it: an HTTPS-only client (the coordinator's CA, or the
//! platform's roots; a client certificate for mutual TLS), with bounded exponential back-off and
//! jitter for transient failures. A refusal (a problem document) is never retried.
//!
//! Two limits hold whatever answers (DESIGN §7). No redirect is followed: a 3xx answer is refused
//! with its `Location` named, since following one would send the signed release, or the council's
//! token, to wherever it points. And no answer is read beyond [`MAX_ANSWER_BYTES`]: the body is
//! read in chunks and the connection dropped once the limit is passed, so a server that streams
//! without end cannot take the node's memory.

use std::{path::Path, time::Duration};

use msp_schemas::{
    Problem, ProblemType,
    api::{ConsistencyProof, CoordinatorKey, InclusionProof, SignedTreeHead, SubmissionAccepted},
    policy::SignedPolicy,
    release::Sha256,
};
use rand::Rng;
use serde::de::DeserializeOwned;

use super::error::SubmitError;
use crate::config::{ClientIdentity, DataDir, NodeConfig};

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

/// The most this node reads of any answer from the coordinator: 4 MiB. The largest answers it
/// asks for are the benchmarks `msp-node compare` reads (a comparison of two groups, every cell of
/// every table with its interval), which stay below 100 KiB however many councils submit, since
/// they are aggregates; proofs grow with the logarithm of the log's size. 4 MiB leaves forty times
/// that for later spec versions, and is still nothing to the node's memory.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// How long one request may take, connection and answer included, unless the client is made
/// with [`Coordinator::once_within`].
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client for the coordinator's API.
#[derive(Debug, Clone)]
pub struct Coordinator {
    http: reqwest::Client,
    base: String,
    backoff: Backoff,
    timeout: Duration,
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
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
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
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), backoff, timeout: REQUEST_TIMEOUT })
    }

    /// The same client making one try per request, each given at most `timeout` from connecting
    /// to the answer's last byte: for a look at the coordinator that must not hold up work that
    /// can go on without it (`msp-node release` refreshing the network policy).
    pub fn once_within(mut self, timeout: Duration) -> Self {
        self.backoff = Backoff { first: Duration::ZERO, max: Duration::ZERO, tries: 1 };
        self.timeout = timeout;
        self
    }

    /// The client for a node's configuration, with its client certificate when it has one.
    pub fn for_node(config: &NodeConfig, data: &DataDir, backoff: Backoff) -> Result<Self, SubmitError> {
        let identity = data.client_identity().map_err(|e| SubmitError::Setup(e.to_string()))?;
        Self::with_identity(&config.coordinator_url, data.ca_cert(config).as_deref(), identity.as_ref(), backoff)
    }

    /// Sends a request (made afresh for each try), retrying transient failures. Returns the
    /// status and body of the first non-transient answer. A redirect or an answer over
    /// [`MAX_ANSWER_BYTES`] is refused at once, never retried: neither is a passing fault.
    async fn send(
        &self,
        what: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), SubmitError> {
        let mut last = String::new();
        for n in 1..=self.backoff.tries {
            tokio::time::sleep(self.backoff.wait(n)).await;
            match make().timeout(self.timeout).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    if r.status().is_redirection() {
                        return Err(self.redirected(what, &r));
                    }
                    match read_limited(r, MAX_ANSWER_BYTES).await {
                        Ok(body) if !matches!(status, 429 | 500 | 502 | 503 | 504) => return Ok((status, body)),
                        Ok(_) => last = format!("HTTP {status}"),
                        Err(Body::TooLarge) => {
                            return Err(SubmitError::TooLarge {
                                url: self.base.clone(),
                                what: what.to_owned(),
                                limit: MAX_ANSWER_BYTES,
                            });
                        }
                        Err(Body::Failed(e)) => last = error_chain(&e),
                    }
                }
                Err(e) => last = error_chain(&e),
            }
            if n < self.backoff.tries {
                tracing::warn!(what, try_ = n, error = %last, "request to the coordinator failed; will retry");
            }
        }
        Err(SubmitError::Unreachable { url: self.base.clone(), tries: self.backoff.tries, last })
    }

    /// The refusal of a redirect, naming where it pointed.
    fn redirected(&self, what: &str, r: &reqwest::Response) -> SubmitError {
        let location = r.headers().get(reqwest::header::LOCATION).map_or_else(
            || "nowhere (no Location header)".to_owned(),
            |l| String::from_utf8_lossy(l.as_bytes()).chars().take(300).collect(),
        );
        SubmitError::Redirected { url: self.base.clone(), what: what.to_owned(), status: r.status().as_u16(), location }
    }

    /// The coordinator's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SubmitError> {
        let url = format!("{}{path}", self.base);
        let (status, body) = self.send(path, || self.http.get(&url)).await?;
        decode(path, status, &body)
    }

    /// A read of the benchmark API with a bearer token, as the answer type `T`.
    pub async fn read<T: DeserializeOwned>(&self, path: &str, token: &str) -> Result<T, SubmitError> {
        let url = format!("{}{path}", self.base);
        let (status, body) = self.send(path, || self.http.get(&url).bearer_auth(token)).await?;
        decode(path, status, &body)
    }

    /// The coordinator's receipt-signing key.
    pub async fn key(&self) -> Result<CoordinatorKey, SubmitError> {
        self.get("/v1/keys").await
    }

    /// The network's policy as the coordinator serves it, signature not yet checked
    /// ([`super::policy`] checks it).
    pub async fn policy(&self) -> Result<SignedPolicy, SubmitError> {
        let url = format!("{}/v1/policy", self.base);
        let (status, body) = self.send("/v1/policy", || self.http.get(&url)).await?;
        if status == 404 {
            return Err(SubmitError::NoPolicy { url: self.base.clone() });
        }
        decode("/v1/policy", status, &body)
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

/// Why an answer's body was not read.
enum Body {
    /// It ran past the limit.
    TooLarge,
    /// The connection failed.
    Failed(reqwest::Error),
}

/// Reads an answer's body in chunks, stopping as soon as it passes `limit` bytes (or says it will,
/// in its Content-Length): dropping the answer then closes the connection unread.
async fn read_limited(mut r: reqwest::Response, limit: usize) -> Result<Vec<u8>, Body> {
    if r.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Body::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(Body::Failed)? {
        if body.len() + chunk.len() > limit {
            return Err(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
