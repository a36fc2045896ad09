//! The database: a SQLite, PostgreSQL or MySQL pool through sqlx's typed drivers, SQL text with
//! every value bound, transactions, and rows read by column name.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use scim_filter::sql::Dialect;
use scim_filter::sql::SqlValue;
#[cfg(feature = "mysql")]
use sqlx::mysql::{MySqlPool, MySqlPoolOptions, MySqlRow};
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row as _, Transaction};
use uuid::Uuid;

/// A pool of connections to SQLite, PostgreSQL or MySQL/MariaDB. Cheap to clone.
///
/// [`Database::connect`] opens one from a URL; an app with a pool of its own wraps it
/// ([`Database::Sqlite`], [`Database::Postgres`], [`Database::Mysql`]) so that SCIM and
/// the app share it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Database {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
    /// MySQL 8 or MariaDB 10.6 and later. A pool of the app's own should let
    /// `GROUP_CONCAT` make long texts (`SET SESSION group_concat_max_len = 16777216` in
    /// `after_connect`, as [`Database::connect`] does): a resource's emails and a group's
    /// members are read as one text each, and MySQL cuts it at 1,024 bytes by default.
    #[cfg(feature = "mysql")]
    Mysql(MySqlPool),
}

/// The longest text `GROUP_CONCAT` makes on the store's MySQL connections: 16 MiB, a
/// group of some 200,000 members.
#[cfg(feature = "mysql")]
const GROUP_CONCAT_MAX_LEN: &str = "SET SESSION group_concat_max_len = 16777216";

impl Database {
    /// Opens a pool on `url`: `sqlite://PATH` (the file is created if missing; also
    /// `sqlite::memory:`), `postgres://...` or `mysql://...` (also `mariadb://...`). SQLite connections run in WAL mode with
    /// `synchronous = NORMAL` (a crash of the app loses nothing; a power loss may lose the
    /// last commits: wrap your own pool for `FULL`), wait for locks (5 s) and enforce foreign
    /// keys. A pool of the app's own ([`Database::Sqlite`]) needs no setting: comparisons
    /// never depend on `case_sensitive_like`.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            #[cfg(feature = "postgres")]
            {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                return Ok(Self::Postgres(pool));
            }
            #[cfg(not(feature = "postgres"))]
            return Err(sqlx::Error::Configuration(
                "this build of scim-sqlx has no PostgreSQL driver (feature `postgres`)".into(),
            ));
        }
        if url.starts_with("mysql:") || url.starts_with("mariadb:") {
            #[cfg(feature = "mysql")]
            {
                let url = url.replacen("mariadb:", "mysql:", 1);
                let pool = MySqlPoolOptions::new()
                    .max_connections(16)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query(GROUP_CONCAT_MAX_LEN)
                                .execute(&mut *conn)
                                .await
                                .map(drop)
                        })
                    })
                    .connect(&url)
                    .await?;
                return Ok(Self::Mysql(pool));
            }
            #[cfg(not(feature = "mysql"))]
            return Err(sqlx::Error::Configuration(
                "this build of scim-sqlx has no MySQL driver (feature `mysql`)".into(),
            ));
        }
        if url.starts_with("sqlite:") {
            #[cfg(feature = "sqlite")]
            {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    // Safe in WAL mode: a crash of the app loses nothing committed; a power
                    // loss may lose the last commits, never corrupts (SQLite's advice).
                    .synchronous(SqliteSynchronous::Normal);
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                let pool = SqlitePoolOptions::new()
                    // An in-memory database lives as long as its one connection.
                    .max_connections(if memory { 1 } else { sqlite_connections() })
                    .min_connections(u32::from(memory))
                    .test_before_acquire(false)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                return Ok(Self::Sqlite(pool));
            }
            #[cfg(not(feature = "sqlite"))]
            return Err(sqlx::Error::Configuration(
                "this build of scim-sqlx has no SQLite driver (feature `sqlite`)".into(),
            ));
        }
        Err(sqlx::Error::Configuration(
            format!("a database URL starts with sqlite:, postgres: or mysql:, not {url:?}").into(),
        ))
    }

    /// Which SQL this database speaks.
    pub fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Self::Mysql(_) => Dialect::Mysql,
        }
    }

    /// A transaction; on SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// writer waits for another instead of failing when it upgrades from reading.
    ///
    /// On SQLite, `writers` queues this process's writers first (held until the transaction
    /// ends): they take turns in order, where SQLite's busy handler would have them sleep
    /// and retry (up to 100 ms a turn, hence long tails under write load). Other processes
    /// still wait on the busy handler.
    pub(crate) async fn begin(
        &self,
        writers: &Arc<tokio::sync::Mutex<()>>,
    ) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(pool) => {
                let turn = Arc::clone(writers).lock_owned().await;
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(pool) => {
                let _ = writers;
                Tx::Postgres(pool.begin().await?)
            }
            #[cfg(feature = "mysql")]
            Self::Mysql(pool) => {
                let _ = writers;
                Tx::Mysql(pool.begin().await?)
            }
        })
    }

    /// Whether the database answers: runs `SELECT 1` on a connection of the pool. For a
    /// readiness probe; bound it with a timeout (a pool waits up to 10 s for a connection).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.run("SELECT 1").await
    }

    /// Closes the pool: waits for the connections in use to be given back, then closes
    /// every one. Later uses of the pool fail.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(pool) => pool.close().await,
            #[cfg(feature = "mysql")]
            Self::Mysql(pool) => pool.close().await,
        }
    }

    /// Runs `sql` (statements without parameters, such as DDL).
    pub(crate) async fn run(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            #[cfg(feature = "postgres")]
            Self::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            #[cfg(feature = "mysql")]
            Self::Mysql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
    }
}

