//! msp-coordinator: the national coordinator of the MSP Outcomes Network.
//!
//! It verifies councils' signed releases, records them in a tamper-evident log and merges them
//! into national, regional, council-type and service-model benchmarks, each figure with an honest
//! confidence interval (DESIGN §7, §8).
//!
//! - [`ingest`]: the submission checks and the single log writer;
//! - [`estimate`]: benchmarks and their intervals from the latest releases (pure);
//! - [`http`]: the API (`router(state)`), with errors as RFC 9457 problem documents;
//! - [`startup`]: HTTPS serving with graceful shutdown;
//! - [`store`]: all SQL; [`keys`]: the receipt-signing key; [`tls`]: certificates;
//! - [`metrics`]: Prometheus metrics; [`cli`]: the command line.

pub mod auth;
pub mod benchmarks;
pub mod charts;
pub mod cli;
pub mod config;
pub mod estimate;
pub mod exports;
pub mod http;
pub mod ingest;
pub mod keys;
pub mod metrics;
pub mod process;
pub mod startup;
pub mod store;
pub mod tls;
pub mod views;
