//! The SCIM 2.0 reference server's parts: its tables mapped onto a [`scim_sqlx::SqlStore`]
//! (SQLite, PostgreSQL or MySQL/MariaDB), and [`Admin`] (tenants and tokens in the same database).
//!
//! `main.rs` puts them behind axum. `tables.rs` is the whole store: the tables an app
//! might have, and which SCIM attribute is which column.

mod admin;
pub mod metrics;
mod tables;

use std::sync::Arc;

use scim_core::SchemaRegistry;
use scim_sqlx::{Database, SqlStore};

pub use admin::{Admin, DEFAULT_TENANT, TenantRow};

/// Why the server's database could not be opened.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Opens the database at `url` (`sqlite://PATH`, the file created if missing,
/// `postgres://...` or `mysql://...`), creates the tables that are missing, and returns the SCIM store and
/// the admin over it.
pub async fn open(url: &str, registry: Arc<SchemaRegistry>) -> Result<(SqlStore, Admin), Error> {
    // `sqlite:///var/lib/scim/scim.db`: the directory too, as a server's data directory.
    if let Some(path) = url.strip_prefix("sqlite://")
        && let Some(parent) = std::path::Path::new(path.split('?').next().unwrap_or(path)).parent()
        && !path.contains(":memory:")
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating the directory {} for {url}: {e}", parent.display()))?;
    }
    let db = Database::connect(url)
        .await
        .map_err(|e| format!("the database at {url}: {e}"))?;
    refuse_old_layout(&db).await?;
    // DDL only when something is missing: even `IF NOT EXISTS` takes locks on PostgreSQL
    // that can deadlock with other processes' writes. The last object each script creates
    // tells whether it ran to the end.
    // MySQL's indexes are made with their tables: there, the last table.
    let last = match db.dialect() {
        scim_sqlx::Dialect::Mysql => "group_members",
        _ => "group_members_member",
    };
    if !exists(&db, last).await? {
        let tables = tables::tables(db.dialect());
        run(&db, &tables, 7642).await?;
    }
    if !exists(&db, "tokens").await? {
        run(&db, &admin::for_dialect(&db, admin::TABLES), 7643).await?;
    }
    if !exists(&db, "tenant_policies").await? {
        run(&db, &admin::for_dialect(&db, admin::POLICIES), 7643).await?;
    }
    if !exists(&db, "server_secrets").await? {
        run(&db, &admin::for_dialect(&db, admin::SECRETS), 7643).await?;
    }
    let admin = Admin::new(db.clone());
    let mapping = tables::mapping(db.dialect());
    let store = SqlStore::open(db, mapping, registry).await?;
    Ok((store, admin))
}

/// A database of the servers before the tables were an app's own (`users.user_name_ci`)
/// cannot be read by this one: say so, rather than fail on a missing column later.
async fn refuse_old_layout(db: &Database) -> Result<(), Error> {
    let probe = "SELECT user_name_ci FROM users LIMIT 0";
    let old = match db {
        Database::Sqlite(pool) => sqlx::query(probe).fetch_all(pool).await.is_ok(),
        Database::Postgres(pool) => sqlx::query(probe).fetch_all(pool).await.is_ok(),
        Database::Mysql(pool) => sqlx::query(probe).fetch_all(pool).await.is_ok(),
        _ => false,
    };
    if old {
        return Err(
            "this database has the tables of an earlier reference server (users with \
                    user_name_ci); their layout changed: start on a new database, and let the \
                    directory provision it again"
                .into(),
        );
    }
    Ok(())
}

/// Whether the table `name` exists (on SQLite and PostgreSQL, an index too).
async fn exists(db: &Database, name: &str) -> Result<bool, Error> {
    let found: Option<String> = match db {
        Database::Sqlite(pool) => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        }
        Database::Postgres(pool) => {
            sqlx::query_scalar("SELECT to_regclass($1)::text")
                .bind(name)
                .fetch_one(pool)
                .await?
        }
        Database::Mysql(pool) => {
            sqlx::query_scalar(
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = ?",
            )
            .bind(name)
            .fetch_optional(pool)
            .await?
        }
        _ => return Err("an unknown database".into()),
    };
    Ok(found.is_some())
}

/// Runs the DDL `script`; on PostgreSQL in one transaction holding the advisory lock
/// `lock`, so processes starting together do not race on the catalog (on MySQL, DDL
/// commits at once, and `CREATE TABLE IF NOT EXISTS` is safe to race).
async fn run(db: &Database, script: &str, lock: i64) -> Result<(), Error> {
    match db {
        Database::Sqlite(pool) => sqlx::raw_sql(script).execute(pool).await.map(drop)?,
        Database::Postgres(pool) => {
            let script = format!("BEGIN; SELECT pg_advisory_xact_lock({lock}); {script}; COMMIT");
            sqlx::raw_sql(&script).execute(pool).await.map(drop)?;
        }
        Database::Mysql(pool) => sqlx::raw_sql(script).execute(pool).await.map(drop)?,
        _ => return Err("an unknown database".into()),
    }
    Ok(())
}
