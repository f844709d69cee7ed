//! Each quarter's state, as `msp-node status` and the node's local pages show it: what the node
//! holds for the quarter, and how far its latest release has gone (made, approved, sent,
//! receipted). Nothing here prints.

use msp_schemas::{Period, Release, release::Receipt};
use serde::Serialize;

use crate::{
    store::{CorruptRecord, NodeStoreError, PeriodHoldings, Store, quarters::LatestRow},
    submit::receipt::stored_receipt,
};

/// The latest release of a quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestRelease {
    /// Its revision.
    pub revision: u32,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// The ρ it spent.
    pub rho: f64,
}

/// The latest release's place in the outbox: signed for sending, and perhaps receipted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentState {
    /// Sending attempts so far.
    pub attempts: u32,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
    /// When the coordinator's receipt was received (RFC 3339), once it has been.
    pub receipted_at: Option<String>,
    /// The release's position in the coordinator's transparency log, from the receipt.
    pub log_index: Option<u64>,
}

/// One quarter: what the node holds for it, and its latest release's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarterState {
    /// The quarter.
    pub period: Period,
    /// The case records held for it (local figures, never sent), if any.
    pub holdings: Option<PeriodHoldings>,
    /// How many revisions of it have been released.
    pub revisions: u32,
    /// Its latest release, if it has been released.
    pub latest: Option<LatestRelease>,
    /// Who approved the latest release for submission, and when.
    pub approval: Option<(String, String)>,
    /// The latest release's sending, once it has been signed for the coordinator.
    pub sent: Option<SentState>,
}

/// How far a quarter has gone, from no release to a receipted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// No release has been made.
    NotReleased,
    /// Released, neither approved nor sent.
    Released,
    /// Released and approved for submission, not yet sent.
    Approved,
    /// Sent (or signed for sending) to the coordinator, and no receipt yet.
    Sent,
    /// The coordinator's receipt is held.
    Receipted,
}

impl Stage {
    /// The stage in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Stage::NotReleased => "not released",
            Stage::Released => "released",
            Stage::Approved => "approved",
            Stage::Sent => "sent, awaiting receipt",
            Stage::Receipted => "receipted",
        }
    }
}

impl QuarterState {
    /// How far the quarter's latest release has gone.
    pub fn stage(&self) -> Stage {
        match (&self.latest, &self.sent, &self.approval) {
            (None, _, _) => Stage::NotReleased,
            (Some(_), Some(s), _) if s.receipted_at.is_some() => Stage::Receipted,
            (Some(_), Some(_), _) => Stage::Sent,
            (Some(_), None, Some(_)) => Stage::Approved,
            (Some(_), None, None) => Stage::Released,
        }
    }

    /// The state in a few plain words, with what identifies it: "released r2", "approved by
    /// Jo Bloggs", "sent, awaiting receipt", "receipted at log position 12".
    pub fn describe(&self) -> String {
        let revision = self.latest.as_ref().map_or(0, |l| l.revision);
        match self.stage() {
            Stage::NotReleased => Stage::NotReleased.label().to_owned(),
            Stage::Released => format!("released r{revision}"),
            Stage::Approved => {
                format!("r{revision} approved by {}", self.approval.as_ref().map_or("", |(by, _)| by.as_str()))
            }
            Stage::Sent => match self.sent.as_ref().and_then(|s| s.last_error.as_deref()) {
                Some(_) => format!("r{revision} sent, awaiting receipt (the last attempt failed)"),
                None => format!("r{revision} sent, awaiting receipt"),
            },
            Stage::Receipted => match self.sent.as_ref().and_then(|s| s.log_index) {
                Some(i) => format!("r{revision} receipted at log position {i}"),
                None => format!("r{revision} receipted"),
            },
        }
    }
}

/// Every quarter the node holds case records for or has released, newest first.
pub async fn states(store: &Store) -> Result<Vec<QuarterState>, NodeStoreError> {
    let holdings = store.holdings().await?;
    let latest = store.latest_releases().await?;
    combine(holdings, latest)
}

