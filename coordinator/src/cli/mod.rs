//! The `msp-coordinator` command line: each command parses its arguments and prints; the rules
//! live in the library ([`crate::councils`], [`crate::tokens`], [`crate::signing_key`],
//! [`crate::ingest`]).
//!
//! - [`serve`]: the API and dashboard over HTTPS; `migrate`: the schema brought up to date;
//! - [`council`]: enrol, list and revoke councils' keys; [`token`]: bearer tokens;
//! - [`publication`]: when each quarter's figures are published; [`group`]: named comparator groups;
//! - [`submission`]: a signed file from an offline node; [`signing_key`]: show or rotate the
//!   receipt-signing key; [`error`]: what a command can fail with.

use msp_terminal::say;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub mod council;
pub mod error;
pub mod group;
pub mod publication;
pub mod serve;
pub mod signing_key;
pub mod submission;
pub mod token;

pub use error::CliError;

use crate::{
    config::{DEFAULT_DATA_DIR, DataDir},
    signing_key::SigningKey,
    store::{CoordinatorStoreError, Store},
};
use council::CouncilCommand;
use group::GroupCommand;
use publication::PublicationCommand;
use serve::ServeArgs;
use signing_key::SigningKeyArgs;
use submission::SubmissionCommand;
use token::TokenCommand;

/// The national coordinator of the MSP Outcomes Network: verifies and logs councils' signed
/// releases and serves benchmarks with honest confidence intervals.
#[derive(Debug, Parser)]
#[command(name = "msp-coordinator", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// The coordinator's data directory (signing key, development TLS, SQLite database).
    #[arg(long, global = true, env = "MSP_COORDINATOR_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://… (default: coordinator.db in the data directory;
    /// also MSP_COORDINATOR_DATABASE_URL, better for a URL with a password).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The coordinator's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API over HTTPS.
    Serve(ServeArgs),
    /// Enrol, list and revoke councils' signing keys.
    #[command(subcommand)]
    Council(CouncilCommand),
    /// Take in submissions by hand.
    #[command(subcommand)]
    Submission(SubmissionCommand),
    /// Make, list and revoke bearer tokens for the API and the dashboard.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Bring the database's schema up to date and stop. `serve` does the same at start; this is for
    /// a migration step of its own before a rolling upgrade (a Kubernetes Job, for example).
    Migrate,
    /// When each quarter's figures are published: list, set or reset the dates.
    #[command(subcommand)]
    Publication(PublicationCommand),
    /// Named comparator groups (a council's nearest neighbours, say): define, list or remove them.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Show the receipt-signing key's public half and fingerprint, making the key first if the data
    /// directory has none (keys/coordinator.p8): to read the fingerprint to councils, or to make the
    /// key that every replica is given. With --rotate, retire it and make a new one.
    SigningKey(SigningKeyArgs),
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let data = DataDir::new(&cli.data_dir);
    if let Command::SigningKey(a) = cli.command {
        return signing_key::signing_key(&data, a);
    }
    // Only `serve` (on first start) and `signing-key` make the receipt-signing key. Any other command
    // that signs must find the coordinator's own: one run with a mistyped --data-dir would otherwise sign
    // receipts with a new key that no node has pinned. It is looked for before the database is opened,
    // so nothing is made in the wrong directory.
    let key = match &cli.command {
        Command::Submission(SubmissionCommand::Import { .. }) => Some(SigningKey::load(&data.keys_dir())?),
        _ => None,
    };
    let store = Store::open(&data.database_url(cli.database_url.as_deref())).await?;
    match cli.command {
        Command::Serve(a) => serve::serve(&data, store, a).await,
        Command::Migrate => migrate(store).await,
        Command::Council(c) => council::council(&store, c).await,
        Command::Submission(SubmissionCommand::Import { file, json }) => {
            submission::import(&data, store, key.expect("loaded above for this command"), &file, json).await
        }
        Command::Token(t) => token::token(&store, t).await,
        Command::Publication(p) => publication::publication(&store, p, time::OffsetDateTime::now_utc()).await,
        Command::Group(g) => group::group(&store, g, time::OffsetDateTime::now_utc()).await,
        Command::SigningKey(_) => unreachable!("handled above"),
    }
}

/// Opening the store has applied any migrations: report the schema version it is at.
async fn migrate(store: Store) -> Result<(), CliError> {
    let version = store.db().schema_version().await.map_err(CoordinatorStoreError::from);
    store.db().close().await;
    say!("The database {} is at schema version {}: up to date.", store.db().url(), version?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from([&["msp-coordinator"], args].concat()).expect("the arguments parse")
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[tokio::test]
    async fn migrate_brings_a_new_database_to_the_current_schema_and_changes_nothing_the_second_time() {
        for db in msp_store::testing::databases().await {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().to_str().unwrap();
            for _ in 0..2 {
                run(cli(&["--data-dir", data, "--database-url", &db.url, "migrate"])).await.unwrap();
                let store = Store::open(&db.url).await.unwrap();
                let version = store.db().schema_version().await.unwrap();
                store.db().close().await;
                assert_eq!(version, crate::store::MIGRATIONS.len() as i64, "{db:?}");
            }
            assert!(!dir.path().join("keys").exists(), "migrate needs no signing key");
        }
    }

    #[tokio::test]
    async fn signing_key_makes_the_key_once_without_a_database_and_then_shows_the_same_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        run(cli(&["--data-dir", data, "signing-key"])).await.unwrap();
        let file = dir.path().join("keys/coordinator.p8");
        let made = std::fs::read(&file).unwrap();
        run(cli(&["--data-dir", data, "signing-key", "--json"])).await.unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), made, "the key is kept, not replaced");
        assert!(!dir.path().join("coordinator.db").exists(), "no database is opened");
    }

    #[tokio::test]
    async fn signing_key_rotate_retires_the_key_and_refuses_when_there_is_none_to_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let err = run(cli(&["--data-dir", data, "signing-key", "--rotate"])).await.unwrap_err().to_string();
        assert!(err.contains("signing-key"), "says how to make a key first: {err}");
        run(cli(&["--data-dir", data, "signing-key"])).await.unwrap();
        let keys = dir.path().join("keys");
        let first = SigningKey::load(&keys).unwrap().public();
        run(cli(&["--data-dir", data, "signing-key", "--rotate"])).await.unwrap();
        assert_ne!(SigningKey::load(&keys).unwrap().public(), first, "a new key is current");
        assert_eq!(SigningKey::retired(&keys).unwrap(), vec![first], "the old key is retired, not lost");
        assert!(!dir.path().join("coordinator.db").exists(), "no database is opened");
    }
}
