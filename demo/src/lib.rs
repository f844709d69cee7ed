//! msp-demo: the whole MSP Outcomes Network in one command.
//!
//! A coordinator on embedded SQLite with development TLS; then, for each council of the register
//! (all 153 by default), a real node — its own data directory, keys and SQLite database — with
//! synthetic case data for the last few quarters, going through the real import, release and
//! submit code over real HTTPS on loopback. Then the dashboard is served until Ctrl-C, and its
//! address and a national sign-in token are printed.
//!
//! It is a crate of its own because it is the one program that links both sides of the trust
//! boundary: the coordinator's crate depends on no node code, so its binary never carries case
//! import, synthetic data or a DP mechanism.

use std::{net::SocketAddr, path::PathBuf, time::Instant};

use futures_util::StreamExt;
use msp_node::{
    clock,
    config::{ContextConfig, NodeConfig},
    import::{ImportOptions, import_file},
    keys::{NodeSecret, SigningKey},
    release,
    store::Store as NodeStore,
    submit::{Backoff, Coordinator, Submitter},
};
use msp_schemas::{
    Council, Period,
    api::{Benchmark, BenchmarkAnswer},
    release::Timestamp,
};
use msp_synth::{self as synth, CouncilProfile, SynthOptions};
use msp_terminal::say;
use msp_web::server::{Server, shutdown_signal};

use msp_coordinator::{
    auth::Role,
    cli::CliError,
    clock::system_clock,
    councils::enrol,
    http::{AppState, router},
    signing_key::SigningKey as CoordinatorKey,
    store::Store,
    tls,
    tokens::create_token,
};

/// Why the demo stopped: the step and what went wrong in it.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The coordinator's side (its database, key, certificates, enrolment or tokens).
    #[error(transparent)]
    Coordinator(#[from] CliError),
    /// Anything else, with what to do.
    #[error("{0}")]
    Other(String),
}

/// What the demo builds.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where everything goes (wiped first: it is demo data).
    pub dir: PathBuf,
    /// How many councils of the register (in register order).
    pub councils: usize,
    /// How many quarters, ending with the last complete one.
    pub quarters: u32,
    /// Where the dashboard listens.
    pub listen: SocketAddr,
    /// Councils set up at once.
    pub parallel: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// The coordinator's database (default: SQLite in the demo's directory).
    pub database_url: Option<String>,
}

/// What the demo built, once the network is up.
#[derive(Debug)]
pub struct Demo {
    /// The dashboard's address.
    pub url: String,
    /// A national token.
    pub token: String,
    /// The CA certificate to trust.
    pub ca: PathBuf,
    /// Submissions made.
    pub submissions: usize,
    /// How long building the network took.
    pub seconds: f64,
    /// England's benchmark, fetched over HTTPS with the national token as an analyst would.
    pub england: Benchmark,
}

/// England's benchmark as an analyst would get it: `GET /v1/benchmarks` with a bearer token, read
/// as the API's own answer type.
async fn national(base: &str, ca: &std::path::Path, token: &str) -> Result<Benchmark, DemoError> {
    let pem = std::fs::read(ca).map_err(io)?;
    let client = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).map_err(io)?)
        .build()
        .map_err(io)?;
    let answer: BenchmarkAnswer = client
        .get(format!("{base}/v1/benchmarks"))
        .bearer_auth(token)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| io(format!("the national benchmark could not be fetched: {e}")))?
        .json()
        .await
        .map_err(|e| io(format!("the national benchmark could not be read: {e}")))?;
    Ok(answer.benchmark)
}

fn io(e: impl std::fmt::Display) -> DemoError {
    DemoError::Other(e.to_string())
}

/// The last complete quarter.
pub fn last_complete_quarter() -> Period {
    let today = time::OffsetDateTime::now_utc().date();
    Period::containing(today).ok().and_then(Period::previous).expect("today lies in a supported year")
}

