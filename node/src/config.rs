//! The node's data directory and its configuration file, `node.toml`.
//!
//! The data directory holds everything a node has: `node.toml` (settings, no secrets), `keys/`
//! (the node secret that keys person-id hashes, and the Ed25519 signing key; mode 0600), the
//! SQLite database `node.db` unless a PostgreSQL URL is configured, and `rejects/` for import
//! reports. Secrets never go in `node.toml`; a database password belongs in the
//! `MSP_NODE_DATABASE_URL` environment variable rather than the file. When the coordinator requires
//! mutual TLS, the node's client certificate and its key are two more files in `keys/`.
//!
//! The settings are plain data, checked where they are read: they know no engine. The budget
//! rules ([`crate::dp::ledger`]) and the release receive a [`Budget`]; nothing here depends on
//! them.

use std::path::{Path, PathBuf};

use msp_schemas::{
    CouncilCode, SpecId,
    codes::{MspLevel, TeamModel},
};
use serde::{Deserialize, Serialize};

/// Default data directory, relative to where the node runs.
pub const DEFAULT_DATA_DIR: &str = "msp-node-data";
/// Environment variable that overrides the configured database URL (use it for passwords).
pub const DATABASE_URL_ENV: &str = "MSP_NODE_DATABASE_URL";
/// Name of the configuration file in the data directory.
pub const CONFIG_FILE: &str = "node.toml";
/// The client certificate (chain, PEM) presented for mutual TLS, in `keys/`.
pub const CLIENT_CERT_FILE: &str = "client-cert.pem";
/// The client certificate's private key (PEM), in `keys/`.
pub const CLIENT_KEY_FILE: &str = "client-key.pem";

/// Errors reading or writing the node's configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No node in this directory.
    #[error(
        "no node is set up in {0}: run `msp-node init --council CODE --coordinator URL` first, \
         or point --data-dir (or MSP_NODE_DIR) at the node's data directory"
    )]
    NotInitialised(PathBuf),
    /// The file is not valid.
    #[error("{path} is not a valid node configuration: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
    /// One half of the client identity for mutual TLS is there without the other.
    #[error(
        "{present} is there but {missing} is not: for mutual TLS put both the client certificate and its \
         private key in keys/ (or neither, when the coordinator does not ask for one)"
    )]
    IncompleteClientIdentity {
        /// The file that exists.
        present: PathBuf,
        /// The file that does not.
        missing: PathBuf,
    },
    /// A file could not be read or written.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Self-declared council context, carried in every release (DESIGN §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    /// How enquiries are organised: specialist, locality or hybrid.
    pub team_model: TeamModel,
    /// Making Safeguarding Personal programme level: bronze, silver, gold or none.
    pub msp_level: MspLevel,
    /// The case management system the data comes from.
    #[serde(default)]
    pub recording_system: String,
    /// Whether the performance team has checked the data against the case system.
    #[serde(default)]
    pub validated: bool,
}

/// The contents of `node.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The council this node belongs to (ONS/GSS code).
    pub council: CouncilCode,
    /// The national coordinator's base URL (https://…).
    pub coordinator_url: String,
    /// CA certificate that signs the coordinator's TLS certificate, relative to the data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// Database URL; absent means the SQLite file `node.db` in the data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Council context for releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextConfig>,
    /// The privacy budget; absent means the defaults of DESIGN §4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// How releases are submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<SubmissionConfig>,
    /// The local web view (`msp-node serve`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebConfig>,
    /// The report spec to release (e.g. `"msp-quarterly/1"`); absent means the newest this
    /// version makes that the network's policy accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecId>,
}

/// `[web]` in `node.toml`: the council's local web view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// The address to listen on (default 127.0.0.1:8445, this machine only).
    #[serde(default = "WebConfig::default_listen")]
    pub listen: std::net::SocketAddr,
    /// Whether it may listen on an address other machines can reach. Off by default: the pages
    /// show the council's exact figures, so they are served beyond this machine only when the
    /// council has decided so (and put the node behind its own network's controls).
    #[serde(default)]
    pub allow_non_loopback: bool,
    /// How long a sign-in lasts, in hours (1 to 24; default 8, a working day).
    #[serde(default = "WebConfig::default_session_hours")]
    pub session_hours: u32,
    /// A certificate (PEM, relative to the data directory) to serve instead of the node's own
    /// self-signed one, with `tls_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// The key of `tls_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
}

