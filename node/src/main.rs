//! `msp-node`: parse the command line and hand over to the library.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let _cli = msp_node::cli::Cli::parse();
    Ok(())
}
