//! The typed operations: create, get, list, replace, patch, delete and membership change,
//! over the store, knowing nothing of HTTP. The HTTP shell calls them, `/Bulk` calls them
//! for each of its operations, and so can an app (an admin page, a job, a rule).
//!
//! Each takes the [`RequestContext`] and typed arguments and returns a [`Resource`], a
//! [`ListPage`] or nothing, or a [`ScimError`] with the status and `scimType` a client gets.
//! Everything a write involves happens here, once: validation under the tenant's policy, the
//! app's rules, versions (a write that lost a race to another writer is tried again on the
//! new version, unless the caller named the version it expects), dry runs, the audit line and
//! the events.

mod display;
mod update;

pub(crate) use display::alias_members;

use std::borrow::Cow;

use serde_json::Value;

use super::Engine;
use super::events::{Change, EventKind};
use super::rules::{View, Write, WriteChange};
use crate::cursor::Position;
use crate::{
    Compat, ListPage, ListQuery, Projection, RequestContext, Resource, ResourceKind, ScimError,
    ScimStore, StoreError, Version,
};

/// What a write requires of the stored version: the `If-Match` header, or the `version` of
/// a bulk operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Precondition {
    /// Nothing: a write that loses a race with another writer is tried again on the newer
    /// version (what Entra and Okta need: they never send `If-Match`).
    #[default]
    None,
    /// Any version (`If-Match: *`): the resource must exist.
    Exists,
    /// One of these versions (`If-Match: W/"3"`), else `412`, never a retry.
    OneOf(Vec<Version>),
}

impl Precondition {
    /// One version: what a bulk operation's `version` or a single ETag says.
    pub fn version(version: Version) -> Self {
        Self::OneOf(vec![version])
    }

    /// Whether `version` satisfies the precondition (weak comparison, RFC 7232 §2.3.2).
    pub fn matches(&self, version: Option<&Version>) -> bool {
        match self {
            Self::None | Self::Exists => true,
            Self::OneOf(versions) => version.is_some_and(|v| versions.contains(v)),
        }
    }

    /// Whether a write that lost a race may be tried again.
    fn retries(&self) -> bool {
        matches!(self, Self::None)
    }
}

/// What a PATCH did.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one per request, moved once: boxing would cost an allocation instead"
)]
pub enum Patched {
    /// The resource as stored after the PATCH (as it was, if the PATCH changed nothing).
    Resource(Resource),
    /// A membership-only change, applied by the store without reading the group: the group's
    /// version now. Read the group if you need it.
    Members(Version),
}

impl Patched {
    /// The resource's version afterwards.
    pub fn version(&self) -> Option<Version> {
        match self {
            Self::Resource(resource) => resource.version(),
            Self::Members(version) => Some(version.clone()),
        }
    }
}

/// How often a write without a precondition is tried when another writer keeps getting in
/// first. Each attempt reads, applies and writes again, so a writer among `n` at once needs
/// at most about `n`: two reference servers with 24 PATCHes of one user at once got 9 of them
/// through with 8 attempts, all 24 with 32 (`tests/scale_out.rs` there).
const WRITE_ATTEMPTS: usize = 32;

/// A store error as the client sees it; a backend failure is logged here, with its source,
/// and reaches the client only as a bare `500`.
pub(crate) fn store_error(err: StoreError) -> ScimError {
    if let StoreError::Backend(source) = &err {
        tracing::error!(error = %source, "the store failed");
    }
    err.into()
}

fn precondition_failed(kind: ResourceKind, id: &str) -> ScimError {
    ScimError::precondition_failed(format!(
        "{kind} \"{id}\" has changed: its version no longer matches If-Match"
    ))
}

impl<S: ScimStore> Engine<S> {
    /// The tenant's compatibility policy.
    pub(super) fn compat_of(&self, tenant: &str) -> Compat {
        self.inner
            .tenants
            .get(tenant)
            .compat
            .unwrap_or(self.inner.compat)
    }

    /// `404` for a resource type the store does not keep.
    pub(super) fn check_served(&self, kind: ResourceKind) -> Result<(), ScimError> {
        if self.inner.capabilities.serves(kind) {
            return Ok(());
        }
        Err(ScimError::not_found(format!(
            "this service does not serve {}",
            &kind.endpoint()[1..]
        )))
    }