impl WebConfig {
    fn default_listen() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], 8445))
    }

    fn default_session_hours() -> u32 {
        8
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            listen: Self::default_listen(),
            allow_non_loopback: false,
            session_hours: Self::default_session_hours(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// `[submission]` in `node.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionConfig {
    /// Whether a named person must approve each release (`msp-node approve`) before it is sent.
    #[serde(default)]
    pub require_approval: bool,
    /// Whether the approver must be another person than the one who made the release
    /// ("four eyes"); implies approval is required.
    #[serde(default)]
    pub four_eyes: bool,
}

impl NodeConfig {
    /// Whether releases need approval before submission.
    pub fn requires_approval(&self) -> bool {
        self.submission.is_some_and(|s| s.require_approval || s.four_eyes)
    }

    /// Whether the approver must be another person than the release's maker.
    pub fn four_eyes(&self) -> bool {
        self.submission.is_some_and(|s| s.four_eyes)
    }

    /// The web view's settings in force.
    pub fn web(&self) -> WebConfig {
        self.web.clone().unwrap_or_default()
    }

    /// The privacy budget in force.
    pub fn budget(&self) -> Budget {
        self.budget.unwrap_or_default()
    }
}

/// The budget settings (`[budget]` in `node.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// ρ each release spends.
    pub rho_per_release: f64,
    /// Most ρ the releases of one quarter's data may spend together.
    pub rho_per_quarter: f64,
    /// Most ρ any four consecutive quarters may spend together.
    pub rho_per_four_quarters: f64,
    /// The δ at which ε is reported.
    pub delta: f64,
}

impl Default for Budget {
    fn default() -> Self {
        Self { rho_per_release: 0.5, rho_per_quarter: 1.0, rho_per_four_quarters: 2.5, delta: 1e-6 }
    }
}

/// A budget setting that makes no sense.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the [budget] settings are not usable: {0}")]
pub struct BudgetError(pub String);

impl Budget {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), BudgetError> {
        for (name, v) in [
            ("rho_per_release", self.rho_per_release),
            ("rho_per_quarter", self.rho_per_quarter),
            ("rho_per_four_quarters", self.rho_per_four_quarters),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(BudgetError(format!("{name} must be a number above 0, not {v}")));
            }
        }
        if self.rho_per_release > self.rho_per_quarter {
            return Err(BudgetError("rho_per_release cannot exceed rho_per_quarter".into()));
        }
        if self.rho_per_quarter > self.rho_per_four_quarters {
            return Err(BudgetError("rho_per_quarter cannot exceed rho_per_four_quarters".into()));
        }
        if !(self.delta > 0.0 && self.delta < 1e-3) {
            return Err(BudgetError(format!("delta must be above 0 and below 0.001, not {}", self.delta)));
        }
        Ok(())
    }
}

/// A node's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The directory at `root` (which may not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `node.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// The directory of secrets.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// Where import reports go when no path is given.
    pub fn rejects_dir(&self) -> PathBuf {
        self.root.join("rejects")
    }

    /// The default SQLite database file.
    pub fn default_database(&self) -> PathBuf {
        self.root.join("node.db")
    }

    /// Whether a node has been set up here.
    pub fn is_initialised(&self) -> bool {
        self.config_path().exists()
    }

    /// Reads `node.toml`.
    pub fn load(&self) -> Result<NodeConfig, ConfigError> {
        let path = self.config_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::NotInitialised(self.root.clone()));
            }
            Err(source) => return Err(ConfigError::Io { action: "read", path, source }),
        };
        toml::from_str(&text).map_err(|e| ConfigError::Invalid { path, message: e.to_string() })
    }

    /// Writes `node.toml` atomically, every section with comments ([`commented`]).
    pub fn save(&self, config: &NodeConfig) -> Result<(), ConfigError> {
        write_atomic(&self.config_path(), commented(config).as_bytes(), false)
    }

    /// The database URL: the environment's, the configured one, or the default SQLite file.
    pub fn database_url(&self, config: &NodeConfig) -> String {
        std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| config.database_url.clone())
            .unwrap_or_else(|| msp_store::sqlite_url(&self.default_database()))
    }

    /// The client certificate and key to present to a coordinator that requires mutual TLS:
    /// `keys/client-cert.pem` and `keys/client-key.pem` when both exist, none when neither does.
    pub fn client_identity(&self) -> Result<Option<ClientIdentity>, ConfigError> {
        let cert = self.keys_dir().join(CLIENT_CERT_FILE);
        let key = self.keys_dir().join(CLIENT_KEY_FILE);
        match (cert.exists(), key.exists()) {
            (true, true) => Ok(Some(ClientIdentity { cert, key })),
            (false, false) => Ok(None),
            (true, false) => Err(ConfigError::IncompleteClientIdentity { present: cert, missing: key }),
            (false, true) => Err(ConfigError::IncompleteClientIdentity { present: key, missing: cert }),
        }
    }

    /// The CA certificate path, resolved against the data directory.
    pub fn ca_cert(&self, config: &NodeConfig) -> Option<PathBuf> {
        config.ca_cert.as_ref().map(|p| if p.is_absolute() { p.clone() } else { self.root.join(p) })
    }
}

