//! The schema registry: which schemas each resource type has, the attribute lookup scim-filter
//! and scim-patch ask through, and the discovery documents (RFC 7644 §4).

use std::fmt;

use scim_filter::{AttrInfo, AttrType, AttributeLookup, SchemaKind, default_schema_kind};
use serde_json::{Value, json};

use crate::schema::{
    Attribute, GROUP_URN, Schema, SchemaError, USER_URN, common, find, multi_valued_default,
};

/// The resource types a SCIM service serves (serialized as `"User"`, `"Group"`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum ResourceKind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

impl ResourceKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::User, Self::Group];

    /// The resource type's name, as `meta.resourceType` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The endpoint, relative to the base URL (`/Users`).
    pub fn endpoint(self) -> &'static str {
        match self {
            Self::User => "/Users",
            Self::Group => "/Groups",
        }
    }

    /// The URN of the core schema.
    pub fn core_urn(self) -> &'static str {
        match self {
            Self::User => USER_URN,
            Self::Group => GROUP_URN,
        }
    }

    /// The attribute a store keeps unique per tenant, case-insensitively: `userName` for
    /// users, `displayName` for groups.
    pub fn unique_attribute(self) -> &'static str {
        match self {
            Self::User => "userName",
            Self::Group => "displayName",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::User => 0,
            Self::Group => 1,
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource type's schemas: its core schema and the extensions registered for it. It
/// answers scim-filter's [`AttributeLookup`], so filters and patches see the real
/// characteristics (`externalId` is case-exact, `emails` multi-valued...).
#[derive(Debug, Clone)]
pub struct ResourceSchemas {
    kind: ResourceKind,
    description: &'static str,
    pub(crate) core: Schema,
    pub(crate) extensions: Vec<Extension>,
    /// Other names clients may use for attributes: `(alias, canonical name)`.
    pub(crate) aliases: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub(crate) schema: Schema,
    pub(crate) required: bool,
}

/// Where an attribute lives: at the top of a resource or under an extension's URN.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    pub(crate) attr: &'a Attribute,
    /// The extension's URN, for extension attributes.
    pub(crate) extension: Option<&'a str>,
}

impl ResourceSchemas {
    fn new(kind: ResourceKind) -> Self {
        match kind {
            ResourceKind::User => Self {
                kind,
                description: "User Account",
                core: Schema::user(),
                extensions: vec![Extension {
                    schema: Schema::enterprise_user(),
                    required: false,
                }],
                aliases: Vec::new(),
            },
            ResourceKind::Group => Self {
                kind,
                description: "Group",
                core: Schema::group(),
                extensions: Vec::new(),
                aliases: Vec::new(),
            },
        }
    }

    /// The resource type.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// The core schema.
    pub fn core(&self) -> &Schema {
        &self.core
    }

    /// The extension schemas, in registration order.
    pub fn extensions(&self) -> impl Iterator<Item = &Schema> {
        self.extensions.iter().map(|e| &e.schema)
    }

    pub(crate) fn extension_entries(&self) -> &[Extension] {
        &self.extensions
    }

    /// The extension registered under `urn`, matched case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .map(|e| &e.schema)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The definition of the attribute `path` names, with every characteristic (type,
    /// `caseExact`, mutability, uniqueness...): a common attribute (`id`, `externalId`, `meta`
    /// and its sub-attributes), a core one, or an extension's (under its URN, or by name alone
    /// when no core attribute has that name), and the sub-attribute when the path names one
    /// (RFC 7643 §2.4's `value`, `type`, `primary`, `display` and `$ref` included for
    /// multi-valued complex attributes). Names match without regard to case. `None` for what
    /// no schema defines, and for keys of a [free-form](crate::Schema::free_form) extension,
    /// which are single-valued strings without a definition.
    ///
    /// A store or a filter-to-SQL map asks this about every attribute alike:
    ///
    /// ```
    /// use scim_core::{AttrType, Mutability, ResourceKind, SchemaRegistry};
    /// use scim_filter::AttrPath;
    ///
    /// let registry = SchemaRegistry::new();
    /// let users = registry.resource(ResourceKind::User);
    /// let def = |path: &str| users.definition(&AttrPath::parse(path).unwrap()).unwrap();
    /// assert!(def("id").case_exact && def("id").mutability == Mutability::ReadOnly);
    /// assert!(def("externalId").case_exact && def("externalId").mutability == Mutability::ReadWrite);
    /// assert_eq!(def("meta.lastModified").kind, AttrType::DateTime);
    /// assert!(!def("userName").case_exact);
    /// assert_eq!(def("emails.primary").kind, AttrType::Boolean);
    /// assert_eq!(def("employeeNumber").name, "employeeNumber");
    /// ```
    pub fn definition(&self, path: &scim_filter::AttrPath) -> Option<&Attribute> {
        let attr = self.find(path.schema.as_deref(), &path.name)?.attr;
        match &path.sub_attr {
            Some(sub) => Self::sub_of(attr, sub),
            None => Some(attr),
        }
    }

