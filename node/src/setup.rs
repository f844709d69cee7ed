//! Setting a node up (`msp-node init`), and setting it up again (`init --force`).
//!
//! A first `init` writes `node.toml`, creates the node secret and the signing key, and makes sure
//! the database can be reached. Re-initialising replaces the signing key and the settings it is
//! given, and keeps everything else: the node secret (without it, stored person keys would no
//! longer match), every setting of `node.toml` not given again, and — above all — the database
//! with its budget ledger. A node moved onto an empty database would look as if it had spent no
//! budget, so `init --force` refuses to move it away from a database that holds its data.
//!
//! Every check comes before anything is written: a refused `init` changes nothing.

use std::path::PathBuf;

use msp_schemas::{
    CouncilCode,
    codes::{MspLevel, TeamModel},
};

use crate::{
    config::{ConfigError, ContextConfig, DataDir, NodeConfig, write_atomic},
    keys::{KeyError, NodeSecret, SigningKey},
    store::{NodeStoreError, Store},
};

/// The coordinator's CA certificate as `init` copies it into the data directory.
pub const CA_COPY: &str = "coordinator-ca.pem";

/// What `msp-node init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The council.
    pub council: CouncilCode,
    /// The coordinator's URL (https://…).
    pub coordinator: String,
    /// A CA certificate (PEM) to copy into the data directory and trust for the coordinator.
    pub ca_cert: Option<PathBuf>,
    /// The database URL, if given.
    pub database_url: Option<String>,
    /// The council's team model, if given (always with `msp_level`).
    pub team_model: Option<TeamModel>,
    /// The council's MSP level, if given (always with `team_model`).
    pub msp_level: Option<MspLevel>,
    /// The case management system, if given.
    pub recording_system: Option<String>,
    /// Re-initialise a node that is already set up.
    pub force: bool,
}

/// What `init` did.
#[derive(Debug)]
pub struct SetUp {
    /// The configuration now in `node.toml`.
    pub config: NodeConfig,
    /// The new signing key.
    pub key: SigningKey,
    /// Whether the node secret was already there, and kept.
    pub kept_secret: bool,
    /// The database URL in use (may hold a password: redact it before showing it).
    pub database_url: String,
    /// Whether re-initialising moved the node to another database.
    pub moved: bool,
}

/// Why `init` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The request cannot be done as asked; says what to do instead.
    #[error("{0}")]
    Refused(String),
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Keys.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Database.
    #[error(transparent)]
    Store(#[from] NodeStoreError),
}

/// Sets up (or, with `force`, sets up again) the node in `data`.
pub async fn init(data: &DataDir, r: InitRequest) -> Result<SetUp, SetupError> {
    if !r.coordinator.starts_with("https://") {
        return Err(SetupError::Refused(format!(
            "the coordinator URL {:?} must start with https://: the network only speaks HTTPS",
            r.coordinator
        )));
    }
    let previous = previous_settings(data, r.force)?;
    let context = context(&r, previous.as_ref())?;
    let new_ca = new_ca(data, &r, previous.as_ref())?;
    let ca_cert = match new_ca {
        Some(_) => Some(PathBuf::from(CA_COPY)),
        None => previous.as_ref().and_then(|p| p.ca_cert.clone()),
    };
    let config = NodeConfig {
        council: r.council,
        coordinator_url: r.coordinator.trim_end_matches('/').to_owned(),
        ca_cert,
        database_url: r.database_url.clone().or_else(|| previous.as_ref().and_then(|p| p.database_url.clone())),
        context,
        budget: previous.as_ref().and_then(|p| p.budget),
        submission: previous.as_ref().and_then(|p| p.submission),
        web: previous.as_ref().and_then(|p| p.web.clone()),
        spec: previous.as_ref().and_then(|p| p.spec),
    };
    // The database first: if it cannot be reached, or would leave the node's ledger behind, the
    // signing key the coordinator knows is kept and nothing is changed.
    let url = data.database_url(&config);
    let moved_from = previous.as_ref().map(|p| data.database_url(p)).filter(|before| *before != url);
    check_database_move(config.council, &url, moved_from.as_deref()).await?;
    if let Some(pem) = new_ca {
        write_atomic(&data.root().join(CA_COPY), pem.as_bytes(), false)?;
    }
    let keys = data.keys_dir();
    let kept_secret = NodeSecret::exists(&keys);
    if !kept_secret {
        NodeSecret::create(&keys)?;
    }
    let key = SigningKey::create(&keys)?;
    data.save(&config)?;
    Ok(SetUp { config, key, kept_secret, database_url: url, moved: moved_from.is_some() })
}