/// A TOML value as it is written in the file (quoted and escaped as TOML needs).
fn value(v: impl Serialize) -> String {
    toml::Value::try_from(v).expect("settings are plain TOML values").to_string()
}

/// `node.toml` for `config`, every section written out with comments saying what each setting
/// means. A setting or section that is absent is shown commented out, with its default or an
/// example, so the file reads back as exactly `config` and still shows everything there is to set.
pub fn commented(config: &NodeConfig) -> String {
    let set = |present: bool| if present { "" } else { "# " };
    let mut out = format!(
        "# msp-node configuration. Secrets are not kept here: the node secret and the signing key are\n\
         # files in keys/, and a database password belongs in the {DATABASE_URL_ENV} environment variable.\n\
         # Unknown settings are refused with their line number. A line starting with # is a comment: remove\n\
         # the # to set what it shows. deploy/config/node.example.toml explains every setting at length.\n\n\
         # The council this node belongs to: its ONS (GSS) code.\n\
         council = {}\n\n\
         # The national coordinator's base URL (https:// only).\n\
         coordinator_url = {}\n\n\
         # The CA certificate (PEM) that signs the coordinator's TLS certificate, relative to this directory;\n\
         # leave it out to trust the platform's roots.\n",
        value(config.council),
        value(&config.coordinator_url)
    );
    let ca = config.ca_cert.as_ref().map(|p| p.display().to_string());
    out.push_str(&format!(
        "{}ca_cert = {}\n\n",
        set(ca.is_some()),
        value(ca.as_deref().unwrap_or("coordinator-ca.pem"))
    ));
    out.push_str(&format!(
        "# The database: leave it out for the SQLite file node.db in this directory. For PostgreSQL give the URL\n\
         # without its password, and put the URL with the password in {DATABASE_URL_ENV}.\n\
         {}database_url = {}\n\n",
        set(config.database_url.is_some()),
        value(config.database_url.as_deref().unwrap_or("postgres://msp_node@db.council.example:5432/msp_node"))
    ));
    out.push_str(&format!(
        "# The report spec releases follow: leave it out for the newest this version makes that the network's\n\
         # policy accepts (`msp-node policy` shows both). Set it to stay on an older one, e.g. \"msp-quarterly/1\".\n\
         {}spec = {}\n\n",
        set(config.spec.is_some()),
        value(config.spec.map_or("msp-quarterly/1", |s| s.as_str()))
    ));
    let context = config.context.clone();
    let c = context.clone().unwrap_or(ContextConfig {
        team_model: TeamModel::Specialist,
        msp_level: MspLevel::Silver,
        recording_system: String::new(),
        validated: false,
    });
    let on = set(context.is_some());
    out.push_str(&format!(
        "# What the council declares about itself, carried in every release. A release is refused until this\n\
         # section is present.\n\
         {on}[context]\n\
         # How enquiries are organised: \"specialist\", \"locality\" or \"hybrid\".\n\
         {on}team_model = {}\n\
         # The Making Safeguarding Personal level: \"bronze\", \"silver\", \"gold\" or \"none\".\n\
         {on}msp_level = {}\n\
         # The case management system the data come from (free text).\n\
         {on}recording_system = {}\n\
         # Whether the performance team has checked the imported data against the case system.\n\
         {on}validated = {}\n\n",
        value(c.team_model),
        value(c.msp_level),
        value(&c.recording_system),
        value(c.validated)
    ));
    let b = config.budget.unwrap_or_default();
    let on = set(config.budget.is_some());
    out.push_str(&format!(
        "# The privacy budget, in ρ of zero-concentrated differential privacy. Left out, the defaults shown apply:\n\
         # a release every quarter and one revision a year. The network's policy bounds these (`msp-node policy`),\n\
         # and `msp-node budget` shows what has been spent.\n\
         {on}[budget]\n\
         # ρ each release (a first release or a revision) spends.\n\
         {on}rho_per_release = {}\n\
         # The most the releases of one quarter's data may spend together.\n\
         {on}rho_per_quarter = {}\n\
         # The most any four consecutive quarters may spend together.\n\
         {on}rho_per_four_quarters = {}\n\
         # The δ at which the equivalent ε is reported; above 0 and below 0.001.\n\
         {on}delta = {}\n\n",
        value(b.rho_per_release),
        value(b.rho_per_quarter),
        value(b.rho_per_four_quarters),
        value(b.delta)
    ));
    let on = set(config.submission.is_some());
    out.push_str(&format!(
        "# How releases are submitted.\n\
         {on}[submission]\n\
         # When true, `msp-node submit` sends a release only after someone has approved it with\n\
         # `msp-node approve --period P --by NAME`. Default false.\n\
         {on}require_approval = {}\n\
         # When true, the approver must be another person than the one who made the release (\"four\n\
         # eyes\"); it implies require_approval. Default false.\n\
         {on}four_eyes = {}\n\n",
        value(config.submission.unwrap_or_default().require_approval),
        value(config.submission.unwrap_or_default().four_eyes)
    ));
    let w = config.web.clone().unwrap_or_default();
    let on = set(config.web.is_some());
    let path = |key: &str, p: &Option<PathBuf>, example: &str| {
        let shown = p.as_ref().map_or(example.to_owned(), |p| p.display().to_string());
        format!("{}{key} = {}", set(p.is_some() && config.web.is_some()), value(shown))
    };
    out.push_str(&format!(
        "# The council's local web view, `msp-node serve` (accounts: `msp-node user add NAME --role ROLE`).\n\
         {on}[web]\n\
         # Where it listens. Its pages show the council's exact figures, so an address other machines can\n\
         # reach is refused unless allow_non_loopback is true.\n\
         {on}listen = {}\n\
         {on}allow_non_loopback = {}\n\
         # How long a sign-in lasts, in hours (1 to 24).\n\
         {on}session_hours = {}\n\
         # The council's own certificate and key (PEM, relative to this directory); left out, the node makes\n\
         # its own once, with its CA in web-tls/ca.pem for the browser to trust.\n\
         {}\n\
         {}\n",
        value(w.listen.to_string()),
        value(w.allow_non_loopback),
        value(w.session_hours),
        path("tls_cert", &w.tls_cert, "web.pem"),
        path("tls_key", &w.tls_key, "web-key.pem"),
    ));
    out
}

