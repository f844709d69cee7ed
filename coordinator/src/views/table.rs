//! The table model every view shares: values that know how they are shown, columns, tables with
//! their notes, and the view that holds them with the log size it comes from.

use msp_estimate::{Estimate, Measure, Verdict};
use msp_schemas::api::Benchmark;
use serde::Serialize;

use crate::{auth::Access, benchmark::Window};

/// One value in a table. Numbers serialise as plain numbers (proportions as fractions of 1);
/// the variant says how to show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Text.
    Text(String),
    /// A count.
    Count(f64),
    /// A proportion (0 to 1), shown as a percentage.
    Percent(f64),
    /// Any other number, shown to one decimal place.
    Decimal(f64),
    /// Nothing to show, and why.
    Missing(Missing),
}

/// Why a value is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Missing {
    /// The reason.
    pub missing: std::borrow::Cow<'static, str>,
}

impl Value {
    /// Text.
    pub(super) fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    /// A number shown as a proportion or not.
    pub(super) fn of(proportion: bool, v: f64) -> Self {
        if proportion { Value::Percent(v) } else { Value::Decimal(v) }
    }

    /// The number, if it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Count(v) | Value::Percent(v) | Value::Decimal(v) => Some(*v),
            _ => None,
        }
    }

    /// Nothing to show, and why.
    pub(super) fn missing(why: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Value::Missing(Missing { missing: why.into() })
    }
}

/// A column.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Its heading.
    pub heading: String,
}

/// A table of a view.
#[derive(Debug, Clone, Serialize)]
pub struct DataTable {
    /// Machine name (for file names).
    pub id: String,
    /// What the table shows.
    pub caption: String,
    /// Its columns.
    pub columns: Vec<Column>,
    /// Its rows.
    pub rows: Vec<Vec<Value>>,
    /// Notes that go with it (coverage, method, suppressions).
    pub notes: Vec<String>,
}

/// A view: a title, the log size it comes from, and its tables.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// The view's title.
    pub title: String,
    /// The period it covers.
    pub window: Option<String>,
    /// Entries in the log the figures were computed from.
    pub tree_size: u64,
    /// Its tables.
    pub tables: Vec<DataTable>,
    /// Its figures as one long table (see [`super::long`]); empty for views that are not figures
    /// of areas (submission status, breakdowns).
    pub data: Vec<super::long::Figure>,
}

/// A column headed `heading`.
pub(super) fn col(heading: &str) -> Column {
    Column { heading: heading.to_owned() }
}

/// An estimate as four cells: the value, its interval, and a note when the interval is too wide.
pub(super) fn est_cells(proportion: bool, e: Option<Estimate>) -> [Value; 4] {
    match e {
        Some(e) => [
            Value::of(proportion, e.value),
            Value::of(proportion, e.low),
            Value::of(proportion, e.high),
            Value::text(if e.too_wide { "too wide to compare" } else { "" }),
        ],
        None => [Value::missing("no data"), Value::missing("no data"), Value::missing("no data"), Value::text("")],
    }
}

/// The four cells of an estimate the reader may not see yet, saying when it will be published.
pub(super) fn withheld(access: &Access, window: Window) -> [Value; 4] {
    let s = || Value::missing(format!("not yet: {}", access.withheld(window)));
    [s(), s(), s(), Value::text("")]
}

/// A verdict on a difference in words that say what it means for `measure`: "higher — better"
/// where more is better, "higher — worse" where less is, plain "higher" where neither.
pub(super) fn verdict(measure: Measure, v: Option<Verdict>) -> Value {
    use msp_estimate::Direction::{HigherIsBetter, LowerIsBetter, Neither};
    Value::text(match (v, measure.direction()) {
        (None, _) => "no data",
        (Some(Verdict::CannotTell), _) => "can't tell",
        (Some(Verdict::Higher), HigherIsBetter) => "higher — better",
        (Some(Verdict::Lower), HigherIsBetter) => "lower — worse",
        (Some(Verdict::Higher), LowerIsBetter) => "higher — worse",
        (Some(Verdict::Lower), LowerIsBetter) => "lower — better",
        (Some(Verdict::Higher), Neither) => "higher",
        (Some(Verdict::Lower), Neither) => "lower",
    })
}

/// The note on a benchmark's coverage.
pub(super) fn coverage_note(b: &Benchmark) -> String {
    format!(
        "Coverage: {} of {} councils ({} of {} council-quarters).",
        b.coverage.councils_included,
        b.coverage.councils_in_group,
        b.coverage.quarters_included,
        b.coverage.quarters_expected
    )
}