/// How many SQLite connections a pool opens: two per core, at least four. Each runs on a
/// thread of its own (sqlx's design), and SQLite writes one at a time: more connections
/// than that only add thread switches (on two cores, eight connections answered 10%
/// fewer GETs and 20-30% fewer writes than four).
#[cfg(feature = "sqlite")]
fn sqlite_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).clamp(4, 16)
}

/// A transaction on either database.
pub(crate) enum Tx {
    /// With this process's turn to write (see [`Database::begin`]).
    #[cfg(feature = "sqlite")]
    Sqlite(
        Transaction<'static, sqlx::Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    #[cfg(feature = "postgres")]
    Postgres(Transaction<'static, sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    Mysql(Transaction<'static, sqlx::MySql>),
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx, _turn) => tx.commit().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => tx.commit().await,
            #[cfg(feature = "mysql")]
            Self::Mysql(tx) => tx.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx, _turn) => tx.rollback().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => tx.rollback().await,
            #[cfg(feature = "mysql")]
            Self::Mysql(tx) => tx.rollback().await,
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Float(Option<f64>),
    /// A UUID: `uuid` in PostgreSQL, its text in SQLite.
    Uuid(Option<Uuid>),
    /// JSON text: `jsonb` in PostgreSQL, text in SQLite.
    Json(Option<String>),
}

impl Arg {
    /// Whether this binds SQL `NULL`.
    pub(crate) fn is_null(&self) -> bool {
        match self {
            Self::Text(v) | Self::Json(v) => v.is_none(),
            Self::Int(v) => v.is_none(),
            Self::Bool(v) => v.is_none(),
            Self::Float(v) => v.is_none(),
            Self::Uuid(v) => v.is_none(),
        }
    }
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

impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Self::Int(Some(i))
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Self {
        Self::Bool(Some(b))
    }
}

impl From<SqlValue> for Arg {
    fn from(v: SqlValue) -> Self {
        match v {
            SqlValue::Text(s) => Self::Text(Some(s)),
            SqlValue::Bool(b) => Self::Bool(Some(b)),
            SqlValue::Int(i) => Self::Int(Some(i)),
            SqlValue::Float(f) => Self::Float(Some(f)),
            SqlValue::Uuid(u) => Self::Uuid(Uuid::parse_str(&u).ok()),
            // A value kind added later: as text, which every column compares with.
            other => Self::Text(Some(format!("{other:?}"))),
        }
    }
}

/// SQL text's arguments: `q.p(value)` binds a value and answers its placeholder, in the
/// order the text uses them.
#[derive(Debug, Clone)]
pub(crate) struct Q {
    dialect: Dialect,
    args: Vec<Arg>,
}

