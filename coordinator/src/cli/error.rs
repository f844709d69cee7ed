//! Anything a command can fail with, each saying what to do.

use crate::{
    councils::EnrolError, ingest::Refused, signing_key::KeyError, store::CoordinatorStoreError, tls::TlsError,
    tokens::TokenError,
};

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The database.
    #[error(transparent)]
    Store(#[from] CoordinatorStoreError),
    /// The signing key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// TLS.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Enrolling or revoking a council's key.
    #[error(transparent)]
    Enrol(#[from] EnrolError),
    /// Making, listing or revoking a token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A refused submission.
    #[error("the submission was refused ({}): {}", .0.kind.slug(), .0.detail)]
    Refused(Refused),
    /// Anything else the operator must fix.
    #[error("{0}")]
    Usage(String),
}
