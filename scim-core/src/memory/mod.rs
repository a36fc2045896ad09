//! `MemoryStore`: an indexed, tenant-isolated, versioned in-memory [`ScimStore`].
//!
//! It is an ordinary implementer of the public API: everything it uses is public (it hands
//! the engine users as [`StoredDocument`](crate::StoredDocument)s, as any store keeping JSON
//! text can), and `tests/memory_public_api.rs` compiles this module outside the crate to keep
//! it so. `document` is how one resource is kept, `index` the collections and their indexes,
//! `plan` which entries a filter needs, `sort` the order of a list.

mod document;
mod index;
mod plan;
mod sort;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, SubsecRound, Utc};
use scim_filter::{Evaluator, Filter};
use serde_json::Value;
use uuid::Uuid;

use self::document::{Doc, Entry};
use self::index::{Collection, fold};
use self::plan::{candidates, filter_keys};
use self::sort::{keyset_page, sort_entries};
use crate::{
    ListPage, ListQuery, LogPage, LogQuery, LogRetention, LogRing, MemberChange, MembersChanged,
    Meta, Projection, Provenance, RequestContext, RequestRecord, Resource, ResourceKind,
    SchemaRegistry, ScimStore, StoreCapabilities, StoreError, Version,
};

/// An in-memory [`ScimStore`]: the embedded default for tests, demos and small deployments.
///
/// - Tenants are isolated: each has its own users, groups and indexes.
/// - `eq` filters on `id`, `userName`, `externalId`, `displayName` and `members.value` (also
///   as `members[value eq "..."]`, alone or inside `and` / `or`) use hash indexes, so their
///   cost does not grow with the number of resources. Other filters scan.
/// - `meta.version` changes on every real change and only then; writes check the expected
///   version.
/// - `userName` (case-insensitively) and a group's `displayName` are unique per tenant.
/// - Group membership changes natively ([`ScimStore::modify_members`]) in time independent of
///   the group's size; deleting a user removes it from its groups.
/// - Users are kept as their JSON text, about 1.3 times its size with the indexes (a parsed
///   `serde_json::Value` takes ten times the text). A [`Resource`] read from the store
///   shares that text, and the engine writes responses from it without parsing; a filter
///   that no index answers parses only the attributes it names. Groups are kept parsed, so
///   that a membership change does not rewrite a large group.
///
/// Cloning is cheap and clones share the data.
///
/// ```
/// use scim_core::{Compat, ListQuery, MemoryStore, RequestContext, ResourceKind, ScimStore};
/// use scim_filter::Filter;
/// use serde_json::json;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let ctx = RequestContext::new("acme");
/// let users = store.registry().resource(ResourceKind::User);
/// let input = users.validate_create(json!({"userName": "bjensen"}), &Compat::entra())?;
/// let created = store.create(&ctx, input).await?;
///
/// let query = ListQuery::new().with_filter(Filter::parse(r#"userName eq "BJENSEN""#)?);
/// let page = store.list(&ctx, ResourceKind::User, &query).await?;
/// assert_eq!(page.total_results, 1);
/// assert_eq!(page.resources[0].id(), created.id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<SchemaRegistry>,
    tenants: RwLock<HashMap<String, Arc<RwLock<Tenant>>>>,
    clock: AtomicU64,
    /// The provisioning log, every tenant's.
    log: LogRing,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenants = self
            .inner
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("MemoryStore")
            .field("tenants", &tenants)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Default)]
struct Tenant {
    users: Collection,
    groups: Collection,
}

impl Tenant {
    fn collection(&mut self, kind: ResourceKind) -> &mut Collection {
        match kind {
            ResourceKind::User => &mut self.users,
            _ => &mut self.groups,
        }
    }

    fn collection_ref(&self, kind: ResourceKind) -> &Collection {
        match kind {
            ResourceKind::User => &self.users,
            _ => &self.groups,
        }
    }
}

impl MemoryStore {
    /// An empty store with RFC 7643's schemas.
    pub fn new() -> Self {
        Self::with_registry(Arc::new(SchemaRegistry::new()))
    }

    /// An empty store whose filters see `registry`'s schemas (an app's extensions).
    pub fn with_registry(registry: Arc<SchemaRegistry>) -> Self {
        Self::with_log_retention(registry, LogRetention::default())
    }

