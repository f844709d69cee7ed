//! `msp-coordinator token …`: make, list and revoke bearer tokens (the rules are in
//! [`crate::tokens`]).

use clap::Subcommand;
use msp_terminal::say;

use super::error::CliError;
use crate::{auth::Role, store::Store, tokens};

/// `msp-coordinator token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once and only its hash is kept.
    Create {
        /// national, region:<slug>, council:<code> or admin.
        #[arg(long)]
        role: Role,
        /// Who or what it is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The id `token list` shows.
        #[arg(long)]
        id: String,
    },
}

/// Runs a `token` command.
pub(super) async fn token(store: &Store, t: TokenCommand) -> Result<(), CliError> {
    match t {
        TokenCommand::Create { role, label } => {
            let (token, record) = tokens::create_token(store, role, &label).await?;
            say!("{token}");
            eprintln!(
                "Token {} for role {role} made. It is shown only now: keep it safe (only its hash is stored).",
                record.id
            );
        }
        TokenCommand::List { json } => {
            let tokens = tokens::list(store).await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&tokens).expect("serialises"));
            } else {
                say!("{:<14} {:<28} {:<22} {:<22} {}", "id", "role", "label", "created", "status");
                for t in &tokens {
                    let status =
                        t.revoked_at.as_ref().map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                    say!("{:<14} {:<28} {:<22} {:<22} {status}", t.id, t.role, t.label, t.created_at);
                }
            }
        }
        TokenCommand::Revoke { id } => {
            tokens::revoke(store, &id).await?;
            say!("Token {id} revoked");
        }
    }
    Ok(())
}
