//! The accounts of the node's local web view (`msp-node user add NAME --role officer|approver`).
//!
//! An account signs in with a token shown once, when it is made; the node keeps only the token's
//! SHA-256, so a copy of the database signs no one in. Roles:
//! - an **officer** reads every page, previews, makes releases and submits approved ones;
//! - an **approver** can do all that and also approve a release for submission.
//!
//! With four-eyes approval (`[submission] four_eyes = true` in node.toml) the approver must be
//! another person than the one who made the release.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use msp_protocol::sha256;
use msp_store::hex;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every page, previews, releases and submits.
    Officer,
    /// An officer who may also approve releases for submission.
    Approver,
}

impl Role {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Approver => "approver",
        }
    }

    /// The role of a stored code.
    pub fn of_code(code: &str) -> Option<Self> {
        match code {
            "officer" => Some(Role::Officer),
            "approver" => Some(Role::Approver),
            _ => None,
        }
    }

    /// Whether the role may approve releases.
    pub fn may_approve(self) -> bool {
        matches!(self, Role::Approver)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The person's name, as shown on pages and in the audit log.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// When the account was made (RFC 3339).
    pub created_at: String,
    /// When it was removed, if it was.
    pub removed_at: Option<String>,
}

/// Why an account name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty.
    #[error("give the person's name, e.g. msp-node user add \"Priya Shah\" --role approver")]
    Empty,
    /// Too long.
    #[error("a name is at most {MAX_NAME} characters; this one has {0}")]
    TooLong(usize),
    /// Control characters.
    #[error("a name cannot hold control characters (tabs, new lines): type it as it should appear on pages")]
    Control,
}

/// Longest account name.
pub const MAX_NAME: usize = 80;

/// The name as kept: trimmed, and checked.
pub fn valid_name(name: &str) -> Result<String, NameError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        Err(NameError::Empty)
    } else if chars > MAX_NAME {
        Err(NameError::TooLong(chars))
    } else if name.chars().any(char::is_control) {
        Err(NameError::Control)
    } else {
        Ok(name.to_owned())
    }
}

/// A new secret: 32 random bytes from the operating system, base64url. Used for sign-in tokens,
/// session ids and each session's form token.
pub fn secret() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the operating system's random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 (hex) the node keeps of a token or session id.
pub fn digest(secret: &str) -> String {
    hex(&sha256(secret.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(valid_name("  Priya Shah ").unwrap(), "Priya Shah");
        assert_eq!(valid_name(" ").unwrap_err(), NameError::Empty);
        assert_eq!(valid_name("a\tb").unwrap_err(), NameError::Control);
        assert_eq!(valid_name(&"x".repeat(81)).unwrap_err(), NameError::TooLong(81));
        assert!(valid_name(&"é".repeat(80)).is_ok());
    }

    #[test]
    fn secrets_are_fresh_and_digests_are_stable() {
        let (a, b) = (secret(), secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a), digest(&format!(" {a}\n")));
        assert_ne!(digest(&a), digest(&b));
    }
}
