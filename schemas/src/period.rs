//! UK financial quarters and years (DESIGN §3).
//!
//! A financial year runs from 1 April to 31 March and is written `2026-27`. Its quarters are
//! written `2026-27-Q1` (April–June) to `2026-27-Q4` (January–March of the following calendar
//! year). Both parse only from that exact form, so a typo never names a different period.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

/// First and last financial years we accept: every date a case file may hold (1990 to 2099, see
/// `case_record`) falls in one of them, and a four-digit year keeps `YYYY-YY` unambiguous.
const FIRST_YEAR: u16 = 1989;
const LAST_YEAR: u16 = 2099;

/// Why a period or financial year could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not of the form `YYYY-YY-Qn`.
    #[error(
        "{0:?} is not a financial quarter: write it as YYYY-YY-Qn, for example 2026-27-Q1 \
         (April to June 2026) or 2026-27-Q4 (January to March 2027)"
    )]
    BadQuarter(String),
    /// The text is not of the form `YYYY-YY`.
    #[error("{0:?} is not a financial year: write it as YYYY-YY, for example 2026-27 (April 2026 to March 2027)")]
    BadYear(String),
    /// The two year parts do not follow each other (`2026-28`).
    #[error("{0:?} is not a financial year: the second part must be the year after the first, as in 2026-27")]
    NotConsecutive(String),
    /// The year is outside the range the network accepts.
    #[error("{0:?} is outside the supported financial years 1989-90 to 2099-00")]
    OutOfRange(String),
}

/// A UK financial year, named by the calendar year in which it starts (April).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialYear(u16);

impl FinancialYear {
    /// The financial year that starts in April of `start_year`.
    pub fn starting(start_year: u16) -> Result<Self, PeriodError> {
        if (FIRST_YEAR..=LAST_YEAR).contains(&start_year) {
            Ok(Self(start_year))
        } else {
            Err(PeriodError::OutOfRange(start_year.to_string()))
        }
    }

    /// The financial year that contains `date`.
    pub fn containing(date: Date) -> Result<Self, PeriodError> {
        Ok(Period::containing(date)?.year())
    }

    /// The calendar year in which this financial year starts.
    pub fn start_year(self) -> u16 {
        self.0
    }

    /// Its four quarters, Q1 to Q4.
    pub fn quarters(self) -> [Period; 4] {
        [1, 2, 3, 4].map(|quarter| Period { year: self, quarter })
    }

    /// 1 April of the start year.
    pub fn first_day(self) -> Date {
        self.quarters()[0].first_day()
    }

    /// 31 March of the following year.
    pub fn last_day(self) -> Date {
        self.quarters()[3].last_day()
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1) % 100)
    }
}

impl FromStr for FinancialYear {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_year(s).map_err(|e| match e {
            PeriodError::BadQuarter(_) => PeriodError::BadYear(s.to_owned()),
            other => other,
        })
    }
}

/// Parses `YYYY-YY`; errors carry the whole input so messages can quote it.
fn parse_year(s: &str) -> Result<FinancialYear, PeriodError> {
    let bytes = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| bytes[r].iter().all(u8::is_ascii_digit);
    if bytes.len() != 7 || bytes[4] != b'-' || !digits(0..4) || !digits(5..7) {
        return Err(PeriodError::BadYear(s.to_owned()));
    }
    let start: u16 = s[0..4].parse().map_err(|_| PeriodError::BadYear(s.to_owned()))?;
    let end: u16 = s[5..7].parse().map_err(|_| PeriodError::BadYear(s.to_owned()))?;
    if (start + 1) % 100 != end {
        return Err(PeriodError::NotConsecutive(s.to_owned()));
    }
    FinancialYear::starting(start).map_err(|_| PeriodError::OutOfRange(s.to_owned()))
}

/// One UK financial quarter: the unit every release covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    year: FinancialYear,
    /// 1 to 4.
    quarter: u8,
}

