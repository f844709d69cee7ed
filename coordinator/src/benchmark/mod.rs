//! Benchmarks from councils' noisy releases (DESIGN §8).
//!
//! For a group of councils and a window (a quarter, or a financial year of four), each table's
//! cells are the sums of the latest-revision noisy values of the councils in the group that
//! submitted, and their variances the sums of the published σ² (noise is independent across
//! councils, quarters and tables). Headline measures and their intervals come from
//! [`msp_estimate`]: proportions with Fieller's interval, means by the delta method, clipped to
//! what is feasible; `msp_outcomes`' cells combined with its cross tables' margins. The median
//! days to conclude, which has no closed form, gets a parametric bootstrap interval from the
//! known noise. Coverage (councils included out of councils in the group) is part of every
//! benchmark. The answers are the wire types of [`msp_schemas::api`].
//!
//! - [`release`](mod@release): a council's release as the estimator reads it, and the latest revisions;
//! - [`groups`](mod@groups): the groups of councils and the windows benchmarks are made for;
//! - [`estimator`](mod@estimator): one group's benchmark over one window (pure);
//! - [`median`](mod@median): the median days to conclude and its bootstrap interval (pure);
//! - [`compare`](mod@compare): two groups' differences with honest intervals, and trends (pure);
//! - [`snapshot`](mod@snapshot): the releases at one log size, kept in memory and brought up to date as the
//!   log grows; every view states the log size it comes from.

pub mod compare;
pub mod estimator;
pub mod groups;
pub mod median;
pub mod release;
pub mod snapshot;

pub use compare::{TrendPoint, compare, trend};
pub use estimator::{AgainstRest, benchmark, each_against_rest, included};
pub use groups::{Comparator, Group, MIN_NAMED, Memberships, SLUG_MAX, SizeBand, Slug, Window};
pub use release::{CouncilRelease, latest};
pub use snapshot::{Releases, Snapshot, StatusRow};
