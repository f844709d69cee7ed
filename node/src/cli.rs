//! The `msp-node` command line: argument parsing and the human and JSON output of each command.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
};

use clap::{Args, Parser, Subcommand};
use msp_schemas::{
    CouncilCode, Period,
    codes::{MspLevel, TeamModel},
    release::Timestamp,
};
use rand::Rng;

use crate::{
    config::{ConfigError, ContextConfig, DEFAULT_DATA_DIR, DataDir, NodeConfig},
    import::{self, ImportError, ImportOptions, Mapping, MappingError},
    keys::{EnrolmentRequest, KeyError, NodeSecret, SigningKey},
    release::{self as releases, ReleaseError},
    store::{ImportRecord, NodeStoreError, Store},
    submit::{Backoff, Coordinator, SubmitError, Submitter},
    synth::{self, SynthError, SynthOptions},
};

/// Prints a line to standard output. When the reader has gone (`msp-node … | head`), stops
/// quietly instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

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
    /// Make the quarter's differentially private release (or show the one already made).
    Release(ReleaseArgs),
    /// Show the privacy budget: spent and remaining per quarter and per four quarters.
    Budget(BudgetArgs),
    /// Print the exact JSON of a stored release: the bytes that leave the node.
    ShowRelease(ShowReleaseArgs),
    /// Record who approved a release for submission (when node.toml asks for approval).
    Approve(ApproveArgs),
    /// Sign and send releases to the coordinator, and keep its receipts once they check out.
    Submit(SubmitArgs),
    /// List the receipts the coordinator has given.
    Receipts(ReceiptsArgs),
    /// Check a stored receipt against the coordinator's log as it is now.
    VerifyReceipt(PeriodRevisionArgs),
    /// Trust the coordinator's new receipt-signing key after its operator has rotated it: only once
    /// you have checked the fingerprint with them by phone (or another channel than the coordinator's
    /// website). The key pinned until now stays trusted for the receipts it signed.
    TrustCoordinatorKey(TrustCoordinatorKeyArgs),
    /// Write a signed release to a file, for a coordinator this node cannot reach.
    ExportSubmission(ExportArgs),
    /// Show this council's headline figures beside its region, authority type and England, from the
    /// coordinator's benchmarks, with a plain verdict against the rest of the region.
    Compare(CompareArgs),
}

/// `msp-node approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// The revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
    /// Who approves it.
    #[arg(long)]
    pub by: String,
}

/// `msp-node submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Only this quarter (default: every release not yet receipted; when node.toml asks for
    /// approval, those not yet approved are listed and passed over).
    #[arg(long)]
    pub period: Option<Period>,
    /// Print the receipts as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The quarter (2026-27-Q1) or financial year (2026-27) (default: the latest with releases).
    #[arg(long)]
    pub period: Option<String>,
    /// A file holding the council's read token (default: the MSP_NODE_TOKEN environment variable).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node receipts`.
#[derive(Debug, Args)]
pub struct ReceiptsArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A quarter and optionally a revision.
#[derive(Debug, Args)]
pub struct PeriodRevisionArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// The revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node trust-coordinator-key`.
#[derive(Debug, Args)]
pub struct TrustCoordinatorKeyArgs {
    /// The new key's fingerprint as the coordinator's operator read it out: the key the coordinator
    /// serves is trusted only if its fingerprint is exactly this (base64url, so it may start with '-').
    #[arg(long, allow_hyphen_values = true)]
    pub fingerprint: String,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `msp-node export-submission`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The quarter.
    #[arg(long)]
    pub period: Period,
    /// The revision (default: the latest).
    #[arg(long)]
    pub revision: Option<u32>,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

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

/// `msp-node budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// Print as JSON.
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
    #[arg(long)]
    pub recording_system: Option<String>,
    /// Replace an existing node's signing key and the settings given here. The node secret, the
    /// database and its budget ledger are kept, and so is every setting of node.toml not given again.
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
    /// Release.
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// Submission.
    #[error(transparent)]
    Submit(#[from] SubmitError),
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
        Command::Release(args) => release(&data, args).await,
        Command::Budget(args) => budget(&data, args).await,
        Command::ShowRelease(args) => show_release(&data, args).await,
        Command::Approve(args) => approve(&data, args).await,
        Command::Submit(args) => submit(&data, args).await,
        Command::Receipts(args) => receipts(&data, args).await,
        Command::VerifyReceipt(args) => verify_receipt(&data, args).await,
        Command::TrustCoordinatorKey(args) => trust_coordinator_key(&data, args).await,
        Command::ExportSubmission(args) => export_submission(&data, args).await,
        Command::Compare(args) => compare(&data, args).await,
    }
}

