//! Approval before submission: when `node.toml` asks for it (`[submission] require_approval`,
//! or `four_eyes`), a named person approves each release — the exact bytes they were shown,
//! named by their SHA-256 — before [`super::Submitter::queue`] will sign it.
//!
//! Only the latest revision of a quarter can be approved (an older one is superseded), and when
//! the approver names the bytes they saw (the web view always does), the approval is refused if
//! the release has changed since: a page opened before a revision cannot approve it. With four
//! eyes, the approver must be another person than the release's maker.

use msp_schemas::{Period, release::Timestamp};

use super::error::SubmitError;
use crate::{
    audit::{Action, Actor, Event},
    config::NodeConfig,
    store::{Store, StoredRelease},
};

/// What an approver asks to approve.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The quarter.
    pub period: Period,
    /// The revision shown (default: the latest).
    pub revision: Option<u32>,
    /// The SHA-256 (hex) of the bytes shown, when the approver was shown them.
    pub sha256: Option<&'a str>,
}

/// An approval recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// The revision approved.
    pub revision: u32,
    /// Who approved it, as recorded.
    pub by: String,
    /// The SHA-256 of the bytes approved.
    pub sha256: String,
}

/// The revision `revision` names: the one given, or else the latest stored release of `period`.
pub async fn revision_or_latest(store: &Store, period: Period, revision: Option<u32>) -> Result<u32, SubmitError> {
    match revision {
        Some(r) => Ok(r),
        None => Ok(latest(store, period).await?.revision),
    }
}

/// The latest stored release of `period`.
async fn latest(store: &Store, period: Period) -> Result<StoredRelease, SubmitError> {
    store.release(period, None).await?.ok_or_else(|| {
        SubmitError::Nothing(format!("{period} has not been released: run `msp-node release --period {period}`"))
    })
}

/// What [`approve`] would approve, checked: the latest release of the quarter, the same as the
/// one shown, and (with four eyes) not made by `by`.
pub async fn check(
    store: &Store,
    config: &NodeConfig,
    ask: Request<'_>,
    by: &Actor,
) -> Result<StoredRelease, SubmitError> {
    let period = ask.period;
    let release = latest(store, period).await?;
    if let Some(shown) = ask.revision.filter(|&r| r != release.revision) {
        if store.release(period, Some(shown)).await?.is_none() {
            return Err(SubmitError::Nothing(format!("{period} has no revision {shown}")));
        }
        return Err(SubmitError::Changed {
            period,
            why: format!(
                "revision {shown} was superseded by revision {} (made {})",
                release.revision, release.created_at
            ),
        });
    }
    if let Some(shown) = ask.sha256.map(str::trim).filter(|s| !s.eq_ignore_ascii_case(&release.sha256())) {
        return Err(SubmitError::Changed {
            period,
            why: format!("the bytes shown (SHA-256 {shown}) are not those stored ({})", release.sha256()),
        });
    }
    if by.name.trim().is_empty() {
        return Err(SubmitError::NoApprover);
    }
    if let Some(maker) = release.made_by.as_deref().filter(|m| config.four_eyes() && by.same_person(m)) {
        return Err(SubmitError::SameApprover { period, revision: release.revision, maker: maker.to_owned() });
    }
    Ok(release)
}

/// Records that `by` approved the release `ask` names at `at`, in the audit log too.
pub async fn approve(
    store: &Store,
    config: &NodeConfig,
    ask: Request<'_>,
    by: &Actor,
    at: Timestamp,
) -> Result<Approved, SubmitError> {
    let release = check(store, config, ask, by).await?;
    let by = Actor { name: by.name.trim().to_owned(), via: by.via };
    let sha256 = release.sha256();
    let event = Event {
        actor: &by,
        action: Action::Approve,
        release: Some((ask.period, release.revision)),
        detail: format!("SHA-256 {sha256}"),
    };
    store.approve(ask.period, release.revision, &sha256, &at.to_string(), &event).await?;
    Ok(Approved { revision: release.revision, by: by.name, sha256 })
}
