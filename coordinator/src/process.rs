//! The `msp-coordinator` process: parse the command line, install the TLS crypto provider and
//! logging, and hand over to the library. It lives in the library so that the end-to-end tests
//! can run (and kill) the very same process from a binary of their own.

use std::process::ExitCode;

use clap::Parser;

/// Runs `msp-coordinator` with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = crate::cli::Cli::parse();
    let default = "info";
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
    match runtime.block_on(crate::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
