//! What every handler shares: the database, the log writer and its tree, the caches, the
//! coordinator's signing key, metrics and the clock.

use std::sync::Arc;

use crate::{
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
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The clock.
    pub clock: Clock,
}

impl AppState {
    /// State over `store`, starting the log writer.
    pub fn new(store: Store, key: SigningKey, clock: Clock) -> Self {
        let log = Arc::new(LogCache::default());
        let key = Arc::new(key);
        let writer = Writer::spawn(store.clone(), log.clone(), key.clone(), clock.clone());
        Self {
            store,
            writer,
            log,
            key,
            keys: Arc::new(KeyCache::default()),
            releases: Arc::new(Releases::default()),
            metrics: Arc::new(Metrics::default()),
            clock,
        }
    }

    /// The releases as the log holds them now.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, CoordinatorStoreError> {
        self.releases.current(&self.store).await
    }
}
