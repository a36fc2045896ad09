//! An app's table as it was before SCIM: integer ids the database makes, one tenant, no JSON
//! column, a column SCIM does not know and the app requires, and rows the app created
//! itself. The store conformance suite runs on it, and the app's own rows are SCIM users:
//! Entra's lookup finds them and its PATCH updates them, without a duplicate.

use std::sync::Arc;

use bytes::Bytes;
use scim_core::engine::{BearerToken, Engine, Precondition};
use scim_core::{ListQuery, RequestContext, ResourceKind, SchemaRegistry, ScimStore};
use scim_filter::Filter;
use scim_sqlx::{Database, IdKind, Mapping, SqlStore, Table};
use serde_json::{Value, json};

mod common;

const ACCOUNTS: &str = "CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    role TEXT NOT NULL,
    password_hash TEXT
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));";

fn mapping() -> Mapping {
    Mapping::new(
        Table::new("accounts")
            .id("id", IdKind::Integer)
            .column("userName", "email")
            .column("displayName", "name")
            .column("active", "active")
            .default("role", "member")
            .default("name", "")
            .default("active", true),
    )
}

async fn store(db: Database) -> SqlStore {
    SqlStore::open(db, mapping(), Arc::new(SchemaRegistry::new()))
        .await
        .expect("the store opens")
}

async fn fresh() -> SqlStore {
    store(common::sqlite(ACCOUNTS).await).await
}

scim_core::scim_store_tests!(fresh());

#[tokio::test]
async fn the_apps_own_rows_are_scim_users() {
    let db = common::sqlite(ACCOUNTS).await;
    let Database::Sqlite(pool) = &db else {
        unreachable!()
    };
    // Before SCIM: two accounts, one of them signed up by its user.
    sqlx::raw_sql(
        "INSERT INTO accounts (email, name, role, password_hash) VALUES
            ('bjensen@example.com', 'Babs Jensen', 'owner', 'argon2...'),
            ('jsmith@example.com', 'John Smith', 'member', NULL)",
    )
    .execute(pool)
    .await
    .expect("the app's rows");
    let store = store(db.clone()).await;
    let ctx = RequestContext::new("default");

    // Entra's first lookup finds the account the app had.
    let query = ListQuery::new()
        .with_filter(Filter::parse(r#"userName eq "BJensen@example.com""#).expect("parses"));
    let page = store
        .list(&ctx, ResourceKind::User, &query)
        .await
        .expect("lookup");
    assert_eq!(page.total_results, 1);
    let found = &page.resources[0];
    assert_eq!(found.id(), Some("1"));
    assert_eq!(found.as_json()["displayName"], "Babs Jensen");
    assert_eq!(found.as_json()["active"], true);
    assert_eq!(
        found.version().map(|v| v.as_str().to_owned()),
        Some("0".into())
    );

    // Its PATCH updates that row, through the engine as Entra sends it.
    let engine = Engine::new(store.clone(), BearerToken::new("t"));
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "externalId", "value": "0b1e-entra"},
            {"op": "Add", "path": "title", "value": "Tour Guide"}
        ]
    });
    let request = http::Request::patch("/Users/1")
        .header("Authorization", "Bearer t")
        .header("Content-Type", "application/scim+json")
        .body(Bytes::from(patch.to_string()))
        .expect("a request");
    let response = engine.handle(request).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let body: Value = serde_json::from_slice(response.body()).expect("JSON");
    assert_eq!(body["active"], false);
    assert_eq!(body["externalId"], "0b1e-entra");
    assert_eq!(body["meta"]["version"], "W/\"1\"");

    // The app's row says so, keeps what SCIM does not know, and no account was added.
    let rows: Vec<(i64, String, i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, email, active, role, password_hash FROM accounts ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("rows");
    assert_eq!(
        rows,
        [
            (
                1,
                "bjensen@example.com".into(),
                0,
                "owner".into(),
                Some("argon2...".into())
            ),
            (2, "jsmith@example.com".into(), 1, "member".into(), None),
        ]
    );

    // A user Entra creates is a new row, with the default the app requires.
    let created = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "adoe@example.com", "displayName": "Anne Doe"}),
        )
        .await
        .expect("create");
    assert_eq!(created.id(), Some("3"));
    let role: (String,) = sqlx::query_as("SELECT role FROM accounts WHERE id = 3")
        .fetch_one(pool)
        .await
        .expect("the new row");
    assert_eq!(role.0, "member");

    // A name the app's unique index holds is a conflict.
    let err = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "JSMITH@example.com"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(
        err.detail(),
        r#"userName "JSMITH@example.com" is already taken by another User"#
    );

    // Everything survives the store being opened again (a restart).
    drop(engine);
    drop(store);
    let again = self::store(db).await;
    let user = again
        .get(&ctx, ResourceKind::User, "1")
        .await
        .expect("still there");
    assert_eq!(user.as_json()["title"], "Tour Guide");
    assert_eq!(user.external_id(), Some("0b1e-entra"));
}

