//! The `msp-node` command line: argument parsing and the human and JSON output of each command,
//! one file per group of commands. The rules live in the library; these files parse and print.
//!
//! - [`init`] sets a node up;
//! - [`synth`] writes a synthetic case file;
//! - [`import`] takes in a case file;
//! - [`status`] shows what the node holds, and each quarter's state;
//! - [`release`] makes and shows releases (`release`, `show-release`);
//! - [`budget`] shows the privacy budget;
//! - [`policy`] fetches and shows the network's policy beside the node's own settings;
//! - [`submit`] approves, sends and exports releases (`approve`, `submit`, `export-submission`);
//! - [`receipts`] lists and checks receipts, and trusts a new coordinator key (`receipts`,
//!   `verify-receipt`, `trust-coordinator-key`);
//! - [`compare`] sets the council's figures beside its benchmarks;
//! - [`users`] makes and removes the accounts of the local web view, and [`audit`] prints the
//!   audit log of who did what;
//! - [`serve`] runs the local web view.

pub mod audit;
pub mod budget;
pub mod compare;
pub mod import;
pub mod init;
pub mod policy;
pub mod purge;
pub mod receipts;
pub mod release;
pub mod sac;
pub mod serve;
pub mod status;
pub mod submit;
pub mod synth;
pub mod users;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use msp_synth::SynthError;

pub use crate::compare::TOKEN_ENV;
pub use crate::readable::thousands;
pub use audit::AuditArgs;
pub use budget::BudgetArgs;
pub use compare::CompareArgs;
pub use import::ImportArgs;
pub use init::InitArgs;
pub use policy::PolicyArgs;
pub use receipts::{PeriodRevisionArgs, ReceiptsArgs, TrustCoordinatorKeyArgs};
pub use release::{ReleaseArgs, ShowReleaseArgs, headline_table};
pub use serve::ServeArgs;
pub use status::StatusArgs;
pub use submit::{ApproveArgs, ExportArgs, SubmitArgs, awaiting_approval};
pub use synth::SynthArgs;
pub use users::UserArgs;

use crate::{
    clock::{self, Clock},
    config::{ConfigError, DEFAULT_DATA_DIR, DataDir, NodeConfig},
    import::{ImportError, MappingError},
    keys::{KeyError, SigningKey},
    release::ReleaseError,
    setup::SetupError,
    store::{NodeStoreError, Store},
    submit::{Backoff, Coordinator, SubmitError},
};

/// A council's node in the MSP Outcomes Network: imports safeguarding case records, keeps them
/// locally, and makes the differentially private quarterly release that is all that leaves the
/// council.
#[derive(Debug, Parser)]
#[command(name = "msp-node", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// The node's data directory (configuration, keys, database).
    #[arg(long, global = true, env = "MSP_NODE_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The node's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up a node for a council: configuration, database, node secret and signing key; prints
    /// the enrolment request to send to the coordinator's operator.
    Init(InitArgs),
    /// Write a realistic synthetic case file for this node's council, with the truth beside it.
    Synth(SynthArgs),
    /// Import a case file exported from the council's case management system.
    Import(ImportArgs),
    /// Remove every stored case received before a date (retention), in one transaction: asks on a
    /// terminal (--yes for scripts), and refuses a date that would take cases a release still
    /// needs unless --force. Releases already made and the privacy budget are untouched.
    Purge(purge::PurgeArgs),
    /// Show what the node holds, per quarter (local figures, never sent anywhere).
    Status(StatusArgs),
    /// Make the quarter's differentially private release (or show the one already made), within
    /// the network's policy: it first tries, for a few seconds, to fetch the policy afresh, and
    /// otherwise goes by the one last fetched, or the network's default when none has been. Before
    /// spending budget it shows what it would spend and asks (on a terminal; --yes for timers and
    /// scripts).
    Release(ReleaseArgs),
    /// Show the privacy budget: spent and remaining per quarter and per four quarters, with the
    /// network policy's limits beside the node's.
    Budget(BudgetArgs),
    /// Fetch the network's policy from the coordinator (checked with its pinned key, then kept)
    /// and show it beside this node's [budget].
    Policy(PolicyArgs),
    /// Show a stored release: the exact JSON bytes that leave the node, or with --table every table
    /// under its published wording, with the noise and the privacy guarantee in words.
    ShowRelease(ShowReleaseArgs),
    /// Record who approved a release for submission (when node.toml asks for approval), after
    /// showing what is being approved.
    Approve(ApproveArgs),
    /// Sign and send releases to the coordinator, and keep its receipts once they check out. The
    /// network's policy is fetched first and every release checked against it: one that breaks
    /// it (made under an older, looser policy) is not sent but stays on the node, listed with what
    /// to do; the others are sent, then the command exits with an error.
    Submit(SubmitArgs),
    /// List the receipts the coordinator has given.
    Receipts(ReceiptsArgs),
    /// Check a stored receipt against the coordinator's log as it is now.
    VerifyReceipt(PeriodRevisionArgs),
    /// Trust the coordinator's new receipt-signing key after its operator has rotated it: only once
    /// you have checked the fingerprint with them by phone (or another channel than the coordinator's
    /// website). The key pinned until now stays trusted for the receipts it signed.
    TrustCoordinatorKey(TrustCoordinatorKeyArgs),
    /// Write a signed release to a file, for a coordinator this node cannot reach.
    ExportSubmission(ExportArgs),
    /// Show this council's headline figures beside its region, authority type and England, from the
    /// coordinator's benchmarks, with a plain verdict against the rest of the region.
    Compare(CompareArgs),
    /// Fill the Safeguarding Adults Collection tables the case records can (exact, local: never
    /// sent anywhere), as CSV and XLSX, and say which cells they cannot fill and why.
    Sac(sac::SacArgs),
    /// Make, list and remove the accounts of the node's local web view.
    User(UserArgs),
    /// Print the audit log: who made, approved and submitted each release, and who signed in.
    Audit(AuditArgs),
    /// Serve the council's local web view over HTTPS (on this machine only, by default): imports
    /// and data quality, exact figures, the preview, the release as it will leave, approval,
    /// submission, the budget and comparisons.
    Serve(ServeArgs),
}

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Keys.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Database.
    #[error(transparent)]
    Store(#[from] NodeStoreError),
    /// Import.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Synthetic data.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// A mapping file.
    #[error("{path}: {source}")]
    Mapping {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: MappingError,
    },
    /// Setting the node up.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Release.
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// Submission.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// Anything else the user must fix, with what to do.
    #[error("{0}")]
    Usage(String),
}