impl Period {
    /// Quarter `quarter` (1–4) of financial year `year`.
    pub fn new(year: FinancialYear, quarter: u8) -> Result<Self, PeriodError> {
        if (1..=4).contains(&quarter) {
            Ok(Self { year, quarter })
        } else {
            Err(PeriodError::BadQuarter(format!("{year}-Q{quarter}")))
        }
    }

    /// The quarter that contains `date`.
    pub fn containing(date: Date) -> Result<Self, PeriodError> {
        let month = u8::from(date.month());
        let calendar_year = u16::try_from(date.year()).map_err(|_| PeriodError::OutOfRange(date.to_string()))?;
        let (start_year, quarter) = match month {
            4..=6 => (calendar_year, 1),
            7..=9 => (calendar_year, 2),
            10..=12 => (calendar_year, 3),
            _ => (calendar_year.wrapping_sub(1), 4),
        };
        let year = FinancialYear::starting(start_year).map_err(|_| PeriodError::OutOfRange(date.to_string()))?;
        Ok(Self { year, quarter })
    }

    /// The financial year this quarter belongs to.
    pub fn year(self) -> FinancialYear {
        self.year
    }

    /// 1 to 4.
    pub fn quarter(self) -> u8 {
        self.quarter
    }

    /// The first day of the quarter.
    pub fn first_day(self) -> Date {
        let (calendar_year, month) = self.first_month();
        Date::from_calendar_date(calendar_year, month, 1).expect("the first of a month always exists")
    }

    /// The last day of the quarter.
    pub fn last_day(self) -> Date {
        self.next_unchecked_first_day().previous_day().expect("a quarter's end is never the first date")
    }

    /// The quarter's ordinal: start year × 4 + quarter − 1 (2026-27-Q1 is 8104). Ordinals of
    /// consecutive quarters are consecutive integers: compact to store, easy to compare.
    pub fn ordinal(self) -> u32 {
        u32::from(self.year.0) * 4 + u32::from(self.quarter) - 1
    }

    /// The quarter with this ordinal, if it is in the supported years.
    pub fn from_ordinal(n: u32) -> Option<Self> {
        let year = FinancialYear::starting(u16::try_from(n / 4).ok()?).ok()?;
        Some(Self { year, quarter: (n % 4) as u8 + 1 })
    }

    /// Whether `date` falls within this quarter.
    pub fn contains(self, date: Date) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The following quarter, or `None` past the last supported year.
    pub fn next(self) -> Option<Self> {
        if self.quarter == 4 {
            let year = FinancialYear::starting(self.year.0 + 1).ok()?;
            Some(Self { year, quarter: 1 })
        } else {
            Some(Self { quarter: self.quarter + 1, ..self })
        }
    }

    /// The preceding quarter, or `None` before the first supported year.
    pub fn previous(self) -> Option<Self> {
        if self.quarter == 1 {
            let year = FinancialYear::starting(self.year.0.checked_sub(1)?).ok()?;
            Some(Self { year, quarter: 4 })
        } else {
            Some(Self { quarter: self.quarter - 1, ..self })
        }
    }

    /// This quarter and the `n - 1` before it, oldest first (a rolling window ending here).
    pub fn window(self, n: usize) -> Vec<Self> {
        let mut out = Vec::with_capacity(n);
        let mut p = Some(self);
        while out.len() < n {
            match p {
                Some(q) => {
                    out.push(q);
                    p = q.previous();
                }
                None => break,
            }
        }
        out.reverse();
        out
    }

    fn first_month(self) -> (i32, Month) {
        let y = i32::from(self.year.0);
        match self.quarter {
            1 => (y, Month::April),
            2 => (y, Month::July),
            3 => (y, Month::October),
            _ => (y + 1, Month::January),
        }
    }

