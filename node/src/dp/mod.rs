//! The differentially private release (DESIGN §4, §6): everything between the stored case
//! records and the noisy tables. Pure: no database, no clock, no files.
//!
//! 1. [`persons`] reduces the quarter's records to **one row per person** (the contribution
//!    bounds): for the concerns population the person's most advanced concern, for the concluded
//!    population the latest concluded enquiry, with the count of enquiries (capped at 3) and
//!    the repeat flag from the person's own history.
//! 2. [`tables`] turns person rows into the exact vector of every `msp-quarterly/1` table: each
//!    person adds at most 1 to one cell of a partition, at most 1 to each of at most 3 cells of
//!    a multi-valued table, and at most U to a clamped sum.
//! 3. [`mechanism`] adds opendp's discrete Gaussian to each exact vector, at the noise scale for
//!    which opendp's own privacy map, evaluated at that bound (Δ₂ = 1, √3 or U per person), gives
//!    at most the table's share of ρ.
//! 4. [`ledger`] holds the budget rules: per release, per quarter of data, per four quarters,
//!    within the [`limits`] the network's policy sets every node.

pub mod ledger;
pub mod limits;
pub mod mechanism;
pub mod persons;
pub mod tables;
