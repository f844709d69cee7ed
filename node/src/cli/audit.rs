//! `msp-node audit`: the audit log — who made, approved and submitted each release, who signed
//! in to the web view, which accounts were made — newest first.

use clap::Args;
use msp_terminal::say;

use super::{CliError, open_store};
use crate::config::DataDir;

/// `msp-node audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only the last N entries (default: every entry).
    #[arg(long)]
    pub last: Option<u32>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the audit log.
pub async fn audit(data: &DataDir, a: AuditArgs) -> Result<(), CliError> {
    let (_, store) = open_store(data).await?;
    let entries = store.audit_log(a.last).await;
    store.db().close().await;
    let entries = entries?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&entries).expect("serialises"));
        return Ok(());
    }
    if entries.is_empty() {
        say!("The audit log is empty: nothing has been released, approved or submitted, and no one has signed in.");
        return Ok(());
    }
    say!("{:<21} {:<30} {:<13} {:<30} {:<14} {}", "when", "who", "how", "what", "release", "detail");
    for e in entries {
        let release = match (e.period, e.revision) {
            (Some(p), Some(r)) => format!("{p} r{r}"),
            (Some(p), None) => p.to_string(),
            _ => String::new(),
        };
        say!(
            "{:<21} {:<30} {:<13} {:<30} {:<14} {}",
            e.at,
            e.actor,
            e.via.to_string(),
            e.action_label(),
            release,
            e.detail
        );
    }
    Ok(())
}
