//! The `msp-coordinator` command line.

use clap::Parser;

/// The national coordinator of the MSP Outcomes Network: verifies and logs councils' signed
/// releases and serves benchmarks with honest confidence intervals.
#[derive(Debug, Parser)]
#[command(name = "msp-coordinator", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {}