    /// An empty store over `registry` whose provisioning log keeps what `retention` says
    /// (by default the latest 10,000 requests, none older than 30 days).
    pub fn with_log_retention(registry: Arc<SchemaRegistry>, retention: LogRetention) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                tenants: RwLock::new(HashMap::new()),
                clock: AtomicU64::new(1),
                log: LogRing::new(retention),
            }),
        }
    }

    /// The schemas filters are evaluated with.
    pub fn registry(&self) -> &SchemaRegistry {
        &self.inner.registry
    }

    /// Everything `tenant` holds, as `{"Users": [...], "Groups": [...]}` in creation order:
    /// for backups, debugging, and tests that compare a store before and after.
    pub fn export(&self, tenant: &str) -> Value {
        let ctx = RequestContext::new(tenant);
        self.read(&ctx, |tenant| {
            let list = |kind: ResourceKind| -> Vec<Value> {
                tenant
                    .map(|t| {
                        t.collection_ref(kind)
                            .entries()
                            .map(|(_, e)| e.tree(kind).into_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            serde_json::json!({
                "Users": list(ResourceKind::User),
                "Groups": list(ResourceKind::Group),
            })
        })
    }

    /// A new version, and its number.
    fn next_version(&self) -> (Version, u64) {
        let n = self.inner.clock.fetch_add(1, AtomicOrdering::Relaxed);
        (Version::new(n.to_string()), n)
    }

    fn tenant(&self, name: &str) -> Option<Arc<RwLock<Tenant>>> {
        let tenants = self
            .inner
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        tenants.get(name).cloned()
    }

    fn tenant_or_new(&self, name: &str) -> Arc<RwLock<Tenant>> {
        if let Some(t) = self.tenant(name) {
            return t;
        }
        let mut tenants = self
            .inner
            .tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        tenants.entry(name.to_owned()).or_default().clone()
    }

    fn read<T>(&self, ctx: &RequestContext, f: impl FnOnce(Option<&Tenant>) -> T) -> T {
        // The tenant table stays read-locked while the tenant is read: no reference count
        // to bump, one shared atomic less per read.
        let tenants = self
            .inner
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        match tenants.get(ctx.tenant()) {
            Some(t) => f(Some(&t.read().unwrap_or_else(PoisonError::into_inner))),
            None => f(None),
        }
    }

    fn write<T>(&self, ctx: &RequestContext, f: impl FnOnce(&mut Tenant) -> T) -> T {
        let tenant = self.tenant_or_new(ctx.tenant());
        let mut guard = tenant.write().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    fn create_sync(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let mut resource = resource;
        let id = Uuid::new_v4();
        resource.set_id(id.hyphenated().to_string());
        let (version, n) = self.next_version();
        let meta = Meta::new(now(), version);
        self.write(ctx, |tenant| {
            let coll = tenant.collection(kind);
            check_unique(coll, kind, None, resource.unique_value())?;
            let schemas = self.inner.registry.resource(kind);
            let entry = Entry::new(schemas, id, resource, &meta, n)?;
            let created = entry.resource(kind, false);
            if !ctx.dry_run() {
                coll.insert(kind, entry);
            }
            Ok(created)
        })
    }

    /// The resource `id`, without its `members` when `skip_members`.
    fn get_sync(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        skip_members: bool,
    ) -> Result<Resource, StoreError> {
        self.read(ctx, |tenant| {
            let coll = tenant.map(|t| t.collection_ref(kind));
            let entry = coll.and_then(|c| c.entry(c.slot(id)?));
            let Some(entry) = entry else {
                return Err(not_found(kind, id));
            };
            Ok(entry.resource(kind, skip_members))
        })
    }

    fn list_sync(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        let schemas = self.inner.registry.resource(kind);
        let eval = Evaluator::new(schemas).string_booleans(true);
        let skip_members =
            kind == ResourceKind::Group && !query.projection.wants(schemas, "members");
        self.read(ctx, |tenant| {
            let Some(coll) = tenant.map(|t| t.collection_ref(kind)) else {
                return Ok(ListPage::default());
            };
            // The attributes a filter reads, worked out only when entries must be read.
            let keys_of = |filter: &Filter| {
                let mut keys = Vec::new();
                filter_keys(filter, kind, schemas, &mut keys);
                keys
            };
            let mut matched: Vec<(usize, &Entry)> = match &query.filter {
                None => coll.entries().collect(),
                Some(filter) => match candidates(coll, schemas, kind, filter) {
                    Some((mut slots, exact)) => {
                        // Index hits come in hash order, possibly twice (`or`).
                        slots.sort_unstable();
                        slots.dedup();
                        let hits = slots.into_iter().filter_map(|s| Some((s, coll.entry(s)?)));
                        if exact {
                            hits.collect()
                        } else {
                            let keys = keys_of(filter);
                            hits.filter(|(_, e)| eval.matches(filter, &e.view(kind, &keys)))
                                .collect()
                        }
                    }
                    None => {
                        let keys = keys_of(filter);
                        coll.entries()
                            .filter(|(_, e)| eval.matches(filter, &e.view(kind, &keys)))
                            .collect()
                    }
                },
            };
            if let Some(position) = &query.cursor {
                let total = matched.len();
                let count = query.count.unwrap_or(usize::MAX);
                let (page, next, previous) =
                    keyset_page(matched, kind, schemas, query.sort.as_ref(), position, count);
                let resources = page
                    .into_iter()
                    .map(|e| e.resource(kind, skip_members))
                    .collect();
                return Ok(ListPage::new(total, resources).with_cursors(next, previous));
            }
            if let Some(sort) = &query.sort {
                sort_entries(&mut matched, kind, schemas, sort);
            }
            let total = matched.len();
            let resources = matched
                .into_iter()
                .skip(query.offset())
                .take(query.count.unwrap_or(usize::MAX))
                .map(|(_, e)| e.resource(kind, skip_members))
                .collect();
            Ok(ListPage::new(total, resources))
        })
    }

    fn replace_sync(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let id = resource.id().unwrap_or_default().to_owned();
        let (version, n) = self.next_version();
        self.write(ctx, |tenant| {
            let coll = tenant.collection(kind);
            let slot = coll.slot(&id).ok_or_else(|| not_found(kind, &id))?;
            let stored = coll.entry(slot).ok_or_else(|| not_found(kind, &id))?;
            check_version(stored, kind, &id, Some(expected))?;
            let mut meta = stored.meta();
            meta.last_modified = now();
            meta.version = version;
            let unique = resource.unique_value().map(str::to_owned);
            let schemas = self.inner.registry.resource(kind);
            let entry = Entry::new(schemas, stored.id, resource, &meta, n)?;
            if stored.same_content(&entry) {
                return Ok(stored.resource(kind, false));
            }
            check_unique(coll, kind, Some(&id), unique.as_deref())?;
            let replaced = entry.resource(kind, false);
            if !ctx.dry_run() {
                coll.update(kind, slot, entry);
            }
            Ok(replaced)
        })
    }

    fn delete_sync(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.write(ctx, |tenant| {
            let coll = tenant.collection(kind);
            let slot = coll.slot(id).ok_or_else(|| not_found(kind, id))?;
            let entry = coll.entry(slot).ok_or_else(|| not_found(kind, id))?;
            check_version(entry, kind, id, expected)?;
            if ctx.dry_run() {
                return Ok(());
            }
            coll.remove(kind, slot);
            // A deleted resource is no longer anybody's member.
            let change = MemberChange::new(Vec::new(), vec![id.to_owned()]);
            for group in tenant.groups.lookup("members", &fold(id)) {
                let change_at = (self.next_version().0, now());
                tenant.groups.apply_members(group, &change, change_at)?;
            }
            Ok(())
        })
    }

    fn modify_members_sync(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        let kind = ResourceKind::Group;
        self.write(ctx, |tenant| {
            let coll = &mut tenant.groups;
            let slot = coll
                .slot(group_id)
                .ok_or_else(|| not_found(kind, group_id))?;
            let entry = coll.entry(slot).ok_or_else(|| not_found(kind, group_id))?;
            check_version(entry, kind, group_id, expected)?;
            let Doc::Tree(group) = &entry.doc else {
                return Err(StoreError::backend("a stored group is not a tree"));
            };
            if ctx.dry_run() {
                // What the change would do, worked out without doing it.
                let mut added: Vec<String> = Vec::new();
                for member in &change.add {
                    let value = member.get("value").and_then(Value::as_str);
                    if let Some(v) = value.filter(|v| !group.members.contains_key(*v))
                        && !added.iter().any(|a| a == v)
                    {
                        added.push(v.to_owned());
                    }
                }
                let mut removed: Vec<String> = Vec::new();
                for id in change
                    .remove
                    .iter()
                    .filter(|v| group.members.contains_key(*v))
                {
                    if !removed.contains(id) {
                        removed.push(id.clone());
                    }
                }
                let version = if added.is_empty() && removed.is_empty() {
                    entry.version()
                } else {
                    self.next_version().0
                };
                return Ok(MembersChanged::new(version, added, removed));
            }
            let version = self.next_version().0;
            let (added, removed) = coll.apply_members(slot, change, (version.clone(), now()))?;
            let version = if added.is_empty() && removed.is_empty() {
                coll.entry(slot).map_or(version, Entry::version)
            } else {
                version
            };
            Ok(MembersChanged::new(version, added, removed))
        })
    }
}

/// Now, to the millisecond `meta` shows.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn not_found(kind: ResourceKind, id: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_owned(),
    }
}

fn precondition(kind: ResourceKind, id: &str, expected: &Version) -> StoreError {
    StoreError::PreconditionFailed {
        kind,
        id: id.to_owned(),
        expected: expected.clone(),
    }
}

fn check_version(
    entry: &Entry,
    kind: ResourceKind,
    id: &str,
    expected: Option<&Version>,
) -> Result<(), StoreError> {
    match expected {
        Some(expected) if entry.version() != *expected => Err(precondition(kind, id, expected)),
        _ => Ok(()),
    }
}

/// Whether `value` of the unique attribute is free for the resource `id` (`None`: a new one).
fn check_unique(
    coll: &Collection,
    kind: ResourceKind,
    id: Option<&str>,
    value: Option<&str>,
) -> Result<(), StoreError> {
    let Some(value) = value else {
        return Ok(());
    };
    let owner = coll.unique.get(fold(value).as_str());
    match owner {
        Some(&slot) if !id.is_some_and(|id| coll.holds(slot, id)) => {
            let attr = kind.unique_attribute();
            Err(StoreError::Conflict(format!(
                "{attr} \"{value}\" is already taken by another {kind}"
            )))
        }
        _ => Ok(()),
    }
}

impl ScimStore for MemoryStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::new().with_cursor_paging()
    }

    fn record_request(&self, record: RequestRecord) {
        self.inner.log.push(record);
    }

    async fn request_log(&self, tenant: &str, query: &LogQuery) -> Result<LogPage, StoreError> {
        Ok(self.inner.log.page(tenant, query))
    }

    fn schema_registry(&self) -> Option<Arc<SchemaRegistry>> {
        Some(Arc::clone(&self.inner.registry))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        self.create_sync(ctx, resource)
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        self.get_sync(ctx, kind, id, false)
    }

    async fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Resource, StoreError> {
        let schemas = self.inner.registry.resource(kind);
        let skip_members = kind == ResourceKind::Group && !projection.wants(schemas, "members");
        self.get_sync(ctx, kind, id, skip_members)
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        self.list_sync(ctx, kind, query)
    }

    async fn display_names(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        Ok(self.read(ctx, |tenant| {
            let Some(coll) = tenant.map(|t| t.collection_ref(kind)) else {
                return HashMap::new();
            };
            ids.iter()
                .filter_map(|&id| {
                    let entry = coll.entry(coll.slot(id)?)?;
                    Some((id.to_owned(), entry.display_name()?.to_owned()))
                })
                .collect()
        }))
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        self.replace_sync(ctx, resource, expected)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.delete_sync(ctx, kind, id, expected)
    }

    /// Everything here came through [`ScimStore::create`]: from the directory.
    async fn provenance(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Provenance, StoreError> {
        self.get(ctx, kind, id).await.map(|_| Provenance::Directory)
    }

    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        self.modify_members_sync(ctx, group_id, change, expected)
    }
}
