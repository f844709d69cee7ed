//! The end-to-end harness: a real coordinator on a loopback port over real TLS (a development
//! CA made for the test), on a fresh database, and nodes that talk to it.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use msp_coordinator::{
    clock::Clock,
    http::{AppState, router},
    signing_key::SigningKey,
    store::Store,
    tls,
};
use msp_web::server::{Limits, Server};
use tokio::{sync::oneshot, task::JoinHandle};

mod node;
pub use node::{NodeSpec, TestNode};

/// Exact tables of a spec (in its order) as cells without noise: what a measure's true value is
/// computed from.
pub struct ExactTables<'a>(pub &'a [Vec<i64>], pub msp_schemas::SpecId);

impl<'a> ExactTables<'a> {
    /// Exact `msp-quarterly/1` tables.
    pub fn v1(tables: &'a [Vec<i64>]) -> Self {
        Self(tables, msp_schemas::SpecId::MspQuarterlyV1)
    }
}

impl msp_estimate::Cells for ExactTables<'_> {
    fn cell(&self, table: &str, cell: usize) -> Option<msp_estimate::Noisy> {
        let i = self.1.spec().position(table)?;
        Some(msp_estimate::Noisy { value: *self.0.get(i)?.get(cell)? as f64, variance: 0.0 })
    }

    fn centre(&self, table: &str) -> f64 {
        self.1.spec().table(table).map_or(0.0, |t| t.centre())
    }
}

/// Installs the process's TLS crypto provider (ring), once.
pub fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A coordinator serving HTTPS on loopback for one test.
pub struct TestCoordinator {
    /// Its base URL (`https://localhost:PORT`).
    pub base: String,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The CA certificate that signs its TLS certificate.
    pub ca: PathBuf,
    /// Its data directory.
    pub dir: PathBuf,
    /// Its database.
    pub store: Store,
    /// Its database's URL.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// How a test coordinator is set up.
pub struct Options {
    /// The address to bind (port 0 for any).
    pub addr: SocketAddr,
    /// The clock it reads.
    pub clock: Clock,
    /// Wraps the router (to inject faults at the transport boundary).
    pub wrap: Box<dyn FnOnce(axum::Router) -> axum::Router + Send>,
    /// The transport's deadlines and connection caps.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:0".parse().expect("an address"),
            clock: Arc::new(time::OffsetDateTime::now_utc),
            wrap: Box::new(|r| r),
            limits: Limits::default(),
        }
    }
}

impl TestCoordinator {
    /// Starts a coordinator with its data in `dir` and its database at `url`.
    pub async fn start(dir: PathBuf, url: &str, options: Options) -> Self {
        crypto();
        let store = Store::open(url).await.expect("the coordinator's database opens");
        let dev = tls::dev_tls(&dir.join("tls")).expect("development TLS");
        let config = tls::server_config(&dev.cert, &dev.key).expect("TLS configuration");
        let key = SigningKey::load_or_create(&dir.join("keys")).expect("signing key");
        // The network policy as `serve` reads it: `policy.toml` in the data directory, else the defaults.
        let policy = msp_coordinator::config::DataDir::new(&dir).policy_from(None).expect("the network policy");
        let state = AppState::new(store.clone(), key, options.clock).with_policy(policy.policy);
        let app = (options.wrap)(router(state));
        let server =
            Server::build_with(options.addr, config, app, options.limits).await.expect("the coordinator binds");
        let addr = server.local_addr().expect("an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            base: format!("https://localhost:{}", addr.port()),
            addr,
            ca: dev.ca_cert,
            dir,
            store,
            url: url.to_owned(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops serving (gracefully) and waits until it has.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.store.db().close().await;
    }

    /// Stops it and starts it again on the same address, data and database.
    pub async fn restart(self) -> Self {
        let (dir, url, addr) = (self.dir.clone(), self.url.clone(), self.addr);
        self.stop().await;
        Self::start(dir, &url, Options { addr, ..Options::default() }).await
    }

    /// A new read token for `role` (`national`, `region:london`, `council:E06000001`, `admin`).
    pub async fn token(&self, role: &str) -> String {
        let role = role.parse().expect("a role");
        msp_coordinator::tokens::create_token(&self.store, role, "test").await.expect("a token").0
    }

    /// GETs `path` with `token` and returns the JSON answer, which must be a success.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let r = self.client().get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("an answer");
        let status = r.status();
        let body = r.text().await.expect("a body");
        assert!(status.is_success(), "GET {path}: {status} {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// An HTTPS client trusting only this coordinator's CA.
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca).expect("the CA file");
        reqwest::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("PEM"))
            .build()
            .expect("a client")
    }

