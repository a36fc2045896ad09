//! The `ScimStore` trait an app implements against its own database, and what it is handed.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use scim_filter::{AttrPath, Filter};
use serde_json::Value;

use crate::context::RequestContext;
use crate::cursor::Position;
use crate::engine::EventSink;
use crate::error::{ScimError, ScimType};
use crate::log::{LogPage, LogQuery, RequestRecord};
use crate::projection::Projection;
use crate::registry::ResourceKind;
use crate::resource::{Resource, Version};

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// Smallest first (the default).
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

/// `sortBy` and `sortOrder` (RFC 7644 §3.4.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    /// The attribute to sort by.
    pub by: AttrPath,
    /// The direction.
    pub order: SortOrder,
}

/// A list request, handed whole to the store so that a database can push the filter, sort,
/// paging and projection down.
///
/// Paging follows RFC 7644 §3.4.2.4: `start_index` is 1-based (a value below 1 means 1);
/// `count` of `None` means "as many as the store allows", `Some(0)` means "only
/// `totalResults`".
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ListQuery {
    /// Only resources matching this filter.
    pub filter: Option<Filter>,
    /// The order; stores without one use a stable order of their own (creation order).
    pub sort: Option<Sort>,
    /// The 1-based index of the first resource to return.
    pub start_index: usize,
    /// The most resources to return.
    pub count: Option<usize>,
    /// Which attributes the response will carry: a hint, the engine projects anyway.
    pub projection: Projection,
    /// Cursor paging (RFC 9865): the page after (or before) this position, in the order
    /// [`ListQuery::sort`] gives with ties by id, instead of `start_index`. Only for stores
    /// whose [`StoreCapabilities::cursor_paging`] says so.
    pub cursor: Option<Position>,
}

impl ListQuery {
    /// Every resource, in the store's order.
    pub fn new() -> Self {
        Self {
            start_index: 1,
            ..Self::default()
        }
    }

    /// This query with a filter.
    #[must_use]
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// This query sorted.
    #[must_use]
    pub fn with_sort(mut self, by: AttrPath, order: SortOrder) -> Self {
        self.sort = Some(Sort { by, order });
        self
    }

    /// This query with `startIndex` and `count`.
    #[must_use]
    pub fn with_page(mut self, start_index: usize, count: Option<usize>) -> Self {
        self.start_index = start_index;
        self.count = count;
        self
    }

    /// This query with a projection hint.
    #[must_use]
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.projection = projection;
        self
    }

    /// This query paged by cursor: the `count` resources after (or before) `position`.
    #[must_use]
    pub fn with_cursor(mut self, position: Position, count: usize) -> Self {
        self.cursor = Some(position);
        self.start_index = 1;
        self.count = Some(count);
        self
    }

    /// The 0-based offset of the first resource: `start_index - 1`, at least 0.
    pub fn offset(&self) -> usize {
        self.start_index.saturating_sub(1)
    }
}

/// One page of a list.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListPage {
    /// How many resources match, across all pages.
    pub total_results: usize,
    /// This page's resources, in order.
    pub resources: Vec<Resource>,
    /// For cursor paging: where the next page starts (after this page's last resource), if
    /// one follows.
    pub next: Option<Position>,
    /// For cursor paging: where the previous page ends (before this page's first resource),
    /// if one precedes.
    pub previous: Option<Position>,
}

impl ListPage {
    /// A page.
    pub fn new(total_results: usize, resources: Vec<Resource>) -> Self {
        Self {
            total_results,
            resources,
            next: None,
            previous: None,
        }
    }

    /// This page with the positions of the pages around it (cursor paging).
    #[must_use]
    pub fn with_cursors(mut self, next: Option<Position>, previous: Option<Position>) -> Self {
        self.next = next;
        self.previous = previous;
        self
    }
}

/// Members to add to and remove from a group, for stores that change membership natively.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct MemberChange {
    /// Member values to add (objects with at least `value`); those already members are
    /// skipped.
    pub add: Vec<Value>,
    /// Member ids to remove; those not members are skipped.
    pub remove: Vec<String>,
}

