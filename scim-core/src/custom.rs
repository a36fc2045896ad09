//! Schemas made to fit an app: other names for attributes (a product documenting
//! `email[type eq "work"].value`), and stricter characteristics on any attribute (a
//! required email, a `userType` that is exactly `Premium` or `Standard`).

use scim_filter::AttrPath;
use serde_json::{Map, Value};

use crate::{Attribute, ResourceKind, ResourceSchemas, SchemaError, SchemaRegistry, ScimError};

impl SchemaRegistry {
    /// This registry where, for `kind`, clients may name the attribute `canonical` as
    /// `alias` (case-insensitively): in request bodies, PATCH paths and values, and filters.
    /// Responses always use the canonical name; discovery lists only it. Off by default: an
    /// unknown name is a clear `400`, and an alias is the app's opt-in for the names its own
    /// documentation uses.
    ///
    /// ```
    /// use scim_core::{Compat, ResourceKind, SchemaRegistry};
    /// use serde_json::json;
    ///
    /// let registry = SchemaRegistry::new()
    ///     .with_alias(ResourceKind::User, "email", "emails")?
    ///     .with_alias(ResourceKind::User, "phoneNumber", "phoneNumbers")?;
    /// let user = registry.resource(ResourceKind::User).validate_create(
    ///     json!({"userName": "bjensen", "email": [{"type": "work", "value": "b@example.com"}]}),
    ///     &Compat::entra(),
    /// )?;
    /// assert_eq!(user.get("emails").unwrap()[0]["value"], "b@example.com");
    /// assert!(user.get("email").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_alias(
        mut self,
        kind: ResourceKind,
        alias: &str,
        canonical: &str,
    ) -> Result<Self, SchemaError> {
        let schemas = self.resource_mut(kind);
        let Some(found) = schemas.find(None, canonical) else {
            return Err(SchemaError::new(format!(
                "{kind} has no attribute \"{canonical}\" to give the alias \"{alias}\""
            )));
        };
        let canonical = found.attr.name.clone();
        if schemas.find(None, alias).is_some() || alias.contains([':', '.', '[']) {
            return Err(SchemaError::new(format!(
                "\"{alias}\" cannot be an alias: it names an attribute of {kind} already, or is \
                 not a plain name"
            )));
        }
        schemas.aliases.push((alias.to_owned(), canonical));
        Ok(self)
    }

    /// This registry with the definition of `kind`'s attribute `path` (`emails`,
    /// `name.givenName`, `userType`, or an extension's `urn:...:attr`) changed by `change`:
    /// make it required, give it canonical values to enforce, make it case-exact. The change
    /// applies wherever the definition counts: validation, filters, discovery.
    ///
    /// ```
    /// use scim_core::{CanonicalMatch, Compat, ResourceKind, SchemaRegistry};
    /// use serde_json::json;
    ///
    /// let registry = SchemaRegistry::new()
    ///     .with_attribute_change(ResourceKind::User, "emails", |a| a.required = true)?
    ///     .with_attribute_change(ResourceKind::User, "userType", |a| {
    ///         a.canonical_values = vec!["Premium".into(), "Standard".into()];
    ///         a.canonical_match = Some(CanonicalMatch::Exact);
    ///     })?;
    /// let users = registry.resource(ResourceKind::User);
    /// let no_email = users.validate_create(json!({"userName": "a"}), &Compat::entra());
    /// assert_eq!(no_email.unwrap_err().detail(), "attribute \"emails\" is required");
    /// let basic = json!({"userName": "a", "emails": [{"value": "a@example.com"}], "userType": "Basic"});
    /// let refused = users.validate_create(basic, &Compat::entra()).unwrap_err();
    /// assert_eq!(refused.detail(), "attribute \"userType\": \"Basic\" is not one of Premium, Standard");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_attribute_change(
        mut self,
        kind: ResourceKind,
        path: &str,
        change: impl FnOnce(&mut Attribute),
    ) -> Result<Self, SchemaError> {
        let parsed = AttrPath::parse(path)
            .map_err(|e| SchemaError::new(format!("\"{path}\" is not an attribute path: {e}")))?;
        let schemas = self.resource_mut(kind);
        let attr = schemas.definition_mut(&parsed).ok_or_else(|| {
            SchemaError::new(format!("{kind} has no attribute \"{path}\" to change"))
        })?;
        change(attr);
        attr.check(0)?;
        Ok(self)
    }
}

impl ResourceSchemas {
    /// The name resources keep the attribute `name` under: `name` itself, unless the app
    /// made it an alias ([`SchemaRegistry::with_alias`]). A store that reads attributes by
    /// name (a filter's keys, its own indexes) resolves them with it; the definitions
    /// ([`ResourceSchemas::definition`], the filter lookup) already do.
    ///
    /// ```
    /// use scim_core::{ResourceKind, SchemaRegistry};
    ///
    /// let registry = SchemaRegistry::new().with_alias(ResourceKind::User, "email", "emails")?;
    /// let users = registry.resource(ResourceKind::User);
    /// assert_eq!(users.canonical_name("EMAIL"), "emails");
    /// assert_eq!(users.canonical_name("userName"), "userName");
    /// # Ok::<(), scim_core::SchemaError>(())
    /// ```
    pub fn canonical_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
            .map_or(name, |(_, canonical)| canonical.as_str())
    }

    /// The definition `path` names, to change. Common attributes (`id`, `meta`) are the
    /// protocol's and cannot be changed.
    fn definition_mut(&mut self, path: &AttrPath) -> Option<&mut Attribute> {
        let name = self.canonical_name(&path.name).to_owned();
        let in_core = path
            .schema
            .as_deref()
            .is_none_or(|urn| urn.eq_ignore_ascii_case(&self.core.id));
        let top = if in_core
            && let Some(i) = self
                .core
                .attributes
                .iter()
                .position(|a| a.name.eq_ignore_ascii_case(&name))
        {
            &mut self.core.attributes[i]
        } else {
            let extension = self.extensions.iter_mut().find(|e| match &path.schema {
                Some(urn) => e.schema.id.eq_ignore_ascii_case(urn),
                None => e.schema.attribute(&name).is_some(),
            })?;
            extension
                .schema
                .attributes
                .iter_mut()
                .find(|a| a.name.eq_ignore_ascii_case(&name))?
        };
        match &path.sub_attr {
            None => Some(top),
            Some(sub) => top
                .sub_attributes
                .iter_mut()
                .find(|a| a.name.eq_ignore_ascii_case(sub)),
        }
    }

    /// `body` with aliased keys renamed to their canonical names; a body that names one
    /// attribute twice (by its alias and its name) is refused, rather than one value
    /// silently winning.
    pub(crate) fn canonical_body(&self, body: Value) -> Result<Value, ScimError> {
        let Value::Object(map) = body else {
            return Ok(body);
        };
        if self.aliases.is_empty() {
            return Ok(Value::Object(map));
        }
        let mut out = Map::with_capacity(map.len());
        // The name each kept attribute was sent under, to name both in a refusal.
        let mut sent: Vec<String> = Vec::with_capacity(map.len());
        for (key, value) in map {
            let canonical = self.canonical_name(&key).to_owned();
            if let Some(i) = out.keys().position(|k| k.eq_ignore_ascii_case(&canonical)) {
                return Err(ScimError::invalid_value(format!(
                    "\"{}\" and \"{key}\" name the same attribute: send it once",
                    sent[i]
                )));
            }
            out.insert(canonical, value);
            sent.push(key);
        }
        Ok(Value::Object(out))
    }
}
