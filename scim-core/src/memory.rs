//! `MemoryStore`: an indexed, tenant-isolated, versioned in-memory [`ScimStore`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, SubsecRound, Utc};
use scim_filter::{AttrPath, AttributeLookup, CompValue, CompareOp, Evaluator, Filter};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::RequestContext;
use crate::projection::{Key, Projection, is_plain};
use crate::registry::{ResourceKind, ResourceSchemas, SchemaRegistry};
use crate::resource::{
    Meta, Resource, Stored, Version, meta_in, meta_value, same_content, touch, version_in,
};
use crate::store::{ListPage, ListQuery, MemberChange, ScimStore, Sort, SortOrder, StoreError};

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

/// One resource type's resources in one tenant, with their indexes. Indexes lead to slots.
#[derive(Default)]
struct Collection {
    /// Resources in creation order, the stable default order of lists. A deleted resource
    /// leaves `None` until [`Collection::compact`].
    slots: Vec<Option<Entry>>,
    /// How many slots are `None`.
    holes: usize,
    /// `id` ([`id_key`]) to slot: the key is in the table, so a lookup reads no string.
    ids: HashMap<u128, usize>,
    /// Lower-cased `userName` (users) or `displayName` (groups) to slot: unique.
    unique: HashMap<Box<str>, usize>,
    /// Other indexed attributes (`externalId`, a user's `displayName`, `members.value`),
    /// by index key, to slots.
    indexes: HashMap<&'static str, HashMap<Box<str>, Slots>>,
}

/// The slots an index key leads to: nearly always one.
enum Slots {
    One(usize),
    Many(Vec<usize>),
}

struct Entry {
    /// The store makes every id a UUID; kept as its 16 bytes.
    id: Uuid,
    doc: Doc,
}

/// A stored document.
enum Doc {
    /// A user: its JSON text without `meta` (about the size of the JSON a client sees, where
    /// a parsed `serde_json::Value` takes ten times that), and `meta`. Responses are written
    /// from the text; filters that no index answers parse it.
    Text {
        text: Arc<str>,
        /// Whether a default response carries every attribute whole.
        plain: bool,
        created: DateTime<Utc>,
        modified: DateTime<Utc>,
        version: u64,
        /// A fingerprint of its index keys ([`Keys::fingerprint`]): a replace that keeps
        /// them leaves the indexes alone without reading the old text.
        keys: u64,
    },
    /// A group: the parsed object, so that membership changes in place whatever its size.
    Tree(Box<GroupDoc>),
}

struct GroupDoc {
    doc: Value,
    /// Each member's `value` to its position in `members`.
    members: HashMap<String, usize>,
}

/// An entry's index keys: the unique value, and each indexed attribute's values.
#[derive(PartialEq, Default, Hash)]
struct Keys<'e> {
    unique: Option<Cow<'e, str>>,
    indexed: Vec<(&'static str, Cow<'e, str>)>,
}

impl Keys<'_> {
    /// A 64-bit hash of the keys, under a key drawn once per process: clients cannot aim
    /// for a collision they never see, and an accidental one is a 2^-64 chance.
    fn fingerprint(&self) -> u64 {
        use std::hash::BuildHasher;
        static STATE: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
        STATE
            .get_or_init(std::hash::RandomState::new)
            .hash_one(self)
    }

    fn into_owned(self) -> Keys<'static> {
        Keys {
            unique: self.unique.map(|k| Cow::Owned(k.into_owned())),
            indexed: self
                .indexed
                .into_iter()
                .map(|(a, k)| (a, Cow::Owned(k.into_owned())))
                .collect(),
        }
    }
}

impl Entry {
    /// The entry for `resource`, whose `id` is set, at `meta`.
    fn new(
        schemas: &ResourceSchemas,
        id: Uuid,
        resource: Resource,
        meta: &Meta,
        version: u64,
    ) -> Result<Self, StoreError> {
        let doc = match resource.kind() {
            ResourceKind::User => {
                let mut body = resource.into_map();
                body.shift_remove("meta");
                let text = serde_json::to_string(&body).map_err(StoreError::backend)?;
                Doc::Text {
                    plain: is_plain(schemas, &body),
                    keys: map_keys(ResourceKind::User, &body).fingerprint(),
                    text: text.into(),
                    created: meta.created,
                    modified: meta.last_modified,
                    version,
                }
            }
            ResourceKind::Group => {
                let mut resource = resource;
                resource.set_meta(meta);
                let mut doc = resource.into_json();
                let members = dedupe_members(&mut doc);
                Doc::Tree(Box::new(GroupDoc { doc, members }))
            }
        };
        Ok(Self { id, doc })
    }

