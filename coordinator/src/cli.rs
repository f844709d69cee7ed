//! The `msp-coordinator` command line.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use clap::{Args, Parser, Subcommand};
use msp_protocol::keys::{decode_public_key, thumbprint};
use msp_schemas::{CouncilCode, release::Timestamp};
use serde::Deserialize;

use crate::{
    auth::{Role, new_token, token_hash},
    config::{DEFAULT_DATA_DIR, DataDir},
    http::{AppState, router},
    ingest::{Clock, Refused, check},
    keys::SigningKey,
    startup::{Server, shutdown_signal},
    store::{CouncilKey, Store, TokenRecord},
    tls,
};

/// Prints a line to standard output; stops quietly when the reader has gone.
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

/// The national coordinator of the MSP Outcomes Network: verifies and logs councils' signed
/// releases and serves benchmarks with honest confidence intervals.
#[derive(Debug, Parser)]
#[command(name = "msp-coordinator", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// The coordinator's data directory (signing key, development TLS, SQLite database).
    #[arg(long, global = true, env = "MSP_COORDINATOR_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://… (default: coordinator.db in the data directory;
    /// also MSP_COORDINATOR_DATABASE_URL, better for a URL with a password).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The coordinator's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API over HTTPS.
    Serve(ServeArgs),
    /// Enrol, list and revoke councils' signing keys.
    #[command(subcommand)]
    Council(CouncilCommand),
    /// Take in submissions by hand.
    #[command(subcommand)]
    Submission(SubmissionCommand),
    /// Make, list and revoke bearer tokens for the API and the dashboard.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Bring the database's schema up to date and stop. `serve` does the same at start; this is for
    /// a migration step of its own before a rolling upgrade (a Kubernetes Job, for example).
    Migrate,
    /// Show the receipt-signing key's public half and fingerprint, making the key first if the data
    /// directory has none (keys/coordinator.p8): to read the fingerprint to councils, or to make the
    /// key that every replica is given. With --rotate, retire it and make a new one.
    SigningKey(SigningKeyArgs),
}

/// `msp-coordinator signing-key`.
#[derive(Debug, Args)]
pub struct SigningKeyArgs {
    /// Print as JSON (as `GET /v1/keys` serves it; with --rotate, `{"retired": …, "current": …}`).
    #[arg(long)]
    pub json: bool,
    /// Retire the current key (kept in keys/retired/) and make a new one, which `serve` signs with
    /// from its next start. Receipts already given stay valid; each council's node refuses the new
    /// key until the council has checked its fingerprint with you and run
    /// `msp-node trust-coordinator-key --fingerprint FP`.
    #[arg(long)]
    pub rotate: bool,
}

/// `msp-coordinator token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once and only its hash is kept.
    Create {
        /// national, region:<slug>, council:<code> or admin.
        #[arg(long)]
        role: Role,
        /// Who or what it is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The id `token list` shows.
        #[arg(long)]
        id: String,
    },
}

/// `msp-coordinator serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Make (once) a development CA and server certificate in the data directory's tls/.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub dev_tls: bool,
    /// The server certificate chain (PEM).
    #[arg(long, requires = "tls_key", required_unless_present = "dev_tls")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Mutual TLS: every client (nodes, browsers, probes) must present a certificate that chains
    /// to a CA certificate in this file (PEM), or its connection is refused.
    #[arg(long)]
    pub client_ca: Option<PathBuf>,
}

/// `msp-coordinator council …`.
#[derive(Debug, Subcommand)]
pub enum CouncilCommand {
    /// Enrol a council's public key (after checking its fingerprint with the council by phone).
    Enrol {
        /// The council's code.
        #[arg(long)]
        code: CouncilCode,
        /// The public key from the council's enrolment request (base64url, so it may start with '-').
        #[arg(long, allow_hyphen_values = true)]
        public_key: String,
        /// The fingerprint the council read out: enrolment stops if it does not match.
        #[arg(long, allow_hyphen_values = true)]
        fingerprint: Option<String>,
    },
    /// Enrol many councils from a file of enrolment requests (`msp-node init --json` outputs one
    /// after another, or a JSON array of them); each request's fingerprint is checked.
    EnrolMany {
        /// The file.
        file: PathBuf,
    },
    /// List enrolled keys.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a council's key (or all its keys).
    Revoke {
        /// The council's code.
        #[arg(long)]
        code: CouncilCode,
        /// The fingerprint of the key to revoke (default: every key of the council).
        #[arg(long, allow_hyphen_values = true)]
        key: Option<String>,
    },
}

