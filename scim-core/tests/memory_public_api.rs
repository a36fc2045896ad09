//! `MemoryStore` compiled outside scim-core, against its public API alone: this crate's root
//! re-exports scim-core's public items, and `src/memory/` is compiled here as a module of it,
//! so every `crate::` path in it must name something any crate can use. Then the copy runs
//! the store conformance suite, and hands the engine users as stored documents, written into
//! responses without parsing: the zero-copy path is open to every store.

pub use scim_core::*;

#[path = "../src/memory/mod.rs"]
pub mod memory;

use bytes::Bytes;
use engine::{BearerToken, Engine};
use serde_json::{Value, json};

scim_core::scim_store_tests!(async { memory::MemoryStore::new() });

#[tokio::test]
async fn users_reach_the_engine_as_stored_documents() {
    let store = memory::MemoryStore::new();
    let ctx = RequestContext::new("acme");
    let users = store.registry().resource(ResourceKind::User);
    let input = users
        .validate_create(
            json!({"userName": "bjensen", "password": "t1meMa$heen"}),
            &Compat::entra(),
        )
        .unwrap();
    let created = store.create(&ctx, input).await.unwrap();
    let id = created.id().unwrap().to_owned();
    let read = store.get(&ctx, ResourceKind::User, &id).await.unwrap();
    let document = read
        .document()
        .expect("a user comes back as a stored document");
    assert_eq!(document.id(), id);
    assert!(
        !document.plain(),
        "a password is never returned, so it is not plain"
    );

    let engine = Engine::builder(store.clone(), BearerToken::new("t"))
        .base_url("https://app.example.com/scim/v2")
        .build();
    let request = http::Request::get("/Users")
        .header("Authorization", "Bearer t")
        .body(Bytes::new())
        .unwrap();
    let response = engine.handle(request).await;
    assert_eq!(response.status(), 200);
    let list: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(list["totalResults"], 0, "the engine's tenant is not acme");
    let request = http::Request::post("/Users")
        .header("Authorization", "Bearer t")
        .body(Bytes::from(
            json!({"userName": "jsmith", "password": "x"}).to_string(),
        ))
        .unwrap();
    let created: Value = serde_json::from_slice(engine.handle(request).await.body()).unwrap();
    let uri = format!("/Users/{}", created["id"].as_str().unwrap());
    let request = http::Request::get(uri.as_str())
        .header("Authorization", "Bearer t")
        .body(Bytes::new())
        .unwrap();
    let body: Value = serde_json::from_slice(engine.handle(request).await.body()).unwrap();
    assert_eq!(body["userName"], "jsmith");
    assert_eq!(body.get("password"), None);
    assert_eq!(
        body["meta"]["location"],
        format!("https://app.example.com/scim/v2{uri}")
    );
}
