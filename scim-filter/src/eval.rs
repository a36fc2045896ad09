//! Does a filter match a JSON resource? RFC 7644 §3.4.2.2 semantics:
//!
//! - attribute names match case-insensitively, and a schema URN prefix selects the extension
//!   object (`urn:...:enterprise:2.0:User:department`) or, for a core schema, the top level;
//! - strings compare case-insensitively unless the attribute is `caseExact` (binary always is);
//! - `dateTime` values compare as instants, whatever their offsets (`...T06:00:00+02:00` equals
//!   `...T04:00:00Z`); without a schema, two strings that both read as date-times do too;
//! - numbers compare numerically (`1` equals `1.0`), booleans only with `eq` and `ne`;
//! - `pr` is false for `null`, `""`, `[]` and objects with nothing present inside;
//! - a multi-valued attribute matches if any of its values does, and a complex value compared
//!   with a literal is compared through its `value` sub-attribute (`emails co "@x"`);
//! - the conditions inside one value path must all hold on the same element;
//! - `eq null` matches an absent or null attribute and `ne null` a present one; any other
//!   comparison with an absent attribute is false, as is a comparison of mismatched types.
//!
//! Evaluation never fails and never panics: what cannot match does not match.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Number, Value};

use crate::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::schema::{AttrInfo, AttrType, AttributeLookup, NoSchema, SchemaKind};

/// Evaluates filters against JSON resources, with what an [`AttributeLookup`] knows of their
/// attributes.
///
/// ```
/// use scim_filter::{Evaluator, Filter, NoSchema};
/// use serde_json::json;
///
/// let user = json!({
///     "userName": "bjensen",
///     "emails": [
///         {"type": "home", "value": "babs@example.org"},
///         {"type": "work", "value": "bjensen@example.com"}
///     ],
///     "roles": [{"primary": true, "value": "Admin"}]
/// });
/// let evaluator = Evaluator::new(NoSchema);
/// let work = Filter::parse(r#"emails[type eq "work" and value ew "@example.com"]"#)?;
/// let mixed = Filter::parse(r#"emails[type eq "home" and value ew "@example.com"]"#)?;
/// assert!(evaluator.matches(&work, &user));
/// assert!(!evaluator.matches(&mixed, &user)); // both conditions must hold on one element
///
/// // Entra writes booleans as strings in value paths; that is a switch.
/// let entra = Filter::parse(r#"roles[primary eq "True"]"#)?;
/// assert!(!evaluator.matches(&entra, &user));
/// assert!(evaluator.string_booleans(true).matches(&entra, &user));
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Evaluator<L = NoSchema> {
    lookup: L,
    string_booleans: bool,
}

impl Filter {
    /// Whether this filter matches `resource`, without schema information.
    pub fn matches(&self, resource: &Value) -> bool {
        Evaluator::new(NoSchema).matches(self, resource)
    }

    /// Whether this filter matches `resource`, with what `lookup` knows of its attributes.
    pub fn matches_with(&self, resource: &Value, lookup: &impl AttributeLookup) -> bool {
        Evaluator::new(lookup).matches(self, resource)
    }
}

/// Where attribute paths are resolved: at the top of a resource, or in one element of a value
/// path's attribute.
#[derive(Clone, Copy)]
enum Scope<'p> {
    Resource,
    Element(&'p AttrPath),
}

/// What is known of the values a path designates.
#[derive(Clone, Copy, Default)]
struct Leaf {
    kind: Option<AttrType>,
    case_exact: bool,
    /// For a complex attribute, what is known of its `value` sub-attribute.
    value: Option<(Option<AttrType>, bool)>,
}

impl Leaf {
    fn of(info: Option<AttrInfo<'_>>) -> Self {
        info.map_or_else(Self::default, |info| Self {
            kind: Some(info.kind),
            case_exact: info.case_exact || info.kind == AttrType::Binary,
            value: None,
        })
    }
}

impl<L: AttributeLookup> Evaluator<L> {
    /// An evaluator asking `lookup` about attributes, with string booleans off.
    pub fn new(lookup: L) -> Self {
        Self {
            lookup,
            string_booleans: false,
        }
    }

    /// This evaluator, comparing the strings `"true"` and `"false"` (any case) equal to the
    /// booleans they spell, as Entra's `roles[primary eq "True"]` needs. Off by default: in
    /// RFC terms a string never equals a boolean.
    #[must_use]
    pub fn string_booleans(mut self, on: bool) -> Self {
        self.string_booleans = on;
        self
    }

    /// Whether `filter` matches `resource`.
    pub fn matches(&self, filter: &Filter, resource: &Value) -> bool {
        self.eval(filter, resource, Scope::Resource)
    }

