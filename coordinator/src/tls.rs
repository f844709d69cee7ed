//! TLS for the coordinator: rustls with the operator's certificate, or a development CA and
//! server certificate made with `--dev-tls` (written once into the data directory, so nodes can
//! be given `tls/ca.pem` to trust). Optionally mutual: with a client CA, every connection must
//! present a certificate that chains to it.

use std::{path::Path, sync::Arc};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::{RootCertStore, ServerConfig, server::WebPkiClientVerifier};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

/// Errors setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("could not read {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the certificate and key.
    #[error("the TLS certificate and key do not work together: {0}")]
    Config(String),
    /// Generating development certificates failed.
    #[error("could not make development certificates: {0}")]
    Generate(String),
}

/// The files `--dev-tls` uses, under `tls/`.
#[derive(Debug, Clone)]
pub struct DevTls {
    /// The CA certificate nodes trust.
    pub ca_cert: std::path::PathBuf,
    /// The server certificate.
    pub cert: std::path::PathBuf,
    /// The server key.
    pub key: std::path::PathBuf,
}

/// Makes (once) a development CA and a certificate for localhost signed by it.
pub fn dev_tls(dir: &Path) -> Result<DevTls, TlsError> {
    let files = DevTls { ca_cert: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server-key.pem") };
    if files.ca_cert.exists() && files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(generate)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "MSP Outcomes Network development CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(generate)?;
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca, ca_key).map_err(generate)?;
    let mut server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])
        .map_err(generate)?;
    server.distinguished_name.push(DnType::CommonName, "msp-coordinator (development)");
    let server_key = KeyPair::generate().map_err(generate)?;
    let server_cert = server.signed_by(&server_key, &ca).map_err(generate)?;
    let write = |path: &Path, text: &str, secret: bool| {
        msp_protocol::files::write_atomic(path, text.as_bytes(), secret)
            .map_err(|e| TlsError::Read { path: path.display().to_string(), reason: e.to_string() })
    };
    write(&dir.join("ca-key.pem"), &ca_key_pem, true)?;
    write(&files.key, &server_key.serialize_pem(), true)?;
    write(&files.cert, &server_cert.pem(), false)?;
    write(&files.ca_cert, &ca.pem(), false)?;
    Ok(files)
}

/// A rustls server configuration from PEM files (HTTP/2 and HTTP/1.1 offered).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    server_config_with_client_ca(cert, key, None)
}

/// A rustls server configuration from PEM files; with `client_ca`, mutual TLS: every client must
/// present a certificate that chains to one of the CA certificates in that file, or the handshake
/// fails.
pub fn server_config_with_client_ca(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = read_certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| TlsError::Read { path: key.display().to_string(), reason: e.to_string() })?;
    let builder = ServerConfig::builder();
    let builder = match client_ca {
        Some(ca) => builder.with_client_cert_verifier(client_verifier(ca)?),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Every certificate in a PEM file; at least one.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read = |e: String| TlsError::Read { path: path.display().to_string(), reason: e };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| read(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| read(e.to_string()))?;
    if certs.is_empty() {
        return Err(read("no certificate in the file".into()));
    }
    Ok(certs)
}

/// Checks client certificates against the CA certificates in `ca` (webpki, with ring).
fn client_verifier(ca: &Path) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certificates(ca)? {
        roots.add(cert).map_err(|e| {
            TlsError::Config(format!("{} holds a certificate that cannot be a client CA: {e}", ca.display()))
        })?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::new(rustls::crypto::ring::default_provider()))
        .build()
        .map_err(|e| TlsError::Config(format!("the client CA {} cannot check client certificates: {e}", ca.display())))
}
