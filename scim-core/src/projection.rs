//! Which attributes a response carries: `attributes`, `excludedAttributes` (RFC 7644 §3.4.2.5)
//! and each attribute's `returned` characteristic.

use std::borrow::Cow;
use std::fmt;

use scim_filter::AttrPath;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::document::StoredDocument;
use crate::error::{ScimError, ScimType};
use crate::registry::ResourceKind;
use crate::registry::ResourceSchemas;
use crate::resource::{Meta, Resource, meta_value};
use crate::schema::{Attribute, Returned};

/// The attributes a client asked for (`attributes`) or asked to leave out
/// (`excludedAttributes`). A store may use it as a hint (a group's `members` need not be
/// loaded when excluded); the engine applies it to every response.
///
/// ```
/// use scim_core::{Projection, Resource, ResourceKind, SchemaRegistry};
/// use serde_json::json;
///
/// let registry = SchemaRegistry::new();
/// let users = registry.resource(ResourceKind::User);
/// let user = Resource::from_json(ResourceKind::User, json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "id": "2819c223",
///     "userName": "bjensen",
///     "password": "t1meMa$heen",
///     "name": {"givenName": "Barbara", "familyName": "Jensen"},
///     "emails": [{"value": "bjensen@example.com", "type": "work"}],
/// }))?;
///
/// let only = Projection::new(Some("name.givenName,userName"), None)?;
/// assert_eq!(only.apply(users, &user), json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "id": "2819c223",
///     "userName": "bjensen",
///     "name": {"givenName": "Barbara"},
/// }));
///
/// let all = Projection::default().apply(users, &user);
/// assert!(all.get("password").is_none(), "password is never returned");
/// assert!(!Projection::new(None, Some("emails"))?.wants(users, "emails"));
/// # Ok::<(), scim_core::ScimError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

