//! The node's coordinator client against a stand-in that misbehaves (DESIGN §7): it bounds what
//! it reads back, and follows no redirect, so the signed release is never re-sent elsewhere.

mod standin;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use futures_util::StreamExt;
use msp_node::submit::{Backoff, Coordinator, MAX_ANSWER_BYTES, SubmitError};
use standin::{StandIn, TestCa};

const ANSWER: usize = 64 << 20;
const CHUNK: usize = 64 << 10;

fn once() -> Backoff {
    Backoff { first: Duration::ZERO, max: Duration::ZERO, tries: 1 }
}

/// The process's peak resident memory, in bytes (Linux's VmHWM).
fn peak_memory() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_answer_is_refused_before_it_is_all_read_and_the_nodes_memory_does_not_grow_with_it() {
    let ca = TestCa::new();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let router = Router::new().route(
        "/v1/keys",
        get(move || {
            let counter = counter.clone();
            async move {
                // 64 MiB of JSON-looking bytes, made as they are read, with no Content-Length.
                let chunks = futures_util::stream::iter(0..ANSWER / CHUNK).map(move |_| {
                    counter.fetch_add(CHUNK, Ordering::Relaxed);
                    Ok::<_, std::io::Error>(vec![b' '; CHUNK])
                });
                Body::from_stream(chunks)
            }
        }),
    );
    let server = StandIn::start(&ca, router).await;
    let coordinator = Coordinator::new(&server.base, Some(&ca.ca_file()), once()).unwrap();

    let before = peak_memory();
    let err = coordinator.key().await.unwrap_err();
    let grew = peak_memory().saturating_sub(before);
    assert!(matches!(err, SubmitError::TooLarge { limit, .. } if limit == MAX_ANSWER_BYTES), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("larger than 4194304 bytes") && msg.contains("/v1/keys"), "{msg}");
    assert!(msg.contains("not the coordinator, or it is misbehaving") && msg.contains("operator"), "{msg}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = served.load(Ordering::Relaxed);
    eprintln!("the stand-in made {sent} bytes before the node hung up; the node's peak memory grew by {grew} bytes");
    assert!(sent < ANSWER / 2, "the node stopped reading: the stand-in made only {sent} of {ANSWER} bytes");
    assert!(grew < 32 << 20, "the node's peak memory grew by {grew} bytes for a {ANSWER}-byte answer");
}

#[tokio::test]
async fn an_answer_that_declares_an_oversize_length_is_refused_unread() {
    let ca = TestCa::new();
    let router = Router::new().route(
        "/v1/log/head",
        get(|| async { ([(header::CONTENT_LENGTH, (ANSWER as u64).to_string())], Body::from(vec![b' '; CHUNK])) }),
    );
    let server = StandIn::start(&ca, router).await;
    let coordinator = Coordinator::new(&server.base, Some(&ca.ca_file()), once()).unwrap();
    let err = coordinator.head().await.unwrap_err();
    assert!(matches!(err, SubmitError::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_the_other_origin_receives_nothing() {
    let ca = TestCa::new();
    let elsewhere = StandIn::start(&ca, Router::new().fallback(|| async { StatusCode::OK })).await;
    let to = elsewhere.base.clone();
    let (to_get, to_post) = (format!("{to}/v1/keys"), format!("{to}/v1/submissions"));
    let router = Router::new()
        .route(
            "/v1/keys",
            get(move || async move { (StatusCode::FOUND, [(header::LOCATION, to_get)]).into_response() }),
        )
        .route(
            "/v1/submissions",
            post(
                move || async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to_post)]).into_response() },
            ),
        );
    let server = StandIn::start(&ca, router).await;
    let coordinator = Coordinator::new(&server.base, Some(&ca.ca_file()), Backoff::default()).unwrap();

    let err = coordinator.key().await.unwrap_err();
    assert!(matches!(err, SubmitError::Redirected { status: 302, .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("to {to}/v1/keys")) && msg.contains("coordinator_url in node.toml"), "{msg}");

    let err = coordinator.post("2026-27-Q1 revision 1", "a.signed.release").await.unwrap_err();
    assert!(matches!(err, SubmitError::Redirected { status: 307, .. }), "{err}");
    assert!(err.to_string().contains(&format!("{to}/v1/submissions")) && err.to_string().contains("Nothing was sent"));

    assert_eq!(
        server.requests(),
        ["GET /v1/keys", "POST /v1/submissions"],
        "each asked once: a redirect is not retried"
    );
    assert!(elsewhere.requests().is_empty(), "the other origin received {:?}", elsewhere.requests());
}