    /// Whether `filter`, the inside of a value path on `parent`, matches `element`, one value
    /// of that attribute. This is how a PATCH path such as `emails[type eq "work"]` selects the
    /// elements it touches.
    ///
    /// ```
    /// use scim_filter::{AttrPath, Evaluator, Filter, NoSchema};
    /// use serde_json::json;
    ///
    /// let parent = AttrPath::new("emails");
    /// let filter = Filter::parse(r#"type eq "work""#)?;
    /// let element = json!({"type": "Work", "value": "a@example.com"});
    /// assert!(Evaluator::new(NoSchema).matches_element(&parent, &filter, &element));
    /// # Ok::<(), scim_filter::ParseError>(())
    /// ```
    pub fn matches_element(&self, parent: &AttrPath, filter: &Filter, element: &Value) -> bool {
        self.eval(filter, element, Scope::Element(parent))
    }

    fn eval(&self, filter: &Filter, target: &Value, scope: Scope<'_>) -> bool {
        match filter {
            Filter::And(parts) => parts.iter().all(|p| self.eval(p, target, scope)),
            Filter::Or(parts) => parts.iter().any(|p| self.eval(p, target, scope)),
            Filter::Not(inner) => !self.eval(inner, target, scope),
            Filter::Present(attr) => self.any_value(attr, target, scope, |v, _| has_value(v)),
            Filter::Compare {
                attr,
                op,
                value: CompValue::Null,
            } => {
                let present = self.any_value(attr, target, scope, |v, _| !v.is_null());
                match op {
                    CompareOp::Eq => !present,
                    CompareOp::Ne => present,
                    _ => false,
                }
            }
            Filter::Compare { attr, op, value } => {
                self.any_value(attr, target, scope, |v, leaf| match v {
                    Value::Object(element) => get_ci(element, "value").is_some_and(|v| {
                        let (kind, case_exact) = leaf.value.unwrap_or_default();
                        self.compare(v, *op, value, kind, case_exact)
                    }),
                    v => self.compare(v, *op, value, leaf.kind, leaf.case_exact),
                })
            }
            Filter::ValuePath(vp) => self.any_value(&vp.attr, target, scope, |element, _| {
                self.eval(&vp.filter, element, Scope::Element(&vp.attr))
            }),
        }
    }

    /// Whether `pred` holds for any value `attr` designates in `target` (array elements taken
    /// one by one).
    fn any_value(
        &self,
        attr: &AttrPath,
        target: &Value,
        scope: Scope<'_>,
        mut pred: impl FnMut(&Value, &Leaf) -> bool,
    ) -> bool {
        let schema = attr.schema.as_deref();
        let (value, info) = match scope {
            Scope::Resource => {
                let Some(resource) = target.as_object() else {
                    return false;
                };
                let info = self.lookup.attribute(schema, &attr.name);
                let container = match (info, schema) {
                    (Some(info), _) => match info.extension {
                        Some(urn) => get_ci(resource, urn).and_then(Value::as_object),
                        None => Some(resource),
                    },
                    (None, Some(schema))
                        if self.lookup.schema_kind(schema) != Some(SchemaKind::Core) =>
                    {
                        get_ci(resource, schema).and_then(Value::as_object)
                    }
                    (None, _) => Some(resource),
                };
                let name = info.map_or(attr.name.as_str(), |info| info.name);
                (container.and_then(|c| get_ci(c, name)), info)
            }
            Scope::Element(parent) => {
                let info =
                    self.lookup
                        .sub_attribute(parent.schema.as_deref(), &parent.name, &attr.name);
                match target {
                    Value::Object(element) => {
                        let name = info.map_or(attr.name.as_str(), |info| info.name);
                        (get_ci(element, name), info)
                    }
                    // The elements of a multi-valued simple attribute are their own `value`.
                    scalar if attr.name.eq_ignore_ascii_case("value") => (
                        Some(scalar),
                        info.or_else(|| {
                            self.lookup
                                .attribute(parent.schema.as_deref(), &parent.name)
                        }),
                    ),
                    _ => (None, None),
                }
            }
        };
        let Some(value) = value else {
            return false;
        };
        match &attr.sub_attr {
            None => {
                let mut leaf = Leaf::of(info);
                if leaf.kind == Some(AttrType::Complex) && matches!(scope, Scope::Resource) {
                    let value_info = self.lookup.sub_attribute(schema, &attr.name, "value");
                    let value_leaf = Leaf::of(value_info);
                    leaf.value = Some((value_leaf.kind, value_leaf.case_exact));
                }
                any_element(value, |v| pred(v, &leaf))
            }
            Some(sub) => {
                let sub_info = match scope {
                    Scope::Resource => self.lookup.sub_attribute(schema, &attr.name, sub),
                    Scope::Element(_) => None,
                };
                let leaf = Leaf::of(sub_info);
                let sub = sub_info.map_or(sub.as_str(), |info| info.name);
                any_element(value, |element| {
                    element
                        .as_object()
                        .and_then(|element| get_ci(element, sub))
                        .is_some_and(|v| any_element(v, |v| pred(v, &leaf)))
                })
            }
        }
    }