impl MemberChange {
    /// A change adding `add` and removing `remove`.
    pub fn new(add: Vec<Value>, remove: Vec<String>) -> Self {
        Self { add, remove }
    }
}

/// What a native membership change did ([`ScimStore::modify_members`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MembersChanged {
    /// The group's version afterwards (unchanged if nothing changed).
    pub version: Version,
    /// The ids of the members added, in the order of the change; those already members are
    /// not listed.
    pub added: Vec<String>,
    /// The ids of the members removed; those that were not members are not listed.
    pub removed: Vec<String>,
}

impl MembersChanged {
    /// A change that left the group at `version`, having added and removed these ids.
    pub fn new(version: Version, added: Vec<String>, removed: Vec<String>) -> Self {
        Self {
            version,
            added,
            removed,
        }
    }

    /// Whether the change changed anything.
    pub fn changed(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty())
    }
}

impl From<scim_patch::Membership> for MemberChange {
    /// The change a PATCH makes to membership, as scim-patch works it out.
    fn from(change: scim_patch::Membership) -> Self {
        Self::new(change.add, change.remove)
    }
}

/// What a store serves: every tenant or one, groups or users only, sorting or not.
///
/// The engine reads it once, when it is built, and serves exactly that: a store without
/// groups has no `/Groups` (`404`) and `/ResourceTypes` and `/Schemas` leave Group out; one
/// without sorting answers `sortBy` with `501` and `/ServiceProviderConfig` says
/// `"sort": {"supported": false}`; a single-tenant store is handed requests for its tenant
/// only (`403` for a token of any other). The conformance suite
/// (`scim_store_tests!`, feature `testing`) reads the same value and runs what it
/// covers, so a store is tested on what it serves, no less.
///
/// ```
/// use scim_core::StoreCapabilities;
/// use scim_core::engine::DEFAULT_TENANT;
///
/// // An app with one `users` table, no groups, and no ORDER BY for arbitrary attributes.
/// let caps = StoreCapabilities::new()
///     .single_tenant(DEFAULT_TENANT)
///     .without_groups()
///     .without_sorting();
/// assert_eq!(caps.tenant(), Some("default"));
/// assert!(caps.serves_tenant("default") && !caps.serves_tenant("acme"));
/// assert!(!caps.groups() && !caps.sorting());
/// assert!(StoreCapabilities::new().serves_tenant("acme"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCapabilities {
    tenant: Option<String>,
    groups: bool,
    sorting: bool,
    durable_events: bool,
    cursor_paging: bool,
}

impl Default for StoreCapabilities {
    fn default() -> Self {
        Self::new()
    }
}

impl StoreCapabilities {
    /// Everything: any number of tenants (each confined by `ctx.tenant()`), users and
    /// groups, and sorting. What a store serves unless it says otherwise.
    pub fn new() -> Self {
        Self {
            tenant: None,
            groups: true,
            sorting: true,
            durable_events: false,
            cursor_paging: false,
        }
    }

    /// A store that keeps one tenant's data and ignores `ctx.tenant()`: it is only ever
    /// handed requests for `tenant`. An app authenticating with one
    /// [`BearerToken`](crate::engine::BearerToken) names
    /// [`DEFAULT_TENANT`](crate::engine::DEFAULT_TENANT), the tenant such a token serves.
    #[must_use]
    pub fn single_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// A store that keeps users only.
    #[must_use]
    pub fn without_groups(mut self) -> Self {
        self.groups = false;
        self
    }

    /// A store whose `list` ignores [`ListQuery::sort`].
    #[must_use]
    pub fn without_sorting(mut self) -> Self {
        self.sorting = false;
        self
    }

