//! Migrations on real databases: applied once, in order; a newer or altered schema is refused.

use msp_store::{Db, Migration, StoreError, sqlx, testing::databases};
use sqlx::Row;

const V1: Migration = Migration {
    version: 1,
    description: "a table",
    sqlite: "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    postgres: "CREATE TABLE things (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);",
};
const V2: Migration = Migration {
    version: 2,
    description: "a column and an index",
    sqlite: "ALTER TABLE things ADD COLUMN size BIGINT; CREATE INDEX things_size ON things(size);",
    postgres: "ALTER TABLE things ADD COLUMN size BIGINT; CREATE INDEX things_size ON things(size);",
};

#[tokio::test]
async fn migrations_apply_in_order_once_and_queries_run_on_both_backends() {
    for tdb in databases().await {
        let db = Db::open(&tdb.url, &[V1]).await.unwrap();
        assert_eq!(db.schema_version().await.unwrap(), 1);
        sqlx::query("INSERT INTO things (name) VALUES ($1)").bind("a").execute(db.pool()).await.unwrap();
        db.close().await;

        let db = Db::open(&tdb.url, &[V1, V2]).await.unwrap();
        assert_eq!(db.schema_version().await.unwrap(), 2);
        sqlx::query("UPDATE things SET size = $1 WHERE name = $2")
            .bind(3i64)
            .bind("a")
            .execute(db.pool())
            .await
            .unwrap();
        let row = sqlx::query("SELECT name, size FROM things").fetch_one(db.pool()).await.unwrap();
        assert_eq!(row.try_get::<String, _>(0).unwrap(), "a");
        assert_eq!(row.try_get::<i64, _>(1).unwrap(), 3);
        db.close().await;

        // Opening again applies nothing and keeps the data.
        let db = Db::open(&tdb.url, &[V1, V2]).await.unwrap();
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM things").fetch_one(db.pool()).await.unwrap().try_get(0).unwrap();
        assert_eq!(n, 1, "{:?}", tdb.backend);
        db.close().await;
    }
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused_with_advice() {
    for tdb in databases().await {
        Db::open(&tdb.url, &[V1, V2]).await.unwrap().close().await;
        let err = Db::open(&tdb.url, &[V1]).await.unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 2, known: 1, .. }), "{err}");
        assert!(err.to_string().contains("upgrade"), "{err}");
    }
}

#[tokio::test]
async fn an_altered_migration_is_refused() {
    for tdb in databases().await {
        Db::open(&tdb.url, &[V1]).await.unwrap().close().await;
        let altered = Migration {
            sqlite: "CREATE TABLE things (id INTEGER);",
            postgres: "CREATE TABLE things (id BIGINT);",
            ..V1
        };
        let err = Db::open(&tdb.url, &[altered]).await.unwrap_err();
        assert!(matches!(err, StoreError::Tampered { version: 1, .. }), "{err}");
    }
}

#[tokio::test]
async fn an_unreachable_server_gives_a_clear_error_without_the_password() {
    let err = Db::open("postgres://app:hunter2@127.0.0.1:1/msp", &[V1]).await.unwrap_err().to_string();
    assert!(err.contains("could not open the database at postgres://app:***@127.0.0.1:1/msp"), "{err}");
    assert!(!err.contains("hunter2"));
}
