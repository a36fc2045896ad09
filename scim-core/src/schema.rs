//! The RFC 7643 schema model: attributes and their characteristics, the built-in User, Group
//! and EnterpriseUser schemas of §8.7.1, and app-defined extensions.

use std::sync::OnceLock;

use scim_filter::{AttrInfo, AttrType};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The URN of the core User schema.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The URN of the core Group schema.
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The URN of the Enterprise User extension.
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The group schema URI Entra sent before 2018, tolerated by the `entra` policy.
pub const LEGACY_ADSCIM_GROUP_URN: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
/// The URN of the schema that describes schemas (discovery).
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Whether and when an attribute may be written (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider; client values are ignored.
    ReadOnly,
    /// Written freely.
    #[default]
    ReadWrite,
    /// Set once (at creation or while unset), never changed afterwards.
    Immutable,
    /// Written but never returned (a password).
    WriteOnly,
}

/// When an attribute appears in responses (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always, even when `attributes` or `excludedAttributes` say otherwise.
    Always,
    /// Never.
    Never,
    /// Unless excluded, or unless `attributes` names others only.
    #[default]
    Default,
    /// Only when `attributes` names it.
    Request,
}

/// How unique an attribute's value must be (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No constraint.
    #[default]
    None,
    /// Unique within the service provider (the tenant, here).
    Server,
    /// Globally unique.
    Global,
}

/// How an attribute's canonical values are enforced ([`Attribute::canonical_match`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CanonicalMatch {
    /// Exactly as listed: `Premium`, not `premium`.
    Exact,
    /// Without regard to case; the listed spelling is stored.
    IgnoreCase,
}

/// One attribute (or sub-attribute) definition with every RFC 7643 §7 characteristic.
///
/// ```
/// use scim_core::{Attribute, AttrType, Mutability};
///
/// let badge = Attribute::new("badge", AttrType::Integer)
///     .description("Badge number.")
///     .mutability(Mutability::Immutable);
/// assert!(!badge.multi_valued && !badge.required);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Attribute {
    /// The name, as responses spell it.
    pub name: String,
    /// The data type.
    #[serde(rename = "type")]
    pub kind: AttrType,
    /// Whether the attribute holds a list of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// Human-readable description.
    #[serde(default)]
    pub description: String,
    /// Whether a resource must carry a value.
    #[serde(default)]
    pub required: bool,
    /// Whether string values compare case-sensitively.
    #[serde(default)]
    pub case_exact: bool,
    /// Suggested values (enforced only when the policy asks for it, or
    /// [`Attribute::canonical_match`] says so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether the app enforces the canonical values, and how they match: a value that is
    /// none of them is `400`; matched without regard to case, the canonical spelling is
    /// stored. `None`: as the compatibility policy says (`enforce_canonical_values`).
    #[serde(skip)]
    pub canonical_match: Option<CanonicalMatch>,
    /// For references: the resource types or `external`/`uri` it may point to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// When it may be written.
    #[serde(default)]
    pub mutability: Mutability,
    /// When it is returned.
    #[serde(default)]
    pub returned: Returned,
    /// How unique its values must be.
    #[serde(default)]
    pub uniqueness: Uniqueness,
    /// For complex attributes: the sub-attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<Self>,
}

impl Attribute {
    /// A single-valued, optional, case-insensitive, readWrite attribute returned by default.
    pub fn new(name: impl Into<String>, kind: AttrType) -> Self {
        Self {
            name: name.into(),
            kind,
            multi_valued: false,
            description: String::new(),
            required: false,
            case_exact: false,
            canonical_values: Vec::new(),
            canonical_match: None,
            reference_types: Vec::new(),
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: Vec::new(),
        }
    }

    /// This attribute, multi-valued.
    #[must_use]
    pub fn multi_valued(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// This attribute, required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// This attribute, compared case-sensitively.
    #[must_use]
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// This attribute with a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// This attribute with another mutability.
    #[must_use]
    pub fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// This attribute with another `returned` characteristic.
    #[must_use]
    pub fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    /// This attribute with another uniqueness.
    #[must_use]
    pub fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    /// This attribute with canonical values.
    #[must_use]
    pub fn canonical_values<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        values: I,
    ) -> Self {
        self.canonical_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// This attribute with reference types.
    #[must_use]
    pub fn reference_types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, types: I) -> Self {
        self.reference_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// This complex attribute with its sub-attributes.
    #[must_use]
    pub fn sub_attributes(mut self, subs: Vec<Self>) -> Self {
        self.sub_attributes = subs;
        self
    }

    /// The sub-attribute `name`, matched case-insensitively.
    pub fn sub_attribute(&self, name: &str) -> Option<&Self> {
        find(&self.sub_attributes, name)
    }

    /// What scim-filter and scim-patch need to know about this attribute.
    pub fn info(&self) -> AttrInfo<'_> {
        AttrInfo::new(&self.name, self.kind)
            .multi_valued(self.multi_valued)
            .case_exact(self.case_exact)
    }

