//! `msp-node policy`: the network's policy, fetched afresh (or as held), beside this node's own
//! `[budget]`; and the policy refresh `msp-node release` tries first ([`crate::submit::policy`],
//! [`crate::dp::limits`]).

use std::time::Duration;

use clap::Args;
use msp_terminal::say;

use super::{CliError, open_store, thousands};
use crate::{
    clock::{self, Clock},
    config::{DataDir, NodeConfig},
    dp::limits::{Limits, choose_spec},
    policy::{self, HeldPolicy},
    submit::{self, Backoff, Coordinator, SubmitError},
};

/// `msp-node policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Show the policy this node holds (last fetched, or the default) without contacting the
    /// coordinator.
    #[arg(long)]
    pub stored: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The policy beside the node's own settings, for people: one line each, then whether the node
/// keeps to it.
pub fn beside_budget(held: &HeldPolicy, config: &NodeConfig) -> Vec<String> {
    let (p, b) = (&held.policy, config.budget());
    let specs = p.specs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let range = format!("{} to {}", p.rho_per_release.min, p.rho_per_release.max);
    let mut lines = vec![
        format!("  {:<28} {:<22} {}", "", "network", "this node ([budget] in node.toml)"),
        format!("  {:<28} {:<22} {}", "report specs", specs, choose_spec(config.spec, p).as_str()),
        format!("  {:<28} {:<22} {}", "ρ per release", range, b.rho_per_release),
        format!("  {:<28} {:<22} {}", "ρ per quarter of data", p.rho_per_quarter, b.rho_per_quarter),
        format!("  {:<28} {:<22} {}", "ρ per four quarters", p.rho_per_four_quarters, b.rho_per_four_quarters),
        format!("  {:<28} at most {}", "releases of one quarter", p.max_revision),
    ];
    lines.push(match Limits::new(&b, config.spec, p, &held.describe()) {
        Ok(_) => "This node's [budget] keeps to the policy (it may be stricter, never looser).".into(),
        Err(e) => format!("This node's [budget] does not keep to the policy, so `msp-node release` refuses: {e}"),
    });
    lines
}

/// The policy and the node's keeping to it, as JSON.
pub fn as_json(held: &HeldPolicy, config: &NodeConfig) -> serde_json::Value {
    let problem =
        Limits::new(&config.budget(), config.spec, &held.policy, &held.describe()).err().map(|e| e.to_string());
    serde_json::json!({
        "source": if held.fetched_at.is_some() { "fetched" } else { "default" },
        "fetched_at": held.fetched_at,
        "policy": held.policy,
        "node_keeps_to_it": problem.is_none(),
        "problem": problem,
    })
}

/// Fetches the network's policy (or shows the one held, with `--stored`) beside the node's own
/// settings.
pub async fn policy(data: &DataDir, a: PolicyArgs, clock: &Clock) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let held = if a.stored {
        policy::held(&store).await.map_err(CliError::from)
    } else {
        let backoff = Backoff { first: Duration::from_millis(500), max: Duration::from_secs(5), tries: 3 };
        match Coordinator::for_node(&config, data, backoff) {
            Ok(c) => submit::policy::refresh(&store, &c, &clock::now(clock).to_string()).await.map_err(|e| match e {
                SubmitError::Unreachable { url, tries, last } => CliError::Usage(format!(
                    "the coordinator at {url} could not be reached after {tries} tries ({last}). The node keeps the \
                     policy it holds (`msp-node policy --stored` shows it); try again later"
                )),
                other => other.into(),
            }),
            Err(e) => Err(e.into()),
        }
    };
    store.db().close().await;
    let held = held?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&as_json(&held, &config)).expect("serialises"));
        return Ok(());
    }
    let p = &held.policy;
    match &held.fetched_at {
        Some(at) if !a.stored => say!(
            "Network policy ({}), fetched from {} at {at} and verified with the coordinator's key:",
            p.format,
            config.coordinator_url
        ),
        _ => say!("Network policy ({}): {}:", p.format, held.describe()),
    }
    for line in beside_budget(&held, &config) {
        say!("{line}");
    }
    say!(
        "The coordinator refuses any value beyond what {} people in a council's quarter could give plus {}σ of noise, \
         and any release made more than {} s ahead of its clock.",
        thousands(p.max_people_per_council_quarter),
        p.noise_allowance_sigmas,
        p.clock_skew_seconds
    );
    Ok(())
}
