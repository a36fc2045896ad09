//! Validation of what clients write: every attribute checked against its definition (type,
//! multi-valued, required, canonical values, the policy's coercions), `schemas` rebuilt, and
//! the resource assembled in schema order. Creation (POST) is checked here whole; a replace or
//! a PATCH goes through the write pipeline ([`crate::write`]) first.

use scim_filter::{AttrType, string_boolean};
use serde_json::{Map, Value};

use crate::compat::{Compat, UnknownAttributes};
use crate::error::ScimError;
use crate::registry::ResourceSchemas;
use crate::resource::{Resource, json_kind};

use crate::schema::{Attribute, CanonicalMatch, LEGACY_ADSCIM_GROUP_URN, Mutability, Schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Create,
    Replace,
    Patched,
}

impl ResourceSchemas {
    /// Checks a POST body and returns the resource to create, without `id` or `meta` (the
    /// store assigns them).
    ///
    /// Attribute names take their schema spelling, readOnly attributes are dropped, the
    /// policy's coercions apply (`"True"` for a boolean, a bare id for `manager`) and
    /// `schemas` is rebuilt from the extensions present. Errors name the attribute:
    ///
    /// ```
    /// use scim_core::{Compat, ResourceKind, SchemaRegistry, ScimType};
    /// use serde_json::json;
    ///
    /// let registry = SchemaRegistry::new();
    /// let users = registry.resource(ResourceKind::User);
    /// let user = users.validate_create(json!({
    ///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///     "USERNAME": "bjensen",
    ///     "active": "True",
    ///     "id": "ignored",
    ///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "26118915"},
    /// }), &Compat::entra())?;
    /// assert_eq!(user.into_json(), json!({
    ///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
    ///                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    ///     "userName": "bjensen",
    ///     "active": true,
    ///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "26118915"}},
    /// }));
    ///
    /// let err = users.validate_create(json!({"userName": "b", "active": "yes"}), &Compat::entra())
    ///     .unwrap_err();
    /// assert_eq!(err.scim_type(), Some(ScimType::InvalidValue));
    /// assert_eq!(err.detail(), r#"attribute "active": expected a boolean, got a string"#);
    /// # Ok::<(), scim_core::ScimError>(())
    /// ```
    pub fn validate_create(&self, input: Value, compat: &Compat) -> Result<Resource, ScimError> {
        let input = self.canonical_body(input)?;
        Checker::new(self, compat, Mode::Create, None).run(input)
    }
}

pub(crate) struct Checker<'a> {
    pub(crate) schemas: &'a ResourceSchemas,
    pub(crate) compat: &'a Compat,
    pub(crate) mode: Mode,
    pub(crate) existing: Option<&'a Resource>,
    /// For a resource a PATCH produced, the top-level attributes it changed (scim-patch's
    /// `Outcome::changed_attributes`): the others are the stored ones, checked when stored.
    /// `None`: compare with `existing` to tell.
    pub(crate) changed: Option<&'a [String]>,
}

/// The extension objects being built, in registration order.
pub(crate) type Extensions<'a> = Vec<(&'a Schema, Map<String, Value>)>;

impl<'a> Checker<'a> {
    pub(crate) fn new(
        schemas: &'a ResourceSchemas,
        compat: &'a Compat,
        mode: Mode,
        existing: Option<&'a Resource>,
    ) -> Self {
        Self {
            schemas,
            compat,
            mode,
            existing,
            changed: None,
        }
    }

    /// Whether the top-level attribute `key` of a patched resource holds its stored value.
    pub(crate) fn unchanged(&self, key: &str, value: impl FnOnce() -> bool) -> bool {
        if self.mode != Mode::Patched {
            return false;
        }
        match self.changed {
            Some(changed) => !changed.iter().any(|c| {
                c.get(..key.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(key))
                    && matches!(c.as_bytes().get(key.len()), None | Some(b':'))
            }),
            None => value(),
        }
    }

