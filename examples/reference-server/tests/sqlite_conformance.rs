//! The store conformance suite against `SqlStore` on SQLite, each test on a fresh file.

use std::sync::Arc;

use reference_server::SqlStore;
use scim_core::SchemaRegistry;

async fn store() -> SqlStore {
    let path = std::env::temp_dir().join(format!("scim-test-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    SqlStore::connect(&url, Arc::new(SchemaRegistry::new()))
        .await
        .expect("SQLite opens")
}

scim_core::scim_store_tests!(store());
