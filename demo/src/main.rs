//! `msp-demo`: the whole network in one command (see [`msp_demo`]).

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::Parser;

/// The whole MSP Outcomes Network in one command: a coordinator, a node per council with
/// synthetic data going through import, release and submit over HTTPS, then England's benchmark
/// and the dashboard until Ctrl-C (or, with --no-serve, stop there).
#[derive(Debug, Parser)]
#[command(name = "msp-demo", version, about, long_about = None)]
struct Cli {
    /// How many councils of the register.
    #[arg(long, default_value_t = 153)]
    councils: usize,
    /// How many quarters, ending with the last complete one.
    #[arg(long, default_value_t = 4)]
    quarters: u32,
    /// Where the dashboard listens.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Where the demo keeps its data (wiped at the start).
    #[arg(long, default_value = "msp-demo")]
    dir: PathBuf,
    /// The coordinator's database: sqlite://PATH or postgres://… (default: SQLite in --dir).
    #[arg(long, env = "MSP_COORDINATOR_DATABASE_URL")]
    database_url: Option<String>,
    /// Stop once the network is built and England's figures printed, instead of serving the
    /// dashboard until Ctrl-C (the data stays in --dir, for `msp-coordinator serve`).
    #[arg(long)]
    no_serve: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // 153 nodes run in this process: their per-release logs would bury the demo's one message.
    // (sqlx's slow-acquire warnings only say the machine is busy building 153 councils at once.)
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,sqlx::pool=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = msp_demo::DemoOptions {
        dir: cli.dir,
        councils: cli.councils,
        quarters: cli.quarters,
        listen: cli.listen,
        parallel: std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        database_url: cli.database_url,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(msp_demo::command(options, !cli.no_serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
