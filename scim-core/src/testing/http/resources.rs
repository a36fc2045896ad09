//! Resources over HTTP: create, read, replace, delete, `/Me`, and the errors a client gets
//! for a missing or duplicate resource.

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

use super::{BASE_URL, Client, GROUP, Harness, TOKEN, client, engine, entra_user, unique};
use crate::MemoryStore;
use crate::engine::{BearerToken, Engine};

/// `POST /Users`: `201`, the resource with `id` and `meta`, `Location` and `meta.location`
/// under the public base URL, `ETag` equal to `meta.version`.
pub async fn create_user<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("create");
    let created = c.post("/Users", entra_user(&name)).await;
    created.expect(201).expect_scim_json();
    let id = created.id();
    let location = format!("{BASE_URL}/Users/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.body["meta"]["location"], json!(location));
    assert_eq!(created.body["meta"]["resourceType"], json!("User"));
    assert_eq!(
        created.header("etag"),
        created.body["meta"]["version"].as_str()
    );
    assert_eq!(created.body["userName"], json!(name));
    assert_eq!(
        created.body["roles"],
        json!([]),
        "values come back as they were sent"
    );
    assert!(created.body.get("password").is_none());

    let read = c.get(&format!("/Users/{id}")).await;
    read.expect(200).expect_scim_json();
    assert_eq!(read.body, created.body, "what was created is what is read");
    assert_eq!(read.header("etag"), created.header("etag"));
}

/// `password` (returned "never") is in no answer: not on create, read, list, search, PATCH or
/// PUT, not when asked for by name, and not after the user changed. A store that writes
/// answers from its stored text must leave it out too.
pub async fn password_never_returned<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("secret");
    let mut body = entra_user(&name);
    body["password"] = json!("t1meMa$heen-2");
    let created = c.post("/Users", body.clone()).await;
    created.expect(201);
    let id = created.id();
    let path = format!("/Users/{id}");
    let filter = format!("/Users?filter=userName%20eq%20%22{name}%22");
    let patch = json!([{"op": "replace", "path": "title", "value": "Tour Guide"}]);
    let answers = [
        created,
        c.get(&path).await,
        c.get(&format!("{path}?attributes=password,userName")).await,
        c.get(&filter).await,
        c.get(&format!("{filter}&excludedAttributes=emails")).await,
        c.patch(&path, patch).await,
        c.put(&path, body).await,
        c.get(&path).await,
    ];
    for answer in answers {
        let text = answer.body.to_string();
        assert!(!text.contains("t1meMa$heen"), "password in {text}");
        assert!(!text.contains("\"password\""), "password in {text}");
    }
}

/// Entra's null attributes (Tutorial example 2) are accepted and mean "unassigned".
pub async fn create_with_nulls<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let mut body = entra_user(&unique("nulls"));
    body["addresses"] = Value::Null;
    body["phoneNumbers"] = Value::Null;
    body["title"] = Value::Null;
    let created = c.post("/Users", body).await;
    created.expect(201);
    assert!(created.body.get("title").is_none(), "{}", created.body);
}

/// A group as Entra creates it (G1): the legacy ADSCIM schema URN is tolerated, no members.
pub async fn create_group_entra<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let body = json!({
        "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": unique("Group"),
        "meta": {"resourceType": "Group"},
    });
    let created = c.post("/Groups", body).await;
    created.expect(201);
    assert_eq!(created.body["schemas"], json!([GROUP]));
    let location = format!("{BASE_URL}/Groups/{}", created.id());
    assert_eq!(created.header("location"), Some(location.as_str()));
}

/// Without a configured base URL, `Location` and `meta.location` come from the `Host`
/// header and the prefix the endpoint is mounted under.
pub async fn location_from_host_and_mount<H: Harness>(harness: &H) {
    let c = client(
        harness,
        Engine::builder(MemoryStore::new(), BearerToken::new(TOKEN)),
    )
    .await;
    let body = entra_user("mounted");
    let request = Client::<H::Client>::request(Method::POST, "/Users", Some(&body))
        .header("host", "app.example.com")
        .body(Bytes::from(serde_json::to_vec(&body).expect("JSON")))
        .expect("request");
    let created = c.raw(request).await;
    created.expect(201);
    let location = format!(
        "http://app.example.com{}/Users/{}",
        harness.mount(),
        created.id()
    );
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.body["meta"]["location"], json!(location));
}

