//! The filter and path AST: plain data that prints back as canonical text.
//!
//! Every type here implements [`Display`](fmt::Display), and printing is the inverse of parsing:
//! for any value `x` built by the parser (or built by hand respecting the invariants documented
//! on each type), `T::parse(&x.to_string()) == Ok(x)`.
//!
//! Canonical text uses lower-case keywords and operators (`and`, `or`, `not`, `eq`, `pr`), one
//! space between tokens, parentheses only where precedence needs them, JSON spelling for values,
//! and attribute names exactly as they were written (names compare case-insensitively, so the
//! parser keeps the client's spelling rather than guessing a canonical one).

use std::fmt::{self, Write as _};

use serde_json::Number;

/// A SCIM filter (RFC 7644 §3.4.2.2), as found in the `filter` query parameter or inside a
/// value path.
///
/// Logical chains are n-ary: `a and b and c` is one [`Filter::And`] with three parts. Parentheses
/// in the source are not kept as nodes, but a parenthesised chain stays a separate node, so
/// `a and (b and c)` is `And([a, And([b, c])])` and prints back the same way.
///
/// ```
/// use scim_filter::{CompValue, CompareOp, Filter};
///
/// let filter: Filter = r#"userName Eq "bjensen" AND not (title pr)"#.parse()?;
/// let Filter::And(parts) = &filter else { panic!("an and-chain") };
/// assert!(matches!(&parts[0], Filter::Compare { op: CompareOp::Eq, value: CompValue::String(s), .. } if s == "bjensen"));
/// assert_eq!(filter.to_string(), r#"userName eq "bjensen" and not (title pr)"#);
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `attrPath op value`, e.g. `userName eq "bjensen"`.
    Compare {
        /// The attribute compared.
        attr: AttrPath,
        /// The comparison operator.
        op: CompareOp,
        /// The literal the attribute is compared with.
        value: CompValue,
    },
    /// `attrPath pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `attrPath[valFilter]`: one element of a multi-valued attribute satisfies the whole inner
    /// filter.
    ValuePath(ValuePath),
    /// `not (filter)`.
    Not(Box<Self>),
    /// `a and b and ...`, at least two parts.
    And(Vec<Self>),
    /// `a or b or ...`, at least two parts.
    Or(Vec<Self>),
}

/// An attribute path: `[schemaURN ":"] name ["." subAttr]` (RFC 7644 §3.10).
///
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` has the schema
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, the name `manager` and the
/// sub-attribute `value`. The schema is everything before the last colon, so URNs keep their
/// dots (`2.0`) and colons.
///
/// A bare schema URN (a PATCH path naming a whole extension) parses as a path whose `name` is
/// the URN's last segment; [`AttrPath::urn`] gives the full text back, for a caller that knows
/// which URNs are schemas (see [`AttributeLookup::schema_kind`](crate::AttributeLookup::schema_kind)).
///
/// ```
/// use scim_filter::AttrPath;
///
/// let path = AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")?;
/// assert_eq!(path.schema.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
/// assert_eq!(path.name, "manager");
/// assert_eq!(path.sub_attr.as_deref(), Some("value"));
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, without the colon that separates it from the name.
    pub schema: Option<String>,
    /// The attribute name: a letter (or `$`, for `$ref`) followed by letters, digits, `-`, `_`.
    pub name: String,
    /// The sub-attribute name, for paths into a complex attribute.
    pub sub_attr: Option<String>,
}

/// `attrPath[valFilter]`: a filter over the elements of a (usually multi-valued, complex)
/// attribute. Attribute paths inside `filter` are relative to one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePath {
    /// The attribute whose elements are filtered.
    pub attr: AttrPath,
    /// The condition one element must satisfy. It contains no value path of its own.
    pub filter: Box<Filter>,
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2): `attrPath` or `valuePath ["." subAttr]`.
///
/// ```
/// use scim_filter::PatchPath;
///
/// let path = PatchPath::parse(r#"emails[type eq "work"].value"#)?;
/// assert_eq!(path.attr.name, "emails");
/// assert_eq!(path.filter.as_ref().map(|f| f.to_string()).as_deref(), Some(r#"type eq "work""#));
/// assert_eq!(path.sub_attr.as_deref(), Some("value"));
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    /// The attribute. Without a filter it may carry a sub-attribute (`name.givenName`); with a
    /// filter it does not (the sub-attribute then follows the brackets, in `sub_attr`).
    pub attr: AttrPath,
    /// The value filter in brackets, if any.
    pub filter: Option<Filter>,
    /// The sub-attribute after the brackets (`emails[type eq "work"].value`). Always `None`
    /// when `filter` is `None`.
    pub sub_attr: Option<String>,
}

