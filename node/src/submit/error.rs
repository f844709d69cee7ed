//! Why a submission, a receipt check or a change of trusted key did not complete.

use msp_schemas::{Period, Problem, policy::PolicyViolation};

use crate::{keys::KeyError, store::NodeStoreError};

/// Why a submission did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The coordinator refused it (this will not change by retrying).
    #[error("the coordinator refused {what}: {problem}")]
    Refused {
        /// What was refused.
        what: String,
        /// Its answer.
        problem: Problem,
    },
    /// The coordinator could not be reached, or kept failing.
    #[error(
        "the coordinator at {url} could not be reached after {tries} tries ({last}); the release stays in the outbox: run `msp-node submit` again later, or send it by hand with `msp-node export-submission`"
    )]
    Unreachable {
        /// The coordinator.
        url: String,
        /// Tries made.
        tries: u32,
        /// The last error.
        last: String,
    },
    /// The coordinator answered with something that does not check out.
    #[error(
        "the coordinator's answer does not check out: {0}. Nothing was accepted as proof; tell the coordinator's operator"
    )]
    Untrusted(String),
    /// The coordinator answered with a redirect, which the node never follows.
    #[error(
        "the coordinator at {url} answered {what} with a redirect (HTTP {status}) to {location}. This node follows no \
         redirect: it would send the signed release, or the council's token, wherever it points. Nothing was sent \
         there. Check coordinator_url in node.toml: it must be the coordinator's own address (https://host:port, as \
         its operator gave it); if it is, tell the coordinator's operator their server redirects"
    )]
    Redirected {
        /// The coordinator.
        url: String,
        /// What was asked.
        what: String,
        /// The 3xx status.
        status: u16,
        /// Where it pointed.
        location: String,
    },
    /// The coordinator's answer ran past the most the node reads.
    #[error(
        "the answer from {url} to {what} was larger than {limit} bytes, the most this node reads of any answer, so \
         the node stopped reading it: it is not the coordinator, or it is misbehaving. Nothing in it was used; tell \
         the coordinator's operator"
    )]
    TooLarge {
        /// The coordinator.
        url: String,
        /// What was asked.
        what: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The network policy the coordinator serves does not check out.
    #[error(
        "the network policy served by the coordinator at {url} was refused: {reason}. The policy this node held \
         before is kept, unchanged. Tell the coordinator's operator: they must serve a valid policy signed with their \
         current receipt-signing key, whose fingerprint this node pins as {pinned}. If they say they have rotated \
         that key, check the new fingerprint with them by phone and run `msp-node trust-coordinator-key \
         --fingerprint <the one they read out>`"
    )]
    PolicyRefused {
        /// The coordinator.
        url: String,
        /// Why.
        reason: String,
        /// The fingerprint of the key this node pins now.
        pinned: String,
    },
    /// The coordinator serves no policy: it is older than this node.
    #[error(
        "the coordinator at {url} serves no network policy (GET /v1/policy answered 404 Not Found): it runs software \
         older than this node, which holds every release to the network's policy before sending it. Nothing was \
         sent. Ask the coordinator's operator to upgrade msp-coordinator; until then a release can be sent by hand \
         with `msp-node export-submission`"
    )]
    NoPolicy {
        /// The coordinator.
        url: String,
    },
    /// A stored release breaks the network's policy, so it is not sent.
    #[error(
        "{period} revision {revision} breaks {policy}: {violation}. The coordinator would refuse it, \
         so it is not sent: it stays on the node. {advice}"
    )]
    BreaksPolicy {
        /// The quarter.
        period: Period,
        /// The revision.
        revision: u32,
        /// Which policy (fetched when, or the default).
        policy: String,
        /// What it breaks (boxed: the largest violation carries every figure).
        violation: Box<PolicyViolation>,
        /// What to do about it.
        advice: String,
    },
    /// The coordinator serves a key other than the one this node pinned.
    #[error(
        "the coordinator at {url} now signs with key {served}, but this node trusts key {pinned}, so nothing it \
         answers is accepted. If the coordinator's operator has announced a new key, check its fingerprint with them \
         by phone (or another channel than this connection), then run `msp-node trust-coordinator-key --fingerprint \
         <the fingerprint they read out>` and try again; if they have announced none, do not trust it and tell them"
    )]
    KeyChanged {
        /// The coordinator.
        url: String,
        /// The fingerprint of the key it serves.
        served: String,
        /// The fingerprint of the key this node pinned.
        pinned: String,
    },
    /// The fingerprint given to `trust-coordinator-key` is not the one of the key served.
    #[error(
        "the coordinator at {url} serves key {served}, not {given}: nothing was changed. Check the fingerprint with \
         the coordinator's operator again and run the command with the one they read out; if they confirm {given}, \
         the key this node is being served is not theirs (the connection may be intercepted): do not trust it, and \
         tell them"
    )]
    WrongFingerprint {
        /// The coordinator.
        url: String,
        /// The fingerprint of the key it serves.
        served: String,
        /// The fingerprint given.
        given: String,
    },
    /// The release needs approval first.
    #[error(
        "{0} revision {1} has not been approved for submission: run `msp-node approve --period {0} --by \"Your Name\"`"
    )]
    NotApproved(Period, u32),
    /// An approval without the approver's name.
    #[error("--by needs the approver's name")]
    NoApprover,
    /// The release shown to the approver is no longer the one that would be sent: a newer
    /// revision was made, or the bytes differ.
    #[error(
        "{period} has changed since it was shown to you: {why}. Nothing was approved; look at the release as it is          now and approve that"
    )]
    Changed {
        /// The quarter.
        period: Period,
        /// What changed.
        why: String,
    },
    /// Four-eyes approval: the approver made the release.
    #[error(
        "{period} revision {revision} was made by {maker}, and node.toml asks for four eyes ([submission] four_eyes =          true): another person must approve it"
    )]
    SameApprover {
        /// The quarter.
        period: Period,
        /// The revision.
        revision: u32,
        /// Who made it.
        maker: String,
    },
    /// The approval on record is for other bytes than the release (the database was altered).
    #[error(
        "the approval of {0} revision {1} is for other bytes than the release stored: it is not sent. Approve it          again once you have checked it"
    )]
    ApprovalMismatch(Period, u32),
    /// Nothing to do.
    #[error("{0}")]
    Nothing(String),
    /// The client could not be set up.
    #[error("could not set up the connection to the coordinator: {0}")]
    Setup(String),
    /// Keys.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] NodeStoreError),
}
