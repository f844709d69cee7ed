//! TLS for a server of the network: rustls with the operator's certificate, or a development CA
//! and a localhost certificate signed by it (written once into a directory, so that clients can
//! be given its `ca.pem` to trust). Optionally mutual: with a client CA, every connection must
//! present a certificate that chains to it.
//!
//! The coordinator's `--dev-tls` and a node's local view make their development certificates
//! here, each with its own [`Names`], so a browser or an operator can tell which program's
//! certificate it has been shown.

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

/// The common names of development certificates: what a browser shows as issuer and subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names<'a> {
    /// The development CA's common name, e.g. `MSP Outcomes Network development CA`.
    pub ca: &'a str,
    /// The server certificate's common name, e.g. `msp-coordinator (development)` or
    /// `msp-node (local)`.
    pub server: &'a str,
}

/// The files [`dev_tls`] writes in its directory.
#[derive(Debug, Clone)]
pub struct DevTls {
    /// The CA certificate clients trust.
    pub ca_cert: std::path::PathBuf,
    /// The server certificate.
    pub cert: std::path::PathBuf,
    /// The server key.
    pub key: std::path::PathBuf,
}

/// Makes (once) a development CA and a certificate for localhost (`localhost`, `127.0.0.1`,
/// `::1`) signed by it, named `names`, in `dir`: `ca.pem`, `server.pem` and `server-key.pem`,
/// and the CA's key `ca-key.pem` (keys written readable by their owner only). Files already
/// there are kept as they are, so clients that trust the CA go on trusting it.
pub fn dev_tls(dir: &Path, names: Names<'_>) -> Result<DevTls, TlsError> {
    let files = DevTls { ca_cert: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server-key.pem") };
    if files.ca_cert.exists() && files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(generate)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, names.ca);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(generate)?;
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca, ca_key).map_err(generate)?;
    let mut server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])
        .map_err(generate)?;
    server.distinguished_name.push(DnType::CommonName, names.server);
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

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: Names<'static> = Names { ca: "Test development CA", server: "msp-node (local)" };

    #[test]
    fn development_certificates_carry_the_names_given_and_are_made_only_once() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let files = dev_tls(&dir.path().join("tls"), NAMES).unwrap();
        let der = |path: &Path| CertificateDer::from_pem_file(path).unwrap().to_vec();
        let contains = |der: &[u8], text: &str| der.windows(text.len()).any(|w| w == text.as_bytes());
        assert!(contains(&der(&files.cert), "msp-node (local)"), "the server certificate names the program");
        assert!(contains(&der(&files.ca_cert), "Test development CA"), "the CA is named");
        let first = std::fs::read(&files.cert).unwrap();
        let again = dev_tls(&dir.path().join("tls"), Names { ca: "other", server: "other" }).unwrap();
        assert_eq!(std::fs::read(&again.cert).unwrap(), first, "kept, so clients go on trusting it");
        assert!(server_config(&files.cert, &files.key).is_ok());
        assert!(server_config_with_client_ca(&files.cert, &files.key, Some(&files.ca_cert)).is_ok());
    }

    #[test]
    fn a_missing_or_empty_certificate_file_is_refused_saying_which() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let err = server_config(&empty, &empty).unwrap_err().to_string();
        assert!(err.contains("empty.pem") && err.contains("no certificate"), "{err}");
        let err = server_config(&dir.path().join("absent.pem"), &empty).unwrap_err().to_string();
        assert!(err.contains("absent.pem"), "{err}");
    }
}
