//! The `msp-node` command line.

use clap::Parser;

/// A council's node in the MSP Outcomes Network: imports safeguarding case records, keeps them
/// locally, and makes the differentially private quarterly release that is all that leaves the
/// council.
#[derive(Debug, Parser)]
#[command(name = "msp-node", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {}
