//! A store call that fails leaves nothing half done: every write request of a provisioning
//! cycle is run once per store call it makes, with that call failing
//! ([`FaultyStore`]). Each time, either the client gets a `500` SCIM error that names none of
//! the store's internals and the store holds exactly what it held before, or (when only the
//! read-back after a committed write failed) the client is told of the success and the
//! store holds what the request makes when nothing fails. For `/Bulk`: exactly what the
//! operations reported as done.

use bytes::Bytes;
use http::{Method, Request};
use scim_core::engine::{BearerToken, Engine};
use scim_core::testing::faults::{FaultyStore, INTERNALS};
use scim_core::{
    ListQuery, MemoryStore, RequestContext, ResourceKind, ScimStore, ServiceProviderConfig,
};
use serde_json::{Value, json};

const TOKEN: &str = "faults";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

type Store = FaultyStore<MemoryStore>;

/// The ids of the fixture every step starts from: users alice and bob, group team with
/// alice in it.
struct Fixture {
    alice: String,
    bob: String,
    team: String,
}

fn make_engine(store: &Store) -> Engine<Store> {
    let mut config = ServiceProviderConfig::default();
    config.bulk = true;
    Engine::builder(store.clone(), BearerToken::new(TOKEN))
        .base_url("https://faults.example/scim/v2")
        .service_provider_config(config)
        .build()
}

async fn send(
    engine: &Engine<Store>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let bytes = body
        .map(|b| serde_json::to_vec(&b).expect("JSON"))
        .unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/scim+json")
        .body(Bytes::from(bytes))
        .expect("request");
    let response = engine.handle(request).await;
    let status = response.status().as_u16();
    let body = if response.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(response.body()).expect("JSON")
    };
    (status, body)
}

