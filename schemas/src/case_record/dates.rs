//! Dates as councils' exports write them.
//!
//! Reporting databases write dates in several shapes. These are read:
//! - ISO `2025-04-01`, with or without a time (`2025-04-01 00:00:00.000`, `2025-04-01T09:30:00`,
//!   `2025-04-01T09:30:00Z`); the time is ignored: a case record keeps days;
//! - day first with slashes, as the UK writes it: `1/4/2025`, `01/04/2025`;
//! - day, month name, year: `01-Apr-2025`, `1 Apr 2025`, `1 April 2025`.
//!
//! Nothing ambiguous is guessed: a two-digit year is refused (which century?), and slashes are
//! read day first. An export written month first (`4/1/2025` for 1 April) must say so in its
//! mapping (`date_order = "month_first"`), which reads slash dates that way instead
//! ([`parse_date_in`]). A year must also be plausible for a safeguarding record.

use time::{Date, Month};

/// Earliest and latest plausible years for a date in a case file. Every such date lies in a
/// financial quarter that `Period` supports.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1990..=2099;

/// How slash dates (`a/b/yyyy`) are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SlashOrder {
    /// Day first (`1/4/2025` is 1 April), as the UK writes dates.
    #[default]
    DayFirst,
    /// Month first (`4/1/2025` is 1 April), as some systems configured for the US write them.
    MonthFirst,
}

const ACCEPTED: &str = "write dates as YYYY-MM-DD (2026-05-31), DD/MM/YYYY (31/05/2026), DD-Mon-YYYY \
                        (31-May-2026) or D Month YYYY (31 May 2026); a time after the date is ignored";

fn bad() -> String {
    format!("not a date: {ACCEPTED}")
}

/// Parses a case-file date, slash dates day first.
pub fn parse_date(s: &str) -> Result<Date, String> {
    parse_date_in(s, SlashOrder::DayFirst)
}

/// Parses a case-file date, reading slash dates in `order`.
pub fn parse_date_in(s: &str, order: SlashOrder) -> Result<Date, String> {
    parse_in_years(s, order, DATE_YEARS)
}

/// Parses a date of birth (for a mapping that derives `age_band`): the same shapes, with years
/// back to 1880.
pub fn parse_birth_date(s: &str, order: SlashOrder) -> Result<Date, String> {
    parse_in_years(s, order, 1880..=*DATE_YEARS.end())
}

fn parse_in_years(s: &str, order: SlashOrder, years: std::ops::RangeInclusive<i32>) -> Result<Date, String> {
    let s = s.trim();
    let (y, m, d) = iso(s).or_else(|| slashed(s, order)).or_else(|| named(s)).ok_or_else(|| two_digit(s))?;
    let month = Month::try_from(m).map_err(|_| format!("not a date: there is no month {m}"))?;
    let date = Date::from_calendar_date(y, month, d).map_err(|_| format!("not a date: {month} {y} has no day {d}"))?;
    if !years.contains(&y) {
        return Err(format!(
            "the year {y} is implausible for a safeguarding record (expected {} to {})",
            years.start(),
            years.end()
        ));
    }
    Ok(date)
}

/// The reason for a date that parses as nothing: a plain "not a date", or why a two-digit year
/// is not read.
fn two_digit(s: &str) -> String {
    let last = s.rsplit(['/', '-', ' ']).next().unwrap_or("");
    if s.contains(['/', '-', ' ']) && last.len() == 2 && last.bytes().all(|b| b.is_ascii_digit()) {
        format!("not a date: the year {last:?} has two digits, and the century is not guessed; {ACCEPTED}")
    } else {
        bad()
    }
}

