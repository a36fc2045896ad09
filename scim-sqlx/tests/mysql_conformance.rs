//! The store conformance suite on MySQL/MariaDB, over the same tables as on SQLite and
//! PostgreSQL (as a MySQL app declares them), in a database of this test binary's own;
//! each case in a tenant of its own.

use std::sync::Arc;

use scim_core::SchemaRegistry;
use scim_sqlx::SqlStore;

mod common;

const SCHEMA: &str = "scim_sqlx_conformance";

async fn store() -> Option<SqlStore> {
    let db = common::mysql(
        "the scim-sqlx MySQL conformance tests",
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
