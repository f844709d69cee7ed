//! Why a submission, a receipt check or a change of trusted key did not complete.

use msp_schemas::{Period, Problem};

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
