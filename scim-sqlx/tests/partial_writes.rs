//! A replacement writes only what changed (a column, a child table, the document, the side
//! table): every kind of change, one at a time, reads back exactly as the in-memory store
//! keeps it, through this store and through a store opened afresh, on SQLite and
//! PostgreSQL. Unchanged parts keep their rows.

use std::sync::Arc;

use scim_core::{
    Compat, MemoryStore, RequestContext, Resource, ResourceKind, SchemaRegistry, ScimStore,
};
use scim_sqlx::{Database, Dialect, SqlStore};
use serde_json::{Value, json};

mod common;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Each step's user, in order: each differs from the one before in one place.
fn steps() -> Vec<(&'static str, Value)> {
    let base = json!({
        "userName": "bjensen@example.com", "displayName": "Babs", "active": true,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "nickName": "Babs",
        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984"}
    });
    let mut steps = vec![("created", base.clone())];
    let mut next = |what: &'static str, change: &dyn Fn(&mut Value)| {
        let mut user = steps.last().expect("a step").1.clone();
        change(&mut user);
        steps.push((what, user));
    };
    next("one column", &|u| u["active"] = json!(false));
    next("a sub-attribute's column", &|u| {
        u["name"]["familyName"] = json!("Jensen-Smith");
    });
    next("a column cleared", &|u| {
        u.as_object_mut().expect("an object").remove("displayName");
    });
    next("one child table", &|u| {
        u["emails"] = json!([{"value": "babs@example.org", "type": "work", "primary": true}]);
    });
    next("the other child table emptied", &|u| {
        u.as_object_mut().expect("an object").remove("phoneNumbers");
    });
    next("the document", &|u| u["nickName"] = json!("B."));
    next("an extension's column", &|u| {
        u[ENTERPRISE]["department"] = json!("Finance");
    });
    next("an extension attribute in the document", &|u| {
        u[ENTERPRISE]["employeeNumber"] = json!("42");
    });
    next("externalId", &|u| u["externalId"] = json!("0b1e-entra"));
    next("everything back", &|u| {
        *u = base.clone();
    });
    steps
}

fn without_meta(resource: &Resource) -> Value {
    let mut value = resource.as_json().clone();
    value.remove("meta");
    value.remove("id");
    Value::Object(value)
}

async fn each_change_reads_back(store: SqlStore, reopen: impl AsyncFn() -> SqlStore, tenant: &str) {
    let registry = SchemaRegistry::new();
    let schemas = registry.resource(ResourceKind::User);
    let memory = MemoryStore::new();
    let ctx = RequestContext::new(tenant);
    let mut ids: Option<(String, String)> = None;
    for (what, user) in steps() {
        let (sql, kept) = match &ids {
            None => {
                let resource = schemas
                    .validate_create(user.clone(), &Compat::entra())
                    .expect("valid");
                let sql = store.create(&ctx, resource.clone()).await.expect("create");
                let kept = memory.create(&ctx, resource).await.expect("create");
                ids = Some((
                    sql.id().expect("an id").to_owned(),
                    kept.id().expect("an id").to_owned(),
                ));
                (sql, kept)
            }
            Some((sql_id, memory_id)) => {
                let current = store
                    .get(&ctx, ResourceKind::User, sql_id)
                    .await
                    .expect("get");
                let mut resource = schemas
                    .validate_create(user.clone(), &Compat::entra())
                    .expect("valid");
                resource.set_id(sql_id.clone());
                let version = current.version().expect("a version");
                let sql = store
                    .replace(&ctx, resource.clone(), &version)
                    .await
                    .expect("replace");
                assert_ne!(sql.version(), Some(version), "{what}: a new version");
                let before = memory
                    .get(&ctx, ResourceKind::User, memory_id)
                    .await
                    .expect("get");
                resource.set_id(memory_id.clone());
                let kept = memory
                    .replace(&ctx, resource, &before.version().expect("a version"))
                    .await
                    .expect("replace");
                (sql, kept)
            }
        };
        assert_eq!(
            without_meta(&sql),
            without_meta(&kept),
            "{what}: as answered"
        );
        let id = sql.id().expect("an id");
        let read = store.get(&ctx, ResourceKind::User, id).await.expect("get");
        assert_eq!(without_meta(&read), without_meta(&kept), "{what}: as read");
        assert_eq!(
            read.version(),
            sql.version(),
            "{what}: the version answered"
        );
        let again = reopen()
            .await
            .get(&ctx, ResourceKind::User, id)
            .await
            .expect("get");
        assert_eq!(
            without_meta(&again),
            without_meta(&kept),
            "{what}: after a restart"
        );
    }
}

#[tokio::test]
async fn each_change_reads_back_on_sqlite() {
    let db = common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await;
    let open = async |db: Database| {
        SqlStore::open(
            db,
            common::tenant_mapping(""),
            Arc::new(SchemaRegistry::new()),
        )
        .await
        .expect("the store opens")
    };
    let store = open(db.clone()).await;
    each_change_reads_back(store, async || open(db.clone()).await, "default").await;
}

