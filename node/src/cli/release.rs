//! `msp-node release` and `msp-node show-release`: the quarter's release as people read it (the
//! headline measures with their intervals), and the exact document that leaves the node.

use clap::Args;
use msp_schemas::Period;
use msp_terminal::say;

use super::{CliError, open_store, policy::refresh_briefly, thousands};
use crate::{
    clock::{self, Clock},
    config::DataDir,
    policy, release as releases,
};

/// `msp-node release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The quarter, e.g. 2026-27-Q1 (default: the last finished quarter, which is released only
    /// once a case file has been imported after it ended, so a scheduled run cannot release
    /// incomplete data).
    #[arg(long)]
    pub period: Option<Period>,
    /// Make revision n+1 from the data as they stand now (spends budget again).
    #[arg(long, conflicts_with = "dry_run")]
    pub revise: bool,
    /// Spend nothing: show the expected 95% interval half-widths of the headline measures.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: the ρ to preview instead of the configured one.
    #[arg(long, requires = "dry_run")]
    pub rho: Option<f64>,
    /// Print as JSON (the release document, or the dry run).
    #[arg(long)]
    pub json: bool,
}

/// `msp-node show-release`.
#[derive(Debug, Args)]
pub struct ShowReleaseArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// A particular revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
}

fn pct_or_value(proportion: bool, v: f64) -> String {
    if proportion { format!("{:.1}%", 100.0 * v) } else { format!("{v:.1}") }
}

/// The headline measures of a release, with intervals, as a table for people.
pub fn headline_table(cells: &impl msp_estimate::Cells) -> String {
    let mut out = format!("  {:<66} {:>9}  {}\n", "measure", "estimate", "95% interval");
    for m in msp_estimate::Measure::ALL {
        let line = match m.estimate(cells) {
            Some(e) => {
                let f = |v| pct_or_value(m.is_proportion(), v);
                let wide = if e.too_wide { "  (too wide to compare)" } else { "" };
                format!("  {:<66} {:>9}  {} to {}{wide}\n", m.label(), f(e.value), f(e.low), f(e.high))
            }
            None => format!("  {:<66} {:>9}\n", m.label(), "no data"),
        };
        out.push_str(&line);
    }
    out
}

/// Makes the release (or shows the stored one, or a dry run) and prints its headline figures.
pub async fn release(data: &DataDir, a: ReleaseArgs, clock: &Clock) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let council = config.council.council();
    let period = match a.period {
        Some(p) => p,
        None => match releases::default_period(&store, clock().date(), !a.dry_run && !a.revise).await {
            Ok(p) => p,
            Err(e) => {
                store.db().close().await;
                return Err(e.into());
            }
        },
    };
    if a.dry_run {
        let budget = config.budget();
        let rho = a.rho.unwrap_or(budget.rho_per_release);
        let held = policy::held(&store).await;
        let (concluded, rows) = releases::dry_run(&store, period, rho).await?;
        store.db().close().await;
        let held = held?;
        let range = held.policy.rho_per_release;
        if !(rho >= range.min && rho <= range.max) {
            let note = format!(
                "Note: {} allows ρ per release from {} to {}; a release at ρ = {rho} would be refused.",
                held.describe(),
                range.min,
                range.max
            );
            if a.json { eprintln!("{note}") } else { say!("{note}") }
        }
        if a.json {
            let v = serde_json::json!({ "period": period, "rho": rho, "epsilon": budget.epsilon(rho), "delta": budget.delta,
                "people_concluded": concluded, "measures": rows });
            say!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
            return Ok(());
        }
        say!(
            "Dry run for {} ({}), {}: nothing is spent and nothing leaves the node.",
            council.name,
            council.code,
            period
        );
        say!(
            "A release at ρ = {rho} (ε = {:.2} at δ = {:e}) would give these 95% intervals, for the data as they stand ({} people concluded):",
            budget.epsilon(rho),
            budget.delta,
            thousands(concluded as u64)
        );
        say!();
        say!("  {:<66} {:>12}  {}", "measure", "exact (local)", "expected interval");
        for r in rows {
            let f = |v| pct_or_value(r.proportion, v);
            match (r.exact, r.half_width) {
                (Some(e), Some(h)) => say!("  {:<66} {:>12}  ± {}", r.label, f(e), f(h)),
                _ => say!("  {:<66} {:>12}", r.label, "no data"),
            }
        }
        say!();
        say!("Try another budget with --rho; set it for real in the [budget] section of node.toml.");
        return Ok(());
    }
    let refresh = refresh_briefly(data, &config, &store, clock).await;
    // Standard output carries the document when --json is given.
    if a.json {
        eprintln!("{}", refresh.line())
    } else {
        say!("{}", refresh.line())
    }
    let made = releases::release(&store, &config, period, a.revise, clock::now(clock)).await;
    store.db().close().await;
    let made = made?;
    if a.json {
        say!("{}", made.stored.document);
        return Ok(());
    }
    let f = made.release.fields();
    if made.new {
        say!(
            "Released {} revision {} for {} ({}), spending ρ = {:.4} (ε = {:.2} at δ = {:e}).",
            f.period,
            f.revision,
            council.name,
            council.code,
            f.privacy.rho,
            f.privacy.epsilon,
            f.privacy.delta
        );
    } else {
        say!(
            "{} was already released (revision {}, {}); this is the stored release, unchanged. \
             Use --revise to make a new revision from current data (it spends budget again).",
            f.period,
            f.revision,
            made.stored.created_at
        );
    }
    say!();
    say!("{}", headline_table(&msp_estimate::ReleaseCells(f)).trim_end());
    say!();
    say!("Every figure is noisy by design: the interval shows how far the noise may have moved it.");
    say!("`msp-node show-release --period {}` prints the exact document that leaves the node.", f.period);
    Ok(())
}

/// Prints the exact JSON of a stored release.
pub async fn show_release(data: &DataDir, a: ShowReleaseArgs) -> Result<(), CliError> {
    let (_, store) = open_store(data).await?;
    let stored = store.release(a.period, a.revision).await?;
    store.db().close().await;
    match stored {
        Some(r) => {
            say!("{}", r.document);
            Ok(())
        }
        None => Err(CliError::Usage(match a.revision {
            Some(n) => format!("there is no revision {n} of {}: `msp-node budget` lists the releases made", a.period),
            None => format!("{} has not been released: run `msp-node release --period {}`", a.period, a.period),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use clap::Parser;

    #[test]
    fn release_parses_without_a_period() {
        let cli = Cli::try_parse_from(["msp-node", "release"]).unwrap();
        assert!(matches!(cli.command, Command::Release(ReleaseArgs { period: None, .. })));
    }
}