    /// Every top-level attribute a resource of this type may carry, with the URN of the
    /// extension it lives under (`None` for common and core attributes): `id`, `externalId`
    /// and `meta` first, then the core schema's attributes, then each extension's.
    pub fn all_attributes(&self) -> impl Iterator<Item = (Option<&str>, &Attribute)> {
        let core = common()
            .iter()
            .chain(&self.core.attributes)
            .map(|a| (None, a));
        let extensions = self.extensions.iter().flat_map(|e| {
            let urn = e.schema.id.as_str();
            e.schema.attributes.iter().map(move |a| (Some(urn), a))
        });
        core.chain(extensions)
    }

    /// A common (`id`, `externalId`, `meta`) or core attribute.
    pub(crate) fn core_attribute(&self, name: &str) -> Option<&Attribute> {
        find(common(), name).or_else(|| self.core.attribute(name))
    }

    /// A top-level attribute by optional schema URN and name, as filters and paths name them.
    pub(crate) fn find(&self, schema: Option<&str>, name: &str) -> Option<Found<'_>> {
        let core = |attr| Found {
            attr,
            extension: None,
        };
        let name = match schema {
            Some(urn) if !urn.eq_ignore_ascii_case(&self.core.id) => name,
            _ => self.canonical_name(name),
        };
        match schema {
            None => self.core_attribute(name).map(core).or_else(|| {
                self.extensions.iter().find_map(|e| {
                    e.schema.attribute(name).map(|attr| Found {
                        attr,
                        extension: Some(e.schema.id.as_str()),
                    })
                })
            }),
            Some(urn) if urn.eq_ignore_ascii_case(&self.core.id) => {
                self.core_attribute(name).map(core)
            }
            Some(urn) => {
                let ext = self.extension(urn)?;
                ext.attribute(name).map(|attr| Found {
                    attr,
                    extension: Some(ext.id.as_str()),
                })
            }
        }
    }

    /// The sub-attribute `sub` of `parent`, including RFC 7643 §2.4's defaults for
    /// multi-valued attributes.
    pub(crate) fn sub_of<'a>(parent: &'a Attribute, sub: &str) -> Option<&'a Attribute> {
        parent.sub_attribute(sub).or_else(|| {
            (parent.multi_valued && parent.kind == crate::AttrType::Complex)
                .then(|| multi_valued_default(sub))
                .flatten()
        })
    }

    /// The ResourceType discovery document (RFC 7643 §6).
    pub fn resource_type_json(&self, base: &str) -> Value {
        let name = self.kind.as_str();
        let extensions: Vec<Value> = self
            .extensions
            .iter()
            .map(|e| json!({"schema": e.schema.id, "required": e.required}))
            .collect();
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": name,
            "name": name,
            "endpoint": self.kind.endpoint(),
            "description": self.description,
            "schema": self.core.id,
            "schemaExtensions": extensions,
            "meta": {
                "location": format!("{base}/ResourceTypes/{name}"),
                "resourceType": "ResourceType",
            },
        })
    }
}

impl AttributeLookup for ResourceSchemas {
    fn attribute<'a>(&'a self, schema: Option<&'a str>, name: &'a str) -> Option<AttrInfo<'a>> {
        if let Some(urn) = schema
            && let Some(ext) = self.extension(urn)
            && ext.free_form
        {
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic());
            return valid.then(|| AttrInfo::new(name, AttrType::String).extension(&ext.id));
        }
        let found = self.find(schema, name)?;
        let info = found.attr.info();
        Some(match found.extension {
            Some(urn) => info.extension(urn),
            None => info,
        })
    }

    fn sub_attribute<'a>(
        &'a self,
        schema: Option<&'a str>,
        parent: &'a str,
        sub: &'a str,
    ) -> Option<AttrInfo<'a>> {
        let parent = self.find(schema, parent)?.attr;
        Self::sub_of(parent, sub).map(Attribute::info)
    }

    fn schema_kind(&self, urn: &str) -> Option<SchemaKind> {
        if urn.eq_ignore_ascii_case(&self.core.id) {
            Some(SchemaKind::Core)
        } else if self.extension(urn).is_some() {
            Some(SchemaKind::Extension)
        } else {
            default_schema_kind(urn)
        }
    }
}

/// Every schema a service knows, per resource type: RFC 7643's User (with the Enterprise
/// User extension) and Group, plus the extensions an app registers.
///
/// ```
/// use scim_core::{Attribute, AttrType, ResourceKind, Schema, SchemaRegistry};
/// use scim_filter::AttributeLookup;
///
/// let registry = SchemaRegistry::new()
///     .with_extension(
///         ResourceKind::User,
///         Schema::new("urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName", "Custom")
///             .with_attribute(Attribute::new("folders", AttrType::String).multi_valued()),
///         false,
///     )?
///     .with_extension(
///         ResourceKind::User,
///         Schema::free_form("urn:ietf:params:scim:schemas:extension:2.0:Metadata", "Metadata"),
///         false,
///     )?;
///
/// let users = registry.resource(ResourceKind::User);
/// assert!(users.attribute(None, "folders").unwrap().multi_valued);
/// assert!(users.attribute(None, "EXTERNALID").unwrap().case_exact);
/// let key = users.attribute(Some("urn:ietf:params:scim:schemas:extension:2.0:Metadata"), "costCode");
/// assert_eq!(key.unwrap().name, "costCode");
/// # Ok::<(), scim_core::SchemaError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    resources: [ResourceSchemas; 2],
}

