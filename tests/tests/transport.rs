//! The coordinator's transport under clients that stall, as an attacker would, over real TLS on
//! loopback (DESIGN §7): each deadline closes its connection after its limit and well before
//! three times it, while other councils' submissions go on being accepted; the connection caps;
//! and a body over 1 MiB answered with the same 413 problem over HTTP/2 as over HTTP/1.1.
//!
//! The limits are short here (two seconds) so the tests are quick; the bounds asserted are wide
//! (from the limit to three times it) so a loaded machine does not make them flaky.

use std::{
    io::{Read, Write},
    net::{IpAddr, SocketAddr, TcpStream},
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use msp_protocol::{jws, keys::thumbprint};
use msp_schemas::Council;
use msp_store::testing::databases;
use msp_tests::{Options, TestCoordinator};
use msp_web::server::Limits;
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../schemas/tests/fixtures/release-v1.json");
const LIMIT: Duration = Duration::from_secs(2);

/// Short deadlines for the one being tested; the others long enough not to interfere.
fn limits() -> Limits {
    Limits {
        handshake_timeout: LIMIT,
        header_timeout: LIMIT,
        body_timeout: LIMIT,
        idle_timeout: Duration::from_secs(30),
        ..Limits::default()
    }
}

async fn start(dir: &Path, url: &str, limits: Limits) -> TestCoordinator {
    TestCoordinator::start(dir.to_owned(), url, Options { limits, ..Options::default() }).await
}

/// Councils with enrolled keys, each with a signed release of the fixture's quarter.
async fn releases(c: &TestCoordinator, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for council in Council::all().iter().take(n) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let k = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        c.enrol(council.code, k.public_key().as_ref()).await;
        let mut release: Value = serde_json::from_str(FIXTURE).unwrap();
        release["council"] = Value::String(council.code.to_owned());
        let payload = serde_json::to_vec(&release).unwrap();
        out.push(jws::sign(&k, &thumbprint(k.public_key().as_ref()), jws::TYP_RELEASE, &payload));
    }
    out
}

/// Submits releases, one every quarter second, until `stalled` ends; every one must be answered
/// 201 (new) or 200 (the same bytes again) within five seconds. Returns what `stalled` returned
/// and how many submissions were answered meanwhile.
async fn submitting_while<T: Send + 'static>(
    c: &TestCoordinator,
    jws: &[String],
    stalled: impl FnOnce() -> T + Send + 'static,
) -> (T, usize) {
    let client = c.client();
    let stalled = tokio::task::spawn_blocking(stalled);
    let mut answered = 0;
    while !stalled.is_finished() {
        let body = jws[answered % jws.len()].clone();
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            client
                .post(format!("{}/v1/submissions", c.base))
                .header("content-type", "application/jose")
                .body(body)
                .send(),
        )
        .await
        .expect("a submission is answered while another connection stalls")
        .expect("an answer");
        let status = r.status().as_u16();
        assert!(status == 201 || status == 200, "{status}: {}", r.text().await.unwrap());
        answered += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    (stalled.await.unwrap(), answered)
}

/// A TLS client configuration trusting only `ca`, offering `alpn`.
fn client_config(ca: &Path, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
    msp_tests::crypto();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(config)
}

/// TLS to the coordinator over a blocking socket, offering `alpn`.
fn tls_connect(addr: SocketAddr, ca: &Path, alpn: &[u8]) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(client_config(ca, alpn), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

/// Reads until the coordinator closes the connection; fails if it is still open after 20 s.
fn wait_for_close(mut stream: impl Read) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                panic!("the connection is still open after 20 s (read {} bytes)", got.len())
            }
            // A reset or a TLS stream cut without close_notify: closed all the same.
            Err(_) => return got,
        }
    }
}