/// The coordinator's CA certificate as `init` copies it into the data directory.
const CA_COPY: &str = "coordinator-ca.pem";

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
            "a node is already set up in {}{existing}: use --force to replace its signing key and the settings \
             you give again (its node secret, database, budget ledger and other settings are kept)",
            data.root().display()
        )));
    }
    // Re-initialising keeps every setting it is not given. Dropping a database URL would move the
    // node onto a fresh SQLite file whose budget ledger looks unspent; dropping the CA certificate
    // would stop it reaching its coordinator. So a node.toml that cannot be read stops here, before
    // anything is changed.
    let previous = if a.force && data.is_initialised() {
        Some(data.load().map_err(|e| {
            CliError::Usage(format!(
                "{e}\ninit --force keeps every setting it is not given from node.toml, so fix the file first \
                 (or move it aside and run init again with every setting, --database-url included)"
            ))
        })?)
    } else {
        None
    };
    let context = match (a.team_model, a.msp_level, previous.as_ref().and_then(|p| p.context.clone())) {
        (Some(team_model), Some(msp_level), before) => Some(ContextConfig {
            team_model,
            msp_level,
            recording_system: a
                .recording_system
                .clone()
                .or_else(|| before.as_ref().map(|c| c.recording_system.clone()))
                .unwrap_or_default(),
            validated: before.is_some_and(|c| c.validated),
        }),
        (_, _, Some(before)) => Some(ContextConfig {
            recording_system: a.recording_system.clone().unwrap_or(before.recording_system),
            ..before
        }),
        (_, _, None) if a.recording_system.is_some() => {
            return Err(CliError::Usage(
                "--recording-system is part of the council's context: give --team-model and --msp-level with it".into(),
            ));
        }
        (_, _, None) => None,
    };
    let new_ca = match &a.ca_cert {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("could not read the CA certificate {}: {e}", path.display())))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(CliError::Usage(format!(
                    "{} is not a PEM certificate: give the coordinator's CA certificate (-----BEGIN CERTIFICATE-----)",
                    path.display()
                )));
            }
            Some(pem)
        }
        None => {
            if let Some(missing) = previous.as_ref().and_then(|p| data.ca_cert(p)).filter(|path| !path.is_file()) {
                return Err(CliError::Usage(format!(
                    "node.toml names the CA certificate {}, which is not there: give the coordinator's CA \
                     certificate again with --ca-cert FILE",
                    missing.display()
                )));
            }
            None
        }
    };
    let ca_cert = match new_ca {
        Some(_) => Some(PathBuf::from(CA_COPY)),
        None => previous.as_ref().and_then(|p| p.ca_cert.clone()),
    };
    let config = NodeConfig {
        council: a.council,
        coordinator_url: a.coordinator.trim_end_matches('/').to_owned(),
        ca_cert,
        database_url: a.database_url.clone().or_else(|| previous.as_ref().and_then(|p| p.database_url.clone())),
        context,
        budget: previous.as_ref().and_then(|p| p.budget),
        submission: previous.as_ref().and_then(|p| p.submission),
    };
    // The database first: if it cannot be reached, or would leave the node's ledger behind, the
    // signing key the coordinator knows is kept and nothing is changed.
    let url = data.database_url(&config);
    let moved = previous.as_ref().map(|p| data.database_url(p)).filter(|before| *before != url);
    let store = Store::open(&url, config.council).await?;
    let holds_data = |store: Store| async move {
        let held = store.last_import().await?.is_some() || !store.charges().await?.is_empty();
        store.db().close().await;
        Ok::<_, CliError>(held)
    };
    let new_holds_data = holds_data(store).await?;
    if let Some(before) = &moved
        && !new_holds_data
        && holds_data(Store::open(before, config.council).await?).await?
    {
        return Err(CliError::Usage(format!(
            "the node's imports and budget ledger are in its database at {}, and the one at {} holds none: a node \
             on an empty database would look as if it had spent no budget. To move the node, copy its database \
             there first (deploy/README.md, \"Backups\"), then run init --force --database-url again; to keep it \
             where it is, leave out --database-url",
            msp_store::redact(before),
            msp_store::redact(&url)
        )));
    }
    if let Some(pem) = new_ca {
        crate::config::write_atomic(&data.root().join(CA_COPY), pem.as_bytes(), false)?;
    }
    let keys = data.keys_dir();
    let kept_secret = NodeSecret::exists(&keys);
    if !kept_secret {
        NodeSecret::create(&keys)?;
    }
    let key = SigningKey::create(&keys)?;
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
        say!("{}", serde_json::to_string_pretty(&request).expect("serialises"));
        return Ok(());
    }
    say!("Node set up for {} ({}) in {}", council.name, council.code, data.root().display());
    match (kept_secret, &moved) {
        (true, None) => say!("Kept the existing node secret, database and budget ledger; made a new signing key."),
        (true, Some(_)) => say!(
            "Kept the existing node secret; the node now uses the database at {}; made a new signing key.",
            msp_store::redact(&url)
        ),
        (false, _) => {}
    }
    say!();
    say!("Enrolment request: send it to the coordinator's operator, and read the fingerprint");
    say!("to them by phone so they can check it arrived unaltered.");
    say!();
    say!("  council      {} ({})", request.council, request.council_name);
    say!("  algorithm    Ed25519");
    say!("  public key   {}", request.public_key);
    say!("  fingerprint  {}", request.fingerprint);
    say!();
    say!("The operator enrols it with this command, giving --fingerprint as it is read out on the phone");
    say!("(the coordinator refuses the key if the two differ):");
    say!(
        "  msp-coordinator council enrol --code {} --public-key {} --fingerprint {}",
        request.council,
        request.public_key,
        request.fingerprint
    );
    if config.context.is_none() {
        say!();
        say!("Before the first release, declare the council's context in {}:", data.config_path().display());
        say!(
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
    say!(
        "Wrote {} rows for {} ({}), {} to {}, to {} (seed {seed})",
        truth.rows,
        council.council().name,
        council,
        truth.quarters.first().map(|q| q.period.as_str()).unwrap_or_default(),
        truth.period,
        a.out.display()
    );
    say!(
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
        say!("{}", serde_json::to_string_pretty(&summary).expect("serialises"));
        return Ok(());
    }
    let c = &summary.counts;
    say!("Imported {} into {}'s node (import {})", a.file.display(), config.council.council().name, summary.import_id);
    let line = |label: &str, n: u64| say!("  {label:<10} {:>12}", thousands(n));
    line("rows read", c.rows_read);
    line("new", c.imported);
    line("updated", c.updated);
    line("unchanged", c.unchanged);
    line("rejected", c.rejected);
    line("warnings", c.warnings);
    if let Some(p) = &summary.rejects_file {
        say!("Rejected rows and warnings are listed, with line, column, value and reason, in {}", p.display());
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

async fn open_store(data: &DataDir) -> Result<(NodeConfig, Store), CliError> {
    let config = data.load()?;
    let store = Store::open(&data.database_url(&config), config.council).await?;
    Ok((config, store))
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

/// The last quarter to have ended by `today`: what `msp-node release` makes when no `--period`
/// is given.
pub fn last_finished_quarter(today: time::Date) -> Result<Period, CliError> {
    Period::containing(today).ok().and_then(Period::previous).ok_or_else(|| {
        CliError::Usage(format!("could not tell the last finished quarter on {today}: give --period, e.g. 2026-27-Q1"))
    })
}

/// Whether the node's data for `period` can be complete: a case file was imported after the
/// quarter ended. A release made before that would spend budget on part of the quarter.
pub fn check_imported_after(period: Period, last_import: Option<&ImportRecord>) -> Result<(), CliError> {
    let ended = period.last_day();
    let imported_on = last_import.and_then(|i| i.finished_at.parse::<Timestamp>().ok()).map(|t| t.get().date());
    match imported_on {
        Some(day) if day > ended => Ok(()),
        Some(day) => Err(CliError::Usage(format!(
            "{period} ended on {ended} but the last case file was imported on {day}, before that: import the \
             quarter's complete case file (`msp-node import FILE`) and run this again. Nothing was released and \
             no budget was spent. (`msp-node release --period {period}` releases the data as they stand.)"
        ))),
        None => Err(CliError::Usage(format!(
            "no case file has been imported, so there is nothing to release for {period}: import the quarter's \
             case file (`msp-node import FILE`) and run this again. Nothing was released and no budget was spent."
        ))),
    }
}

async fn release(data: &DataDir, a: ReleaseArgs) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let council = config.council.council();
    let period = match a.period {
        Some(p) => p,
        None => {
            let p = last_finished_quarter(time::OffsetDateTime::now_utc().date())?;
            // Only a new first release needs the guard: a stored one is returned unchanged, and
            // a revision or a dry run is asked for by a person.
            if !a.dry_run && !a.revise && store.release(p, None).await?.is_none() {
                let last = store.last_import().await?;
                if let Err(e) = check_imported_after(p, last.as_ref()) {
                    store.db().close().await;
                    return Err(e);
                }
            }
            p
        }
    };
    if a.dry_run {
        let budget = config.budget();
        let rho = a.rho.unwrap_or(budget.rho_per_release);
        let (concluded, rows) = releases::dry_run(&store, period, rho).await?;
        store.db().close().await;
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
    let made = releases::release(&store, &config, period, a.revise, Timestamp::now()).await;
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

async fn budget(data: &DataDir, a: BudgetArgs) -> Result<(), CliError> {
    use crate::dp::ledger::{Spent, remaining};
    let (config, store) = open_store(data).await?;
    let charges = store.charges().await?;
    store.db().close().await;
    let budget = config.budget();
    let spent = Spent::from_charges(charges.iter().map(|c| (c.period, c.rho)));
    let mut quarters: Vec<Period> = spent.quarters().map(|(p, _)| p).collect();
    if quarters.is_empty()
        && let Some(p) = Period::containing(time::OffsetDateTime::now_utc().date()).ok().and_then(Period::previous)
    {
        quarters.push(p);
    }
    let rows: Vec<serde_json::Value> = quarters
        .iter()
        .map(|q| {
            let on = spent.quarter(*q);
            let first = q.window(4)[0];
            let rolling = spent.window(first);
            let of_q: Vec<&_> = charges.iter().filter(|c| c.period == *q).collect();
            serde_json::json!({
                "period": q,
                "releases": of_q.iter().filter(|c| c.revision.is_some()).count(),
                "interrupted": of_q.iter().filter(|c| c.revision.is_none()).count(),
                "spent_rho": on,
                "spent_epsilon": budget.epsilon(on),
                "remaining_rho": remaining(&spent, &budget, *q),
                "four_quarters": { "from": first, "to": q, "spent_rho": rolling, "spent_epsilon": budget.epsilon(rolling) },
            })
        })
        .collect();
    if a.json {
        let v =
            serde_json::json!({ "council": config.council, "budget": budget, "quarters": rows, "charges": charges });
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

async fn show_release(data: &DataDir, a: ShowReleaseArgs) -> Result<(), CliError> {
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

async fn latest_revision(store: &Store, period: Period, revision: Option<u32>) -> Result<u32, CliError> {
    match revision {
        Some(r) => Ok(r),
        None => store.release(period, None).await?.map(|r| r.revision).ok_or_else(|| {
            CliError::Usage(format!("{period} has not been released: run `msp-node release --period {period}`"))
        }),
    }
}

async fn approve(data: &DataDir, a: ApproveArgs) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let revision = latest_revision(&store, a.period, a.revision).await?;
    if store.release(a.period, Some(revision)).await?.is_none() {
        return Err(CliError::Usage(format!("{} has no revision {revision}", a.period)));
    }
    let by = a.by.trim();
    if by.is_empty() {
        return Err(CliError::Usage("--by needs the approver's name".into()));
    }
    store.approve(a.period, revision, by, &Timestamp::now().to_string()).await?;
    store.db().close().await;
    say!("{} revision {revision} of {} approved for submission by {by}", a.period, config.council);
    Ok(())
}

async fn submitter_parts(data: &DataDir) -> Result<(NodeConfig, Store, SigningKey, Coordinator), CliError> {
    let (config, store) = open_store(data).await?;
    let key = SigningKey::load(&data.keys_dir())?;
    let coordinator = Coordinator::for_node(&config, data, Backoff::default())?;
    Ok((config, store, key, coordinator))
}

async fn compare(data: &DataDir, a: CompareArgs) -> Result<(), CliError> {
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
    let coordinator = Coordinator::for_node(&config, data, Backoff::default())?;
    let c = crate::compare::fetch(&coordinator, &token, config.council, a.period.as_deref()).await?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&c).expect("serialises"));
    } else {
        say!("{}", crate::compare::render(&c).trim_end());
    }
    Ok(())
}

/// Where `msp-node compare` finds the council's read token when no file is given.
pub const TOKEN_ENV: &str = "MSP_NODE_TOKEN";

async fn submit(data: &DataDir, a: SubmitArgs) -> Result<(), CliError> {
    let (config, store, key, coordinator) = submitter_parts(data).await?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator };
    let mut todo = Vec::new();
    for r in store.releases().await? {
        if a.period.is_some_and(|p| p != r.period) {
            continue;
        }
        if store.outgoing(r.period, r.revision).await?.is_some_and(|o| o.receipt_jws.is_some()) {
            continue;
        }
        todo.push((r.period, r.revision));
    }
    if todo.is_empty() {
        store.db().close().await;
        say!(
            "Nothing to submit: every release{} has a receipt.",
            a.period.map(|p| format!(" of {p}")).unwrap_or_default()
        );
        return Ok(());
    }
    let mut done = Vec::new();
    let mut waiting = Vec::new();
    for (period, revision) in todo {
        let queued = s.queue(period, revision).await;
        let result = match queued {
            Ok(o) => s.send(&o).await,
            Err(e) => Err(e),
        };
        match result {
            // Without --period this is the scheduled run (deploy/systemd), which comes before
            // anyone could approve: pass the release over, say so, and send the others.
            Err(SubmitError::NotApproved(period, revision)) if a.period.is_none() => {
                waiting.push((period, revision));
            }
            Ok(sub) => {
                if !a.json {
                    say!(
                        "{period} revision {revision}: {} as log entry {} (submission {}); receipt verified against the signed tree head of {} entries",
                        if sub.repeated { "already held by the coordinator" } else { "accepted" },
                        sub.receipt.log_index,
                        sub.receipt.submission_id,
                        sub.checked_against.tree_size
                    );
                }
                done.push(sub);
            }
            Err(e) => {
                store.db().close().await;
                return Err(e.into());
            }
        }
    }
    store.db().close().await;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&done).expect("serialises"));
    }
    for (period, revision) in waiting {
        let notice = awaiting_approval(period, revision);
        // Standard output carries the JSON document when --json is given.
        if a.json {
            eprintln!("{notice}");
        } else {
            say!("{notice}");
        }
    }
    Ok(())
}