#[tokio::test]
async fn each_change_reads_back_on_postgres() {
    let schema = "scim_sqlx_partial";
    let Some(db) = common::postgres("partial writes", schema, common::tenant_tables).await else {
        return;
    };
    let open = async |db: Database| {
        SqlStore::open(
            db,
            common::tenant_mapping(&format!("{schema}.")),
            Arc::new(SchemaRegistry::new()),
        )
        .await
        .expect("the store opens")
    };
    let store = open(db.clone()).await;
    each_change_reads_back(store, async || open(db.clone()).await, "partial").await;
}

/// A rule standing for the app writing its own table at that moment.
struct AppWrite {
    db: Database,
    sql: String,
}

impl scim_core::engine::WriteRule for AppWrite {
    fn check<'a>(
        &'a self,
        _: &'a mut scim_core::engine::Write<'_>,
    ) -> scim_core::engine::RuleFuture<'a> {
        Box::pin(async move {
            match &self.db {
                Database::Sqlite(pool) => sqlx::raw_sql(&self.sql).execute(pool).await.map(drop),
                Database::Postgres(pool) => sqlx::raw_sql(&self.sql).execute(pool).await.map(drop),
                Database::Mysql(pool) => sqlx::raw_sql(&self.sql).execute(pool).await.map(drop),
                _ => unreachable!("a database these tests open"),
            }
            .expect("the app's update");
            Ok(())
        })
    }
}

/// The engine read a user; the app then changes another column of the same row itself (not
/// through SCIM, so no version moves); Entra's PATCH of `active` lands. Only `active` is
/// written: the app's change stays.
async fn a_patch_keeps_what_the_app_changed_meanwhile(db: Database, schema: &str, tenant: &str) {
    use scim_core::engine::{BearerToken, Engine, Precondition};

    let store = SqlStore::open(
        db.clone(),
        common::tenant_mapping(schema),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("the store opens");
    let ctx = RequestContext::new(tenant);
    let user = Engine::new(store.clone(), BearerToken::new("t"))
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": format!("app-{tenant}@example.com"), "title": "Guide"}),
        )
        .await
        .expect("created");
    let id = user.id().expect("an id").to_owned();
    // The app's own write lands between the engine's read and its write: a rule (run after
    // the read, before the write) makes it, so the order is certain.
    let text = if db.dialect() == scim_sqlx::Dialect::Mysql {
        "CHAR"
    } else {
        "TEXT"
    };
    let sql = format!(
        "UPDATE {schema}users SET job_title = 'Senior Guide' WHERE CAST(id AS {text}) = '{id}'"
    );
    let engine = Engine::builder(store, BearerToken::new("t"))
        .rule(AppWrite { db, sql })
        .build();
    let patch = scim_patch::PatchRequest::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
    }))
    .expect("a PATCH");
    engine
        .patch(&ctx, ResourceKind::User, &id, patch, &Precondition::None)
        .await
        .expect("patched");
    let read = engine
        .get(
            &ctx,
            ResourceKind::User,
            &id,
            &scim_core::Projection::default(),
        )
        .await
        .expect("read back");
    assert_eq!(read.get("active"), Some(&json!(false)));
    assert_eq!(
        read.get("title"),
        Some(&json!("Senior Guide")),
        "the app's change stays"
    );
}

#[tokio::test]
async fn a_patch_keeps_what_the_app_changed_meanwhile_on_sqlite() {
    let db = common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await;
    a_patch_keeps_what_the_app_changed_meanwhile(db, "", "default").await;
}

#[tokio::test]
async fn a_patch_keeps_what_the_app_changed_meanwhile_on_postgres() {
    let schema = "scim_sqlx_partial";
    let Some(db) = common::postgres("partial writes", schema, common::tenant_tables).await else {
        return;
    };
    let tenant = format!("app-{}", uuid::Uuid::new_v4().simple());
    a_patch_keeps_what_the_app_changed_meanwhile(db, &format!("{schema}."), &tenant).await;
}

#[tokio::test]
async fn each_change_reads_back_on_mysql() {
    let schema = "scim_sqlx_partial";
    let Some(db) = common::mysql("partial writes", schema, common::tenant_tables).await else {
        return;
    };
    let open = async |db: Database| {
        SqlStore::open(
            db,
            common::tenant_mapping(&format!("{schema}.")),
            Arc::new(SchemaRegistry::new()),
        )
        .await
        .expect("the store opens")
    };
    let store = open(db.clone()).await;
    each_change_reads_back(store, async || open(db.clone()).await, "partial").await;
}

#[tokio::test]
async fn a_patch_keeps_what_the_app_changed_meanwhile_on_mysql() {
    let schema = "scim_sqlx_partial";
    let Some(db) = common::mysql("partial writes", schema, common::tenant_tables).await else {
        return;
    };
    let tenant = format!("app-{}", uuid::Uuid::new_v4().simple());
    a_patch_keeps_what_the_app_changed_meanwhile(db, &format!("{schema}."), &tenant).await;
}
