//! TLS for the coordinator: rustls with the operator's certificate, or a development CA and
//! server certificate made with `--dev-tls` (written once into the data directory, so nodes can
//! be given `tls/ca.pem` to trust).

use std::{path::Path, sync::Arc};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
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
        msp_store::files::write_atomic(path, text.as_bytes(), secret)
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
    let read = |p: &Path, e: String| TlsError::Read { path: p.display().to_string(), reason: e };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| read(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(read(cert, "no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read(key, e.to_string()))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
