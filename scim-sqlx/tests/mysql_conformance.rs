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

/// A value longer than the app's `VARCHAR` is a `400` naming the attribute (MySQL's strict
/// mode refuses it), never a `500`, and nothing of the write stays.
#[tokio::test]
async fn a_value_too_long_for_its_column_is_refused_by_name() {
    use scim_core::{ListQuery, RequestContext, Resource, ResourceKind, ScimStore, StoreError};
    use serde_json::json;

    let Some(store) = store().await else { return };
    let ctx = RequestContext::new(format!("long-{}", uuid::Uuid::new_v4().simple()));
    let long = format!("{}@example.com", "x".repeat(300));
    for (body, named) in [
        (json!({"userName": long}), "\"userName\""),
        (
            json!({"userName": "short@example.com", "emails": [{"value": long}]}),
            "\"emails\"",
        ),
    ] {
        let serde_json::Value::Object(body) = body else {
            unreachable!("an object")
        };
        let user = Resource::from_map(ResourceKind::User, body);
        match store.create(&ctx, user).await {
            Err(StoreError::InvalidValue(detail)) => {
                assert!(detail.contains(named), "{detail}");
                assert!(detail.contains("longer than"), "{detail}");
            }
            other => panic!("expected invalidValue naming {named}, got {other:?}"),
        }
    }
    let all = store
        .list(&ctx, ResourceKind::User, &ListQuery::new())
        .await
        .expect("a list");
    assert_eq!(all.total_results, 0, "nothing of the refused writes stays");
}