    fn meta(&self) -> Meta {
        match &self.doc {
            Doc::Text {
                created,
                modified,
                version,
                ..
            } => {
                let mut meta = Meta::new(*created, Version::new(version.to_string()));
                meta.last_modified = *modified;
                meta
            }
            Doc::Tree(g) => g
                .doc
                .as_object()
                .and_then(meta_in)
                .unwrap_or_else(|| Meta::new(Utc::now(), Version::new("0"))),
        }
    }

    fn version(&self) -> Option<Version> {
        match &self.doc {
            Doc::Text { version, .. } => Some(Version::new(version.to_string())),
            Doc::Tree(g) => g.doc.as_object().and_then(version_in),
        }
    }

    /// The document as a client sees it, `meta` included (parsed, for a user).
    fn tree(&self, kind: ResourceKind) -> Cow<'_, Value> {
        match &self.doc {
            Doc::Tree(g) => Cow::Borrowed(&g.doc),
            Doc::Text { .. } => Cow::Owned(self.resource(kind, false).into_json()),
        }
    }

    /// The document as far as a filter or sort reading the top-level attributes `keys`
    /// (matched ignoring case) needs it: a user's text is parsed for those alone, the rest
    /// skipped.
    fn view(&self, kind: ResourceKind, keys: &[String]) -> Cow<'_, Value> {
        let Doc::Text { text, .. } = &self.doc else {
            return self.tree(kind);
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let mut body = Partial(keys).deserialize(&mut de).unwrap_or_default();
        if keys.iter().any(|k| k.eq_ignore_ascii_case("meta")) {
            body.insert("meta".into(), meta_value(kind, &self.meta(), None));
        }
        Cow::Owned(Value::Object(body))
    }

    /// The resource, sharing a user's text; without a group's `members` when `skip_members`
    /// (a copy of a large group's members that the response would drop).
    fn resource(&self, kind: ResourceKind, skip_members: bool) -> Resource {
        match &self.doc {
            Doc::Text { text, plain, .. } => Resource::from_stored(
                kind,
                Stored {
                    id: Arc::from(
                        &*self
                            .id
                            .hyphenated()
                            .encode_lower(&mut Uuid::encode_buffer()),
                    ),
                    text: Arc::clone(text),
                    meta: self.meta(),
                    plain: *plain,
                },
            ),
            Doc::Tree(g) => {
                let doc = if skip_members {
                    without(&g.doc, "members")
                } else {
                    g.doc.clone()
                };
                Resource::from_json(kind, doc)
                    .unwrap_or_else(|_| Resource::from_map(kind, Map::new()))
            }
        }
    }

    /// Whether `other` carries the same attributes, `meta` aside.
    fn same_content(&self, other: &Self) -> bool {
        match (&self.doc, &other.doc) {
            (Doc::Text { text: a, .. }, Doc::Text { text: b, .. }) => {
                // Equal objects serialize to texts of equal length, whatever their order.
                a.len() == b.len()
                    && (a == b || {
                        let parse = |t: &str| serde_json::from_str::<Map<String, Value>>(t);
                        matches!((parse(a), parse(b)), (Ok(a), Ok(b)) if same_content(&a, &b))
                    })
            }
            (Doc::Tree(a), Doc::Tree(b)) => match (a.doc.as_object(), b.doc.as_object()) {
                (Some(a), Some(b)) => same_content(a, b),
                _ => false,
            },
            _ => false,
        }
    }

    fn keys(&self, kind: ResourceKind) -> Keys<'_> {
        match &self.doc {
            Doc::Text { text, .. } => {
                // Only the indexed attributes are read from the text; the rest is skipped.
                let names: Vec<&str> = std::iter::once(kind.unique_attribute())
                    .chain(indexed(kind).iter().map(|&(attr, _)| attr))
                    .collect();
                let mut de = serde_json::Deserializer::from_str(text);
                let body = Partial(&names).deserialize(&mut de).unwrap_or_default();
                map_keys(kind, &body).into_owned()
            }
            Doc::Tree(g) => g
                .doc
                .as_object()
                .map(|body| map_keys(kind, body))
                .unwrap_or_default(),
        }
    }
}

