//! `msp-coordinator serve`: the API and dashboard over HTTPS until Ctrl-C or SIGTERM.

use msp_terminal::say;
use std::{net::SocketAddr, path::PathBuf};

use clap::Args;

use super::error::CliError;
use crate::{
    clock::system_clock,
    config::DataDir,
    http::{AppState, router},
    signing_key::SigningKey,
    startup::{Server, shutdown_signal},
    store::Store,
    tls,
};

/// `msp-coordinator serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Make (once) a development CA and server certificate in the data directory's tls/.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub dev_tls: bool,
    /// The server certificate chain (PEM).
    #[arg(long, requires = "tls_key", required_unless_present = "dev_tls")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Mutual TLS: every client (nodes, browsers, probes) must present a certificate that chains
    /// to a CA certificate in this file (PEM), or its connection is refused.
    #[arg(long)]
    pub client_ca: Option<PathBuf>,
}

/// Serves until told to stop, making the signing key (and development TLS) on first start.
pub(super) async fn serve(data: &DataDir, store: Store, a: ServeArgs) -> Result<(), CliError> {
    let key = SigningKey::load_or_create(&data.keys_dir())?;
    let (cert, key_file, ca) = if a.dev_tls {
        let dev = tls::dev_tls(&data.tls_dir())?;
        (dev.cert, dev.key, Some(dev.ca_cert))
    } else {
        (a.tls_cert.expect("clap requires it"), a.tls_key.expect("clap requires it"), None)
    };
    let tls = tls::server_config_with_client_ca(&cert, &key_file, a.client_ca.as_deref())?;
    let policy = data.policy().map_err(|e| CliError::Usage(e.to_string()))?;
    tracing::info!("{policy}");
    let state = AppState::new(store.clone(), key, system_clock()).with_policy(policy.policy);
    let fingerprint = state.key.public().fingerprint;
    let server = Server::build(a.listen, tls, router(state))
        .await
        .map_err(|e| CliError::Usage(format!("could not listen on {}: {e}", a.listen)))?;
    let addr = server.local_addr().map_err(|e| CliError::Usage(e.to_string()))?;
    say!("msp-coordinator listening on https://{addr} (database {})", store.db().url());
    say!("receipt-signing key fingerprint {fingerprint}");
    if let Some(ca) = ca {
        say!("development TLS: nodes trust {} (msp-node init --ca-cert {})", ca.display(), ca.display());
    }
    if let Some(client_ca) = &a.client_ca {
        say!("mutual TLS: every client must present a certificate issued under {}", client_ca.display());
    }
    server.run_until(shutdown_signal()).await;
    store.db().close().await;
    Ok(())
}