async fn fixture(engine: &Engine<Store>) -> Fixture {
    let mut ids = Vec::new();
    for name in ["alice", "bob"] {
        let (status, body) = send(
            engine,
            Method::POST,
            "/Users",
            Some(json!({"userName": name})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    let (status, body) = send(
        engine,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "team", "members": [{"value": ids[0]}]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    Fixture {
        alice: ids.remove(0),
        bob: ids.remove(0),
        team: body["id"].as_str().expect("id").to_owned(),
    }
}

/// Every user and group the store holds, as stored (ids, versions, timestamps and all).
async fn snapshot(store: &Store) -> Vec<Value> {
    let ctx = RequestContext::new(scim_core::engine::DEFAULT_TENANT);
    let mut all = Vec::new();
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let page = store
            .inner()
            .list(&ctx, kind, &ListQuery::new())
            .await
            .expect("list");
        all.extend(
            page.resources
                .iter()
                .map(|r| Value::Object(r.as_json().clone())),
        );
    }
    all.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_owned());
    all
}

/// A snapshot with ids and `meta` replaced by names: what two runs on two stores must agree
/// on.
fn normalized(snapshot: &[Value]) -> Vec<Value> {
    let name = |r: &Value| {
        r.get("userName")
            .or_else(|| r.get("displayName"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let names: std::collections::HashMap<&str, Value> = snapshot
        .iter()
        .filter_map(|r| Some((r["id"].as_str()?, name(r))))
        .collect();
    let mut out: Vec<Value> = snapshot
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(r) = r.as_object_mut() {
                r.remove("id");
                r.remove("meta");
                if let Some(Value::Array(members)) = r.get_mut("members") {
                    for m in members.iter_mut() {
                        let id = m["value"].as_str().unwrap_or_default().to_owned();
                        m["value"] = names.get(id.as_str()).cloned().unwrap_or(Value::Null);
                    }
                }
            }
            r
        })
        .collect();
    out.sort_by_key(Value::to_string);
    out
}

fn patch(operations: Value) -> Option<Value> {
    let mut body = json!({"schemas": [PATCH_OP]});
    body["Operations"] = operations;
    Some(body)
}

type Step = fn(&Fixture) -> (Method, String, Option<Value>);

/// The writes of a provisioning cycle, as Entra sends them.
fn steps() -> Vec<(&'static str, Step)> {
    vec![
        ("create a user", |_| {
            (
                Method::POST,
                "/Users".into(),
                Some(json!({"userName": "carol", "emails": [{"value": "c@x.org"}]})),
            )
        }),
        ("replace a user", |f| {
            (
                Method::PUT,
                format!("/Users/{}", f.alice),
                Some(json!({"userName": "alice", "title": "Lead"})),
            )
        }),
        ("deactivate a user", |f| {
            (
                Method::PATCH,
                format!("/Users/{}", f.alice),
                patch(json!([{"op": "replace", "path": "active", "value": false}])),
            )
        }),
        ("add a member", |f| {
            (
                Method::PATCH,
                format!("/Groups/{}", f.team),
                patch(json!([{"op": "add", "path": "members", "value": [{"value": f.bob}]}])),
            )
        }),
        ("remove a member", |f| {
            (
                Method::PATCH,
                format!("/Groups/{}", f.team),
                patch(
                    json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", f.alice)}]),
                ),
            )
        }),
        ("rename a group and add a member", |f| {
            (
                Method::PATCH,
                format!("/Groups/{}", f.team),
                patch(json!([
                    {"op": "replace", "path": "displayName", "value": "renamed"},
                    {"op": "add", "path": "members", "value": [{"value": f.bob}]},
                ])),
            )
        }),
        ("create a group with members", |f| {
            (
                Method::POST,
                "/Groups".into(),
                Some(
                    json!({"displayName": "pair", "members": [{"value": f.alice}, {"value": f.bob}]}),
                ),
            )
        }),
        ("delete a member user", |f| {
            (Method::DELETE, format!("/Users/{}", f.alice), None)
        }),
        ("delete a group", |f| {
            (Method::DELETE, format!("/Groups/{}", f.team), None)
        }),
    ]
}

#[track_caller]
fn assert_plain_500(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 500, "{what}: {body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{what}: {body}"
    );
    assert_no_internals(body, what);
}

#[track_caller]
fn assert_no_internals(body: &Value, what: &str) {
    let text = body.to_string();
    for secret in [INTERNALS, "hunter2", "db-7", "pg_sock", "failed:"] {
        assert!(
            !text.contains(secret),
            "{what}: {secret:?} reached the client: {text}"
        );
    }
}

#[tokio::test]
async fn a_failing_store_call_leaves_nothing_half_done() {
    let (mut failed, mut committed) = (0, 0);
    for (what, step) in steps() {
        // How many store calls the request makes when nothing fails, and what it leaves.
        let store = FaultyStore::new(MemoryStore::new());
        let engine = make_engine(&store);
        let f = fixture(&engine).await;
        let (method, path, body) = step(&f);
        store.reset();
        let (status, reply) = send(&engine, method, &path, body).await;
        assert!(
            status < 300,
            "{what} works without faults: {status} {reply}"
        );
        let calls = store.calls();
        assert!(calls > 0, "{what} calls the store");
        let done = normalized(&snapshot(&store).await);

        for k in 1..=calls {
            let store = FaultyStore::new(MemoryStore::new());
            let engine = make_engine(&store);
            let f = fixture(&engine).await;
            let before = snapshot(&store).await;
            let (method, path, body) = step(&f);
            store.fail_call(k);
            let (status, reply) = send(&engine, method, &path, body).await;
            let what = format!("{what}, store call {k} of {calls} failing");
            assert_eq!(store.injected(), 1, "{what}");
            store.reset();
            let after = snapshot(&store).await;
            if status < 300 {
                // Only the read-back after the write failed: the write is whole.
                committed += 1;
                assert_eq!(normalized(&after), done, "{what}: answered {status}");
                assert_no_internals(&reply, &what);
            } else {
                failed += 1;
                assert_plain_500(status, &reply, &what);
                assert_eq!(after, before, "{what} left a change behind");
            }
        }
    }
    assert!(failed >= 10, "{failed} faults failed their request");
    assert!(committed <= 2, "{committed} faults came after the write");
    eprintln!("faults injected: {failed} failed their request, {committed} came after the write");
}

/// In `/Bulk`, a failing operation is reported as a `500` without internals, the ones that
/// depend on it fail too, the others are done: the store holds exactly what the response
/// says.
#[tokio::test]
async fn a_failing_bulk_operation_is_reported_as_it_happened() {
    let bulk = |f: &Fixture| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "d", "data": {"userName": "dave"}},
                {"method": "PATCH", "path": format!("/Groups/{}", f.team), "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:d"}]}]}},
                {"method": "DELETE", "path": format!("/Users/{}", f.bob)},
            ],
        })
    };
    let store = FaultyStore::new(MemoryStore::new());
    let engine = make_engine(&store);
    let f = fixture(&engine).await;
    store.reset();
    let (status, reply) = send(&engine, Method::POST, "/Bulk", Some(bulk(&f))).await;
    assert_eq!(status, 200, "{reply}");
    let calls = store.calls();

    for k in 1..=calls {
        let store = FaultyStore::new(MemoryStore::new());
        let engine = make_engine(&store);
        let f = fixture(&engine).await;
        let before = snapshot(&store).await;
        store.fail_call(k);
        let (status, reply) = send(&engine, Method::POST, "/Bulk", Some(bulk(&f))).await;
        store.reset();
        let what = format!("bulk, store call {k} of {calls} failing");
        assert_eq!(status, 200, "{what}: {reply}");
        assert_no_internals(&reply, &what);
        let statuses: Vec<&str> = reply["Operations"]
            .as_array()
            .expect("Operations")
            .iter()
            .map(|op| op["status"].as_str().expect("status"))
            .collect();
        assert_eq!(statuses.len(), 3, "{what}: {reply}");
        assert!(
            statuses.contains(&"500") || statuses.iter().all(|s| s.starts_with('2')),
            "{what}: the fault shows, or only a read-back failed: {reply}"
        );
        let ok = |i: usize| statuses[i].starts_with('2');

        let after = snapshot(&store).await;
        let user = |name: &str| after.iter().find(|r| r["userName"] == name);
        let team = after
            .iter()
            .find(|r| r["id"] == f.team.as_str())
            .expect("team");
        let members: Vec<&str> = team["members"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["value"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(user("dave").is_some(), ok(0), "{what}: dave as reported");
        if !ok(0) {
            assert!(
                !ok(1),
                "{what}: an operation on a failed bulkId fails: {reply}"
            );
        }
        let dave_in_team =
            user("dave").is_some_and(|d| members.contains(&d["id"].as_str().unwrap_or("")));
        assert_eq!(dave_in_team, ok(1), "{what}: membership as reported");
        assert_eq!(user("bob").is_none(), ok(2), "{what}: bob as reported");
        // Nothing else moved: alice, and the team but for dave.
        let untouched = |r: &&Value| r["userName"] == "alice";
        assert_eq!(
            after.iter().find(untouched),
            before.iter().find(untouched),
            "{what}"
        );
        if !ok(1) {
            let team_before = before.iter().find(|r| r["id"] == f.team.as_str());
            assert_eq!(Some(team), team_before, "{what}: the group is as it was");
        }
    }
}
