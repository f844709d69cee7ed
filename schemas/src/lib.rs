//! The contracts of the MSP Outcomes Network: the language every node and the coordinator speak.
//!
//! - [`period`]: UK financial quarters and years (DESIGN §3);
//! - [`council`]: the register of the 153 councils, their regions and types;
//! - [`codes`]: the code lists of `case-record/1`, with their published labels;
//! - [`case_record`]: `case-record/1`, one validated row of a case file (DESIGN §5);
//! - [`spec`]: the report spec `msp-quarterly/1` as data (DESIGN §6);
//! - [`release`]: the `msp-release/1` document and the coordinator's receipt (DESIGN §6–7);
//! - [`enrolment`]: the enrolment request a council sends the coordinator's operator;
//! - [`api`]: the coordinator's answers: receipts, signed tree heads, log proofs, benchmarks and
//!   comparisons;
//! - [`policy`]: `msp-policy/1`, the network's privacy policy, and the ledger's arithmetic;
//! - [`problem`]: RFC 9457 problem types shared by both sides;
//! - [`json_schema`]: JSON Schema documents generated from these types.
//!
//! This crate has no runtime, HTTP, database or cryptography dependency, so both sides can use
//! it and its rules can be tested exhaustively.

pub mod api;
pub mod case_record;
pub mod codes;
pub mod council;
pub mod enrolment;
pub mod json_schema;
pub mod period;
pub mod policy;
pub mod problem;
pub mod release;
pub mod spec;

pub use case_record::{CaseRecord, Column, FieldIssue, RawRow, RowRejected, Validated};
pub use council::{AuthorityType, Council, CouncilCode, Region};
pub use period::{FinancialYear, Period};
pub use problem::{Problem, ProblemType};
pub use release::{Receipt, Release, ReleaseFields};
pub use spec::{ReportSpec, SpecId, TableKind, TableSpec};
