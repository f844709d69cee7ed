//! The router driven in memory (`router(state).oneshot(request)`): what a failed database read is
//! reported as. (What requests leave in the log is tested in `tests/tracing.rs`, a process of its
//! own, since a test's subscriber sees only its own thread.)

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use msp_schemas::{Problem, ProblemType};
use msp_store::testing::{TestDb, databases};
use tower::ServiceExt;

use super::{AppState, router};
use crate::{auth::Role, clock::system_clock, signing_key::SigningKey, store::Store, tokens};

/// A coordinator's state over the database at `url`, with its signing key in `dir`.
async fn state(url: &str, dir: &std::path::Path) -> AppState {
    let store = Store::open(url).await.unwrap();
    AppState::new(store, SigningKey::load_or_create(&dir.join("keys")).unwrap(), system_clock())
}

/// GETs `path` with `token` as a bearer token (`/dashboard…`: in a session opened with it).
async fn get(state: &AppState, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(path);
    let request = if path.starts_with("/dashboard") {
        let now = time::OffsetDateTime::now_utc();
        let (session, _) = tokens::open_session(&state.store, token, now).await.unwrap().unwrap();
        request.header(header::COOKIE, format!("msp_session={}", session.expose()))
    } else {
        request.header(header::AUTHORIZATION, format!("Bearer {token}"))
    };
    let response = router(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    (status, axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec())
}

/// Asserts that `path` answers with a problem saying the database could not be read.
async fn read_failure(state: &AppState, path: &str, token: &str, db: &TestDb) {
    let (status, body) = get(state, path, token).await;
    let problem: Problem = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{path} on {db:?}: {status} {}", String::from_utf8_lossy(&body)));
    assert_eq!(problem.kind(), Some(ProblemType::Unavailable), "{path} on {db:?}: {problem:?}");
    assert_eq!(status.as_u16(), problem.status);
    assert!(problem.detail.contains("could not read its database"), "{path} on {db:?}: {problem:?}");
    assert!(!problem.detail.contains("store the submission"), "{path} on {db:?}: {problem:?}");
}

#[tokio::test]
async fn a_failed_read_is_reported_as_a_read_failure_not_as_a_failed_submission() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&db.url, dir.path()).await;
        let (token, _) = tokens::create_token(&state.store, Role::National, "analyst").await.unwrap();
        // The releases are gone, the tokens are not: the caller is known, its figures cannot be read.
        msp_store::sqlx::query("DROP TABLE submissions").execute(state.store.db().pool()).await.unwrap();
        for path in ["/v1/views/overview", "/v1/benchmarks", "/v1/compare?a=england&b=region:london", "/v1/log/head"] {
            read_failure(&state, path, &token, &db).await;
        }
        read_failure(&state, "/dashboard/status", &token, &db).await;
        // With the database closed, even whose token or session it is cannot be read.
        let (session, _) =
            tokens::open_session(&state.store, &token, time::OffsetDateTime::now_utc()).await.unwrap().unwrap();
        state.store.db().close().await;
        read_failure(&state, "/v1/views/status", &token, &db).await;
        let request = Request::get("/dashboard").header(header::COOKIE, format!("msp_session={}", session.expose()));
        let response = router(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (status, body) = (response.status(), axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap());
        let problem: Problem = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("/dashboard: {status}"));
        assert_eq!(problem.kind(), Some(ProblemType::Unavailable), "/dashboard on {db:?}: {problem:?}");
    }
}
