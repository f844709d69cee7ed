//! `msp-node budget`: the privacy budget spent and left, per quarter and per four quarters, with
//! the network policy's limits beside the node's (the rules are in [`crate::dp::ledger`] and
//! [`crate::dp::limits`]). It reads the policy the node holds and contacts no one: `msp-node
//! policy` fetches it afresh.

use clap::Args;
use msp_schemas::Period;
use msp_terminal::say;

use super::{CliError, open_store, policy as shown};
use crate::{
    clock::Clock,
    config::DataDir,
    dp::{ledger, limits},
    policy, release as releases,
};

/// `msp-node budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the budget spent and left, per quarter and per four quarters.
pub async fn budget(data: &DataDir, a: BudgetArgs, clock: &Clock) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let charges = store.charges().await;
    let held = policy::held(&store).await;
    store.db().close().await;
    let (charges, held) = (charges?, held?);
    let budget = config.budget();
    // Whatever the node's settings, the ledger is held to the tighter of its caps and the network's.
    let caps = limits::tightest(&budget, &held.policy);
    let charged: Vec<(Period, f64, bool)> = charges.iter().map(|c| (c.period, c.rho, c.revision.is_some())).collect();
    let quarters = ledger::statement(&charged, caps, releases::last_finished_quarter(clock().date()).ok());
    let rows: Vec<serde_json::Value> = quarters
        .iter()
        .map(|q| {
            serde_json::json!({
                "period": q.period,
                "releases": q.releases,
                "interrupted": q.interrupted,
                "spent_rho": q.spent,
                "spent_epsilon": crate::dp::mechanism::spent_epsilon(q.spent, budget.delta),
                "remaining_rho": q.remaining,
                "four_quarters": { "from": q.four_quarters_from, "to": q.period, "spent_rho": q.four_quarters_spent,
                    "spent_epsilon": crate::dp::mechanism::spent_epsilon(q.four_quarters_spent, budget.delta) },
            })
        })
        .collect();
    if a.json {
        let v = serde_json::json!({ "council": config.council, "budget": budget,
            "network_policy": shown::as_json(&held, &config), "caps_in_force": caps, "quarters": rows,
            "charges": charges });
        say!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
        return Ok(());
    }
    let council = config.council.council();
    say!("Privacy budget of {} ({})", council.name, council.code);
    say!(
        "Each release spends ρ = {}; one quarter's data may spend ρ = {} in all (a first release and a revision);",
        budget.rho_per_release,
        budget.rho_per_quarter
    );
    say!("any four consecutive quarters ρ = {}. ε is stated at δ = {:e}.", budget.rho_per_four_quarters, budget.delta);
    say!();
    match &held.fetched_at {
        Some(at) => say!("Network policy (fetched {at}; `msp-node policy` fetches it afresh):"),
        None => {
            say!("Network policy (default: none has been fetched from the coordinator; `msp-node policy` fetches it):")
        }
    }
    for line in shown::beside_budget(&held, &config) {
        say!("{line}");
    }
    say!(
        "What is left below is held to the tighter caps: ρ = {} per quarter, ρ = {} per four quarters.",
        caps.per_quarter,
        caps.per_four_quarters
    );
    say!();
    say!(
        "{:<12} {:>8} {:>10} {:>8} {:>10}   {}",
        "quarter",
        "releases",
        "spent ρ",
        "(ε)",
        "left ρ",
        "four quarters to here: spent ρ (ε)"
    );
    for r in &rows {
        let interrupted = r["interrupted"].as_u64().unwrap_or(0);
        say!(
            "{:<12} {:>8} {:>10.4} {:>8.2} {:>10.4}   {:.4} ({:.2}){}",
            r["period"].as_str().unwrap_or_default(),
            r["releases"],
            r["spent_rho"].as_f64().unwrap_or(0.0),
            r["spent_epsilon"].as_f64().unwrap_or(0.0),
            r["remaining_rho"].as_f64().unwrap_or(0.0),
            r["four_quarters"]["spent_rho"].as_f64().unwrap_or(0.0),
            r["four_quarters"]["spent_epsilon"].as_f64().unwrap_or(0.0),
            if interrupted > 0 {
                format!("   {interrupted} interrupted release(s) spent budget")
            } else {
                String::new()
            }
        );
    }
    say!();
    say!("Spent budget never comes back. The caps bound what can be learned about a person from one");
    say!("quarter, and from any year; a person who appears in many years is covered year by year, not");
    say!("over a lifetime.");
    Ok(())
}
