//! msp-coordinator: the national coordinator of the MSP Outcomes Network.
//!
//! It verifies councils' signed releases, records them in a tamper-evident log and merges them
//! into national, regional, council-type and service-model benchmarks, each figure with an honest
//! confidence interval (DESIGN §7, §8).

pub mod cli;
