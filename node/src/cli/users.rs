//! `msp-node user add | list | remove`: the accounts of the node's local web view
//! ([`crate::accounts`]). A new account's sign-in token is printed once and never again.

use clap::{Args, Subcommand};
use msp_terminal::say;

use super::{CliError, open_store};
use crate::{
    accounts::{self, Role},
    audit::Actor,
    clock::{self, Clock},
    config::DataDir,
};

/// `msp-node user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// The account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Make an account and print its sign-in token (shown once: give it to the person).
    Add {
        /// The person's name, as pages and the audit log will show it.
        name: String,
        /// What they may do: an officer reads, previews, releases and submits; an approver may
        /// also approve releases for submission.
        #[arg(long, value_enum)]
        role: Role,
    },
    /// List the accounts.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and sign it out everywhere (its name stays in the audit log).
    Remove {
        /// The account's name.
        name: String,
    },
}

/// Runs an account command.
pub async fn user(data: &DataDir, a: UserArgs, clock: &Clock) -> Result<(), CliError> {
    let (_, store) = open_store(data).await?;
    let result = run(&store, a.command, clock).await;
    store.db().close().await;
    result
}

async fn run(store: &crate::store::Store, command: UserCommand, clock: &Clock) -> Result<(), CliError> {
    let by = Actor::command_line(None);
    let at = clock::now(clock).to_string();
    match command {
        UserCommand::Add { name, role } => {
            let name = accounts::valid_name(&name).map_err(|e| CliError::Usage(e.to_string()))?;
            let token = accounts::secret();
            if !store.add_user(&name, role, &accounts::digest(&token), &at, &by).await? {
                return Err(CliError::Usage(format!(
                    "there is already an account named {name:?} (`msp-node user list` shows them): choose another \
                     name, or remove that account first with `msp-node user remove {name:?}`"
                )));
            }
            say!("Made the {role} account {name:?}. Its sign-in token, shown only this once:");
            say!();
            say!("  {token}");
            say!();
            say!("Give it to {name} in person or by a channel only they read; they sign in with it at the");
            say!("node's web view (`msp-node serve`). If it is lost, remove the account and make it again.");
            Ok(())
        }
        UserCommand::List { json } => {
            let users = store.users().await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&users).expect("serialises"));
            } else if users.is_empty() {
                say!("No accounts yet: make one with `msp-node user add \"Your Name\" --role approver`.");
            } else {
                say!("{:<40} {:<9} {:<21} {}", "name", "role", "made", "removed");
                for u in users {
                    say!("{:<40} {:<9} {:<21} {}", u.name, u.role, u.created_at, u.removed_at.unwrap_or_default());
                }
            }
            Ok(())
        }
        UserCommand::Remove { name } => {
            if store.remove_user(name.trim(), &at, &by).await? {
                say!("Removed the account {:?}; it is signed out everywhere.", name.trim());
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "there is no account named {:?} (`msp-node user list` shows them)",
                    name.trim()
                )))
            }
        }
    }
}
