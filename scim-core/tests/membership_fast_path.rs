//! A membership PATCH (how Entra and Okta add and remove group members) is applied by the
//! store without the group being read, also when the app has rules and an event sink: the
//! rules see the membership change, and the events say which members the store really added
//! and removed. A store without a native membership change gets the group replaced instead,
//! with the same answer.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use scim_core::engine::{
    BearerToken, Engine, Event, EventKind, PatchResponse, Precondition, Write, WriteChange,
};
use scim_core::testing::faults::FaultyStore;
use scim_core::{MemberChange, MemoryStore, Projection, RequestContext, ResourceKind, ScimError};
use serde_json::{Value, json};

const TOKEN: &str = "fast-path";

/// The store, counting its calls.
type Counting = FaultyStore<MemoryStore>;

async fn patch(engine: &Engine<Counting>, path: &str, operations: Value) -> (u16, Value) {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    });
    let request = http::Request::patch(path)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Type", "application/scim+json")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let response = engine.handle(request).await;
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn membership_patches_need_no_read_with_rules_and_events() {
    let store = FaultyStore::new(MemoryStore::new());
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let seen = Arc::new(Mutex::new(Vec::<(String, usize, usize)>::new()));
    let (sink, rule_log) = (Arc::clone(&events), Arc::clone(&seen));
    let engine = Engine::builder(store.clone(), BearerToken::new(TOKEN))
        .patch_response(PatchResponse::NoContent)
        .events(move |e: &Event| sink.lock().unwrap().push(e.clone()))
        .rule(move |write: &Write<'_>| {
            if let WriteChange::Members { group_id, change } = write.change {
                rule_log.lock().unwrap().push((
                    group_id.to_owned(),
                    change.add.len(),
                    change.remove.len(),
                ));
                if change.add.iter().any(|m| m["value"] == "banned") {
                    return Err(ScimError::invalid_value("banned cannot join a group"));
                }
            }
            Ok(())
        })
        .build();
    let ctx = RequestContext::new("default");
    let group = engine
        .create(
            &ctx,
            ResourceKind::Group,
            json!({"displayName": "Ops", "members": [{"value": "u1"}]}),
        )
        .await
        .unwrap();
    let id = group.id().unwrap().to_owned();
    let path = format!("/Groups/{id}");
    events.lock().unwrap().clear();
    store.reset();

    let take = || -> Vec<EventKind> { events.lock().unwrap().drain(..).map(|e| e.kind).collect() };
    // Every store call since the last check: a membership PATCH is one, the change itself.
    let calls = || {
        let calls = store.calls();
        store.reset();
        calls
    };

    // Entra's add: one new member, one already there.
    let (status, _) = patch(
        &engine,
        &path,
        json!([{"op": "Add", "path": "members", "value": [{"value": "u2"}, {"value": "u1"}]}]),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(calls(), 1, "modify_members alone: the group was not read");
    assert_eq!(
        take(),
        [
            EventKind::Patched {
                changed: vec!["members".into()]
            },
            EventKind::MembersAdded {
                ids: vec!["u2".into()]
            },
        ],
        "only the member the store really added"
    );
    assert_eq!(seen.lock().unwrap().as_slice(), [(id.clone(), 2, 0)]);

    // Entra's remove.
    let (status, _) = patch(
        &engine,
        &path,
        json!([{"op": "Remove", "path": "members[value eq \"u1\"]"}]),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(calls(), 1);
    assert_eq!(
        take(),
        [
            EventKind::Patched {
                changed: vec!["members".into()]
            },
            EventKind::MembersRemoved {
                ids: vec!["u1".into()]
            },
        ]
    );

    // A rule refuses: nothing is written, nothing announced.
    let (status, body) = patch(
        &engine,
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": "banned"}]}]),
    )
    .await;
    assert_eq!(
        (status, body["detail"].clone()),
        (400, json!("banned cannot join a group"))
    );
    assert_eq!(take(), []);
    assert_eq!(calls(), 0, "refused before the store is asked");

    // A change that changes nothing announces nothing.
    let (status, _) = patch(
        &engine,
        &path,
        json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(take(), []);
    assert_eq!(calls(), 1);

    let group = engine
        .get(&ctx, ResourceKind::Group, &id, &Projection::default())
        .await
        .unwrap();
    assert_eq!(group.member_ids().collect::<Vec<_>>(), ["u2"]);

    // Answering with the group (the default) reads it back once, after the write.
    let answering = Engine::builder(store.clone(), BearerToken::new(TOKEN)).build();
    store.reset();
    let (status, body) = patch(
        &answering,
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": "u3"}]}]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["members"], json!([{"value": "u2"}, {"value": "u3"}]));
    assert_eq!(calls(), 2, "the change, then one read");
}

/// A store without a native membership change: `Engine::modify_members` reads, changes and
/// replaces the group instead, and still says which members it added and removed.
#[tokio::test]
async fn membership_changes_fall_back_to_replacing_the_group() {
    let store = FaultyStore::new(MemoryStore::new());
    store.without_native_members();
    let events = Arc::new(Mutex::new(Vec::<EventKind>::new()));
    let sink = Arc::clone(&events);
    let engine = Engine::builder(store.clone(), BearerToken::new(TOKEN))
        .events(move |e: &Event| sink.lock().unwrap().push(e.kind.clone()))
        .build();
    let ctx = RequestContext::new("default");
    let group = engine
        .create(
            &ctx,
            ResourceKind::Group,
            json!({"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}]}),
        )
        .await
        .unwrap();
    let id = group.id().unwrap();
    events.lock().unwrap().clear();
    let change = MemberChange::new(
        vec![json!({"value": "u3"}), json!({"value": "u1"})],
        vec!["u2".to_owned(), "nobody".to_owned()],
    );
    let done = engine
        .modify_members(&ctx, id, &change, &Precondition::None)
        .await
        .unwrap();
    assert_eq!(
        (done.added, done.removed),
        (vec!["u3".to_owned()], vec!["u2".to_owned()])
    );
    assert_ne!(Some(done.version.clone()), group.version());
    let read = engine
        .get(&ctx, ResourceKind::Group, id, &Projection::default())
        .await
        .unwrap();
    assert_eq!(read.member_ids().collect::<Vec<_>>(), ["u1", "u3"]);
    assert_eq!(read.version(), Some(done.version));
    assert_eq!(
        events.lock().unwrap().as_slice(),
        [
            EventKind::Patched {
                changed: vec!["members".into()]
            },
            EventKind::MembersAdded {
                ids: vec!["u3".into()]
            },
            EventKind::MembersRemoved {
                ids: vec!["u2".into()]
            },
        ]
    );
    // A stale version is refused, and nothing changes.
    let stale = Precondition::version(group.version().unwrap());
    let err = engine
        .modify_members(&ctx, id, &change, &stale)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 412);
}
