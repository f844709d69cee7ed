//! Every stored case row, whatever its quarters: for figures over a span that the stored quarter
//! columns cannot select, such as the Safeguarding Adults Collection's enquiries *started* in a
//! financial year (the start date lives only inside the encoded record).
//!
//! One portable query through sqlx on either backend. It costs a few microseconds a row more than
//! the release's direct SQLite read ([`super::scan`]), which is nothing for a yearly return.

use futures_util::TryStreamExt;
use msp_store::sqlx::{self, Row};

use super::{CaseSink, NodeStoreError, ScannedCase, Store, record::CorruptRecord};

impl Store {
    /// Shows `sink` every stored case row, in no particular order, and hands it back. The sink's
    /// key range is not applied: it sees every person.
    pub async fn scan_all_rows<S: CaseSink>(&self, mut sink: S) -> Result<S, NodeStoreError> {
        const SQL: &str = "SELECT person_key, case_id, concern_quarter, concluded_quarter, record FROM cases";
        let mut found = sqlx::query(SQL).fetch(self.db.pool());
        while let Some(row) = found.try_next().await? {
            let key: Vec<u8> = row.try_get(0)?;
            let case_id: String = row.try_get(1)?;
            let concern: i64 = row.try_get(2)?;
            let concluded: Option<i64> = row.try_get(3)?;
            let record: Vec<u8> = row.try_get(4)?;
            let quarter = |q: i64| u32::try_from(q).map_err(|_| CorruptRecord::new("quarter out of range"));
            sink.add(ScannedCase {
                person: key.as_slice().try_into().map_err(|_| CorruptRecord::new("person key length"))?,
                case_id: &case_id,
                concern_quarter: quarter(concern)?,
                concluded_quarter: concluded.map(quarter).transpose()?,
                record: &record,
            })?;
        }
        Ok(sink)
    }
}
