//! The views users see, as data tables: one model that the dashboard renders as HTML and the API
//! serves as JSON, CSV and XLSX, so every chart's numbers can be downloaded exactly as shown.
//! Each view applies the role's visibility rules (see [`crate::auth`]).
//!
//! - [`table`](mod@table): the table model (values, columns, tables, the view);
//! - [`headline`](mod@headline), [`breakdowns`](mod@breakdowns): one group's headline measures, and its breakdowns;
//! - [`groups`](mod@groups), [`models`](mod@models): one measure across regions and council types, or models of practice;
//! - [`council`](mod@council): one council beside its groups; [`councils`](mod@councils): every council of a group;
//!   [`trend`](mod@trend): a measure over time;
//! - [`status`](mod@status): which councils have released which quarters;
//! - [`differences`](mod@differences): the table of differences the models and council views share.

pub mod breakdowns;
pub mod council;
pub mod councils;
pub mod differences;
pub mod groups;
pub mod headline;
pub mod long;
pub mod models;
pub mod status;
pub mod table;
pub mod trend;

pub use breakdowns::breakdowns;
pub use council::{beside, council};
pub use councils::{Order, councils};
pub use groups::{across, groups};
pub use headline::headline;
pub use long::Figure;
pub use models::models;
pub use status::submissions;
pub use table::{Column, DataTable, Missing, Value, View};
pub use trend::trend_view;