impl Q {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            args: Vec::new(),
        }
    }

    /// The SQL this statement is written in.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// How many values are bound.
    pub(crate) fn len(&self) -> usize {
        self.args.len()
    }

    /// Binds `value`; its placeholder.
    pub(crate) fn p(&mut self, value: impl Into<Arg>) -> String {
        let value = value.into();
        let json = matches!(value, Arg::Json(_));
        self.args.push(value);
        match self.dialect {
            Dialect::Postgres if json => format!("${}::jsonb", self.args.len()),
            Dialect::Postgres => format!("${}", self.args.len()),
            _ => "?".to_owned(),
        }
    }

    /// Binds values a filter translation already numbered (after this query's own).
    pub(crate) fn extend(&mut self, values: Vec<SqlValue>) {
        self.args.extend(values.into_iter().map(Arg::from));
    }

    /// Runs `sql` in `tx`; how many rows it changed.
    pub(crate) async fn execute(&self, tx: &mut Tx, sql: &str) -> Result<u64, sqlx::Error> {
        match tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(tx, _) => Ok(sqlite_query(sql, &self.args)
                .execute(&mut **tx)
                .await?
                .rows_affected()),
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => Ok(pg_query(sql, &self.args)
                .execute(&mut **tx)
                .await?
                .rows_affected()),
            #[cfg(feature = "mysql")]
            Tx::Mysql(tx) => Ok(mysql_query(sql, &self.args)
                .execute(&mut **tx)
                .await?
                .rows_affected()),
        }
    }

    /// The rows `sql` answers, in `tx`.
    pub(crate) async fn fetch_in(&self, tx: &mut Tx, sql: &str) -> Result<Vec<Row>, sqlx::Error> {
        match tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(tx, _) => Ok(sqlite_query(sql, &self.args)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect()),
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => Ok(pg_query(sql, &self.args)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect()),
            #[cfg(feature = "mysql")]
            Tx::Mysql(tx) => Ok(mysql_query(sql, &self.args)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Mysql)
                .collect()),
        }
    }

    /// The rows `sql` answers, on the pool.
    pub(crate) async fn fetch(&self, db: &Database, sql: &str) -> Result<Vec<Row>, sqlx::Error> {
        match db {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(pool) => Ok(sqlite_query(sql, &self.args)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect()),
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => Ok(pg_query(sql, &self.args)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect()),
            #[cfg(feature = "mysql")]
            Database::Mysql(pool) => Ok(mysql_query(sql, &self.args)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(Row::Mysql)
                .collect()),
        }
    }
}

#[cfg(feature = "sqlite")]
fn sqlite_query<'q>(
    sql: &'q str,
    args: &[Arg],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg.clone() {
            Arg::Text(v) | Arg::Json(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
            Arg::Float(v) => query.bind(v),
            Arg::Uuid(v) => query.bind(v.map(|u| u.hyphenated().to_string())),
        };
    }
    query
}

#[cfg(feature = "postgres")]
fn pg_query<'q>(
    sql: &'q str,
    args: &[Arg],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg.clone() {
            Arg::Text(v) | Arg::Json(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
            Arg::Float(v) => query.bind(v),
            Arg::Uuid(v) => query.bind(v),
        };
    }
    query
}

#[cfg(feature = "mysql")]
fn mysql_query<'q>(
    sql: &'q str,
    args: &[Arg],
) -> sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg.clone() {
            Arg::Text(v) | Arg::Json(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
            Arg::Float(v) => query.bind(v),
            // UUIDs are text in MySQL (CHAR(36)), as in SQLite.
            Arg::Uuid(v) => query.bind(v.map(|u| u.hyphenated().to_string())),
        };
    }
    query
}

/// A row of any database, read by column name. Absent and mistyped values read as
/// `None`: the store writes every column it reads.
pub(crate) enum Row {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(PgRow),
    #[cfg(feature = "mysql")]
    Mysql(MySqlRow),
}

macro_rules! get {
    ($row:expr, $name:expr, $ty:ty) => {
        match $row {
            #[cfg(feature = "sqlite")]
            Row::Sqlite(row) => row.try_get::<Option<$ty>, _>($name).ok().flatten(),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => row.try_get::<Option<$ty>, _>($name).ok().flatten(),
            #[cfg(feature = "mysql")]
            Row::Mysql(row) => row.try_get::<Option<$ty>, _>($name).ok().flatten(),
        }
    };
}

