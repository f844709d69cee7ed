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

/// The four cells of `measure`'s estimate in `b`: as [`est_cells`], but a measure missing because
/// some of the group's releases lack its tables (report version 1, where the measure is version
/// 2's) says so rather than "no data".
pub(super) fn measure_cells(b: &Benchmark, measure: Measure) -> [Value; 4] {
    let e = b.measure(measure);
    let tables: Vec<&str> = match measure.formula() {
        msp_estimate::Formula::Proportion { table, .. } => vec![table],
        msp_estimate::Formula::Mean { sum, count, .. } => vec![sum, count],
    };
    let lacking = tables.iter().any(|t| !b.tables.iter().any(|x| x.table == *t));
    if e.is_none() && b.coverage.quarters_included > 0 && lacking {
        let s = || Value::missing("needs version 2");
        return [s(), s(), s(), Value::text("some councils' releases are report version 1, which lacks this figure")];
    }
    est_cells(measure.is_proportion(), e)
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

#[cfg(test)]
mod tests {
    use msp_schemas::{
        SpecId,
        codes::{MspLevel, TeamModel},
    };

    use super::*;
    use crate::benchmark::{CouncilRelease, Group, Memberships, benchmark};

    #[test]
    fn a_version_2_figure_of_a_group_with_version_1_releases_says_so_rather_than_no_data() {
        let q = Window::Quarter("2026-27-Q1".parse().unwrap());
        let r = |spec: SpecId| CouncilRelease {
            council: "E06000001".parse().unwrap(),
            period: "2026-27-Q1".parse().unwrap(),
            revision: 1,
            spec,
            team_model: TeamModel::Specialist,
            msp_level: MspLevel::Gold,
            tables: spec.spec().tables.iter().map(|t| (vec![5; t.cells.len()], 1.0)).collect(),
        };
        let text = |v: &Value| serde_json::to_string(v).unwrap();
        let v1 = benchmark(Group::England, q, &[r(SpecId::MspQuarterlyV1)], &Memberships::default());
        assert!(text(&measure_cells(&v1, Measure::FullyS42)[0]).contains("needs version 2"));
        assert!(text(&measure_cells(&v1, Measure::Fully)[0]) != text(&Value::missing("no data")));
        let v2 = benchmark(Group::England, q, &[r(SpecId::MspQuarterlyV2)], &Memberships::default());
        assert!(!text(&measure_cells(&v2, Measure::FullyS42)[0]).contains("needs"));
        let none = benchmark(Group::England, q, &[], &Memberships::default());
        assert_eq!(text(&measure_cells(&none, Measure::FullyS42)[0]), text(&Value::missing("no data")));
    }
}