/// Builds the network and serves it until `stop` completes; `ready` hears what was built.
pub async fn run(
    options: DemoOptions,
    ready: impl FnOnce(&Demo),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), DemoError> {
    let started = Instant::now();
    if options.dir.exists() {
        std::fs::remove_dir_all(&options.dir).map_err(io)?;
    }
    let cdir = options.dir.join("coordinator");
    std::fs::create_dir_all(&cdir).map_err(io)?;
    let url = options.database_url.clone().unwrap_or_else(|| msp_store::sqlite_url(&cdir.join("coordinator.db")));
    let store = Store::open(&url).await.map_err(CliError::from)?;
    let dev = tls::dev_tls(&cdir.join("tls")).map_err(CliError::from)?;
    let config = tls::server_config(&dev.cert, &dev.key).map_err(CliError::from)?;
    let key = CoordinatorKey::load_or_create(&cdir.join("keys")).map_err(CliError::from)?;
    let server = Server::build(options.listen, config, router(AppState::new(store.clone(), key, system_clock())))
        .await
        .map_err(|e| io(format!("could not listen on {}: {e}", options.listen)))?;
    let addr = server.local_addr().map_err(io)?;
    let base = format!("https://localhost:{}", addr.port());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stop_rx.await;
    }));

    let last = last_complete_quarter();
    let window = last.window(options.quarters.max(1) as usize);
    let councils: Vec<&'static Council> = Council::all().iter().take(options.councils.clamp(1, 153)).collect();
    let bar = msp_terminal::progress_bar(
        options.progress,
        councils.len() as u64,
        "{spinner} councils {bar:40} {pos}/{len} ({elapsed}, {eta} left) {msg}",
    );
    let ca = dev.ca_cert.clone();
    let results: Vec<Result<usize, DemoError>> = futures_util::stream::iter(0..councils.len())
        .map(|i| {
            let council: &'static Council = councils[i];
            let (store, base, ca, bar, window) = (store.clone(), base.clone(), ca.clone(), bar.clone(), window.clone());
            let dir = options.dir.join("nodes").join(council.code);
            async move {
                let n = node(&store, council, &dir, &base, &ca, &window, i as u64).await?;
                bar.set_message(council.name);
                bar.inc(1);
                Ok(n)
            }
        })
        .buffer_unordered(options.parallel.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let submissions = results.into_iter().sum::<Result<usize, DemoError>>()?;
    // A demo's quarters are published at once, as an operator would with `msp-coordinator
    // publication set`, so that every reader (and the open-data pages) sees every figure.
    let now = time::OffsetDateTime::now_utc();
    for q in &window {
        if msp_coordinator::auth::Publication::default_date(*q) > now.date() {
            store.set_publication_date(*q, now.date(), &now.to_string()).await.map_err(CliError::from)?;
        }
    }
    let (token, _) = create_token(&store, Role::National, "demo").await.map_err(CliError::from)?;
    let england = national(&base, &dev.ca_cert, &token).await?;
    let demo = Demo {
        url: format!("{base}/dashboard"),
        token,
        ca: dev.ca_cert,
        submissions,
        seconds: started.elapsed().as_secs_f64(),
        england,
    };
    ready(&demo);
    stop.await;
    let _ = stop_tx.send(());
    let _ = serving.await;
    store.db().close().await;
    Ok(())
}

