//! The `msp-node` process: parse the command line, set up logging, and hand over to the library.
//! It lives in the library so that the end-to-end tests can run (and kill) the very same
//! process from a binary of their own.

use std::process::ExitCode;

use clap::Parser;

/// Runs `msp-node` with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = crate::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    // One process-wide TLS provider for the coordinator client: ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = match runtime {
        Ok(rt) => rt.block_on(crate::cli::run(cli)),
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
