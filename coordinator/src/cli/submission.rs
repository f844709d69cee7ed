//! `msp-coordinator submission import`: a signed submission file from an offline node, taken in
//! with the same checks and the same log writer as the HTTPS path.

use msp_terminal::say;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::error::CliError;
use crate::{
    clock::system_clock, config::DataDir, http::AppState, ingest::check, signing_key::SigningKey, store::Store,
};

/// `msp-coordinator submission …`.
#[derive(Debug, Subcommand)]
pub enum SubmissionCommand {
    /// Take in a signed submission file exported by an offline node (`msp-node export-submission`),
    /// with the same checks as the HTTPS path.
    Import {
        /// The file (a compact JWS).
        file: PathBuf,
        /// Print the receipt as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Checks and logs the submission in `file`, signing its receipt with `key` and holding it to the
/// network policy `serve` enforces (`policy.toml` or `MSP_COORDINATOR_POLICY`).
pub(super) async fn import(
    data: &DataDir,
    store: Store,
    key: SigningKey,
    file: &Path,
    json: bool,
) -> Result<(), CliError> {
    let body = std::fs::read(file).map_err(|e| CliError::Usage(format!("could not read {}: {e}", file.display())))?;
    let policy = data.policy().map_err(|e| CliError::Usage(e.to_string()))?;
    let state = AppState::new(store.clone(), key, system_clock()).with_policy(policy.policy);
    let checked =
        check(&store, &state.keys, &body, time::OffsetDateTime::now_utc().date()).await.map_err(CliError::Refused)?;
    let logged = state.writer.submit(checked).await.map_err(CliError::Refused)?;
    store.db().close().await;
    if json {
        say!("{}", serde_json::to_string_pretty(&logged.body).expect("serialises"));
    } else {
        let r = &logged.body.receipt;
        say!(
            "{} {} revision {} of {} as log entry {} (submission {})",
            if logged.new { "Accepted" } else { "Already held:" },
            r.period,
            r.revision,
            r.council,
            r.log_index,
            r.submission_id
        );
    }
    Ok(())
}
