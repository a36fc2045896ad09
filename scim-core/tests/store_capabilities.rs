//! A store that serves less than everything (one tenant, users only, no sorting), as an app
//! over one existing `users` table is: the conformance suite runs what the store claims and
//! skips the rest, and the engine serves exactly what it claims.
//!
//! `UsersOnly` behaves as such a store really would: it ignores the tenant, refuses groups
//! and ignores `sortBy`. So the suite's tenant, group and sorting cases would fail against it
//! if they were not skipped.

use bytes::Bytes;
use http::request::Parts;
use scim_core::engine::{Authenticator, BearerToken, DEFAULT_TENANT, Engine, Principal};
use scim_core::{
    ListPage, ListQuery, MemoryStore, RequestContext, Resource, ResourceKind, ScimError, ScimStore,
    ServiceProviderConfig, StoreCapabilities, StoreError, Version,
};
use serde_json::{Value, json};

#[derive(Debug, Clone, Default)]
struct UsersOnly(MemoryStore);

impl UsersOnly {
    /// Every call lands in the one table, whatever the tenant; dry runs stay dry.
    fn one(ctx: &RequestContext) -> RequestContext {
        RequestContext::new("the-only-table").with_dry_run(ctx.dry_run())
    }

    fn users(kind: ResourceKind) -> Result<(), StoreError> {
        match kind {
            ResourceKind::User => Ok(()),
            _ => Err(StoreError::backend("this store has no groups table")),
        }
    }
}

impl ScimStore for UsersOnly {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::new()
            .single_tenant(DEFAULT_TENANT)
            .without_groups()
            .without_sorting()
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        Self::users(resource.kind())?;
        self.0.create(&Self::one(ctx), resource).await
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        Self::users(kind)?;
        self.0.get(&Self::one(ctx), kind, id).await
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        Self::users(kind)?;
        let mut unsorted = query.clone();
        unsorted.sort = None;
        self.0.list(&Self::one(ctx), kind, &unsorted).await
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        Self::users(resource.kind())?;
        self.0.replace(&Self::one(ctx), resource, expected).await
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        Self::users(kind)?;
        self.0.delete(&Self::one(ctx), kind, id, expected).await
    }
}

scim_core::scim_store_tests!(async { UsersOnly::default() });

const TOKEN: &str = "users-only-token";

fn engine() -> Engine<UsersOnly> {
    let mut config = ServiceProviderConfig::default();
    config.bulk = true;
    Engine::builder(UsersOnly::default(), BearerToken::new(TOKEN))
        .service_provider_config(config)
        .base_url("https://app.example.com/scim/v2")
        .build()
}

async fn call(
    engine: &Engine<UsersOnly>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Type", "application/scim+json")
        .body(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())))
        .unwrap();
    let response = engine.handle(request).await;
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn the_engine_serves_no_groups_for_a_users_only_store() {
    let engine = engine();
    for (method, path, body) in [
        ("GET", "/Groups", None),
        ("POST", "/Groups", Some(json!({"displayName": "Admins"}))),
        ("GET", "/Groups/some-id", None),
        ("PATCH", "/Groups/some-id", Some(json!({"Operations": []}))),
        ("DELETE", "/Groups/some-id", None),
        ("POST", "/Groups/.search", Some(json!({}))),
    ] {
        let (status, body) = call(&engine, method, path, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["detail"], "this service does not serve Groups");
    }
    // Discovery says so.
    let (_, types) = call(&engine, "GET", "/ResourceTypes", None).await;
    assert_eq!(types["totalResults"], 1);
    assert_eq!(types["Resources"][0]["id"], "User");
    assert_eq!(
        call(&engine, "GET", "/ResourceTypes/Group", None).await.0,
        404
    );
    let (_, schemas) = call(&engine, "GET", "/Schemas", None).await;
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"urn:ietf:params:scim:schemas:core:2.0:User"),
        "{ids:?}"
    );
    assert!(!ids.iter().any(|id| id.contains("Group")), "{ids:?}");

    // Users work, and the root search lists users alone.
    let (status, _) = call(
        &engine,
        "POST",
        "/Users",
        Some(json!({"userName": "bjensen"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, found) = call(&engine, "POST", "/.search", Some(json!({}))).await;
    assert_eq!((status, found["totalResults"].clone()), (200, json!(1)));

    // A bulk operation on a group fails alone, as its request would.
    let bulk = json!({"Operations": [
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "A"}},
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "jsmith"}},
    ]});
    let (status, answer) = call(&engine, "POST", "/Bulk", Some(bulk)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["Operations"][0]["status"], "404");
    assert_eq!(answer["Operations"][1]["status"], "201");
}

#[tokio::test]
async fn the_engine_refuses_sorting_a_store_cannot_do() {
    let engine = engine();
    let (_, config) = call(&engine, "GET", "/ServiceProviderConfig", None).await;
    assert_eq!(config["sort"]["supported"], false);
    let (status, body) = call(&engine, "GET", "/Users?sortBy=userName", None).await;
    assert_eq!(status, 501, "{body}");
    assert_eq!(body["detail"], "sorting is not supported by this service");
    let (status, _) = call(
        &engine,
        "POST",
        "/Users/.search",
        Some(json!({"sortBy": "title"})),
    )
    .await;
    assert_eq!(status, 501);
    // Without sortBy, lists work.
    assert_eq!(call(&engine, "GET", "/Users?count=5", None).await.0, 200);
    // A store that sorts is advertised as sorting.
    let sorting = Engine::new(MemoryStore::new(), BearerToken::new(TOKEN));
    let request = http::Request::get("/ServiceProviderConfig")
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(Bytes::new())
        .unwrap();
    let body: Value = serde_json::from_slice(sorting.handle(request).await.body()).unwrap();
    assert_eq!(body["sort"]["supported"], true);
}

/// Lets every request in as a caller of tenant `.0`.
struct AsTenant(&'static str);

impl Authenticator for AsTenant {
    fn authenticate(&self, _: &Parts) -> Result<Principal, ScimError> {
        Ok(Principal::new(self.0))
    }
}

#[tokio::test]
async fn a_single_tenant_store_gets_requests_for_its_tenant_only() {
    let store = UsersOnly::default();
    let other = Engine::new(store.clone(), AsTenant("acme"));
    let request = |path: &str| {
        http::Request::post(path)
            .header("Content-Type", "application/scim+json")
            .body(Bytes::from(json!({"userName": "intruder"}).to_string()))
            .unwrap()
    };
    let response = other.handle(request("/Users")).await;
    assert_eq!(response.status(), 403);
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(
        body["detail"],
        "this service serves only the tenant \"default\""
    );
    // Nothing reached the store.
    let own = Engine::new(store, AsTenant(DEFAULT_TENANT));
    let response = own
        .handle(http::Request::get("/Users").body(Bytes::new()).unwrap())
        .await;
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["totalResults"], 0);
    assert_eq!(own.handle(request("/Users")).await.status(), 201);

    // The same holds for the operations called directly, by an app.
    let acme = RequestContext::new("acme");
    let err = own
        .create(&acme, ResourceKind::User, json!({"userName": "intruder"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 403);
    let err = own.list(&acme, None, &ListQuery::new()).await.unwrap_err();
    assert_eq!(err.status(), 403);
    let page = own
        .list(
            &RequestContext::new(DEFAULT_TENANT),
            None,
            &ListQuery::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        page.total_results, 1,
        "only the user created through the own engine"
    );
}
