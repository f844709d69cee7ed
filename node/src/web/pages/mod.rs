//! The pages of the web view, one file each. They read; [`super::actions`] changes.
//!
//! - [`home`]: every quarter and where it stands (released, approved, sent, receipted);
//! - [`imports`]: import history, each import's rejects and warnings, and data completeness;
//! - [`quarter`]: a quarter's exact figures and their trend, and the preview of a release;
//! - [`release`]: the release as it will leave, approval and submission;
//! - [`budget`]: the privacy budget spent and left, beside the network's limits;
//! - [`submissions`]: what was sent and the coordinator's receipts;
//! - [`compare`]: the council beside its region, type and England;
//! - [`audit`]: who did what, when.

pub mod audit;
pub mod budget;
pub mod compare;
pub mod home;
pub mod imports;
pub mod quarter;
pub mod release;
pub mod submissions;
