//! `msp-coordinator signing-key`: show the receipt-signing key (making it if there is none), or
//! rotate it and say what to tell the councils.

use clap::Args;
use msp_terminal::say;

use super::error::CliError;
use crate::{config::DataDir, signing_key::SigningKey};

/// `msp-coordinator signing-key`.
#[derive(Debug, Args)]
pub struct SigningKeyArgs {
    /// Print as JSON (as `GET /v1/keys` serves it; with --rotate, `{"retired": …, "current": …}`).
    #[arg(long)]
    pub json: bool,
    /// Retire the current key (kept in keys/retired/) and make a new one, which `serve` signs with
    /// from its next start. Receipts already given stay valid; each council's node refuses the new
    /// key until the council has checked its fingerprint with you and run
    /// `msp-node trust-coordinator-key --fingerprint FP`.
    #[arg(long)]
    pub rotate: bool,
}

/// `signing-key`: shows the current key (making it if there is none), or rotates it.
pub(super) fn signing_key(data: &DataDir, a: SigningKeyArgs) -> Result<(), CliError> {
    if a.rotate {
        return rotate_signing_key(data, a.json);
    }
    let dir = data.keys_dir();
    let public = SigningKey::load_or_create(&dir)?.public();
    if a.json {
        say!("{}", serde_json::to_string_pretty(&public).expect("serialises"));
        return Ok(());
    }
    say!("The receipt-signing key in {}:", dir.display());
    say!("  algorithm    {}", public.algorithm);
    say!("  public key   {}", public.public_key);
    say!("  fingerprint  {}", public.fingerprint);
    for retired in SigningKey::retired(&dir)? {
        say!("  retired      {} (its receipts stay valid; it signs nothing new)", retired.fingerprint);
    }
    say!("Nodes pin this key on first contact: every replica must be given this same file.");
    Ok(())
}

/// `signing-key --rotate`: retires the current key, makes a new one and says what to do next.
fn rotate_signing_key(data: &DataDir, json: bool) -> Result<(), CliError> {
    let dir = data.keys_dir();
    let rotation = SigningKey::rotate(&dir)?;
    if json {
        let both = serde_json::json!({ "retired": rotation.retired, "current": rotation.current });
        say!("{}", serde_json::to_string_pretty(&both).expect("serialises"));
        return Ok(());
    }
    let (old, new) = (&rotation.retired.fingerprint, &rotation.current.fingerprint);
    say!("Rotated the receipt-signing key in {}:", dir.display());
    say!("  retired      {old} (kept in {})", dir.join("retired").display());
    say!("  current      {new}");
    say!();
    say!("Next:");
    say!("  1. Give every replica this new keys/coordinator.p8 and restart `serve` on each: until then a");
    say!("     replica still signs with the retired key.");
    say!("  2. Tell every council, by a channel other than this coordinator's website (phone, or signed");
    say!("     letter), that the key changed from {old}");
    say!("     to {new}. Their nodes refuse the new key until they run:");
    say!("       msp-node trust-coordinator-key --fingerprint {new}");
    say!("     Receipts signed with the retired key stay valid: nodes keep trusting it for those.");
    Ok(())
}
