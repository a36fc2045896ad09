//! Where the PostgreSQL tests find their database: `SCIM_TEST_POSTGRES_URL`, by default the
//! one these machines run (`postgres://postgres@127.0.0.1:5432/test`). Without one, the tests
//! say (once) that they were skipped and why; with `SCIM_REQUIRE_POSTGRES=1` (as `.ci/run`
//! sets) a missing database fails them.
#![allow(dead_code, reason = "each test file uses part of it")]

/// Whether a missing database must fail the tests instead of skipping them.
pub(crate) fn required() -> bool {
    std::env::var("SCIM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Says once, on the terminal (past the test harness's capture), that `what` was skipped
/// and why.
pub(crate) fn skip(what: &str, reason: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {what}, passed without running: {reason}; set SCIM_TEST_POSTGRES_URL, or \
             SCIM_REQUIRE_POSTGRES=1 to fail instead"
        );
    });
}

/// The database URL, if PostgreSQL answers there; `None` (said once) if it does not and it
/// is not required. A quick TCP look first, so a machine without PostgreSQL skips in a
/// second, not after a pool's timeout.
pub(crate) fn url(what: &str) -> Option<String> {
    let url = std::env::var("SCIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let address = url
        .split_once('@')
        .map_or(url.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).is_ok()
        });
    if reachable {
        return Some(url);
    }
    assert!(
        !required(),
        "PostgreSQL is required (SCIM_REQUIRE_POSTGRES=1) but not reachable at {address}"
    );
    skip(
        what,
        &format!("PostgreSQL is not reachable at {address} (from {url})"),
    );
    None
}

/// A database of its own on the test server, dropped when this is.
pub(crate) struct Database {
    admin_url: String,
    name: String,
    pub(crate) url: String,
}

impl Database {
    /// A new database `{prefix}_{random}` next to the one at `admin_url`; the error if the
    /// server refuses it (a user without `CREATEDB`).
    pub(crate) fn create(admin_url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let (base, _) = admin_url.rsplit_once('/').expect("a database URL");
        let database = Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        };
        database.admin(&format!("CREATE DATABASE {}", database.name))?;
        Ok(database)
    }

    /// The database `name` next to the one at `admin_url`, dropped if it was there and
    /// created empty. It stays after the run (the next run's `recreate` drops it): for a
    /// database that tests running in parallel share. Its URL.
    pub(crate) fn recreate(admin_url: &str, name: &str) -> Result<String, sqlx::Error> {
        admin(
            admin_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )?;
        admin(admin_url, &format!("CREATE DATABASE {name}"))?;
        let (base, _) = admin_url.rsplit_once('/').expect("a database URL");
        Ok(format!("{base}/{name}"))
    }

    fn admin(&self, statement: &str) -> Result<(), sqlx::Error> {
        admin(&self.admin_url, statement)
    }
}

/// Runs `statement` on the database at `admin_url`, on a thread of its own (callers may be
/// inside an async runtime).
fn admin(admin_url: &str, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let (statement, admin_url) = (statement.to_owned(), admin_url.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(&statement).execute(&mut conn).await.map(drop)
        })
    })
    .join()
    .expect("the admin statement runs")
}

impl Drop for Database {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(err) = self.admin(&drop) {
            eprintln!("{drop}: {err}");
        }
    }
}