/// The index keys of a resource's object: what [`Entry::keys`] reads from the entry it
/// becomes.
fn map_keys(kind: ResourceKind, body: &Map<String, Value>) -> Keys<'_> {
    let text = |attr: &str| body.get(attr).and_then(Value::as_str).map(Cow::Borrowed);
    let mut indexed = Vec::new();
    for &(attr, _) in self::indexed(kind) {
        match (attr, body.get(attr)) {
            ("members", Some(Value::Array(members))) => indexed.extend(
                members
                    .iter()
                    .filter_map(|m| m.get("value").and_then(Value::as_str))
                    .map(|v| (attr, Cow::Borrowed(v))),
            ),
            (_, Some(Value::String(v))) => indexed.push((attr, Cow::Borrowed(v.as_str()))),
            _ => {}
        }
    }
    Keys {
        unique: text(kind.unique_attribute()),
        indexed,
    }
}

/// Reads the members of a JSON object whose keys are in a list (ignoring case), skipping the
/// others without building them.
struct Partial<'k, K>(&'k [K]);

impl<'de, K: AsRef<str>> DeserializeSeed<'de> for Partial<'_, K> {
    type Value = Map<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, K: AsRef<str>> Visitor<'de> for Partial<'_, K> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key()? {
            if self.0.iter().any(|k| k.as_ref().eq_ignore_ascii_case(&key)) {
                out.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// The top-level keys `filter` reads.
fn filter_keys(
    filter: &Filter,
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    keys: &mut Vec<String>,
) {
    match filter {
        Filter::Compare { attr, .. } | Filter::Present(attr) => {
            path_keys(attr, kind, schemas, keys);
        }
        Filter::ValuePath(vp) => path_keys(&vp.attr, kind, schemas, keys),
        Filter::Not(inner) => filter_keys(inner, kind, schemas, keys),
        Filter::And(parts) | Filter::Or(parts) => {
            for part in parts {
                filter_keys(part, kind, schemas, keys);
            }
        }
    }
}

/// The top-level keys the path `attr` may read: its name, or its extension's URN; a path
/// without a URN may name an extension's attribute, so every extension is read too.
fn path_keys(
    attr: &AttrPath,
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    keys: &mut Vec<String>,
) {
    match &attr.schema {
        Some(urn) if urn.eq_ignore_ascii_case(kind.core_urn()) => keys.push(attr.name.clone()),
        Some(urn) => {
            keys.push(urn.clone());
            keys.push(attr.name.clone());
        }
        None => {
            keys.push(attr.name.clone());
            keys.extend(schemas.extensions().map(|e| e.id.clone()));
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

/// The key of an id the store made: a UUID written as the store writes them (hyphenated,
/// lower case). Any other text is no id of this store.
fn id_key(id: &str) -> Option<u128> {
    let canonical = id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase());
    canonical
        .then(|| Uuid::try_parse(id).ok())
        .flatten()
        .map(|u| u.as_u128())
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

impl Collection {
    fn slot(&self, id: &str) -> Option<usize> {
        self.ids.get(&id_key(id)?).copied()
    }

    fn entry(&self, slot: usize) -> Option<&Entry> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    fn entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, e)| e.as_ref().map(|e| (slot, e)))
    }

    fn index(&mut self, kind: ResourceKind, slot: usize, add: bool) {
        let Self {
            slots,
            unique,
            indexes,
            ..
        } = self;
        let Some(entry) = slots.get(slot).and_then(Option::as_ref) else {
            return;
        };
        let keys = entry.keys(kind);
        if let Some(key) = keys.unique {
            let key = fold(&key);
            if add {
                unique.insert(key.into(), slot);
            } else if unique.get(key.as_str()) == Some(&slot) {
                unique.remove(key.as_str());
            }
        }
        for (attr, key) in keys.indexed {
            let folded = indexed(kind).iter().any(|&(a, f)| a == attr && f);
            let key = if folded { fold(&key) } else { key.into_owned() };
            index_edit(indexes.entry(attr).or_default(), key, slot, add);
        }
    }

    /// Stores a new resource at the end of the default order.
    fn insert(&mut self, kind: ResourceKind, entry: Entry) {
        let slot = self.slots.len();
        self.ids.insert(entry.id.as_u128(), slot);
        self.slots.push(Some(entry));
        self.index(kind, slot, true);
    }

    /// Replaces the resource in `slot`, keeping its place in the default order; the indexes
    /// are touched only if its index keys changed.
    fn update(&mut self, kind: ResourceKind, slot: usize, entry: Entry) {
        let same_keys = self
            .entry(slot)
            .is_some_and(|old| match (&old.doc, &entry.doc) {
                // A user's text is not read again: its keys' fingerprints are compared.
                (Doc::Text { keys: a, .. }, Doc::Text { keys: b, .. }) => a == b,
                _ => old.keys(kind) == entry.keys(kind),
            });
        if !same_keys {
            self.index(kind, slot, false);
        }
        if let Some(place) = self.slots.get_mut(slot) {
            *place = Some(entry);
        }
        if !same_keys {
            self.index(kind, slot, true);
        }
    }

    fn remove(&mut self, kind: ResourceKind, slot: usize) -> Option<Entry> {
        self.index(kind, slot, false);
        let entry = self.slots.get_mut(slot)?.take()?;
        self.ids.remove(&entry.id.as_u128());
        self.holes += 1;
        if self.holes > 64 && self.holes * 2 > self.slots.len() {
            self.compact(kind);
        }
        Some(entry)
    }

    /// Drops the slots deleted resources left, rebuilding the indexes.
    fn compact(&mut self, kind: ResourceKind) {
        let entries: Vec<Entry> = std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .collect();
        *self = Self::default();
        for entry in entries {
            self.insert(kind, entry);
        }
    }

    fn lookup(&self, attr: &str, key: &str) -> Vec<usize> {
        match self.indexes.get(attr).and_then(|index| index.get(key)) {
            Some(Slots::One(slot)) => vec![*slot],
            Some(Slots::Many(slots)) => slots.clone(),
            None => Vec::new(),
        }
    }
}

fn index_edit(index: &mut HashMap<Box<str>, Slots>, key: String, slot: usize, add: bool) {
    if add {
        match index.get_mut(key.as_str()) {
            None => {
                index.insert(key.into(), Slots::One(slot));
            }
            Some(Slots::One(one)) if *one == slot => {}
            Some(slots @ Slots::One(_)) => {
                if let Slots::One(one) = *slots {
                    *slots = Slots::Many(vec![one, slot]);
                }
            }
            Some(Slots::Many(many)) => {
                if !many.contains(&slot) {
                    many.push(slot);
                }
            }
        }
    } else {
        let empty = match index.get_mut(key.as_str()) {
            Some(Slots::One(one)) => *one == slot,
            Some(Slots::Many(many)) => {
                many.retain(|s| *s != slot);
                if let [one] = many[..] {
                    index.insert(key.clone().into(), Slots::One(one));
                }
                false
            }
            None => false,
        };
        if empty {
            index.remove(key.as_str());
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
                let (version, _) = self.next_version();
                apply_members(&mut tenant.groups, group, &change, &version)?;
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
            let slot = coll
                .slot(group_id)
                .ok_or_else(|| not_found(kind, group_id))?;
            let entry = coll.entry(slot).ok_or_else(|| not_found(kind, group_id))?;
            check_version(entry, kind, group_id, expected)?;
            let Doc::Tree(group) = &entry.doc else {
                return Err(StoreError::backend("a stored group is not a tree"));
            };
            let would_change = change.add.iter().any(|m| {
                m.get("value")
                    .and_then(Value::as_str)
                    .is_some_and(|v| !group.members.contains_key(v))
            }) || change.remove.iter().any(|v| group.members.contains_key(v));
            if !would_change {
                return Ok(entry.version().unwrap_or_else(|| Version::new("0")));
            }
            let (version, _) = self.next_version();
            if ctx.dry_run() {
                return Ok(version);
            }
            apply_members(coll, slot, change, &version)?;
            Ok(version)
        })
    }
}

/// Now, to the millisecond `meta` shows.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Adds and removes members in place: O(1) per member, whatever the group's size.
fn apply_members(
    coll: &mut Collection,
    slot: usize,
    change: &MemberChange,
    version: &Version,
) -> Result<(), StoreError> {
    let Collection { slots, indexes, .. } = coll;
    let Some(Some(entry)) = slots.get_mut(slot) else {
        return Err(StoreError::backend("a group's slot is empty"));
    };
    let Doc::Tree(group) = &mut entry.doc else {
        return Err(StoreError::backend("a stored group is not a tree"));
    };
    let GroupDoc {
        doc,
        members: positions,
    } = &mut **group;
    let Value::Object(doc) = doc else {
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
    let index = indexes.entry("members").or_default();
    let mut changed = false;
    for id in &change.remove {
        let Some(pos) = positions.remove(id) else {
            continue;
        };
        list.swap_remove(pos);
        if let Some(moved) = list
            .get(pos)
            .and_then(|m| m.get("value"))
            .and_then(Value::as_str)
        {
            positions.insert(moved.to_owned(), pos);
        }
        index_edit(index, fold(id), slot, false);
        changed = true;
    }
    for member in &change.add {
        let Some(value) = member.get("value").and_then(Value::as_str) else {
            continue;
        };
        if positions.contains_key(value) {
            continue;
        }
        positions.insert(value.to_owned(), list.len());
        index_edit(index, fold(value), slot, true);
        list.push(member.clone());
        changed = true;
    }
    if changed {
        touch(doc, version);
    }
    Ok(())
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
        Some(expected) if entry.version().as_ref() != Some(expected) => {
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
    let owner = coll
        .unique
        .get(fold(value).as_str())
        .and_then(|&s| coll.entry(s));
    match owner {
        Some(owner) if id.and_then(id_key) != Some(owner.id.as_u128()) => {
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

/// The slots an index can narrow `filter` to, a superset of the matches, and whether they
/// are exactly the matches; `None` when only a scan can tell.
fn candidates(
    coll: &Collection,
    schemas: &ResourceSchemas,
    kind: ResourceKind,
    filter: &Filter,
) -> Option<(Vec<usize>, bool)> {
    match filter {
        Filter::Compare {
            attr,
            op: CompareOp::Eq,
            value: CompValue::String(s),
        } => indexed_eq(
            coll,
            schemas,
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
                schemas,
                kind,
                (vp.attr.schema.as_deref(), &vp.attr.name, Some(&inner.name)),
                s,
            )
            .map(|(slots, _)| (slots, false)),
            _ => None,
        },
        Filter::And(parts) => parts
            .iter()
            .find_map(|p| candidates(coll, schemas, kind, p))
            .map(|(slots, _)| (slots, false)),
        Filter::Or(parts) => {
            let mut all = Vec::new();
            for p in parts {
                all.extend(candidates(coll, schemas, kind, p)?.0);
            }
            Some((all, false))
        }
        _ => None,
    }
}

/// `eq` on the attribute (schema, name, sub-attribute), if an index serves it: the slots,
/// and whether they are exactly the matches (the index folds case exactly when the
/// attribute ignores it, as the filter's comparison does).
fn indexed_eq(
    coll: &Collection,
    schemas: &ResourceSchemas,
    kind: ResourceKind,
    (schema, name, sub): (Option<&str>, &str, Option<&str>),
    value: &str,
) -> Option<(Vec<usize>, bool)> {
    if !schema.is_none_or(|s| s.eq_ignore_ascii_case(kind.core_urn())) {
        return None;
    }
    let ignores_case = |attr: &str| {
        schemas
            .attribute(None, attr)
            .is_some_and(|info| !info.case_exact)
    };
    match sub {
        Some(sub) if name.eq_ignore_ascii_case("members") && sub.eq_ignore_ascii_case("value") => {
            (kind == ResourceKind::Group).then(|| (coll.lookup("members", &fold(value)), false))
        }
        Some(_) => None,
        None if name.eq_ignore_ascii_case("id") => {
            Some((coll.slot(value).into_iter().collect(), true))
        }
        None if name.eq_ignore_ascii_case(kind.unique_attribute()) => Some((
            coll.unique
                .get(fold(value).as_str())
                .copied()
                .into_iter()
                .collect(),
            ignores_case(kind.unique_attribute()),
        )),
        None => indexed(kind)
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name) && *a != "members")
            .map(|&(a, folded)| {
                let key = if folded {
                    fold(value)
                } else {
                    value.to_owned()
                };
                (coll.lookup(a, &key), folded == ignores_case(a))
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

fn sort_entries(
    entries: &mut [(usize, &Entry)],
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    sort: &Sort,
) {
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
    let mut keys = Vec::new();
    path_keys(&sort.by, kind, schemas, &mut keys);
    let mut keyed: Vec<(Option<SortKey>, (usize, &Entry))> = entries
        .iter()
        .map(|&(slot, e)| (key(&e.view(kind, &keys)), (slot, e)))
        .collect();
    keyed.sort_by(|(a, (sa, _)), (b, (sb, _))| {
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
        order.then(sa.cmp(sb))
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
