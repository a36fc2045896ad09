//! The contract with a store that keeps events durably: the engine hands it the app's sink
//! once, hands it each write's events in the request context (a create's without an id,
//! which the store fills in), and publishes nothing itself.

use std::sync::{Arc, Mutex};

use scim_core::engine::{BearerToken, Engine, Event, EventKind, EventSink, Precondition};
use scim_core::{
    ListPage, ListQuery, MemberChange, MembersChanged, MemoryStore, RequestContext, Resource,
    ResourceKind, ScimStore, StoreCapabilities, StoreError, Version,
};
use serde_json::json;

/// A MemoryStore that "keeps" each write's events in a list, as an outbox would, and
/// delivers them when asked.
#[derive(Clone, Default)]
struct Outboxed {
    store: MemoryStore,
    kept: Arc<Mutex<Vec<Event>>>,
    sink: Arc<Mutex<Option<Arc<dyn EventSink>>>>,
}

impl Outboxed {
    fn keep(&self, events: Vec<Event>) {
        self.kept.lock().unwrap().extend(events);
    }

    /// What a delivery task does: hands every kept event to the sink.
    fn deliver(&self) {
        let sink = self
            .sink
            .lock()
            .unwrap()
            .clone()
            .expect("a sink was handed over");
        for event in self.kept.lock().unwrap().drain(..) {
            sink.publish(&event);
        }
    }
}

impl ScimStore for Outboxed {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::new().with_durable_events()
    }

    fn deliver_events(&self, sink: Arc<dyn EventSink>) {
        *self.sink.lock().unwrap() = Some(sink);
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let created = self.store.create(ctx, resource).await?;
        self.keep(ctx.events_for(created.id().unwrap_or_default()));
        Ok(created)
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        self.store.get(ctx, kind, id).await
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        self.store.list(ctx, kind, query).await
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let stored = self.store.replace(ctx, resource, expected).await?;
        if stored.version().as_ref() != Some(expected) {
            self.keep(ctx.events().to_vec());
        }
        Ok(stored)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.store.delete(ctx, kind, id, expected).await?;
        self.keep(ctx.events().to_vec());
        Ok(())
    }

    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        let done = self
            .store
            .modify_members(ctx, group_id, change, expected)
            .await?;
        self.keep(Event::membership(ctx, group_id, &done));
        Ok(done)
    }
}

#[tokio::test]
async fn a_durable_store_keeps_the_events_and_the_engine_publishes_none() {
    let store = Outboxed::default();
    let published = Arc::new(Mutex::new(Vec::<(EventKind, String)>::new()));
    let sink = Arc::clone(&published);
    let engine = Engine::builder(store.clone(), BearerToken::new("t"))
        .events(move |e: &Event| sink.lock().unwrap().push((e.kind.clone(), e.id.clone())))
        .build();
    let ctx = RequestContext::new("default");
    let user = engine
        .create(&ctx, ResourceKind::User, json!({"userName": "bjensen"}))
        .await
        .unwrap();
    let id = user.id().unwrap().to_owned();
    let mut replacement = user.into_json();
    replacement["active"] = json!(false);
    engine
        .replace(
            &ctx,
            ResourceKind::User,
            &id,
            replacement,
            &Precondition::None,
        )
        .await
        .unwrap();
    let group = engine
        .create(&ctx, ResourceKind::Group, json!({"displayName": "Ops"}))
        .await
        .unwrap();
    let gid = group.id().unwrap().to_owned();
    let change = MemberChange::new(vec![json!({"value": id})], Vec::new());
    engine
        .modify_members(&ctx, &gid, &change, &Precondition::None)
        .await
        .unwrap();
    engine
        .delete(&ctx, ResourceKind::User, &id, &Precondition::None)
        .await
        .unwrap();
    assert!(
        published.lock().unwrap().is_empty(),
        "the engine publishes nothing itself"
    );

    store.deliver();
    assert_eq!(
        published.lock().unwrap().as_slice(),
        [
            (EventKind::Created, id.clone()),
            (EventKind::Replaced, id.clone()),
            (EventKind::Deactivated, id.clone()),
            (EventKind::Created, gid.clone()),
            (
                EventKind::Patched {
                    changed: vec!["members".into()]
                },
                gid.clone()
            ),
            (
                EventKind::MembersAdded {
                    ids: vec![id.clone()]
                },
                gid.clone()
            ),
            (EventKind::Deleted, id.clone()),
        ]
    );
}

/// Events serialize, so an outbox can keep them as JSON.
#[test]
fn events_round_trip_as_json() {
    let ctx = RequestContext::new("acme");
    let event = Event::new(
        EventKind::Patched {
            changed: vec!["active".into()],
        },
        &ctx,
        ResourceKind::User,
        "2819c223",
    );
    let text = serde_json::to_string(&event).unwrap();
    assert!(
        text.contains(r#""kind":{"type":"patched","changed":["active"]}"#),
        "{text}"
    );
    assert!(text.contains(r#""resourceType":"User""#), "{text}");
    let back: Event = serde_json::from_str(&text).unwrap();
    assert_eq!(back, event);
}
