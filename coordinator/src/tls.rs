//! TLS for the coordinator: msp-web's ([`msp_web::tls`]), with the coordinator's names on the
//! development certificates `--dev-tls` makes (written once into the data directory's `tls/`, so
//! nodes can be given `tls/ca.pem` to trust).

use std::path::Path;

pub use msp_web::tls::{DevTls, TlsError, server_config, server_config_with_client_ca};

/// What the coordinator's development CA and server certificate are called.
pub const NAMES: msp_web::tls::Names<'static> =
    msp_web::tls::Names { ca: "MSP Outcomes Network development CA", server: "msp-coordinator (development)" };

/// Makes (once) the coordinator's development CA and a certificate for localhost signed by it.
pub fn dev_tls(dir: &Path) -> Result<DevTls, TlsError> {
    msp_web::tls::dev_tls(dir, NAMES)
}
