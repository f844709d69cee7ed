//! One connection, from its TLS handshake to its end: the deadlines of [`super::Limits`] kept
//! by a watchdog that reads what the connection is doing ([`Activity`], fed by its reads and
//! writes and its requests), the body deadline on each request, and early answers.
//!
//! An early answer (a 413 for a body over the limit, a refusal before the body is read) is sent
//! whole first; then the rest of the body is read and discarded, up to [`LINGER_MOST`] and within
//! the body deadline. A client still sending its body when the server stops reading sees its
//! request fail rather than the answer: over HTTP/1.1 the closed connection breaks its pipe, and
//! over HTTP/2 a reset of the stream, even with `NO_ERROR` as RFC 9113 §8.1 allows, makes curl
//! report a framing error instead of the 413.

use std::{
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::Router;
use hyper::{
    Request, Response,
    body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::Watcher},
};
use msp_schemas::{Problem, ProblemType};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::TcpStream,
    sync::{Notify, OwnedSemaphorePermit},
    time::{Instant, Sleep},
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};
use tower::ServiceExt;

use super::{ClientSlot, Limits};

/// One accepted connection and what it holds (its slot and its client's count) until it ends.
pub(super) struct Connection {
    pub(super) peer: SocketAddr,
    pub(super) tls: TlsAcceptor,
    pub(super) app: Router,
    pub(super) limits: Arc<Limits>,
    pub(super) _held: (OwnedSemaphorePermit, ClientSlot),
}

impl Connection {
    /// Serves the connection until it ends or overruns a deadline.
    pub(super) async fn serve(self, tcp: TcpStream, watcher: Watcher) {
        let peer = self.peer;
        let stream = match tokio::time::timeout(self.limits.handshake_timeout, handshake(&self.tls, tcp)).await {
            Ok(Some(stream)) => stream,
            Ok(None) => return,
            Err(_) => {
                tracing::debug!(%peer, limit = ?self.limits.handshake_timeout, "closed: no TLS handshake in time");
                return;
            }
        };
        // HTTP/2 multiplexes requests: its frames between requests (pings, settings) are not
        // the start of a request head, so only HTTP/1.1 connections have a head deadline.
        let http1 = stream.get_ref().1.alpn_protocol() != Some(b"h2");
        let activity = Arc::new(Activity::new(http1));
        let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
        let (app, body_timeout, act) = (self.app.clone(), self.limits.body_timeout, activity.clone());
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            handle(app.clone(), act.clone(), body_timeout, req)
        });
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // hyper's own head timer starts as soon as it waits for a request, idle time included:
        // it backs up the watchdog below, which gives idle and head their own deadlines.
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.idle_timeout + self.limits.header_timeout);
        let conn = builder.serve_connection_with_upgrades(io, service);
        tokio::select! {
            ended = watcher.watch(conn.into_owned()) => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            }
            why = activity.expired(&self.limits) => tracing::debug!(%peer, "closed: {why}"),
        }
    }
}

/// Reads the first byte (a TLS record starts 0x16; anything else is answered as plain HTTP)
/// and completes the handshake.
async fn handshake(tls: &TlsAcceptor, tcp: TcpStream) -> Option<TlsStream<TcpStream>> {
    let mut first = [0u8; 1];
    match tcp.peek(&mut first).await {
        Ok(1) if first[0] == 0x16 => {}
        Ok(1) => {
            refuse_plain_http(tcp).await;
            return None;
        }
        _ => return None,
    }
    match tls.accept(tcp).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!(error = %e, "TLS handshake failed");
            None
        }
    }
}

async fn refuse_plain_http(mut tcp: TcpStream) {
    let problem = Problem::new(
        ProblemType::MalformedRequest,
        "this port speaks HTTPS only: use https:// (and the CA certificate that signs this server's, for a development server)",
    );
    let body = serde_json::to_string(&problem).expect("a problem serialises");
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(response.as_bytes()).await;
    let _ = tcp.shutdown().await;
}

/// The body did not arrive within the body deadline: hyper closes the connection (HTTP/1.1)
/// or resets the stream (HTTP/2) instead of answering.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
struct BodyTimedOut(Duration);

