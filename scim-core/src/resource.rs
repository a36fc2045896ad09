//! The one runtime representation of a resource (a schema-checked JSON object) and typed views
//! over it for store implementers.

use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::document::StoredDocument;
use crate::error::ScimError;
use crate::registry::ResourceKind;
use crate::schema::ENTERPRISE_USER_URN;

/// A resource version: opaque to clients, compared for equality only. It appears in
/// `meta.version` and in the `ETag` header as a weak entity tag (`W/"3"`).
///
/// ```
/// use scim_core::Version;
///
/// let v = Version::new("3");
/// assert_eq!(v.to_etag(), r#"W/"3""#);
/// assert_eq!(Version::from_etag(r#"W/"3""#), Some(v.clone()));
/// assert_eq!(Version::from_etag(r#""3""#), Some(v));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// A version from its opaque text (no quotes).
    pub fn new(tag: impl Into<String>) -> Self {
        Self(tag.into())
    }

    /// The opaque text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The weak entity tag: `W/"<text>"`.
    pub fn to_etag(&self) -> String {
        format!("W/\"{}\"", self.0)
    }

    /// A version from an entity tag, weak (`W/"x"`) or strong (`"x"`).
    pub fn from_etag(etag: &str) -> Option<Self> {
        let etag = etag.trim();
        let quoted = etag.strip_prefix("W/").unwrap_or(etag);
        let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
        (!inner.contains('"')).then(|| Self::new(inner))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_etag())
    }
}

/// What a store records about a resource's life: `meta.created`, `meta.lastModified` and
/// `meta.version`. (`meta.location` depends on the URL a request came in on; the engine sets
/// it.)
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Meta {
    /// When the resource was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub last_modified: DateTime<Utc>,
    /// Its current version.
    pub version: Version,
}

impl Meta {
    /// Metadata for a resource created now, at `version`.
    pub fn new(created: DateTime<Utc>, version: Version) -> Self {
        Self {
            created,
            last_modified: created,
            version,
        }
    }

    /// `meta` as a resource of type `kind` carries it: `resourceType`, `created` and
    /// `lastModified` (RFC 3339, to the millisecond) and `version` (a weak entity tag).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use scim_core::{Meta, ResourceKind, Version};
    /// use serde_json::json;
    ///
    /// let meta = Meta::new(Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap(), Version::new("3"));
    /// let json = meta.to_json(ResourceKind::Group);
    /// assert_eq!(json, json!({
    ///     "resourceType": "Group",
    ///     "created": "2026-12-06T09:30:00.000Z",
    ///     "lastModified": "2026-12-06T09:30:00.000Z",
    ///     "version": "W/\"3\"",
    /// }));
    /// assert_eq!(Meta::from_json(&json), Some(meta));
    /// ```
    pub fn to_json(&self, kind: ResourceKind) -> Value {
        meta_value(kind, self, None)
    }

    /// `meta` read from a resource's `meta` object (as [`Meta::to_json`] writes it, or with a
    /// strong or bare `version`); `None` unless it has `created`, `lastModified` and
    /// `version`.
    pub fn from_json(meta: &Value) -> Option<Self> {
        let time = |k: &str| {
            let s = meta.get(k)?.as_str()?;
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let tag = meta.get("version")?.as_str()?;
        Some(Self {
            created: time("created")?,
            last_modified: time("lastModified")?,
            version: Version::from_etag(tag).unwrap_or_else(|| Version::new(tag)),
        })
    }
}

/// A SCIM resource: a JSON object checked against its resource type's schemas, with attribute
/// names in their schema spelling and `schemas` listing the URNs in use.
///
/// Requests become resources through validation
/// ([`ResourceSchemas::validate_create`](crate::ResourceSchemas::validate_create) and friends);
/// a store loading its own rows uses [`Resource::from_json`] or the typed views
/// ([`User`], [`Group`]).
#[derive(Clone)]
pub struct Resource {
    kind: ResourceKind,
    /// The object, unless `stored` holds it.
    body: Map<String, Value>,
    /// A document as a store keeps it, parsed into an object only when something needs the
    /// object (a response renders straight from the text).
    stored: Option<(StoredDocument, OnceLock<Map<String, Value>>)>,
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("kind", &self.kind)
            .field("body", self.as_json())
            .finish()
    }
}

impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.as_json() == other.as_json()
    }
}

