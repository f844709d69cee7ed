//! msp-node: a council's node in the MSP Outcomes Network.
//!
//! It imports the council's safeguarding case records, keeps them in a local database, and once a
//! quarter builds a differentially private release (DESIGN §4, §6) that it signs and submits to
//! the national coordinator. Nothing but that release ever leaves the node.
//!
//! - [`config`]: the data directory and `node.toml`;
//! - [`keys`]: the node secret (keys person-id hashes) and the Ed25519 signing key;
//! - [`store`]: all SQL, on SQLite or PostgreSQL;
//! - [`stored`]: the compact form of a stored case record;
//! - [`import`]: case files in, through a mapping and `case-record/1` validation;
//! - [`synth`]: synthetic case files with known truth;
//! - [`dp`]: person rows, exact tables, the opendp mechanisms and the budget rules;
//! - [`submit`]: sending releases and checking the coordinator's receipts;
//! - [`coordinator_key`]: the coordinator's receipt-signing keys this node trusts, and their rotation;
//! - [`cli`]: the command line.

pub mod cli;
pub mod compare;
pub mod config;
pub mod coordinator_key;
pub mod dp;
pub mod import;
pub mod keys;
pub mod process;
pub mod release;
pub mod store;
pub mod stored;
pub mod submit;
pub mod synth;
