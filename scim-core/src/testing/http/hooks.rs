//! What an app hooks onto writes (events after them, rules before them), and `/Bulk`, which
//! runs many writes in one request.

use std::sync::{Arc, Mutex};

use http::Method;
use serde_json::{Value, json};

use scim_filter::Filter;

use super::{Harness, PATCH_OP, USER, arrived, client, engine, entra_user, unique};
use crate::engine::{Event, EventKind, RoleMapping, RuleFuture, Write, WriteRule};
use crate::{ListQuery, ResourceKind, ScimError, ServiceProviderConfig};

/// Events after each committed write, with the changed attributes, activation and
/// membership changes; none for failed or no-op writes. A store that keeps events durably
/// delivers them after the answer, from a task of its own: each step waits for the events
/// it expects, and "none" is checked by a later write whose event must come next.
pub async fn events<H: Harness>(harness: &H) {
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = Arc::clone(&events);
    let c = client(
        harness,
        engine().events(move |e: &Event| sink.lock().expect("lock").push(e.clone())),
    )
    .await;
    let take = |n: usize| {
        let events = Arc::clone(&events);
        async move {
            arrived(&events, n)
                .await
                .into_iter()
                .map(|e| (e.kind, e.id))
                .collect::<Vec<_>>()
        }
    };
    // Nothing was published since the last take: a new user's creation is the next event.
    let nothing = async |why: &str| {
        let barrier = c.user(&unique("barrier")).await;
        assert_eq!(take(1).await, [(EventKind::Created, barrier)], "{why}");
    };
    let patch = |ops: Value| json!({"schemas": [PATCH_OP], "Operations": ops});

    let user = c.user(&unique("evented")).await;
    assert_eq!(take(1).await, [(EventKind::Created, user.clone())]);
    c.post("/Users", entra_user("evented-dup"))
        .await
        .expect(201);
    take(1).await;
    c.post("/Users", entra_user("evented-dup"))
        .await
        .expect_error(409, Some("uniqueness"));
    nothing("a failed write publishes nothing").await;

    let path = format!("/Users/{user}");
    c.call(
        Method::PATCH,
        &path,
        Some(patch(
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )),
    )
    .await
    .expect(200);
    assert_eq!(
        take(2).await,
        [
            (
                EventKind::Patched {
                    changed: vec!["active".into()]
                },
                user.clone()
            ),
            (EventKind::Deactivated, user.clone()),
        ]
    );
    c.call(
        Method::PATCH,
        &path,
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    )
    .await
    .expect(200);
    nothing("a PATCH that changes nothing publishes nothing").await;
    c.call(
        Method::PATCH,
        &path,
        Some(patch(
            json!([{"op": "replace", "value": {"active": true, "title": "CTO"}}]),
        )),
    )
    .await
    .expect(200);
    let got = take(2).await;
    assert!(
        matches!(&got[0].0, EventKind::Patched { changed } if changed.contains(&"active".to_owned()) && changed.contains(&"title".to_owned())),
        "{got:?}"
    );
    assert_eq!(got[1], (EventKind::Activated, user.clone()));

    let group = c
        .post(
            "/Groups",
            json!({"displayName": unique("Evented"), "members": [{"value": user}]}),
        )
        .await
        .expect(201)
        .id();
    assert_eq!(
        take(2).await,
        [
            (EventKind::Created, group.clone()),
            (
                EventKind::MembersAdded {
                    ids: vec![user.clone()]
                },
                group.clone()
            ),
        ]
    );
    let other = c.user(&unique("joiner")).await;
    take(1).await;
    c.patch(
        &format!("/Groups/{group}"),
        json!([
            {"op": "add", "path": "members", "value": [{"value": other}]},
            {"op": "remove", "path": format!("members[value eq \"{user}\"]")},
        ]),
    )
    .await
    .expect(200);
    assert_eq!(
        take(3).await,
        [
            (
                EventKind::Patched {
                    changed: vec!["members".into()]
                },
                group.clone()
            ),
            (
                EventKind::MembersAdded {
                    ids: vec![other.clone()]
                },
                group.clone()
            ),
            (
                EventKind::MembersRemoved {
                    ids: vec![user.clone()]
                },
                group.clone()
            ),
        ]
    );
    let mut replacement = c.get(&path).await.body.clone();
    replacement["active"] = json!(false);
    c.put(&path, replacement).await.expect(200);
    assert_eq!(
        take(2).await,
        [
            (EventKind::Replaced, user.clone()),
            (EventKind::Deactivated, user.clone())
        ]
    );
    c.delete(&path).await.expect(204);
    assert_eq!(take(1).await, [(EventKind::Deleted, user.clone())]);
    c.delete(&path).await.expect_error(404, None);
    nothing("deleting what is gone publishes nothing").await;
}

