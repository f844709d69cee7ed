//! msp-node: a council's node in the MSP Outcomes Network.
//!
//! It imports the council's safeguarding case records, keeps them in a local database, and once a
//! quarter builds a differentially private release (DESIGN §4, §6) that it signs and submits to
//! the national coordinator. Nothing but that release ever leaves the node.

pub mod cli;
