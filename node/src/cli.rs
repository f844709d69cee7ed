//! The `msp-node` command line: argument parsing and the human and JSON output of each command.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
};

use clap::{Args, Parser, Subcommand};
use msp_schemas::{
    CouncilCode, Period,
    codes::{MspLevel, TeamModel},
};
use rand::Rng;

use crate::{
    config::{ConfigError, ContextConfig, DEFAULT_DATA_DIR, DataDir, NodeConfig},
    import::{self, ImportError, ImportOptions, Mapping, MappingError},
    keys::{EnrolmentRequest, KeyError, NodeSecret, SigningKey},
    store::{NodeStoreError, Store},
    synth::{self, SynthError, SynthOptions},
};

/// A council's node in the MSP Outcomes Network: imports safeguarding case records, keeps them
/// locally, and makes the differentially private quarterly release that is all that leaves the
/// council.
#[derive(Debug, Parser)]
#[command(name = "msp-node", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// The node's data directory (configuration, keys, database).
    #[arg(long, global = true, env = "MSP_NODE_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The node's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up a node for a council: configuration, database, node secret and signing key; prints
    /// the enrolment request to send to the coordinator's operator.
    Init(InitArgs),
    /// Write a realistic synthetic case file for this node's council, with the truth beside it.
    Synth(SynthArgs),
    /// Import a case file exported from the council's case management system.
    Import(ImportArgs),
    /// Show what the node holds, per quarter (local figures, never sent anywhere).
    Status(StatusArgs),
}

/// `msp-node init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The council's ONS (GSS) code, e.g. E06000001.
    #[arg(long)]
    pub council: CouncilCode,
    /// The national coordinator's URL (https://…).
    #[arg(long)]
    pub coordinator: String,
    /// CA certificate (PEM) that signs the coordinator's TLS certificate, if not a public CA.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://…; default is node.db in the data directory.
    /// Prefer the MSP_NODE_DATABASE_URL environment variable for a URL with a password.
    #[arg(long)]
    pub database_url: Option<String>,
    /// How the council organises enquiries: specialist, locality or hybrid.
    #[arg(long, requires = "msp_level")]
    pub team_model: Option<TeamModel>,
    /// The council's Making Safeguarding Personal level: bronze, silver, gold or none.
    #[arg(long, requires = "team_model")]
    pub msp_level: Option<MspLevel>,
    /// The case management system the data come from.
    #[arg(long, default_value = "")]
    pub recording_system: String,
    /// Replace an existing node's configuration and signing key. The node secret, the database
    /// and its budget ledger are kept.
    #[arg(long)]
    pub force: bool,
    /// Print the enrolment request as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The latest quarter to generate, e.g. 2026-27-Q1.
    #[arg(long)]
    pub period: Period,
    /// People with an enquiry concluded in each quarter (default: sized like the council).
    #[arg(long)]
    pub people: Option<u32>,
    /// Earlier quarters of history to generate.
    #[arg(long, default_value_t = 4)]
    pub history_quarters: u32,
    /// Seed, to make the data reproducible (default: random, and printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Another council than the node's (no node needed then).
    #[arg(long)]
    pub council: Option<CouncilCode>,
    /// The case file to write; the truth goes beside it as *.truth.json.
    #[arg(long)]
    pub out: PathBuf,
}

/// `msp-node import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The case file (CSV, UTF-8).
    pub file: PathBuf,
    /// A mapping file (TOML) that renames columns and translates local values to codes.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Where to list rejected rows and warnings (default: the data directory's rejects/, when any).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Keys.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Database.
    #[error(transparent)]
    Store(#[from] NodeStoreError),
    /// Import.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Synthetic data.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// A mapping file.
    #[error("{path}: {source}")]
    Mapping {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: MappingError,
    },
    /// Anything else the user must fix, with what to do.
    #[error("{0}")]
    Usage(String),
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let data = DataDir::new(&cli.data_dir);
    match cli.command {
        Command::Init(args) => init(&data, args).await,
        Command::Synth(args) => synth(&data, args),
        Command::Import(args) => import(&data, args).await,
        Command::Status(args) => status(&data, args).await,
    }
}

