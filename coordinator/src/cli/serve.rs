//! `msp-coordinator serve`: the API and dashboard over HTTPS until Ctrl-C or SIGTERM.

use msp_terminal::say;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;
use msp_web::server::{Limits, Server, shutdown_signal};

use super::error::CliError;
use crate::{
    clock::system_clock,
    config::DataDir,
    http::{AppState, router},
    signing_key::SigningKey,
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
    /// How long a new connection may take to send its first byte and finish its TLS handshake
    /// (e.g. 10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub handshake_timeout: Duration,
    /// How long an HTTP/1.1 request head may take to arrive once its first byte has.
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub header_timeout: Duration,
    /// How long a request body may take to arrive whole, from its head; a body still coming then
    /// gets no answer: the connection is closed (HTTP/1.1) or the stream reset (HTTP/2).
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub body_timeout: Duration,
    /// How long a connection may stay open with no request in flight, or with one in flight but
    /// no byte moving either way.
    #[arg(long, default_value = "60s", value_parser = duration)]
    pub idle_timeout: Duration,
    /// Most connections served at once; more wait in the listen queue until one ends.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Most connections served at once from one IP address; more are closed at once. Behind a
    /// proxy that hides clients' addresses, raise it to --max-connections.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: u32,
}

impl ServeArgs {
    /// The transport limits these flags set.
    pub fn limits(&self) -> Limits {
        Limits {
            handshake_timeout: self.handshake_timeout,
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections as usize,
            max_connections_per_client: self.max_connections_per_client as usize,
        }
    }
}

/// A duration as a number and a unit (`ms`, `s`, `m` or `h`), more than zero.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration: write e.g. 10s, 500ms or 2m"))?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        other => return Err(format!("{other:?} is not a unit of time: use ms, s, m or h (e.g. 10s)")),
    };
    if d.is_zero() {
        return Err("a deadline of zero would close every connection: give a positive duration".into());
    }
    Ok(d)
}

/// Serves until told to stop, making the signing key (and development TLS) on first start.
pub(super) async fn serve(data: &DataDir, store: Store, a: ServeArgs) -> Result<(), CliError> {
    let key = SigningKey::load_or_create(&data.keys_dir())?;
    let limits = a.limits();
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
    let server = Server::build_with(a.listen, tls, router(state), limits)
        .await
        .map_err(|e| CliError::Usage(format!("could not listen on {}: {e}", a.listen)))?;
    let addr = server.local_addr().map_err(|e| CliError::Usage(e.to_string()))?;
    // Polled once before saying it listens, so a SIGTERM sent as soon as it says so (by a
    // supervisor, or a test) is handled as a graceful stop and does not kill the process.
    let stop = shutdown_signal();
    tokio::pin!(stop);
    std::future::poll_fn(|cx| {
        let _ = stop.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
    say!("msp-coordinator listening on https://{addr} (database {})", store.db().url());
    say!("receipt-signing key fingerprint {fingerprint}");
    if let Some(ca) = ca {
        say!("development TLS: nodes trust {} (msp-node init --ca-cert {})", ca.display(), ca.display());
    }
    if let Some(client_ca) = &a.client_ca {
        say!("mutual TLS: every client must present a certificate issued under {}", client_ca.display());
    }
    server.run_until(stop).await;
    store.db().close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_and_must_be_positive() {
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(duration("10").unwrap_err().contains("unit"));
        assert!(duration("0s").unwrap_err().contains("positive"));
        assert!(duration("soon").unwrap_err().contains("e.g. 10s"));
    }

    #[test]
    fn the_flags_default_to_the_servers_default_limits() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let cli = <Cli as clap::Parser>::try_parse_from(["serve", "--dev-tls"]).unwrap();
        assert_eq!(cli.serve.limits(), Limits::default());
        let cli = <Cli as clap::Parser>::try_parse_from(["serve", "--dev-tls", "--body-timeout", "2s"]).unwrap();
        assert_eq!(cli.serve.limits().body_timeout, Duration::from_secs(2));
        assert!(<Cli as clap::Parser>::try_parse_from(["serve", "--dev-tls", "--max-connections", "0"]).is_err());
    }
}
