//! Where the MySQL/MariaDB tests find their server: `SCIM_TEST_MYSQL_URL`, by default
//! `mysql://root@127.0.0.1:3306/test`. Without one, the tests say (once) that they were
//! skipped and why; with `SCIM_REQUIRE_MYSQL=1` (as `.ci/run` sets) a missing server fails
//! them.
#![allow(dead_code, reason = "each test file uses part of it")]

pub(crate) use scim_core::testing::mysql::url;

/// A database of its own on the test server, dropped when this is.
pub(crate) struct Database {
    admin_url: String,
    name: String,
    pub(crate) url: String,
}

impl Database {
    /// A new database `{prefix}_{random}` on the server at `admin_url`.
    pub(crate) fn create(admin_url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let database = Self {
            admin_url: admin_url.to_owned(),
            url: next_to(admin_url, &name),
            name,
        };
        admin(
            admin_url,
            &format!(
                "CREATE DATABASE {} DEFAULT CHARACTER SET utf8mb4",
                database.name
            ),
        )?;
        Ok(database)
    }

    /// The database `name` on the server at `admin_url`, dropped if it was there and
    /// created empty; it stays after the run (the next run's `recreate` drops it). Its URL.
    pub(crate) fn recreate(admin_url: &str, name: &str) -> Result<String, sqlx::Error> {
        admin(admin_url, &format!("DROP DATABASE IF EXISTS {name}"))?;
        admin(
            admin_url,
            &format!("CREATE DATABASE {name} DEFAULT CHARACTER SET utf8mb4"),
        )?;
        Ok(next_to(admin_url, name))
    }
}

/// The URL of database `name` on the server of `url`.
fn next_to(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a database URL");
    format!("{base}/{name}")
}

/// Runs `statement` on the server at `admin_url`, on a thread of its own (callers may be
/// inside an async runtime).
fn admin(admin_url: &str, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let (statement, admin_url) = (statement.to_owned(), admin_url.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let mut conn = sqlx::MySqlConnection::connect(&admin_url).await?;
            sqlx::raw_sql(&statement).execute(&mut conn).await.map(drop)
        })
    })
    .join()
    .expect("the admin statement runs")
}

impl Drop for Database {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {}", self.name);
        if let Err(err) = admin(&self.admin_url, &drop) {
            eprintln!("{drop}: {err}");
        }
    }
}
