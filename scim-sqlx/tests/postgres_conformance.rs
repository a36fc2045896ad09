//! The store conformance suite on PostgreSQL, over the same tables as on SQLite, in a schema
//! of this test binary's own; each case in a tenant of its own.

use std::sync::Arc;

use scim_core::SchemaRegistry;
use scim_sqlx::SqlStore;

mod common;

const SCHEMA: &str = "scim_sqlx_conformance";

async fn store() -> Option<SqlStore> {
    let db = common::postgres(
        "the scim-sqlx PostgreSQL conformance tests",
        SCHEMA,
        common::tenant_tables,
    )
    .await?;
    let mapping = common::tenant_mapping(&format!("{SCHEMA}."));
    Some(
        SqlStore::open(db, mapping, Arc::new(SchemaRegistry::new()))
            .await
            .expect("the store opens"),
    )
}

scim_core::scim_store_tests!(optional: store());