/// `msp-coordinator submission …`.
#[derive(Debug, Subcommand)]
pub enum SubmissionCommand {
    /// Take in a signed submission file exported by an offline node (`msp-node export-submission`),
    /// with the same checks as the HTTPS path.
    Import {
        /// The file (a compact JWS).
        file: PathBuf,
        /// Print the receipt as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The database.
    #[error(transparent)]
    Store(#[from] crate::store::CoordinatorStoreError),
    /// The signing key.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// TLS.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// A refused submission.
    #[error("the submission was refused ({}): {}", .0.kind.slug(), .0.detail)]
    Refused(Refused),
    /// Anything else the operator must fix.
    #[error("{0}")]
    Usage(String),
}

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(time::OffsetDateTime::now_utc)
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let data = DataDir::new(&cli.data_dir);
    if let Command::SigningKey(a) = cli.command {
        return signing_key(&data, a);
    }
    // Only `serve` (on first start) and `signing-key` make the receipt-signing key. Any other command
    // that signs must find the coordinator's own: one run with a mistyped --data-dir would otherwise sign
    // receipts with a new key that no node has pinned. It is looked for before the database is opened,
    // so nothing is made in the wrong directory.
    let key = match &cli.command {
        Command::Submission(SubmissionCommand::Import { .. }) => Some(SigningKey::load(&data.keys_dir())?),
        _ => None,
    };
    let store = Store::open(&data.database_url(cli.database_url.as_deref())).await?;
    match cli.command {
        Command::Serve(a) => serve(&data, store, a).await,
        Command::Migrate => migrate(store).await,
        Command::Council(c) => council(&store, c).await,
        Command::Submission(SubmissionCommand::Import { file, json }) => {
            import(store, key.expect("loaded above for this command"), &file, json).await
        }
        Command::Token(t) => token(&store, t).await,
        Command::SigningKey(_) => unreachable!("handled above"),
    }
}

/// Opening the store has applied any migrations: report the schema version it is at.
async fn migrate(store: Store) -> Result<(), CliError> {
    let version = store.db().schema_version().await.map_err(crate::store::CoordinatorStoreError::from);
    store.db().close().await;
    say!("The database {} is at schema version {}: up to date.", store.db().url(), version?);
    Ok(())
}

/// `signing-key`: shows the current key (making it if there is none), or rotates it.
fn signing_key(data: &DataDir, a: SigningKeyArgs) -> Result<(), CliError> {
    if a.rotate {
        return rotate_signing_key(data, a.json);
    }
    let dir = data.keys_dir();
    let public = SigningKey::load_or_create(&dir)?.public();
    if a.json {
        say!("{}", serde_json::to_string_pretty(&public).expect("serialises"));
        return Ok(());
    }
    say!("The receipt-signing key in {}:", dir.display());
    say!("  algorithm    {}", public.algorithm);
    say!("  public key   {}", public.public_key);
    say!("  fingerprint  {}", public.fingerprint);
    for retired in SigningKey::retired(&dir)? {
        say!("  retired      {} (its receipts stay valid; it signs nothing new)", retired.fingerprint);
    }
    say!("Nodes pin this key on first contact: every replica must be given this same file.");
    Ok(())
}

/// `signing-key --rotate`: retires the current key, makes a new one and says what to do next.
fn rotate_signing_key(data: &DataDir, json: bool) -> Result<(), CliError> {
    let dir = data.keys_dir();
    let rotation = SigningKey::rotate(&dir)?;
    if json {
        let both = serde_json::json!({ "retired": rotation.retired, "current": rotation.current });
        say!("{}", serde_json::to_string_pretty(&both).expect("serialises"));
        return Ok(());
    }
    let (old, new) = (&rotation.retired.fingerprint, &rotation.current.fingerprint);
    say!("Rotated the receipt-signing key in {}:", dir.display());
    say!("  retired      {old} (kept in {})", dir.join("retired").display());
    say!("  current      {new}");
    say!();
    say!("Next:");
    say!("  1. Give every replica this new keys/coordinator.p8 and restart `serve` on each: until then a");
    say!("     replica still signs with the retired key.");
    say!("  2. Tell every council, by a channel other than this coordinator's website (phone, or signed");
    say!("     letter), that the key changed from {old}");
    say!("     to {new}. Their nodes refuse the new key until they run:");
    say!("       msp-node trust-coordinator-key --fingerprint {new}");
    say!("     Receipts signed with the retired key stay valid: nodes keep trusting it for those.");
    Ok(())
}

async fn serve(data: &DataDir, store: Store, a: ServeArgs) -> Result<(), CliError> {
    let key = SigningKey::load_or_create(&data.keys_dir())?;
    let (cert, key_file, ca) = if a.dev_tls {
        let dev = tls::dev_tls(&data.tls_dir())?;
        (dev.cert, dev.key, Some(dev.ca_cert))
    } else {
        (a.tls_cert.expect("clap requires it"), a.tls_key.expect("clap requires it"), None)
    };
    let tls = tls::server_config_with_client_ca(&cert, &key_file, a.client_ca.as_deref())?;
    let state = AppState::new(store.clone(), key, system_clock());
    let fingerprint = state.key.public().fingerprint;
    let server = Server::build(a.listen, tls, router(state))
        .await
        .map_err(|e| CliError::Usage(format!("could not listen on {}: {e}", a.listen)))?;
    let addr = server.local_addr().map_err(|e| CliError::Usage(e.to_string()))?;
    say!("msp-coordinator listening on https://{addr} (database {})", store.db().url());
    say!("receipt-signing key fingerprint {fingerprint}");
    if let Some(ca) = ca {
        say!("development TLS: nodes trust {} (msp-node init --ca-cert {})", ca.display(), ca.display());
    }
    if let Some(client_ca) = &a.client_ca {
        say!("mutual TLS: every client must present a certificate issued under {}", client_ca.display());
    }
    server.run_until(shutdown_signal()).await;
    store.db().close().await;
    Ok(())
}

#[derive(Debug, Deserialize)]
struct EnrolmentRequest {
    council: String,
    public_key: String,
    #[serde(default)]
    fingerprint: Option<String>,
}

/// Enrols one key, checking its fingerprint when one is given.
pub async fn enrol(
    store: &Store,
    council: CouncilCode,
    public_key: &str,
    fingerprint: Option<&str>,
) -> Result<CouncilKey, CliError> {
    let raw = decode_public_key(public_key).map_err(|e| CliError::Usage(e.to_string()))?;
    let actual = thumbprint(&raw);
    if let Some(expected) = fingerprint
        && expected.trim() != actual
    {
        return Err(CliError::Usage(format!(
            "the fingerprint read out ({expected}) does not match the public key's ({actual}): the request was altered \
             or mistyped; do not enrol it, and ask the council to send it again"
        )));
    }
    if let Some(existing) = store.key(&actual).await? {
        if existing.council != council {
            return Err(CliError::Usage(format!("that key is already enrolled for {}", existing.council)));
        }
        if existing.revoked_at.is_some() {
            return Err(CliError::Usage(
                "that key was revoked and cannot be enrolled again: the council must make a new key (msp-node init --force)".into(),
            ));
        }
    }
    let key = CouncilKey {
        fingerprint: actual,
        council,
        public_key: public_key.trim().to_owned(),
        enrolled_at: Timestamp::now().to_string(),
        revoked_at: None,
    };
    Ok(store.enrol(&key).await?)
}

async fn council(store: &Store, c: CouncilCommand) -> Result<(), CliError> {
    match c {
        CouncilCommand::Enrol { code, public_key, fingerprint } => {
            let key = enrol(store, code, &public_key, fingerprint.as_deref()).await?;
            say!("Enrolled {} ({}) with key {}", code.council().name, code, key.fingerprint);
            if fingerprint.is_none() {
                say!("Check this fingerprint with the council by phone before accepting its submissions.");
            }
        }
        CouncilCommand::EnrolMany { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Usage(format!("could not read {}: {e}", file.display())))?;
            // Requests one after another (as `msp-node init --json` prints them), or arrays of them.
            let mut requests: Vec<EnrolmentRequest> = Vec::new();
            for value in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
                let value = value.map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
                let items = match value {
                    serde_json::Value::Array(items) => items,
                    one => vec![one],
                };
                for item in items {
                    requests.push(
                        serde_json::from_value(item)
                            .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?,
                    );
                }
            }
            for r in &requests {
                let code: CouncilCode = r.council.parse().map_err(|e| CliError::Usage(format!("{e}")))?;
                enrol(store, code, &r.public_key, r.fingerprint.as_deref()).await?;
            }
            say!("Enrolled {} keys", requests.len());
        }
        CouncilCommand::List { json } => {
            let keys = store.keys(None).await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&keys).expect("serialises"));
            } else {
                say!("{:<10} {:<36} {:<44} {}", "code", "council", "fingerprint", "status");
                for k in &keys {
                    let status =
                        k.revoked_at.as_ref().map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                    say!("{:<10} {:<36} {:<44} {status}", k.council, k.council.council().name, k.fingerprint);
                }
                say!("{} keys", keys.len());
            }
        }
        CouncilCommand::Revoke { code, key } => {
            let n = store.revoke(code, key.as_deref(), &Timestamp::now().to_string()).await?;
            if n == 0 {
                return Err(CliError::Usage(format!(
                    "{code} has no active key{} to revoke",
                    key.map(|k| format!(" {k}")).unwrap_or_default()
                )));
            }
            say!(
                "Revoked {n} key(s) of {} ({code}); submissions signed with them are now refused",
                code.council().name
            );
        }
    }
    Ok(())
}