    /// One value against one literal.
    fn compare(
        &self,
        v: &Value,
        op: CompareOp,
        literal: &CompValue,
        kind: Option<AttrType>,
        case_exact: bool,
    ) -> bool {
        match (literal, v) {
            (CompValue::Null, v) => equality(op, v.is_null()),
            (CompValue::Bool(b), Value::Bool(x)) => equality(op, x == b),
            (CompValue::Bool(b), Value::String(s)) if self.string_booleans => {
                string_boolean(s).is_some_and(|x| equality(op, x == *b))
            }
            (CompValue::Number(n), Value::Number(x)) => ordering(op, compare_numbers(x, n)),
            (CompValue::String(t), Value::Bool(x)) if self.string_booleans => {
                string_boolean(t).is_some_and(|b| equality(op, *x == b))
            }
            (CompValue::String(t), Value::String(s)) => {
                let datetime = match kind {
                    Some(AttrType::DateTime) => true,
                    None => looks_like_datetime(s) && looks_like_datetime(t),
                    Some(_) => false,
                };
                if datetime && !op.is_substring() {
                    match (parse_datetime(s), parse_datetime(t)) {
                        (Some(a), Some(b)) => return ordering(op, Some(a.cmp(&b))),
                        _ if kind == Some(AttrType::DateTime) => return false,
                        _ => {}
                    }
                }
                compare_strings(op, s, t, case_exact)
            }
            _ => false,
        }
    }
}

/// Whether `pred` holds for `v`, or for any element of `v` if it is an array.
fn any_element(v: &Value, mut pred: impl FnMut(&Value) -> bool) -> bool {
    match v {
        Value::Array(elements) => elements.iter().any(pred),
        v => pred(v),
    }
}

/// The member `key` of `object`, matched exactly first and then ignoring ASCII case.
///
/// Small objects (the sub-attributes of a complex value) are scanned, which is faster than
/// hashing the key; large ones (a resource's top level) are hashed.
pub(crate) fn get_ci<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if object.len() <= 8 {
        let mut folded = None;
        for (k, v) in object {
            if k == key {
                return Some(v);
            }
            if folded.is_none() && k.eq_ignore_ascii_case(key) {
                folded = Some(v);
            }
        }
        return folded;
    }
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// `pr`: a non-empty value, or a complex value with a non-empty node inside.
fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(elements) => elements.iter().any(has_value),
        Value::Object(members) => members.values().any(has_value),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// `eq`/`ne` given whether the two sides are equal; other operators don't apply.
fn equality(op: CompareOp, equal: bool) -> bool {
    match op {
        CompareOp::Eq => equal,
        CompareOp::Ne => !equal,
        _ => false,
    }
}

/// `eq`, `ne` and the ordering operators given how the two sides compare (`None`: they don't).
fn ordering(op: CompareOp, ord: Option<Ordering>) -> bool {
    let Some(ord) = ord else {
        return false;
    };
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Ne => ord.is_ne(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Numeric comparison: exact for integers, through `f64` otherwise.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// A boolean written as a string, the way Entra writes them (`"True"`, `"False"`): `"true"`
/// or `"false"` in any case. What [`Evaluator::string_booleans`] accepts, and scim-patch's
/// matching switch.
///
/// ```
/// assert_eq!(scim_filter::string_boolean("True"), Some(true));
/// assert_eq!(scim_filter::string_boolean("FALSE"), Some(false));
/// assert_eq!(scim_filter::string_boolean("yes"), None);
/// ```
pub fn string_boolean(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A cheap test for `YYYY-MM-DDThh:mm...`, before trying to parse.
fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
}

/// An `xsd:dateTime`: RFC 3339 with an offset, or without one (read as UTC).
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.to_utc());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// A string operator, case-sensitive or not.
fn compare_strings(op: CompareOp, s: &str, t: &str, case_exact: bool) -> bool {
    if case_exact {
        return match op {
            CompareOp::Co => s.contains(t),
            CompareOp::Sw => s.starts_with(t),
            CompareOp::Ew => s.ends_with(t),
            _ => ordering(op, Some(s.cmp(t))),
        };
    }
    if matches!(op, CompareOp::Eq | CompareOp::Ne) {
        // Equal ignoring ASCII case implies equal ignoring case; only non-ASCII text that
        // differs needs full case folding.
        let equal = s.eq_ignore_ascii_case(t)
            || (!(s.is_ascii() && t.is_ascii()) && s.to_lowercase() == t.to_lowercase());
        return equality(op, equal);
    }
    if !(s.is_ascii() && t.is_ascii()) {
        return compare_strings(op, &s.to_lowercase(), &t.to_lowercase(), true);
    }
    let (s, t) = (s.as_bytes(), t.as_bytes());
    match op {
        CompareOp::Co => t.is_empty() || s.windows(t.len()).any(|w| w.eq_ignore_ascii_case(t)),
        CompareOp::Sw => s.len() >= t.len() && s[..t.len()].eq_ignore_ascii_case(t),
        CompareOp::Ew => s.len() >= t.len() && s[s.len() - t.len()..].eq_ignore_ascii_case(t),
        _ => {
            let s = s.iter().map(u8::to_ascii_lowercase);
            ordering(op, Some(s.cmp(t.iter().map(u8::to_ascii_lowercase))))
        }
    }
}