#[tokio::test]
async fn a_column_the_app_requires_and_scim_leaves_empty_is_a_clear_400() {
    // The same table, mapped without the role default the app needs.
    let db = common::sqlite(ACCOUNTS).await;
    let store = SqlStore::open(
        db,
        Mapping::new(
            Table::new("accounts")
                .id("id", IdKind::Integer)
                .column("userName", "email")
                .column("displayName", "name")
                .column("active", "active"),
        ),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("the store opens");
    let engine = Engine::new(store.clone(), BearerToken::new("t"));
    let ctx = RequestContext::new("default");
    let err = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "adoe@example.com", "displayName": "Anne Doe"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.scim_type(), Some(scim_core::ScimType::InvalidValue));
    assert_eq!(
        err.detail(),
        r#"the app's table needs a value for "role", which SCIM does not set"#
    );
    // Nothing was half-written.
    let page = store
        .list(&ctx, ResourceKind::User, &ListQuery::new())
        .await
        .expect("list");
    assert_eq!(page.total_results, 0);

    // A mapped attribute a replacement leaves out, where the column requires a value, is
    // named; the row is as it was.
    let Database::Sqlite(pool) = store.database() else {
        unreachable!()
    };
    sqlx::raw_sql("INSERT INTO accounts (email, role) VALUES ('bjensen@example.com', 'owner')")
        .execute(pool)
        .await
        .expect("the app's row");
    let err = engine
        .replace(
            &ctx,
            ResourceKind::User,
            "1",
            json!({"userName": "bjensen@example.com", "displayName": "Babs"}),
            &Precondition::None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.detail(),
        r#"attribute "active" is required here: the app's table needs a value for it"#
    );
    let row: (String, i64) = sqlx::query_as("SELECT name, active FROM accounts WHERE id = 1")
        .fetch_one(pool)
        .await
        .expect("the row");
    assert_eq!(row, (String::new(), 1));
}

#[tokio::test]
async fn a_password_is_never_kept() {
    let db = common::sqlite(ACCOUNTS).await;
    let store = store(db.clone()).await;
    let engine = Engine::new(store, BearerToken::new("t"));
    let ctx = RequestContext::new("default");
    let created = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "pw@example.com", "password": "Create-Secret-1", "nickName": "pw"}),
        )
        .await
        .expect("create");
    assert!(created.get("password").is_none());
    let Database::Sqlite(pool) = &db else {
        unreachable!()
    };
    let dump: Vec<(String,)> = sqlx::query_as("SELECT COALESCE(extra, '') FROM accounts_scim")
        .fetch_all(pool)
        .await
        .expect("the side table");
    assert_eq!(dump.len(), 1);
    assert!(dump[0].0.contains("nickName"), "{}", dump[0].0);
    assert!(!dump[0].0.contains("Create-Secret-1"), "{}", dump[0].0);

    // Mapping it to a column is refused when the store opens.
    let err = SqlStore::open(
        db,
        Mapping::new(
            Table::new("accounts")
                .id("id", IdKind::Integer)
                .column("userName", "email")
                .column("password", "password_hash"),
        ),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("\"password\" is write-only"),
        "{err}"
    );
}

#[tokio::test]
async fn the_directory_cannot_delete_what_the_app_created() {
    let db = common::sqlite(ACCOUNTS).await;
    let Database::Sqlite(pool) = &db else {
        unreachable!()
    };
    sqlx::raw_sql(
        "INSERT INTO accounts (email, name, role) VALUES ('owner@example.com', 'Owner', 'owner')",
    )
    .execute(pool)
    .await
    .expect("the app's row");
    let store = store(db.clone()).await;
    let ctx = RequestContext::new("default");
    assert_eq!(
        store.provenance(&ctx, ResourceKind::User, "1").await.ok(),
        Some(scim_core::Provenance::App)
    );
    let engine = scim_core::engine::Engine::builder(store.clone(), BearerToken::new("t"))
        .rule(scim_core::engine::KeepAppCreated::new())
        .build();
    let created = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "new@example.com"}),
        )
        .await
        .expect("create");
    let id = created.id().expect("an id").to_owned();
    assert_eq!(
        store.provenance(&ctx, ResourceKind::User, &id).await.ok(),
        Some(scim_core::Provenance::Directory)
    );

    // Even after SCIM has written to it, the app's account stays the app's.
    engine
        .patch(
            &ctx,
            ResourceKind::User,
            "1",
            scim_patch::PatchRequest::from_value(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "displayName", "value": "The Owner"}]
            }))
            .expect("a PATCH"),
            &Precondition::None,
        )
        .await
        .expect("the directory may change it");
    let refused = engine
        .delete(&ctx, ResourceKind::User, "1", &Precondition::None)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), 403);
    assert!(
        refused.detail().contains("created in the app"),
        "{}",
        refused.detail()
    );
    let kept: (String,) = sqlx::query_as("SELECT name FROM accounts WHERE id = 1")
        .fetch_one(pool)
        .await
        .expect("the account stays");
    assert_eq!(kept.0, "The Owner");

    // What the directory created, it deletes.
    engine
        .delete(&ctx, ResourceKind::User, &id, &Precondition::None)
        .await
        .expect("delete");
    assert!(matches!(
        store.provenance(&ctx, ResourceKind::User, &id).await,
        Err(scim_core::StoreError::NotFound { .. })
    ));
}
