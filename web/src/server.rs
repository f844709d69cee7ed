//! Binding and serving: HTTPS only (rustls), with deadlines, a connection cap and graceful shutdown.
//! The coordinator serves its API and dashboard with it, and a node its local view: one server, so
//! both hold every connection to the same transport rules.
//!
//! [`Server::build`] binds (port 0 picks a free one, for tests) and reports the address;
//! [`Server::run_until`] serves until the given future completes, then stops accepting, lets
//! requests in flight finish (up to a grace period) and returns. A client that speaks plain HTTP
//! to the port gets a 400 problem document telling it to use HTTPS, rather than a broken handshake.
//!
//! Every connection is held to [`Limits`] (DESIGN §7), so that a client that stalls, on purpose
//! or not, gives its connection back within a bounded time:
//! - the TLS handshake (from the first byte on) must finish within `handshake_timeout`;
//! - an HTTP/1.1 request head must arrive within `header_timeout` of its first byte;
//! - a request body must arrive whole within `body_timeout` of its head, else the connection is
//!   closed (HTTP/1.1) or the stream reset (HTTP/2) without an answer: the wire protocol has no
//!   problem type for a body that never came, and a client that stalls is sent nothing to read;
//! - a connection with no request in flight for `idle_timeout` is closed, and so is one with a
//!   request in flight but no byte moving either way for as long (a peer that stopped reading);
//! - at most `max_connections` are served at once (more wait in the listen queue, and are served
//!   as deadlines free slots) and at most `max_connections_per_client` from one IP address (more
//!   are closed at once), so that one client cannot take every slot and starve the others.
//!
//! `connection` holds what one connection does: its deadlines, and the answer to a body that
//! was answered before it was read (a 413), which is sent whole before the rest of the body is
//! read and discarded, over HTTP/1.1 and HTTP/2 alike.

mod connection;

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::Router;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_rustls::TlsAcceptor;

use connection::Connection;

/// How long requests in flight may take to finish after shutdown begins.
const GRACE: Duration = Duration::from_secs(10);

/// What a connection may take and how many are served at once. A program's command line may set
/// them (`msp-coordinator serve --help`); the defaults suit a server on the open internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a new connection may take to send its first byte and finish its TLS handshake.
    pub handshake_timeout: Duration,
    /// How long an HTTP/1.1 request head (request line and headers) may take once its first
    /// byte has arrived.
    pub header_timeout: Duration,
    /// How long a request body may take to arrive whole, counted from its head.
    pub body_timeout: Duration,
    /// How long a connection may stay open with no request in flight (keep-alive between
    /// requests), or with one in flight but no byte read or written.
    pub idle_timeout: Duration,
    /// Most connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Most connections served at once from one IP address; more are closed at once. Behind a
    /// proxy that hides clients' addresses, raise it to `max_connections`.
    pub max_connections_per_client: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_connections_per_client: 256,
        }
    }
}

/// A bound HTTPS server.
pub struct Server {
    listener: TcpListener,
    tls: TlsAcceptor,
    app: Router,
    limits: Limits,
}

impl Server {
    /// Binds `addr` and prepares to serve `app` with `tls` under the default [`Limits`].
    pub async fn build(addr: SocketAddr, tls: Arc<rustls::ServerConfig>, app: Router) -> std::io::Result<Self> {
        Self::build_with(addr, tls, app, Limits::default()).await
    }

    /// Binds `addr` and prepares to serve `app` with `tls` under `limits`.
    pub async fn build_with(
        addr: SocketAddr,
        tls: Arc<rustls::ServerConfig>,
        app: Router,
        limits: Limits,
    ) -> std::io::Result<Self> {
        if limits.max_connections == 0 || limits.max_connections_per_client == 0 {
            return Err(std::io::Error::other("the connection limits must be at least 1"));
        }
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, tls: TlsAcceptor::from(tls), app, limits })
    }

    /// The address bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(self.limits.max_connections));
        let clients = Arc::new(Clients { most: self.limits.max_connections_per_client, open: Mutex::default() });
        let limits = Arc::new(self.limits);
        tokio::pin!(shutdown);
        loop {
            // At the cap, stop accepting: new connections wait in the listen queue until a
            // deadline or a finished client frees a slot.
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                () = &mut shutdown => break,
            };
            let (tcp, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Some(client) = clients.admit(peer.ip()) else {
                tracing::debug!(%peer, most = clients.most, "refused a connection: this address has too many open");
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let serving = Connection {
                peer,
                tls: self.tls.clone(),
                app: self.app.clone(),
                limits: limits.clone(),
                _held: (slot, client),
            };
            tokio::spawn(serving.serve(tcp, graceful.watcher()));
        }
        drop(self.listener);
        if tokio::time::timeout(GRACE, graceful.shutdown()).await.is_err() {
            tracing::warn!("some requests did not finish within the grace period");
        }
    }
}

/// Open connections by client address, for the per-client cap.
struct Clients {
    most: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl Clients {
    /// Counts a new connection from `ip`, unless it already has the most allowed.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ClientSlot> {
        let mut open = self.open.lock().expect("the client table is never poisoned: no code panics holding it");
        let n = open.entry(ip).or_insert(0);
        if *n >= self.most {
            return None;
        }
        *n += 1;
        Some(ClientSlot { clients: self.clone(), ip })
    }
}

/// One counted connection from an address; uncounted when dropped.
struct ClientSlot {
    clients: Arc<Clients>,
    ip: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.clients.open.lock().expect("the client table is never poisoned: no code panics holding it");
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_at_most_its_share_of_connections() {
        let clients = Arc::new(Clients { most: 2, open: Mutex::default() });
        let (me, other): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = clients.admit(me).unwrap();
        let _second = clients.admit(me).unwrap();
        assert!(clients.admit(me).is_none(), "a third from the same address is refused");
        assert!(clients.admit(other).is_some(), "another address is not held back by it");
        drop(first);
        assert!(clients.admit(me).is_some(), "a closed connection frees its place");
    }
}
