//! The clock the coordinator reads: injected, so tests can fix the time (when a quarter has
//! ended, when a receipt or tree head was signed).

use std::sync::Arc;

use time::OffsetDateTime;

/// The clock the coordinator reads.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}
