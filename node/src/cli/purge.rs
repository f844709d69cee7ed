//! `msp-node purge`: retention. Removes every stored case received (concern_date) before a date,
//! in one transaction with its audit entry; the privacy budget ledger and the stored releases are
//! not touched.
//!
//! The repeat-within-12-months flag of a release counts a person's other enquiries concluded in
//! the 365 days before each concern, so the oldest quarter the council may still release — the
//! last finished one — needs the cases of the year before it. A date later than one year before
//! that quarter's first day is refused unless `--force`, and so is a purge that would remove a
//! case concluded within that year. Removed cases never come back, so on a terminal `purge` shows
//! how many go and asks; `--yes` answers for timers and scripts, and without a terminal or `--yes`
//! it refuses and removes nothing.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use msp_schemas::Period;
use msp_terminal::say;
use time::{Date, format_description::well_known::Iso8601};

use super::{CliError, open_store, release::answered_yes, thousands};
use crate::{
    audit::Actor,
    clock::{self, Clock},
    config::DataDir,
    store::{NodeStoreError, retention::PurgeCount},
};

/// `msp-node purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Remove every stored case whose concern_date is before this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    pub before: Date,
    /// Remove without asking (for timers and scripts). Without it, `purge` shows how many cases
    /// go and asks on a terminal, and refuses when there is no terminal to ask on.
    #[arg(long)]
    pub yes: bool,
    /// Remove cases a release may still need for its repeat-within-12-months flag (a date later
    /// than one year before the last finished quarter's first day).
    #[arg(long)]
    pub force: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A day as `YYYY-MM-DD`.
fn parse_day(s: &str) -> Result<Date, String> {
    Date::parse(s.trim(), &Iso8601::DATE).map_err(|e| format!("{s:?} is not a day written YYYY-MM-DD: {e}"))
}

/// The earliest `--before` that keeps what releases still need: one year before the first day of
/// the last quarter finished on `today`.
pub fn earliest_needed(today: Date) -> Result<Date, CliError> {
    let unsupported = || CliError::Usage(format!("{today} lies outside the years the node supports"));
    let last_finished = Period::containing(today).ok().and_then(Period::previous).ok_or_else(unsupported)?;
    let start = last_finished.first_day();
    // A quarter starts on the 1st of April, July, October or January: never on 29 February.
    start.replace_year(start.year() - 1).map_err(|_| unsupported())
}

/// What a purge did, for `--json`.
#[derive(Debug, serde::Serialize)]
struct Purged {
    /// The date given.
    before: String,
    /// The earliest date that keeps what releases need.
    needed_from: String,
    /// Cases removed.
    removed: u64,
}

/// Removes the stored cases received before `--before`, after the checks and the question.
pub async fn purge(data: &DataDir, a: PurgeArgs, clock: &Clock) -> Result<(), CliError> {
    let today = clock().date();
    let needed_from = earliest_needed(today)?;
    if !a.force && a.before > needed_from {
        return Err(CliError::Usage(format!(
            "--before {} is later than {needed_from}: {}. Purge before {needed_from} or earlier, or pass --force to \
             remove them anyway (releases would then count fewer repeats). Nothing was removed.",
            a.before,
            why_needed(needed_from)
        )));
    }
    let (_, store) = open_store(data).await?;
    let count = store.count_before(a.before, needed_from).await;
    let count = match count {
        Ok(c) => c,
        Err(e) => {
            store.db().close().await;
            return Err(e.into());
        }
    };
    if !a.force && count.still_needed > 0 {
        store.db().close().await;
        return Err(CliError::Usage(format!(
            "{} of the cases received before {} concluded on or after {needed_from}: {}. Purge an earlier date, or \
             pass --force to remove them anyway. Nothing was removed.",
            thousands(count.still_needed),
            a.before,
            why_needed(needed_from)
        )));
    }
    let out = |text: &str| if a.json { eprintln!("{text}") } else { say!("{text}") };
    if count.cases == 0 {
        store.db().close().await;
        out(&format!("No stored case was received before {}: nothing to remove.", a.before));
        if a.json {
            let p = Purged { before: a.before.to_string(), needed_from: needed_from.to_string(), removed: 0 };
            say!("{}", serde_json::to_string_pretty(&p).expect("serialises"));
        }
        return Ok(());
    }
    if !a.yes {
        match confirm(&a, needed_from, count) {
            Ok(true) => {}
            Ok(false) => {
                store.db().close().await;
                out("Nothing was removed.");
                return Ok(());
            }
            Err(e) => {
                store.db().close().await;
                return Err(e);
            }
        }
    }
    let at = clock::now(clock).to_string();
    let forced = if a.force { " (--force)" } else { "" };
    let detail = |n: u64| format!("removed {n} stored case(s) received before {}{forced}", a.before);
    let removed = store.purge_before(a.before, &at, &Actor::command_line(None), detail).await;
    store.db().close().await;
    let removed = removed?;
    if a.json {
        let p = Purged { before: a.before.to_string(), needed_from: needed_from.to_string(), removed };
        say!("{}", serde_json::to_string_pretty(&p).expect("serialises"));
        return Ok(());
    }
    say!("Removed {} stored case(s) received before {}.", thousands(removed), a.before);
    say!(
        "Releases already made, and the privacy budget they spent, are unchanged; the next release reads the cases \
         that remain."
    );
    Ok(())
}

/// Why the cases from `needed_from` on are kept.
fn why_needed(needed_from: Date) -> String {
    format!(
        "a release's repeat-within-12-months flag counts each person's enquiries concluded in the 365 days before \
         their concern, so the last finished quarter, the oldest the council may still release, needs the cases \
         from {needed_from} on"
    )
}

/// Shows how many cases go and asks on the terminal; refuses without one.
fn confirm(a: &PurgeArgs, needed_from: Date, count: PurgeCount) -> Result<bool, CliError> {
    let n = thousands(count.cases);
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "purging removes {n} stored case(s) for good, so `msp-node purge` asks first, and there is no terminal \
             to ask on. Run it on a terminal to answer, or pass --yes where it runs unattended. Nothing was removed."
        )));
    }
    let text = format!(
        "This removes {n} stored case(s) received before {}, for good (restore a backup to get them back). Releases \
         already made and the privacy budget are unchanged. Cases from {needed_from} on are needed for the \
         repeat-within-12-months flag of the quarters the council may still release.\nRemove {n} case(s)? [y/N] ",
        a.before
    );
    let mut line = String::new();
    let read = if a.json {
        eprint!("{text}");
        std::io::stdin().lock().read_line(&mut line)
    } else {
        print!("{text}");
        let _ = std::io::stdout().flush();
        std::io::stdin().lock().read_line(&mut line)
    };
    read.map_err(|e| NodeStoreError::Read(format!("reading the answer: {e}")))?;
    Ok(answered_yes(&line))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_earliest_date_kept_is_a_year_before_the_last_finished_quarter() {
        // On 15 August 2026 the last finished quarter is 2026-27-Q1, from 1 April 2026.
        assert_eq!(earliest_needed(date!(2026 - 08 - 15)).unwrap(), date!(2025 - 04 - 01));
        // On its first day, a quarter is not finished: 2026-27-Q3 starts 1 October.
        assert_eq!(earliest_needed(date!(2026 - 10 - 01)).unwrap(), date!(2025 - 07 - 01));
    }

    #[test]
    fn a_day_is_read_as_written_yyyy_mm_dd() {
        assert_eq!(parse_day("2025-04-01").unwrap(), date!(2025 - 04 - 01));
        assert!(parse_day("01/04/2025").is_err());
    }
}
