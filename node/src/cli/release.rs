//! `msp-node release` and `msp-node show-release`: the quarter's release as people read it (the
//! headline measures with their intervals, every table under its published wording), and the
//! exact document that leaves the node.
//!
//! A release spends privacy budget that never comes back, so on a terminal `release` first shows
//! what it would spend ([`crate::spending`]) and asks; `--yes` answers for timers and scripts, and
//! without a terminal or `--yes` it refuses and spends nothing.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use msp_schemas::{Period, Release};
use msp_terminal::say;

use super::{CliError, open_store, thousands};
use crate::{
    clock::{self, Clock},
    config::DataDir,
    policy, readable,
    release::{self as releases, Expected},
    spending::{self, Spend},
    store::NodeStoreError,
    submit::policy::refresh_briefly,
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
    /// Spend the budget without asking (for timers and scripts). Without it, `release` shows what
    /// it would spend and asks on a terminal, and refuses when there is no terminal to ask on.
    #[arg(long)]
    pub yes: bool,
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
    /// Show every table labelled for people: its title, each cell's published wording and value,
    /// the noise and the privacy guarantee in words (default: the exact JSON bytes).
    #[arg(long, conflicts_with = "json")]
    pub table: bool,
    /// With --table: show the exact local figures of the data as they stand now beside the
    /// published ones (they never leave the node).
    #[arg(long, requires = "table")]
    pub exact: bool,
    /// Print the exact JSON bytes of the document, as they leave the node (the default).
    #[arg(long)]
    pub json: bool,
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
        let spec = releases::current_spec(&store, &config).await?;
        let (concluded, rows) = releases::dry_run(&store, spec, period, rho).await?;
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
            let v = serde_json::json!({ "period": period, "rho": rho, "epsilon": crate::dp::mechanism::spent_epsilon(rho, budget.delta), "delta": budget.delta,
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
            crate::dp::mechanism::spent_epsilon(rho, budget.delta),
            budget.delta,
            thousands(concluded as u64)
        );
        say!();
        say!("{}", expected_table(&rows).trim_end());
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
    if !a.yes {
        match confirm(&store, &config, period, a.revise, a.json, clock).await {
            Ok(true) => {}
            Ok(false) => {
                store.db().close().await;
                let note = "Nothing was released and no budget was spent.";
                if a.json {
                    eprintln!("{note}")
                } else {
                    say!("{note}")
                }
                return Ok(());
            }
            Err(e) => {
                store.db().close().await;
                return Err(e);
            }
        }
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
    say!(
        "`msp-node show-release --period {} --table` shows every table labelled; without --table it prints the \
         exact document that leaves the node.",
        f.period
    );
    Ok(())
}

/// The expected 95% intervals of a dry run, as a table for people.
fn expected_table(rows: &[Expected]) -> String {
    let mut out = format!("  {:<66} {:>12}  {}\n", "measure", "exact (local)", "expected interval");
    for r in rows {
        let f = |v| pct_or_value(r.proportion, v);
        match (r.exact, r.half_width) {
            (Some(e), Some(h)) => out.push_str(&format!("  {:<66} {:>12}  ± {}\n", r.label, f(e), f(h))),
            _ => out.push_str(&format!("  {:<66} {:>12}\n", r.label, "no data")),
        }
    }
    out
}

/// What a release would spend, in words: the quarter, ρ and ε, and what is left afterwards.
pub fn spend_in_words(s: &Spend) -> String {
    let what = if s.revision == 1 { "the first release".to_owned() } else { format!("revision {}", s.revision) };
    format!(
        "This makes {what} of {period} and spends ρ = {rho:.4} of the privacy budget (ε = {eps:.2} at δ = {delta:e}). \
         Spent budget never comes back.\n\
         Afterwards {period}'s data have ρ = {ql:.4} left of {qc}, and the tightest four consecutive quarters \
         holding it ρ = {fl:.4} left of {fc} (limits of {policy}).",
        period = s.period,
        rho = s.rho,
        eps = s.epsilon,
        delta = s.delta,
        ql = s.quarter_left,
        qc = s.quarter_cap,
        fl = s.four_quarters_left,
        fc = s.four_quarters_cap,
        policy = s.policy,
    )
}

/// The question `release` asks before spending.
pub fn question(s: &Spend) -> String {
    format!("Spend ρ = {:.4} and release {}? [y/N] ", s.rho, s.period)
}

/// Whether an answer to [`question`] is yes: `y` or `yes`, in any case; anything else is no.
pub fn answered_yes(line: &str) -> bool {
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Before a release that spends budget, shows what it would spend and asks on the terminal:
/// whether to go on. A release that would return the stored one spends nothing and goes on
/// unasked; one that would be refused is refused here; without a terminal it is refused too.
async fn confirm(
    store: &crate::store::Store,
    config: &crate::config::NodeConfig,
    period: Period,
    revise: bool,
    json: bool,
    clock: &Clock,
) -> Result<bool, CliError> {
    let Some(spend) = spending::preview(store, config, period, revise, clock().date()).await? else {
        return Ok(true);
    };
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "a release of {period} spends ρ = {:.4} of the privacy budget, which never comes back, so `msp-node \
             release` asks before spending it, and there is no terminal to ask on. Run it on a terminal to answer, \
             or pass --yes where it runs unattended (timers and scripts). Nothing was released and no budget was spent.",
            spend.rho
        )));
    }
    let spec = releases::current_spec(store, config).await?;
    let (concluded, rows) = releases::dry_run(store, spec, period, config.budget().rho_per_release).await?;
    let text = format!(
        "{}\n\nThe headline measures would have these 95% intervals, for the data as they stand ({} people \
         concluded; the exact figures stay on the node):\n\n{}\n{}",
        spend_in_words(&spend),
        thousands(concluded as u64),
        expected_table(&rows).trim_end(),
        question(&spend)
    );
    // Standard output carries only the document when --json is given.
    let answer = if json {
        eprint!("{text}");
        read_answer()
    } else {
        print!("{text}");
        let _ = std::io::stdout().flush();
        read_answer()
    };
    Ok(answered_yes(&answer.map_err(|e| NodeStoreError::Read(format!("reading the answer: {e}")))?))
}

