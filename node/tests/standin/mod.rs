//! A stand-in coordinator for the node's client tests: any axum router, served over real TLS on a
//! loopback port with a CA made for the test, recording every request it receives.
#![allow(dead_code)]

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use axum::{Router, extract::Request, middleware::Next};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use msp_protocol::keypair::KeyPair;
use msp_schemas::{
    api::CoordinatorKey,
    policy::{NetworkPolicy, SignedPolicy},
};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair as TlsKey};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A test CA and a server certificate for localhost and 127.0.0.1 signed by it.
pub struct TestCa {
    dir: tempfile::TempDir,
    server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca, TlsKey::generate().unwrap()).unwrap();
        let key = TlsKey::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let mut server = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self { dir, server: Arc::new(server) }
    }

    /// The CA certificate file a node trusts.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// A server on loopback; it stops when dropped.
pub struct StandIn {
    /// `https://localhost:PORT`.
    pub base: String,
    /// "METHOD /path" of every request received, in order.
    pub seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Serves `router` with `ca`'s server certificate.
    pub async fn start(ca: &TestCa, router: Router) -> Self {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        let app = router.layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
            log.lock().unwrap().push(format!("{} {path}", req.method()));
            next.run(req)
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tls = TlsAcceptor::from(ca.server.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let (tls, service) = (tls.clone(), TowerToHyperService::new(app.clone()));
                tokio::spawn(async move {
                    if let Ok(stream) = tls.accept(tcp).await {
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                });
            }
        });
        Self { base: format!("https://localhost:{port}"), seen, task }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// A coordinator receipt-signing key, in a directory of its own.
pub struct CoordinatorSigner {
    _dir: tempfile::TempDir,
    pub pair: KeyPair,
}

impl CoordinatorSigner {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pair = KeyPair::generate(&dir.path().join("coordinator.p8")).unwrap();
        Self { _dir: dir, pair }
    }

    /// The key as `GET /v1/keys` serves it.
    pub fn served(&self) -> CoordinatorKey {
        CoordinatorKey {
            algorithm: "Ed25519".into(),
            public_key: self.pair.public_key_b64(),
            fingerprint: self.pair.fingerprint().to_owned(),
        }
    }

    /// `policy` as `GET /v1/policy` serves it, signed with this key.
    pub fn sign(&self, policy: &NetworkPolicy) -> SignedPolicy {
        let bytes = serde_json::to_vec(policy).unwrap();
        SignedPolicy { policy: policy.clone(), policy_jws: self.pair.sign_jws(msp_protocol::jws::TYP_POLICY, &bytes) }
    }
}