/// The settings a re-initialisation starts from: none for a first `init`; refused when a node is
/// set up and `force` is not given, or when its `node.toml` cannot be read.
fn previous_settings(data: &DataDir, force: bool) -> Result<Option<NodeConfig>, SetupError> {
    if !data.is_initialised() {
        return Ok(None);
    }
    if !force {
        let existing = data.load().map(|c| format!(" for {}", c.council)).unwrap_or_default();
        return Err(SetupError::Refused(format!(
            "a node is already set up in {}{existing}: use --force to replace its signing key and the settings \
             you give again (its node secret, database, budget ledger and other settings are kept)",
            data.root().display()
        )));
    }
    // Re-initialising keeps every setting it is not given. Dropping a database URL would move the
    // node onto a fresh SQLite file whose budget ledger looks unspent; dropping the CA certificate
    // would stop it reaching its coordinator. So a node.toml that cannot be read stops here, before
    // anything is changed.
    data.load().map(Some).map_err(|e| {
        SetupError::Refused(format!(
            "{e}\ninit --force keeps every setting it is not given from node.toml, so fix the file first \
             (or move it aside and run init again with every setting, --database-url included)"
        ))
    })
}

/// The council context: the one given, with what was there before for whatever is not given.
fn context(r: &InitRequest, previous: Option<&NodeConfig>) -> Result<Option<ContextConfig>, SetupError> {
    Ok(match (r.team_model, r.msp_level, previous.and_then(|p| p.context.clone())) {
        (Some(team_model), Some(msp_level), before) => Some(ContextConfig {
            team_model,
            msp_level,
            recording_system: r
                .recording_system
                .clone()
                .or_else(|| before.as_ref().map(|c| c.recording_system.clone()))
                .unwrap_or_default(),
            validated: before.is_some_and(|c| c.validated),
        }),
        (_, _, Some(before)) => Some(ContextConfig {
            recording_system: r.recording_system.clone().unwrap_or(before.recording_system),
            ..before
        }),
        (_, _, None) if r.recording_system.is_some() => {
            return Err(SetupError::Refused(
                "--recording-system is part of the council's context: give --team-model and --msp-level with it".into(),
            ));
        }
        (_, _, None) => None,
    })
}

/// The CA certificate to copy into the data directory, if one is given (checked to be PEM).
/// With none given, the one `node.toml` names must still be there.
fn new_ca(data: &DataDir, r: &InitRequest, previous: Option<&NodeConfig>) -> Result<Option<String>, SetupError> {
    match &r.ca_cert {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                SetupError::Refused(format!("could not read the CA certificate {}: {e}", path.display()))
            })?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(SetupError::Refused(format!(
                    "{} is not a PEM certificate: give the coordinator's CA certificate (-----BEGIN CERTIFICATE-----)",
                    path.display()
                )));
            }
            Ok(Some(pem))
        }
        None => {
            if let Some(missing) = previous.and_then(|p| data.ca_cert(p)).filter(|path| !path.is_file()) {
                return Err(SetupError::Refused(format!(
                    "node.toml names the CA certificate {}, which is not there: give the coordinator's CA \
                     certificate again with --ca-cert FILE",
                    missing.display()
                )));
            }
            Ok(None)
        }
    }
}

/// Opens (and so migrates) the database at `url`, and refuses to move the node there from
/// `moved_from` when that one holds imports or budget charges and the new one holds none.
async fn check_database_move(council: CouncilCode, url: &str, moved_from: Option<&str>) -> Result<(), SetupError> {
    async fn holds_data(store: Store) -> Result<bool, SetupError> {
        let held = store.last_import().await?.is_some() || !store.charges().await?.is_empty();
        store.db().close().await;
        Ok(held)
    }
    let new_holds_data = holds_data(Store::open(url, council).await?).await?;
    if let Some(before) = moved_from
        && !new_holds_data
        && holds_data(Store::open(before, council).await?).await?
    {
        return Err(SetupError::Refused(format!(
            "the node's imports and budget ledger are in its database at {}, and the one at {} holds none: a node \
             on an empty database would look as if it had spent no budget. To move the node, copy its database \
             there first (deploy/README.md, \"Backups\"), then run init --force --database-url again; to keep it \
             where it is, leave out --database-url",
            msp_store::redact(before),
            msp_store::redact(url)
        )));
    }
    Ok(())
}
