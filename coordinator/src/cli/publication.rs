//! `msp-coordinator publication …`: when each quarter's figures are published (the rule is in
//! [`crate::auth`]). Until a quarter's date, a council's role sees only its own figures for it and
//! a region's role only its councils; from it, every reader and the open-data pages see every
//! figure. A quarter with no date set is published on its default date, two full months after it
//! ends.

use clap::Subcommand;
use msp_schemas::Period;
use msp_terminal::say;
use time::{Date, OffsetDateTime, format_description::well_known::Iso8601};

use super::error::CliError;
use crate::{
    auth::{Publication, long_date},
    store::Store,
};

/// `msp-coordinator publication …`.
#[derive(Debug, Subcommand)]
pub enum PublicationCommand {
    /// List the publication date of every quarter with releases, and of those the operator set.
    List,
    /// Set a quarter's publication date.
    Set {
        /// The quarter, e.g. 2026-27-Q1.
        quarter: Period,
        /// The date it is published on (YYYY-MM-DD): not before the quarter ends.
        date: String,
    },
    /// Put a quarter back on its default date (two full months after it ends).
    Reset {
        /// The quarter.
        quarter: Period,
    },
}

/// Runs a `publication` command.
pub(super) async fn publication(store: &Store, c: PublicationCommand, now: OffsetDateTime) -> Result<(), CliError> {
    match c {
        PublicationCommand::List => {
            let set = store.publication_dates().await?;
            let mut quarters = store.quarters_with_releases().await?;
            quarters.extend(set.keys().copied());
            quarters.sort();
            quarters.dedup();
            let publication = Publication::new(set);
            if quarters.is_empty() {
                say!(
                    "No quarter has releases or a publication date yet. A quarter is published two full months after it ends unless a date is set (publication set QUARTER DATE)."
                );
                return Ok(());
            }
            say!("{:<12} {:<20} {:<10} {}", "quarter", "published on", "set by", "now");
            for q in quarters {
                let on = publication.date(q);
                let by = if publication.is_set(q) { "operator" } else { "default" };
                let state = if on <= now.date() { "published" } else { "not yet" };
                say!("{:<12} {:<20} {:<10} {state}", q.to_string(), long_date(on), by);
            }
        }
        PublicationCommand::Set { quarter, date } => {
            let on = Date::parse(&date, &Iso8601::DATE).map_err(|_| {
                CliError::Usage(format!("{date:?} is not a date: write it as YYYY-MM-DD, e.g. 2026-09-15"))
            })?;
            if on <= quarter.last_day() {
                return Err(CliError::Usage(format!(
                    "{quarter} ends on {}: it cannot be published before its councils can have released it; choose a \
                     date after that",
                    long_date(quarter.last_day())
                )));
            }
            store.set_publication_date(quarter, on, &now.to_string()).await?;
            say!(
                "{quarter} is published on {} (its default was {}).{}",
                long_date(on),
                long_date(Publication::default_date(quarter)),
                if on <= now.date() {
                    " That is today or earlier: its figures are open to every reader now."
                } else {
                    ""
                }
            );
        }
        PublicationCommand::Reset { quarter } => {
            let had = store.reset_publication_date(quarter).await?;
            let on = long_date(Publication::default_date(quarter));
            if had {
                say!("{quarter} is back on its default publication date, {on}.");
            } else {
                say!("{quarter} had no date set: it is published on its default date, {on}.");
            }
        }
    }
    Ok(())
}