/// What `msp-node submit` says of a release it passed over for want of approval.
pub fn awaiting_approval(period: Period, revision: u32) -> String {
    format!(
        "{period} revision {revision} awaits approval and was not sent: check it with `msp-node show-release --period \
         {period}`, approve it with `msp-node approve --period {period} --by \"Your Name\"`, then run `msp-node submit`"
    )
}

async fn receipts(data: &DataDir, a: ReceiptsArgs) -> Result<(), CliError> {
    let (_, store) = open_store(data).await?;
    let outbox = store.outbox(None).await?;
    store.db().close().await;
    let rows: Vec<serde_json::Value> = outbox
        .iter()
        .map(|o| {
            let receipt = o.receipt_jws.as_deref().and_then(receipt_payload);
            serde_json::json!({ "period": o.period, "revision": o.revision, "jws_sha256": o.jws_sha256,
                "attempts": o.attempts, "last_error": o.last_error, "received_at": o.received_at, "receipt": receipt })
        })
        .collect();
    if a.json {
        say!("{}", serde_json::to_string_pretty(&rows).expect("serialises"));
        return Ok(());
    }
    if rows.is_empty() {
        say!("Nothing has been submitted yet: `msp-node submit` sends the stored releases.");
        return Ok(());
    }
    say!("{:<12} {:>8} {:>10} {:<26} {}", "quarter", "revision", "log entry", "submission", "status");
    for r in &rows {
        let status = match (&r["receipt"], r["last_error"].as_str()) {
            (serde_json::Value::Null, Some(err)) => format!("not yet accepted: {err}"),
            (serde_json::Value::Null, None) => "queued".to_owned(),
            (_, _) => format!("receipt {}", r["received_at"].as_str().unwrap_or_default()),
        };
        say!(
            "{:<12} {:>8} {:>10} {:<26} {status}",
            r["period"].as_str().unwrap_or_default(),
            r["revision"],
            r["receipt"]["log_index"].as_u64().map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
            r["receipt"]["submission_id"].as_str().unwrap_or("-"),
        );
    }
    Ok(())
}