    /// `403` for a tenant a single-tenant store does not keep: it is never handed another
    /// tenant's request, whoever calls.
    pub(super) fn check_tenant(&self, tenant: &str) -> Result<(), ScimError> {
        let capabilities = &self.inner.capabilities;
        if capabilities.serves_tenant(tenant) {
            return Ok(());
        }
        let only = capabilities.tenant().unwrap_or_default();
        let detail = format!("this service serves only the tenant \"{only}\"");
        Err(ScimError::new(403, detail))
    }

    /// What every operation checks first: the store keeps resources of type `kind`, for the
    /// context's tenant.
    pub(super) fn check_scope(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
    ) -> Result<(), ScimError> {
        self.check_tenant(ctx.tenant())?;
        self.check_served(kind)?;
        match self.inner.tenants.withheld(ctx.tenant(), kind) {
            Some(detail) => Err(ScimError::new(403, detail)),
            None => Ok(()),
        }
    }

    /// Whether `tenant` is served resources of type `kind`: the store keeps them and the
    /// tenant's settings do not withhold them.
    pub(super) fn serves_for(&self, tenant: &str, kind: ResourceKind) -> bool {
        self.inner.capabilities.serves(kind) && self.inner.tenants.withheld(tenant, kind).is_none()
    }

    /// Creates a resource from a client's JSON (a POST body): validated under the tenant's
    /// policy, checked by the app's rules, stored, announced. Returns what the store stored.
    ///
    /// ```
    /// use scim_core::{MemoryStore, RequestContext, ResourceKind};
    /// use scim_core::engine::{BearerToken, Engine};
    /// use serde_json::json;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let engine = Engine::new(MemoryStore::new(), BearerToken::new("s3cret"));
    /// let ctx = RequestContext::new("default");
    /// let user = engine.create(&ctx, ResourceKind::User, json!({"userName": "bjensen"})).await?;
    /// assert!(user.id().is_some());
    /// let err = engine.create(&ctx, ResourceKind::User, json!({"userName": "BJENSEN"})).await;
    /// assert_eq!(err.unwrap_err().status(), 409);
    /// # Ok::<(), scim_core::ScimError>(())
    /// # }).unwrap();
    /// ```
    pub async fn create(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        input: Value,
    ) -> Result<Resource, ScimError> {
        let compat = self.compat_of(ctx.tenant());
        let created = self.create_under(&compat, ctx, kind, input).await?;
        Ok(self.shown(&compat, ctx, created).await)
    }

    pub(super) async fn create_under(
        &self,
        compat: &Compat,
        ctx: &RequestContext,
        kind: ResourceKind,
        input: Value,
    ) -> Result<Resource, ScimError> {
        self.check_scope(ctx, kind)?;
        let mut input = input;
        alias_members(compat, kind, &mut input);
        let mut resource = self
            .inner
            .registry
            .resource(kind)
            .validate_create(input, compat)?;
        self.check_rules(
            ctx,
            kind,
            WriteChange::Create {
                resource: &mut resource,
            },
        )
        .await?;
        // A create's events get the new id from the store.
        let write = self.write_context(ctx, kind, "", || Change {
            kind: EventKind::Created,
            before: None,
            after: Some(&resource),
            members: None,
        });
        let created = self
            .inner
            .store
            .create(&write, resource)
            .await
            .map_err(store_error)?;
        self.committed(
            ctx,
            kind,
            created.id().unwrap_or_default(),
            Change {
                kind: EventKind::Created,
                before: None,
                after: Some(&created),
                members: None,
            },
        )
        .await;
        Ok(created)
    }

    /// The resource `id`. `projection` is what the caller will return of it: a store may
    /// skip loading what it leaves out (a large group's members).
    pub async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Resource, ScimError> {
        self.check_scope(ctx, kind)?;
        let resource = self
            .inner
            .store
            .get_projected(ctx, kind, id, projection)
            .await
            .map_err(store_error)?;
        let compat = self.compat_of(ctx.tenant());
        Ok(self.shown(&compat, ctx, resource).await)
    }