/// Makes a token for `role`; returns the token (shown once) and its record.
pub async fn create_token(store: &Store, role: Role, label: &str) -> Result<(String, TokenRecord), CliError> {
    let token = new_token();
    let hash = token_hash(&token);
    let record = TokenRecord {
        id: hash[..12].to_owned(),
        role: role.to_string(),
        label: label.to_owned(),
        created_at: Timestamp::now().to_string(),
        revoked_at: None,
    };
    store.add_token(&record, &hash).await?;
    Ok((token, record))
}

async fn token(store: &Store, t: TokenCommand) -> Result<(), CliError> {
    match t {
        TokenCommand::Create { role, label } => {
            let (token, record) = create_token(store, role, &label).await?;
            say!("{token}");
            eprintln!(
                "Token {} for role {role} made. It is shown only now: keep it safe (only its hash is stored).",
                record.id
            );
        }
        TokenCommand::List { json } => {
            let tokens = store.tokens().await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&tokens).expect("serialises"));
            } else {
                say!("{:<14} {:<28} {:<22} {:<22} {}", "id", "role", "label", "created", "status");
                for t in &tokens {
                    let status =
                        t.revoked_at.as_ref().map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                    say!("{:<14} {:<28} {:<22} {:<22} {status}", t.id, t.role, t.label, t.created_at);
                }
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(&id, &Timestamp::now().to_string()).await? {
                return Err(CliError::Usage(format!(
                    "there is no active token with id {id}: `msp-coordinator token list` shows them"
                )));
            }
            say!("Token {id} revoked");
        }
    }
    Ok(())
}

