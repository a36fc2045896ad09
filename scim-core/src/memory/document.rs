//! How the store keeps one resource: a user as its JSON text ([`StoredDocument`]), a group
//! parsed, so that membership changes in place; and the index keys of each.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::index::indexed;
use crate::{Meta, Resource, ResourceKind, ResourceSchemas, StoreError, StoredDocument, Version};

pub(super) struct Entry {
    /// The store makes every id a UUID; kept as its 16 bytes.
    pub(super) id: Uuid,
    pub(super) doc: Doc,
}

/// A stored document.
pub(super) enum Doc {
    /// A user: its JSON text without `meta` (about the size of the JSON a client sees, where
    /// a parsed `serde_json::Value` takes ten times that), and `meta`. Responses are written
    /// from the text; filters that no index answers parse it.
    Text {
        text: Arc<str>,
        /// Whether a default response carries every attribute whole
        /// ([`StoredDocument::plain`]).
        plain: bool,
        created: DateTime<Utc>,
        modified: DateTime<Utc>,
        version: u64,
        /// A fingerprint of its index keys ([`Keys::fingerprint`]): a replace that keeps
        /// them leaves the indexes alone without reading the old text.
        keys: u64,
        /// Its `displayName`, for the `display` of the groups it is a member of: read for
        /// every member of a group at once, where parsing each text would cost more than
        /// the group.
        display_name: Option<Box<str>>,
    },
    /// A group: the parsed object, `meta` included, so that membership changes in place
    /// whatever its size.
    Tree(Box<GroupDoc>),
}

pub(super) struct GroupDoc {
    /// The group, `meta` included.
    pub(super) doc: Value,
    /// Its `meta`, as `doc` has it (kept apart: a membership change reads and writes it
    /// without parsing timestamps).
    pub(super) meta: Meta,
    /// Each member's `value` to its position in `members`.
    pub(super) members: HashMap<String, usize>,
}

impl GroupDoc {
    /// Records a change at `version`, now: `meta.version` and `meta.lastModified`, in place.
    pub(super) fn touch(&mut self, version: Version, now: DateTime<Utc>) {
        self.meta.last_modified = now;
        self.meta.version = version;
        if let Some(Value::Object(meta)) = self.doc.get_mut("meta") {
            // As `Meta::to_json` writes them.
            let modified = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            meta.insert("lastModified".into(), Value::String(modified));
            meta.insert("version".into(), Value::String(self.meta.version.to_etag()));
        }
    }
}