impl Projection {
    /// From the `attributes` and `excludedAttributes` query parameters (comma-separated
    /// attribute paths). Both given is allowed; `attributes` then decides and exclusions
    /// trim it. A path that does not parse is `400 invalidPath`.
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        Ok(Self {
            attributes: parse_list(attributes)?,
            excluded: parse_list(excluded)?,
        })
    }

    /// The requested attributes.
    pub fn attributes(&self) -> &[AttrPath] {
        &self.attributes
    }

    /// The excluded attributes.
    pub fn excluded(&self) -> &[AttrPath] {
        &self.excluded
    }

    /// Whether the projection returns every default attribute.
    pub fn is_default(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether a response will carry the top-level attribute `name` (in any part): a hint for
    /// stores that can skip loading it.
    pub fn wants(&self, schemas: &ResourceSchemas, name: &str) -> bool {
        let found = schemas.find(None, name);
        let owner = found
            .and_then(|f| f.extension)
            .unwrap_or(&schemas.core().id);
        let returned = found.map_or(Returned::Default, |f| f.attr.returned);
        match returned {
            Returned::Always => true,
            Returned::Never => false,
            _ if !self.attributes.is_empty() => self.attributes.iter().any(|p| {
                names(p, owner, name) || p.urn().is_some_and(|u| u.eq_ignore_ascii_case(owner))
            }),
            Returned::Request => false,
            Returned::Default => !self
                .excluded
                .iter()
                .any(|p| p.sub_attr.is_none() && names(p, owner, name)),
        }
    }

    /// The resource as a response carries it.
    pub fn apply(&self, schemas: &ResourceSchemas, resource: &Resource) -> Value {
        self.apply_owned(schemas, resource.clone())
    }

    /// [`Projection::apply`] on a resource the caller gives away: the values it keeps are
    /// moved, not copied.
    pub fn apply_owned(&self, schemas: &ResourceSchemas, resource: Resource) -> Value {
        let mut out = Map::new();
        for (key, value) in resource.into_map() {
            if let Some(v) = self.project(schemas, &key, value) {
                out.insert(key, v);
            }
        }
        Value::Object(out)
    }

    /// What a response carries of the top-level attribute `key` (an extension's object under
    /// its URN).
    fn project(&self, schemas: &ResourceSchemas, key: &str, value: Value) -> Option<Value> {
        if key == "schemas" {
            return Some(value);
        }
        if let Some(ext) = schemas.extension(key) {
            let Value::Object(attrs) = value else {
                return None;
            };
            let whole = self
                .attributes
                .iter()
                .any(|p| p.urn().is_some_and(|u| u.eq_ignore_ascii_case(&ext.id)));
            let mut kept = Map::new();
            for (name, v) in attrs {
                if let Some(v) = self.pick(ext.attribute(&name), &ext.id, &name, v, whole) {
                    kept.insert(name, v);
                }
            }
            return (!kept.is_empty()).then_some(Value::Object(kept));
        }
        let core_urn = schemas.core().id.as_str();
        self.pick(schemas.core_attribute(key), core_urn, key, value, false)
    }

    /// Whether [`Projection::project`] would drop the attribute `key`, keep it as it is, or
    /// has to look inside it; decided without reading the value, so that a response can copy
    /// a stored document's text.
    ///
    /// `object` says whether the value is a non-empty object (an extension's must be, to be
    /// kept whole).
    fn plan(&self, schemas: &ResourceSchemas, key: &str, object: bool) -> Plan {
        if key == "schemas" {
            return Plan::Keep;
        }
        if let Some(ext) = schemas.extension(key) {
            let plain = ext
                .attributes
                .iter()
                .all(|a| matches!(a.returned, Returned::Default | Returned::Always));
            return if self.is_default() && plain && object {
                Plan::Keep
            } else {
                Plan::Inspect
            };
        }
        let owner = schemas.core().id.as_str();
        let returned = schemas
            .core_attribute(key)
            .map_or(Returned::Default, |a| a.returned);
        match returned {
            Returned::Never => return Plan::Skip,
            Returned::Always => return Plan::Keep,
            _ => {}
        }
        if !self.attributes.is_empty() {
            let asked = self.attributes.iter().any(|p| names(p, owner, key));
            return if asked { Plan::Inspect } else { Plan::Skip };
        }
        if returned == Returned::Request {
            return Plan::Skip;
        }
        let mut excluded = self.excluded.iter().filter(|p| names(p, owner, key));
        match excluded.next() {
            None => Plan::Keep,
            Some(p) if p.sub_attr.is_none() => Plan::Skip,
            Some(_) => Plan::Inspect,
        }
    }

    /// The response body for a stored document, written from its text: attributes the
    /// response carries whole are copied, not parsed; only those the projection trims are
    /// parsed. `location` becomes `meta.location`. The same JSON as
    /// [`Projection::apply_owned`] would give.
    pub(crate) fn render_document(
        &self,
        schemas: &ResourceSchemas,
        kind: ResourceKind,
        stored: &StoredDocument,
        location: &[&str],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(stored.text().len() + 192);
        if stored.plain() && self.is_default() {
            // Every attribute is carried whole: the text, then `meta`.
            let text = stored.text().trim_end();
            let body = text.strip_suffix('}').unwrap_or(text);
            out.extend_from_slice(body.as_bytes());
            if body.trim_end() != "{" {
                out.push(b',');
            }
            out.extend_from_slice(b"\"meta\":");
            write_meta(&mut out, kind, stored.meta(), location);
            out.push(b'}');
            return out;
        }
        out.push(b'{');
        let mut first = true;
        let mut field = |out: &mut Vec<u8>, key: &str| {
            if !first {
                out.push(b',');
            }
            first = false;
            let _ = serde_json::to_writer(&mut *out, key);
            out.push(b':');
        };
        let fields: Fields<'_> = serde_json::from_str(stored.text()).unwrap_or_default();
        for (key, raw) in fields.0 {
            let text = raw.get();
            let object = text.starts_with('{') && text != "{}";
            match self.plan(schemas, &key, object) {
                Plan::Skip => {}
                Plan::Keep => {
                    field(&mut out, &key);
                    out.extend_from_slice(raw.get().as_bytes());
                }
                Plan::Inspect => {
                    let value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                    if let Some(v) = self.project(schemas, &key, value) {
                        field(&mut out, &key);
                        let _ = serde_json::to_writer(&mut out, &v);
                    }
                }
            }
        }
        let mut meta = meta_value(kind, stored.meta(), None);
        if let Value::Object(m) = &mut meta {
            m.insert("location".into(), location.concat().into());
        }
        if let Some(v) = self.project(schemas, "meta", meta) {
            field(&mut out, "meta");
            let _ = serde_json::to_writer(&mut out, &v);
        }
        out.push(b'}');
        out
    }

    /// Whether a default-like projection carries the top-level attribute `key` whole (its
    /// value a non-empty object when `object`).
    pub(crate) fn keeps_whole(&self, schemas: &ResourceSchemas, key: &str, object: bool) -> bool {
        matches!(self.plan(schemas, key, object), Plan::Keep)
    }

    fn pick(
        &self,
        attr: Option<&Attribute>,
        owner: &str,
        name: &str,
        value: Value,
        whole: bool,
    ) -> Option<Value> {
        let returned = attr.map_or(Returned::Default, |a| a.returned);
        match returned {
            Returned::Never => return None,
            Returned::Always => return Some(value),
            _ => {}
        }
        if !self.attributes.is_empty() && !whole {
            let asked: Vec<&AttrPath> = self
                .attributes
                .iter()
                .filter(|p| names(p, owner, name))
                .collect();
            if asked.is_empty() {
                return None;
            }
            if asked.iter().any(|p| p.sub_attr.is_none()) {
                return self.trim(owner, name, value);
            }
            let subs: Vec<&str> = asked.iter().filter_map(|p| p.sub_attr.as_deref()).collect();
            let kept = keep_subs(value, &subs)?;
            return self.trim(owner, name, kept);
        }
        if returned == Returned::Request && !whole {
            return None;
        }
        self.trim(owner, name, value)
    }

    /// Applies `excludedAttributes` to an attribute that is otherwise returned.
    fn trim(&self, owner: &str, name: &str, value: Value) -> Option<Value> {
        let mut value = value;
        for p in self.excluded.iter().filter(|p| names(p, owner, name)) {
            match &p.sub_attr {
                None => return None,
                Some(sub) => drop_sub(&mut value, sub),
            }
        }
        Some(value)
    }
}

