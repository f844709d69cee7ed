//! `msp-coordinator`: parse the command line, install the TLS crypto provider and logging, and
//! hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = msp_coordinator::cli::Cli::parse();
    // The demo runs 153 nodes in this process: their per-release logs would bury its one message.
    // (sqlx's slow-acquire warnings only say the machine is busy building 153 councils at once.)
    let default =
        if matches!(cli.command, msp_coordinator::cli::Command::Demo(_)) { "warn,sqlx::pool=error" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into()))
        .with_writer(std::io::stderr)
        .init();
    // One process-wide TLS provider: ring (no C toolchain beyond what ring needs).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(msp_coordinator::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
