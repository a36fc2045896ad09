//! Connecting, the schema, and a small query builder that binds every value.

use std::time::Duration;

use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Executor};

pub use scim_filter::sql::Dialect;
use scim_filter::sql::SqlValue;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(i64),
    Bool(Option<bool>),
    Float(f64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(Some(s.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(Some(s))
    }
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Self::Text(s)
    }
}

impl From<Option<&str>> for Arg {
    fn from(s: Option<&str>) -> Self {
        Self::Text(s.map(str::to_owned))
    }
}

impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<Option<bool>> for Arg {
    fn from(b: Option<bool>) -> Self {
        Self::Bool(b)
    }
}

impl From<SqlValue> for Arg {
    fn from(v: SqlValue) -> Self {
        match v {
            SqlValue::Text(s) => Self::Text(Some(s)),
            SqlValue::Bool(b) => Self::Bool(Some(b)),
            SqlValue::Int(i) => Self::Int(i),
            SqlValue::Float(f) => Self::Float(f),
            other => Self::Text(Some(format!("{other:?}"))),
        }
    }
}

/// SQL text with its arguments: `q.p(value)` binds a value and returns its placeholder, in
/// the order the text uses them.
#[derive(Debug, Clone)]
pub(crate) struct Q {
    pub(crate) dialect: Dialect,
    pub(crate) args: Vec<Arg>,
}

impl Q {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            args: Vec::new(),
        }
    }

    /// Binds `value`; its placeholder.
    pub(crate) fn p(&mut self, value: impl Into<Arg>) -> String {
        self.args.push(value.into());
        match self.dialect {
            Dialect::Postgres => format!("${}", self.args.len()),
            _ => "?".to_owned(),
        }
    }

    /// A query over `sql` with the bound arguments.
    pub(crate) fn query<'q>(&self, sql: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        let mut query = sqlx::query(sql);
        for arg in &self.args {
            query = match arg.clone() {
                Arg::Text(s) => query.bind(s),
                Arg::Int(i) => query.bind(i),
                Arg::Bool(b) => query.bind(b),
                Arg::Float(f) => query.bind(f),
            };
        }
        query
    }
}

/// Opens a pool on `url` (`sqlite://scim.db?mode=rwc`, `postgres://...`) and creates the
/// tables if they are missing.
pub(crate) async fn connect(url: &str) -> Result<(AnyPool, Dialect), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let dialect = if url.starts_with("postgres") {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    };
    let pool = AnyPoolOptions::new()
        .max_connections(if dialect == Dialect::Sqlite { 4 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    // Foreign keys on, wait for the write lock rather than fail, readers
                    // alongside a writer, and LIKE that respects case (case-insensitive
                    // comparisons lower-case both sides).
                    for pragma in [
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA case_sensitive_like = ON",
                    ] {
                        conn.execute(pragma).await?;
                    }
                }
                Ok(())
            })
        })
        .connect(url)
        .await?;
    migrate(&pool, dialect).await?;
    Ok((pool, dialect))
}