async fn import(store: Store, key: SigningKey, file: &std::path::Path, json: bool) -> Result<(), CliError> {
    let body = std::fs::read(file).map_err(|e| CliError::Usage(format!("could not read {}: {e}", file.display())))?;
    let state = AppState::new(store.clone(), key, system_clock());
    let checked =
        check(&store, &state.keys, &body, time::OffsetDateTime::now_utc().date()).await.map_err(CliError::Refused)?;
    let logged = state.writer.submit(checked).await.map_err(CliError::Refused)?;
    store.db().close().await;
    if json {
        say!("{}", serde_json::to_string_pretty(&logged.body).expect("serialises"));
    } else {
        let r = &logged.body.receipt;
        say!(
            "{} {} revision {} of {} as log entry {} (submission {})",
            if logged.new { "Accepted" } else { "Already held:" },
            r.period,
            r.revision,
            r.council,
            r.log_index,
            r.submission_id
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from([&["msp-coordinator"], args].concat()).expect("the arguments parse")
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[tokio::test]
    async fn migrate_brings_a_new_database_to_the_current_schema_and_changes_nothing_the_second_time() {
        for db in msp_store::testing::databases().await {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().to_str().unwrap();
            for _ in 0..2 {
                run(cli(&["--data-dir", data, "--database-url", &db.url, "migrate"])).await.unwrap();
                let store = Store::open(&db.url).await.unwrap();
                let version = store.db().schema_version().await.unwrap();
                store.db().close().await;
                assert_eq!(version, crate::store::MIGRATIONS.len() as i64, "{db:?}");
            }
            assert!(!dir.path().join("keys").exists(), "migrate needs no signing key");
        }
    }

    #[tokio::test]
    async fn signing_key_makes_the_key_once_without_a_database_and_then_shows_the_same_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        run(cli(&["--data-dir", data, "signing-key"])).await.unwrap();
        let file = dir.path().join("keys/coordinator.p8");
        let made = std::fs::read(&file).unwrap();
        run(cli(&["--data-dir", data, "signing-key", "--json"])).await.unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), made, "the key is kept, not replaced");
        assert!(!dir.path().join("coordinator.db").exists(), "no database is opened");
    }

    #[tokio::test]
    async fn signing_key_rotate_retires_the_key_and_refuses_when_there_is_none_to_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let err = run(cli(&["--data-dir", data, "signing-key", "--rotate"])).await.unwrap_err().to_string();
        assert!(err.contains("signing-key"), "says how to make a key first: {err}");
        run(cli(&["--data-dir", data, "signing-key"])).await.unwrap();
        let keys = dir.path().join("keys");
        let first = SigningKey::load(&keys).unwrap().public();
        run(cli(&["--data-dir", data, "signing-key", "--rotate"])).await.unwrap();
        assert_ne!(SigningKey::load(&keys).unwrap().public(), first, "a new key is current");
        assert_eq!(SigningKey::retired(&keys).unwrap(), vec![first], "the old key is retired, not lost");
        assert!(!dir.path().join("coordinator.db").exists(), "no database is opened");
    }
}