    /// A store that keeps each write's events in the write's own transaction (a
    /// transactional outbox) and delivers them itself, at least once, even across a crash
    /// between the commit and the delivery. The engine then hands it the events with each
    /// write ([`RequestContext::events`]) and the app's sink once
    /// ([`ScimStore::deliver_events`]), and publishes nothing itself.
    #[must_use]
    pub fn with_durable_events(mut self) -> Self {
        self.durable_events = true;
        self
    }

    /// A store that pages by cursor ([`ListQuery::cursor`]): a keyset over the sort value
    /// and id, stable when resources are created or deleted between pages, answering
    /// [`ListPage::next`] and [`ListPage::previous`].
    #[must_use]
    pub fn with_cursor_paging(mut self) -> Self {
        self.cursor_paging = true;
        self
    }

    /// Whether the store pages by cursor.
    pub fn cursor_paging(&self) -> bool {
        self.cursor_paging
    }

    /// Whether the store keeps and delivers events itself.
    pub fn durable_events(&self) -> bool {
        self.durable_events
    }

    /// The one tenant a single-tenant store serves; `None` when it serves any.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// Whether requests for `tenant` may reach the store.
    pub fn serves_tenant(&self, tenant: &str) -> bool {
        self.tenant.as_deref().is_none_or(|t| t == tenant)
    }

    /// Whether the store keeps groups.
    pub fn groups(&self) -> bool {
        self.groups
    }

    /// Whether `list` sorts by [`ListQuery::sort`].
    pub fn sorting(&self) -> bool {
        self.sorting
    }

    /// Whether the store keeps resources of type `kind`.
    pub fn serves(&self, kind: ResourceKind) -> bool {
        kind != ResourceKind::Group || self.groups
    }
}

/// Why a store refused, by meaning: the engine picks the HTTP status and `scimType`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No resource of that kind with that id in the tenant (`404`).
    #[error("{kind} \"{id}\" not found")]
    NotFound {
        /// The resource type.
        kind: ResourceKind,
        /// The id asked for.
        id: String,
    },
    /// A uniqueness constraint would be broken (`409 uniqueness`).
    #[error("{0}")]
    Conflict(String),
    /// The resource changed since the expected version (`412`).
    #[error("{kind} \"{id}\" has changed: its version is no longer {expected}")]
    PreconditionFailed {
        /// The resource type.
        kind: ResourceKind,
        /// The resource's id.
        id: String,
        /// The version the writer expected.
        expected: Version,
    },
    /// The filter uses something the store cannot evaluate (`400 invalidFilter`). A store
    /// never answers such a filter with "everything": Entra would create duplicates.
    #[error("{0}")]
    InvalidFilter(String),
    /// A value the store cannot keep, though the schemas allow it: a column the app's table
    /// requires left empty, a check the table makes (`400 invalidValue`). The detail names
    /// the attribute.
    #[error("{0}")]
    InvalidValue(String),
    /// The store does not implement an optional operation (`501`); the engine falls back
    /// where it can.
    #[error("{operation} is not implemented by this store")]
    NotImplemented {
        /// The operation.
        operation: &'static str,
    },
    /// The backend failed (`500`); the source is kept for logs, never shown to clients.
    #[error("store backend error")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

impl StoreError {
    /// A backend failure from any error.
    pub fn backend(err: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Backend(err.into())
    }
}

impl From<StoreError> for ScimError {
    fn from(err: StoreError) -> Self {
        match &err {
            StoreError::NotFound { .. } => Self::not_found(err.to_string()),
            StoreError::Conflict(detail) => Self::uniqueness(detail.clone()),
            StoreError::PreconditionFailed { .. } => Self::precondition_failed(err.to_string()),
            StoreError::InvalidFilter(detail) => {
                Self::bad_request(ScimType::InvalidFilter, detail.clone())
            }
            StoreError::InvalidValue(detail) => Self::invalid_value(detail.clone()),
            StoreError::NotImplemented { .. } => Self::new(501, err.to_string()),
            StoreError::Backend(_) => Self::new(500, "internal error"),
        }
    }
}