    /// The resources of type `kind` (users, then groups, paged as one list, for `None`: the
    /// root search) that `query` selects. `count` is held to the service's `maxResults`;
    /// a sort the store cannot do is `501`.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        kind: Option<ResourceKind>,
        query: &ListQuery,
    ) -> Result<ListPage, ScimError> {
        let max = self.inner.config.max_results;
        let max = self
            .inner
            .tenants
            .get(ctx.tenant())
            .max_results
            .map_or(max, |m| m.min(max));
        if query.count.is_none_or(|c| c > max) {
            let mut held = query.clone();
            held.count = Some(max);
            return self.list_within(ctx, kind, &held).await;
        }
        self.list_within(ctx, kind, query).await
    }

    /// [`Engine::list`] for a query whose `count` is already within `maxResults`.
    pub(super) async fn list_within(
        &self,
        ctx: &RequestContext,
        kind: Option<ResourceKind>,
        query: &ListQuery,
    ) -> Result<ListPage, ScimError> {
        let mut page = self.list_stored(ctx, kind, query).await?;
        let compat = self.compat_of(ctx.tenant());
        self.fill_member_display(&compat, ctx, &mut page.resources)
            .await;
        Ok(page)
    }

    /// The page the store answers for [`Engine::list_within`].
    async fn list_stored(
        &self,
        ctx: &RequestContext,
        kind: Option<ResourceKind>,
        query: &ListQuery,
    ) -> Result<ListPage, ScimError> {
        if query.sort.is_some() && !self.inner.config.sort {
            return Err(ScimError::new(
                501,
                "sorting is not supported by this service",
            ));
        }
        let store = &self.inner.store;
        if let Some(kind) = kind {
            self.check_scope(ctx, kind)?;
            return store.list(ctx, kind, query).await.map_err(store_error);
        }
        self.check_tenant(ctx.tenant())?;
        if let Some(position) = &query.cursor {
            return self.list_root_by_cursor(ctx, query, position).await;
        }
        let users = if self.serves_for(ctx.tenant(), ResourceKind::User) {
            store
                .list(ctx, ResourceKind::User, query)
                .await
                .map_err(store_error)?
        } else {
            ListPage::new(0, Vec::new())
        };
        if !self.serves_for(ctx.tenant(), ResourceKind::Group) {
            return Ok(users);
        }
        // The root search: Users, then Groups, paged as one list.
        let offset = query.offset().saturating_sub(users.total_results);
        let left = query
            .count
            .unwrap_or(usize::MAX)
            .saturating_sub(users.resources.len());
        let groups_query = query.clone().with_page(offset + 1, Some(left));
        let groups = store
            .list(ctx, ResourceKind::Group, &groups_query)
            .await
            .map_err(store_error)?;
        let mut resources = users.resources;
        resources.extend(groups.resources);
        Ok(ListPage::new(
            users.total_results + groups.total_results,
            resources,
        ))
    }

    /// The root search by cursor: Users, then Groups, as one list. A page that ends among
    /// the users continues with them; one that runs out of users goes on with the groups.
    /// Forward only: `previousCursor` is optional (RFC 9865 §2), and a root page does not
    /// give one.
    async fn list_root_by_cursor(
        &self,
        ctx: &RequestContext,
        query: &ListQuery,
        position: &Position,
    ) -> Result<ListPage, ScimError> {
        let store = &self.inner.store;
        let count = query.count.unwrap_or(usize::MAX);
        let in_kind = |position: &Position| {
            let mut position = position.clone();
            position.resource_type = None;
            query.clone().with_cursor(position, count)
        };
        let tagged = |kind: ResourceKind, position: Option<Position>| {
            position.map(|mut p| {
                p.resource_type = Some(kind);
                p
            })
        };
        let users_served = self.serves_for(ctx.tenant(), ResourceKind::User);
        let groups_served = self.serves_for(ctx.tenant(), ResourceKind::Group);
        let mut resources = Vec::new();
        let mut total = 0;
        let mut next = None;
        let in_groups = position.resource_type == Some(ResourceKind::Group);
        if users_served {
            let users_query = if in_groups {
                // Past the users: only their count.
                query.clone().with_cursor(Position::start(), 0)
            } else {
                in_kind(position)
            };
            let users = store
                .list(ctx, ResourceKind::User, &users_query)
                .await
                .map_err(store_error)?;
            total += users.total_results;
            resources = users.resources;
            next = tagged(ResourceKind::User, users.next);
        }
        if groups_served {
            let groups_position = if in_groups {
                position.clone()
            } else {
                Position::start()
            };
            let left = if next.is_some() {
                0
            } else {
                count - resources.len()
            };
            let mut groups_query = in_kind(&groups_position);
            groups_query.count = Some(left);
            let groups = store
                .list(ctx, ResourceKind::Group, &groups_query)
                .await
                .map_err(store_error)?;
            total += groups.total_results;
            if next.is_none() {
                next = tagged(ResourceKind::Group, groups.next);
                // A page that ended exactly with the last user: the groups come next.
                if next.is_none() && left == 0 && !in_groups && groups.total_results > 0 {
                    next = tagged(ResourceKind::Group, Some(Position::start()));
                }
            }
            resources.extend(groups.resources);
        }
        Ok(ListPage::new(total, resources).with_cursors(next, None))
    }

    /// Deletes the resource `id`, if `precondition` holds.
    pub async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        precondition: &Precondition,
    ) -> Result<(), ScimError> {
        self.check_scope(ctx, kind)?;
        let expected = if self.inner.rules.is_empty() {
            match precondition {
                Precondition::None => None,
                _ => Some(self.current(ctx, kind, id, precondition).await?.1),
            }
        } else {
            // The rules see what is about to go; the delete then expects that version.
            let (previous, version) = self.current(ctx, kind, id, precondition).await?;
            self.check_rules(
                ctx,
                kind,
                WriteChange::Delete {
                    previous: &previous,
                },
            )
            .await?;
            Some(version)
        };
        let write = self.write_context(ctx, kind, id, || Change {
            kind: EventKind::Deleted,
            before: None,
            after: None,
            members: None,
        });
        match self
            .inner
            .store
            .delete(&write, kind, id, expected.as_ref())
            .await
        {
            Ok(()) => {
                self.committed(
                    ctx,
                    kind,
                    id,
                    Change {
                        kind: EventKind::Deleted,
                        before: None,
                        after: None,
                        members: None,
                    },
                )
                .await;
                Ok(())
            }
            Err(StoreError::PreconditionFailed { .. }) => Err(precondition_failed(kind, id)),
            Err(err) => Err(store_error(err)),
        }
    }

    /// The stored resource and its version, checked against `precondition`.
    async fn current(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        precondition: &Precondition,
    ) -> Result<(Resource, Version), ScimError> {
        let resource = self
            .inner
            .store
            .get(ctx, kind, id)
            .await
            .map_err(store_error)?;
        let version = resource
            .version()
            .ok_or_else(|| store_error(StoreError::backend("a stored resource has no version")))?;
        if !precondition.matches(Some(&version)) {
            return Err(precondition_failed(kind, id));
        }
        Ok((resource, version))
    }

    /// Runs the app's rules, in order, on a write about to happen.
    pub(super) async fn check_rules(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        change: WriteChange<'_>,
    ) -> Result<(), ScimError> {
        if self.inner.rules.is_empty() {
            return Ok(());
        }
        let view = View {
            store: &self.inner.store,
            ctx,
        };
        let mut write = Write::new(ctx, kind, change, &view);
        for rule in &self.inner.rules {
            rule.check(&mut write).await?;
        }
        Ok(())
    }

    /// After the store committed a write: the audit line, and the events (not for a dry run).
    async fn committed(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        change: Change<'_>,
    ) {
        let changed = match &change.kind {
            EventKind::Patched { changed } => changed.join(","),
            _ => String::new(),
        };
        tracing::info!(
            target: "scim::audit",
            tenant = %ctx.tenant(),
            client = ctx.client().unwrap_or(""),
            request_id = %ctx.request_id(),
            resource = %kind,
            id,
            action = change.kind.name(),
            changed,
            dry_run = ctx.dry_run(),
            "write",
        );
        if ctx.dry_run() || self.inner.capabilities.durable_events() {
            // A store with durable events kept them with the write, and delivers them.
            return;
        }
        if let Some(sink) = &self.inner.events {
            for event in change.events(ctx, kind, id) {
                if let Err(err) = sink.deliver(&event).await {
                    // The write is committed; a store without durable events cannot
                    // hand the event over again.
                    tracing::warn!(
                        event = event.kind.name(),
                        id = %event.id,
                        error = %err,
                        "the event sink failed; the event is lost",
                    );
                }
            }
        }
    }

    /// The context a store write runs in: for a store with durable events (and a sink to
    /// deliver them to), carrying the events `change` publishes, which the store keeps in
    /// the write's transaction.
    pub(super) fn write_context<'c, 'r>(
        &self,
        ctx: &'c RequestContext,
        kind: ResourceKind,
        id: &str,
        change: impl FnOnce() -> Change<'r>,
    ) -> Cow<'c, RequestContext> {
        if !self.inner.capabilities.durable_events() || self.inner.events.is_none() {
            return Cow::Borrowed(ctx);
        }
        let events = change().events(ctx, kind, id);
        Cow::Owned(ctx.clone().with_events(events))
    }
}