/// Asserts a close `took` after the limit and well before three times it.
fn closed_within_limit(what: &str, took: Duration) {
    assert!(took >= LIMIT, "{what}: closed after {took:?}, before its limit of {LIMIT:?}");
    assert!(took < 3 * LIMIT, "{what}: still open {took:?} after stalling (limit {LIMIT:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_stalled_after_one_tls_byte_is_closed_after_the_handshake_timeout_while_submissions_go_on() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = start(dir.path(), &db.url, limits()).await;
        let jws = releases(&c, 3).await;
        let addr = c.addr;
        let (took, answered) = submitting_while(&c, &jws, move || {
            let started = Instant::now();
            let mut tcp = TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            tcp.write_all(&[0x16]).unwrap();
            wait_for_close(&mut tcp);
            started.elapsed()
        })
        .await;
        closed_within_limit("one TLS byte", took);
        assert!(answered >= 3, "only {answered} submissions answered during the stall ({:?})", db.backend);
        assert_eq!(c.stored().await, 3);
        c.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_stalled_in_its_request_head_is_closed_after_the_header_timeout_while_submissions_go_on() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = start(dir.path(), &db.url, limits()).await;
        let jws = releases(&c, 3).await;
        let (addr, ca) = (c.addr, c.ca.clone());
        let (took, answered) = submitting_while(&c, &jws, move || {
            let mut tls = tls_connect(addr, &ca, b"http/1.1");
            // Finish the handshake first, so only the head's deadline is at stake.
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            let started = Instant::now();
            tls.write_all(b"POST /v1/submissions HTTP/1.1\r\nhost: localhost\r\ncontent-type: appl").unwrap();
            tls.flush().unwrap();
            let got = wait_for_close(&mut tls);
            assert!(got.is_empty(), "nothing is answered to half a head: {}", String::from_utf8_lossy(&got));
            started.elapsed()
        })
        .await;
        closed_within_limit("half a request head", took);
        assert!(answered >= 3, "only {answered} submissions answered during the stall ({:?})", db.backend);
        c.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_stalled_in_its_request_body_is_closed_after_the_body_timeout_while_submissions_go_on() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = start(dir.path(), &db.url, limits()).await;
        let jws = releases(&c, 3).await;
        let (addr, ca) = (c.addr, c.ca.clone());
        let (took, answered) = submitting_while(&c, &jws, move || {
            let mut tls = tls_connect(addr, &ca, b"http/1.1");
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            let started = Instant::now();
            let head = "POST /v1/submissions HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/jose\r\ncontent-length: 1000\r\n\r\n";
            tls.write_all(head.as_bytes()).unwrap();
            tls.write_all(b"eyJhbGciOi").unwrap();
            tls.flush().unwrap();
            let got = wait_for_close(&mut tls);
            assert!(got.is_empty(), "a body that never came gets no answer: {}", String::from_utf8_lossy(&got));
            started.elapsed()
        })
        .await;
        closed_within_limit("a tenth of a body", took);
        assert!(answered >= 3, "only {answered} submissions answered during the stall ({:?})", db.backend);
        c.stop().await;
    }
}

/// Writes one GET and reads its whole answer (head and `content-length` bytes of body).
fn get(tls: &mut (impl Read + Write), path: &str) -> String {
    write!(tls, "GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").unwrap();
    tls.flush().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tls.read(&mut buf).expect("an answer");
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_serves_requests_until_it_has_been_idle_for_the_idle_timeout() {
    let db = msp_store::testing::TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path(), &db.url, Limits { idle_timeout: LIMIT, ..limits() }).await;
    let (addr, ca) = (c.addr, c.ca.clone());
    let took = tokio::task::spawn_blocking(move || {
        let mut tls = tls_connect(addr, &ca, b"http/1.1");
        assert!(get(&mut tls, "/healthz").starts_with("HTTP/1.1 200"));
        std::thread::sleep(LIMIT / 2);
        let started = Instant::now();
        let again = get(&mut tls, "/healthz");
        assert!(again.starts_with("HTTP/1.1 200"), "the same connection, kept alive within the idle time: {again}");
        wait_for_close(&mut tls);
        started.elapsed()
    })
    .await
    .unwrap();
    closed_within_limit("an idle keep-alive connection", took);
    c.stop().await;
}

/// A TCP connection to `addr` from the loopback address `from`, which sends nothing.
async fn silent_from(from: [u8; 4], addr: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(addr).await.unwrap()
}

/// An HTTPS client whose connections come from the loopback address `from`.
fn client_from(c: &TestCoordinator, from: [u8; 4]) -> reqwest::Client {
    let pem = std::fs::read(&c.ca).unwrap();
    reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .local_address(IpAddr::from(from))
        .resolve("localhost", c.addr)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_for_a_free_slot_and_one_client_cannot_take_every_slot() {
    let db = msp_store::testing::TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        handshake_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        max_connections: 3,
        max_connections_per_client: 2,
        ..Limits::default()
    };
    let c = start(dir.path(), &db.url, limits).await;
    // One client opens its share and says nothing; its next connection is closed at once.
    let mut held = vec![silent_from([127, 0, 0, 2], c.addr).await, silent_from([127, 0, 0, 2], c.addr).await];
    let mut third = silent_from([127, 0, 0, 2], c.addr).await;
    let started = Instant::now();
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), tokio::io::AsyncReadExt::read(&mut third, &mut buf))
        .await
        .expect("a connection over the client's share is closed, not kept waiting");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Another client is served in the slot left.
    let other = client_from(&c, [127, 0, 0, 3]);
    let r = other.get(format!("{}/healthz", c.base)).send().await.unwrap();
    assert_eq!(r.status(), 200, "another client is not starved by the first");
    // Every slot is taken now (two silent, one kept alive): a fourth client waits...
    let late = client_from(&c, [127, 0, 0, 4]);
    let url = format!("{}/healthz", c.base);
    let mut waiting = tokio::spawn(async move { late.get(url).send().await.map(|r| r.status().as_u16()) });
    assert!(
        tokio::time::timeout(Duration::from_secs(2), &mut waiting).await.is_err(),
        "a connection over the cap waits while every slot is taken"
    );
    // ...and is served as soon as a slot is freed.
    drop(held.pop());
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a slot is free")
        .unwrap()
        .expect("an answer");
    assert_eq!(status, 200);
    drop(held);
    c.stop().await;
}

