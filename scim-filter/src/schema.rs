//! What the evaluator (and `scim-patch`) need to know about attributes, asked through a small
//! trait so that this crate never depends on a schema model. `scim-core`'s schema registry
//! implements it; [`NoSchema`] gives the defaults.

/// The data type of an attribute (RFC 7643 §2.3). Serialized as RFC 7643 §7 spells it
/// (`"string"`, `"dateTime"`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum AttrType {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `decimal`.
    Decimal,
    /// `integer`.
    Integer,
    /// `dateTime` (`xsd:dateTime`, compared as instants).
    DateTime,
    /// `binary` (base64; always compared case-exactly).
    Binary,
    /// `reference` (a URI).
    Reference,
    /// `complex`: an object of sub-attributes.
    Complex,
}

/// What a schema says about one attribute or sub-attribute.
///
/// ```
/// use scim_filter::{AttrInfo, AttrType};
///
/// let emails = AttrInfo::new("emails", AttrType::Complex).multi_valued(true);
/// assert!(emails.multi_valued && !emails.case_exact && emails.extension.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttrInfo<'a> {
    /// The attribute's name as the schema spells it (`userName` for a client's `USERNAME`).
    pub name: &'a str,
    /// Its data type.
    pub kind: AttrType,
    /// Whether it holds a list of values.
    pub multi_valued: bool,
    /// Whether string comparisons are case-sensitive.
    pub case_exact: bool,
    /// For a top-level attribute of a schema extension, the extension's URN: the attribute
    /// then lives in the resource under that key
    /// (`"urn:...:enterprise:2.0:User": {"employeeNumber": ...}`). `None` for core attributes
    /// and for sub-attributes.
    pub extension: Option<&'a str>,
}

impl<'a> AttrInfo<'a> {
    /// A single-valued, case-insensitive core attribute named `name` of type `kind`.
    pub fn new(name: &'a str, kind: AttrType) -> Self {
        Self {
            name,
            kind,
            multi_valued: false,
            case_exact: false,
            extension: None,
        }
    }

    /// This attribute, multi-valued or not.
    #[must_use]
    pub fn multi_valued(mut self, multi_valued: bool) -> Self {
        self.multi_valued = multi_valued;
        self
    }

    /// This attribute, with case-sensitive string comparison or not.
    #[must_use]
    pub fn case_exact(mut self, case_exact: bool) -> Self {
        self.case_exact = case_exact;
        self
    }

    /// This attribute, living under the extension `urn` in a resource.
    #[must_use]
    pub fn extension(mut self, urn: &'a str) -> Self {
        self.extension = Some(urn);
        self
    }
}

/// Whether a schema URN's attributes sit at the top of a resource or under the URN's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// A resource's core schema (`urn:ietf:params:scim:schemas:core:2.0:User`): its attributes
    /// are top-level members of the resource.
    Core,
    /// A schema extension: its attributes live in an object under the URN's key.
    Extension,
}