    pub(crate) fn run(&self, input: Value) -> Result<Resource, ScimError> {
        let kind = self.schemas.kind();
        let Value::Object(input) = input else {
            return Err(ScimError::invalid_syntax(format!(
                "a {kind} must be a JSON object, not {}",
                json_kind(&input)
            )));
        };
        let mut listed: Option<Vec<String>> = None;
        // Sized once: a map that grows rehashes each key again (SipHash, every request).
        let mut core = Map::with_capacity(input.len());
        let mut extensions: Extensions<'a> =
            self.schemas.extensions().map(|s| (s, Map::new())).collect();
        let mut kept = Map::new();

        // A patched resource's attributes the patch left alone were checked when they were
        // stored: they are taken as they are.
        let stored = |key: &str| self.existing.and_then(|e| e.as_json().get(key));
        let unchanged =
            |key: &str, value: &Value| self.unchanged(key, || stored(key) == Some(value));
        for (key, value) in input {
            if key.eq_ignore_ascii_case("schemas") {
                listed = Some(Self::schemas_list(value)?);
            } else if let Some(i) = extension_index(&extensions, &key) {
                match value {
                    Value::Null => {}
                    Value::Object(m)
                        if extensions[i].1.is_empty()
                            && self.unchanged(&key, || {
                                stored(&key).and_then(Value::as_object) == Some(&m)
                            }) =>
                    {
                        extensions[i].1 = m;
                    }
                    Value::Object(m) => {
                        let (schema, out) = &mut extensions[i];
                        for (k, v) in m {
                            self.extension_attribute(schema, out, &k, v)?;
                        }
                    }
                    other => {
                        return Err(ScimError::invalid_value(format!(
                            "extension \"{key}\" must be an object, not {}",
                            json_kind(&other)
                        )));
                    }
                }
            } else if let Some((urn, name)) = split_urn(&key)
                && let Some(i) = extension_index(&extensions, urn)
            {
                let (schema, out) = &mut extensions[i];
                self.extension_attribute(schema, out, name, value)?;
            } else if let Some(attr) = self.core_attribute(&key) {
                if attr.name == key && !core.contains_key(&key) && unchanged(&key, &value) {
                    core.insert(key, value);
                } else {
                    self.top_level(attr, &mut core, value)?;
                }
            } else {
                self.unknown(&mut kept, &key, value, &key)?;
            }
        }

        if self.mode != Mode::Patched {
            self.check_listed(listed.as_deref(), &extensions)?;
        }
        self.carry_and_compare(&mut core, &mut extensions)?;
        self.check_required(&core, &extensions)?;
        Ok(self.assemble(core, extensions, kept))
    }

