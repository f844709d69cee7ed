//! Optional mutual TLS over real TLS on loopback: a coordinator started with a client CA
//! (`msp-coordinator serve --client-ca FILE`) refuses every connection without a certificate
//! issued under it, and a node that keeps its client certificate and key in `keys/` submits.

use std::{path::Path, time::Duration};

use clap::Parser;
use msp_coordinator::{
    http::{AppState, router},
    signing_key::SigningKey,
    store::Store,
    tls,
};
use msp_node::{
    config::{CLIENT_CERT_FILE, CLIENT_KEY_FILE, ClientIdentity, DataDir},
    submit::{Backoff, Coordinator, SubmitError},
};
use msp_store::testing::databases;
use msp_web::server::Server;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio::sync::oneshot;

/// A certificate authority made for one test.
fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A client certificate issued by `ca`, written as `cert` and `key` (PEM).
fn client_certificate(ca: &CertifiedIssuer<'static, KeyPair>, name: &str, cert: &Path, key: &Path) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let pair = KeyPair::generate().unwrap();
    let issued = params.signed_by(&pair, ca).unwrap();
    std::fs::create_dir_all(cert.parent().unwrap()).unwrap();
    std::fs::write(cert, issued.pem()).unwrap();
    std::fs::write(key, pair.serialize_pem()).unwrap();
}

/// A coordinator serving HTTPS on loopback that requires client certificates from `client_ca`.
struct MutualCoordinator {
    base: String,
    ca: std::path::PathBuf,
    store: Store,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl MutualCoordinator {
    async fn start(dir: &Path, url: &str, client_ca: &Path) -> Self {
        msp_tests::crypto();
        let store = Store::open(url).await.unwrap();
        let dev = tls::dev_tls(&dir.join("tls")).unwrap();
        let config = tls::server_config_with_client_ca(&dev.cert, &dev.key, Some(client_ca)).unwrap();
        let key = SigningKey::load_or_create(&dir.join("keys")).unwrap();
        let app = router(AppState::new(store.clone(), key, msp_coordinator::clock::system_clock()));
        let server = Server::build("127.0.0.1:0".parse().unwrap(), config, app).await.unwrap();
        let port = server.local_addr().unwrap().port();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Self { base: format!("https://localhost:{port}"), ca: dev.ca_cert, store, stop, task }
    }

    /// A client that tries once, presenting `identity` if given.
    fn client(&self, identity: Option<&ClientIdentity>) -> Coordinator {
        let once = Backoff { first: Duration::ZERO, max: Duration::ZERO, tries: 1 };
        Coordinator::with_identity(&self.base, Some(&self.ca), identity, once).unwrap()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        self.store.db().close().await;
    }
}

async fn node(data: &Path, args: &[&str]) -> Result<(), String> {
    let data = data.display().to_string();
    let argv: Vec<&str> = ["msp-node", "--data-dir", &data].into_iter().chain(args.iter().copied()).collect();
    let cli = msp_node::cli::Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
    msp_node::cli::run(cli).await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn without_a_certificate_from_the_client_ca_a_connection_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let client_ca = authority("MSP test client CA");
    let ca_file = dir.path().join("client-ca.pem");
    std::fs::write(&ca_file, client_ca.pem()).unwrap();
    let db = msp_store::testing::TestDb::sqlite();
    let c = MutualCoordinator::start(&dir.path().join("coordinator"), &db.url, &ca_file).await;

    let refused = c.client(None).key().await.unwrap_err();
    assert!(matches!(refused, SubmitError::Unreachable { .. }), "{refused}");

    // A certificate from another authority is no better than none.
    let stranger = authority("Some other CA");
    let other = ClientIdentity { cert: dir.path().join("other.pem"), key: dir.path().join("other-key.pem") };
    client_certificate(&stranger, "E06000001", &other.cert, &other.key);
    let refused = c.client(Some(&other)).key().await.unwrap_err();
    assert!(matches!(refused, SubmitError::Unreachable { .. }), "{refused}");

    // One issued under the client CA is let in.
    let good = ClientIdentity { cert: dir.path().join("good.pem"), key: dir.path().join("good-key.pem") };
    client_certificate(&client_ca, "E06000001", &good.cert, &good.key);
    let key = c.client(Some(&good)).key().await.expect("a client with a certificate is served");
    assert_eq!(key.algorithm, "Ed25519");
    c.stop().await;
}

#[tokio::test]
async fn a_node_with_its_client_certificate_in_keys_submits_over_mutual_tls() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let client_ca = authority("MSP test client CA");
        let ca_file = dir.path().join("client-ca.pem");
        std::fs::write(&ca_file, client_ca.pem()).unwrap();
        let c = MutualCoordinator::start(&dir.path().join("coordinator"), &db.url, &ca_file).await;

        let data = dir.path().join("node");
        let server_ca = c.ca.display().to_string();
        node(
            &data,
            &[
                "init",
                "--council",
                "E06000001",
                "--coordinator",
                &c.base,
                "--ca-cert",
                &server_ca,
                "--team-model",
                "locality",
                "--msp-level",
                "gold",
            ],
        )
        .await
        .unwrap();
        let keys = DataDir::new(&data).keys_dir();
        let signing = msp_node::keys::SigningKey::load(&keys).unwrap();
        let fingerprint = signing.fingerprint();
        msp_coordinator::councils::enrol(
            &c.store,
            "E06000001".parse().unwrap(),
            &signing.public_key_b64(),
            Some(fingerprint),
        )
        .await
        .unwrap();
        let quarter =
            msp_node::release::last_finished_quarter(time::OffsetDateTime::now_utc().date()).unwrap().to_string();
        let cases = dir.path().join("cases.csv").display().to_string();
        node(&data, &["synth", "--period", &quarter, "--people", "30", "--history-quarters", "0", "--out", &cases])
            .await
            .unwrap();
        node(&data, &["import", &cases]).await.unwrap();
        node(&data, &["release", "--yes"]).await.unwrap();

        // Half an identity is a setup error, found before anything is sent.
        client_certificate(&client_ca, "E06000001", &keys.join(CLIENT_CERT_FILE), &keys.join("elsewhere.pem"));
        let err = node(&data, &["submit"]).await.unwrap_err();
        assert!(err.contains("client-key.pem is not"), "{err}");
        std::fs::rename(keys.join("elsewhere.pem"), keys.join(CLIENT_KEY_FILE)).unwrap();

        node(&data, &["submit"]).await.expect("the node submits with its client certificate");
        node(&data, &["verify-receipt", "--period", &quarter]).await.expect("and checks its receipt");
        assert_eq!(Store::log_size(c.store.db().pool()).await.unwrap(), 1, "{db:?}");
        c.stop().await;
    }
}