/// The tables, as an app's own would look: real columns, child tables for emails, phone
/// numbers and memberships, and a JSON column for everything else (extensions included).
fn schema(dialect: Dialect) -> Vec<String> {
    let (serial, boolean) = match dialect {
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "BOOLEAN"),
        _ => ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
    };
    vec![
        "CREATE TABLE IF NOT EXISTS tenants (
            name TEXT PRIMARY KEY,
            enabled_flag TEXT NOT NULL DEFAULT 'yes',
            disabled_detail TEXT,
            created TEXT NOT NULL
        )"
        .to_owned(),
        "CREATE TABLE IF NOT EXISTS tokens (
            id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL REFERENCES tenants (name),
            label TEXT,
            digest TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT
        )"
        .to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS users (
            seq {serial},
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            user_name TEXT NOT NULL,
            user_name_ci TEXT NOT NULL,
            external_id TEXT,
            display_name TEXT,
            display_name_ci TEXT,
            given_name TEXT,
            family_name TEXT,
            middle_name TEXT,
            formatted_name TEXT,
            honorific_prefix TEXT,
            honorific_suffix TEXT,
            nick_name TEXT,
            profile_url TEXT,
            title TEXT,
            user_type TEXT,
            preferred_language TEXT,
            locale TEXT,
            timezone TEXT,
            active {boolean},
            extra TEXT NOT NULL,
            created TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            version BIGINT NOT NULL,
            UNIQUE (tenant, id),
            UNIQUE (tenant, user_name_ci)
        )"
        ),
        "CREATE INDEX IF NOT EXISTS users_external_id ON users (tenant, external_id)".to_owned(),
        "CREATE INDEX IF NOT EXISTS users_display_name ON users (tenant, display_name_ci)"
            .to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS user_emails (
            tenant TEXT NOT NULL,
            user_id TEXT NOT NULL,
            position BIGINT NOT NULL,
            value TEXT,
            value_ci TEXT,
            type TEXT,
            is_primary {boolean},
            display TEXT,
            extra TEXT,
            PRIMARY KEY (tenant, user_id, position),
            FOREIGN KEY (tenant, user_id) REFERENCES users (tenant, id) ON DELETE CASCADE
        )"
        ),
        // Value-path lookups (`emails[type eq "work"].value eq ...`) run as an uncorrelated
        // `IN (SELECT ...)` that starts from this index, whatever the number of users.
        "CREATE INDEX IF NOT EXISTS user_emails_by_value ON user_emails (value_ci, tenant)"
            .to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS user_phone_numbers (
            tenant TEXT NOT NULL,
            user_id TEXT NOT NULL,
            position BIGINT NOT NULL,
            value TEXT,
            type TEXT,
            is_primary {boolean},
            display TEXT,
            extra TEXT,
            PRIMARY KEY (tenant, user_id, position),
            FOREIGN KEY (tenant, user_id) REFERENCES users (tenant, id) ON DELETE CASCADE
        )"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS groups (
            seq {serial},
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            display_name TEXT,
            display_name_ci TEXT,
            external_id TEXT,
            extra TEXT NOT NULL,
            created TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            version BIGINT NOT NULL,
            UNIQUE (tenant, id),
            UNIQUE (tenant, display_name_ci)
        )"
        ),
        "CREATE INDEX IF NOT EXISTS groups_external_id ON groups (tenant, external_id)".to_owned(),
        "CREATE TABLE IF NOT EXISTS group_members (
            tenant TEXT NOT NULL,
            group_id TEXT NOT NULL,
            member_id TEXT NOT NULL,
            position BIGINT NOT NULL,
            type TEXT,
            display TEXT,
            ref TEXT,
            PRIMARY KEY (tenant, group_id, member_id),
            FOREIGN KEY (tenant, group_id) REFERENCES groups (tenant, id) ON DELETE CASCADE
        )"
        .to_owned(),
        "CREATE INDEX IF NOT EXISTS group_members_by_member ON group_members (member_id, tenant)"
            .to_owned(),
        // Indexes of earlier versions that the two above replace.
        "DROP INDEX IF EXISTS user_emails_value".to_owned(),
        "DROP INDEX IF EXISTS group_members_member".to_owned(),
        "CREATE INDEX IF NOT EXISTS group_members_order ON group_members (tenant, group_id, position)"
            .to_owned(),
    ]
}

/// Creates what is missing. On PostgreSQL an advisory lock keeps concurrent starts (several
/// server processes, parallel tests) from racing on the catalog.
async fn migrate(pool: &AnyPool, dialect: Dialect) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if dialect == Dialect::Postgres {
        tx.execute("SELECT pg_advisory_xact_lock(7643)").await?;
    }
    for statement in schema(dialect) {
        tx.execute(statement.as_str()).await?;
    }
    if dialect == Dialect::Postgres {
        // Databases created before a group's displayName became optional (RFC 7643 §4.2).
        tx.execute(
            "ALTER TABLE groups ALTER COLUMN display_name DROP NOT NULL, \
             ALTER COLUMN display_name_ci DROP NOT NULL",
        )
        .await?;
    }
    tx.commit().await
}