    /// The first day of the following quarter, computed even past the supported range.
    fn next_unchecked_first_day(self) -> Date {
        let (y, m) = self.first_month();
        let (y, m) = match m {
            Month::January => (y, Month::April),
            Month::April => (y, Month::July),
            Month::July => (y, Month::October),
            _ => (y + 1, Month::January),
        };
        Date::from_calendar_date(y, m, 1).expect("the first of a month always exists")
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.quarter)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PeriodError::BadQuarter(s.to_owned());
        let (year, quarter) = s.split_once("-Q").ok_or_else(bad)?;
        let quarter = match quarter {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => return Err(bad()),
        };
        let year = parse_year(year).map_err(|e| match e {
            PeriodError::BadYear(_) => bad(),
            PeriodError::NotConsecutive(_) => PeriodError::NotConsecutive(s.to_owned()),
            PeriodError::OutOfRange(_) => PeriodError::OutOfRange(s.to_owned()),
            other => other,
        })?;
        Ok(Self { year, quarter })
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Period {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Period".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-Q[1-4]$",
            "description": "A UK financial quarter: 2026-27-Q1 is April to June 2026, Q4 is January to March 2027.",
            "examples": ["2026-27-Q1"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn quarters_parse_and_format_round_trip() {
        for s in ["2026-27-Q1", "2026-27-Q4", "2098-99-Q2", "2099-00-Q4", "1989-90-Q1"] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("2026-27-Q3").year().start_year(), 2026);
        assert_eq!(p("2026-27-Q3").quarter(), 3);
    }

    #[test]
    fn a_year_whose_parts_do_not_follow_is_refused_with_the_expected_form() {
        let err = "2026-28-Q1".parse::<Period>().unwrap_err();
        assert_eq!(err, PeriodError::NotConsecutive("2026-28-Q1".into()));
        assert!(err.to_string().contains("2026-27"), "{err}");
    }

    #[test]
    fn a_fifth_quarter_is_refused_with_the_expected_form() {
        let err = "2026-27-Q5".parse::<Period>().unwrap_err();
        assert_eq!(err, PeriodError::BadQuarter("2026-27-Q5".into()));
        assert!(err.to_string().contains("YYYY-YY-Qn"), "{err}");
    }

    #[test]
    fn a_two_digit_start_year_is_refused_with_the_expected_form() {
        let err = "26-27-Q1".parse::<Period>().unwrap_err();
        assert_eq!(err, PeriodError::BadQuarter("26-27-Q1".into()));
        assert!(err.to_string().contains("2026-27-Q1"), "{err}");
    }

    #[test]
    fn other_malformed_quarters_are_refused() {
        for s in [
            "",
            "2026-27",
            "2026-27-Q",
            "2026-27-Q0",
            "2026-27-q1",
            " 2026-27-Q1",
            "2026-27-Q1 ",
            "2026/27-Q1",
            "+026-27-Q1",
            "1988-89-Q1",
            "2026-27-Q01",
        ] {
            assert!(s.parse::<Period>().is_err(), "{s:?} parsed");
        }
    }

    #[test]
    fn the_turn_of_the_century_is_consecutive() {
        assert_eq!("2099-00".parse::<FinancialYear>().unwrap().to_string(), "2099-00");
        assert_eq!(p("1999-00-Q4").next(), Some(p("2000-01-Q1")));
        assert_eq!(p("2099-00-Q4").next(), None);
        assert_eq!("2100-01".parse::<FinancialYear>(), Err(PeriodError::OutOfRange("2100-01".into())));
    }

    #[test]
    fn the_quarter_containing_a_date_follows_the_financial_year() {
        assert_eq!(Period::containing(date!(2026 - 04 - 01)).unwrap(), p("2026-27-Q1"));
        assert_eq!(Period::containing(date!(2026 - 06 - 30)).unwrap(), p("2026-27-Q1"));
        assert_eq!(Period::containing(date!(2026 - 07 - 01)).unwrap(), p("2026-27-Q2"));
        assert_eq!(Period::containing(date!(2026 - 12 - 31)).unwrap(), p("2026-27-Q3"));
        assert_eq!(Period::containing(date!(2027 - 01 - 01)).unwrap(), p("2026-27-Q4"));
        assert_eq!(Period::containing(date!(2027 - 03 - 31)).unwrap(), p("2026-27-Q4"));
        assert!(Period::containing(date!(1989 - 03 - 31)).is_err());
        assert_eq!(Period::containing(date!(1990 - 01 - 01)).unwrap(), p("1989-90-Q4"));
        assert_eq!(Period::containing(date!(2099 - 12 - 31)).unwrap(), p("2099-00-Q3"));
    }

    #[test]
    fn quarter_bounds_cover_every_day_exactly_once() {
        let mut day = date!(2024 - 04 - 01);
        while day <= date!(2027 - 03 - 31) {
            let q = Period::containing(day).unwrap();
            assert!(q.contains(day));
            assert!(!q.next().unwrap().contains(day));
            assert!(!q.previous().unwrap().contains(day));
            day = day.next_day().unwrap();
        }
        assert_eq!(p("2026-27-Q4").first_day(), date!(2027 - 01 - 01));
        assert_eq!(p("2026-27-Q4").last_day(), date!(2027 - 03 - 31));
        assert_eq!(p("2027-28-Q4").last_day(), date!(2028 - 03 - 31));
    }

    #[test]
    fn next_and_previous_cross_year_boundaries() {
        assert_eq!(p("2026-27-Q4").next(), Some(p("2027-28-Q1")));
        assert_eq!(p("2027-28-Q1").previous(), Some(p("2026-27-Q4")));
        assert_eq!(p("2026-27-Q2").next(), Some(p("2026-27-Q3")));
        assert_eq!(p("1989-90-Q1").previous(), None);
    }

    #[test]
    fn a_year_has_four_quarters_in_order() {
        let y: FinancialYear = "2026-27".parse().unwrap();
        let qs = y.quarters().map(|q| q.to_string());
        assert_eq!(qs, ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]);
        assert_eq!(y.first_day(), date!(2026 - 04 - 01));
        assert_eq!(y.last_day(), date!(2027 - 03 - 31));
        assert_eq!(FinancialYear::containing(date!(2027 - 02 - 14)).unwrap(), y);
    }

