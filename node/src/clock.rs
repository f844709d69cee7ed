//! The node's clock, injected (STYLE, habit 12): everything that reads "now" — a release's
//! creation time, the last finished quarter, approvals, the outbox and receipt times, imports —
//! takes it from a [`Clock`] it is given. The command line passes [`system`]; tests pass
//! [`fixed`] to put the node on any day they need.

use std::sync::Arc;

use msp_schemas::release::Timestamp;
use time::OffsetDateTime;

/// Where the node reads the time (the same shape as the coordinator's clock).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The system clock, in UTC.
pub fn system() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

/// A clock that always says `at`.
pub fn fixed(at: OffsetDateTime) -> Clock {
    Arc::new(move || at)
}

/// Now by `clock`, to the whole second, as the node records times.
pub fn now(clock: &Clock) -> Timestamp {
    Timestamp::from(clock())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_and_records_whole_seconds() {
        let at = time::macros::datetime!(2026-07-15 09:30:00.75 UTC);
        let clock = fixed(at);
        assert_eq!(clock(), at);
        assert_eq!(now(&clock).to_string(), "2026-07-15T09:30:00Z");
    }

    #[test]
    fn the_system_clock_is_in_utc() {
        assert_eq!(system()().offset(), time::UtcOffset::UTC);
    }
}
