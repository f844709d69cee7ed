//! Every view's figures as one long, analysis-ready table: a row per area, period and measure,
//! with the area's ONS code where it has one, the estimate and its 95% interval rounded sensibly
//! (percentages to one decimal place, means of small counts to two), the councils behind it,
//! and whether the interval is too wide to compare. It is what `format=csv` downloads and the
//! first sheet of `format=xlsx`; a figure the reader may not see yet is a row saying when it
//! will be published, with no numbers.

use msp_estimate::{Estimate, Measure};
use msp_schemas::api::Benchmark;
use serde::Serialize;

use crate::{
    auth::Access,
    benchmark::{Group, Window},
};

/// England's ONS code.
pub const ENGLAND_CODE: &str = "E92000001";

/// One figure of a view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// The quarter (2026-27-Q1) or financial year (2026-27).
    pub period: String,
    /// The area's ONS code (England, a region or a council), or the group's id for other groups.
    pub area_code: String,
    /// The area's name.
    pub area_name: String,
    /// What kind of area: country, region, council type, team model, MSP level, council, peers.
    pub area_type: &'static str,
    /// The measure's id.
    pub measure: String,
    /// What it measures.
    pub measure_label: String,
    /// The estimate's unit: percent, days, meetings or hours.
    pub unit: &'static str,
    /// The estimate, rounded (`None`: no data, or not shown yet).
    pub estimate: Option<f64>,
    /// The lower end of its 95% interval.
    pub lower: Option<f64>,
    /// The upper end.
    pub upper: Option<f64>,
    /// Councils whose releases it includes.
    pub councils_included: u64,
    /// Councils in the group.
    pub councils_in_group: u64,
    /// Whether the interval is too wide to compare (`None` with no estimate).
    pub too_wide: Option<bool>,
    /// `shown`, `no data`, or when it will be published.
    pub status: String,
}

/// The columns of the long table, in order (CSV header and XLSX's first row).
pub const COLUMNS: [&str; 14] = [
    "period",
    "area_code",
    "area_name",
    "area_type",
    "measure",
    "measure_label",
    "unit",
    "estimate",
    "lower",
    "upper",
    "councils_included",
    "councils_in_group",
    "too_wide",
    "status",
];

impl Figure {
    /// The row's values, as text for CSV (numbers as written, blank when absent).
    pub fn cells(&self) -> [String; 14] {
        let n = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        [
            self.period.clone(),
            self.area_code.clone(),
            self.area_name.clone(),
            self.area_type.to_owned(),
            self.measure.clone(),
            self.measure_label.clone(),
            self.unit.to_owned(),
            n(self.estimate),
            n(self.lower),
            n(self.upper),
            self.councils_included.to_string(),
            self.councils_in_group.to_string(),
            self.too_wide.map_or(String::new(), |w| w.to_string()),
            self.status.clone(),
        ]
    }
}

/// The area code, name and type of a group.
pub fn area(group: Group) -> (String, String, &'static str) {
    let (code, kind) = match group {
        Group::England => (ENGLAND_CODE.to_owned(), "country"),
        Group::Region(r) => (r.ons_code().to_owned(), "region"),
        Group::Type(_) => (group.id(), "council type"),
        Group::TeamModel(_) => (group.id(), "team model"),
        Group::MspLevel(_) => (group.id(), "MSP level"),
        Group::Council(c) => (c.as_str().to_owned(), "council"),
        Group::Peers(_) => (group.id(), "peers"),
        Group::Named(_) => (group.id(), "comparator group"),
        Group::Size(_) => (group.id(), "size band"),
    };
    (code, group.name(), kind)
}

/// A measure's unit.
pub fn unit(m: Measure) -> &'static str {
    match m {
        Measure::MeanDays => "days",
        Measure::MeanMeetings | Measure::MeanMultiagency => "meetings",
        Measure::MeanStaffHours => "hours",
        _ => "percent",
    }
}

/// A value in its unit, rounded: a proportion as a percentage to one decimal place; days and hours
/// to one; meetings (small counts) to two.
pub fn rounded(m: Measure, v: f64) -> f64 {
    let (scale, places) = match unit(m) {
        "percent" => (100.0, 1),
        "meetings" => (1.0, 2),
        _ => (1.0, 1),
    };
    let p = 10f64.powi(places);
    let r = (v * scale * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}

/// One figure: `group`'s `measure` over `window`, as `estimate` (from `b`'s coverage) if the reader
/// may see it (`shown`), or the row that says when it will be published.
pub fn figure(
    access: &Access,
    group: Group,
    window: Window,
    measure: Measure,
    b: Option<&Benchmark>,
    estimate: Option<Estimate>,
    shown: bool,
) -> Figure {
    let (area_code, name, area_type) = area(group);
    // A benchmark knows a named group's name as the operator gave it.
    let area_name = b.map_or(name, |b| b.name.clone());
    let (councils_included, councils_in_group) =
        b.map_or((u64::from(estimate.is_some()), 1), |b| (b.coverage.councils_included, b.coverage.councils_in_group));
    let e = estimate.filter(|_| shown);
    let status = match (shown, e) {
        (false, _) => format!("not yet: {}", access.withheld(window)),
        (true, None) => "no data".to_owned(),
        (true, Some(_)) => "shown".to_owned(),
    };
    Figure {
        period: window.to_string(),
        area_code,
        area_name,
        area_type,
        measure: measure.id().to_owned(),
        measure_label: measure.label().to_owned(),
        unit: unit(measure),
        estimate: e.map(|e| rounded(measure, e.value)),
        lower: e.map(|e| rounded(measure, e.low)),
        upper: e.map(|e| rounded(measure, e.high)),
        councils_included: if shown { councils_included } else { 0 },
        // A model group's size is who declared it in their releases: unpublished until shown.
        councils_in_group: if shown || group.members_known() { councils_in_group } else { 0 },
        too_wide: e.map(|e| e.too_wide),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_rounded_to_what_their_intervals_support() {
        assert_eq!(rounded(Measure::Fully, 0.673_456_7), 67.3);
        assert_eq!(rounded(Measure::MeanDays, 59.361_302), 59.4);
        assert_eq!(rounded(Measure::MeanMeetings, 0.663_678), 0.66);
        assert_eq!(rounded(Measure::Fully, -0.000_01), 0.0, "no negative zero");
    }

    #[test]
    fn areas_have_their_ons_codes() {
        assert_eq!(area(Group::England).0, "E92000001");
        assert_eq!(area(Group::Region(msp_schemas::Region::SouthWest)).0, "E12000009");
        assert_eq!(
            area(Group::Council("E06000001".parse().unwrap())),
            ("E06000001".into(), "Hartlepool".into(), "council")
        );
    }
}