    #[test]
    fn a_rolling_window_ends_at_the_quarter_oldest_first() {
        let w: Vec<String> = p("2027-28-Q2").window(4).iter().map(ToString::to_string).collect();
        assert_eq!(w, ["2026-27-Q3", "2026-27-Q4", "2027-28-Q1", "2027-28-Q2"]);
        assert_eq!(p("1989-90-Q2").window(4).len(), 2);
    }

    #[test]
    fn bad_years_are_refused_with_the_expected_form() {
        let err = "2026".parse::<FinancialYear>().unwrap_err();
        assert!(err.to_string().contains("YYYY-YY"), "{err}");
        assert!("2026-28".parse::<FinancialYear>().is_err());
    }

    #[test]
    fn periods_serialise_as_their_text() {
        let json = serde_json::to_string(&p("2026-27-Q2")).unwrap();
        assert_eq!(json, "\"2026-27-Q2\"");
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p("2026-27-Q2"));
        assert!(serde_json::from_str::<Period>("\"2026-27-Q9\"").is_err());
    }

    #[test]
    fn ordinals_are_consecutive_and_round_trip() {
        assert_eq!(p("2026-27-Q1").ordinal(), 8104);
        let mut q = p("1989-90-Q1");
        while let Some(next) = q.next() {
            assert_eq!(next.ordinal(), q.ordinal() + 1);
            assert_eq!(Period::from_ordinal(next.ordinal()), Some(next));
            q = next;
        }
        assert_eq!(Period::from_ordinal(p("2099-00-Q4").ordinal() + 1), None);
        assert_eq!(Period::from_ordinal(0), None);
    }

    #[test]
    fn periods_order_chronologically() {
        assert!(p("2026-27-Q4") < p("2027-28-Q1"));
        assert!(p("2026-27-Q1") < p("2026-27-Q2"));
    }
}
