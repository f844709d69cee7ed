//! The query parameters the read API and the dashboard take, parsed into the types that cannot
//! be wrong: a window, a group, a measure.

use axum::extract::{Query, rejection::QueryRejection};
use msp_estimate::Measure;
use serde::Deserialize;

use super::error::HttpError;
use crate::benchmark::{Group, Snapshot, Window};

/// Query parameters the views take.
#[derive(Debug, Deserialize, Default)]
pub struct ViewQuery {
    /// A quarter (2026-27-Q1) or a financial year (2026-27); default: the latest quarter.
    pub period: Option<String>,
    /// A group id (england, region:london, …).
    pub group: Option<String>,
    /// A measure id (fully, expressed, …).
    pub measure: Option<String>,
    /// json (default), csv or xlsx.
    pub format: Option<String>,
    /// For CSV: which table of the view (0-based).
    pub table: Option<usize>,
    /// For a view of every council: name (default) or estimate.
    pub sort: Option<String>,
    /// The figures as computed from the log's first `tree_size` entries (default: all of them).
    pub tree_size: Option<u64>,
}

/// The order asked for (default: by name).
pub fn order(name: Option<&str>) -> Result<crate::views::Order, HttpError> {
    name.map_or(Ok(crate::views::Order::Name), |s| s.parse().map_err(HttpError::BadQuery))
}

/// The query, or why it could not be read.
pub fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, HttpError> {
    q.map(|Query(q)| q).map_err(|e| HttpError::BadQuery(e.body_text()))
}

/// The window asked for, or the latest quarter with releases.
pub fn window(snap: &Snapshot, period: Option<&str>) -> Result<Window, HttpError> {
    match period {
        Some(p) => p.parse().map_err(HttpError::BadQuery),
        None => snap
            .latest_quarter()
            .map(Window::Quarter)
            .ok_or_else(|| HttpError::NotFound("no releases have been received yet".into())),
    }
}

/// The measure asked for (default: fully achieved).
pub fn measure(name: Option<&str>) -> Result<Measure, HttpError> {
    match name {
        None => Ok(Measure::Fully),
        Some(n) => Measure::from_id(n).ok_or_else(|| {
            let ids: Vec<_> = Measure::ALL.iter().map(|m| m.id()).collect();
            HttpError::BadQuery(format!("{n:?} is not a measure: use one of {}", ids.join(", ")))
        }),
    }
}

/// The group asked for (default: England).
pub fn group(name: Option<&str>) -> Result<Group, HttpError> {
    name.map_or(Ok(Group::England), |g| g.parse().map_err(HttpError::BadQuery))
}
