//! Named comparator groups (schema 6): their ids, names, owners and councils, as plain data
//! (the benchmarks make their comparator groups from them).

use msp_schemas::CouncilCode;
use msp_store::{
    Migration,
    sqlx::{self, Row},
};

use super::{CoordinatorStoreError, Result, Store};

/// A named group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGroup {
    /// Its id.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// The council it was saved for, if any.
    pub owner: Option<CouncilCode>,
    /// Its councils, in code order.
    pub members: Vec<CouncilCode>,
}

/// Schema 6: comparator groups.
pub const MIGRATION: Migration = Migration {
    version: 6,
    description: "comparator groups",
    sqlite: include_str!("../../migrations/sqlite/0006_comparator_groups.sql"),
    postgres: include_str!("../../migrations/postgres/0006_comparator_groups.sql"),
};

impl Store {
    /// Every named group with its councils.
    pub async fn comparators(&self) -> Result<Vec<StoredGroup>> {
        let groups = sqlx::query("SELECT slug, name, owner FROM comparator_groups ORDER BY slug")
            .fetch_all(self.db().pool())
            .await?;
        let members = sqlx::query("SELECT slug, council FROM comparator_members ORDER BY slug, council")
            .fetch_all(self.db().pool())
            .await?;
        let corrupt = |what: String| CoordinatorStoreError::Corrupt(format!("comparator group {what}"));
        let mut out = Vec::with_capacity(groups.len());
        for g in &groups {
            let slug: String = g.try_get(0)?;
            let owner: Option<String> = g.try_get(2)?;
            let councils = members
                .iter()
                .filter(|m| m.try_get::<String, _>(0).is_ok_and(|s| s == slug))
                .map(|m| {
                    let c: String = m.try_get(1)?;
                    c.parse::<CouncilCode>().map_err(|_| corrupt(format!("{slug}: council {c}")))
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(StoredGroup {
                slug: slug.clone(),
                name: g.try_get(1)?,
                owner: owner.map(|o| o.parse().map_err(|_| corrupt(format!("{slug}: owner {o}")))).transpose()?,
                members: councils,
            });
        }
        Ok(out)
    }

    /// What the named groups are now, in one short string that changes whenever any is defined,
    /// redefined or removed (so that cached benchmarks know to read them again).
    pub async fn comparators_stamp(&self) -> Result<String> {
        let row =
            sqlx::query("SELECT COUNT(*), MAX(defined_at) FROM comparator_groups").fetch_one(self.db().pool()).await?;
        let (n, at): (i64, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
        Ok(format!("{n}:{}", at.unwrap_or_default()))
    }

    /// Defines (or redefines, replacing its councils) the named group `g`, at `at`, in one transaction.
    pub async fn define_comparator(&self, g: &StoredGroup, at: &str) -> Result<()> {
        let mut tx = self.db().begin().await?;
        sqlx::query("DELETE FROM comparator_members WHERE slug = $1").bind(&g.slug).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM comparator_groups WHERE slug = $1").bind(&g.slug).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO comparator_groups (slug, name, owner, defined_at) VALUES ($1, $2, $3, $4)")
            .bind(&g.slug)
            .bind(&g.name)
            .bind(g.owner.map(|o| o.as_str().to_owned()))
            .bind(at)
            .execute(&mut *tx)
            .await?;
        for c in &g.members {
            sqlx::query("INSERT INTO comparator_members (slug, council) VALUES ($1, $2)")
                .bind(&g.slug)
                .bind(c.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a named group; whether there was one.
    pub async fn remove_comparator(&self, slug: &str) -> Result<bool> {
        let mut tx = self.db().begin().await?;
        sqlx::query("DELETE FROM comparator_members WHERE slug = $1").bind(slug).execute(&mut *tx).await?;
        let done = sqlx::query("DELETE FROM comparator_groups WHERE slug = $1").bind(slug).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