    pub(crate) fn check(&self, depth: u8) -> Result<(), SchemaError> {
        let name = self.name.as_str();
        if !valid_name(name) {
            return Err(SchemaError::new(format!(
                "\"{name}\" is not a valid attribute name"
            )));
        }
        match (self.kind, self.sub_attributes.is_empty()) {
            (AttrType::Complex, true) => Err(SchemaError::new(format!(
                "complex attribute \"{name}\" has no sub-attributes"
            ))),
            (AttrType::Complex, false) if depth > 0 => Err(SchemaError::new(format!(
                "sub-attribute \"{name}\" is complex: RFC 7643 §2.3.8 forbids nesting"
            ))),
            (AttrType::Complex, false) => {
                check_unique(&self.sub_attributes)?;
                self.sub_attributes
                    .iter()
                    .try_for_each(|a| a.check(depth + 1))
            }
            (_, false) => Err(SchemaError::new(format!(
                "attribute \"{name}\" has sub-attributes but is not complex"
            ))),
            (_, true) => Ok(()),
        }
    }
}

/// RFC 7643 §2.1 ATTRNAME (`ALPHA *(nameChar)`), plus `$ref`.
fn valid_name(name: &str) -> bool {
    name == "$ref"
        || name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn find<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn check_unique(attrs: &[Attribute]) -> Result<(), SchemaError> {
    for (i, a) in attrs.iter().enumerate() {
        if find(&attrs[..i], &a.name).is_some() {
            return Err(SchemaError::new(format!(
                "attribute \"{}\" is defined twice",
                a.name
            )));
        }
    }
    Ok(())
}

/// A schema (RFC 7643 §7): a URN, a name and attribute definitions.
///
/// An app declares its extensions in code or from JSON, under any URN:
///
/// ```
/// use scim_core::{Attribute, AttrType, Schema};
///
/// let custom = Schema::new(
///     "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
///     "CustomExtension",
/// )
/// .with_attribute(Attribute::new("tag", AttrType::String))
/// .with_attribute(Attribute::new("folders", AttrType::String).multi_valued());
///
/// let same = Schema::from_json(r#"{
///     "id": "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
///     "name": "CustomExtension",
///     "attributes": [
///         {"name": "tag", "type": "string"},
///         {"name": "folders", "type": "string", "multiValued": true}
///     ]
/// }"#)?;
/// assert_eq!(custom, same);
/// # Ok::<(), scim_core::SchemaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Schema {
    /// The URN.
    pub id: String,
    /// A short name.
    #[serde(default)]
    pub name: String,
    /// Human-readable description.
    #[serde(default)]
    pub description: String,
    /// The attribute definitions.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// A free-form namespace: any key is a single-valued string attribute. In a schema file,
    /// `"freeForm": true` (not an RFC 7643 key).
    #[serde(default, rename = "freeForm", skip_serializing)]
    pub free_form: bool,
    /// For a free-form namespace: numbers and booleans a client sends are stored as strings
    /// (`7` as `"7"`) rather than refused. In a schema file, `"coerceToString": true`.
    #[serde(default, rename = "coerceToString", skip_serializing)]
    pub coerce_to_string: bool,
}

