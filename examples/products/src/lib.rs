//! What the five product binaries share: their command line, their database (a SQLite
//! file in the working directory unless `--database-url` says otherwise) with the product's
//! own tables, the tenant's tokens, and serving. Each binary in `src/bin/` is one product's
//! provisioning as its Entra guide describes it.

use axum::Router;
use scim_core::engine::{TokenOptions, Tokens};
use scim_sqlx::{Database, Dialect};

/// Any error a product reports at start, printed as its message when `main` returns it
/// (`Error: the tenant "default" has 2 active tokens...`), not as a struct.
pub struct Error(Box<dyn std::error::Error + Send + Sync>);

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> From<E> for Error {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// The command line: `--name VALUE`, `--name=VALUE` and `--flag`.
#[derive(Debug, Clone)]
pub struct Args(Vec<String>);

impl Args {
    /// The process's arguments.
    pub fn from_env() -> Self {
        Self(std::env::args().skip(1).collect())
    }

    /// Every value given to `--name`, in order.
    pub fn values(&self, name: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut args = self.0.iter();
        while let Some(arg) = args.next() {
            if arg == name {
                found.extend(args.next().cloned());
            } else if let Some(value) = arg.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
                found.push(value.to_owned());
            }
        }
        found
    }

    /// The last value given to `--name`.
    pub fn value(&self, name: &str) -> Option<String> {
        self.values(name).pop()
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|arg| arg == name)
    }
}

/// Logs to stderr (`RUST_LOG`, `info` by default), so that stdout has only the lines
/// scripts read.
pub fn log() {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// The database `--database-url` names (default `sqlite://{product}.db`, created in the
/// working directory), with the product's tables: `migration` is their DDL for the
/// database's dialect, run at every start (`CREATE ... IF NOT EXISTS`).
pub async fn database(
    args: &Args,
    product: &str,
    migration: impl Fn(Dialect) -> String,
) -> Result<Database, Error> {
    let url = args
        .value("--database-url")
        .unwrap_or_else(|| format!("sqlite://{product}.db"));
    let db = Database::connect(&url).await?;
    let ddl = migration(db.dialect());
    match &db {
        Database::Sqlite(pool) => sqlx::raw_sql(&ddl).execute(pool).await.map(drop)?,
        Database::Postgres(pool) => sqlx::raw_sql(&ddl).execute(pool).await.map(drop)?,
        _ => return Err("a database this example does not know".into()),
    }
    Ok(db)
}

/// Runs one statement of the app's own on either database, with text arguments as `$1`,
/// `$2`... (placeholders both understand); how many rows it touched.
pub async fn execute(db: &Database, sql: &str, args: &[&str]) -> Result<u64, sqlx::Error> {
    match db {
        Database::Sqlite(pool) => {
            let query = args.iter().fold(sqlx::query(sql), |q, a| q.bind(*a));
            Ok(query.execute(pool).await?.rows_affected())
        }
        Database::Postgres(pool) => {
            let query = args.iter().fold(sqlx::query(sql), |q, a| q.bind(*a));
            Ok(query.execute(pool).await?.rows_affected())
        }
        _ => Err(sqlx::Error::Configuration("unknown database".into())),
    }
}

/// The first column of what `sql` (no arguments) selects, as text, on either database.
pub async fn texts(db: &Database, sql: &str) -> Result<Vec<String>, sqlx::Error> {
    match db {
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        _ => Err(sqlx::Error::Configuration("unknown database".into())),
    }
}

/// The tenant's tokens: each `--token` imported (only its digest is kept), with `options`;
/// without one, one issued from the operating system's random source. Refused past the
/// tokens' cap, with the library's message (revoke one first). The secrets, to print.
pub fn tokens(
    args: &Args,
    tokens: &Tokens,
    tenant: &str,
    options: TokenOptions,
) -> Result<Vec<String>, Error> {
    let given = args.values("--token");
    if given.is_empty() {
        let issued = tokens.issue(tenant, options.label("issued at start"))?;
        return Ok(vec![issued.secret.expose().to_owned()]);
    }
    for secret in &given {
        tokens.import(tenant, secret, options.clone().label("given at start"))?;
    }
    Ok(given)
}

/// Binds `--bind` (default `127.0.0.1:8080`), prints `SCIM base URL: http://ADDR{path}` and
/// a `Secret token:` line per token once it accepts connections, and serves `app`.
pub async fn serve(args: &Args, path: &str, secrets: &[String], app: Router) -> Result<(), Error> {
    let bind = args
        .value("--bind")
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("SCIM base URL: http://{}{path}", listener.local_addr()?);
    for secret in secrets {
        println!("Secret token: {secret}");
    }
    axum::serve(listener, app).await?;
    Ok(())
}