/// Writes `meta` as [`meta_value`] with `location` (the concatenation of its parts) added
/// would serialize, without building it: this runs for every resource a lookup answers.
fn write_meta(out: &mut Vec<u8>, kind: ResourceKind, meta: &Meta, location: &[&str]) {
    out.extend_from_slice(b"{\"resourceType\":");
    write_json_str(out, &[kind.as_str()]);
    out.extend_from_slice(b",\"created\":");
    write_timestamp(out, &meta.created);
    out.extend_from_slice(b",\"lastModified\":");
    write_timestamp(out, &meta.last_modified);
    out.extend_from_slice(b",\"version\":");
    write_json_str(out, &["W/\"", meta.version.as_str(), "\""]);
    out.extend_from_slice(b",\"location\":");
    write_json_str(out, location);
    out.push(b'}');
}

/// Writes the concatenation of `parts` as a JSON string.
fn write_json_str(out: &mut Vec<u8>, parts: &[&str]) {
    let plain = |s: &&str| !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
    if parts.iter().all(plain) {
        out.push(b'"');
        for part in parts {
            out.extend_from_slice(part.as_bytes());
        }
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, &parts.concat());
    }
}

/// Writes `t` as a JSON string, as [`meta_value`] does (RFC 3339, milliseconds, `Z`).
fn write_timestamp(out: &mut Vec<u8>, t: &chrono::DateTime<chrono::Utc>) {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    // Years of other widths and leap seconds are rare enough for chrono to write.
    if !(0..=9999).contains(&year) || t.timestamp_subsec_millis() > 999 {
        let text = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let _ = serde_json::to_writer(&mut *out, &text);
        return;
    }
    // `"YYYY-MM-DDTHH:MM:SS.mmmZ"`: each field with the character before it.
    let fields = [
        (b'"', year.unsigned_abs(), 4),
        (b'-', t.month(), 2),
        (b'-', t.day(), 2),
        (b'T', t.hour(), 2),
        (b':', t.minute(), 2),
        (b':', t.second(), 2),
        (b'.', t.timestamp_subsec_millis(), 3),
    ];
    for (before, n, width) in fields {
        out.push(before);
        for i in (0..width).rev() {
            // A digit is below 10: the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            out.push(b'0' + (n / 10u32.pow(i) % 10) as u8);
        }
    }
    out.extend_from_slice(b"Z\"");
}

/// What [`Projection::render_document`] does with a top-level attribute.
enum Plan {
    Skip,
    Keep,
    Inspect,
}

/// A JSON object's members as text, in order, keys borrowed where they hold no escapes.
#[derive(Default)]
pub(crate) struct Fields<'a>(pub(crate) Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(Key(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Fields(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// An object key, borrowed from the text when it can be.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

fn parse_list(list: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            AttrPath::parse(s).map_err(|e| {
                ScimError::bad_request(
                    ScimType::InvalidPath,
                    format!("attribute path \"{s}\": {e}"),
                )
            })
        })
        .collect()
}

/// Whether `path` names the attribute `name` of the schema `owner`.
fn names(path: &AttrPath, owner: &str, name: &str) -> bool {
    path.name.eq_ignore_ascii_case(name)
        && path
            .schema
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(owner))
}

