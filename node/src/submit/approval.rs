//! Approval before submission: when `node.toml` asks for it (`[submission] require_approval`),
//! a named person approves each release (`msp-node approve`) before [`super::Submitter::queue`]
//! will sign it.

use msp_schemas::{Period, release::Timestamp};

use super::error::SubmitError;
use crate::store::Store;

/// The revision `revision` names: the one given, or else the latest stored release of `period`.
pub async fn revision_or_latest(store: &Store, period: Period, revision: Option<u32>) -> Result<u32, SubmitError> {
    match revision {
        Some(r) => Ok(r),
        None => store.release(period, None).await?.map(|r| r.revision).ok_or_else(|| {
            SubmitError::Nothing(format!("{period} has not been released: run `msp-node release --period {period}`"))
        }),
    }
}

/// Records that `by` approved `revision` (default: the latest) of `period` at `at`, and returns
/// the revision approved and the approver's name as recorded (trimmed).
pub async fn approve(
    store: &Store,
    period: Period,
    revision: Option<u32>,
    by: &str,
    at: Timestamp,
) -> Result<(u32, String), SubmitError> {
    let revision = revision_or_latest(store, period, revision).await?;
    if store.release(period, Some(revision)).await?.is_none() {
        return Err(SubmitError::Nothing(format!("{period} has no revision {revision}")));
    }
    let by = by.trim();
    if by.is_empty() {
        return Err(SubmitError::NoApprover);
    }
    store.approve(period, revision, by, &at.to_string()).await?;
    Ok((revision, by.to_owned()))
}
