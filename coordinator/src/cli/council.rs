//! `msp-coordinator council …`: enrol, list and revoke councils' signing keys (the rules are in
//! [`crate::councils`]).

use msp_terminal::say;
use std::path::PathBuf;

use clap::Subcommand;
use msp_schemas::{CouncilCode, enrolment::EnrolmentRequest};

use super::error::CliError;
use crate::{councils, store::Store};

/// `msp-coordinator council …`.
#[derive(Debug, Subcommand)]
pub enum CouncilCommand {
    /// Enrol a council's public key (after checking its fingerprint with the council by phone).
    Enrol {
        /// The council's code.
        #[arg(long)]
        code: CouncilCode,
        /// The public key from the council's enrolment request (base64url, so it may start with '-').
        #[arg(long, allow_hyphen_values = true)]
        public_key: String,
        /// The fingerprint the council read out: enrolment stops if it does not match.
        #[arg(long, allow_hyphen_values = true)]
        fingerprint: Option<String>,
    },
    /// Enrol many councils from a file of enrolment requests (`msp-node init --json` outputs one
    /// after another, or a JSON array of them); each request's fingerprint is checked.
    EnrolMany {
        /// The file.
        file: PathBuf,
    },
    /// List enrolled keys.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a council's key (or all its keys).
    Revoke {
        /// The council's code.
        #[arg(long)]
        code: CouncilCode,
        /// The fingerprint of the key to revoke (default: every key of the council).
        #[arg(long, allow_hyphen_values = true)]
        key: Option<String>,
    },
}

/// The enrolment requests in `text`: one after another (as `msp-node init --json` prints them),
/// or arrays of them.
fn requests(text: &str) -> Result<Vec<EnrolmentRequest>, serde_json::Error> {
    let mut requests = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>() {
        let items = match value? {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        for item in items {
            requests.push(serde_json::from_value(item)?);
        }
    }
    Ok(requests)
}

/// Runs a `council` command.
pub(super) async fn council(store: &Store, c: CouncilCommand) -> Result<(), CliError> {
    match c {
        CouncilCommand::Enrol { code, public_key, fingerprint } => {
            let key = councils::enrol(store, code, &public_key, fingerprint.as_deref()).await?;
            say!("Enrolled {} ({}) with key {}", code.council().name, code, key.fingerprint);
            if fingerprint.is_none() {
                say!("Check this fingerprint with the council by phone before accepting its submissions.");
            }
        }
        CouncilCommand::EnrolMany { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Usage(format!("could not read {}: {e}", file.display())))?;
            let requests = requests(&text).map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            for r in &requests {
                councils::enrol_request(store, r).await?;
            }
            say!("Enrolled {} keys", requests.len());
        }
        CouncilCommand::List { json } => {
            let keys = store.keys(None).await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&keys).expect("serialises"));
            } else {
                say!("{:<10} {:<36} {:<44} {}", "code", "council", "fingerprint", "status");
                for k in &keys {
                    let status =
                        k.revoked_at.as_ref().map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                    say!("{:<10} {:<36} {:<44} {status}", k.council, k.council.council().name, k.fingerprint);
                }
                say!("{} keys", keys.len());
            }
        }
        CouncilCommand::Revoke { code, key } => {
            let n = councils::revoke(store, code, key.as_deref()).await?;
            say!(
                "Revoked {n} key(s) of {} ({code}); submissions signed with them are now refused",
                code.council().name
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_one_after_another_or_as_arrays_and_must_be_whole() {
        let code: CouncilCode = "E06000001".parse().unwrap();
        let one = serde_json::to_string_pretty(&EnrolmentRequest::new(code, "k".repeat(43), "f".repeat(43))).unwrap();
        let array = format!("[{one},{one}]");
        assert_eq!(requests(&format!("{one}\n{array}")).unwrap().len(), 3);
        let partial = r#"{"council": "E06000001", "public_key": "k", "fingerprint": "f"}"#;
        assert!(requests(partial).unwrap_err().to_string().contains("council_name"));
    }
}
