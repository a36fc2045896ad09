//! The store conformance suite against the server's store on MySQL/MariaDB, in a database
//! of its own (`scim_reference_conformance`, made afresh for the run). Without a server the
//! tests say (once) that they were skipped; with `SCIM_REQUIRE_MYSQL=1` (as `.ci/run` sets)
//! a missing one fails them. Every test works in a tenant of its own.

use std::sync::{Arc, OnceLock};

use scim_core::SchemaRegistry;
use scim_sqlx::SqlStore;

mod mysql;

const WHAT: &str = "the MySQL store conformance tests";

/// The run's database, made afresh by the first test that asks.
fn database(admin_url: &str) -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        mysql::Database::recreate(admin_url, "scim_reference_conformance")
            .expect("a database for the run")
    })
}

async fn store() -> Option<SqlStore> {
    let admin_url = mysql::url(WHAT)?;
    let url = database(&admin_url);
    match reference_server::open(url, Arc::new(SchemaRegistry::new())).await {
        Ok((store, _)) => Some(store),
        Err(err) => {
            panic!("MySQL answers at {admin_url}, but the server's store does not open: {err}")
        }
    }
}

scim_core::scim_store_tests!(optional: store());