/// One request: its body under the body deadline, its answer counted in flight until sent.
async fn handle(
    app: Router,
    activity: Arc<Activity>,
    body_timeout: Duration,
    req: Request<Incoming>,
) -> Result<Response<Answer>, BodyTimedOut> {
    let in_flight = activity.begin();
    let (parts, incoming) = req.into_parts();
    // The deadline counts from the head: a body trickled in a byte at a time still has to end.
    let sleep = (!incoming.is_end_stream()).then(|| Box::pin(tokio::time::sleep(body_timeout)));
    let body: SharedBody = Arc::new(Mutex::new(Some(incoming)));
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Deadline { body: body.clone(), limit: body_timeout, sleep, expired: expired.clone() };
    let response = match app.oneshot(Request::from_parts(parts, deadline)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if expired.load(Ordering::Acquire) {
        return Err(BodyTimedOut(body_timeout));
    }
    let linger = body_timeout;
    Ok(response.map(|inner| Answer { inner, after: Some(AfterAnswer { body, in_flight, linger }) }))
}

/// A request body shared between the handler (through [`Deadline`]) and the answer, so that it
/// is dropped (and, over HTTP/2, the stream closed) only once the answer has been sent.
type SharedBody = Arc<Mutex<Option<Incoming>>>;

/// A request body that must arrive whole before `sleep` (started at the request's head) ends.
struct Deadline {
    body: SharedBody,
    limit: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = {
            let mut body = self.body.lock().expect("a request body's lock is never poisoned: polling does not panic");
            match body.as_mut() {
                Some(b) => Pin::new(b).poll_frame(cx),
                None => Poll::Ready(None),
            }
        };
        match polled {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                let limit = self.limit;
                if let Some(sleep) = self.sleep.as_mut()
                    && sleep.as_mut().poll(cx).is_ready()
                {
                    self.expired.store(true, Ordering::Release);
                    return Poll::Ready(Some(Err(Box::new(BodyTimedOut(limit)))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.lock().map(|b| b.as_ref().is_none_or(HttpBody::is_end_stream)).unwrap_or(true)
    }

    fn size_hint(&self) -> SizeHint {
        self.body.lock().ok().and_then(|b| b.as_ref().map(HttpBody::size_hint)).unwrap_or_default()
    }
}

/// An answer's body: what it holds until it has been sent (hyper drops it then).
struct Answer {
    inner: axum::body::Body,
    after: Option<AfterAnswer>,
}

/// What an answer holds until it has been sent: the request's body, so that an early answer is
/// not cut off by the request's end, and the connection's in-flight count.
struct AfterAnswer {
    body: SharedBody,
    in_flight: InFlight,
    /// How long to go on reading a body left unread (see [`LINGER_MOST`]).
    linger: Duration,
}

/// How much of a request body left unread by an early answer (a 413) is read and discarded
/// after it has been sent, within the body deadline, so that the client can finish sending and
/// read the answer (see the module's documentation). Past it, the connection is closed
/// (HTTP/1.1) or the stream reset (HTTP/2).
const LINGER_MOST: usize = 8 * 1024 * 1024;

impl Drop for Answer {
    fn drop(&mut self) {
        let Some(AfterAnswer { body, in_flight, linger }) = self.after.take() else { return };
        let unread = body.lock().ok().and_then(|mut b| b.take()).filter(|b| !b.is_end_stream());
        if let (Some(unread), Ok(runtime)) = (unread, tokio::runtime::Handle::try_current()) {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(linger, discard(unread, LINGER_MOST)).await;
                drop(in_flight);
            });
        }
    }
}

/// Reads and discards up to `most` bytes of `body`.
async fn discard(mut body: Incoming, most: usize) {
    let mut read = 0;
    while read <= most {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
            Some(Err(_)) | None => return,
        }
    }
}

impl HttpBody for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Where a connection is, for its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No request in flight, nothing of the next one read, since then.
    Idle(Instant),
    /// The first bytes of an HTTP/1.1 request head arrived then; the rest has not.
    Head(Instant),
    /// Requests in flight; a byte last moved then.
    Busy(usize, Instant),
}

/// What a connection is doing, kept by its reads and writes and its requests, read by its
/// watchdog ([`Activity::expired`]).
struct Activity {
    phase: Mutex<Phase>,
    /// Woken when a deadline comes closer (a head starts), so the watchdog does not oversleep.
    closer: Notify,
    http1: bool,
}