fn read_answer() -> std::io::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line)
}

/// Prints a stored release: its exact JSON bytes, or with `--table` every table labelled.
pub async fn show_release(data: &DataDir, a: ShowReleaseArgs) -> Result<(), CliError> {
    let (_, store) = open_store(data).await?;
    let stored = store.release(a.period, a.revision).await;
    let parse = |r: &crate::store::StoredRelease| {
        Release::from_json(r.document.as_bytes())
            .map_err(|e| NodeStoreError::Corrupt(crate::store::CorruptRecord::new(format!("stored release: {e}"))))
    };
    let exact = match (&stored, a.exact) {
        // The exact figures of the tables of the spec the stored release follows.
        (Ok(Some(r)), true) => match parse(r) {
            Ok(d) => Some(releases::exact_tables(&store, d.spec(), a.period).await.map(|(e, _)| e)),
            Err(e) => Some(Err(e)),
        },
        _ => None,
    };
    store.db().close().await;
    let exact = exact.transpose()?;
    match stored? {
        Some(r) if a.table => {
            let release = parse(&r)?;
            say!("{}", tables_for_people(&release, &r.created_at, exact.as_deref()).trim_end());
            Ok(())
        }
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

/// A release's tables labelled for people, with the noise, the negative-values note when it
/// applies, and the privacy guarantee in words.
pub fn tables_for_people(release: &Release, created_at: &str, exact: Option<&[Vec<i64>]>) -> String {
    let f = release.fields();
    let council = f.council.council();
    let tables = readable::labelled(release, exact);
    let mut out = format!(
        "{} ({}), {} revision {}, made {created_at}: the published figures, as they leave the node.\n",
        council.name, council.code, f.period, f.revision
    );
    if exact.is_some() {
        out.push_str(
            "Beside them, the exact figures of the data as they stand now (local: they never leave the node, and \
             differ from the release's if the data have changed since it was made).\n",
        );
    }
    for t in &tables {
        out.push_str(&format!("\n{}\n  Counts {}.\n", t.title, t.population));
        out.push_str(&format!("  ρ = {:.4} (σ = {:.2}): {}.\n", t.rho, t.sigma, t.noise_in_words()));
        let width = t.cells.iter().map(|c| c.label.chars().count()).max().unwrap_or(0).min(70);
        for c in &t.cells {
            let exact = c.exact.map(|e| format!("   exact {:>8}", thousands(e))).unwrap_or_default();
            out.push_str(&format!("    {:<width$}  {:>8}{exact}\n", c.label, thousands(c.noisy)));
        }
    }
    if readable::any_negative(&tables) {
        out.push_str(&format!("\n{}\n", readable::NEGATIVE_VALUES));
    }
    out.push_str(&format!("\n{}\n", readable::privacy_in_words(&f.privacy)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use clap::Parser;

    #[test]
    fn release_parses_without_a_period() {
        let cli = Cli::try_parse_from(["msp-node", "release"]).unwrap();
        assert!(matches!(cli.command, Command::Release(ReleaseArgs { period: None, yes: false, .. })));
    }

    #[test]
    fn only_y_or_yes_is_an_answer_to_spend() {
        for yes in ["y", "Y", "yes\n", " YES "] {
            assert!(answered_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "y es"] {
            assert!(!answered_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_question_names_the_spend_and_what_is_left() {
        let s = Spend {
            period: "2026-27-Q1".parse().unwrap(),
            revision: 2,
            rho: 0.5,
            epsilon: 5.7565,
            delta: 1e-6,
            quarter_cap: 1.0,
            quarter_left: 0.0,
            four_quarters_cap: 2.5,
            four_quarters_left: 1.5,
            policy: "the network's default policy".into(),
        };
        assert_eq!(question(&s), "Spend ρ = 0.5000 and release 2026-27-Q1? [y/N] ");
        let words = spend_in_words(&s);
        assert!(words.contains("revision 2 of 2026-27-Q1") && words.contains("ε = 5.76 at δ = 1e-6"), "{words}");
        assert!(words.contains("ρ = 0.0000 left of 1") && words.contains("ρ = 1.5000 left of 2.5"), "{words}");
    }
}
