//! Publication dates (schema 5): the operator's, for the quarters whose date is not the default
//! (see [`crate::publication`]).

use std::collections::BTreeMap;

use msp_schemas::Period;
use msp_store::{
    Migration,
    sqlx::{self, Row},
};
use time::Date;

use super::{CoordinatorStoreError, Result, Store};

/// Schema 5: publication dates.
pub const MIGRATION: Migration = Migration {
    version: 5,
    description: "publication dates",
    sqlite: include_str!("../../migrations/sqlite/0005_publication.sql"),
    postgres: include_str!("../../migrations/postgres/0005_publication.sql"),
};

impl Store {
    /// The publication dates the operator has set, by quarter.
    pub async fn publication_dates(&self) -> Result<BTreeMap<Period, Date>> {
        let rows = sqlx::query("SELECT period, publish_on FROM publication_dates").fetch_all(self.db().pool()).await?;
        rows.iter()
            .map(|r| {
                let (period, on): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                let corrupt =
                    |what: &str| CoordinatorStoreError::Corrupt(format!("publication date {what}: {period} {on}"));
                let period: Period = period.parse().map_err(|_| corrupt("period"))?;
                let on = Date::parse(&on, &time::format_description::well_known::Iso8601::DATE)
                    .map_err(|_| corrupt("date"))?;
                Ok((period, on))
            })
            .collect()
    }

    /// Sets `period`'s publication date to `on` (recorded as set at `at`).
    pub async fn set_publication_date(&self, period: Period, on: Date, at: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO publication_dates (period, publish_on, set_at) VALUES ($1, $2, $3)
             ON CONFLICT (period) DO UPDATE SET publish_on = excluded.publish_on, set_at = excluded.set_at",
        )
        .bind(period.to_string())
        .bind(on.to_string())
        .bind(at)
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    /// The quarters any release has been received for, oldest first.
    pub async fn quarters_with_releases(&self) -> Result<Vec<Period>> {
        let rows = sqlx::query("SELECT DISTINCT quarter FROM submissions ORDER BY quarter")
            .fetch_all(self.db().pool())
            .await?;
        rows.iter()
            .map(|r| {
                let n = r.try_get::<i64, _>(0)?;
                u32::try_from(n)
                    .ok()
                    .and_then(Period::from_ordinal)
                    .ok_or_else(|| CoordinatorStoreError::Corrupt(format!("stored quarter {n}")))
            })
            .collect()
    }

    /// Puts `period` back on its default publication date; whether it had another.
    pub async fn reset_publication_date(&self, period: Period) -> Result<bool> {
        let done = sqlx::query("DELETE FROM publication_dates WHERE period = $1")
            .bind(period.to_string())
            .execute(self.db().pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
