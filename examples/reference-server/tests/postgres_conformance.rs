//! The store conformance suite against the server's store on PostgreSQL.
//!
//! The server is `SCIM_TEST_POSTGRES_URL`, by default the one these machines run
//! (`postgres://postgres@127.0.0.1:5432/test`); the tests run in a database of their own,
//! `scim_reference_conformance`, created afresh for the run (a server's tables live in its
//! database's default schema).
//! Without PostgreSQL, the tests say (once) that they were skipped and why; with
//! `SCIM_REQUIRE_POSTGRES=1` (as `.ci/run` sets) a missing database fails them. Every test
//! works in a tenant of its own, so they share the database.

use std::sync::{Arc, OnceLock};

use scim_core::SchemaRegistry;
use scim_sqlx::SqlStore;

mod postgres;

const WHAT: &str = "the PostgreSQL store conformance tests";

/// The run's database, made afresh by the first test that asks.
fn database(admin_url: &str) -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        postgres::Database::recreate(admin_url, "scim_reference_conformance")
            .expect("a database for the run")
    })
}

/// The store, or `None` (with the reason printed) when PostgreSQL is not there.
async fn store() -> Option<SqlStore> {
    let admin_url = postgres::url(WHAT)?;
    let url = database(&admin_url);
    match reference_server::open(url, Arc::new(SchemaRegistry::new())).await {
        Ok((store, _)) => Some(store),
        Err(err) => {
            panic!("PostgreSQL answers at {admin_url}, but the server's store does not open: {err}")
        }
    }
}

scim_core::scim_store_tests!(optional: store());