/// A comparison operator. `pr` is not one: it takes no value and is [`Filter::Present`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

/// A literal in a comparison: `false`, `null`, `true`, a JSON number or a JSON string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number. Integers that fit `i64`/`u64` stay exact; others are `f64`.
    Number(Number),
    /// A JSON string, unescaped.
    String(String),
}

impl CompareOp {
    /// All nine operators, in the order of RFC 7644 Table 3 (without `pr`).
    pub const ALL: [Self; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
    ];

    /// The operator's canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// Whether the operator orders values (`gt`, `ge`, `lt`, `le`).
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }

    /// Whether the operator is a substring test (`co`, `sw`, `ew`).
    pub fn is_substring(self) -> bool {
        matches!(self, Self::Co | Self::Sw | Self::Ew)
    }
}

impl AttrPath {
    /// A path to a top-level attribute, with no schema and no sub-attribute.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            schema: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// This path with the given schema URN prefix.
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// This path with the given sub-attribute.
    #[must_use]
    pub fn with_sub_attr(mut self, sub_attr: impl Into<String>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// The full URN `schema:name`, when the path has a schema and no sub-attribute: what a
    /// bare schema URN such as `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
    /// parses to, split at its last colon.
    pub fn urn(&self) -> Option<String> {
        match (&self.schema, &self.sub_attr) {
            (Some(schema), None) => Some(format!("{schema}:{}", self.name)),
            _ => None,
        }
    }
}

impl Filter {
    /// `attr op value`.
    pub fn compare(attr: AttrPath, op: CompareOp, value: impl Into<CompValue>) -> Self {
        Self::Compare {
            attr,
            op,
            value: value.into(),
        }
    }

    /// The number of comparisons and presence tests in the filter.
    pub fn term_count(&self) -> usize {
        match self {
            Self::Compare { .. } | Self::Present(_) => 1,
            Self::ValuePath(vp) => vp.filter.term_count(),
            Self::Not(inner) => inner.term_count(),
            Self::And(parts) | Self::Or(parts) => parts.iter().map(Self::term_count).sum(),
        }
    }
}

impl From<&str> for CompValue {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for CompValue {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<bool> for CompValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for CompValue {
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

impl From<Number> for CompValue {
    fn from(n: Number) -> Self {
        Self::Number(n)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            f.write_str(schema)?;
            f.write_char(':')?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            f.write_char('.')?;
            f.write_str(sub)?;
        }
        Ok(())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal: quotes, and escapes for `"`, `\` and control characters.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(f, "\\u{b:04x}")?;
        } else {
            f.write_str(escape)?;
        }
        start = i + 1;
    }
    f.write_str(&s[start..])?;
    f.write_char('"')
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr, self.filter)
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare { attr, op, value } => write!(f, "{attr} {op} {value}"),
            Self::Present(attr) => write!(f, "{attr} pr"),
            Self::ValuePath(vp) => vp.fmt(f),
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::And(parts) => write_chain(f, parts, " and ", |p| {
                matches!(p, Self::And(_) | Self::Or(_))
            }),
            Self::Or(parts) => write_chain(f, parts, " or ", |p| matches!(p, Self::Or(_))),
        }
    }
}

/// Writes `parts` joined by `sep`, parenthesising the parts for which `needs_parens` holds: a
/// nested chain of the same operator (to keep the structure) or a lower-precedence one.
fn write_chain(
    f: &mut fmt::Formatter<'_>,
    parts: &[Filter],
    sep: &str,
    needs_parens: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(part) {
            write!(f, "({part})")?;
        } else {
            write!(f, "{part}")?;
        }
    }
    Ok(())
}
