//! msp-node: a council's node in the MSP Outcomes Network.
//!
//! It imports the council's safeguarding case records, keeps them in a local database, and once a
//! quarter builds a differentially private release (DESIGN §4, §6) that it signs and submits to
//! the national coordinator. Nothing but that release ever leaves the node.
//!
//! - [`accounts`] and [`audit`]: the people who work the node, and the log of what they did;
//! - [`config`]: the data directory and `node.toml` (plain settings, the budget's included);
//! - [`clock`]: the time, injected wherever the node reads it;
//! - [`keys`]: the node secret (keys person-id hashes) and the Ed25519 signing key;
//! - [`setup`]: setting a node up, and the rules of setting it up again;
//! - [`store`]: all SQL, on SQLite or PostgreSQL, and the compact form of a stored case record;
//! - [`completeness`]: how complete the records are, per field and quarter;
//! - [`import`]: case files in, through a mapping and `case-record/1` validation;
//! - [`dp`]: person rows, exact tables, the opendp mechanisms and the budget rules (pure);
//! - [`policy`]: the network's policy as this node holds it (fetched, or the safe default);
//! - [`release`]: the quarter's release, in the order that makes it safe, within the policy;
//! - [`spending`]: what a release would spend, worked out before anyone is asked to spend it;
//! - [`readable`]: a release as people read it (titles, labels, noise and privacy in words);
//! - [`quarters`]: each quarter's state, from holdings to a receipted release;
//! - [`submit`]: sending releases, checking the coordinator's receipts, and the coordinator keys
//!   this node trusts;
//! - [`compare`]: the council's figures beside its benchmarks;
//! - [`web`]: the council's local web view (`msp-node serve`);
//! - [`cli`] and [`process`]: the command line.
//!
//! Synthetic case files with known truth (`msp-node synth`) come from the `msp-synth` crate.

pub mod accounts;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod compare;
pub mod completeness;
pub mod config;
pub mod dp;
pub mod import;
pub mod keys;
pub mod policy;
pub mod process;
pub mod quarters;
pub mod readable;
pub mod release;
pub mod sac;
pub mod setup;
pub mod spending;
pub mod store;
pub mod submit;
pub mod web;
