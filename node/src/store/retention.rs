//! Removing stored cases: those a snapshot import's file no longer holds, and those received
//! before a date (retention). Each removal is written with its audit entry in one transaction;
//! neither touches the ledger or the stored releases: a quarter already released keeps its
//! release, and the next release reads the cases as they then stand.
//!
//! The concern date lives only inside the encoded record ([`super::record`]), so a removal selects
//! on the stored concern quarter first and decodes the records of the quarters at its edges
//! alone; whole quarters before a date go in one statement. Case ids are deleted in batches.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use msp_schemas::Period;
use msp_store::{
    Backend,
    sqlx::{self, Any, AssertSqlSafe, Row, Transaction},
};
use time::Date;

use super::{
    NodeStoreError, Store, audit,
    record::{StoredCase, day_number},
};
use crate::audit::{Action, Actor, Event};

/// Case ids per DELETE statement: well inside both backends' limits on bound parameters.
const DELETE_BATCH: usize = 1_000;

/// The cases a purge would remove, counted before asking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeCount {
    /// Cases received before the date.
    pub cases: u64,
    /// Of those, cases concluded on or after `needed_from`: the repeat-within-12-months flag of a
    /// release still reads them.
    pub still_needed: u64,
}

impl Store {
    /// Inside an import's transaction `tx`: removes every stored case whose concern date lies in
    /// `range` (first and last day; `None` removes nothing) and whose id `absent` holds (the stored
    /// ids the snapshot file did not mention), and records it in the audit log as `actor` with
    /// `detail`. Returns how many went.
    pub async fn remove_absent(
        &self,
        tx: &mut Transaction<'static, Any>,
        range: Option<(Date, Date)>,
        absent: &HashSet<Box<str>>,
        at: &str,
        actor: &Actor,
        detail: impl FnOnce(u64) -> String,
    ) -> Result<u64, NodeStoreError> {
        let gone = if let Some((first, last)) = range.filter(|_| !absent.is_empty()) {
            let (lo, hi) = (day_number(first), day_number(last));
            let quarters = (ordinal_of(first)?, ordinal_of(last)?);
            select_ids(tx, quarters, |id, day| (lo..=hi).contains(&day) && absent.contains(id)).await?
        } else {
            Vec::new()
        };
        delete_ids(tx, self.db.backend(), &gone).await?;
        let removed = gone.len() as u64;
        let event = Event { actor, action: Action::SnapshotRemoved, release: None, detail: detail(removed) };
        audit::append(&mut **tx, at, &event).await?;
        Ok(removed)
    }

    /// How many stored cases were received before `before`, and how many of those concluded on or
    /// after `needed_from`.
    pub async fn count_before(&self, before: Date, needed_from: Date) -> Result<PurgeCount, NodeStoreError> {
        let (q, lo, needed) = (ordinal_of(before)?, day_number(before), day_number(needed_from));
        let mut count = PurgeCount::default();
        let mut rows =
            sqlx::query("SELECT record FROM cases WHERE concern_quarter <= $1").bind(q).fetch(self.db.pool());
        while let Some(row) = rows.try_next().await? {
            let record: Vec<u8> = row.try_get(0)?;
            let case = StoredCase::decode(&record)?;
            if case.concern_day < lo {
                count.cases += 1;
                count.still_needed += u64::from(case.concluded_day.is_some_and(|d| d >= needed));
            }
        }
        Ok(count)
    }

    /// Removes every stored case received before `before`, in one transaction with its audit entry
    /// (as `actor`, with `detail` given the number removed). Returns how many went.
    pub async fn purge_before(
        &self,
        before: Date,
        at: &str,
        actor: &Actor,
        detail: impl FnOnce(u64) -> String,
    ) -> Result<u64, NodeStoreError> {
        let q = ordinal_of(before)?;
        let lo = day_number(before);
        let mut tx = self.db.begin().await?;
        let whole = sqlx::query("DELETE FROM cases WHERE concern_quarter < $1").bind(q).execute(&mut *tx).await?;
        // The quarter holding `before` goes case by case.
        let edge = select_ids(&mut tx, (q, q), |_, day| day < lo).await?;
        delete_ids(&mut tx, self.db.backend(), &edge).await?;
        let removed = whole.rows_affected() + edge.len() as u64;
        let event = Event { actor, action: Action::Purge, release: None, detail: detail(removed) };
        audit::append(&mut *tx, at, &event).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

/// The quarter ordinal of `date`, as stored.
fn ordinal_of(date: Date) -> Result<i64, NodeStoreError> {
    Period::containing(date)
        .map(|p| i64::from(p.ordinal()))
        .map_err(|e| NodeStoreError::CorruptSetting(format!("{date} lies outside the supported years: {e}")))
}

/// The ids of the stored cases received in the quarters `first..=last` (ordinals) for which
/// `keep(id, concern day)` holds, read through `tx`.
async fn select_ids(
    tx: &mut Transaction<'static, Any>,
    (first, last): (i64, i64),
    mut keep: impl FnMut(&str, i32) -> bool,
) -> Result<Vec<String>, NodeStoreError> {
    const SQL: &str = "SELECT case_id, record FROM cases WHERE concern_quarter >= $1 AND concern_quarter <= $2";
    let mut out = Vec::new();
    let mut rows = sqlx::query(SQL).bind(first).bind(last).fetch(&mut **tx);
    while let Some(row) = rows.try_next().await? {
        let id: String = row.try_get(0)?;
        let record: Vec<u8> = row.try_get(1)?;
        let day = StoredCase::decode(&record)?.concern_day;
        if keep(&id, day) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Deletes the cases `ids`, in batches.
async fn delete_ids(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    ids: &[String],
) -> Result<(), NodeStoreError> {
    for chunk in ids.chunks(DELETE_BATCH) {
        let sql = format!("DELETE FROM cases WHERE case_id IN {}", msp_store::placeholders(backend, 1, chunk.len(), 1));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