impl Default for SchemaRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl SchemaRegistry {
    pub(crate) fn resource_mut(&mut self, kind: ResourceKind) -> &mut ResourceSchemas {
        &mut self.resources[kind.index()]
    }

    /// RFC 7643's User (with the Enterprise User extension) and Group.
    pub fn new() -> Self {
        Self {
            resources: [
                ResourceSchemas::new(ResourceKind::User),
                ResourceSchemas::new(ResourceKind::Group),
            ],
        }
    }

    /// This registry with one more extension for `kind`. `required` extensions must be present
    /// in every resource of that kind. Fails if the schema does not hold together or its URN is
    /// already registered for `kind`.
    pub fn with_extension(
        mut self,
        kind: ResourceKind,
        schema: Schema,
        required: bool,
    ) -> Result<Self, SchemaError> {
        schema.check()?;
        let resource = &mut self.resources[kind.index()];
        if schema.id.eq_ignore_ascii_case(&resource.core.id)
            || resource.extension(&schema.id).is_some()
        {
            return Err(SchemaError::new(format!(
                "schema \"{}\" is already registered for {kind}",
                schema.id
            )));
        }
        resource.extensions.push(Extension { schema, required });
        Ok(self)
    }

    /// [`SchemaRegistry::with_extension`] with the schema given as RFC 7643 §7 JSON.
    pub fn with_extension_json(
        self,
        kind: ResourceKind,
        json: &str,
        required: bool,
    ) -> Result<Self, SchemaError> {
        self.with_extension(kind, Schema::from_json(json)?, required)
    }

    /// The schemas of resource type `kind`.
    pub fn resource(&self, kind: ResourceKind) -> &ResourceSchemas {
        &self.resources[kind.index()]
    }

    /// Every schema, core schemas first, each once.
    pub fn schemas(&self) -> Vec<&Schema> {
        let mut all: Vec<&Schema> = self.resources.iter().map(|r| &r.core).collect();
        for ext in self.resources.iter().flat_map(ResourceSchemas::extensions) {
            if !all.iter().any(|s| s.id.eq_ignore_ascii_case(&ext.id)) {
                all.push(ext);
            }
        }
        all
    }

    /// The schema with URN `urn`, matched case-insensitively.
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas()
            .into_iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }
}

/// What the service supports, for `/ServiceProviderConfig` (RFC 7643 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceProviderConfig {
    /// Documentation URL.
    pub documentation_uri: Option<String>,
    /// Whether `/Bulk` is served.
    pub bulk: bool,
    /// The most operations a bulk request may carry.
    pub bulk_max_operations: usize,
    /// The largest request body, in bytes.
    pub max_payload_size: usize,
    /// The most resources one list response returns.
    pub max_results: usize,
    /// Whether `sortBy` is supported.
    pub sort: bool,
    /// Whether ETags are supported.
    pub etag: bool,
    /// Whether lists page by cursor (RFC 9865) when asked (`cursor=`): on unless the store
    /// cannot ([`StoreCapabilities::cursor_paging`](crate::StoreCapabilities::cursor_paging)).
    pub cursor: bool,
    /// How long a cursor stays valid (RFC 9865 `cursorTimeout`). Cursors hold nothing on
    /// the server; the bound is for clients. Default: one hour.
    pub cursor_timeout: std::time::Duration,
}

impl Default for ServiceProviderConfig {
    fn default() -> Self {
        Self {
            documentation_uri: None,
            bulk: false,
            bulk_max_operations: 1000,
            max_payload_size: 1 << 20,
            max_results: 1000,
            sort: true,
            etag: true,
            cursor: true,
            cursor_timeout: std::time::Duration::from_secs(3600),
        }
    }
}

impl ServiceProviderConfig {
    /// The discovery document; `base` is the service's base URL.
    pub fn to_json(&self, base: &str) -> Value {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {
                "supported": self.bulk,
                "maxOperations": self.bulk_max_operations,
                "maxPayloadSize": self.max_payload_size,
            },
            "filter": {"supported": true, "maxResults": self.max_results},
            "changePassword": {"supported": false},
            "sort": {"supported": self.sort},
            "etag": {"supported": self.etag},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token issued for the tenant.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{base}/ServiceProviderConfig"),
            },
        });
        // RFC 9865 §4: index paging by default (what every client expects), cursors when
        // asked for, pages of at most `max_results` either way.
        let mut pagination = json!({
            "cursor": self.cursor,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": self.max_results,
            "maxPageSize": self.max_results,
        });
        if self.cursor {
            pagination["cursorTimeout"] = Value::from(self.cursor_timeout.as_secs());
        }
        body["pagination"] = pagination;
        if let Some(uri) = &self.documentation_uri {
            body["documentationUri"] = Value::from(uri.as_str());
        }
        body
    }
}