/// An entry's index keys: the unique value, and each indexed attribute's values.
#[derive(PartialEq, Default, Hash)]
pub(super) struct Keys<'e> {
    pub(super) unique: Option<Cow<'e, str>>,
    pub(super) indexed: Vec<(&'static str, Cow<'e, str>)>,
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
    pub(super) fn new(
        schemas: &ResourceSchemas,
        id: Uuid,
        resource: Resource,
        meta: &Meta,
        version: u64,
    ) -> Result<Self, StoreError> {
        let doc = match resource.kind() {
            ResourceKind::User => {
                let keys = map_keys(ResourceKind::User, resource.as_json()).fingerprint();
                let display_name = resource.display_name().map(Box::from);
                let stored = StoredDocument::new(schemas, resource, meta.clone())?;
                Doc::Text {
                    text: Arc::clone(stored.text()),
                    plain: stored.plain(),
                    created: meta.created,
                    modified: meta.last_modified,
                    version,
                    keys,
                    display_name,
                }
            }
            _ => {
                let kind = resource.kind();
                let mut doc = resource.into_json();
                doc["meta"] = meta.to_json(kind);
                let members = dedupe_members(&mut doc);
                let meta = meta.clone();
                Doc::Tree(Box::new(GroupDoc { doc, meta, members }))
            }
        };
        Ok(Self { id, doc })
    }

    pub(super) fn meta(&self) -> Meta {
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
            Doc::Tree(g) => g.meta.clone(),
        }
    }

    pub(super) fn version(&self) -> Version {
        match &self.doc {
            Doc::Text { version, .. } => Version::new(version.to_string()),
            Doc::Tree(g) => g.meta.version.clone(),
        }
    }

    /// The document as a client sees it, `meta` included (parsed, for a user).
    pub(super) fn tree(&self, kind: ResourceKind) -> Cow<'_, Value> {
        match &self.doc {
            Doc::Tree(g) => Cow::Borrowed(&g.doc),
            Doc::Text { .. } => Cow::Owned(self.resource(kind, false).into_json()),
        }
    }

    /// The document as far as a filter or sort reading the top-level attributes `keys`
    /// (matched ignoring case) needs it: a user's text is parsed for those alone, the rest
    /// skipped.
    pub(super) fn view(&self, kind: ResourceKind, keys: &[String]) -> Cow<'_, Value> {
        let Doc::Text { text, .. } = &self.doc else {
            return self.tree(kind);
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let mut body = Partial(keys).deserialize(&mut de).unwrap_or_default();
        if keys.iter().any(|k| k.eq_ignore_ascii_case("meta")) {
            body.insert("meta".into(), self.meta().to_json(kind));
        }
        Cow::Owned(Value::Object(body))
    }

    /// Its `displayName`, if it has one.
    pub(super) fn display_name(&self) -> Option<&str> {
        match &self.doc {
            Doc::Text { display_name, .. } => display_name.as_deref(),
            Doc::Tree(g) => g.doc.get("displayName").and_then(Value::as_str),
        }
    }

    /// The resource, sharing a user's text; without a group's `members` when `skip_members`
    /// (a copy of a large group's members that the response would drop).
    pub(super) fn resource(&self, kind: ResourceKind, skip_members: bool) -> Resource {
        match &self.doc {
            Doc::Text { text, plain, .. } => {
                let id = self
                    .id
                    .hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer())
                    .to_owned();
                let stored = StoredDocument::from_parts(id, Arc::clone(text), self.meta(), *plain);
                Resource::from_document(kind, stored)
            }
            Doc::Tree(g) => {
                let body = match &g.doc {
                    Value::Object(body) if skip_members => body
                        .iter()
                        .filter(|(k, _)| k.as_str() != "members")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    Value::Object(body) => body.clone(),
                    _ => Map::new(),
                };
                Resource::from_map(kind, body)
            }
        }
    }

    /// Whether `other` carries the same attributes, `meta` aside.
    pub(super) fn same_content(&self, other: &Self) -> bool {
        match (&self.doc, &other.doc) {
            (Doc::Text { text: a, .. }, Doc::Text { text: b, .. }) => {
                // Equal objects serialize to texts of equal length, whatever their order.
                a.len() == b.len()
                    && (a == b || {
                        let parse = |t: &str| serde_json::from_str::<Map<String, Value>>(t);
                        matches!((parse(a), parse(b)), (Ok(a), Ok(b)) if a == b)
                    })
            }
            (Doc::Tree(a), Doc::Tree(b)) => match (&a.doc, &b.doc) {
                (Value::Object(a), Value::Object(b)) => {
                    // `meta` is the store's own, on both sides.
                    let attributes =
                        |m: &Map<String, Value>| m.keys().filter(|k| *k != "meta").count();
                    attributes(a) == attributes(b)
                        && a.iter().all(|(k, v)| k == "meta" || b.get(k) == Some(v))
                }
                _ => false,
            },
            _ => false,
        }
    }

    pub(super) fn keys(&self, kind: ResourceKind) -> Keys<'_> {
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

    /// Whether the stored keys' fingerprint (users) or keys (groups) equal `other`'s.
    pub(super) fn same_keys(&self, kind: ResourceKind, other: &Self) -> bool {
        match (&self.doc, &other.doc) {
            // A user's text is not read again: its keys' fingerprints are compared.
            (Doc::Text { keys: a, .. }, Doc::Text { keys: b, .. }) => a == b,
            _ => self.keys(kind) == other.keys(kind),
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
        while let Some(Name(key)) = map.next_key()? {
            if self.0.iter().any(|k| k.as_ref().eq_ignore_ascii_case(&key)) {
                out.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// An object key, borrowed from the text unless it holds escapes: most keys a scan reads are
/// skipped, and copying them would cost more than the skipping.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}