/// Answers questions about attributes, for evaluating filters and applying patches.
///
/// A `None` answer means "not known": callers then use defaults (strings compared
/// case-insensitively, types taken from the JSON values, names as written). Attribute names
/// are matched case-insensitively by implementations.
///
/// ```
/// use scim_filter::{AttrInfo, AttrType, AttributeLookup, Filter};
/// use serde_json::json;
///
/// /// `id` is case-exact; everything else takes the defaults.
/// struct Ids;
///
/// impl AttributeLookup for Ids {
///     fn attribute<'a>(&'a self, _schema: Option<&'a str>, name: &'a str) -> Option<AttrInfo<'a>> {
///         name.eq_ignore_ascii_case("id")
///             .then(|| AttrInfo::new("id", AttrType::String).case_exact(true))
///     }
///     fn sub_attribute<'a>(&'a self, _: Option<&'a str>, _: &'a str, _: &'a str) -> Option<AttrInfo<'a>> {
///         None
///     }
/// }
///
/// let user = json!({"id": "Abc", "userName": "Bjensen"});
/// let by_id = Filter::parse(r#"id eq "abc""#)?;
/// let by_name = Filter::parse(r#"userName eq "bjensen""#)?;
/// assert!(!by_id.matches_with(&user, &Ids));
/// assert!(by_name.matches_with(&user, &Ids));
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
pub trait AttributeLookup {
    /// The top-level attribute `name`, in the schema `schema` when the path named one, else in
    /// the resource's core schema or, where unambiguous, one of its extensions.
    ///
    /// The answer may borrow from the arguments as well as from the lookup: a free-form
    /// namespace (every key a string attribute) answers with the name as the client wrote it.
    fn attribute<'a>(&'a self, schema: Option<&'a str>, name: &'a str) -> Option<AttrInfo<'a>>;

    /// The sub-attribute `sub` of the top-level attribute `parent`.
    fn sub_attribute<'a>(
        &'a self,
        schema: Option<&'a str>,
        parent: &'a str,
        sub: &'a str,
    ) -> Option<AttrInfo<'a>>;

    /// Whether `urn` names a schema, and which kind. The default recognises the URNs of
    /// RFC 7643 and the usual extension spellings: a `urn:` whose second-to-last segment is a
    /// version (`...:core:2.0:User`, `...:enterprise:2.0:User`,
    /// `...:extension:2.0:CustomExtensionName`, `...:CustomExtensionName:2.0:User`); those with
    /// a `:core:` segment are core schemas.
    fn schema_kind(&self, urn: &str) -> Option<SchemaKind> {
        default_schema_kind(urn)
    }
}

/// The schema-less defaults: every question answered "not known".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoSchema;

impl AttributeLookup for NoSchema {
    fn attribute<'a>(&'a self, _: Option<&'a str>, _: &'a str) -> Option<AttrInfo<'a>> {
        None
    }

    fn sub_attribute<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
    ) -> Option<AttrInfo<'a>> {
        None
    }
}

impl<L: AttributeLookup + ?Sized> AttributeLookup for &L {
    fn attribute<'a>(&'a self, schema: Option<&'a str>, name: &'a str) -> Option<AttrInfo<'a>> {
        (**self).attribute(schema, name)
    }

    fn sub_attribute<'a>(
        &'a self,
        schema: Option<&'a str>,
        parent: &'a str,
        sub: &'a str,
    ) -> Option<AttrInfo<'a>> {
        (**self).sub_attribute(schema, parent, sub)
    }

    fn schema_kind(&self, urn: &str) -> Option<SchemaKind> {
        (**self).schema_kind(urn)
    }
}

/// The heuristic behind [`AttributeLookup::schema_kind`]'s default.
///
/// ```
/// use scim_filter::{SchemaKind, default_schema_kind};
///
/// assert_eq!(default_schema_kind("urn:ietf:params:scim:schemas:core:2.0:User"), Some(SchemaKind::Core));
/// assert_eq!(default_schema_kind("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), Some(SchemaKind::Extension));
/// assert_eq!(default_schema_kind("urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName"), Some(SchemaKind::Extension));
/// // An attribute of an extension, not a schema:
/// assert_eq!(default_schema_kind("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"), None);
/// ```
pub fn default_schema_kind(urn: &str) -> Option<SchemaKind> {
    if !urn.get(..4)?.eq_ignore_ascii_case("urn:") {
        return None;
    }
    let mut segments = urn.rsplit(':');
    let last = segments.next()?;
    let version = segments.next()?;
    let is_version = !version.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !is_version || last.is_empty() {
        return None;
    }
    let core = urn
        .split(':')
        .any(|segment| segment.eq_ignore_ascii_case("core"));
    Some(if core {
        SchemaKind::Core
    } else {
        SchemaKind::Extension
    })
}