fn keep_subs(value: Value, subs: &[&str]) -> Option<Value> {
    let keep = |mut m: Map<String, Value>| -> Map<String, Value> {
        m.retain(|k, _| subs.iter().any(|s| s.eq_ignore_ascii_case(k)));
        m
    };
    match value {
        Value::Object(m) => {
            let kept = keep(m);
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(m) => Some(keep(m)),
                    _ => None,
                })
                .filter(|m| !m.is_empty())
                .map(Value::Object)
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

fn drop_sub(value: &mut Value, sub: &str) {
    let drop = |m: &mut Map<String, Value>| m.retain(|k, _| !k.eq_ignore_ascii_case(sub));
    match value {
        Value::Object(m) => drop(m),
        Value::Array(items) => items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(drop),
        _ => {}
    }
}

#[cfg(test)]
mod tests {

    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::registry::SchemaRegistry;
    use crate::resource::Version;
    use crate::schema::Schema;
    use scim_filter::AttrType;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const SECRET: &str = "urn:example:params:scim:schemas:extension:2.0:Secret";

    /// `meta` written straight into a response is what serializing its `Value` gives, for
    /// timestamps chrono writes differently (other widths, leap seconds) and text to escape.
    #[test]
    fn meta_is_written_as_serialized() {
        let times = [
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::milliseconds(7),
            Utc.with_ymd_and_hms(987, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::milliseconds(999),
            Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap(),
            // A leap second, as a stored timestamp may carry one.
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_milli_opt(23, 59, 59, 1_500)
                .unwrap()
                .and_utc(),
        ];
        for (i, t) in times.iter().enumerate() {
            let version = ["7", "a\\b", "x\u{1}y", "é"][i];
            let location = [
                "https://example.com/scim/v2",
                "/Users/",
                ["u-1", "q\"uote"][i % 2],
            ];
            let meta = Meta {
                created: *t,
                last_modified: *t,
                version: Version::new(version),
            };
            let mut written = Vec::new();
            write_meta(&mut written, ResourceKind::User, &meta, &location);
            let mut value = meta_value(ResourceKind::User, &meta, None);
            value["location"] = location.concat().into();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&value).unwrap()
            );
        }
    }

    /// Written from the stored text or from the parsed object, every projection gives the
    /// same bytes: the fast path changes speed, never what a client sees.
    #[test]
    fn stored_documents_render_as_parsed_ones() {
        let registry = SchemaRegistry::new()
            .with_extension(
                ResourceKind::User,
                Schema::new(SECRET, "Secret").with_attribute(
                    Attribute::new("hint", AttrType::String).returned(Returned::Request),
                ),
                false,
            )
            .unwrap();
        let schemas = registry.resource(ResourceKind::User);
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, SECRET],
            "id": "u-1",
            "externalId": "e\"1\u{e9}",
            "userName": "bjensen",
            "password": "t1meMa$heen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
            "active": true,
            ENTERPRISE: {"employeeNumber": "701984", "department": "Tour"},
            SECRET: {"hint": "blue"},
        });
        let created = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let secretless: Map<String, Value> = body
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "password" && *k != SECRET)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let stored = |body: &Map<String, Value>| {
            let resource = Resource::from_json(ResourceKind::User, Value::Object(body.clone()));
            StoredDocument::new(
                schemas,
                resource.unwrap(),
                Meta::new(created, Version::new("7")),
            )
            .unwrap()
        };
        let docs = [stored(body.as_object().unwrap()), stored(&secretless)];
        assert!(!docs[0].plain());
        assert!(docs[1].plain());
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some("userName"), None),
            (Some("name.givenName,emails.value"), None),
            (Some(ENTERPRISE), None),
            (Some(&format!("{ENTERPRISE}:department")), None),
            (Some(&format!("{SECRET}:hint")), None),
            (Some("meta.location,password"), None),
            (Some("userName,emails"), Some("emails.type")),
            (None, Some("emails")),
            (None, Some("name.familyName,meta.version")),
            (None, Some(&format!("{ENTERPRISE}:department"))),
            (None, Some("id,schemas,password")),
            (None, Some("meta")),
        ];
        for (&(attributes, excluded), stored) in cases
            .iter()
            .flat_map(|case| docs.iter().map(move |doc| (case, doc)))
        {
            let projection = Projection::new(attributes, excluded).unwrap();
            let fast = projection.render_document(
                schemas,
                ResourceKind::User,
                stored,
                &["https://example.com/scim/v2", "/Users/", "u-1"],
            );
            let mut parsed = Resource::from_document(ResourceKind::User, stored.clone());
            parsed.set_location("https://example.com/scim/v2");
            let slow = serde_json::to_vec(&projection.apply_owned(schemas, parsed)).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap(),
                "attributes={attributes:?} excludedAttributes={excluded:?}"
            );
        }
    }
}
