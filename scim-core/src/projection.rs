//! Which attributes a response carries: `attributes`, `excludedAttributes` (RFC 7644 §3.4.2.5)
//! and each attribute's `returned` characteristic.

use scim_filter::AttrPath;
use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::registry::ResourceSchemas;
use crate::resource::Resource;
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
        let core_urn = schemas.core().id.as_str();
        let mut out = Map::new();
        for (key, value) in resource.into_map() {
            if key == "schemas" {
                out.insert(key, value);
            } else if let Some(ext) = schemas.extension(&key) {
                let Value::Object(attrs) = value else {
                    continue;
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
                if !kept.is_empty() {
                    out.insert(key, Value::Object(kept));
                }
            } else if let Some(v) =
                self.pick(schemas.core_attribute(&key), core_urn, &key, value, false)
            {
                out.insert(key, v);
            }
        }
        Value::Object(out)
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