/// Runs the command on the system clock.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    run_with(cli, clock::system()).await
}

/// Runs the command with `clock` as the time wherever the node reads it.
pub async fn run_with(cli: Cli, clock: Clock) -> Result<(), CliError> {
    let data = DataDir::new(&cli.data_dir);
    match cli.command {
        Command::Init(args) => init::init(&data, args).await,
        Command::Synth(args) => synth::synth(&data, args),
        Command::Import(args) => import::import(&data, args, clock).await,
        Command::Purge(args) => purge::purge(&data, args, &clock).await,
        Command::Status(args) => status::status(&data, args).await,
        Command::Release(args) => release::release(&data, args, &clock).await,
        Command::Budget(args) => budget::budget(&data, args, &clock).await,
        Command::Policy(args) => policy::policy(&data, args, &clock).await,
        Command::ShowRelease(args) => release::show_release(&data, args).await,
        Command::Approve(args) => submit::approve(&data, args, &clock).await,
        Command::Submit(args) => submit::submit(&data, args, clock).await,
        Command::Receipts(args) => receipts::receipts(&data, args).await,
        Command::VerifyReceipt(args) => receipts::verify_receipt(&data, args, clock).await,
        Command::TrustCoordinatorKey(args) => receipts::trust_coordinator_key(&data, args, clock).await,
        Command::ExportSubmission(args) => submit::export_submission(&data, args, clock).await,
        Command::Compare(args) => compare::compare(&data, args).await,
        Command::Sac(args) => sac::sac(&data, args).await,
        Command::User(args) => users::user(&data, args, &clock).await,
        Command::Audit(args) => audit::audit(&data, args).await,
        Command::Serve(args) => serve::serve(&data, args, clock).await,
    }
}

/// The node's configuration and its database, opened.
async fn open_store(data: &DataDir) -> Result<(NodeConfig, Store), CliError> {
    let config = data.load()?;
    let store = Store::open(&data.database_url(&config), config.council).await?;
    Ok((config, store))
}

/// The parts of a [`Submitter`](crate::submit::Submitter) to the coordinator of the node's configuration.
async fn submitter_parts(data: &DataDir) -> Result<(NodeConfig, Store, SigningKey, Coordinator), CliError> {
    let (config, store) = open_store(data).await?;
    let key = SigningKey::load(&data.keys_dir())?;
    let coordinator = Coordinator::for_node(&config, data, Backoff::default())?;
    Ok((config, store, key, coordinator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