impl Row {
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self {
            // Expressions (`CAST(... AS CHAR)`, `GROUP_CONCAT`) may come back as bytes.
            #[cfg(feature = "mysql")]
            Self::Mysql(row) => get!(self, name, String).or_else(|| {
                let bytes = row.try_get::<Option<Vec<u8>>, _>(name).ok().flatten()?;
                String::from_utf8(bytes).ok()
            }),
            #[allow(unreachable_patterns, reason = "with the mysql feature only")]
            _ => get!(self, name, String),
        }
    }

    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => get!(self, name, i64),
            // INTEGER columns are `int4`, BIGINT ones `int8`.
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => {
                get!(self, name, i64).or_else(|| get!(self, name, i32).map(i64::from))
            }
            // INT, TINYINT (booleans), BIGINT UNSIGNED (`AUTO_INCREMENT`, `COUNT(*)`),
            // DECIMAL (`SUM`): each its own Rust type in sqlx.
            #[cfg(feature = "mysql")]
            Self::Mysql(row) => row
                .try_get::<Option<i64>, _>(name)
                .ok()
                .flatten()
                .or_else(|| {
                    row.try_get::<Option<i32>, _>(name)
                        .ok()
                        .flatten()
                        .map(i64::from)
                })
                .or_else(|| {
                    row.try_get::<Option<i8>, _>(name)
                        .ok()
                        .flatten()
                        .map(i64::from)
                })
                .or_else(|| {
                    let n = row.try_get::<Option<u64>, _>(name).ok().flatten()?;
                    i64::try_from(n).ok()
                }),
        }
    }

    pub(crate) fn float(&self, name: &str) -> Option<f64> {
        get!(self, name, f64).or_else(|| self.int(name).map(|i| i as f64))
    }

    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        get!(self, name, bool).or_else(|| self.int(name).map(|i| i != 0))
    }
}

/// Whether `err` is a unique index refusing a value.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// The column a NOT NULL or CHECK constraint refused a value for, if `err` is one: SQLite
/// says `NOT NULL constraint failed: table.column`, PostgreSQL `null value in column
/// "column" of relation ...`, MySQL `Column 'column' cannot be null` or `Field 'column'
/// doesn't have a default value`. `Some("")` when the column is not named.
pub(crate) fn refused_column(err: &sqlx::Error) -> Option<String> {
    use sqlx::error::ErrorKind;
    let db = err.as_database_error()?;
    let message = db.message();
    // MySQL's errors 1048 and 1364 (sqlx gives them no kind).
    for (before, after) in [
        ("Column '", "' cannot be null"),
        ("Field '", "' doesn't have"),
    ] {
        if let Some(rest) = message.strip_prefix(before)
            && let Some((column, _)) = rest.split_once(after)
        {
            return Some(column.to_owned());
        }
    }
    if !matches!(
        db.kind(),
        ErrorKind::NotNullViolation | ErrorKind::CheckViolation
    ) {
        return None;
    }
    let named = message
        .strip_prefix("NOT NULL constraint failed: ")
        .map(|rest| rest.rsplit('.').next().unwrap_or(rest).to_owned())
        .or_else(|| {
            let rest = message.split_once("column \"")?.1;
            Some(rest.split_once('"')?.0.to_owned())
        });
    Some(named.unwrap_or_default())
}

/// The column a value was too long for, if `err` says so: MySQL's `Data too long for
/// column 'column' at row 1` (strict mode, the default), PostgreSQL's `value too long for
/// type character varying(n)` (`Some("")`: it names no column).
pub(crate) fn too_long_column(err: &sqlx::Error) -> Option<String> {
    let db = err.as_database_error()?;
    let message = db.message();
    if let Some(rest) = message.strip_prefix("Data too long for column '") {
        return Some(rest.split_once('\'').map_or(rest, |(c, _)| c).to_owned());
    }
    (db.code().as_deref() == Some("22001")).then(String::new)
}

/// Whether `err` is a foreign key refusing a reference.
pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_foreign_key_violation())
}