/// App rules see the resource about to be written and the previous one; a refusal is the
/// request's answer, with the app's detail, and nothing is written (dry runs included).
pub async fn write_rules<H: Harness>(harness: &H) {
    let roles = RoleMapping::new()
        .with("Admin", "admin")
        .with("EnterpriseAdmin", "owner")
        .with("User", "member");
    let rule = move |write: &Write<'_>| {
        if write.resource().is_some_and(|r| roles.all(r).len() > 1) {
            return Err(ScimError::invalid_value(
                "a user can hold only one global role",
            ));
        }
        if write
            .previous()
            .is_some_and(|p| p.user_name() == Some("locked"))
        {
            return Err(ScimError::new(403, "this user is managed by the app"));
        }
        Ok(())
    };
    let c = client(harness, engine().rule(rule).rule(OneAccountPerEmail)).await;
    let two_roles = json!([{"value": "Admin"}, {"value": "User"}]);
    let mut body = entra_user(&unique("ruled"));
    body["roles"] = two_roles.clone();
    let refused = c.post("/Users", body).await;
    refused.expect_error(400, Some("invalidValue"));
    assert_eq!(
        refused.body["detail"],
        json!("a user can hold only one global role")
    );

    let id = c.user(&unique("ruled")).await;
    let path = format!("/Users/{id}");
    let before = c.get(&path).await.body.clone();
    c.patch(
        &path,
        json!([{"op": "add", "path": "roles", "value": two_roles}]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    c.patch(
        &path,
        json!([{"op": "add", "path": "roles", "value": [{"value": "Admin", "primary": "True"}]}]),
    )
    .await
    .expect(200);
    let mut replacement = before.clone();
    replacement["roles"] = json!([{"value": "Admin"}, {"value": "EnterpriseAdmin"}]);
    c.put(&path, replacement)
        .await
        .expect_error(400, Some("invalidValue"));
    assert_eq!(
        c.get(&path).await.body["roles"],
        json!([{"value": "Admin", "primary": true}])
    );

    let locked = c.user("locked").await;
    c.patch(
        &format!("/Users/{locked}"),
        json!([{"op": "add", "path": "title", "value": "x"}]),
    )
    .await
    .expect_error(403, None);
    // Rules see deletes too: the locked user stays.
    c.delete(&format!("/Users/{locked}"))
        .await
        .expect_error(403, None);
    c.get(&format!("/Users/{locked}")).await.expect(200);

    // A rule that amends: a user without roles is stored with the default one.
    let plain = json!({"schemas": [USER], "userName": unique("plain"),
                       "emails": [{"value": format!("{}@example.com", unique("plain"))}]});
    let created = c.post("/Users", plain).await;
    created.expect(201);
    assert_eq!(created.body["roles"], json!([{"value": "User"}]));
    let stored = c.get(&format!("/Users/{}", created.id())).await;
    assert_eq!(stored.body["roles"], json!([{"value": "User"}]));
    // A rule that reads the store: a work email another user has is refused.
    let taken = created.body["emails"][0]["value"].clone();
    let twin = json!({"schemas": [USER], "userName": unique("twin"), "emails": [{"value": taken}]});
    let refused = c.post("/Users", twin).await;
    refused.expect_error(409, Some("uniqueness"));
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(taken.as_str().unwrap_or_default())),
        "{}",
        refused.body
    );
    // Its own email is no conflict for the user itself.
    c.patch(
        &format!("/Users/{}", created.id()),
        json!([{"op": "replace", "path": "displayName", "value": "Plain"}]),
    )
    .await
    .expect(200);
}

/// An asynchronous rule: amends (a default role) and reads the store (an email in use).
struct OneAccountPerEmail;

impl WriteRule for OneAccountPerEmail {
    fn check<'a>(&'a self, write: &'a mut Write<'_>) -> RuleFuture<'a> {
        Box::pin(async move {
            if write.kind != ResourceKind::User {
                return Ok(());
            }
            let email = write
                .resource()
                .and_then(|u| u.get("emails"))
                .and_then(|e| e[0]["value"].as_str())
                .map(str::to_owned);
            if let Some(email) = email {
                let filter = Filter::parse(&format!("emails.value eq {}", json!(email)))
                    .map_err(|e| ScimError::invalid_value(e.to_string()))?;
                let query = ListQuery::new().with_filter(filter);
                let found = write.store().list(ResourceKind::User, &query).await?;
                if found.resources.iter().any(|other| other.id() != write.id()) {
                    return Err(ScimError::uniqueness(format!(
                        "{email} is the email of another user"
                    )));
                }
            }
            if let Some(user) = write.resource_mut()
                && user.get("roles").is_none()
            {
                user.as_json_mut()
                    .insert("roles".into(), json!([{"value": "User"}]));
            }
            Ok(())
        })
    }
}