/// The files of a client identity for mutual TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate, followed by any intermediates (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Writes `bytes` to `path` atomically; `secret` files get mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> Result<(), ConfigError> {
    msp_protocol::files::write_atomic(path, bytes, secret).map_err(|source| ConfigError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> NodeConfig {
        NodeConfig {
            council: "E06000001".parse().unwrap(),
            coordinator_url: "https://coordinator.example:8443".into(),
            ca_cert: Some("coordinator-ca.pem".into()),
            database_url: None,
            context: Some(ContextConfig {
                team_model: TeamModel::Specialist,
                msp_level: MspLevel::Gold,
                recording_system: "CaseWorks 4".into(),
                validated: true,
            }),
            budget: Some(Budget { rho_per_release: 0.25, ..Budget::default() }),
            submission: Some(SubmissionConfig { require_approval: true, four_eyes: true }),
            web: Some(WebConfig { session_hours: 4, ..WebConfig::default() }),
            spec: Some(SpecId::MspQuarterlyV1),
        }
    }

    #[test]
    fn the_configuration_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        assert!(!data.is_initialised());
        data.save(&example()).unwrap();
        assert_eq!(data.load().unwrap(), example());
        let text = std::fs::read_to_string(data.config_path()).unwrap();
        assert!(text.starts_with("# msp-node configuration"), "{text}");
    }

    #[test]
    fn the_written_file_reads_back_as_the_same_settings_whichever_sections_are_left_out() {
        let full = example();
        let bare = NodeConfig {
            ca_cert: None,
            database_url: None,
            context: None,
            budget: None,
            submission: None,
            web: None,
            spec: None,
            ..example()
        };
        let some = NodeConfig {
            database_url: Some("postgres://msp_node@db:5432/msp \"quoted\"".into()),
            context: Some(ContextConfig {
                recording_system: "Case \"Works\"\n4".into(),
                ..full.context.clone().unwrap()
            }),
            submission: None,
            ..example()
        };
        for config in [full, bare.clone(), some] {
            let text = commented(&config);
            let read: NodeConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(read, config, "{text}");
        }
        // The optional sections left out are shown, with their defaults, commented out.
        let text = commented(&bare);
        for line in [
            "# ca_cert = \"coordinator-ca.pem\"",
            "# [context]",
            "# team_model = \"specialist\"",
            "# [budget]",
            "# rho_per_release = 0.5",
            "# rho_per_quarter = 1.0",
            "# rho_per_four_quarters = 2.5",
            "# [submission]",
            "# require_approval = false",
            "# four_eyes = false",
            "# [web]",
            "# listen = \"127.0.0.1:8445\"",
            "# tls_cert = \"web.pem\"",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
        }
        let written = commented(&example());
        assert!(written.lines().any(|l| l == "[budget]") && written.contains("rho_per_release = 0.25"), "{written}");
    }

    #[test]
    fn a_missing_configuration_says_how_to_initialise() {
        let dir = tempfile::tempdir().unwrap();
        let err = DataDir::new(dir.path()).load().unwrap_err().to_string();
        assert!(err.contains("msp-node init"), "{err}");
    }

    #[test]
    fn a_client_identity_is_both_files_in_keys_or_neither() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        assert_eq!(data.client_identity().unwrap(), None);
        std::fs::create_dir_all(data.keys_dir()).unwrap();
        std::fs::write(data.keys_dir().join(CLIENT_CERT_FILE), "cert").unwrap();
        let err = data.client_identity().unwrap_err().to_string();
        assert!(err.contains("client-key.pem is not") && err.contains("both"), "{err}");
        std::fs::write(data.keys_dir().join(CLIENT_KEY_FILE), "key").unwrap();
        let identity = data.client_identity().unwrap().unwrap();
        assert_eq!(identity.cert, data.keys_dir().join("client-cert.pem"));
        assert_eq!(identity.key, data.keys_dir().join("client-key.pem"));
    }

    #[test]
    fn unknown_or_invalid_settings_are_refused_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        std::fs::write(data.config_path(), "council = \"E06000001\"\ncoordinator_url = \"https://x\"\ncolour = 1\n")
            .unwrap();
        let err = data.load().unwrap_err().to_string();
        assert!(err.contains("colour") && err.contains("line 3"), "{err}");
        std::fs::write(data.config_path(), "council = \"E99999999\"\ncoordinator_url = \"https://x\"\n").unwrap();
        assert!(data.load().unwrap_err().to_string().contains("not the code of a council"));
    }

    #[test]
    fn unusable_budgets_are_refused() {
        let ok = Budget::default();
        ok.validate().unwrap();
        assert!(Budget { rho_per_release: 0.0, ..ok }.validate().is_err());
        assert!(Budget { rho_per_release: 2.0, ..ok }.validate().is_err());
        assert!(Budget { rho_per_quarter: 3.0, ..ok }.validate().is_err());
        assert!(Budget { delta: 0.5, ..ok }.validate().is_err());
        assert!(Budget { rho_per_four_quarters: f64::NAN, ..ok }.validate().is_err());
    }
}
