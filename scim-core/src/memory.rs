//! `MemoryStore`: an indexed, tenant-isolated, versioned in-memory [`ScimStore`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, PoisonError, RwLock};

use chrono::Utc;
use scim_filter::{AttributeLookup, CompValue, CompareOp, Evaluator, Filter};
use serde_json::{Map, Value};

use crate::projection::Projection;
use crate::registry::{ResourceKind, ResourceSchemas, SchemaRegistry};
use crate::resource::{Meta, Resource, Version, meta_in, same_content, touch, version_in};
use crate::store::{
    ListPage, ListQuery, MemberChange, RequestContext, ScimStore, Sort, SortOrder, StoreError,
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
            ResourceKind::Group => &mut self.groups,
        }
    }

    fn collection_ref(&self, kind: ResourceKind) -> &Collection {
        match kind {
            ResourceKind::User => &self.users,
            ResourceKind::Group => &self.groups,
        }
    }
}

/// One resource type's resources in one tenant, with their indexes.
#[derive(Default)]
struct Collection {
    next_seq: u64,
    /// Creation order: the stable default order of lists.
    order: BTreeMap<u64, String>,
    entries: HashMap<String, Entry>,
    /// Lower-cased `userName` (users) or `displayName` (groups) to id: unique.
    unique: HashMap<String, String>,
    /// Other indexed attributes (`externalId`, a user's `displayName`, `members.value`),
    /// by index key, to ids.
    indexes: HashMap<&'static str, HashMap<String, HashSet<String>>>,
}

struct Entry {
    seq: u64,
    doc: Value,
    /// For groups: each member's `value` to its position in `members`.
    members: HashMap<String, usize>,
}

impl Entry {
    /// A copy of the stored document, without `members` when `skip_members`.
    fn copy(&self, skip_members: bool) -> Value {
        if skip_members {
            without(&self.doc, "members")
        } else {
            self.doc.clone()
        }
    }
}