/// `/Bulk` (RFC 7644 §3.7): `bulkId` references, forward ones included, `failOnErrors`,
/// circles, and the advertised limits enforced.
pub async fn bulk<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        bulk: true,
        bulk_max_operations: 6,
        max_payload_size: 4096,
        ..ServiceProviderConfig::default()
    };
    let c = client(harness, engine().service_provider_config(config)).await;
    let spc = c.get("/ServiceProviderConfig").await;
    assert_eq!(
        spc.body["bulk"],
        json!({"supported": true, "maxOperations": 6, "maxPayloadSize": 4096})
    );
    let bulk = |ops: Value, fail_on_errors: Option<u64>| {
        let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
        if let Some(n) = fail_on_errors {
            body["failOnErrors"] = json!(n);
        }
        c.post("/Bulk", body)
    };
    // The group refers to a user created later in the request (a forward reference).
    let name = unique("bulk");
    let reply = bulk(json!([
        {"method": "POST", "bulkId": "team", "path": "/Groups", "data": {"displayName": name, "members": [{"value": "bulkId:alice"}]}},
        {"method": "POST", "bulkId": "alice", "path": "/Users", "data": {"userName": format!("{name}-alice")}},
        {"method": "PATCH", "path": "/Users/bulkId:alice", "data": {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "Lead"}]}},
    ]), None).await;
    reply.expect(200).expect_scim_json();
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    let ops = reply.body["Operations"]
        .as_array()
        .expect("Operations")
        .clone();
    let statuses: Vec<&str> = ops
        .iter()
        .map(|o| o["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["201", "201", "200"], "{}", reply.body);
    let alice_location = ops[1]["location"].as_str().expect("location");
    let alice = alice_location.rsplit('/').next().expect("id");
    assert!(
        ops[0]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("W/"))
    );
    let group = ops[0]["location"]
        .as_str()
        .expect("location")
        .rsplit('/')
        .next()
        .expect("id");
    let group_body = c.get(&format!("/Groups/{group}")).await.body.clone();
    assert_eq!(
        group_body["members"],
        json!([{"value": alice}]),
        "bulkId references resolve to ids"
    );
    assert_eq!(
        c.get(&format!("/Users/{alice}")).await.body["title"],
        json!("Lead")
    );

    // failOnErrors: processing stops at the N-th error.
    let reply = bulk(json!([
        {"method": "POST", "bulkId": "a", "path": "/Users", "data": {"userName": format!("{name}-alice")}},
        {"method": "DELETE", "path": "/Users/missing"},
        {"method": "POST", "bulkId": "b", "path": "/Users", "data": {"userName": format!("{name}-never")}},
    ]), Some(2)).await;
    let ops = reply.expect(200).body["Operations"]
        .as_array()
        .expect("Operations")
        .clone();
    assert_eq!(ops.len(), 2, "{}", reply.body);
    assert_eq!(ops[0]["status"], json!("409"));
    assert_eq!(ops[0]["response"]["scimType"], json!("uniqueness"));
    assert_eq!(ops[1]["status"], json!("404"));
    assert_eq!(
        c.filter("/Users", &format!("userName eq \"{name}-never\""))
            .await
            .total(),
        0
    );

    // Without failOnErrors every operation runs; circles and references to failed
    // operations are 409.
    let reply = bulk(json!([
        {"method": "POST", "bulkId": "x", "path": "/Groups", "data": {"displayName": format!("{name}-x"), "members": [{"value": "bulkId:y"}]}},
        {"method": "POST", "bulkId": "y", "path": "/Groups", "data": {"displayName": format!("{name}-y"), "members": [{"value": "bulkId:x"}]}},
        {"method": "POST", "bulkId": "bad", "path": "/Users", "data": {"userName": 7}},
        {"method": "PATCH", "path": "/Users/bulkId:bad", "data": {"schemas": [PATCH_OP], "Operations": []}},
        {"method": "POST", "path": "/Schemas", "data": {}},
        {"method": "POST", "bulkId": "ok", "path": "/Users", "data": {"userName": format!("{name}-ok")}},
    ]), None).await;
    let ops = reply.expect(200).body["Operations"]
        .as_array()
        .expect("Operations")
        .clone();
    let by_status: Vec<(&str, &str)> = ops
        .iter()
        .map(|o| {
            (
                o["bulkId"].as_str().unwrap_or("-"),
                o["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        by_status,
        [
            ("x", "409"),
            ("y", "409"),
            ("bad", "400"),
            ("-", "409"),
            ("-", "400"),
            ("ok", "201")
        ],
        "{}",
        reply.body
    );

    // Limits.
    let too_many: Vec<Value> = (0..7)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    bulk(Value::Array(too_many), None)
        .await
        .expect_error(413, None);
    let big = json!([{"method": "POST", "path": "/Users", "data": {"userName": "x".repeat(5000)}}]);
    bulk(big, None).await.expect_error(413, None);
    c.post("/Bulk", json!({"Operations": "all"}))
        .await
        .expect_error(400, Some("invalidSyntax"));
    bulk(json!([{"method": "POST", "bulkId": "same", "path": "/Users", "data": {"userName": "a"}}, {"method": "POST", "bulkId": "same", "path": "/Users", "data": {"userName": "b"}}]), None)
        .await
        .expect_error(400, Some("invalidValue"));
}