/// The receipt inside a receipt JWS, for display (it was verified when stored).
fn receipt_payload(jws: &str) -> Option<serde_json::Value> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jws.split('.').nth(1)?).ok()?).ok()
}

async fn verify_receipt(data: &DataDir, a: PeriodRevisionArgs) -> Result<(), CliError> {
    let (config, store, key, coordinator) = submitter_parts(data).await?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator };
    let v = s.verify(a.period, a.revision).await;
    store.db().close().await;
    let v = v?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
    } else {
        say!(
            "The receipt for {} revision {} checks out: signed by the coordinator, for exactly the bytes sent, entry {} \
             of the log, and the log of {} entries then is a prefix of the log of {} entries now (root {}).",
            v.receipt.period,
            v.receipt.revision,
            v.receipt.log_index,
            v.receipt.tree_size,
            v.head.tree_size,
            v.head.root_hash
        );
    }
    Ok(())
}

/// `trust-coordinator-key`: pins the coordinator's new key once its fingerprint is the one given.
async fn trust_coordinator_key(data: &DataDir, a: TrustCoordinatorKeyArgs) -> Result<(), CliError> {
    let (config, store, key, coordinator) = submitter_parts(data).await?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator };
    let trusted = s.trust_coordinator_key(&a.fingerprint).await;
    store.db().close().await;
    let trusted = trusted?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&trusted).expect("serialises"));
        return Ok(());
    }
    if !trusted.changed {
        say!("This node already trusts the coordinator's key {}: nothing to change.", trusted.fingerprint);
        return Ok(());
    }
    say!("This node now trusts the coordinator's key {} for receipts and signed tree heads.", trusted.fingerprint);
    for previous in &trusted.previous {
        say!("Kept {previous}, pinned before, for the receipts it signed (never for a new tree head).");
    }
    say!("Run `msp-node submit` to send anything waiting; `msp-node verify-receipt` still checks earlier receipts.");
    Ok(())
}