impl Resource {
    /// A resource from a JSON object a store kept, trusted as valid: [`Resource::from_json`]
    /// for a value already known to be an object.
    pub fn from_map(kind: ResourceKind, body: Map<String, Value>) -> Self {
        Self {
            kind,
            body,
            stored: None,
        }
    }

    /// The resource a store hands the engine from a [`StoredDocument`]: the engine writes
    /// responses from its text without parsing it, and parses it only if something reads the
    /// resource as JSON.
    pub fn from_document(kind: ResourceKind, stored: StoredDocument) -> Self {
        Self {
            kind,
            body: Map::new(),
            stored: Some((stored, OnceLock::new())),
        }
    }

    /// The stored document this resource still is, unchanged, if it came from one
    /// ([`Resource::from_document`]).
    pub fn document(&self) -> Option<&StoredDocument> {
        self.stored.as_ref().map(|(s, _)| s)
    }

    /// A resource from a JSON object a store kept, trusted as valid. Fails (`400
    /// invalidSyntax`) only if `value` is not an object.
    pub fn from_json(kind: ResourceKind, value: Value) -> Result<Self, ScimError> {
        match value {
            Value::Object(body) => Ok(Self::from_map(kind, body)),
            other => Err(ScimError::invalid_syntax(format!(
                "a {kind} must be a JSON object, not {}",
                json_kind(&other)
            ))),
        }
    }

    /// The resource type.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// The JSON object.
    pub fn as_json(&self) -> &Map<String, Value> {
        match &self.stored {
            Some((stored, parsed)) => parsed.get_or_init(|| stored.to_map(self.kind)),
            None => &self.body,
        }
    }

    /// The JSON object, for a store that adjusts what it keeps. Changing attribute names or
    /// types here bypasses validation.
    pub fn as_json_mut(&mut self) -> &mut Map<String, Value> {
        if let Some((stored, parsed)) = self.stored.take() {
            self.body = parsed
                .into_inner()
                .unwrap_or_else(|| stored.to_map(self.kind));
        }
        &mut self.body
    }