async fn init(data: &DataDir, a: InitArgs) -> Result<(), CliError> {
    if !a.coordinator.starts_with("https://") {
        return Err(CliError::Usage(format!(
            "the coordinator URL {:?} must start with https://: the network only speaks HTTPS",
            a.coordinator
        )));
    }
    if data.is_initialised() && !a.force {
        let existing = data.load().map(|c| format!(" for {}", c.council)).unwrap_or_default();
        return Err(CliError::Usage(format!(
            "a node is already set up in {}{existing}: use --force to replace its configuration and signing key \
             (its node secret, database and budget ledger are kept)",
            data.root().display()
        )));
    }
    let ca_cert = match &a.ca_cert {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("could not read the CA certificate {}: {e}", path.display())))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(CliError::Usage(format!(
                    "{} is not a PEM certificate: give the coordinator's CA certificate (-----BEGIN CERTIFICATE-----)",
                    path.display()
                )));
            }
            crate::config::write_atomic(&data.root().join("coordinator-ca.pem"), pem.as_bytes(), false)?;
            Some(PathBuf::from("coordinator-ca.pem"))
        }
        None => None,
    };
    let keys = data.keys_dir();
    let kept_secret = NodeSecret::exists(&keys);
    if !kept_secret {
        NodeSecret::create(&keys)?;
    }
    let key = SigningKey::create(&keys)?;
    let context = match (a.team_model, a.msp_level) {
        (Some(team_model), Some(msp_level)) => Some(ContextConfig {
            team_model,
            msp_level,
            recording_system: a.recording_system.clone(),
            validated: false,
        }),
        _ => None,
    };
    let config = NodeConfig {
        council: a.council,
        coordinator_url: a.coordinator.trim_end_matches('/').to_owned(),
        ca_cert,
        database_url: a.database_url.clone(),
        context,
    };
    let store = Store::open(&data.database_url(&config), config.council).await?;
    store.db().close().await;
    data.save(&config)?;

    let council = a.council.council();
    let request = EnrolmentRequest {
        council: council.code.to_owned(),
        council_name: council.name.to_owned(),
        algorithm: "Ed25519",
        public_key: key.public_key_b64(),
        fingerprint: key.fingerprint(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&request).expect("serialises"));
        return Ok(());
    }
    println!("Node set up for {} ({}) in {}", council.name, council.code, data.root().display());
    if kept_secret {
        println!("Kept the existing node secret, database and budget ledger; made a new signing key.");
    }
    println!();
    println!("Enrolment request: send it to the coordinator's operator, and read the fingerprint");
    println!("to them by phone so they can check it arrived unaltered.");
    println!();
    println!("  council      {} ({})", request.council, request.council_name);
    println!("  algorithm    Ed25519");
    println!("  public key   {}", request.public_key);
    println!("  fingerprint  {}", request.fingerprint);
    println!();
    println!("The operator enrols it with:");
    println!("  msp-coordinator council enrol --code {} --public-key {}", request.council, request.public_key);
    if config.context.is_none() {
        println!();
        println!("Before the first release, declare the council's context in {}:", data.config_path().display());
        println!(
            "  [context]\n  team_model = \"specialist\"   # or locality, hybrid\n  msp_level = \"silver\"        # or bronze, gold, none"
        );
    }
    Ok(())
}

fn synth(data: &DataDir, a: SynthArgs) -> Result<(), CliError> {
    let council = match a.council {
        Some(c) => c,
        None => data.load()?.council,
    };
    let seed = a.seed.unwrap_or_else(|| rand::rng().random());
    let options =
        SynthOptions { council, period: a.period, people: a.people, history_quarters: a.history_quarters, seed };
    let truth = synth::write(&options, &a.out)?;
    let latest = truth.quarters.last().expect("at least one quarter");
    println!(
        "Wrote {} rows for {} ({}), {} to {}, to {} (seed {seed})",
        truth.rows,
        council.council().name,
        council,
        truth.quarters.first().map(|q| q.period.as_str()).unwrap_or_default(),
        truth.period,
        a.out.display()
    );
    println!(
        "{}: {} people with an enquiry concluded, {} concerns received. Truth: {}",
        latest.period,
        latest.people_concluded,
        latest.concerns,
        synth::truth_path(&a.out).display()
    );
    Ok(())
}

fn read_mapping(path: &Path) -> Result<Mapping, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("could not read the mapping file {}: {e}", path.display())))?;
    Mapping::parse(&text).map_err(|source| CliError::Mapping { path: path.to_owned(), source })
}

/// Formats a count with thousands separators.
pub fn thousands(n: impl Into<i128>) -> String {
    let s = n.into().to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

async fn import(data: &DataDir, a: ImportArgs) -> Result<(), CliError> {
    let config = data.load()?;
    let mapping = a.mapping.as_deref().map(read_mapping).transpose()?;
    let secret = NodeSecret::load(&data.keys_dir())?;
    let store = Store::open(&data.database_url(&config), config.council).await?;
    let options = ImportOptions {
        mapping,
        rejects_path: a.rejects.clone(),
        rejects_dir: data.rejects_dir(),
        progress: std::io::stderr().is_terminal() && !a.json,
    };
    let summary = import::import_file(&store, &secret, &a.file, options).await;
    store.db().close().await;
    let summary = summary?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("serialises"));
        return Ok(());
    }
    let c = &summary.counts;
    println!(
        "Imported {} into {}'s node (import {})",
        a.file.display(),
        config.council.council().name,
        summary.import_id
    );
    let line = |label: &str, n: u64| println!("  {label:<10} {:>12}", thousands(n));
    line("rows read", c.rows_read);
    line("new", c.imported);
    line("updated", c.updated);
    line("unchanged", c.unchanged);
    line("rejected", c.rejected);
    line("warnings", c.warnings);
    if let Some(p) = &summary.rejects_file {
        println!("Rejected rows and warnings are listed, with line, column, value and reason, in {}", p.display());
    }
    Ok(())
}

async fn status(data: &DataDir, a: StatusArgs) -> Result<(), CliError> {
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
        println!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
        return Ok(());
    }
    println!(
        "{} ({}) — {} case records in {}",
        config.council.council().name,
        config.council,
        thousands(cases),
        store.db().url()
    );
    println!("These are local figures: they never leave the node.");
    println!();
    if holdings.is_empty() {
        println!("No case records yet: import a case file with `msp-node import FILE`.");
    } else {
        println!("{:<12} {:>10} {:>12} {:>12} {:>12}", "quarter", "concerns", "people", "concluded", "people");
        println!("{:<12} {:>10} {:>12} {:>12} {:>12}", "", "received", "(concerns)", "enquiries", "(concluded)");
        for h in &holdings {
            println!(
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
        println!();
        println!(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_thousands_separators() {
        assert_eq!(thousands(0u64), "0");
        assert_eq!(thousands(999u64), "999");
        assert_eq!(thousands(1_000u64), "1,000");
        assert_eq!(thousands(1_234_567u64), "1,234,567");
        assert_eq!(thousands(-1_234i64), "-1,234");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