/// Who created a resource: the directory (through SCIM), or the app itself (an account that
/// signed up, or existed before SCIM was switched on). Rules use it to keep the app's own
/// accounts out of the directory's reach ([`KeepAppCreated`](crate::engine::KeepAppCreated)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provenance {
    /// Created by a SCIM client.
    Directory,
    /// Created by the app, outside SCIM.
    App,
    /// The store does not know.
    Unknown,
}

/// Where resources live. An app implements it against its own tables; the library does the
/// protocol (validation, PATCH, projection, errors) around it.
///
/// Every call carries a [`RequestContext`]: a store confines it to `ctx.tenant()` and, when
/// `ctx.dry_run()`, checks everything and persists nothing. The store owns ids, `meta`
/// (`created`, `lastModified`, `version`: a new version on every real change and only then,
/// "the same content" judged by [`Resource::same_content`], which ignores `meta` on both
/// sides), uniqueness (`userName` without regard to case, a group's `displayName`, both per
/// tenant), the filter, sorting (resources without a value last) and paging. `create` returns
/// exactly what a later `get` returns. Writes name the version they expect, so concurrent
/// writers cannot lose updates. A store that serves one tenant, no groups or no sorting says
/// so in [`ScimStore::capabilities`]. The store guide
/// ([`guide::store`](crate::guide::store)) lists every point of this contract with the
/// conformance case that checks it.
///
/// The library applies PATCH by `get`, apply, `replace`. A store that can change group
/// membership cheaply overrides [`ScimStore::modify_members`].
///
/// [`MemoryStore`](crate::MemoryStore) is a complete implementation, and
/// [`testing`](crate#testing) runs the conformance suite against any store. A minimal store
/// over a map, filtering with the library's evaluator:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// use scim_core::{
///     ListPage, ListQuery, Meta, RequestContext, Resource, ResourceKind, SchemaRegistry,
///     ScimStore, StoreError, Version,
/// };
/// use scim_filter::Evaluator;
///
/// #[derive(Debug, Default)]
/// struct MapStore {
///     registry: SchemaRegistry,
///     rows: Mutex<HashMap<(String, ResourceKind, String), Resource>>,
///     next: Mutex<u64>,
/// }
///
/// impl MapStore {
///     fn version(&self) -> Version {
///         let mut next = self.next.lock().unwrap();
///         *next += 1;
///         Version::new(next.to_string())
///     }
///     fn key(ctx: &RequestContext, kind: ResourceKind, id: &str) -> (String, ResourceKind, String) {
///         (ctx.tenant().to_owned(), kind, id.to_owned())
///     }
/// }
///
/// impl ScimStore for MapStore {
///     async fn create(&self, ctx: &RequestContext, mut resource: Resource) -> Result<Resource, StoreError> {
///         let id = uuid_like(&self.version());
///         resource.set_id(&id);
///         resource.set_meta(&Meta::new(chrono::Utc::now(), self.version()));
///         let mut rows = self.rows.lock().unwrap();
///         let taken = rows.iter().any(|((t, k, _), r)| {
///             t == ctx.tenant() && *k == resource.kind()
///                 && r.unique_value().zip(resource.unique_value())
///                     .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
///         });
///         if taken {
///             return Err(StoreError::Conflict("already taken".into()));
///         }
///         if !ctx.dry_run() {
///             rows.insert(Self::key(ctx, resource.kind(), &id), resource.clone());
///         }
///         Ok(resource)
///     }
///
///     async fn get(&self, ctx: &RequestContext, kind: ResourceKind, id: &str) -> Result<Resource, StoreError> {
///         let rows = self.rows.lock().unwrap();
///         rows.get(&Self::key(ctx, kind, id)).cloned()
///             .ok_or_else(|| StoreError::NotFound { kind, id: id.to_owned() })
///     }
///
///     async fn list(&self, ctx: &RequestContext, kind: ResourceKind, query: &ListQuery) -> Result<ListPage, StoreError> {
///         let eval = Evaluator::new(self.registry.resource(kind));
///         let rows = self.rows.lock().unwrap();
///         let matching: Vec<Resource> = rows.iter()
///             .filter(|((t, k, _), _)| t == ctx.tenant() && *k == kind)
///             .map(|(_, r)| r)
///             .filter(|r| query.filter.as_ref().is_none_or(|f| {
///                 eval.matches(f, &serde_json::Value::Object(r.as_json().clone()))
///             }))
///             .cloned()
///             .collect();
///         let total = matching.len();
///         let page = matching.into_iter().skip(query.offset()).take(query.count.unwrap_or(usize::MAX));
///         Ok(ListPage::new(total, page.collect()))
///     }
///
///     async fn replace(&self, ctx: &RequestContext, mut resource: Resource, expected: &Version) -> Result<Resource, StoreError> {
///         let kind = resource.kind();
///         let id = resource.id().unwrap_or_default().to_owned();
///         let mut rows = self.rows.lock().unwrap();
///         let current = rows.get(&Self::key(ctx, kind, &id))
///             .ok_or_else(|| StoreError::NotFound { kind, id: id.clone() })?;
///         if current.version().as_ref() != Some(expected) {
///             return Err(StoreError::PreconditionFailed { kind, id, expected: expected.clone() });
///         }
///         if current.same_content(&resource) {
///             return Ok(current.clone());
///         }
///         let mut meta = current.meta().expect("stored with meta");
///         meta.last_modified = chrono::Utc::now();
///         meta.version = self.version();
///         resource.set_meta(&meta);
///         if !ctx.dry_run() {
///             rows.insert(Self::key(ctx, kind, &id), resource.clone());
///         }
///         Ok(resource)
///     }
///
///     async fn delete(&self, ctx: &RequestContext, kind: ResourceKind, id: &str, expected: Option<&Version>) -> Result<(), StoreError> {
///         let mut rows = self.rows.lock().unwrap();
///         let key = Self::key(ctx, kind, id);
///         let current = rows.get(&key).ok_or_else(|| StoreError::NotFound { kind, id: id.to_owned() })?;
///         if let Some(expected) = expected && current.version().as_ref() != Some(expected) {
///             return Err(StoreError::PreconditionFailed { kind, id: id.to_owned(), expected: expected.clone() });
///         }
///         if !ctx.dry_run() {
///             rows.remove(&key);
///         }
///         Ok(())
///     }
/// }
///
/// fn uuid_like(v: &Version) -> String {
///     format!("id-{}", v.as_str())
/// }
/// ```
pub trait ScimStore: Send + Sync + 'static {
    /// Stores a new resource (validated, without `id` or `meta`): assigns `id` and `meta`,
    /// enforces uniqueness ([`StoreError::Conflict`]), and returns what was stored.
    fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send;

    /// The resource `id` of type `kind` ([`StoreError::NotFound`] if absent).
    fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send;

    /// The resources of type `kind` matching `query.filter`, sorted and paged, with the total
    /// number of matches. A filter the store cannot evaluate is [`StoreError::InvalidFilter`].
    fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> impl Future<Output = Result<ListPage, StoreError>> + Send;

    /// Replaces the resource with `resource.id()` if its version is still `expected`
    /// ([`StoreError::PreconditionFailed`] otherwise). `meta.created` is kept; `version` and
    /// `lastModified` change only if the content did.
    fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send;

    /// [`ScimStore::replace`] of `previous`, the resource as the engine read it at version
    /// `expected`, by `resource`. A store may compare `resource` with `previous` instead of
    /// reading the resource again, and write only what the client changed; it must still
    /// refuse if the version moved since (`PreconditionFailed`), and may not assume
    /// `previous` holds what the app itself changed meanwhile outside SCIM. The engine
    /// calls this for `PUT` and `PATCH`. Optional: the default is
    /// [`ScimStore::replace`].
    fn replace_from(
        &self,
        ctx: &RequestContext,
        previous: &Resource,
        resource: Resource,
        expected: &Version,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        let _ = previous;
        self.replace(ctx, resource, expected)
    }

    /// Deletes the resource, if its version is still `expected` when one is given. The store
    /// also drops the id from every group's `members`.
    fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// What the store serves (tenants, groups, sorting, durable events). The engine reads it
    /// once, when it is built. Optional: the default is [`StoreCapabilities::new`]:
    /// everything, events published by the engine.
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::new()
    }

    /// The schemas the store was built with, if it was given some (an app's extensions,
    /// aliases, required attributes): an engine over it validates with them unless its
    /// builder is given others ([`EngineBuilder::registry`](crate::engine::EngineBuilder::registry)),
    /// so that the store and the engine cannot disagree. Optional: the default is none
    /// (the engine uses [`SchemaRegistry::new`](crate::SchemaRegistry::new)).
    fn schema_registry(&self) -> Option<Arc<crate::SchemaRegistry>> {
        None
    }

    /// Keeps one entry of the provisioning log: called by the engine after it answered a
    /// request of a tenant. It must neither block nor fail the request: a store that
    /// writes it somewhere slow queues it (and may drop it when the queue is full).
    /// Optional: the default keeps nothing.
    fn record_request(&self, record: RequestRecord) {
        let _ = record;
    }

    /// A page of `tenant`'s provisioning log, latest first. Optional: the default answers
    /// an empty page.
    fn request_log(
        &self,
        tenant: &str,
        query: &LogQuery,
    ) -> impl Future<Output = Result<LogPage, StoreError>> + Send {
        let _ = (tenant, query);
        std::future::ready(Ok(LogPage::default()))
    }

    /// For a store with durable events: where to deliver them. The engine calls it once,
    /// when it is built with an event sink; the store then delivers what it keeps, and what
    /// it keeps from then on, to `sink`. Optional: the default does nothing.
    fn deliver_events(&self, sink: Arc<dyn EventSink>) {
        let _ = sink;
    }

    /// [`ScimStore::get`] for a response that carries only what `projection` keeps: a store
    /// may skip loading what it excludes (a large group's `members`, for Entra's
    /// `excludedAttributes=members`). Optional: the default calls `get`.
    fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        let _ = projection;
        self.get(ctx, kind, id)
    }

    /// The `displayName` of each resource of type `kind` whose id is among `ids` and that
    /// has one, keyed by id: what the engine fills group members' `display` with when a
    /// group is read ([`Compat::member_display`](crate::Compat::member_display)). It is
    /// asked once per type for a whole group or page, so a store answers with one lookup,
    /// never one per member. Ids that name nothing are left out. Optional: the default
    /// answers none, and members keep the `display` they were written with.
    fn display_names(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        ids: &[&str],
    ) -> impl Future<Output = Result<HashMap<String, String>, StoreError>> + Send {
        let _ = (ctx, kind, ids);
        std::future::ready(Ok(HashMap::new()))
    }

    /// Who created the resource `id` of type `kind` ([`StoreError::NotFound`] if absent).
    /// Optional: the default answers [`Provenance::Unknown`].
    fn provenance(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> impl Future<Output = Result<Provenance, StoreError>> + Send {
        let _ = (ctx, kind, id);
        async { Ok(Provenance::Unknown) }
    }

    /// Adds and removes members of group `group_id` without rewriting the group, if its
    /// version is still `expected` when one is given, and says what it did: the group's new
    /// version (unchanged if nothing changed) and the ids it really added and removed, from
    /// which the engine publishes membership events. Optional: the default answers
    /// [`StoreError::NotImplemented`] and the library falls back to get-apply-replace.
    fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<MembersChanged, StoreError>> + Send {
        let _ = (ctx, group_id, change, expected);
        async {
            Err(StoreError::NotImplemented {
                operation: "modify_members",
            })
        }
    }
}

impl fmt::Display for SortOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ascending => "ascending",
            Self::Descending => "descending",
        })
    }
}
