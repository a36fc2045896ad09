//! The store conformance suite against the server's store on SQLite, each test on a fresh
//! file.

use std::sync::Arc;

use scim_core::SchemaRegistry;
use scim_sqlx::SqlStore;

async fn store() -> SqlStore {
    let path = std::env::temp_dir().join(format!("scim-test-{}.db", uuid::Uuid::new_v4().simple()));
    let (store, _) = reference_server::open(
        &format!("sqlite://{}", path.display()),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("SQLite opens");
    store
}

scim_core::scim_store_tests!(store());