/// `GET` of an unknown id is `404` with a SCIM error body (Entra, Okta R4/R12).
pub async fn unknown_id_is_404<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for path in ["/Users/no-such-id", "/Groups/no-such-id"] {
        c.get(path).await.expect_error(404, None);
        c.patch(
            path,
            json!([{"op": "replace", "path": "displayName", "value": "x"}]),
        )
        .await
        .expect_error(404, None);
        c.put(path, json!({"userName": "x", "displayName": "x"}))
            .await
            .expect_error(404, None);
        c.delete(path).await.expect_error(404, None);
    }
}

/// Duplicate `userName` (any case) and group `displayName` are `409 uniqueness` (U22, R8).
pub async fn duplicates_are_409<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("dup");
    c.user(&name).await;
    c.post("/Users", entra_user(&name.to_uppercase()))
        .await
        .expect_error(409, Some("uniqueness"));
    let group = unique("dup-group");
    c.group(&group).await;
    c.post("/Groups", json!({"displayName": group}))
        .await
        .expect_error(409, Some("uniqueness"));
    // A rename onto a taken name too.
    let other = c.user(&unique("other")).await;
    c.patch(
        &format!("/Users/{other}"),
        json!([{"op": "Replace", "path": "userName", "value": name}]),
    )
    .await
    .expect_error(409, Some("uniqueness"));
}

/// `PUT` replaces everything but readOnly and immutable attributes; a new ETag.
pub async fn put_replaces<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("put");
    let id = c.user(&name).await;
    let before = c.get(&format!("/Users/{id}")).await;
    let mut body = before.body.clone();
    body["displayName"] = json!("Babs");
    body.as_object_mut().expect("object").remove("emails");
    body["id"] = json!("ignored");
    let put = c.put(&format!("/Users/{id}"), body).await;
    put.expect(200).expect_scim_json();
    assert_eq!(put.body["id"], json!(id));
    assert_eq!(put.body["displayName"], json!("Babs"));
    assert!(
        put.body.get("emails").is_none(),
        "PUT replaces: what is omitted goes"
    );
    assert_eq!(put.body["meta"]["created"], before.body["meta"]["created"]);
    assert_ne!(put.header("etag"), before.header("etag"));
    // Okta puts back what it read, readOnly attributes and all: nothing changes.
    let again = c.put(&format!("/Users/{id}"), put.body.clone()).await;
    assert_eq!(again.expect(200).header("etag"), put.header("etag"));
    c.put(
        &format!("/Users/{id}"),
        json!({"displayName": "no userName"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}

/// `/Me` through the app's hook: the caller's own User, read and patched.
pub async fn me_hook<H: Harness>(harness: &H) {
    let me = Arc::new(std::sync::Mutex::new(None::<String>));
    let hook = Arc::clone(&me);
    let c = client(
        harness,
        engine().me(move |_ctx| hook.lock().expect("lock").clone()),
    )
    .await;
    c.get("/Me").await.expect_error(404, None);
    let id = c.user(&unique("me")).await;
    *me.lock().expect("lock") = Some(id.clone());
    let read = c.get("/Me").await;
    assert_eq!(read.expect(200).id(), id);
    c.patch(
        "/Me",
        json!([{"op": "add", "path": "nickName", "value": "myself"}]),
    )
    .await
    .expect(200);
    assert_eq!(
        c.get(&format!("/Users/{id}")).await.body["nickName"],
        json!("myself")
    );
}

/// `DELETE` is `204`, then the resource is gone (`404`), and a deleted user leaves its
/// groups (U21, G9).
pub async fn delete_resources<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let user = c.user(&unique("deleted")).await;
    let keep = c.user(&unique("kept")).await;
    let group = c
        .post("/Groups", json!({"displayName": unique("Leavers"), "members": [{"value": user}, {"value": keep}]}))
        .await
        .expect(201)
        .id();
    let gone = c.delete(&format!("/Users/{user}")).await;
    gone.expect(204);
    assert_eq!(gone.body, Value::Null);
    c.get(&format!("/Users/{user}"))
        .await
        .expect_error(404, None);
    c.delete(&format!("/Users/{user}"))
        .await
        .expect_error(404, None);
    let members = c.get(&format!("/Groups/{group}")).await.body["members"].clone();
    assert_eq!(members, json!([{"value": keep}]));
    c.delete(&format!("/Groups/{group}")).await.expect(204);
    c.get(&format!("/Groups/{group}"))
        .await
        .expect_error(404, None);
}
