//! The coordinator's data directory: its signing key, development TLS files, (by default) its
//! SQLite database, and the network policy it enforces (`policy.toml`, DESIGN §4). A PostgreSQL URL
//! comes from `--database-url` or `MSP_COORDINATOR_DATABASE_URL`; another policy file from
//! `MSP_COORDINATOR_POLICY`.
//!
//! The settings are plain data: the policy is read here and handed to the HTTP state, which
//! enforces it.

use std::path::{Path, PathBuf};

use msp_schemas::{
    SpecId,
    policy::{NetworkPolicy, PolicyError, RhoRange},
};
use serde::Deserialize;

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "msp-coordinator-data";
/// Environment variable for the database URL (use it for passwords).
pub const DATABASE_URL_ENV: &str = "MSP_COORDINATOR_DATABASE_URL";

/// A coordinator's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the signing key lives.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// Where development TLS files live.
    pub fn tls_dir(&self) -> PathBuf {
        self.root.join("tls")
    }

    /// The database URL: the flag's, the environment's, or `coordinator.db` in the directory.
    pub fn database_url(&self, flag: Option<&str>) -> String {
        flag.map(str::to_owned)
            .or_else(|| std::env::var(DATABASE_URL_ENV).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| msp_store::sqlite_url(&self.root.join("coordinator.db")))
    }

    /// The network policy: from the file `MSP_COORDINATOR_POLICY` names (which must exist), else
    /// from `policy.toml` in the directory if there is one, else the defaults.
    pub fn policy(&self) -> Result<LoadedPolicy, PolicyConfigError> {
        let named = std::env::var_os(POLICY_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
        self.policy_from(named)
    }

    /// The network policy from `named` (which must exist) or the directory's `policy.toml` (if any).
    pub fn policy_from(&self, named: Option<PathBuf>) -> Result<LoadedPolicy, PolicyConfigError> {
        let path = match named {
            Some(path) => path,
            None => {
                let path = self.root.join(POLICY_FILE);
                if !path.exists() {
                    return Ok(LoadedPolicy { policy: NetworkPolicy::default(), file: None });
                }
                path
            }
        };
        Ok(LoadedPolicy { policy: read_policy(&path)?, file: Some(path) })
    }
}

/// The network policy's file in the data directory, read by `serve` when present.
pub const POLICY_FILE: &str = "policy.toml";
/// Environment variable naming the network policy's file (instead of `policy.toml` in the data
/// directory); the file must then exist.
pub const POLICY_ENV: &str = "MSP_COORDINATOR_POLICY";

/// Why the network policy could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyConfigError {
    /// The file could not be read.
    #[error("could not read the network policy {}: {source} (unset {POLICY_ENV} to use the defaults)", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a policy: unknown keys, wrong types or bad TOML.
    #[error("{} is not a valid network policy: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
    /// The policy parses but cannot be enforced (a setting out of range, or two that disagree).
    #[error("{}: {source}: correct the setting in that file", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// The setting and why.
        source: PolicyError,
    },
}

/// The bounds on ρ per release as the policy file gives them, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RhoRangeFile {
    min: Option<f64>,
    max: Option<f64>,
}

/// `policy.toml`: every setting of [`NetworkPolicy`], each optional (its default from
/// [`NetworkPolicy::default`]); unknown keys are refused, so a misspelt setting cannot silently
/// leave its default in force.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    format: Option<String>,
    specs: Option<Vec<SpecId>>,
    rho_per_release: Option<RhoRangeFile>,
    rho_per_quarter: Option<f64>,
    rho_per_four_quarters: Option<f64>,
    max_revision: Option<u32>,
    max_people_per_council_quarter: Option<u64>,
    noise_allowance_sigmas: Option<f64>,
    clock_skew_seconds: Option<u64>,
}

impl PolicyFile {
    fn into_policy(self) -> NetworkPolicy {
        let d = NetworkPolicy::default();
        let range = self.rho_per_release.unwrap_or_default();
        NetworkPolicy {
            format: self.format.unwrap_or(d.format),
            specs: self.specs.unwrap_or(d.specs),
            rho_per_release: RhoRange {
                min: range.min.unwrap_or(d.rho_per_release.min),
                max: range.max.unwrap_or(d.rho_per_release.max),
            },
            rho_per_quarter: self.rho_per_quarter.unwrap_or(d.rho_per_quarter),
            rho_per_four_quarters: self.rho_per_four_quarters.unwrap_or(d.rho_per_four_quarters),
            max_revision: self.max_revision.unwrap_or(d.max_revision),
            max_people_per_council_quarter: self
                .max_people_per_council_quarter
                .unwrap_or(d.max_people_per_council_quarter),
            noise_allowance_sigmas: self.noise_allowance_sigmas.unwrap_or(d.noise_allowance_sigmas),
            clock_skew_seconds: self.clock_skew_seconds.unwrap_or(d.clock_skew_seconds),
        }
    }
}

