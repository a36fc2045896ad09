//! Tables as an app might have them, and their mappings, for the tests.
#![allow(dead_code, reason = "each test file uses part of it")]

use std::sync::Arc;

use scim_core::SchemaRegistry;
use scim_sqlx::{Child, Database, Dialect, IdKind, Mapping, Members, SqlStore, Table};

/// Multi-tenant tables with UUID ids, child tables for emails and phone numbers, a JSON
/// column for the rest, and groups with ordered members: `{schema}users` and so on.
pub(crate) fn tenant_tables(dialect: Dialect, schema: &str) -> String {
    if dialect == Dialect::Mysql {
        return mysql_tenant_tables(schema);
    }
    let (uuid, boolean, json) = match dialect {
        Dialect::Postgres => ("UUID", "BOOLEAN", "JSONB"),
        _ => ("TEXT", "INTEGER", "TEXT"),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {schema}users (
            id {uuid} PRIMARY KEY,
            org TEXT NOT NULL,
            email TEXT NOT NULL,
            display_name TEXT,
            first_name TEXT,
            last_name TEXT,
            job_title TEXT,
            active {boolean},
            department TEXT,
            profile {json}
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email ON {schema}users (org, lower(email));
        CREATE TABLE IF NOT EXISTS {schema}user_emails (
            user_id {uuid} NOT NULL REFERENCES {schema}users (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            address TEXT,
            kind TEXT,
            is_primary {boolean},
            display TEXT
        );
        CREATE INDEX IF NOT EXISTS user_emails_address ON {schema}user_emails (lower(address));
        CREATE INDEX IF NOT EXISTS user_emails_user ON {schema}user_emails (user_id);
        CREATE TABLE IF NOT EXISTS {schema}user_phones (
            user_id {uuid} NOT NULL REFERENCES {schema}users (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            number TEXT,
            kind TEXT,
            is_primary {boolean}
        );
        CREATE TABLE IF NOT EXISTS {schema}teams (
            id {uuid} PRIMARY KEY,
            org TEXT NOT NULL,
            name TEXT,
            extra {json}
        );
        CREATE UNIQUE INDEX IF NOT EXISTS teams_name ON {schema}teams (org, lower(name));
        CREATE TABLE IF NOT EXISTS {schema}team_members (
            team_id {uuid} NOT NULL REFERENCES {schema}teams (id) ON DELETE CASCADE,
            member TEXT NOT NULL,
            position INTEGER NOT NULL,
            display TEXT,
            kind TEXT,
            ref TEXT,
            PRIMARY KEY (team_id, member)
        );
        CREATE INDEX IF NOT EXISTS team_members_member ON {schema}team_members (member);"
    )
}

/// [`tenant_tables`] as a MySQL app has them: `VARCHAR(255)` where an index is (a `TEXT`
/// column takes none; a longer value is refused with `400`), unique emails and names through the columns' case-insensitive
/// collation (MariaDB has no index on `lower(...)`), indexes inline.
fn mysql_tenant_tables(schema: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {schema}users (
            id CHAR(36) PRIMARY KEY,
            org VARCHAR(64) NOT NULL,
            email VARCHAR(255) NOT NULL,
            display_name TEXT,
            first_name TEXT,
            last_name TEXT,
            job_title TEXT,
            active BOOLEAN,
            department TEXT,
            profile LONGTEXT,
            UNIQUE KEY users_email (org, email)
        );
        CREATE TABLE IF NOT EXISTS {schema}user_emails (
            user_id CHAR(36) NOT NULL,
            position INTEGER NOT NULL,
            address VARCHAR(255),
            kind VARCHAR(64),
            is_primary BOOLEAN,
            display VARCHAR(255),
            INDEX user_emails_address (address),
            INDEX user_emails_user (user_id),
            FOREIGN KEY (user_id) REFERENCES {schema}users (id) ON DELETE CASCADE
        );
        CREATE TABLE IF NOT EXISTS {schema}user_phones (
            user_id CHAR(36) NOT NULL,
            position INTEGER NOT NULL,
            number VARCHAR(64),
            kind VARCHAR(64),
            is_primary BOOLEAN,
            FOREIGN KEY (user_id) REFERENCES {schema}users (id) ON DELETE CASCADE
        );
        CREATE TABLE IF NOT EXISTS {schema}teams (
            id CHAR(36) PRIMARY KEY,
            org VARCHAR(64) NOT NULL,
            name VARCHAR(255),
            extra LONGTEXT,
            UNIQUE KEY teams_name (org, name)
        );
        CREATE TABLE IF NOT EXISTS {schema}team_members (
            team_id CHAR(36) NOT NULL,
            member VARCHAR(64) NOT NULL,
            position INTEGER NOT NULL,
            display VARCHAR(255),
            kind VARCHAR(16),
            ref VARCHAR(512),
            PRIMARY KEY (team_id, member),
            INDEX team_members_member (member),
            FOREIGN KEY (team_id) REFERENCES {schema}teams (id) ON DELETE CASCADE
        );"
    )
}

/// The mapping of [`tenant_tables`].
pub(crate) fn tenant_mapping(schema: &str) -> Mapping {
    Mapping::new(
        Table::new(format!("{schema}users"))
            .id("id", IdKind::Uuid)
            .tenant("org")
            .column("userName", "email")
            .column("displayName", "display_name")
            .column("name.givenName", "first_name")
            .column("name.familyName", "last_name")
            .column("title", "job_title")
            .column("active", "active")
            .column(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "department",
            )
            .child(
                "emails",
                Child::new(format!("{schema}user_emails"), "user_id")
                    .value("address")
                    .kind("kind")
                    .primary("is_primary")
                    .display("display")
                    .ordered_by("position"),
            )
            .child(
                "phoneNumbers",
                Child::new(format!("{schema}user_phones"), "user_id")
                    .value("number")
                    .kind("kind")
                    .primary("is_primary")
                    .ordered_by("position"),
            )
            .json("profile"),
    )
    .groups(
        Table::new(format!("{schema}teams"))
            .id("id", IdKind::Uuid)
            .tenant("org")
            .column("displayName", "name")
            .json("extra"),
        Members::new(format!("{schema}team_members"), "team_id", "member")
            .display("display")
            .kind("kind")
            .reference("ref")
            .ordered_by("position"),
    )
}

/// A fresh SQLite database file with `tables`.
pub(crate) async fn sqlite(tables: &str) -> Database {
    let path = std::env::temp_dir().join(format!("scim-sqlx-{}.db", uuid::Uuid::new_v4().simple()));
    let db = Database::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("SQLite opens");
    if let Database::Sqlite(pool) = &db {
        sqlx::raw_sql(tables).execute(pool).await.expect("tables");
    }
    db
}

/// The multi-tenant store on a fresh SQLite file.
pub(crate) async fn sqlite_tenant_store() -> SqlStore {
    let db = sqlite(&tenant_tables(Dialect::Sqlite, "")).await;
    SqlStore::open(db, tenant_mapping(""), Arc::new(SchemaRegistry::new()))
        .await
        .expect("the store opens")
}

/// The PostgreSQL schema a test binary works in, created afresh on its first use (its
/// cases then share it, each in a tenant of its own); `None` when PostgreSQL is not there
/// and not required.
pub(crate) async fn postgres(
    what: &str,
    schema: &str,
    tables: fn(Dialect, &str) -> String,
) -> Option<Database> {
    static FRESH: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let url = scim_core::testing::postgres::url(what)?;
    let db = Database::connect(&url).await.expect("PostgreSQL answers");
    let Database::Postgres(pool) = &db else {
        unreachable!("a postgres URL")
    };
    FRESH
        .get_or_init(|| async {
            let setup = format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; {}",
                tables(Dialect::Postgres, &format!("{schema}."))
            );
            sqlx::raw_sql(&setup)
                .execute(pool)
                .await
                .expect("the schema");
        })
        .await;
    Some(db)
}

/// The MySQL database (a schema, in PostgreSQL's terms) a test binary works in, created
/// afresh on its first use; `None` when MySQL is not there and not required.
pub(crate) async fn mysql(
    what: &str,
    schema: &str,
    tables: fn(Dialect, &str) -> String,
) -> Option<Database> {
    static FRESH: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let url = scim_core::testing::mysql::url(what)?;
    let db = Database::connect(&url).await.expect("MySQL answers");
    FRESH
        .get_or_init(|| async {
            let setup = format!(
                "DROP DATABASE IF EXISTS {schema}; \
                 CREATE DATABASE {schema} DEFAULT CHARACTER SET utf8mb4; {}",
                tables(Dialect::Mysql, &format!("{schema}."))
            );
            mysql_run(&db, &setup).await;
        })
        .await;
    Some(db)
}

/// Runs `sql` (statements) on MySQL.
pub(crate) async fn mysql_run(db: &Database, sql: &str) {
    let Database::Mysql(pool) = db else {
        unreachable!("a mysql URL")
    };
    sqlx::raw_sql(sql)
        .execute(pool)
        .await
        .expect("MySQL runs the setup");
}
