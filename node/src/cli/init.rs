//! `msp-node init`: sets up a node (the rules are in [`crate::setup`]) and prints the enrolment
//! request to send to the coordinator's operator. The `node.toml` it writes shows every section,
//! with comments, the optional ones left out commented with their defaults
//! ([`crate::config::commented`]).

use std::path::PathBuf;

use clap::Args;
use msp_schemas::{
    CouncilCode,
    codes::{MspLevel, TeamModel},
    enrolment::EnrolmentRequest,
};
use msp_terminal::say;

use super::CliError;
use crate::{
    config::DataDir,
    setup::{self, InitRequest},
};

/// `msp-node init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The council's ONS (GSS) code, e.g. E06000001.
    #[arg(long)]
    pub council: CouncilCode,
    /// The national coordinator's URL (https://…).
    #[arg(long)]
    pub coordinator: String,
    /// CA certificate (PEM) that signs the coordinator's TLS certificate, if not a public CA.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://…; default is node.db in the data directory.
    /// Prefer the MSP_NODE_DATABASE_URL environment variable for a URL with a password.
    #[arg(long)]
    pub database_url: Option<String>,
    /// How the council organises enquiries: specialist, locality or hybrid.
    #[arg(long, requires = "msp_level")]
    pub team_model: Option<TeamModel>,
    /// The council's Making Safeguarding Personal level: bronze, silver, gold or none.
    #[arg(long, requires = "team_model")]
    pub msp_level: Option<MspLevel>,
    /// The case management system the data come from.
    #[arg(long)]
    pub recording_system: Option<String>,
    /// Replace an existing node's signing key and the settings given here. The node secret, the
    /// database and its budget ledger are kept, and so is every setting of node.toml not given again.
    #[arg(long)]
    pub force: bool,
    /// Print the enrolment request as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Sets the node up and prints its enrolment request.
pub async fn init(data: &DataDir, a: InitArgs) -> Result<(), CliError> {
    let request = InitRequest {
        council: a.council,
        coordinator: a.coordinator,
        ca_cert: a.ca_cert,
        database_url: a.database_url,
        team_model: a.team_model,
        msp_level: a.msp_level,
        recording_system: a.recording_system,
        force: a.force,
    };
    let done = setup::init(data, request).await?;
    let council = a.council.council();
    let request = EnrolmentRequest::new(a.council, done.key.public_key_b64(), done.key.fingerprint().to_owned());
    if a.json {
        say!("{}", serde_json::to_string_pretty(&request).expect("serialises"));
        return Ok(());
    }
    say!("Node set up for {} ({}) in {}", council.name, council.code, data.root().display());
    match (done.kept_secret, done.moved) {
        (true, false) => say!("Kept the existing node secret, database and budget ledger; made a new signing key."),
        (true, true) => say!(
            "Kept the existing node secret; the node now uses the database at {}; made a new signing key.",
            msp_store::redact(&done.database_url)
        ),
        (false, _) => {}
    }
    say!();
    say!("Enrolment request: send it to the coordinator's operator, and read the fingerprint");
    say!("to them by phone so they can check it arrived unaltered.");
    say!();
    say!("  council      {} ({})", request.council, request.council_name);
    say!("  algorithm    {}", request.algorithm);
    say!("  public key   {}", request.public_key);
    say!("  fingerprint  {}", request.fingerprint);
    say!();
    say!("The operator enrols it with this command, giving --fingerprint as it is read out on the phone");
    say!("(the coordinator refuses the key if the two differ):");
    say!(
        "  msp-coordinator council enrol --code {} --public-key {} --fingerprint {}",
        request.council,
        request.public_key,
        request.fingerprint
    );
    if done.config.context.is_none() {
        say!();
        say!(
            "Before the first release, declare the council's context in {}: remove the # before the [context] lines",
            data.config_path().display()
        );
        say!("and set them, e.g.");
        say!(
            "  [context]\n  team_model = \"specialist\"   # or locality, hybrid\n  msp_level = \"silver\"        # or bronze, gold, none"
        );
    }
    Ok(())
}