fn number<T: std::str::FromStr>(s: &str, digits: std::ops::RangeInclusive<usize>) -> Option<T> {
    (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `YYYY-MM-DD`, then optionally a space or `T` and a time of day.
fn iso(s: &str) -> Option<(i32, u8, u8)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 && !(matches!(b[10], b' ' | b'T') && time_of_day(&s[11..])) {
        return None;
    }
    Some((number(&s[0..4], 4..=4)?, number(&s[5..7], 2..=2)?, number(&s[8..10], 2..=2)?))
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, optionally with `Z` or an offset: only checked, not kept.
fn time_of_day(t: &str) -> bool {
    let t = t.trim_end_matches('Z');
    let t = t.split(['+']).next().unwrap_or(t);
    let mut parts = t.split(':');
    let hour = parts.next().and_then(|h| number::<u8>(h, 2..=2)).is_some_and(|h| h < 24);
    let minute = parts.next().and_then(|m| number::<u8>(m, 2..=2)).is_some_and(|m| m < 60);
    let second = parts.next().is_none_or(|sec| {
        let (whole, fraction) = sec.split_once('.').unwrap_or((sec, "0"));
        number::<u8>(whole, 2..=2).is_some_and(|s| s < 61) && number::<u32>(fraction, 1..=9).is_some()
    });
    hour && minute && second && parts.next().is_none()
}

/// `D/M/YYYY` (or month first): one or two digits, then four.
fn slashed(s: &str, order: SlashOrder) -> Option<(i32, u8, u8)> {
    let mut parts = s.split('/');
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (a, b, y): (u8, u8, i32) = (number(a, 1..=2)?, number(b, 1..=2)?, number(y, 4..=4)?);
    Some(match order {
        SlashOrder::DayFirst => (y, b, a),
        SlashOrder::MonthFirst => (y, a, b),
    })
}

/// `DD-Mon-YYYY`, `D Mon YYYY`, `D Month YYYY` (English month names, any case).
fn named(s: &str) -> Option<(i32, u8, u8)> {
    let parts: Vec<&str> = if s.contains('-') { s.split('-').collect() } else { s.split_whitespace().collect() };
    let [d, m, y] = parts[..] else { return None };
    let month = month_named(m)?;
    Some((number(y, 4..=4)?, month, number(d, 1..=2)?))
}

fn month_named(m: &str) -> Option<u8> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let m = m.to_ascii_lowercase();
    let m = m.strip_suffix('.').unwrap_or(&m);
    NAMES
        .iter()
        .position(|n| *n == m || (m.len() >= 3 && n.starts_with(m) && (m.len() == 3 || m == "sept")))
        .map(|i| i as u8 + 1)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_shapes_reporting_databases_write_are_read() {
        let april_first = date!(2025 - 04 - 01);
        for s in [
            "2025-04-01",
            "2025-04-01 00:00:00.000",
            "2025-04-01T09:30:00",
            "2025-04-01T09:30",
            "2025-04-01T09:30:00Z",
            "2025-04-01T09:30:00+01:00",
            "1/4/2025",
            "01/04/2025",
            "01-Apr-2025",
            "1-apr-2025",
            "1 Apr 2025",
            "1 April 2025",
            " 1 APRIL 2025 ",
        ] {
            assert_eq!(parse_date(s), Ok(april_first), "{s:?}");
        }
        assert_eq!(parse_date("30 Sept 2025"), Ok(date!(2025 - 09 - 30)));
        assert_eq!(parse_date_in("4/1/2025", SlashOrder::MonthFirst), Ok(april_first));
        assert_eq!(parse_date_in("2025-04-01", SlashOrder::MonthFirst), Ok(april_first));
    }

    #[test]
    fn nothing_ambiguous_or_malformed_is_guessed() {
        for s in ["1/4/25", "01-Apr-25", "1 April 25"] {
            let e = parse_date(s).unwrap_err();
            assert!(e.contains("two digits") && e.contains("century"), "{s}: {e}");
        }
        for s in [
            "2025-04-01 25:00",
            "2025-04-01x",
            "2025-4-1",
            "20250401",
            "1/4/2025/1",
            "1 Aprill 2025",
            "1 Ap 2025",
            "yesterday",
            "",
        ] {
            let e = parse_date(s).unwrap_err();
            assert!(e.starts_with("not a date"), "{s}: {e}");
        }
        assert!(parse_date("4/13/2025").unwrap_err().contains("no month 13"));
        assert!(parse_date("31-Feb-2026").unwrap_err().contains("has no day 31"));
        assert!(parse_date("1 Jan 1066").unwrap_err().contains("implausible"));
        assert_eq!(parse_birth_date("2/4/1931", SlashOrder::DayFirst), Ok(date!(1931 - 04 - 02)));
        assert!(parse_birth_date("1 Jan 1850", SlashOrder::DayFirst).unwrap_err().contains("1880"));
    }
}
