//! `msp-node compare`: the council's headline figures beside its region, authority type and
//! England ([`crate::compare`]), read with the council's read token: each group figure with the
//! number of councils behind it, and a refusal when the council has no release to compare.

use std::path::PathBuf;

use clap::Args;
use msp_terminal::say;

use super::CliError;
use crate::{
    compare::{CompareError, TOKEN_ENV},
    config::DataDir,
    submit::{Backoff, Coordinator},
};

/// `msp-node compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The quarter (2026-27-Q1) or financial year (2026-27) (default: the latest with releases).
    #[arg(long)]
    pub period: Option<String>,
    /// A file holding the council's read token (default: the MSP_NODE_TOKEN environment variable).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Another group to compare with, by its id (repeatable): a named comparator group the
    /// coordinator's operator defined (named:hartlepool-neighbours), a council type or region
    /// (type:unitary, region:london), a model of practice (team_model:specialist).
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Fetches the comparison and prints it.
pub async fn compare(data: &DataDir, a: CompareArgs) -> Result<(), CliError> {
    let config = data.load()?;
    let from_env = std::env::var(TOKEN_ENV).ok().filter(|t| !t.trim().is_empty());
    let token = match (&a.token_file, from_env) {
        (Some(path), _) => std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("could not read the token file {}: {e}", path.display())))?
            .trim()
            .to_owned(),
        (None, Some(t)) => t.trim().to_owned(),
        (None, None) => {
            return Err(CliError::Usage(format!(
                "compare reads the coordinator's benchmarks with your council's read token: ask the coordinator's \
                 operator for one (`msp-coordinator token create --role council:{}`), then pass it with \
                 --token-file FILE or the {TOKEN_ENV} environment variable",
                config.council
            )));
        }
    };
    if let Some(p) = &a.period
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(CliError::Usage(format!(
            "{p:?} is not a period: give a quarter (2026-27-Q1) or a financial year (2026-27)"
        )));
    }
    if let Some(g) =
        a.groups.iter().find(|g| g.is_empty() || !g.chars().all(|c| c.is_ascii_alphanumeric() || ":-_".contains(c)))
    {
        return Err(CliError::Usage(format!(
            "{g:?} is not a group id: give one such as named:hartlepool-neighbours, type:unitary or region:london"
        )));
    }
    let coordinator = Coordinator::for_node(&config, data, Backoff::default())?;
    let c = crate::compare::fetch(&coordinator, &token, config.council, a.period.as_deref(), &a.groups).await.map_err(
        |e| match e {
            CompareError::Fetch(e) => CliError::Submit(e),
            refused => CliError::Usage(refused.to_string()),
        },
    )?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&c).expect("serialises"));
    } else {
        say!("{}", crate::compare::render(&c).trim_end());
    }
    Ok(())
}