/// The attributes indexed besides the unique one, and whether keys are lower-cased.
fn indexed(kind: ResourceKind) -> &'static [(&'static str, bool)] {
    match kind {
        ResourceKind::User => &[("externalId", false), ("displayName", true)],
        ResourceKind::Group => &[("externalId", false), ("members", true)],
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn index_keys<'d>(doc: &'d Value, attr: &str) -> Vec<&'d str> {
    match (attr, doc.get(attr)) {
        ("members", Some(Value::Array(members))) => members
            .iter()
            .filter_map(|m| m.get("value").and_then(Value::as_str))
            .collect(),
        (_, Some(Value::String(s))) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

impl Collection {
    fn unique_key(kind: ResourceKind, doc: &Value) -> Option<String> {
        doc.get(kind.unique_attribute())
            .and_then(Value::as_str)
            .map(fold)
    }

    fn index(&mut self, kind: ResourceKind, id: &str, doc: &Value, add: bool) {
        if let Some(key) = Self::unique_key(kind, doc) {
            if add {
                self.unique.insert(key, id.to_owned());
            } else if self.unique.get(&key).is_some_and(|owner| owner == id) {
                self.unique.remove(&key);
            }
        }
        for &(attr, folded) in indexed(kind) {
            let index = self.indexes.entry(attr).or_default();
            for key in index_keys(doc, attr) {
                let key = if folded { fold(key) } else { key.to_owned() };
                index_edit(index, key, id, add);
            }
        }
    }

    /// Stores a new resource at the end of the default order.
    fn insert(&mut self, kind: ResourceKind, id: String, doc: Value) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, id.clone());
        self.put(kind, id, seq, doc);
    }

    /// Replaces a resource's document, keeping its place in the default order.
    fn update(&mut self, kind: ResourceKind, id: &str, doc: Value) {
        if let Some(old) = self.entries.remove(id) {
            self.index(kind, id, &old.doc, false);
            self.put(kind, id.to_owned(), old.seq, doc);
        }
    }

    fn put(&mut self, kind: ResourceKind, id: String, seq: u64, mut doc: Value) {
        let members = if kind == ResourceKind::Group {
            dedupe_members(&mut doc)
        } else {
            HashMap::new()
        };
        self.index(kind, &id, &doc, true);
        self.entries.insert(id, Entry { seq, doc, members });
    }

    fn remove(&mut self, kind: ResourceKind, id: &str) -> Option<Entry> {
        let entry = self.entries.remove(id)?;
        self.order.remove(&entry.seq);
        self.index(kind, id, &entry.doc, false);
        Some(entry)
    }

    fn lookup(&self, attr: &str, key: &str) -> Vec<&str> {
        self.indexes
            .get(attr)
            .and_then(|index| index.get(key))
            .map(|ids| ids.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

fn index_edit(index: &mut HashMap<String, HashSet<String>>, key: String, id: &str, add: bool) {
    if add {
        index.entry(key).or_default().insert(id.to_owned());
    } else if let Some(ids) = index.get_mut(&key) {
        ids.remove(id);
        if ids.is_empty() {
            index.remove(&key);
        }
    }
}

/// Drops members whose `value` repeats an earlier one; returns value-to-position.
fn dedupe_members(doc: &mut Value) -> HashMap<String, usize> {
    let mut positions = HashMap::new();
    if let Some(Value::Array(members)) = doc.get_mut("members") {
        members.retain(|m| match m.get("value").and_then(Value::as_str) {
            Some(v) if !positions.contains_key(v) => {
                positions.insert(v.to_owned(), positions.len());
                true
            }
            _ => false,
        });
    }
    positions
}

impl MemoryStore {
    /// An empty store with RFC 7643's schemas.
    pub fn new() -> Self {
        Self::with_registry(Arc::new(SchemaRegistry::new()))
    }

    /// An empty store whose filters see `registry`'s schemas (an app's extensions).
    pub fn with_registry(registry: Arc<SchemaRegistry>) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                tenants: RwLock::new(HashMap::new()),
                clock: AtomicU64::new(1),
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
            let list = |coll: Option<&Collection>| -> Vec<Value> {
                coll.map(|c| {
                    c.order
                        .values()
                        .filter_map(|id| c.entries.get(id))
                        .map(|e| e.doc.clone())
                        .collect()
                })
                .unwrap_or_default()
            };
            serde_json::json!({
                "Users": list(tenant.map(|t| &t.users)),
                "Groups": list(tenant.map(|t| &t.groups)),
            })
        })
    }

    fn next_version(&self) -> Version {
        Version::new(
            self.inner
                .clock
                .fetch_add(1, AtomicOrdering::Relaxed)
                .to_string(),
        )
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
        match self.tenant(ctx.tenant()) {
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
        let id = uuid::Uuid::new_v4().to_string();
        resource.set_id(&id);
        resource.set_meta(&Meta::new(Utc::now(), self.next_version()));
        self.write(ctx, |tenant| {
            let coll = tenant.collection(kind);
            check_unique(coll, kind, None, resource.unique_value())?;
            let mut doc = resource.into_json();
            if ctx.dry_run() {
                dedupe_members(&mut doc);
            } else {
                coll.insert(kind, id.clone(), doc);
                doc = coll.entries[&id].doc.clone();
            }
            Resource::from_json(kind, doc).map_err(StoreError::backend)
        })
    }

    /// The resource `id`, without its `members` when `skip_members` (a copy of a large
    /// group's members that the response would drop).
    fn get_sync(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        skip_members: bool,
    ) -> Result<Resource, StoreError> {
        self.read(ctx, |tenant| {
            let entry = tenant.and_then(|t| t.collection_ref(kind).entries.get(id));
            let Some(e) = entry else {
                return Err(not_found(kind, id));
            };
            Resource::from_json(kind, e.copy(skip_members)).map_err(StoreError::backend)
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
            let mut matched: Vec<&Entry> = match &query.filter {
                None => coll.order.values().map(|id| &coll.entries[id]).collect(),
                Some(filter) => {
                    let mut found: Vec<&Entry> = match candidates(coll, kind, filter) {
                        Some(ids) => {
                            // Index hits come in hash order, possibly twice (`or`).
                            let mut hits: Vec<&Entry> = ids
                                .into_iter()
                                .filter_map(|id| coll.entries.get(id))
                                .collect();
                            hits.sort_by_key(|e| e.seq);
                            hits.dedup_by_key(|e| e.seq);
                            hits
                        }
                        None => coll.order.values().map(|id| &coll.entries[id]).collect(),
                    };
                    found.retain(|e| eval.matches(filter, &e.doc));
                    found
                }
            };
            if let Some(sort) = &query.sort {
                sort_entries(&mut matched, schemas, sort);
            }
            let total = matched.len();
            let resources = matched
                .into_iter()
                .skip(query.offset())
                .take(query.count.unwrap_or(usize::MAX))
                .map(|e| {
                    Resource::from_json(kind, e.copy(skip_members)).map_err(StoreError::backend)
                })
                .collect::<Result<_, _>>()?;
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
        self.write(ctx, |tenant| {
            let coll = tenant.collection(kind);
            let entry = coll.entries.get(&id).ok_or_else(|| not_found(kind, &id))?;
            check_version(&entry.doc, kind, &id, Some(expected))?;
            let stored = body(&entry.doc)?;
            if same_content(stored, resource.as_json()) {
                return Resource::from_json(kind, entry.doc.clone()).map_err(StoreError::backend);
            }
            check_unique(coll, kind, Some(&id), resource.unique_value())?;
            let mut meta =
                meta_in(stored).unwrap_or_else(|| Meta::new(Utc::now(), expected.clone()));
            meta.last_modified = Utc::now();
            meta.version = self.next_version();
            let mut resource = resource;
            resource.set_meta(&meta);
            let mut doc = resource.into_json();
            if ctx.dry_run() {
                dedupe_members(&mut doc);
                return Resource::from_json(kind, doc).map_err(StoreError::backend);
            }
            coll.update(kind, &id, doc);
            Resource::from_json(kind, coll.entries[&id].doc.clone()).map_err(StoreError::backend)
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
            let entry = coll.entries.get(id).ok_or_else(|| not_found(kind, id))?;
            check_version(&entry.doc, kind, id, expected)?;
            if ctx.dry_run() {
                return Ok(());
            }
            coll.remove(kind, id);
            // A deleted resource is no longer anybody's member.
            let groups: Vec<String> = tenant
                .groups
                .lookup("members", &fold(id))
                .into_iter()
                .map(str::to_owned)
                .collect();
            for group in groups {
                let version = self.next_version();
                apply_members(
                    &mut tenant.groups,
                    &group,
                    &MemberChange::new(Vec::new(), vec![id.to_owned()]),
                    &version,
                )?;
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
    ) -> Result<Version, StoreError> {
        let kind = ResourceKind::Group;
        self.write(ctx, |tenant| {
            let coll = &mut tenant.groups;
            let entry = coll
                .entries
                .get(group_id)
                .ok_or_else(|| not_found(kind, group_id))?;
            check_version(&entry.doc, kind, group_id, expected)?;
            let would_change = change.add.iter().any(|m| {
                m.get("value")
                    .and_then(Value::as_str)
                    .is_some_and(|v| !entry.members.contains_key(v))
            }) || change.remove.iter().any(|v| entry.members.contains_key(v));
            if !would_change {
                return Ok(body(&entry.doc)
                    .ok()
                    .and_then(version_in)
                    .unwrap_or_else(|| Version::new("0")));
            }
            let version = self.next_version();
            if ctx.dry_run() {
                return Ok(version);
            }
            apply_members(coll, group_id, change, &version)?;
            Ok(version)
        })
    }
}

/// Adds and removes members in place: O(1) per member, whatever the group's size.
fn apply_members(
    coll: &mut Collection,
    group_id: &str,
    change: &MemberChange,
    version: &Version,
) -> Result<(), StoreError> {
    let kind = ResourceKind::Group;
    let Some(entry) = coll.entries.get_mut(group_id) else {
        return Err(not_found(kind, group_id));
    };
    let Value::Object(doc) = &mut entry.doc else {
        return Err(StoreError::backend("a stored group is not an object"));
    };
    let members = doc
        .entry("members")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = members else {
        return Err(StoreError::backend(
            "a stored group's members are not an array",
        ));
    };
    let index = coll.indexes.entry("members").or_default();
    let mut changed = false;
    for id in &change.remove {
        let Some(pos) = entry.members.remove(id) else {
            continue;
        };
        list.swap_remove(pos);
        if let Some(moved) = list
            .get(pos)
            .and_then(|m| m.get("value"))
            .and_then(Value::as_str)
        {
            entry.members.insert(moved.to_owned(), pos);
        }
        index_edit(index, fold(id), group_id, false);
        changed = true;
    }
    for member in &change.add {
        let Some(value) = member.get("value").and_then(Value::as_str) else {
            continue;
        };
        if entry.members.contains_key(value) {
            continue;
        }
        entry.members.insert(value.to_owned(), list.len());
        index_edit(index, fold(value), group_id, true);
        list.push(member.clone());
        changed = true;
    }
    if changed {
        touch(doc, version);
    }
    Ok(())
}

/// A stored document's object.
fn body(doc: &Value) -> Result<&Map<String, Value>, StoreError> {
    doc.as_object()
        .ok_or_else(|| StoreError::backend("a stored resource is not an object"))
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
    doc: &Value,
    kind: ResourceKind,
    id: &str,
    expected: Option<&Version>,
) -> Result<(), StoreError> {
    match expected {
        Some(expected) if version_in(body(doc)?).as_ref() != Some(expected) => {
            Err(precondition(kind, id, expected))
        }
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
    match coll.unique.get(&fold(value)) {
        Some(owner) if Some(owner.as_str()) != id => {
            let attr = kind.unique_attribute();
            Err(StoreError::Conflict(format!(
                "{attr} \"{value}\" is already taken by another {kind}"
            )))
        }
        _ => Ok(()),
    }
}

fn without(doc: &Value, key: &str) -> Value {
    match doc {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// The ids an index can narrow `filter` to, a superset of the matches; `None` when only a
/// scan can tell.
fn candidates<'c>(
    coll: &'c Collection,
    kind: ResourceKind,
    filter: &Filter,
) -> Option<Vec<&'c str>> {
    match filter {
        Filter::Compare {
            attr,
            op: CompareOp::Eq,
            value: CompValue::String(s),
        } => indexed_eq(
            coll,
            kind,
            (attr.schema.as_deref(), &attr.name, attr.sub_attr.as_deref()),
            s,
        ),
        Filter::ValuePath(vp) => match &*vp.filter {
            Filter::Compare {
                attr: inner,
                op: CompareOp::Eq,
                value: CompValue::String(s),
            } if inner.sub_attr.is_none() && inner.schema.is_none() => indexed_eq(
                coll,
                kind,
                (vp.attr.schema.as_deref(), &vp.attr.name, Some(&inner.name)),
                s,
            ),
            _ => None,
        },
        Filter::And(parts) => parts.iter().find_map(|p| candidates(coll, kind, p)),
        Filter::Or(parts) => {
            let mut all = Vec::new();
            for p in parts {
                all.extend(candidates(coll, kind, p)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// `eq` on the attribute (schema, name, sub-attribute), if an index serves it.
fn indexed_eq<'c>(
    coll: &'c Collection,
    kind: ResourceKind,
    (schema, name, sub): (Option<&str>, &str, Option<&str>),
    value: &str,
) -> Option<Vec<&'c str>> {
    if !schema.is_none_or(|s| s.eq_ignore_ascii_case(kind.core_urn())) {
        return None;
    }
    match sub {
        Some(sub) if name.eq_ignore_ascii_case("members") && sub.eq_ignore_ascii_case("value") => {
            (kind == ResourceKind::Group).then(|| coll.lookup("members", &fold(value)))
        }
        Some(_) => None,
        None if name.eq_ignore_ascii_case("id") => Some(
            coll.entries
                .get_key_value(value)
                .map(|(k, _)| k.as_str())
                .into_iter()
                .collect(),
        ),
        None if name.eq_ignore_ascii_case(kind.unique_attribute()) => Some(
            coll.unique
                .get(&fold(value))
                .map(String::as_str)
                .into_iter()
                .collect(),
        ),
        None => indexed(kind)
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name) && *a != "members")
            .map(|&(a, folded)| {
                let key = if folded {
                    fold(value)
                } else {
                    value.to_owned()
                };
                coll.lookup(a, &key)
            }),
    }
}

/// A sort key: RFC 7644 §3.4.2.3 sorts by the primary (else first) value of a multi-valued
/// attribute, strings case-insensitively unless caseExact. Resources without a value sort
/// last in either direction.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Text(String),
}

fn sort_entries(entries: &mut [&Entry], schemas: &ResourceSchemas, sort: &Sort) {
    let by = &sort.by;
    let info = match &by.sub_attr {
        Some(sub) => schemas.sub_attribute(by.schema.as_deref(), &by.name, sub),
        None => schemas.attribute(by.schema.as_deref(), &by.name),
    };
    let case_exact = info.is_some_and(|i| i.case_exact);
    let extension = schemas
        .attribute(by.schema.as_deref(), &by.name)
        .and_then(|i| i.extension);
    let key = |doc: &Value| -> Option<SortKey> {
        let holder = match extension {
            Some(urn) => get_ci(doc, urn)?,
            None => doc,
        };
        let mut v = get_ci(holder, &by.name)?;
        if let Value::Array(items) = v {
            v = items
                .iter()
                .find(|i| i.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| items.first())?;
        }
        let sub = by.sub_attr.as_deref().or(v.is_object().then_some("value"));
        if let Some(sub) = sub {
            v = get_ci(v, sub)?;
        }
        match v {
            Value::Bool(b) => Some(SortKey::Bool(*b)),
            Value::Number(n) => n.as_f64().map(SortKey::Number),
            Value::String(s) if case_exact => Some(SortKey::Text(s.clone())),
            Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
            _ => None,
        }
    };
    let mut keyed: Vec<(Option<SortKey>, &Entry)> =
        entries.iter().map(|e| (key(&e.doc), *e)).collect();
    keyed.sort_by(|(a, ea), (b, eb)| {
        let order = match (a, b) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(b).unwrap_or(Ordering::Equal);
                if sort.order == SortOrder::Descending {
                    o.reverse()
                } else {
                    o
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        order.then(ea.seq.cmp(&eb.seq))
    });
    for (slot, (_, e)) in entries.iter_mut().zip(keyed) {
        *slot = e;
    }
}

fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

impl ScimStore for MemoryStore {
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

    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<Version, StoreError> {
        self.modify_members_sync(ctx, group_id, change, expected)
    }
}
