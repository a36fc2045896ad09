//! The protocol around resources: request errors, media types, body limits, ETags,
//! authentication, tenants and locations, routes and methods, discovery.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request};
use serde_json::{Value, json};

use super::{
    BASE_URL, CUSTOM_URN, Client, ENTERPRISE, Harness, PATCH_OP, TOKEN, USER, client, engine,
    unique,
};
use crate::engine::{Engine, Principal};
use crate::{MemoryStore, SchemaRegistry, ServiceProviderConfig};

/// Validation on create: missing or mistyped attributes are `400 invalidValue`, with the
/// attribute named; nothing is stored.
pub async fn create_errors<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    c.post(
        "/Users",
        json!({"schemas": [USER], "displayName": "no userName"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let wrong = c
        .post("/Users", json!({"userName": "typed", "active": "yes"}))
        .await;
    wrong.expect_error(400, Some("invalidValue"));
    assert!(
        wrong.body["detail"]
            .as_str()
            .expect("detail")
            .contains("active")
    );
    c.post("/Users", json!({"userName": ["a"]}))
        .await
        .expect_error(400, Some("invalidValue"));
    c.post("/Users", json!(["not", "an", "object"]))
        .await
        .expect_error(400, Some("invalidSyntax"));
    assert_eq!(c.filter("/Users", "userName eq \"typed\"").await.total(), 0);
}

/// Malformed bodies: `400 invalidSyntax`, never a `500`.
pub async fn malformed_bodies<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let send = |method: Method, path: &str, body: &'static [u8]| {
        let request = Client::<H::Client>::request(method, path, Some(&Value::Null))
            .body(Bytes::from_static(body))
            .expect("request");
        c.raw(request)
    };
    send(Method::POST, "/Users", b"{\"userName\": ")
        .await
        .expect_error(400, Some("invalidSyntax"));
    send(Method::POST, "/Users", b"")
        .await
        .expect_error(400, Some("invalidSyntax"));
    send(Method::POST, "/Users", b"\xff\xfe")
        .await
        .expect_error(400, Some("invalidSyntax"));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let request = Client::<H::Client>::request(Method::POST, "/Users", Some(&Value::Null))
        .body(Bytes::from(deep))
        .expect("request");
    c.raw(request)
        .await
        .expect_error(400, Some("invalidSyntax"));
    let id = c.user(&unique("malformed")).await;
    send(Method::PATCH, &format!("/Users/{id}"), b"{{{")
        .await
        .expect_error(400, Some("invalidSyntax"));
    send(Method::PUT, &format!("/Users/{id}"), b"nope")
        .await
        .expect_error(400, Some("invalidSyntax"));
}

/// Media types: `application/scim+json` and `application/json`, with parameters, are
/// accepted; anything else is `415`; every answer is `application/scim+json`.
pub async fn media_types<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for (i, content_type) in [
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json",
        "Application/JSON;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let body = serde_json::to_vec(&json!({"userName": format!("media-{i}")})).expect("JSON");
        let request = Request::post("/Users")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", content_type)
            .body(Bytes::from(body))
            .expect("request");
        c.raw(request).await.expect(201).expect_scim_json();
    }
    let request = Request::post("/Users")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "text/plain")
        .body(Bytes::from_static(b"{\"userName\": \"plain\"}"))
        .expect("request");
    c.raw(request).await.expect_error(415, None);
}

/// Bodies above the configured limit are `413` with a SCIM error.
pub async fn body_limit<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        max_payload_size: 2048,
        ..ServiceProviderConfig::default()
    };
    let c = client(harness, engine().service_provider_config(config)).await;
    let big = json!({"userName": "big", "title": "x".repeat(4096)});
    c.post("/Users", big).await.expect_error(413, None);
    c.post("/Users", json!({"userName": "small"}))
        .await
        .expect(201);
    assert_eq!(
        c.get("/ServiceProviderConfig").await.body["bulk"]["maxPayloadSize"],
        json!(2048)
    );
}

