//! `msp-node receipts`, `msp-node verify-receipt` and `msp-node trust-coordinator-key`: the
//! coordinator's receipts as the node holds them, checked again on demand, and the coordinator key
//! they are checked with ([`crate::submit::receipt`], [`crate::submit::trust`]).

use clap::Args;
use msp_schemas::Period;
use msp_terminal::say;

use super::{CliError, open_store, submitter_parts};
use crate::{
    audit::Actor,
    clock::Clock,
    config::DataDir,
    submit::{Submitter, receipt},
};

/// `msp-node receipts`.
#[derive(Debug, Args)]
pub struct ReceiptsArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A quarter and optionally a revision.
#[derive(Debug, Args)]
pub struct PeriodRevisionArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// The revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node trust-coordinator-key`.
#[derive(Debug, Args)]
pub struct TrustCoordinatorKeyArgs {
    /// The new key's fingerprint as the coordinator's operator read it out: the key the coordinator
    /// serves is trusted only if its fingerprint is exactly this (base64url, so it may start with '-').
    #[arg(long, allow_hyphen_values = true)]
    pub fingerprint: String,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Lists the outbox with the receipts received.
pub async fn receipts(data: &DataDir, a: ReceiptsArgs) -> Result<(), CliError> {
    let (_, store) = open_store(data).await?;
    let listed = async {
        let mut rows = Vec::new();
        for o in store.outbox(None).await? {
            let approval = store.approval(o.period, o.revision).await?;
            rows.push((o, approval));
        }
        Ok::<_, crate::store::NodeStoreError>(rows)
    }
    .await;
    store.db().close().await;
    let rows: Vec<serde_json::Value> = listed?
        .iter()
        .map(|(o, approval)| {
            let receipt = o.receipt_jws.as_deref().and_then(receipt::stored_receipt);
            serde_json::json!({ "period": o.period, "revision": o.revision, "jws_sha256": o.jws_sha256,
                "attempts": o.attempts, "last_error": o.last_error, "received_at": o.received_at, "receipt": receipt,
                "approved_by": approval.as_ref().map(|a| &a.by), "approved_at": approval.as_ref().map(|a| &a.at) })
        })
        .collect();
    if a.json {
        say!("{}", serde_json::to_string_pretty(&rows).expect("serialises"));
        return Ok(());
    }
    if rows.is_empty() {
        say!("Nothing has been submitted yet: `msp-node submit` sends the stored releases.");
        return Ok(());
    }
    say!(
        "{:<12} {:>8} {:>10} {:<26} {:<30} {}",
        "quarter",
        "revision",
        "log entry",
        "submission",
        "approved by",
        "status"
    );
    for r in &rows {
        let status = match (&r["receipt"], r["last_error"].as_str()) {
            (serde_json::Value::Null, Some(err)) => format!("not yet accepted: {err}"),
            (serde_json::Value::Null, None) => "queued".to_owned(),
            (_, _) => format!("receipt {}", r["received_at"].as_str().unwrap_or_default()),
        };
        let approved = match (r["approved_by"].as_str(), r["approved_at"].as_str()) {
            (Some(by), Some(at)) => format!("{by} ({at})"),
            _ => "-".to_owned(),
        };
        say!(
            "{:<12} {:>8} {:>10} {:<26} {:<30} {status}",
            r["period"].as_str().unwrap_or_default(),
            r["revision"],
            r["receipt"]["log_index"].as_u64().map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
            r["receipt"]["submission_id"].as_str().unwrap_or("-"),
            approved,
        );
    }
    Ok(())
}

/// Checks a stored receipt against the coordinator's log as it is now.
pub async fn verify_receipt(data: &DataDir, a: PeriodRevisionArgs, clock: Clock) -> Result<(), CliError> {
    let (config, store, key, coordinator) = submitter_parts(data).await?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator, clock, by: Actor::command_line(None) };
    let v = s.verify(a.period, a.revision).await;
    store.db().close().await;
    let v = v?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
    } else {
        say!(
            "The receipt for {} revision {} checks out: signed by the coordinator, for exactly the bytes sent, entry {} \
             of the log, and the log of {} entries then is a prefix of the log of {} entries now (root {}).",
            v.receipt.period,
            v.receipt.revision,
            v.receipt.log_index,
            v.receipt.tree_size,
            v.head.tree_size,
            v.head.root_hash
        );
    }
    Ok(())
}

/// `trust-coordinator-key`: pins the coordinator's new key once its fingerprint is the one given.
pub async fn trust_coordinator_key(data: &DataDir, a: TrustCoordinatorKeyArgs, clock: Clock) -> Result<(), CliError> {
    let (config, store, key, coordinator) = submitter_parts(data).await?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator, clock, by: Actor::command_line(None) };
    let trusted = s.trust_coordinator_key(&a.fingerprint).await;
    store.db().close().await;
    let trusted = trusted?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&trusted).expect("serialises"));
        return Ok(());
    }
    if !trusted.changed {
        say!("This node already trusts the coordinator's key {}: nothing to change.", trusted.fingerprint);
        return Ok(());
    }
    say!("This node now trusts the coordinator's key {} for receipts and signed tree heads.", trusted.fingerprint);
    for previous in &trusted.previous {
        say!("Kept {previous}, pinned before, for the receipts it signed (never for a new tree head).");
    }
    say!("Run `msp-node submit` to send anything waiting; `msp-node verify-receipt` still checks earlier receipts.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use clap::Parser;

    #[test]
    fn trust_coordinator_key_takes_a_fingerprint_that_starts_with_a_hyphen() {
        let cli = Cli::try_parse_from(["msp-node", "trust-coordinator-key", "--fingerprint", "-K3x_9"]).unwrap();
        let Command::TrustCoordinatorKey(args) = cli.command else { panic!("parsed as another command") };
        assert_eq!(args.fingerprint, "-K3x_9");
        assert!(Cli::try_parse_from(["msp-node", "trust-coordinator-key"]).is_err(), "the fingerprint is required");
    }
}
