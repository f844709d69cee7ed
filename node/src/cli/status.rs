//! `msp-node status`: what the node holds, per quarter (local figures, never sent anywhere), and
//! how far each quarter's latest release has gone ([`crate::quarters`]).

use clap::Args;
use msp_terminal::say;

use super::{CliError, thousands};
use crate::{config::DataDir, quarters, store::Store};

/// `msp-node status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the holdings, each quarter's state and the last import.
pub async fn status(data: &DataDir, a: StatusArgs) -> Result<(), CliError> {
    let config = data.load()?;
    let store = Store::open(&data.database_url(&config), config.council).await?;
    let read = async {
        let holdings = store.holdings().await?;
        let states = quarters::states(&store).await?;
        let last = store.last_import().await?;
        let cases = store.case_count().await?;
        Ok::<_, CliError>((holdings, states, last, cases))
    }
    .await;
    store.db().close().await;
    let (holdings, states, last, cases) = read?;
    if a.json {
        let quarters: Vec<serde_json::Value> = states
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).expect("serialises");
                v["stage"] = serde_json::to_value(s.stage()).expect("serialises");
                v["state"] = s.describe().into();
                v
            })
            .collect();
        let v = serde_json::json!({
            "council": config.council,
            "database": store.db().url(),
            "case_records": cases,
            "periods": holdings,
            "quarters": quarters,
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
    }
    if !states.is_empty() {
        say!("{:<12} {:>10} {:>12} {:>12} {:>12}   state", "quarter", "concerns", "people", "concluded", "people");
        say!("{:<12} {:>10} {:>12} {:>12} {:>12}", "", "received", "(concerns)", "enquiries", "(concluded)");
        for s in &states {
            let h = s.holdings.clone().unwrap_or_default();
            say!(
                "{:<12} {:>10} {:>12} {:>12} {:>12}   {}",
                s.period,
                thousands(h.concerns),
                thousands(h.people_with_concerns),
                thousands(h.concluded_enquiries),
                thousands(h.people_concluded),
                s.describe()
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
