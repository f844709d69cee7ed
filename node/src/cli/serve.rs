//! `msp-node serve`: the council's local web view ([`crate::web`]) over HTTPS, until stopped.

use std::{net::SocketAddr, sync::Arc};

use clap::Args;
use msp_terminal::say;

use super::{CliError, open_store};
use crate::{
    clock::Clock,
    compare::TOKEN_ENV,
    config::DataDir,
    web::{self, ServeError},
};

/// `msp-node serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (default: node.toml's [web] listen, else 127.0.0.1:8445). An
    /// address other machines can reach is refused unless [web] allow_non_loopback = true.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
}

/// Serves the web view until Ctrl-C or SIGTERM.
pub async fn serve(data: &DataDir, a: ServeArgs, clock: Clock) -> Result<(), CliError> {
    let (config, store) = open_store(data).await?;
    let settings = config.web();
    let addr = a.listen.unwrap_or(settings.listen);
    let serve_error = |e: ServeError| CliError::Usage(e.to_string());
    web::check_listen(addr, settings.allow_non_loopback).map_err(serve_error)?;
    let accounts = store.users().await?.into_iter().filter(|u| u.removed_at.is_none()).count();
    let read_token = std::env::var(TOKEN_ENV).ok().filter(|t| !t.trim().is_empty());
    let node = Arc::new(web::Node { store, config, data: data.clone(), clock, read_token });
    let (tls, ca) = web::tls(&node).map_err(serve_error)?;
    let server = msp_web::server::Server::build(addr, tls, web::router(node.clone()))
        .await
        .map_err(|source| serve_error(ServeError::Bind { addr, source }))?;
    let bound = server.local_addr().map_err(|source| serve_error(ServeError::Bind { addr, source }))?;
    let host = if bound.ip().is_loopback() { "localhost".to_owned() } else { bound.ip().to_string() };
    say!("The web view of {} is at https://{host}:{}/", node.config.council.council().name, bound.port());
    if let Some(ca) = ca {
        say!("Its certificate is the node's own: let the browser trust {} (once) to see no warning.", ca.display());
    }
    if accounts == 0 {
        say!("No one can sign in yet: make an account with `msp-node user add \"Your Name\" --role approver`.");
    }
    if node.read_token.is_none() {
        say!("The compare page needs the council's read token in {TOKEN_ENV}.");
    }
    say!("Press Ctrl-C to stop.");
    server.run_until(msp_web::server::shutdown_signal()).await;
    node.store.db().close().await;
    Ok(())
}
