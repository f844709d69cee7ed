//! What can go wrong answering a request, and the one place it becomes an HTTP answer: an
//! RFC 9457 problem document (`application/problem+json`) with a stable type per variant and a
//! detail that says what to do, never the internals (those go to the log).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use msp_schemas::{Problem, ProblemType};

use crate::{
    ingest::{MAX_BODY, Refused},
    store::CoordinatorStoreError,
};

/// Why a request was not answered as asked.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The submission checks or the log writer refused a submission, with its problem type.
    #[error("the submission was refused: {0}")]
    Refused(#[from] Refused),
    /// Reading the database failed (for a view, a benchmark, a token's role or the log).
    #[error("reading the database failed: {0}")]
    StoreRead(#[from] CoordinatorStoreError),
    /// The request came without a valid bearer token or session.
    #[error("not signed in: {0}")]
    NotSignedIn(&'static str),
    /// The caller's role may not see or do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Nothing is at this address, or there is nothing to show yet.
    #[error("not found: {0}")]
    NotFound(String),
    /// A query parameter or path segment could not be read.
    #[error("bad query: {0}")]
    BadQuery(String),
    /// A submission's body was sent with this media type, not `application/jose`.
    #[error("the body was sent as {0:?}")]
    MediaType(String),
    /// A submission's body is larger than [`MAX_BODY`].
    #[error("the body is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// A request body broke off before its end (the client closed, or it came too slowly).
    #[error("the body broke off before its end")]
    UnreadableBody,
    /// The operating system gave no random bytes for a session id.
    #[error("no random bytes for a session: {0}")]
    NoRandomness(String),
    /// Making a download (an XLSX workbook) failed.
    #[error("making the download failed: {0}")]
    Export(String),
    /// The transparency log's tree could not give its root.
    #[error("the log's tree failed: {0}")]
    Log(String),
    /// The database does not answer (the readiness probe).
    #[error("the database does not answer")]
    NotReady,
}

impl HttpError {
    /// The problem type this error is answered with and what to tell the caller: the one mapping
    /// from errors to answers.
    pub fn answer(&self) -> (ProblemType, String) {
        match self {
            HttpError::Refused(r) => (r.kind, r.detail.clone()),
            HttpError::StoreRead(CoordinatorStoreError::Corrupt(_)) => {
                (ProblemType::Internal, "the coordinator could not read what it has stored: tell its operator".into())
            }
            HttpError::StoreRead(CoordinatorStoreError::Store(_)) => {
                (ProblemType::Unavailable, "the coordinator could not read its database; try again shortly".into())
            }
            HttpError::NotSignedIn(why) => (ProblemType::Unauthenticated, (*why).into()),
            HttpError::Forbidden(why) => (ProblemType::Forbidden, why.clone()),
            HttpError::NotFound(what) => (ProblemType::NotFound, what.clone()),
            HttpError::BadQuery(why) => (ProblemType::MalformedRequest, why.clone()),
            HttpError::MediaType(media) => (
                ProblemType::UnsupportedMediaType,
                format!("the body was sent as {media:?}; send the compact JWS as application/jose"),
            ),
            HttpError::TooLarge => (ProblemType::PayloadTooLarge, format!("the body is larger than {MAX_BODY} bytes")),
            HttpError::UnreadableBody => {
                (ProblemType::MalformedRequest, "the body broke off before its end: send the whole body again".into())
            }
            HttpError::NoRandomness(_) => {
                (ProblemType::Internal, "the coordinator could not open a session: tell its operator".into())
            }
            HttpError::Export(_) => (
                ProblemType::Internal,
                "the coordinator could not make the file; try again, or ask for format=csv or format=json".into(),
            ),
            HttpError::Log(_) => (
                ProblemType::Internal,
                "the coordinator could not compute its log's tree head: tell its operator".into(),
            ),
            HttpError::NotReady => (ProblemType::Unavailable, "the database does not answer".into()),
        }
    }

    /// The problem type this error is answered with.
    pub fn kind(&self) -> ProblemType {
        self.answer().0
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (kind, detail) = self.answer();
        if kind.status() >= 500 {
            tracing::error!(error = %self, problem = %kind, "a request failed inside the coordinator");
        }
        problem_response(&Problem::new(kind, detail))
    }
}

/// A dashboard page's handler answers with a page or with what is shown instead of it; a failed
/// request shows its problem document.
impl From<HttpError> for Response {
    fn from(e: HttpError) -> Self {
        e.into_response()
    }
}

/// A problem document as a response.
fn problem_response(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(p).expect("a problem serialises");
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

#[cfg(test)]
mod tests {
    use msp_store::StoreError;

    use super::*;

    #[test]
    fn a_failed_read_is_reported_as_a_read_and_a_refused_submission_keeps_its_type() {
        let read = HttpError::from(CoordinatorStoreError::Store(StoreError::Sql(msp_store::sqlx::Error::PoolClosed)));
        let (kind, detail) = read.answer();
        assert_eq!(kind, ProblemType::Unavailable);
        assert!(detail.contains("could not read") && !detail.contains("store the submission"), "{detail}");
        assert!(!detail.contains("pool"), "no internals: {detail}");
        let corrupt = HttpError::from(CoordinatorStoreError::Corrupt("stored release 3: bad".into()));
        assert_eq!(corrupt.kind(), ProblemType::Internal);
        assert!(!corrupt.answer().1.contains("release 3"), "no internals");
        let refused = HttpError::from(Refused::new(ProblemType::Conflict, "revision 1 is stored"));
        assert_eq!(refused.answer(), (ProblemType::Conflict, "revision 1 is stored".to_owned()));
    }

    #[tokio::test]
    async fn every_error_is_a_problem_document_with_its_types_status() {
        let errors = [
            HttpError::NotSignedIn("sign in"),
            HttpError::Forbidden("not yours".into()),
            HttpError::NotFound("nothing".into()),
            HttpError::BadQuery("bad".into()),
            HttpError::MediaType("text/plain".into()),
            HttpError::TooLarge,
            HttpError::UnreadableBody,
            HttpError::NoRandomness("getrandom: no entropy".into()),
            HttpError::Export("xlsx writer: disk full".into()),
            HttpError::Log("tree of 3 has no root 4".into()),
            HttpError::NotReady,
        ];
        for e in errors {
            let kind = e.kind();
            let r = e.into_response();
            assert_eq!(r.status().as_u16(), kind.status());
            assert_eq!(r.headers()[header::CONTENT_TYPE], "application/problem+json");
            let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
            let problem: Problem = serde_json::from_slice(&body).unwrap();
            assert_eq!(problem.kind(), Some(kind));
            assert!(
                !problem.detail.contains("disk full")
                    && !problem.detail.contains("root 4")
                    && !problem.detail.contains("getrandom"),
                "{problem:?}"
            );
        }
    }
}