    /// A copy of the JSON object: parsed afresh from a stored document's text (leaving this
    /// resource unparsed), else cloned.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        match &self.stored {
            Some((stored, parsed)) => match parsed.get() {
                Some(body) => body.clone(),
                None => stored.to_map(self.kind),
            },
            None => self.body.clone(),
        }
    }

    /// The JSON value.
    pub fn into_json(self) -> Value {
        Value::Object(self.into_map())
    }

    /// The JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        match self.stored {
            Some((stored, parsed)) => parsed
                .into_inner()
                .unwrap_or_else(|| stored.to_map(self.kind)),
            None => self.body,
        }
    }

    /// A top-level attribute (an extension's object under its URN).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let body = self.as_json();
        body.get(name).or_else(|| {
            body.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    }

    fn str_attr(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// `id`, once a store has assigned one.
    pub fn id(&self) -> Option<&str> {
        if let Some(stored) = self.document() {
            return Some(stored.id());
        }
        self.str_attr("id")
    }

    /// `externalId`.
    pub fn external_id(&self) -> Option<&str> {
        self.str_attr("externalId")
    }

    /// `userName` (users).
    pub fn user_name(&self) -> Option<&str> {
        self.str_attr("userName")
    }

    /// `displayName`.
    pub fn display_name(&self) -> Option<&str> {
        self.str_attr("displayName")
    }

    /// The value a store keeps unique per tenant: `userName` for users, `displayName` for
    /// groups.
    pub fn unique_value(&self) -> Option<&str> {
        self.str_attr(self.kind.unique_attribute())
    }

    /// The `value` of each of a group's `members`.
    pub fn member_ids(&self) -> impl Iterator<Item = &str> {
        self.get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("value").and_then(Value::as_str))
    }

    /// `meta.version`.
    pub fn version(&self) -> Option<Version> {
        match self.document() {
            Some(stored) => Some(stored.meta().version.clone()),
            None => version_in(&self.body),
        }
    }

    /// `meta`, when the store has set it.
    pub fn meta(&self) -> Option<Meta> {
        match self.document() {
            Some(stored) => Some(stored.meta().clone()),
            None => meta_in(&self.body),
        }
    }

    /// Sets `id`, right after `schemas`.
    pub fn set_id(&mut self, id: impl Into<String>) {
        let id = Value::String(id.into());
        let body = self.as_json_mut();
        if let Some(v) = body.get_mut("id") {
            *v = id;
        } else {
            let at = usize::from(body.contains_key("schemas"));
            body.shift_insert(at, "id".to_owned(), id);
        }
    }

    /// Sets `meta` (`resourceType`, `created`, `lastModified`, `version`), keeping a
    /// `location` already there.
    pub fn set_meta(&mut self, meta: &Meta) {
        let kind = self.kind;
        let body = self.as_json_mut();
        let location = body.get("meta").and_then(|m| m.get("location")).cloned();
        body.shift_remove("meta");
        body.insert("meta".into(), meta_value(kind, meta, location));
    }

    /// Sets `meta.location` to `{base}{endpoint}/{id}`.
    pub fn set_location(&mut self, base: &str) {
        let Some(id) = self.id() else { return };
        let location = format!("{base}{}/{id}", self.kind.endpoint());
        if let Some(Value::Object(meta)) = self.as_json_mut().get_mut("meta") {
            meta.insert("location".into(), location.into());
        }
    }

    /// Whether the two carry the same attributes, `meta` aside on both sides (a resource with
    /// `meta` and one without compare by their other attributes): a write that would not change
    /// anything a client can see.
    ///
    /// ```
    /// use scim_core::{Resource, ResourceKind};
    /// use serde_json::json;
    ///
    /// let stored = Resource::from_json(ResourceKind::User, json!({
    ///     "userName": "bjensen", "meta": {"version": "W/\"1\""}}))?;
    /// let same = Resource::from_json(ResourceKind::User, json!({"userName": "bjensen"}))?;
    /// let retitled = Resource::from_json(ResourceKind::User, json!({
    ///     "userName": "bjensen", "title": "Tour Guide"}))?;
    /// assert!(stored.same_content(&same) && same.same_content(&stored));
    /// assert!(!stored.same_content(&retitled) && !retitled.same_content(&stored));
    /// # Ok::<(), scim_core::ScimError>(())
    /// ```
    pub fn same_content(&self, other: &Self) -> bool {
        self.kind == other.kind && same_content(self.as_json(), other.as_json())
    }

    /// The typed [`User`] view. Fails if the resource is not a user or an attribute the view
    /// models has a shape the view cannot hold.
    pub fn to_user(&self) -> Result<User, ScimError> {
        self.view(ResourceKind::User)
    }

    /// The typed [`Group`] view.
    pub fn to_group(&self) -> Result<Group, ScimError> {
        self.view(ResourceKind::Group)
    }

    fn view<T: serde::de::DeserializeOwned>(&self, kind: ResourceKind) -> Result<T, ScimError> {
        if self.kind != kind {
            return Err(ScimError::invalid_value(format!(
                "a {} is not a {kind}",
                self.kind
            )));
        }
        serde_json::from_value(Value::Object(self.as_json().clone()))
            .map_err(|e| ScimError::invalid_value(format!("{kind} view: {e}")))
    }
}

/// Two bodies with the same attributes, `meta` aside on both sides: `{userName, meta}` and
/// `{userName, title}` differ, and `{userName, meta}` and `{userName}` do not.
pub(crate) fn same_content(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    // Keys are unique, so equal counts of non-`meta` keys and every one of `a`'s found equal
    // in `b` leave `b` nothing else.
    let attributes = |m: &Map<String, Value>| m.len() - usize::from(m.contains_key("meta"));
    attributes(a) == attributes(b) && a.iter().all(|(k, v)| k == "meta" || b.get(k) == Some(v))
}

/// `meta.version` of a resource body.
pub(crate) fn version_in(body: &Map<String, Value>) -> Option<Version> {
    let tag = body.get("meta")?.get("version")?.as_str()?;
    Version::from_etag(tag).or_else(|| Some(Version::new(tag)))
}

/// `meta` of a resource body, when complete.
pub(crate) fn meta_in(body: &Map<String, Value>) -> Option<Meta> {
    Meta::from_json(body.get("meta")?)
}

/// `meta` as a body carries it, `location` included when given.
pub(crate) fn meta_value(kind: ResourceKind, meta: &Meta, location: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), kind.as_str().into());
    m.insert("created".into(), timestamp(&meta.created));
    m.insert("lastModified".into(), timestamp(&meta.last_modified));
    if let Some(location) = location {
        m.insert("location".into(), location);
    }
    m.insert("version".into(), meta.version.to_etag().into());
    Value::Object(m)
}

