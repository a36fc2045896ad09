//! The store conformance suite against `SqlStore` on PostgreSQL.
//!
//! The database is `SCIM_TEST_POSTGRES_URL`, by default the one these machines run
//! (`postgres://postgres@127.0.0.1:5432/test`). Without one, the tests say (once) that they were
//! skipped and why; with `SCIM_REQUIRE_POSTGRES=1` (as `.ci/run` sets) a missing database fails them.
//! Every test works in a tenant of its own, so they share the database.

use std::sync::Arc;

use reference_server::SqlStore;
use scim_core::SchemaRegistry;

mod postgres;

const WHAT: &str = "the PostgreSQL store conformance tests";

/// The store, or `None` (with the reason printed) when PostgreSQL is not there.
async fn store() -> Option<SqlStore> {
    let url = postgres::url(WHAT)?;
    match SqlStore::connect(&url, Arc::new(SchemaRegistry::new())).await {
        Ok(store) => Some(store),
        Err(err) if postgres::required() => {
            panic!("PostgreSQL is required (SCIM_REQUIRE_POSTGRES=1) but {url} failed: {err}")
        }
        Err(err) => {
            postgres::skip(WHAT, &format!("PostgreSQL at {url} failed: {err}"));
            None
        }
    }
}

scim_core::scim_store_tests!(optional: store());
