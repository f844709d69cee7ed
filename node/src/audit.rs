//! Who did what, when: the node's audit log.
//!
//! Every state change — a release made, approved or submitted, stored cases removed by a snapshot
//! import or a purge, an account added or removed, a sign-in to the local web view, refused or not
//! — is written to the `audit` table, in the same transaction as the change where there is one, so
//! the log and the data cannot disagree.
//! `msp-node audit` prints it. An entry names its [`Actor`]: the account of the web view that
//! acted, or, on the command line, the login that ran the command (or the name given with `--by`).

use std::fmt;

use msp_schemas::Period;
use serde::Serialize;

/// How an actor reached the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The node's local web view, signed in with an account.
    Web,
    /// The `msp-node` command line.
    CommandLine,
}

impl Via {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::CommandLine => "command_line",
        }
    }

    /// The stored code read back (anything else is the command line, the older way in).
    pub fn of_code(code: &str) -> Self {
        if code == "web" { Via::Web } else { Via::CommandLine }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Via::Web => "web view",
            Via::CommandLine => "command line",
        })
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The account's name, or the login on the command line.
    pub name: String,
    /// How they reached the node.
    pub via: Via,
}

impl Actor {
    /// An account of the web view.
    pub fn web(name: &str) -> Self {
        Self { name: name.to_owned(), via: Via::Web }
    }

    /// Someone at the command line: the name given (e.g. `--by`), else the login running the
    /// command (`$USER`, `$LOGNAME`), else "unknown login".
    pub fn command_line(given: Option<&str>) -> Self {
        let login = || ["USER", "LOGNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
        let name = given.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).or_else(login);
        Self { name: name.unwrap_or_else(|| "unknown login".to_owned()), via: Via::CommandLine }
    }

    /// Whether `self` and `other` name the same person (names compared without regard to case
    /// or surrounding spaces): what four-eyes approval refuses.
    pub fn same_person(&self, other: &str) -> bool {
        self.name.trim().to_lowercase() == other.trim().to_lowercase()
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.via)
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A quarter's first release made (budget spent).
    Release,
    /// A new revision made (budget spent again).
    Revise,
    /// A release approved for submission.
    Approve,
    /// A release sent and its receipt kept.
    Submit,
    /// A release that could not be sent, and why.
    SubmitFailed,
    /// A release written to a file for a coordinator the node cannot reach.
    Export,
    /// An account added.
    UserAdd,
    /// An account removed.
    UserRemove,
    /// A sign-in to the web view.
    SignIn,
    /// A sign-in refused (a wrong token).
    SignInRefused,
    /// A sign-out.
    SignOut,
    /// A snapshot import (`import --snapshot`) removed the stored cases its file no longer holds.
    SnapshotRemoved,
    /// Stored cases received before a date removed for retention (`purge`).
    Purge,
}

impl Action {
    /// Every action, in the order above.
    pub const ALL: [Action; 13] = [
        Action::Release,
        Action::Revise,
        Action::Approve,
        Action::Submit,
        Action::SubmitFailed,
        Action::Export,
        Action::UserAdd,
        Action::UserRemove,
        Action::SignIn,
        Action::SignInRefused,
        Action::SignOut,
        Action::SnapshotRemoved,
        Action::Purge,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Action::Release => "release",
            Action::Revise => "revise",
            Action::Approve => "approve",
            Action::Submit => "submit",
            Action::SubmitFailed => "submit_failed",
            Action::Export => "export",
            Action::UserAdd => "user_add",
            Action::UserRemove => "user_remove",
            Action::SignIn => "sign_in",
            Action::SignInRefused => "sign_in_refused",
            Action::SignOut => "sign_out",
            Action::SnapshotRemoved => "snapshot_removed",
            Action::Purge => "purge",
        }
    }

    /// The action of a stored code.
    pub fn of_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// What it is, for people.
    pub fn label(self) -> &'static str {
        match self {
            Action::Release => "Made a release",
            Action::Revise => "Made a new revision",
            Action::Approve => "Approved a release",
            Action::Submit => "Submitted a release",
            Action::SubmitFailed => "Tried to submit a release",
            Action::Export => "Exported a release to a file",
            Action::UserAdd => "Added an account",
            Action::UserRemove => "Removed an account",
            Action::SignIn => "Signed in",
            Action::SignInRefused => "Sign-in refused",
            Action::SignOut => "Signed out",
            Action::SnapshotRemoved => "Imported a snapshot, removing the cases it no longer holds",
            Action::Purge => "Removed old cases (retention)",
        }
    }
}

/// One entry to write.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Who.
    pub actor: &'a Actor,
    /// What.
    pub action: Action,
    /// The quarter and revision it concerns, if any.
    pub release: Option<(Period, u32)>,
    /// The rest, in plain words (what was spent, the hash approved, why it failed …).
    pub detail: String,
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Its place in the log (ascending).
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// How.
    pub via: Via,
    /// What (the code; [`Action::of_code`] reads it).
    pub action: String,
    /// The quarter it concerns.
    pub period: Option<Period>,
    /// The revision it concerns.
    pub revision: Option<u32>,
    /// The rest.
    pub detail: String,
}

impl Entry {
    /// The action in words (the stored code if this version does not know it).
    pub fn action_label(&self) -> &str {
        match Action::of_code(&self.action) {
            Some(a) => a.label(),
            None => &self.action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::of_code(a.code()), Some(a));
        }
        for v in [Via::Web, Via::CommandLine] {
            assert_eq!(Via::of_code(v.code()), v);
        }
    }

    #[test]
    fn the_same_person_whatever_the_case_or_spaces() {
        let a = Actor::web("Priya Shah");
        assert!(a.same_person(" priya shah "));
        assert!(!a.same_person("Sam Jones"));
        assert_eq!(Actor::command_line(Some("  Sam Jones ")).name, "Sam Jones");
        assert_eq!(Actor::command_line(Some("Sam")).via, Via::CommandLine);
    }
}
