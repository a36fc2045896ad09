//! [`StoredDocument`]: a resource as a store keeps it compactly, which the engine writes into
//! responses without parsing.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::projection::{Fields, Projection};
use crate::registry::{ResourceKind, ResourceSchemas};
use crate::resource::{Meta, Resource, meta_value};
use crate::store::StoreError;

/// A resource as a store keeps it: its JSON text without `meta`, its `id`, and its `meta`
/// apart.
///
/// A [`Resource`] made from one ([`Resource::from_document`]) is written into responses from
/// the text: attributes a response carries whole are copied, not parsed, and the text is
/// parsed only if something reads the resource as JSON. That is how
/// [`MemoryStore`](crate::MemoryStore) answers a lookup in about the time a bare handler
/// takes to answer the same bytes; any store that keeps JSON text (a `TEXT` or `JSONB`
/// column, a key-value store) can do the same.
///
/// ```
/// use std::sync::Arc;
///
/// use scim_core::{
///     Compat, Meta, Resource, ResourceKind, SchemaRegistry, StoredDocument, Version,
/// };
/// use serde_json::json;
///
/// let registry = SchemaRegistry::new();
/// let users = registry.resource(ResourceKind::User);
/// let mut user = users.validate_create(json!({"userName": "bjensen"}), &Compat::entra())?;
/// user.set_id("2819c223");
/// let meta = Meta::new(chrono::Utc::now(), Version::new("1"));
///
/// // On write: what to keep (the text, and `plain` if the store keeps it too).
/// let doc = StoredDocument::new(users, user, meta.clone())?;
/// let text: Arc<str> = doc.text().clone();
/// assert!(!text.contains("meta"));
///
/// // On read: the same document from what was kept, handed to the engine as a resource.
/// let read = StoredDocument::from_text(users, "2819c223", text, meta)?;
/// let resource = Resource::from_document(ResourceKind::User, read);
/// assert_eq!(resource.user_name(), Some("bjensen"));
/// assert!(resource.document().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StoredDocument {
    id: Arc<str>,
    text: Arc<str>,
    meta: Meta,
    plain: bool,
}

impl fmt::Debug for StoredDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text may hold a password a client sent: it is not shown.
        f.debug_struct("StoredDocument")
            .field("id", &self.id)
            .field("meta", &self.meta)
            .field("bytes", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl StoredDocument {
    /// The document a store keeps for `resource`, which must have its `id` (the store has
    /// assigned it): the resource's JSON text with `meta` left out, and `meta`. `schemas` (the
    /// resource type's, from the registry the engine uses) tells whether a default response
    /// carries every attribute whole ([`StoredDocument::plain`]). Fails if the resource has
    /// no `id`.
    pub fn new(
        schemas: &ResourceSchemas,
        resource: Resource,
        meta: Meta,
    ) -> Result<Self, StoreError> {
        let mut body = resource.into_map();
        body.shift_remove("meta");
        let id = match body.get("id") {
            Some(Value::String(id)) => Arc::from(id.as_str()),
            _ => return Err(StoreError::backend("a stored document needs an id")),
        };
        let text = serde_json::to_string(&body).map_err(StoreError::backend)?;
        Ok(Self {
            id,
            plain: is_plain(schemas, &body),
            text: text.into(),
            meta,
        })
    }

    /// A document from the text a store kept ([`StoredDocument::text`] of the document it
    /// wrote), its id and `meta`. Reads the text's top-level keys once, to tell
    /// [`plain`](StoredDocument::plain); fails if the text is not a JSON object.
    pub fn from_text(
        schemas: &ResourceSchemas,
        id: impl Into<Arc<str>>,
        text: Arc<str>,
        meta: Meta,
    ) -> Result<Self, StoreError> {
        let fields: Fields<'_> = serde_json::from_str(&text).map_err(StoreError::backend)?;
        let default = Projection::default();
        let plain = fields.0.iter().all(|(key, raw)| {
            let raw = raw.get();
            key == "meta" || default.keeps_whole(schemas, key, raw.starts_with('{') && raw != "{}")
        });
        Ok(Self::from_parts(id, text, meta, plain))
    }

    /// A document from what a store kept of one it wrote: its id, its
    /// [`text`](StoredDocument::text), `meta`, and [`plain`](StoredDocument::plain) as it was.
    /// Trusted: the text is not read, so it must be the text of a document of this resource
    /// type, unchanged.
    pub fn from_parts(id: impl Into<Arc<str>>, text: Arc<str>, meta: Meta, plain: bool) -> Self {
        Self {
            id: id.into(),
            text,
            meta,
            plain,
        }
    }

    /// `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The JSON object without `meta`, as `serde_json` wrote it.
    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// `meta`.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Whether a default response carries every attribute of the text whole: none is returned
    /// only on request or never (a `password`). Then a response is the text and `meta`,
    /// copied; otherwise the attributes to leave out are dropped as the text is copied.
    pub fn plain(&self) -> bool {
        self.plain
    }

    /// The JSON object the document stands for, `meta` included.
    pub(crate) fn to_map(&self, kind: ResourceKind) -> Map<String, Value> {
        let mut body: Map<String, Value> = serde_json::from_str(&self.text).unwrap_or_default();
        body.insert("meta".into(), meta_value(kind, &self.meta, None));
        body
    }
}

/// Whether a default response carries every attribute of `body` whole (no `password`, no
/// attribute returned only on request). `meta` is not looked at: a stored text leaves it out.
fn is_plain(schemas: &ResourceSchemas, body: &Map<String, Value>) -> bool {
    let default = Projection::default();
    body.iter().all(|(key, value)| {
        let object = value.as_object().is_some_and(|m| !m.is_empty());
        key == "meta" || default.keeps_whole(schemas, key, object)
    })
}
