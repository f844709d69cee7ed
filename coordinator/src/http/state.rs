//! What every handler shares: the database, the log writer and its tree, the caches, the
//! coordinator's signing key, the network policy it enforces, metrics and the clock.

use std::sync::Arc;

use msp_protocol::jws;
use msp_schemas::policy::{NetworkPolicy, SignedPolicy};

use crate::{
    auth::{Access, Publication, Role},
    benchmark::{Releases, Snapshot},
    clock::Clock,
    ingest::{KeyCache, LogCache, Writer},
    metrics::Metrics,
    signing_key::SigningKey,
    store::{CoordinatorStoreError, Store},
};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The log writer.
    pub writer: Writer,
    /// The log's tree.
    pub log: Arc<LogCache>,
    /// Enrolled keys read so far.
    pub keys: Arc<KeyCache>,
    /// The releases benchmarks are made from.
    pub releases: Arc<Releases>,
    /// The coordinator's signing key.
    pub key: Arc<SigningKey>,
    /// The network policy every submission is held to, and as `GET /v1/policy` serves it (signed).
    pub policy: Arc<SignedPolicy>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The clock.
    pub clock: Clock,
}

impl AppState {
    /// State over `store` under the default network policy, starting the log writer.
    pub fn new(store: Store, key: SigningKey, clock: Clock) -> Self {
        let log = Arc::new(LogCache::default());
        let key = Arc::new(key);
        let policy = Arc::new(sign(&key, NetworkPolicy::default()));
        let writer = Writer::spawn(store.clone(), log.clone(), key.clone(), clock.clone(), policy.clone());
        Self {
            store,
            writer,
            log,
            key,
            keys: Arc::new(KeyCache::default()),
            releases: Arc::new(Releases::new(policy.clone())),
            policy,
            metrics: Arc::new(Metrics::default()),
            clock,
        }
    }

    /// The same state under `policy` (the operator's, from `policy.toml`): the log writer is
    /// started again with it, so no submission is held to any other. Call it before serving.
    pub fn with_policy(mut self, policy: NetworkPolicy) -> Self {
        let policy = Arc::new(sign(&self.key, policy));
        self.writer =
            Writer::spawn(self.store.clone(), self.log.clone(), self.key.clone(), self.clock.clone(), policy.clone());
        self.releases = Arc::new(Releases::new(policy.clone()));
        self.policy = policy;
        self
    }

    /// What `role` (or the public, for `None`) may see now: the publication dates as the operator
    /// has set them, and today's date.
    pub async fn access(&self, role: Option<Role>) -> Result<Access, CoordinatorStoreError> {
        let publication = Arc::new(Publication::new(self.store.publication_dates().await?));
        let today = (self.clock)().date();
        Ok(Access { role, publication, today })
    }

    /// What a reader's request needs, with the publication dates read once: the releases (at
    /// `tree_size`, if given; `None` when the log is not that long) and what `role` (or the public)
    /// may see of them.
    pub async fn read_for(
        &self,
        role: Option<Role>,
        tree_size: Option<u64>,
    ) -> Result<(Option<Arc<Snapshot>>, Access), CoordinatorStoreError> {
        let (publication, today) = self.publication().await?;
        let published = |q| publication.date(q) <= today;
        let snap = match tree_size {
            Some(n) => self.releases.at(&self.store, n, &published).await?,
            None => Some(self.releases.current(&self.store, &published).await?),
        };
        Ok((snap, Access { role, publication: Arc::new(publication), today }))
    }

    /// The publication dates as the operator has set them, and today.
    async fn publication(&self) -> Result<(Publication, time::Date), CoordinatorStoreError> {
        Ok((Publication::new(self.store.publication_dates().await?), (self.clock)().date()))
    }

    /// The releases as the log holds them now.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, CoordinatorStoreError> {
        let (publication, today) = self.publication().await?;
        self.releases.current(&self.store, &|q| publication.date(q) <= today).await
    }
}

/// The policy with its JWS: the payload is exactly the policy's JSON, signed with the key that
/// signs receipts (`typ: msp-policy+jws`).
fn sign(key: &SigningKey, policy: NetworkPolicy) -> SignedPolicy {
    let json = serde_json::to_vec(&policy).expect("a policy serialises: finite numbers, no maps");
    let policy_jws = key.sign_jws(jws::TYP_POLICY, &json);
    SignedPolicy { policy, policy_jws }
}