fn timestamp(t: &DateTime<Utc>) -> Value {
    Value::from(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A password, redacted from `Debug` output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// `name` (RFC 7643 §4.1.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs, reason = "the fields are RFC 7643's sub-attributes")]
pub struct Name {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, `roles`, `members`...):
/// RFC 7643 §2.4's `value`, `display`, `type`, `primary` and `$ref`, plus anything else it
/// carries (an address's `locality`...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MultiValue {
    /// `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `display`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `type`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `primary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// `$ref`.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Every other sub-attribute.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl MultiValue {
    /// A value with just `value` set.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }
}

/// A typed view of a User for store implementers. Attributes it does not model (extensions,
/// `meta`, unknown-but-kept attributes) stay in `rest`, so converting back loses nothing.
///
/// ```
/// use scim_core::{Resource, ResourceKind, User};
/// use serde_json::json;
///
/// let stored = json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
///                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
///     "id": "2819c223",
///     "userName": "bjensen",
///     "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"},
/// });
/// let resource = Resource::from_json(ResourceKind::User, stored.clone())?;
/// let user = resource.to_user()?;
/// assert_eq!(user.user_name, "bjensen");
/// assert_eq!(user.enterprise().unwrap().employee_number.as_deref(), Some("701984"));
/// assert_eq!(Resource::from(user).into_json(), stored);
/// # Ok::<(), scim_core::ScimError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
#[allow(missing_docs, reason = "the fields are RFC 7643 §4.1's attributes")]
pub struct User {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<MultiValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<MultiValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<MultiValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<MultiValue>>,
    /// Every other attribute: `ims`, `photos`, `groups`, `entitlements`,
    /// `x509Certificates`, extensions, `meta`...
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl User {
    /// A user with just `userName` set.
    pub fn new(user_name: impl Into<String>) -> Self {
        Self {
            schemas: vec![ResourceKind::User.core_urn().to_owned()],
            user_name: user_name.into(),
            ..Self::default()
        }
    }

    /// The Enterprise User extension, if present and well-formed.
    pub fn enterprise(&self) -> Option<EnterpriseUser> {
        let ext = self.rest.get(ENTERPRISE_USER_URN)?;
        serde_json::from_value(ext.clone()).ok()
    }

    /// Sets the Enterprise User extension and lists its URN in `schemas`.
    pub fn set_enterprise(&mut self, ext: &EnterpriseUser) {
        let value = serde_json::to_value(ext).unwrap_or(Value::Null);
        self.rest.insert(ENTERPRISE_USER_URN.to_owned(), value);
        if !self.schemas.iter().any(|s| s == ENTERPRISE_USER_URN) {
            self.schemas.push(ENTERPRISE_USER_URN.to_owned());
        }
    }
}

/// The Enterprise User extension (RFC 7643 §4.3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
#[allow(missing_docs, reason = "the fields are RFC 7643 §4.3's attributes")]
pub struct EnterpriseUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// `manager`: `value` is the manager's id, `$ref` its URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<MultiValue>,
    /// Anything else under the extension.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A typed view of a Group (RFC 7643 §4.2). `members` holds each member's `value` (the
/// member's id), `$ref`, `display` and `type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
#[allow(missing_docs, reason = "the fields are RFC 7643 §4.2's attributes")]
pub struct Group {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MultiValue>>,
    /// Every other attribute: extensions, `meta`...
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Group {
    /// A group with just `displayName` set.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self {
            schemas: vec![ResourceKind::Group.core_urn().to_owned()],
            display_name: Some(display_name.into()),
            ..Self::default()
        }
    }
}

fn to_resource<T: Serialize>(kind: ResourceKind, view: &T) -> Resource {
    match serde_json::to_value(view) {
        Ok(Value::Object(body)) => Resource::from_map(kind, body),
        _ => Resource::from_map(kind, Map::new()),
    }
}

impl From<User> for Resource {
    /// The resource, trusted as valid (a store's own data).
    fn from(user: User) -> Self {
        to_resource(ResourceKind::User, &user)
    }
}

impl From<Group> for Resource {
    /// The resource, trusted as valid (a store's own data).
    fn from(group: Group) -> Self {
        to_resource(ResourceKind::Group, &group)
    }
}