/// ETags: `If-None-Match` gives `304`; a stale `If-Match` is `412` on PUT, PATCH and DELETE
/// and changes nothing; the current one (or `*`) lets the write through.
pub async fn etags<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("etag")).await;
    let path = format!("/Users/{id}");
    let read = c.get(&path).await;
    let etag = read.header("etag").expect("an ETag").to_owned();
    let conditional = |method: Method, header: &str, tag: &str, body: Option<Value>| {
        let bytes = body
            .as_ref()
            .map(|b| Bytes::from(serde_json::to_vec(b).expect("JSON")))
            .unwrap_or_default();
        let request = Client::<H::Client>::request(method, &path, body.as_ref())
            .header(header, tag)
            .body(bytes)
            .expect("request");
        c.raw(request)
    };
    let not_modified = conditional(Method::GET, "if-none-match", &etag, None).await;
    not_modified.expect(304);
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    conditional(Method::GET, "if-none-match", "W/\"other\"", None)
        .await
        .expect(200);

    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "v2"}]});
    let changed = conditional(Method::PATCH, "if-match", &etag, Some(patch.clone())).await;
    changed.expect(200);
    let stale = etag;
    conditional(Method::PATCH, "if-match", &stale, Some(patch.clone()))
        .await
        .expect_error(412, None);
    let mut replacement = changed.body.clone();
    replacement["title"] = json!("v3");
    conditional(Method::PUT, "if-match", &stale, Some(replacement.clone()))
        .await
        .expect_error(412, None);
    conditional(Method::DELETE, "if-match", &stale, None)
        .await
        .expect_error(412, None);
    assert_eq!(
        c.get(&path).await.body["title"],
        json!("v2"),
        "refused writes change nothing"
    );
    conditional(Method::PUT, "if-match", "*", Some(replacement))
        .await
        .expect(200);
    let current = c.get(&path).await.header("etag").expect("etag").to_owned();
    conditional(Method::DELETE, "if-match", &current, None)
        .await
        .expect(204);
}

/// Without a valid bearer token: `401`, `WWW-Authenticate: Bearer`, a SCIM error (Okta R11),
/// on every route, known or not.
pub async fn authentication<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("secret")).await;
    for token in [
        None,
        Some("Bearer wrong"),
        Some("Basic dXNlcjpwYXNz"),
        Some(TOKEN),
    ] {
        for path in [
            "/Users",
            "/ServiceProviderConfig",
            "/Schemas",
            "/nowhere",
            &format!("/Users/{id}"),
        ] {
            let mut request = Request::get(path);
            if let Some(token) = token {
                request = request.header("authorization", token);
            }
            let reply = c.raw(request.body(Bytes::new()).expect("request")).await;
            reply.expect_error(401, None);
            assert!(
                reply
                    .header("www-authenticate")
                    .is_some_and(|h| h.starts_with("Bearer"))
            );
            assert!(
                !reply.body.to_string().contains(TOKEN),
                "errors never echo secrets"
            );
        }
    }
}