/// The network policy in force, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPolicy {
    /// The policy.
    pub policy: NetworkPolicy,
    /// The file it was read from; `None` when there was none and the defaults apply.
    pub file: Option<PathBuf>,
}

impl std::fmt::Display for LoadedPolicy {
    /// One line for the startup log: the file and the limits that matter most.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.policy;
        match &self.file {
            Some(path) => write!(f, "network policy from {}", path.display())?,
            None => {
                write!(f, "network policy: the defaults (no {POLICY_FILE} in the data directory, {POLICY_ENV} unset)")?
            }
        }
        write!(
            f,
            ": ρ per release {} to {}, {} per quarter, {} per four quarters, at most revision {}",
            p.rho_per_release.min, p.rho_per_release.max, p.rho_per_quarter, p.rho_per_four_quarters, p.max_revision
        )
    }
}

/// Reads and checks the network policy in `path` (TOML, every setting optional).
pub fn read_policy(path: &Path) -> Result<NetworkPolicy, PolicyConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| PolicyConfigError::Io { path: path.to_owned(), source })?;
    parse_policy(&text, path)
}

/// Parses and checks a network policy's TOML text; `path` names it in errors.
pub fn parse_policy(text: &str, path: &Path) -> Result<NetworkPolicy, PolicyConfigError> {
    let file: PolicyFile = toml::from_str(text)
        .map_err(|e| PolicyConfigError::Invalid { path: path.to_owned(), message: e.to_string() })?;
    let policy = file.into_policy();
    policy.validate().map_err(|source| PolicyConfigError::Unusable { path: path.to_owned(), source })?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<NetworkPolicy, PolicyConfigError> {
        parse_policy(text, Path::new("/etc/msp/policy.toml"))
    }

    #[test]
    fn an_empty_policy_file_is_the_default_policy_and_each_setting_overrides_its_default() {
        assert_eq!(parse("").unwrap(), NetworkPolicy::default());
        let p = parse("rho_per_quarter = 0.8\nmax_revision = 2\n[rho_per_release]\nmax = 0.4\n").unwrap();
        assert_eq!(p.rho_per_quarter, 0.8);
        assert_eq!(p.max_revision, 2);
        assert_eq!(p.rho_per_release, RhoRange { min: NetworkPolicy::default().rho_per_release.min, max: 0.4 });
        assert_eq!(p.rho_per_four_quarters, NetworkPolicy::default().rho_per_four_quarters);
        assert_eq!(parse("rho_per_four_quarters = 2").unwrap().rho_per_four_quarters, 2.0, "integers are numbers");
    }

    #[test]
    fn unknown_keys_are_refused_naming_the_file() {
        let err = parse("rho_per_quartre = 0.8\n").unwrap_err().to_string();
        assert!(err.contains("/etc/msp/policy.toml") && err.contains("rho_per_quartre"), "{err}");
        let err = parse("[rho_per_release]\nmaximum = 0.8\n").unwrap_err().to_string();
        assert!(err.contains("maximum"), "{err}");
    }

    #[test]
    fn a_policy_that_cannot_be_enforced_is_refused_naming_the_setting_and_the_file() {
        let err = parse("rho_per_quarter = 3.0\n").unwrap_err().to_string();
        assert!(err.contains("/etc/msp/policy.toml") && err.contains("rho_per_quarter"), "{err}");
        assert!(err.contains("correct the setting"), "says what to do: {err}");
        let err = parse("[rho_per_release]\nmin = 0\n").unwrap_err().to_string();
        assert!(err.contains("rho_per_release.min"), "{err}");
    }

    #[test]
    fn no_policy_file_means_the_defaults_and_a_named_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let loaded = data.policy_from(None).unwrap();
        assert_eq!(loaded, LoadedPolicy { policy: NetworkPolicy::default(), file: None });
        assert!(loaded.to_string().contains("the defaults"), "{loaded}");
        std::fs::write(dir.path().join(POLICY_FILE), "max_revision = 2\n").unwrap();
        let loaded = data.policy_from(None).unwrap();
        assert_eq!((loaded.policy.max_revision, loaded.file), (2, Some(dir.path().join(POLICY_FILE))));
        let missing = dir.path().join("elsewhere.toml");
        let err = data.policy_from(Some(missing.clone())).unwrap_err().to_string();
        assert!(err.contains(&missing.display().to_string()) && err.contains(POLICY_ENV), "{err}");
    }
}
