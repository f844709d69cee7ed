//! What requests and submissions leave in the log: a span per request (method, matched route,
//! status, latency) and spans for each step of taking in a release (its council, period and
//! revision), never a token, a key or anything from the release's tables.
//!
//! A process of its own: a test's subscriber is the default of its thread only, and callsites
//! first reached on another test's thread would be switched off for it.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use msp_coordinator::{
    auth::Role,
    clock::Clock,
    councils,
    http::{AppState, router},
    signing_key::SigningKey,
    store::Store,
    tokens,
};
use msp_protocol::{jws, keypair::KeyPair};
use msp_store::testing::TestDb;
use tower::ServiceExt;

/// The golden `msp-release/1` document: Hartlepool, 2026-27-Q1, revision 1.
const RELEASE: &str = include_str!("../../schemas/tests/fixtures/release-v1.json");

/// A clock after the golden release's quarter has ended.
fn clock() -> Clock {
    let now = time::OffsetDateTime::parse("2027-01-15T10:00:00Z", &time::format_description::well_known::Rfc3339)
        .expect("a time");
    Arc::new(move || now)
}

/// What a subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn requests_and_submissions_are_traced_by_route_and_release_without_tokens_or_keys() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_env_filter("info")
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&db.url).await.unwrap();
    let state = AppState::new(store, SigningKey::load_or_create(&dir.path().join("keys")).unwrap(), clock());
    let pair = KeyPair::generate(&dir.path().join("council.p8")).unwrap();
    councils::enrol(&state.store, "E06000001".parse().unwrap(), &pair.public_key_b64(), None).await.unwrap();
    let jws = pair.sign_jws(jws::TYP_RELEASE, RELEASE.as_bytes());
    let submit = Request::post("/v1/submissions")
        .header(header::CONTENT_TYPE, "application/jose")
        .body(Body::from(jws.clone()))
        .unwrap();
    let response = router(state.clone()).oneshot(submit).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (token, _) = tokens::create_token(&state.store, Role::National, "analyst").await.unwrap();
    let read = Request::get("/v1/views/overview?period=2026-27-Q1")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(router(state.clone()).oneshot(read).await.unwrap().status(), StatusCode::OK);

    let log = captured.text();
    assert!(
        log.contains("request{method=POST route=/v1/submissions status=201 latency_ms="),
        "a span per request with its method, route, status and latency: {log}"
    );
    assert!(log.contains("request{method=GET route=/v1/views/overview status=200"), "{log}");
    assert!(log.contains("check{council=E06000001 period=2026-27-Q1 revision=1}"), "{log}");
    assert!(log.contains("append{council=E06000001 period=2026-27-Q1 revision=1}"), "{log}");
    for secret in [token.as_str(), pair.fingerprint(), &pair.public_key_b64(), jws.as_str(), "overview?period"] {
        assert!(!log.contains(secret), "{secret} is in the log: {log}");
    }
    assert!(!log.contains("Liquidlogic"), "nothing from the release's payload beyond its identity: {log}");
}