/// An authenticator that maps each token to a tenant: each tenant sees only its own
/// resources, and `Location` follows the `{tenant}` in the base URL.
pub async fn tenants_and_locations<H: Harness>(harness: &H) {
    let by_token = |parts: &http::request::Parts| match crate::engine::bearer_token(parts) {
        Some("acme-token") => Ok(Principal::new("acme")),
        Some("globex-token") => Ok(Principal::new("globex")),
        _ => Err(crate::ScimError::unauthorized("unknown token")),
    };
    let registry = Arc::new(SchemaRegistry::new());
    let engine = Engine::builder(MemoryStore::with_registry(Arc::clone(&registry)), by_token)
        .registry(registry)
        .base_url("https://scim.example.com/scim/{tenant}/v2");
    let c = client(harness, engine).await;
    let created = c
        .as_bearer(
            "acme-token",
            Method::POST,
            "/Users",
            Some(json!({"userName": "shared-name"})),
        )
        .await;
    created.expect(201);
    let id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("https://scim.example.com/scim/acme/v2/Users/{id}").as_str())
    );
    // The same userName is free in another tenant, which cannot see acme's user.
    c.as_bearer(
        "globex-token",
        Method::POST,
        "/Users",
        Some(json!({"userName": "shared-name"})),
    )
    .await
    .expect(201);
    let path = format!("/Users/{id}");
    c.as_bearer("globex-token", Method::GET, &path, None)
        .await
        .expect_error(404, None);
    c.as_bearer("globex-token", Method::DELETE, &path, None)
        .await
        .expect_error(404, None);
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]});
    c.as_bearer("globex-token", Method::PATCH, &path, Some(patch))
        .await
        .expect_error(404, None);
    let listed = c
        .as_bearer("globex-token", Method::GET, "/Users", None)
        .await;
    assert_eq!(listed.total(), 1);
    assert_ne!(listed.resources()[0]["id"], json!(id));
    c.as_bearer("acme-token", Method::GET, &path, None)
        .await
        .expect(200);
    c.as_bearer("nobody", Method::GET, "/Users", None)
        .await
        .expect_error(401, None);
}

/// Unknown routes are `404`, unsupported methods `405` with `Allow`, `/Me` without a hook
/// and `/Bulk` are `501`, all as SCIM errors.
pub async fn routes_and_methods<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    c.get("/nowhere").await.expect_error(404, None);
    c.get("/Users/a/b").await.expect_error(404, None);
    let r = c.delete("/Users").await;
    r.expect_error(405, None);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    c.post("/Users/some-id", json!({}))
        .await
        .expect_error(405, None);
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
        "/Schemas/urn:x",
    ] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            c.call(method, path, Some(json!({})))
                .await
                .expect_error(405, None);
        }
    }
    c.get("/Me").await.expect_error(501, None);
    c.post("/Bulk", json!({"Operations": []}))
        .await
        .expect_error(501, None);
}

/// Discovery documents generated from the registered schemas.
pub async fn discovery<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let spc = c.get("/ServiceProviderConfig").await;
    spc.expect(200).expect_scim_json();
    assert_eq!(spc.body["patch"]["supported"], json!(true));
    assert_eq!(spc.body["etag"]["supported"], json!(true));
    assert_eq!(
        spc.body["filter"]["maxResults"],
        json!(ServiceProviderConfig::default().max_results)
    );
    assert_eq!(
        spc.body["meta"]["location"],
        json!(format!("{BASE_URL}/ServiceProviderConfig"))
    );

    let types = c.get("/ResourceTypes").await;
    assert_eq!(types.total(), 2);
    let user_type = c.get("/ResourceTypes/User").await;
    assert_eq!(user_type.expect(200).body["endpoint"], json!("/Users"));
    let extensions: Vec<_> = user_type.body["schemaExtensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .map(|e| e["schema"].clone())
        .collect();
    assert_eq!(extensions, [json!(ENTERPRISE), json!(CUSTOM_URN)]);
    c.get("/ResourceTypes/Printer")
        .await
        .expect_error(404, None);

    let schemas = c.get("/Schemas").await;
    assert_eq!(schemas.total(), 4, "User, enterprise, custom, Group");
    let user = c.get(&format!("/Schemas/{USER}")).await;
    let names: Vec<&str> = user.expect(200).body["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(names.contains(&"userName") && names.contains(&"emails"));
    assert!(
        !names.contains(&"x509Certificates"),
        "hidden attributes are not advertised"
    );
    let custom = c.get(&format!("/Schemas/{CUSTOM_URN}")).await;
    assert_eq!(
        custom.expect(200).body["attributes"][1]["multiValued"],
        json!(true)
    );
    c.get("/Schemas/urn:nope").await.expect_error(404, None);
    c.get("/Schemas?filter=id%20pr")
        .await
        .expect_error(403, None);
}