    /// Enrols a council key.
    pub async fn enrol(&self, council: &str, public_key: &[u8]) {
        let key = msp_protocol::keys::encode_public_key(public_key);
        msp_coordinator::councils::enrol(&self.store, council.parse().expect("a council"), &key, None)
            .await
            .expect("enrolment");
    }

    /// Submissions stored.
    pub async fn stored(&self) -> u64 {
        msp_coordinator::store::Store::log_size(self.store.db().pool()).await.expect("a count")
    }
}

/// A whole network built by the real node code (`msp-demo`): a coordinator on SQLite
/// over development TLS, and councils' nodes that imported synthetic data, released and submitted.
pub struct DemoNetwork {
    /// The coordinator's base URL (`https://localhost:PORT`).
    pub base: String,
    /// The CA certificate that signs its TLS certificate.
    pub ca: PathBuf,
    /// A national analyst's token.
    pub token: String,
    /// The coordinator's data directory.
    pub coordinator_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl DemoNetwork {
    /// Builds a network of the register's first `councils` councils over `quarters` quarters,
    /// its coordinator on SQLite.
    pub async fn start(councils: usize, quarters: u32) -> Self {
        Self::start_on(None, councils, quarters).await
    }

    /// The same, its coordinator on the database at `url` when one is given.
    pub async fn start_on(url: Option<&str>, councils: usize, quarters: u32) -> Self {
        crypto();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = msp_demo::DemoOptions {
            dir: dir.path().join("demo"),
            councils,
            quarters,
            listen: "127.0.0.1:0".parse().expect("an address"),
            parallel: 2,
            progress: false,
            database_url: url.map(str::to_owned),
        };
        let (ready_tx, ready_rx) = oneshot::channel::<(String, PathBuf, String)>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            msp_demo::run(
                options,
                |d: &msp_demo::Demo| {
                    let _ =
                        ready_tx.send((d.url.trim_end_matches("/dashboard").to_owned(), d.ca.clone(), d.token.clone()));
                },
                async {
                    let _ = stopped.await;
                },
            )
            .await
            .expect("the demo network builds");
        });
        let (base, ca, token) = tokio::time::timeout(std::time::Duration::from_secs(600), ready_rx)
            .await
            .expect("the network is built within ten minutes")
            .expect("the network reports it is ready");
        Self {
            base,
            ca,
            token,
            coordinator_dir: dir.path().join("demo/coordinator"),
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// A second connection to the coordinator's database, as its CLI would open.
    pub async fn store(&self) -> Store {
        Store::open(&msp_store::sqlite_url(&self.coordinator_dir.join("coordinator.db")))
            .await
            .expect("the coordinator's database opens")
    }

    /// An HTTPS client trusting only the network's CA, which does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca).expect("the CA file");
        reqwest::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("PEM"))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
    }

    /// Stops the coordinator and waits until it has.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("the demo ends cleanly");
        }
    }
}

/// The real browser the browser tests drive: `tests/browser` (the scripts and their npm packages)
/// and the Chromium to run. `None` when something is missing, after saying what to install: the
/// caller skips — unless `MSP_REQUIRE_BROWSER=1` (as `.ci/run` sets), when a missing browser
/// fails the test.
pub fn browser(test: &str) -> Option<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser");
    let chromium = std::env::var("MSP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing = if std::process::Command::new("node").arg("--version").output().is_err() {
        Some("Node.js (apt-get install nodejs npm)".to_owned())
    } else if !std::path::Path::new(&chromium).exists() {
        Some(format!("Chromium at {chromium} (apt-get install chromium, or set MSP_CHROMIUM)"))
    } else if !dir.join("node_modules/playwright-core").exists() || !dir.join("node_modules/axe-core").exists() {
        Some(format!("the npm packages (npm ci --prefix {})", dir.display()))
    } else {
        None
    };
    match missing {
        None => Some((dir, chromium)),
        Some(what) if std::env::var("MSP_REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
            panic!("{test} needs {what}")
        }
        Some(what) => {
            eprintln!("SKIPPED {test}: it needs {what}. .ci/run installs everything it needs.");
            None
        }
    }
}