impl Schema {
    /// An empty schema named `name` under `urn`.
    pub fn new(urn: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: urn.into(),
            name: name.into(),
            description: String::new(),
            attributes: Vec::new(),
            free_form: false,
            coerce_to_string: false,
        }
    }

    /// A free-form namespace such as `urn:ietf:params:scim:schemas:extension:2.0:Metadata`:
    /// every key a client writes under it is a single-valued, case-insensitive string
    /// attribute (`urn:...:Metadata:{key}`).
    pub fn free_form(urn: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            free_form: true,
            ..Self::new(urn, name)
        }
    }

    /// This free-form schema storing numbers and booleans as strings (`7` as `"7"`), as a
    /// product that promises "our platform converts it to a string" does.
    #[must_use]
    pub fn coercing_to_strings(mut self) -> Self {
        self.coerce_to_string = true;
        self
    }

    /// This schema with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// This schema with one more attribute.
    #[must_use]
    pub fn with_attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// A schema from its RFC 7643 §7 JSON representation (discovery format). Characteristics
    /// left out take the RFC 7643 §2.2 defaults.
    pub fn from_json(json: &str) -> Result<Self, SchemaError> {
        let schema: Self = serde_json::from_str(json)
            .map_err(|e| SchemaError::new(format!("invalid schema JSON: {e}")))?;
        schema.check()?;
        Ok(schema)
    }

    /// Checks the definitions: a URN id, valid and distinct names, sub-attributes exactly for
    /// complex attributes and never nested.
    pub fn check(&self) -> Result<(), SchemaError> {
        if !self.id.starts_with("urn:") || self.id.len() < 6 {
            return Err(SchemaError::new(format!(
                "schema id \"{}\" is not a URN",
                self.id
            )));
        }
        check_unique(&self.attributes)?;
        self.attributes.iter().try_for_each(|a| a.check(0))
    }

    /// The top-level attribute `name`, matched case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        find(&self.attributes, name)
    }

    /// The core User schema, exactly as RFC 7643 §8.7.1 gives it.
    pub fn user() -> Self {
        builtin().user.clone()
    }

    /// The core Group schema, exactly as RFC 7643 §8.7.1 gives it.
    pub fn group() -> Self {
        builtin().group.clone()
    }

    /// The Enterprise User extension, exactly as RFC 7643 §8.7.1 gives it.
    pub fn enterprise_user() -> Self {
        builtin().enterprise.clone()
    }

    /// The discovery representation served at `/Schemas/{urn}`; `base` is the service's base
    /// URL (`https://example.com/scim/v2`) for `meta.location`.
    pub fn to_json(&self, base: &str) -> Value {
        let mut body = json!({
            "schemas": [SCHEMA_URN],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes,
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base}/Schemas/{}", self.id),
            },
        });
        if self.free_form {
            body["description"] = Value::from(format!(
                "{} Free-form: every key is a single-valued string attribute.",
                self.description
            ));
        }
        body
    }
}

/// A schema definition that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(String);

impl SchemaError {
    pub(crate) fn new(detail: impl Into<String>) -> Self {
        Self(detail.into())
    }
}

struct Builtin {
    user: Schema,
    group: Schema,
    enterprise: Schema,
    common: Vec<Attribute>,
    multi_defaults: Vec<Attribute>,
}

fn builtin() -> &'static Builtin {
    static BUILTIN: OnceLock<Builtin> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let parse = |json: &str| Schema::from_json(json).expect("the RFC 7643 schemas are valid");
        Builtin {
            user: parse(include_str!("schemas/user.json")),
            group: parse(include_str!("schemas/group.json")),
            enterprise: parse(include_str!("schemas/enterprise_user.json")),
            common: common_attributes(),
            multi_defaults: multi_valued_defaults(),
        }
    })
}

/// `id`, `externalId` and `meta` (RFC 7643 §3.1), which every resource has and no schema lists.
pub(crate) fn common() -> &'static [Attribute] {
    &builtin().common
}

/// The sub-attributes every multi-valued attribute may carry (RFC 7643 §2.4): `type`,
/// `primary`, `display`, `value`, `$ref`.
pub(crate) fn multi_valued_default(name: &str) -> Option<&'static Attribute> {
    find(&builtin().multi_defaults, name)
}

fn common_attributes() -> Vec<Attribute> {
    use AttrType::{Complex, DateTime, Reference, String as Str};
    let read_only = |name: &str, kind| Attribute::new(name, kind).mutability(Mutability::ReadOnly);
    vec![
        read_only("id", Str)
            .case_exact()
            .returned(Returned::Always)
            .uniqueness(Uniqueness::Server)
            .description("A unique identifier for a SCIM resource as defined by the service provider."),
        Attribute::new("externalId", Str)
            .case_exact()
            .description("A String that is an identifier for the resource as defined by the provisioning client."),
        read_only("meta", Complex)
            .description("A complex attribute containing resource metadata.")
            .sub_attributes(vec![
                read_only("resourceType", Str).case_exact(),
                read_only("created", DateTime),
                read_only("lastModified", DateTime),
                read_only("location", Reference).case_exact(),
                read_only("version", Str).case_exact(),
            ]),
    ]
}

fn multi_valued_defaults() -> Vec<Attribute> {
    use AttrType::{Boolean, Reference, String as Str};
    vec![
        Attribute::new("type", Str),
        Attribute::new("primary", Boolean),
        Attribute::new("display", Str),
        Attribute::new("value", Str),
        Attribute::new("$ref", Reference),
    ]
}