/// The quarters of `holdings` and `latest` together, newest first.
fn combine(holdings: Vec<PeriodHoldings>, latest: Vec<LatestRow>) -> Result<Vec<QuarterState>, NodeStoreError> {
    let mut by_period = std::collections::BTreeMap::new();
    for h in holdings {
        // A quarter outside the supported years cannot be released; it is not a quarter's state.
        if let Ok(period) = h.period.parse::<Period>() {
            by_period.insert(period, empty(period, Some(h)));
        }
    }
    for row in latest {
        let state = by_period.entry(row.period).or_insert_with(|| empty(row.period, None));
        let release = Release::from_json(row.document.as_bytes()).map_err(|e| {
            NodeStoreError::Corrupt(CorruptRecord::new(format!("stored release of {}: {e}", row.period)))
        })?;
        state.revisions = row.revisions;
        state.latest = Some(LatestRelease {
            revision: row.revision,
            created_at: row.created_at,
            rho: release.fields().privacy.rho,
        });
        state.approval = row.approval;
        state.sent = row.outbox.map(|o| SentState {
            attempts: u32::try_from(o.attempts).unwrap_or(0),
            last_error: o.last_error,
            receipted_at: o.received_at,
            // The receipt was verified when it was stored; here it is only read.
            log_index: o
                .receipt_jws
                .as_deref()
                .and_then(stored_receipt)
                .and_then(|v| serde_json::from_value::<Receipt>(v).ok())
                .map(|r| r.log_index),
        });
    }
    Ok(by_period.into_values().rev().collect())
}

fn empty(period: Period, holdings: Option<PeriodHoldings>) -> QuarterState {
    QuarterState { period, holdings, revisions: 0, latest: None, approval: None, sent: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> QuarterState {
        QuarterState {
            latest: Some(LatestRelease { revision: 2, created_at: "2026-07-20T10:00:00Z".into(), rho: 0.5 }),
            revisions: 2,
            ..empty("2026-27-Q1".parse().unwrap(), None)
        }
    }

    #[test]
    fn a_quarter_moves_from_released_to_approved_to_sent_to_receipted() {
        assert_eq!(empty("2026-27-Q1".parse().unwrap(), None).stage(), Stage::NotReleased);
        let mut s = state();
        assert_eq!((s.stage(), s.describe().as_str()), (Stage::Released, "released r2"));
        s.approval = Some(("Jo Bloggs".into(), "2026-07-21T09:00:00Z".into()));
        assert_eq!((s.stage(), s.describe().as_str()), (Stage::Approved, "r2 approved by Jo Bloggs"));
        s.sent =
            Some(SentState { attempts: 1, last_error: Some("timed out".into()), receipted_at: None, log_index: None });
        assert_eq!(s.stage(), Stage::Sent);
        assert!(s.describe().contains("awaiting receipt") && s.describe().contains("failed"), "{}", s.describe());
        s.sent = Some(SentState {
            attempts: 2,
            last_error: None,
            receipted_at: Some("2026-07-21T09:05:00Z".into()),
            log_index: Some(12),
        });
        assert_eq!((s.stage(), s.describe().as_str()), (Stage::Receipted, "r2 receipted at log position 12"));
    }

    #[test]
    fn holdings_and_releases_of_the_same_quarter_are_one_state_newest_first() {
        let holdings = |p: &str| PeriodHoldings { period: p.into(), concerns: 5, ..Default::default() };
        let states = combine(vec![holdings("2026-27-Q2"), holdings("2026-27-Q1")], vec![]).unwrap();
        let periods: Vec<String> = states.iter().map(|s| s.period.to_string()).collect();
        assert_eq!(periods, ["2026-27-Q2", "2026-27-Q1"]);
        assert!(states.iter().all(|s| s.stage() == Stage::NotReleased && s.holdings.is_some()));
    }
}
