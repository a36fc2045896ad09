//! Requests at once. GETs by id that arrive together are read by one statement: each still
//! gets its own resource (or `404`), only from its own tenant, and sees every write that
//! finished before it was asked. Writes whose requests are dropped halfway leave nothing
//! open behind them.

use std::sync::Arc;

use scim_core::{Compat, RequestContext, ResourceKind, SchemaRegistry, ScimStore, StoreError};
use scim_sqlx::SqlStore;
use serde_json::json;

mod common;

async fn store() -> SqlStore {
    common::sqlite_tenant_store().await
}

async fn create(store: &SqlStore, tenant: &str, name: &str) -> String {
    let resource = SchemaRegistry::new()
        .resource(ResourceKind::User)
        .validate_create(json!({"userName": name, "active": true}), &Compat::entra())
        .expect("valid");
    let created = store
        .create(&RequestContext::new(tenant), resource)
        .await
        .expect("create");
    created.id().expect("an id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_read_gets_its_own_resource_from_its_own_tenant() {
    let store = store().await;
    let mut users = Vec::new();
    for tenant in ["acme", "globex"] {
        for i in 0..20 {
            let name = format!("{tenant}-{i}@example.com");
            users.push((tenant, create(&store, tenant, &name).await, name));
        }
    }
    let mut reads = Vec::new();
    for round in 0..10 {
        for (i, (tenant, id, name)) in users.iter().enumerate() {
            let store = store.clone();
            let (tenant, id, name) = (*tenant, id.clone(), name.clone());
            // Every third read asks the other tenant for it: never found there.
            let other = (i + round) % 3 == 0;
            reads.push(tokio::spawn(async move {
                let asked = match (other, tenant) {
                    (false, _) => tenant,
                    (true, "acme") => "globex",
                    (true, _) => "acme",
                };
                let got = store
                    .get(&RequestContext::new(asked), ResourceKind::User, &id)
                    .await;
                match got {
                    Ok(user) => {
                        assert!(!other, "{id} of {tenant} read in {asked}");
                        assert_eq!(user.id(), Some(id.as_str()));
                        assert_eq!(user.user_name(), Some(name.as_str()));
                    }
                    Err(StoreError::NotFound { .. }) => {
                        assert!(other, "{id} not found in {tenant}");
                    }
                    Err(err) => panic!("{err}"),
                }
            }));
        }
        // And ids that exist nowhere, or cannot be ids at all.
        for missing in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
            let store = store.clone();
            reads.push(tokio::spawn(async move {
                let got = store
                    .get(&RequestContext::new("acme"), ResourceKind::User, missing)
                    .await;
                assert!(matches!(got, Err(StoreError::NotFound { .. })), "{got:?}");
            }));
        }
    }
    for read in reads {
        read.await.expect("a read");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_after_a_write_sees_it_while_others_read() {
    let store = store().await;
    let ctx = RequestContext::new("acme");
    let id = create(&store, "acme", "bjensen@example.com").await;
    // Readers keep statements of reads running all along.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut background = Vec::new();
    for _ in 0..8 {
        let (store, id, stop) = (store.clone(), id.clone(), Arc::clone(&stop));
        background.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store
                    .get(&RequestContext::new("acme"), ResourceKind::User, &id)
                    .await
                    .expect("a read");
            }
        }));
    }
    let schemas = SchemaRegistry::new();
    for i in 0..50 {
        let current = store.get(&ctx, ResourceKind::User, &id).await.expect("get");
        let mut resource = schemas
            .resource(ResourceKind::User)
            .validate_create(
                json!({"userName": "bjensen@example.com", "title": format!("step {i}")}),
                &Compat::entra(),
            )
            .expect("valid");
        resource.set_id(id.clone());
        let written = store
            .replace(&ctx, resource, &current.version().expect("a version"))
            .await
            .expect("replace");
        let read = store.get(&ctx, ResourceKind::User, &id).await.expect("get");
        assert_eq!(read.version(), written.version(), "step {i}");
        assert_eq!(read.get("title"), Some(&json!(format!("step {i}"))));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in background {
        task.await.expect("a reader");
    }
}

/// Requests dropped halfway (clients that went away) leave nothing behind: no transaction
/// left open on a pooled connection, holding SQLite's write lock, failing every later
/// write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_dropped_halfway_leave_no_transaction_open() {
    let store = store().await;
    let schemas = SchemaRegistry::new();
    let user = |name: String| {
        schemas
            .resource(ResourceKind::User)
            .validate_create(json!({"userName": name}), &Compat::entra())
            .expect("valid")
    };
    let ctx = RequestContext::new("acme");
    for i in 0..300u64 {
        let create = store.create(&ctx, user(format!("dropped-{i}")));
        // Dropped after 0 to 600 µs: some before BEGIN, some inside, some after COMMIT.
        let _ = tokio::time::timeout(std::time::Duration::from_micros(i * 2), create).await;
    }
    for i in 0..10 {
        let create = store.create(&ctx, user(format!("after-{i}")));
        tokio::time::timeout(std::time::Duration::from_secs(4), create)
            .await
            .expect("a write after dropped ones does not wait on a lock")
            .expect("a write after dropped ones succeeds");
    }
}