    fn core_attribute(&self, key: &str) -> Option<&'a Attribute> {
        if let Some(attr) = self.schemas.core_attribute(key) {
            return Some(attr);
        }
        let (urn, name) = split_urn(key)?;
        urn.eq_ignore_ascii_case(&self.schemas.core().id)
            .then(|| self.schemas.core_attribute(name))
            .flatten()
    }

    fn schemas_list(value: Value) -> Result<Vec<String>, ScimError> {
        let bad = || ScimError::invalid_value("\"schemas\" must be an array of schema URNs");
        let Value::Array(items) = value else {
            return Err(bad());
        };
        items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect()
    }

    /// `schemas` must list the core schema and every extension present, unless the policy
    /// tolerates Entra's omissions; unknown URNs follow the unknown-attribute policy.
    fn check_listed(
        &self,
        listed: Option<&[String]>,
        extensions: &Extensions<'a>,
    ) -> Result<(), ScimError> {
        let listed = listed.unwrap_or_default();
        let lenient = self.compat.missing_extension_schemas;
        let has = |urn: &str| listed.iter().any(|s| s.eq_ignore_ascii_case(urn));
        let core = &self.schemas.core().id;
        if !lenient && !has(core) {
            return Err(ScimError::invalid_value(format!(
                "\"schemas\" must contain \"{core}\""
            )));
        }
        for urn in listed {
            let known = urn.eq_ignore_ascii_case(core)
                || self.schemas.extension(urn).is_some()
                || (self.compat.legacy_group_schema
                    && urn.eq_ignore_ascii_case(LEGACY_ADSCIM_GROUP_URN));
            if !known && self.compat.unknown_attributes == UnknownAttributes::Reject {
                return Err(ScimError::invalid_value(format!(
                    "unknown schema \"{urn}\""
                )));
            }
        }
        for (schema, out) in extensions {
            if !out.is_empty() && !lenient && !has(&schema.id) {
                return Err(ScimError::invalid_value(format!(
                    "attributes of \"{}\" are present but \"schemas\" does not list it",
                    schema.id
                )));
            }
        }
        Ok(())
    }

    fn top_level(
        &self,
        attr: &Attribute,
        out: &mut Map<String, Value>,
        value: Value,
    ) -> Result<(), ScimError> {
        if out.contains_key(&attr.name) {
            return Err(ScimError::invalid_syntax(format!(
                "attribute \"{}\" is given twice",
                attr.name
            )));
        }
        if attr.mutability == Mutability::ReadOnly {
            // Ignored on input (RFC 7644 §3.5.1) and carried over from the stored resource;
            // a patched resource keeps it so that a change can be refused.
            if self.mode == Mode::Patched {
                out.insert(attr.name.clone(), value);
            }
            return Ok(());
        }
        if let Some(v) = self.value(attr, value, &attr.name)? {
            out.insert(attr.name.clone(), v);
        }
        Ok(())
    }

    fn extension_attribute(
        &self,
        schema: &Schema,
        out: &mut Map<String, Value>,
        key: &str,
        value: Value,
    ) -> Result<(), ScimError> {
        let path = format!("{}:{key}", schema.id);
        if schema.free_form {
            let valid = key.starts_with(|c: char| c.is_ascii_alphabetic());
            return match value {
                _ if !valid => Err(ScimError::invalid_value(format!(
                    "\"{path}\" is not a valid attribute name"
                ))),
                Value::Null => Ok(()),
                Value::String(_) => {
                    out.insert(key.to_owned(), value);
                    Ok(())
                }
                Value::Number(_) | Value::Bool(_) if schema.coerce_to_string => {
                    out.insert(key.to_owned(), Value::String(value.to_string()));
                    Ok(())
                }
                other => Err(ScimError::invalid_value(format!(
                    "attribute \"{path}\": expected a string, got {}",
                    json_kind(&other)
                ))),
            };
        }
        match schema.attribute(key) {
            Some(attr) => self.top_level(attr, out, value),
            None => self.unknown(out, key, value, &path),
        }
    }

    fn unknown(
        &self,
        out: &mut Map<String, Value>,
        key: &str,
        value: Value,
        path: &str,
    ) -> Result<(), ScimError> {
        match self.compat.unknown_attributes {
            UnknownAttributes::Reject => Err(ScimError::invalid_value(format!(
                "unknown attribute \"{path}\""
            ))),
            UnknownAttributes::Ignore => Ok(()),
            UnknownAttributes::Keep => {
                if !value.is_null() {
                    out.insert(key.to_owned(), value);
                }
                Ok(())
            }
        }
    }

    /// A checked value; `None` when it is unassigned (null, or an empty complex value).
    fn value(
        &self,
        attr: &Attribute,
        value: Value,
        path: &str,
    ) -> Result<Option<Value>, ScimError> {
        if value.is_null() {
            return Ok(None);
        }
        if !attr.multi_valued {
            return self.single(attr, value, path);
        }
        let Value::Array(items) = value else {
            return Err(ScimError::invalid_value(format!(
                "attribute \"{path}\" is multi-valued: expected an array, got {}",
                json_kind(&value)
            )));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = self.single(attr, item, path)? {
                out.push(v);
            }
        }
        let primaries = out
            .iter()
            .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!(
                "attribute \"{path}\": at most one value may be primary, {primaries} are"
            )));
        }
        Ok(Some(Value::Array(out)))
    }

    fn single(
        &self,
        attr: &Attribute,
        value: Value,
        path: &str,
    ) -> Result<Option<Value>, ScimError> {
        if attr.kind != AttrType::Complex {
            return self.scalar(attr, value, path).map(Some);
        }
        match value {
            Value::Null => Ok(None),
            Value::Object(m) => self.complex(attr, m, path),
            Value::String(s)
                if self.compat.patch.complex_from_string
                    && attr.sub_attribute("value").is_some() =>
            {
                Ok((!s.is_empty()).then(|| {
                    let mut m = Map::new();
                    m.insert("value".into(), Value::String(s));
                    Value::Object(m)
                }))
            }
            other => Err(type_error(path, "an object", &other)),
        }
    }

    fn complex(
        &self,
        attr: &Attribute,
        m: Map<String, Value>,
        path: &str,
    ) -> Result<Option<Value>, ScimError> {
        let mut out = Map::new();
        for (key, value) in m {
            let sub_path = format!("{path}.{key}");
            let Some(sub) = ResourceSchemas::sub_of(attr, &key) else {
                self.unknown(&mut out, &key, value, &sub_path)?;
                continue;
            };
            if out.contains_key(&sub.name) {
                return Err(ScimError::invalid_syntax(format!(
                    "attribute \"{path}.{}\" is given twice",
                    sub.name
                )));
            }
            if sub.mutability == Mutability::ReadOnly && self.mode != Mode::Patched {
                continue;
            }
            if let Some(v) = self.value(sub, value, &sub_path)? {
                out.insert(sub.name.clone(), v);
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        if let Some(sub) = attr
            .sub_attributes
            .iter()
            .find(|s| s.required && is_unassigned(out.get(&s.name)))
        {
            return Err(ScimError::invalid_value(format!(
                "attribute \"{path}.{}\" is required",
                sub.name
            )));
        }
        Ok(Some(Value::Object(out)))
    }

    fn scalar(&self, attr: &Attribute, value: Value, path: &str) -> Result<Value, ScimError> {
        let ok = match (&attr.kind, &value) {
            (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(_))
            | (AttrType::Boolean, Value::Bool(_))
            | (AttrType::Decimal, Value::Number(_)) => true,
            (AttrType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (AttrType::Boolean, Value::String(s)) if self.compat.patch.string_booleans => {
                if let Some(b) = string_boolean(s) {
                    return Ok(Value::Bool(b));
                }
                false
            }
            (AttrType::DateTime, Value::String(s)) => {
                if chrono::DateTime::parse_from_rfc3339(s).is_err() {
                    return Err(ScimError::invalid_value(format!(
                        "attribute \"{path}\": \"{s}\" is not an xsd:dateTime such as 2011-05-13T04:42:34Z"
                    )));
                }
                true
            }
            _ => false,
        };
        if !ok {
            let expected = match attr.kind {
                AttrType::Boolean => "a boolean",
                AttrType::Integer => "an integer",
                AttrType::Decimal => "a number",
                _ => "a string",
            };
            return Err(type_error(path, expected, &value));
        }
        if let Value::String(s) = &value
            && (self.compat.enforce_canonical_values || attr.canonical_match.is_some())
            && !attr.canonical_values.is_empty()
        {
            let exact = match attr.canonical_match {
                Some(CanonicalMatch::Exact) => true,
                Some(_) => false,
                None => attr.case_exact,
            };
            let found = attr.canonical_values.iter().find(|c| {
                if exact {
                    *c == s
                } else {
                    c.eq_ignore_ascii_case(s)
                }
            });
            let Some(canonical) = found else {
                return Err(ScimError::invalid_value(format!(
                    "attribute \"{path}\": \"{s}\" is not one of {}",
                    attr.canonical_values.join(", ")
                )));
            };
            if attr.canonical_match == Some(CanonicalMatch::IgnoreCase) {
                return Ok(Value::String(canonical.clone()));
            }
        }
        Ok(value)
    }

    fn check_required(
        &self,
        core: &Map<String, Value>,
        extensions: &Extensions<'a>,
    ) -> Result<(), ScimError> {
        for attr in &self.schemas.core().attributes {
            if attr.required && is_unassigned(core.get(&attr.name)) {
                return Err(ScimError::invalid_value(format!(
                    "attribute \"{}\" is required",
                    attr.name
                )));
            }
        }
        for (entry, (schema, out)) in self.schemas.extension_entries().iter().zip(extensions) {
            if out.is_empty() && !entry.required {
                continue;
            }
            if let Some(attr) = schema
                .attributes
                .iter()
                .find(|a| a.required && is_unassigned(out.get(&a.name)))
            {
                return Err(ScimError::invalid_value(format!(
                    "attribute \"{}:{}\" is required",
                    schema.id, attr.name
                )));
            }
            if out.is_empty() {
                return Err(ScimError::invalid_value(format!(
                    "extension \"{}\" is required",
                    schema.id
                )));
            }
        }
        Ok(())
    }

    fn assemble(
        &self,
        mut core: Map<String, Value>,
        extensions: Extensions<'a>,
        kept: Map<String, Value>,
    ) -> Resource {
        let mut body = Map::with_capacity(core.len() + extensions.len() + kept.len() + 2);
        let mut schemas = vec![Value::from(self.schemas.core().id.as_str())];
        schemas.extend(
            extensions
                .iter()
                .filter(|(_, out)| !out.is_empty())
                .map(|(s, _)| Value::from(s.id.as_str())),
        );
        body.insert("schemas".into(), Value::Array(schemas));
        if let Some(id) = core.shift_remove("id") {
            body.insert("id".into(), id);
        }
        let meta = core.shift_remove("meta");
        body.extend(core);
        for (schema, out) in extensions {
            if !out.is_empty() {
                body.insert(schema.id.clone(), Value::Object(out));
            }
        }
        body.extend(kept);
        if let Some(meta) = meta {
            body.insert("meta".into(), meta);
        }
        Resource::from_map(self.schemas.kind(), body)
    }
}

fn extension_index(extensions: &Extensions<'_>, key: &str) -> Option<usize> {
    extensions
        .iter()
        .position(|(s, _)| s.id.eq_ignore_ascii_case(key))
}

/// `urn:...:User:employeeNumber` to (`urn:...:User`, `employeeNumber`).
fn split_urn(key: &str) -> Option<(&str, &str)> {
    if !key.get(..4)?.eq_ignore_ascii_case("urn:") {
        return None;
    }
    key.rsplit_once(':')
}

pub(crate) fn is_unassigned(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

fn type_error(path: &str, expected: &str, got: &Value) -> ScimError {
    ScimError::invalid_value(format!(
        "attribute \"{path}\": expected {expected}, got {}",
        json_kind(got)
    ))
}