impl Activity {
    fn new(http1: bool) -> Self {
        Self { phase: Mutex::new(Phase::Idle(Instant::now())), closer: Notify::new(), http1 }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().expect("a connection's phase lock is never poisoned: no code panics holding it")
    }

    /// Bytes of the request stream arrived.
    fn read(&self) {
        let mut phase = self.phase();
        match *phase {
            Phase::Idle(_) if self.http1 => {
                *phase = Phase::Head(Instant::now());
                self.closer.notify_one();
            }
            Phase::Busy(n, _) => *phase = Phase::Busy(n, Instant::now()),
            Phase::Idle(_) | Phase::Head(_) => {}
        }
    }

    /// Bytes of an answer left.
    fn wrote(&self) {
        let mut phase = self.phase();
        if let Phase::Busy(n, _) = *phase {
            *phase = Phase::Busy(n, Instant::now());
        }
    }

    /// A request's head was read: it is in flight until the returned guard is dropped.
    fn begin(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Busy(n, _) => Phase::Busy(n + 1, Instant::now()),
            Phase::Idle(_) | Phase::Head(_) => Phase::Busy(1, Instant::now()),
        };
        InFlight(self.clone())
    }

    /// When the connection is to be closed as things stand, and why.
    fn deadline(&self, limits: &Limits) -> (Instant, &'static str) {
        match *self.phase() {
            Phase::Idle(since) => (since + limits.idle_timeout, "no request within the idle timeout"),
            Phase::Head(since) => (since + limits.header_timeout, "the request head did not arrive in time"),
            Phase::Busy(_, moved) => (moved + limits.idle_timeout, "no byte moved while a request was in flight"),
        }
    }

    /// Completes, saying why, once the connection has overrun a deadline.
    async fn expired(&self, limits: &Limits) -> &'static str {
        loop {
            let (at, why) = self.deadline(limits);
            if at <= Instant::now() {
                return why;
            }
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                () = self.closer.notified() => {}
            }
        }
    }
}

/// A request in flight on a connection.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        *phase = match *phase {
            Phase::Busy(n, _) if n > 1 => Phase::Busy(n - 1, Instant::now()),
            _ => Phase::Idle(Instant::now()),
        };
    }
}

/// A connection's stream, telling its [`Activity`] when bytes move.
struct Watched {
    inner: TlsStream<TcpStream>,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { header_timeout: Duration::from_secs(1), idle_timeout: Duration::from_secs(100), ..Limits::default() }
    }

    /// How far `at` is from now, in whole seconds (each test takes far less than one).
    fn from_now(at: Instant) -> u64 {
        at.saturating_duration_since(Instant::now()).as_secs_f64().round() as u64
    }

    #[test]
    fn an_http1_connection_gets_the_head_deadline_once_bytes_of_a_head_arrive() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let a = Arc::new(Activity::new(true));
            assert_eq!(from_now(a.deadline(&limits()).0), 100, "idle");
            a.read();
            let (at, why) = a.deadline(&limits());
            assert_eq!((from_now(at), why), (1, "the request head did not arrive in time"));
            let guard = a.begin();
            assert_eq!(from_now(a.deadline(&limits()).0), 100, "busy: bytes moving");
            drop(guard);
            assert!(matches!(*a.phase(), Phase::Idle(_)), "idle again once the answer is sent");
        });
    }

    #[test]
    fn an_http2_connection_has_no_head_deadline_and_counts_its_streams() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let a = Arc::new(Activity::new(false));
            a.read();
            assert_eq!(from_now(a.deadline(&limits()).0), 100, "frames between requests are not a head");
            let (one, two) = (a.begin(), a.begin());
            drop(one);
            assert!(matches!(*a.phase(), Phase::Busy(1, _)), "one stream still in flight");
            drop(two);
            assert!(matches!(*a.phase(), Phase::Idle(_)));
        });
    }

    #[tokio::test]
    async fn the_watchdog_wakes_early_when_a_head_starts() {
        let a = Arc::new(Activity::new(true));
        let watching = tokio::spawn({
            let a = a.clone();
            async move { a.expired(&limits()).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        a.read();
        let why = tokio::time::timeout(Duration::from_secs(10), watching).await.expect("well before idle").unwrap();
        assert!(started.elapsed() >= Duration::from_secs(1), "not before the head deadline");
        assert_eq!(why, "the request head did not arrive in time");
    }
}
