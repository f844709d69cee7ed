//! `msp-node status`: what the node holds, per quarter (local figures, never sent anywhere).

use clap::Args;
use msp_terminal::say;

use super::{CliError, thousands};
use crate::{config::DataDir, store::Store};

/// `msp-node status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the holdings and the last import.
pub async fn status(data: &DataDir, a: StatusArgs) -> Result<(), CliError> {
    let config = data.load()?;
    let store = Store::open(&data.database_url(&config), config.council).await?;
    let holdings = store.holdings().await?;
    let last = store.last_import().await?;
    let cases = store.case_count().await?;
    store.db().close().await;
    if a.json {
        let v = serde_json::json!({
            "council": config.council,
            "database": store.db().url(),
            "case_records": cases,
            "periods": holdings,
            "last_import": last,
        });
        say!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
        return Ok(());
    }
    say!(
        "{} ({}) — {} case records in {}",
        config.council.council().name,
        config.council,
        thousands(cases),
        store.db().url()
    );
    say!("These are local figures: they never leave the node.");
    say!();
    if holdings.is_empty() {
        say!("No case records yet: import a case file with `msp-node import FILE`.");
    } else {
        say!("{:<12} {:>10} {:>12} {:>12} {:>12}", "quarter", "concerns", "people", "concluded", "people");
        say!("{:<12} {:>10} {:>12} {:>12} {:>12}", "", "received", "(concerns)", "enquiries", "(concluded)");
        for h in &holdings {
            say!(
                "{:<12} {:>10} {:>12} {:>12} {:>12}",
                h.period,
                thousands(h.concerns),
                thousands(h.people_with_concerns),
                thousands(h.concluded_enquiries),
                thousands(h.people_concluded)
            );
        }
    }
    if let Some(i) = last {
        say!();
        say!(
            "Last import: {} at {} — {} rows read, {} new, {} updated, {} unchanged, {} rejected",
            i.file_name,
            i.finished_at,
            thousands(i.counts.rows_read),
            thousands(i.counts.imported),
            thousands(i.counts.updated),
            thousands(i.counts.unchanged),
            thousands(i.counts.rejected)
        );
    }
    Ok(())
}
