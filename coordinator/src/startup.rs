//! Binding and serving: HTTPS only (rustls), with graceful shutdown.
//!
//! [`Server::build`] binds (port 0 picks a free one, for tests) and reports the address;
//! [`Server::run_until`] serves until the given future completes, then stops accepting, lets
//! requests in flight finish (up to a grace period) and returns. A client that speaks plain HTTP
//! to the port gets a 400 problem document telling it to use HTTPS, rather than a broken handshake.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use msp_schemas::{Problem, ProblemType};
use tokio::{io::AsyncWriteExt, net::TcpListener};
use tokio_rustls::TlsAcceptor;

/// How long requests in flight may take to finish after shutdown begins.
const GRACE: Duration = Duration::from_secs(10);
/// How long a new connection may take to say anything.
const FIRST_BYTE: Duration = Duration::from_secs(10);

/// A bound HTTPS server.
pub struct Server {
    listener: TcpListener,
    tls: TlsAcceptor,
    app: Router,
}

impl Server {
    /// Binds `addr` and prepares to serve `app` with `tls`.
    pub async fn build(addr: SocketAddr, tls: Arc<rustls::ServerConfig>, app: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, tls: TlsAcceptor::from(tls), app })
    }

    /// The address bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = tcp.set_nodelay(true);
                    let tls = self.tls.clone();
                    let service = TowerToHyperService::new(self.app.clone());
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        let mut first = [0u8; 1];
                        match tokio::time::timeout(FIRST_BYTE, tcp.peek(&mut first)).await {
                            Ok(Ok(1)) if first[0] == 0x16 => {}
                            Ok(Ok(1)) => {
                                refuse_plain_http(tcp).await;
                                return;
                            }
                            _ => return,
                        }
                        let stream = match tls.accept(tcp).await {
                            Ok(s) => s,
                            Err(e) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                        };
                        let builder = auto::Builder::new(TokioExecutor::new());
                        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        if let Err(e) = watcher.watch(conn.into_owned()).await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(self.listener);
        if tokio::time::timeout(GRACE, graceful.shutdown()).await.is_err() {
            tracing::warn!("some requests did not finish within the grace period");
        }
    }
}

async fn refuse_plain_http(mut tcp: tokio::net::TcpStream) {
    let problem = Problem::new(
        ProblemType::MalformedRequest,
        "this port speaks HTTPS only: use https:// (and the coordinator's CA certificate, for a development server)",
    );
    let body = serde_json::to_string(&problem).expect("a problem serialises");
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(response.as_bytes()).await;
    let _ = tcp.shutdown().await;
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
