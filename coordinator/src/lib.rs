//! msp-coordinator: the national coordinator of the MSP Outcomes Network.
//!
//! It verifies councils' signed releases, records them in a tamper-evident log and merges them
//! into national, regional, council-type and service-model benchmarks, each figure with an honest
//! confidence interval (DESIGN §7, §8). It links no node code: no case import, no mechanism.
//!
//! Rules (pure where they can be):
//! - [`ingest`]: the submission checks (signature first) and the single log writer;
//! - [`benchmark`]: groups, windows, the estimator, the median and comparisons, and the snapshot
//!   of releases they are computed from;
//! - [`views`]: the tables users see, with each role's visibility rules from [`auth`];
//! - [`councils`]: enrolling and revoking councils' keys; [`tokens`]: bearer tokens;
//! - [`signing_key`]: the receipt-signing key; [`clock`]: the injected clock.
//!
//! Shells around them:
//! - [`http`]: the API and dashboard (`router(state)`), errors as RFC 9457 problem documents;
//! - [`render`]: charts and CSV/XLSX downloads; HTTPS serving with graceful shutdown is msp-web's
//!   ([`msp_web::server`]), shared with the node's local view;
//! - [`store`]: all SQL; [`tls`]: certificates (msp-web's, with the coordinator's names);
//!   [`metrics`]: Prometheus metrics;
//! - [`cli`]: the command line; [`config`]: the data directory; [`process`]: the binary's `main`.

pub mod auth;
pub mod benchmark;
pub mod cli;
pub mod clock;
pub mod config;
pub mod councils;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod process;
pub mod render;
pub mod signing_key;
pub mod store;
pub mod tls;
pub mod tokens;
pub mod views;