async fn post_oversize(
    client: reqwest::Client,
    client_version: reqwest::Version,
    c: &TestCoordinator,
) -> (reqwest::Version, u16, String, Value) {
    let r = client
        .post(format!("{}/v1/submissions", c.base))
        .header("content-type", "application/jose")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("the coordinator answers {:?}, rather than resetting the stream: {e:?}", client_version)
        });
    let version = r.version();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (version, status, ct, r.json().await.expect("a problem document"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_one_mebibyte_gets_the_same_413_problem_over_http2_as_over_http1() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let c = start(dir.path(), &db.url, Limits::default()).await;
        let pem = std::fs::read(&c.ca).unwrap();
        let builder =
            || reqwest::Client::builder().tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap());
        let h2 = builder().http2_prior_knowledge().build().unwrap();
        let h1 = builder().http1_only().build().unwrap();
        let (version, status, ct, problem) = post_oversize(h2, reqwest::Version::HTTP_2, &c).await;
        assert_eq!(version, reqwest::Version::HTTP_2, "the test speaks HTTP/2");
        assert_eq!((status, ct.as_str()), (413, "application/problem+json"), "{problem}");
        assert_eq!(problem["type"], "/problems/payload-too-large", "{problem}");
        let (version, status, _, over_h1) = post_oversize(h1, reqwest::Version::HTTP_11, &c).await;
        assert_eq!(version, reqwest::Version::HTTP_11);
        assert_eq!(status, 413);
        assert_eq!(over_h1, problem, "the same problem document either way");
        assert_eq!(c.stored().await, 0);
        c.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_one_mebibyte_over_http2_is_answered_413_and_read_to_its_end_rather_than_reset() {
    const SIZE: usize = 2 * 1024 * 1024;
    let db = msp_store::testing::TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path(), &db.url, Limits::default()).await;
    let tcp = tokio::net::TcpStream::connect(c.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(client_config(&c.ca, b"h2")).connect(name, tcp).await.unwrap();
    let (mut h2, connection) = h2::client::handshake(tls).await.unwrap();
    tokio::spawn(connection);
    let request = axum::http::Request::post(format!("{}/v1/submissions", c.base))
        .header("content-type", "application/jose")
        .header("content-length", SIZE)
        .body(())
        .unwrap();
    let (response, mut body) = h2.send_request(request, false).unwrap();
    // As curl does: the whole body, as fast as flow control allows, while the answer comes. A
    // stream reset before the body is sent (even with NO_ERROR) makes curl report a framing
    // error instead of the 413.
    let sending = async move {
        let mut sent = 0;
        while sent < SIZE {
            body.reserve_capacity(SIZE - sent);
            match std::future::poll_fn(|cx| body.poll_capacity(cx)).await {
                Some(Ok(n)) => {
                    let n = n.min(SIZE - sent);
                    body.send_data(axum::body::Bytes::from(vec![b'a'; n]), sent + n == SIZE)?;
                    sent += n;
                }
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        Ok(sent)
    };
    let (sent, response) = tokio::join!(tokio::time::timeout(Duration::from_secs(30), sending), response);
    let response = response.expect("an answer");
    assert_eq!(response.status(), 413);
    let mut answer = response.into_body();
    let mut problem = Vec::new();
    while let Some(chunk) = answer.data().await {
        let chunk = chunk.unwrap();
        let _ = answer.flow_control().release_capacity(chunk.len());
        problem.extend_from_slice(&chunk);
    }
    let problem: Value = serde_json::from_slice(&problem).unwrap();
    assert_eq!(problem["type"], "/problems/payload-too-large", "{problem}");
    let sent = sent.expect("the body is sent within 30 s");
    assert_eq!(sent.map_err(|e| e.to_string()), Ok(SIZE), "the stream stays open until the body is sent");
    assert_eq!(c.stored().await, 0);
    c.stop().await;
}
