//! Provisioning events, sent after the store commits, and the audit line of every write.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{MembersChanged, RequestContext, Resource, ResourceKind};

/// What happened to a resource. Serialized as `{"type": "patched", "changed": [...]}`, so a
/// store with durable events can keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// Created (`POST`).
    Created,
    /// Replaced (`PUT`).
    Replaced,
    /// Patched, with the attributes that changed (core by name, extension attributes
    /// qualified by their URN).
    Patched {
        /// The changed attributes.
        changed: Vec<String>,
    },
    /// A user's `active` went from false (or absent) to true.
    Activated,
    /// A user's `active` went to false: end their sessions.
    Deactivated,
    /// Deleted.
    Deleted,
    /// Users joined a group.
    MembersAdded {
        /// Their ids.
        ids: Vec<String>,
    },
    /// Users left a group.
    MembersRemoved {
        /// Their ids.
        ids: Vec<String>,
    },
}

impl EventKind {
    /// The event's name in audit lines (`created`, `members_added`...).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Replaced => "replaced",
            Self::Patched { .. } => "patched",
            Self::Activated => "activated",
            Self::Deactivated => "deactivated",
            Self::Deleted => "deleted",
            Self::MembersAdded { .. } => "members_added",
            Self::MembersRemoved { .. } => "members_removed",
        }
    }
}

/// One provisioning event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The tenant.
    pub tenant: String,
    /// The resource type.
    pub resource_type: ResourceKind,
    /// The resource's id.
    pub id: String,
    /// The request that did it.
    pub request_id: String,
}

impl Event {
    /// An event of `kind` about the resource `id` of type `resource_type`, in the request
    /// `ctx`.
    pub fn new(
        kind: EventKind,
        ctx: &RequestContext,
        resource_type: ResourceKind,
        id: &str,
    ) -> Self {
        Self {
            kind,
            tenant: ctx.tenant().to_owned(),
            resource_type,
            id: id.to_owned(),
            request_id: ctx.request_id().to_owned(),
        }
    }

    /// The events of a membership change a store made natively ([`MembersChanged`]):
    /// `patched` (`members`), then `members_added` and `members_removed` with the ids it
    /// really added and removed, sorted. None if it changed nothing. What the engine
    /// publishes for it, and what a store with durable events keeps for it.
    pub fn membership(ctx: &RequestContext, group_id: &str, done: &MembersChanged) -> Vec<Self> {
        if !done.changed() {
            return Vec::new();
        }
        Change::members(done).events(ctx, ResourceKind::Group, group_id)
    }
}

/// Why a sink could not do an event's work (the database was down, the webhook answered
/// 503). A store with durable events hands the event over again later.
pub type DeliveryError = Box<dyn std::error::Error + Send + Sync>;

/// The future [`EventSink::deliver`] returns.
pub type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// Receives events after the store has committed the write (never for a dry run or a
/// failed write).
///
/// Implement [`publish`](Self::publish) for quick synchronous work (a closure is a sink),
/// or [`deliver`](Self::deliver) for work that must be finished before the event counts
/// as handled: an invitation row written, a webhook acknowledged. A store with durable
/// events ([`crate::StoreCapabilities::durable_events`], `scim-sqlx`'s outbox) awaits
/// `deliver` and forgets the event only once it returned `Ok`; an error (or a crash
/// before it returns) hands the event over again, so the work is done at least once.
/// Other stores' events are delivered on the request's task, after the commit, and an
/// error is only logged.
///
/// ```
/// use scim_core::engine::{Event, EventKind};
///
/// let sink = |event: &Event| match &event.kind {
///     EventKind::Created => println!("invite user {} of {}", event.id, event.tenant),
///     EventKind::Deactivated => println!("end the sessions of {}", event.id),
///     _ => {}
/// };
/// # let _: &dyn scim_core::engine::EventSink = &sink;
/// ```
///
/// Work that must finish, in an app's own table:
///
/// ```
/// use scim_core::engine::{DeliveryFuture, Event, EventKind, EventSink};
///
/// struct Invitations; // the app's pool, say
///
/// impl EventSink for Invitations {
///     fn deliver<'a>(&'a self, event: &'a Event) -> DeliveryFuture<'a> {
///         Box::pin(async move {
///             if event.kind == EventKind::Created {
///                 // INSERT INTO invitations ... ON CONFLICT DO NOTHING: at least once
///                 // means perhaps twice.
///             }
///             Ok(())
///         })
///     }
/// }
/// ```
pub trait EventSink: Send + Sync + 'static {
    /// Handles one event, synchronously. Does nothing unless implemented.
    fn publish(&self, event: &Event) {
        let _ = event;
    }

    /// Handles one event, to its end: `Ok` once its work is done. By default,
    /// [`publish`](Self::publish).
    fn deliver<'a>(&'a self, event: &'a Event) -> DeliveryFuture<'a> {
        self.publish(event);
        Box::pin(std::future::ready(Ok(())))
    }
}