async fn export_submission(data: &DataDir, a: ExportArgs) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let key = SigningKey::load(&data.keys_dir())?;
    let revision = latest_revision(&store, a.period, a.revision).await?;
    // No network: the client is built but not used.
    let coordinator = Coordinator::new("https://unused.invalid", None, Backoff::default())?;
    let s = Submitter { store: &store, config: &config, key: &key, coordinator };
    let o = s.queue(a.period, revision).await;
    store.db().close().await;
    let o = o?;
    crate::config::write_atomic(&a.out, o.jws.as_bytes(), false)?;
    say!(
        "Wrote the signed release {} revision {revision} to {} (SHA-256 {}). The coordinator's operator takes it in with \
         `msp-coordinator submission import {}`.",
        a.period,
        a.out.display(),
        o.jws_sha256,
        a.out.display()
    );
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

    fn period(s: &str) -> Period {
        s.parse().unwrap()
    }

    fn imported_at(finished_at: &str) -> ImportRecord {
        ImportRecord {
            id: 1,
            file_name: "cases.csv".into(),
            file_sha256: String::new(),
            finished_at: finished_at.into(),
            counts: Default::default(),
        }
    }

    #[test]
    fn release_without_a_period_means_the_last_finished_quarter() {
        let cli = Cli::try_parse_from(["msp-node", "release"]).unwrap();
        assert!(matches!(cli.command, Command::Release(ReleaseArgs { period: None, .. })));
        let cases = [
            (time::macros::date!(2026 - 04 - 01), "2025-26-Q4"),
            (time::macros::date!(2026 - 06 - 30), "2025-26-Q4"),
            (time::macros::date!(2026 - 07 - 01), "2026-27-Q1"),
            (time::macros::date!(2026 - 10 - 15), "2026-27-Q2"),
            (time::macros::date!(2027 - 01 - 15), "2026-27-Q3"),
            (time::macros::date!(2027 - 03 - 31), "2026-27-Q3"),
        ];
        for (today, expected) in cases {
            assert_eq!(last_finished_quarter(today).unwrap(), period(expected), "on {today}");
        }
    }

    #[test]
    fn the_default_quarter_is_released_only_after_an_import_made_once_it_ended() {
        let q = period("2026-27-Q1");
        let none = check_imported_after(q, None).unwrap_err().to_string();
        assert!(none.contains("msp-node import") && none.contains("no budget was spent"), "{none}");
        let on_the_last_day = check_imported_after(q, Some(&imported_at("2026-06-30T23:00:00Z"))).unwrap_err();
        let on_the_last_day = on_the_last_day.to_string();
        assert!(on_the_last_day.contains("ended on 2026-06-30") && on_the_last_day.contains("--period 2026-27-Q1"));
        check_imported_after(q, Some(&imported_at("2026-07-01T06:00:00Z"))).unwrap();
    }

    #[test]
    fn a_release_passed_over_for_approval_says_how_to_approve_and_send_it() {
        let notice = awaiting_approval(period("2026-27-Q1"), 2);
        assert!(notice.starts_with("2026-27-Q1 revision 2 awaits approval and was not sent"), "{notice}");
        assert!(notice.contains("msp-node approve --period 2026-27-Q1 --by") && notice.contains("msp-node submit"));
    }

    #[test]
    fn trust_coordinator_key_takes_a_fingerprint_that_starts_with_a_hyphen() {
        let cli = Cli::try_parse_from(["msp-node", "trust-coordinator-key", "--fingerprint", "-K3x_9"]).unwrap();
        let Command::TrustCoordinatorKey(args) = cli.command else { panic!("parsed as another command") };
        assert_eq!(args.fingerprint, "-K3x_9");
        assert!(Cli::try_parse_from(["msp-node", "trust-coordinator-key"]).is_err(), "the fingerprint is required");
    }
}
