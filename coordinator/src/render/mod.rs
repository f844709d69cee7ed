//! Views turned into what people read and download: SVG charts for the dashboard (no script,
//! nothing fetched) and CSV and XLSX files of every table.
//!
//! - [`charts`]: dot-and-interval charts and trend lines, described for screen readers;
//! - [`exports`]: one table as CSV, a whole view as an XLSX workbook.

pub mod charts;
pub mod exports;