impl<F: Fn(&Event) + Send + Sync + 'static> EventSink for F {
    fn publish(&self, event: &Event) {
        self(event);
    }
}

/// Whether a user is active; a user without `active` counts as active.
fn active(resource: &Resource) -> bool {
    resource
        .get("active")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

fn member_set(resource: Option<&Resource>) -> HashSet<&str> {
    resource
        .map(|r| r.member_ids().collect())
        .unwrap_or_default()
}

/// The events of one write, from what was there before and what is there now, or from what
/// a membership change the store made natively says it did.
pub(super) struct Change<'a> {
    pub(super) kind: EventKind,
    pub(super) before: Option<&'a Resource>,
    pub(super) after: Option<&'a Resource>,
    pub(super) members: Option<&'a MembersChanged>,
}

impl<'a> Change<'a> {
    /// A membership change the store made without the group being read.
    pub(super) fn members(done: &'a MembersChanged) -> Self {
        Self {
            kind: EventKind::Patched {
                changed: vec!["members".to_owned()],
            },
            before: None,
            after: None,
            members: Some(done),
        }
    }

    /// The events: the write itself, then the activation and membership changes it made (a
    /// user created inactive is not "deactivated"; a group created with members has them
    /// "added").
    pub(super) fn events(
        self,
        ctx: &RequestContext,
        resource_type: ResourceKind,
        id: &str,
    ) -> Vec<Event> {
        let event = |kind| Event::new(kind, ctx, resource_type, id);
        let mut events = vec![event(self.kind)];
        let sorted = |ids: Vec<String>| {
            let mut ids = ids;
            ids.sort();
            ids
        };
        if let Some(done) = self.members {
            if !done.added.is_empty() {
                let ids = sorted(done.added.clone());
                events.push(event(EventKind::MembersAdded { ids }));
            }
            if !done.removed.is_empty() {
                let ids = sorted(done.removed.clone());
                events.push(event(EventKind::MembersRemoved { ids }));
            }
            return events;
        }
        let Some(after) = self.after else {
            return events;
        };
        match (resource_type, self.before) {
            (ResourceKind::User, Some(before)) => match (active(before), active(after)) {
                (false, true) => events.push(event(EventKind::Activated)),
                (true, false) => events.push(event(EventKind::Deactivated)),
                _ => {}
            },
            (ResourceKind::Group, before) => {
                let (before, after) = (member_set(before), member_set(Some(after)));
                let owned = |ids: std::collections::hash_set::Difference<'_, &str, _>| {
                    sorted(ids.map(|s| (*s).to_owned()).collect())
                };
                let added = owned(after.difference(&before));
                let removed = owned(before.difference(&after));
                if !added.is_empty() {
                    events.push(event(EventKind::MembersAdded { ids: added }));
                }
                if !removed.is_empty() {
                    events.push(event(EventKind::MembersRemoved { ids: removed }));
                }
            }
            _ => {}
        }
        events
    }
}
