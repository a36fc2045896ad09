//! The provisioning log in the database: every request of a tenant kept (in the
//! background) with why it was refused, paged latest first, filtered by status and
//! resource, each tenant's apart, and pruned to the retention.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use scim_core::engine::{Engine, TokenOptions, Tokens};
use scim_core::{LogQuery, LogRetention, LogStatus, SchemaRegistry, ScimStore};
use scim_sqlx::{Database, Dialect, SqlStore};
use serde_json::Value;

mod common;

async fn send(
    engine: &Engine<SqlStore>,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body.to_owned()))
        .expect("a request");
    let response = engine.handle(request).await;
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(response.body()).unwrap_or(Value::Null),
    )
}

/// Waits (up to 10 s) until `tenant`'s log answers `query` with `n` entries.
async fn entries(store: &SqlStore, tenant: &str, query: &LogQuery, n: usize) -> scim_core::LogPage {
    let start = Instant::now();
    loop {
        let page = store
            .request_log(tenant, query)
            .await
            .expect("the log reads");
        if page.entries.len() >= n {
            return page;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{query:?}: {page:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_tenants_log(db: Database, schema: &str, tenant: &str) {
    let store = SqlStore::open(
        db,
        common::tenant_mapping(schema),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("the store opens");
    let tokens = Tokens::new();
    let token = tokens
        .issue(tenant, TokenOptions::default().label("Entra"))
        .expect("a token");
    let other = tokens
        .issue(&format!("{tenant}-other"), TokenOptions::default())
        .expect("a token");
    let engine = Engine::builder(store.clone(), tokens).build();
    let token = token.secret.expose();

    let (status, user) = send(
        &engine,
        token,
        "POST",
        "/Users",
        r#"{"userName": "babs@example.com"}"#,
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().expect("an id").to_owned();
    let (status, _) = send(&engine, token, "GET", &format!("/Users/{id}"), "").await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &engine,
        token,
        "POST",
        "/Users",
        r#"{"displayName": "no name"}"#,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = send(&engine, other.secret.expose(), "GET", "/Users", "").await;
    assert_eq!(status, 200);

    // Latest first, each with what happened.
    let page = entries(&store, tenant, &LogQuery::new(), 3).await;
    let statuses: Vec<u16> = page.entries.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [400, 200, 201]);
    let refused = &page.entries[0];
    assert_eq!(refused.scim_type.as_deref(), Some("invalidValue"));
    assert!(
        refused
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("userName"),
        "{refused:?}"
    );
    assert_eq!(refused.client.as_deref(), Some("Entra"));
    assert_eq!(
        page.entries[2].resource_id.as_deref(),
        Some(id.as_str()),
        "a create's id"
    );
    assert!(!page.more);

    // Filtered, paged, each tenant's own.
    let refusals = entries(
        &store,
        tenant,
        &LogQuery::new().status(LogStatus::Refused),
        1,
    )
    .await;
    assert_eq!(refusals.entries.len(), 1);
    let about = entries(&store, tenant, &LogQuery::new().resource_id(&id), 2).await;
    assert_eq!(about.entries.len(), 2);
    let first = store
        .request_log(tenant, &LogQuery::new().page(0, 2))
        .await
        .expect("a page");
    assert_eq!((first.entries.len(), first.more), (2, true));
    let second = store
        .request_log(tenant, &LogQuery::new().page(2, 2))
        .await
        .expect("a page");
    assert_eq!((second.entries[0].status, second.more), (201, false));
    let others = entries(&store, &format!("{tenant}-other"), &LogQuery::new(), 1).await;
    assert_eq!(others.entries.len(), 1);

    // Retention: the latest entries of the store are kept.
    store.set_log_retention(LogRetention::new(2, Duration::from_secs(3600)));
    for _ in 0..70 {
        // Pruning runs every 64 batches written; one request, one batch here.
        send(&engine, token, "GET", "/Users?count=1", "").await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let start = Instant::now();
    loop {
        let kept = store
            .request_log(tenant, &LogQuery::new().page(0, 100))
            .await
            .expect("a page");
        if kept.entries.len() <= 2 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still {} entries",
            kept.entries.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        send(&engine, token, "GET", "/Users?count=1", "").await;
    }
}

#[tokio::test]
async fn the_log_on_sqlite() {
    let db = common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await;
    a_tenants_log(db, "", "acme").await;
}

#[tokio::test]
async fn the_log_on_postgres() {
    let schema = "scim_sqlx_log";
    let Some(db) = common::postgres("the provisioning log", schema, common::tenant_tables).await
    else {
        return;
    };
    let tenant = format!("log-{}", uuid::Uuid::new_v4().simple());
    a_tenants_log(db, &format!("{schema}."), &tenant).await;
}

#[tokio::test]
async fn the_log_on_mysql() {
    let schema = "scim_sqlx_log";
    let Some(db) = common::mysql("the provisioning log", schema, common::tenant_tables).await
    else {
        return;
    };
    let tenant = format!("log-{}", uuid::Uuid::new_v4().simple());
    a_tenants_log(db, &format!("{schema}."), &tenant).await;
}

/// A server that stops closes the store: what the log had queued is written before the pool
/// closes (read back at once by a store opened afterwards, without waiting), and the
/// outbox's backlog is what a monitor reads.
#[tokio::test]
async fn closing_writes_what_the_log_queued() {
    let path =
        std::env::temp_dir().join(format!("scim-close-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    let open = async || {
        let db = Database::connect(&url).await.expect("SQLite opens");
        if let Database::Sqlite(pool) = &db {
            sqlx::raw_sql(&common::tenant_tables(Dialect::Sqlite, ""))
                .execute(pool)
                .await
                .expect("tables");
        }
        SqlStore::open(
            db,
            common::tenant_mapping(""),
            Arc::new(SchemaRegistry::new()),
        )
        .await
        .expect("the store opens")
    };
    let store = open().await;
    assert_eq!(store.outbox_backlog().await.expect("a backlog"), 0);
    for i in 0..300 {
        let record = serde_json::from_value(serde_json::json!({
            "time": "2026-12-07T10:00:00Z", "tenant": "acme", "method": "GET",
            "path": format!("/Users/{i}"), "status": 404, "durationUs": 10,
            "requestId": format!("r{i}")
        }))
        .expect("a record");
        store.record_request(record);
    }
    store.close().await;
    let reopened = open().await;
    let page = reopened
        .request_log("acme", &LogQuery::new().page(0, 500))
        .await
        .expect("the log reads");
    assert_eq!(page.entries.len(), 300, "every queued entry was written");
}