/// One council's node: keys, database, synthetic data, import, a release per quarter, submission.
async fn node(
    coordinator: &Store,
    council: &'static Council,
    dir: &std::path::Path,
    base: &str,
    ca: &std::path::Path,
    window: &[Period],
    seed: u64,
) -> Result<usize, DemoError> {
    let code = council.council_code();
    let profile = CouncilProfile::of(code);
    let secret = NodeSecret::create(&dir.join("keys")).map_err(io)?;
    let key = SigningKey::create(&dir.join("keys")).map_err(io)?;
    enrol(coordinator, code, &key.public_key_b64(), Some(key.fingerprint())).await.map_err(CliError::from)?;
    let store = NodeStore::open(&msp_store::sqlite_url(&dir.join("node.db")), code).await.map_err(io)?;
    let last = *window.last().expect("at least one quarter");
    let options = SynthOptions {
        council: code,
        period: last,
        people: None,
        history_quarters: window.len() as u32 - 1,
        seed: 2026 + seed,
    };
    let csv = dir.join("cases.csv");
    synth::write(&options, &csv).map_err(io)?;
    let import = ImportOptions {
        mapping: None,
        rejects_path: None,
        rejects_dir: dir.join("rejects"),
        progress: false,
        clock: clock::system(),
        max_rejected: None,
    };
    import_file(&store, &secret, &csv, import).await.map_err(io)?;
    let config = NodeConfig {
        council: code,
        coordinator_url: base.to_owned(),
        ca_cert: Some(ca.to_owned()),
        database_url: None,
        context: Some(ContextConfig {
            team_model: profile.team_model,
            msp_level: profile.msp_level,
            recording_system: "synthetic demonstration data".into(),
            validated: true,
        }),
        budget: None,
        submission: None,
        web: None,
        spec: None,
    };
    let submitter = Submitter {
        store: &store,
        config: &config,
        key: &key,
        coordinator: Coordinator::new(base, Some(ca), Backoff::default()).map_err(io)?,
        clock: clock::system(),
        by: msp_node::audit::Actor::command_line(None),
    };
    for period in window {
        let made = release::release(&store, &config, *period, false, Timestamp::now()).await.map_err(io)?;
        let queued = submitter.queue(*period, made.release.revision()).await.map_err(io)?;
        submitter.send(&queued).await.map_err(io)?;
    }
    store.db().close().await;
    Ok(window.len())
}

/// The demo from the command line: builds, prints England's headline figures and where to look,
/// then serves the dashboard until Ctrl-C if `serve`, or stops (the data stays in the directory).
pub async fn command(options: DemoOptions, serve: bool) -> Result<(), DemoError> {
    let (councils, quarters) = (options.councils.clamp(1, 153), options.quarters);
    let cdir = options.dir.join("coordinator");
    let listen = options.listen;
    let ready = move |d: &Demo| {
        say!(
            "The MSP Outcomes Network ran: {councils} councils' nodes imported synthetic case records, made {quarters} {} \
             differentially private releases each and submitted {} signed releases over HTTPS, in {:.1} s.",
            if quarters == 1 { "quarter's" } else { "quarters'" },
            d.submissions,
            d.seconds
        );
        say!();
        say!("England, {} (95% intervals, from the coordinator's API):", d.england.window);
        for h in &d.england.measures {
            let Some(e) = h.estimate else { continue };
            let (v, lo, hi) = (e.value, e.low, e.high);
            if h.proportion {
                say!("  {:<78} {:>5.1}%  ({:.1}% to {:.1}%)", h.label, v * 100.0, lo * 100.0, hi * 100.0);
            } else {
                say!("  {:<78} {:>6.1}  ({:.1} to {:.1})", h.label, v, lo, hi);
            }
        }
        say!();
        say!("National analyst's token: {}", d.token);
        if serve {
            say!("Dashboard: {}  (sign in with the token; the development CA is {})", d.url, d.ca.display());
            say!("Press Ctrl-C to stop.");
        } else {
            say!("To see the dashboard, serve this network and sign in with the token:");
            say!(
                "  cargo run --release -p msp-coordinator -- --data-dir {} serve --dev-tls --listen {listen}",
                cdir.display()
            );
            say!(
                "  then open https://localhost:{}/dashboard (trust {} or continue past the browser's warning)",
                listen.port(),
                d.ca.display()
            );
        }
    };
    if serve { run(options, ready, shutdown_signal()).await } else { run(options, ready, std::future::ready(())).await }
}
