//! Schemas fitted to an app, through the engine as clients use it: aliases in bodies, PATCH
//! paths and filters (answered in the canonical name), required attributes and enforced
//! canonical values on core attributes, and a free-form extension declared in a schema file
//! that stores numbers as strings.

use std::sync::Arc;

use bytes::Bytes;
use scim_core::engine::{BearerToken, Engine};
use scim_core::{
    CanonicalMatch, MemoryStore, RequestContext, ResourceKind, Schema, SchemaRegistry,
};
use serde_json::{Value, json};

const METADATA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Metadata";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn registry() -> Arc<SchemaRegistry> {
    let metadata = format!(
        r#"{{"id": "{METADATA}", "name": "Metadata", "attributes": [],
             "freeForm": true, "coerceToString": true}}"#
    );
    Arc::new(
        SchemaRegistry::new()
            .with_alias(ResourceKind::User, "email", "emails")
            .expect("an alias")
            .with_alias(ResourceKind::User, "phoneNumber", "phoneNumbers")
            .expect("an alias")
            .with_attribute_change(ResourceKind::User, "emails", |a| a.required = true)
            .expect("a change")
            .with_attribute_change(ResourceKind::User, "userType", |a| {
                a.canonical_values = vec!["Premium".into(), "Standard".into()];
                a.canonical_match = Some(CanonicalMatch::Exact);
            })
            .expect("a change")
            .with_attribute_change(ResourceKind::User, "preferredLanguage", |a| {
                a.canonical_values = vec!["en-US".into(), "de-DE".into()];
                a.canonical_match = Some(CanonicalMatch::IgnoreCase);
            })
            .expect("a change")
            .with_extension_json(ResourceKind::User, &metadata, false)
            .expect("a schema file"),
    )
}

/// The engine takes the store's registry: nothing here says `.registry(...)` twice, and
/// every test below fails if the engine validates with another.
fn engine() -> Engine<MemoryStore> {
    Engine::builder(
        MemoryStore::with_registry(registry()),
        BearerToken::new("t"),
    )
    .build()
}

async fn call(engine: &Engine<MemoryStore>, method: &str, path: &str, body: Value) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", "Bearer t")
        .header("content-type", "application/scim+json")
        .body(if body.is_null() {
            Bytes::new()
        } else {
            Bytes::from(body.to_string())
        })
        .expect("a request");
    let response = engine.handle(request).await;
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(response.body()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn aliases_work_in_bodies_paths_and_filters_and_answer_canonically() {
    let engine = engine();
    let (status, user) = call(
        &engine,
        "POST",
        "/Users",
        json!({"userName": "bjensen", "userType": "Premium",
               "email": [{"type": "work", "value": "b@example.com", "primary": true}],
               "phoneNumber": [{"type": "work", "value": "555-0100"}]}),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["emails"][0]["value"], "b@example.com");
    assert_eq!(user["phoneNumbers"][0]["value"], "555-0100");
    assert!(user.get("email").is_none() && user.get("phoneNumber").is_none());
    let id = user["id"].as_str().expect("an id");

    // Entra's PATCH by the product's documented path.
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "email[type eq \"work\"].value", "value": "babs@example.com"},
        {"op": "Replace", "path": "phoneNumber[type eq \"work\"].value", "value": "555-0199"}
    ]});
    let (status, patched) = call(&engine, "PATCH", &format!("/Users/{id}"), patch).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["emails"][0]["value"], "babs@example.com");
    assert_eq!(patched["phoneNumbers"][0]["value"], "555-0199");

    // A filter by the alias.
    let filter = "email%5Btype%20eq%20%22work%22%5D.value%20eq%20%22babs@example.com%22";
    let (status, page) = call(
        &engine,
        "GET",
        &format!("/Users?filter={filter}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 1);

    // Both names at once is one attribute named twice.
    let (status, body) = call(
        &engine,
        "POST",
        "/Users",
        json!({"userName": "twice", "email": [{"value": "a@example.com"}],
               "emails": [{"value": "b@example.com"}]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue");
    assert_eq!(
        body["detail"],
        "\"email\" and \"emails\" name the same attribute: send it once"
    );
}

#[tokio::test]
async fn required_and_canonical_values_on_core_attributes() {
    let engine = engine();
    let (status, body) = call(&engine, "POST", "/Users", json!({"userName": "noemail"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"], "attribute \"emails\" is required");
    let (status, body) = call(
        &engine,
        "POST",
        "/Users",
        json!({"userName": "basic", "emails": [{"value": "x@example.com"}], "userType": "premium"}),
    )
    .await;
    assert_eq!(status, 400, "exact: {body}");
    assert_eq!(
        body["detail"],
        "attribute \"userType\": \"premium\" is not one of Premium, Standard"
    );
    let ctx = RequestContext::new("default");
    let user = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "lang", "emails": [{"value": "l@example.com"}],
                   "userType": "Standard", "preferredLanguage": "EN-us"}),
        )
        .await
        .expect("create");
    assert_eq!(
        user.get("preferredLanguage"),
        Some(&json!("en-US")),
        "the canonical spelling"
    );
    // A PATCH that removes the required email is refused too.
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "emails"}]});
    let (status, body) = call(
        &engine,
        "PATCH",
        &format!("/Users/{}", user.id().expect("an id")),
        patch,
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_free_form_extension_from_a_schema_file_stores_non_strings_as_strings() {
    let engine = engine();
    let (status, user) = call(
        &engine,
        "POST",
        "/Users",
        json!({"userName": "meta", "emails": [{"value": "m@example.com"}],
               METADATA: {"Level": 7, "Active": true, "Team": "Blue"}}),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(
        user[METADATA],
        json!({"Level": "7", "Active": "true", "Team": "Blue"})
    );
    let id = user["id"].as_str().expect("an id");
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": format!("{METADATA}:Level"), "value": 8},
        {"op": "add", "path": format!("{METADATA}:CostCenter"), "value": "4130"}
    ]});
    let (status, patched) = call(&engine, "PATCH", &format!("/Users/{id}"), patch).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched[METADATA]["Level"], "8");
    assert_eq!(patched[METADATA]["CostCenter"], "4130");
    // Nested values are no string a platform could make of them.
    let (status, body) = call(
        &engine,
        "POST",
        "/Users",
        json!({"userName": "nested", "emails": [{"value": "n@example.com"}],
               METADATA: {"Level": {"deep": 1}}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Discovery says it is free-form; the schema file keys are not RFC 7643's.
    let (_, schema) = call(&engine, "GET", &format!("/Schemas/{METADATA}"), Value::Null).await;
    assert!(schema.get("freeForm").is_none(), "{schema}");
    assert!(
        schema["description"]
            .as_str()
            .unwrap_or_default()
            .contains("Free-form")
    );
}

#[test]
fn aliases_that_cannot_be() {
    let registry = SchemaRegistry::new();
    let err = registry
        .clone()
        .with_alias(ResourceKind::User, "mail", "mails")
        .unwrap_err();
    assert!(err.to_string().contains("no attribute \"mails\""), "{err}");
    let err = registry
        .clone()
        .with_alias(ResourceKind::User, "userName", "emails")
        .unwrap_err();
    assert!(err.to_string().contains("cannot be an alias"), "{err}");
    let err = registry
        .with_attribute_change(ResourceKind::User, "nope", |a| a.required = true)
        .unwrap_err();
    assert!(err.to_string().contains("no attribute \"nope\""), "{err}");
    let _ = Schema::free_form(METADATA, "Metadata").coercing_to_strings();
}
