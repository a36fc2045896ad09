//! The PatchOp request body (RFC 7644 §3.5.2), parsed and checked before anything is applied.

use std::borrow::Cow;
use std::fmt;

use scim_filter::PatchPath;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::PatchError;
use crate::json::StrictValue;

/// The schema URN every PATCH body names.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A parsed PATCH request: its operations, in order.
///
/// Member names are matched in any case (`Operations`, `operations`), as SCIM attribute names
/// are; `op` takes `add`, `replace` and `remove` in any case (Entra sends `Add`, `Replace`,
/// `Remove`).
///
/// ```
/// use scim_patch::{OpKind, PatchRequest};
///
/// let request = PatchRequest::from_slice(br#"{
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [
///         {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"},
///         {"op": "Add", "path": "nickName", "value": "Babs"}
///     ]
/// }"#)?;
/// assert_eq!(request.operations.len(), 2);
/// assert_eq!(request.operations[0].op, OpKind::Replace);
/// assert_eq!(request.operations[0].path.as_ref().unwrap().to_string(), r#"emails[type eq "work"].value"#);
/// # Ok::<(), scim_patch::PatchError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order.
    pub operations: Vec<PatchOperation>,
}

/// One element of `Operations`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// What to do.
    pub op: OpKind,
    /// Where; `None` for a path-less `add` or `replace`, whose value is then an object.
    pub path: Option<PatchPath>,
    /// The value, if the operation has one. `Some(Value::Null)` is an explicit `null`.
    pub value: Option<Value>,
}

/// A PATCH operation's `op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `add`.
    Add,
    /// `replace`.
    Replace,
    /// `remove`.
    Remove,
}

impl OpKind {
    /// The canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Replace => "replace",
            Self::Remove => "remove",
        }
    }
}

impl PatchRequest {
    /// Parses a request body. Malformed JSON is `invalidSyntax`.
    ///
    /// This reads the body in one pass without building a JSON tree for the envelope: `op`
    /// and `path` are borrowed from the body, and only each operation's `value` is
    /// materialized.
    pub fn from_slice(body: &[u8]) -> Result<Self, PatchError> {
        let raw: RawBody<'_> = serde_json::from_slice(body)
            .map_err(|e| PatchError::syntax(crate::json::error_detail(&e)))?;
        raw.into_request()
    }

    /// Parses a request body already read as JSON.
    pub fn from_value(body: Value) -> Result<Self, PatchError> {
        let Value::Object(body) = body else {
            return Err(not_an_object());
        };
        let mut raw = RawBody::default();
        for (key, value) in body {
            match Key::of(&key, &["schemas", "Operations"]) {
                Some(0) => raw.schemas = Some(schemas_listed(&value)),
                Some(_) => {
                    raw.operations = Some(match value {
                        Value::Array(ops) => {
                            RawOps::List(ops.into_iter().map(RawOp::from).collect())
                        }
                        _ => RawOps::NotAList,
                    });
                }
                None => {}
            }
        }
        raw.into_request()
    }
}

fn not_an_object() -> PatchError {
    PatchError::syntax("the body must be a JSON object with \"schemas\" and \"Operations\"")
}

/// The envelope of a body, before checking.
#[derive(Default)]
struct RawBody<'a> {
    /// Whether `schemas` lists the PatchOp URN.
    schemas: Option<bool>,
    operations: Option<RawOps<'a>>,
    /// The body was not an object.
    not_an_object: bool,
}

enum RawOps<'a> {
    List(Vec<RawOp<'a>>),
    NotAList,
}

/// One operation, before checking.
enum RawOp<'a> {
    Fields {
        op: Option<Scalar<'a>>,
        path: Option<Scalar<'a>>,
        value: Option<Value>,
    },
    NotAnObject,
}

/// A JSON value where a string is expected: the string (borrowed from the body when it can
/// be), `null`, or anything else.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Null,
    Other,
}

impl RawBody<'_> {
    fn into_request(self) -> Result<PatchRequest, PatchError> {
        if self.not_an_object {
            return Err(not_an_object());
        }
        if self.schemas != Some(true) {
            return Err(PatchError::syntax(format!(
                "\"schemas\" must list \"{PATCH_OP_URN}\""
            )));
        }
        let operations = match self.operations {
            Some(RawOps::List(ops)) if !ops.is_empty() => ops,
            Some(RawOps::List(_)) => return Err(PatchError::syntax("\"Operations\" is empty")),
            Some(RawOps::NotAList) => {
                return Err(PatchError::syntax("\"Operations\" must be an array"));
            }
            None => return Err(PatchError::syntax("the body has no \"Operations\"")),
        };
        let operations = operations
            .into_iter()
            .enumerate()
            .map(|(index, op)| op.into_operation().map_err(|e| e.in_operation(index)))
            .collect::<Result<_, _>>()?;
        Ok(PatchRequest { operations })
    }
}

impl RawOp<'_> {
    fn into_operation(self) -> Result<PatchOperation, PatchError> {
        let Self::Fields { op, path, value } = self else {
            return Err(PatchError::syntax("each operation must be a JSON object"));
        };
        let kind = match op {
            Some(Scalar::Str(name)) => {
                if name.eq_ignore_ascii_case("add") {
                    OpKind::Add
                } else if name.eq_ignore_ascii_case("replace") {
                    OpKind::Replace
                } else if name.eq_ignore_ascii_case("remove") {
                    OpKind::Remove
                } else {
                    return Err(PatchError::syntax(format!(
                        "\"op\" is \"{name}\"; expected add, replace or remove"
                    )));
                }
            }
            Some(_) => return Err(PatchError::syntax("\"op\" must be a string")),
            None => return Err(PatchError::syntax("the operation has no \"op\"")),
        };
        let path = match path {
            None | Some(Scalar::Null) => None,
            Some(Scalar::Str(text)) if text.trim().is_empty() => None,
            Some(Scalar::Str(text)) => {
                Some(PatchPath::parse(&text).map_err(|e| PatchError::bad_path(&text, &e))?)
            }
            Some(Scalar::Other) => return Err(PatchError::path("\"path\" must be a string")),
        };
        match (kind, &path, &value) {
            (OpKind::Remove, None, _) => {
                return Err(PatchError::no_target("remove needs a path"));
            }
            (OpKind::Add | OpKind::Replace, _, None) => {
                return Err(PatchError::value(format!(
                    "{} needs a value",
                    kind.as_str()
                )));
            }
            (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => {
                return Err(PatchError::value(format!(
                    "{} without a path needs an object value, whose keys are the attributes to {}",
                    kind.as_str(),
                    kind.as_str()
                )));
            }
            _ => {}
        }
        Ok(PatchOperation {
            op: kind,
            path,
            value,
        })
    }
}

impl From<Value> for RawOp<'static> {
    fn from(op: Value) -> Self {
        let Value::Object(op) = op else {
            return Self::NotAnObject;
        };
        let (mut kind, mut path, mut value) = (None, None, None);
        for (key, v) in op {
            match Key::of(&key, &["op", "path", "value"]) {
                Some(0) => kind = Some(Scalar::from(v)),
                Some(1) => path = Some(Scalar::from(v)),
                Some(_) => value = Some(v),
                None => {}
            }
        }
        Self::Fields {
            op: kind,
            path,
            value,
        }
    }
}

impl From<Value> for Scalar<'static> {
    fn from(value: Value) -> Self {
        match value {
            Value::String(s) => Self::Str(Cow::Owned(s)),
            Value::Null => Self::Null,
            _ => Self::Other,
        }
    }
}

/// Whether a `schemas` value lists the PatchOp URN (a lone string is accepted too).
fn schemas_listed(schemas: &Value) -> bool {
    match schemas {
        Value::Array(urns) => urns.iter().any(|u| {
            u.as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_URN))
        }),
        Value::String(urn) => urn.eq_ignore_ascii_case(PATCH_OP_URN),
        _ => false,
    }
}

/// Implements the scalar `visit_*` methods of a visitor to return `$value`: for bodies,
/// operation lists and operations, any scalar is the wrong shape, reported by the checks.
macro_rules! forward_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// Whether a `schemas` value lists the PatchOp URN, read without copying it.
struct SchemasListed(bool);

impl<'de> de::Deserialize<'de> for SchemasListed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SchemasVisitor;
        impl<'de> Visitor<'de> for SchemasVisitor {
            type Value = SchemasListed;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of schema URNs")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SchemasListed, A::Error> {
                let mut listed = false;
                while let Some(urn) = seq.next_element::<Scalar<'de>>()? {
                    listed |=
                        matches!(urn, Scalar::Str(urn) if urn.eq_ignore_ascii_case(PATCH_OP_URN));
                }
                Ok(SchemasListed(listed))
            }

            fn visit_str<E: de::Error>(self, urn: &str) -> Result<SchemasListed, E> {
                Ok(SchemasListed(urn.eq_ignore_ascii_case(PATCH_OP_URN)))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SchemasListed, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(SchemasListed(false))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<SchemasListed, E> {
                Ok(SchemasListed(false))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<SchemasListed, E> {
                Ok(SchemasListed(false))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<SchemasListed, E> {
                Ok(SchemasListed(false))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<SchemasListed, E> {
                Ok(SchemasListed(false))
            }

            fn visit_unit<E: de::Error>(self) -> Result<SchemasListed, E> {
                Ok(SchemasListed(false))
            }
        }
        deserializer.deserialize_any(SchemasVisitor)
    }
}

/// A member name matched in any case against a list of known names.
struct Key(Option<usize>);

impl Key {
    fn of(name: &str, known: &[&str]) -> Option<usize> {
        known.iter().position(|k| k.eq_ignore_ascii_case(name))
    }
}

/// Deserializes a member name as its index in `known` (`None` when unknown), borrowing
/// nothing.
struct KeySeed(&'static [&'static str]);

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(Key(Key::of(name, self.0)))
    }
}

/// A member of the envelope or of an operation named twice (in any case): which one counts
/// would be a guess.
fn twice<E: de::Error>(name: &str) -> E {
    E::custom(format_args!("\"{name}\" is given twice"))
}

impl<'de: 'a, 'a> de::Deserialize<'de> for RawBody<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = RawBody<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a PatchOp object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawBody<'de>, A::Error> {
                let mut body = RawBody::default();
                while let Some(Key(key)) = map.next_key_seed(KeySeed(&["schemas", "Operations"]))? {
                    match key {
                        Some(0) if body.schemas.is_some() => return Err(twice("schemas")),
                        Some(0) => body.schemas = Some(map.next_value::<SchemasListed>()?.0),
                        Some(_) if body.operations.is_some() => return Err(twice("Operations")),
                        Some(_) => body.operations = Some(map.next_value()?),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(body)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawBody<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawBody {
                    not_an_object: true,
                    ..RawBody::default()
                })
            }

            forward_scalars!(RawBody::<'de> {
                not_an_object: true,
                ..RawBody::default()
            });
        }
        deserializer.deserialize_any(BodyVisitor)
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for RawOps<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OpsVisitor;
        impl<'de> Visitor<'de> for OpsVisitor {
            type Value = RawOps<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of operations")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawOps<'de>, A::Error> {
                let mut ops = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(op) = seq.next_element()? {
                    ops.push(op);
                }
                Ok(RawOps::List(ops))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawOps<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(RawOps::NotAList)
            }

            forward_scalars!(RawOps::<'de>::NotAList);
        }
        deserializer.deserialize_any(OpsVisitor)
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for RawOp<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OpVisitor;
        impl<'de> Visitor<'de> for OpVisitor {
            type Value = RawOp<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an operation")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawOp<'de>, A::Error> {
                let (mut op, mut path, mut value) = (None, None, None);
                while let Some(Key(key)) = map.next_key_seed(KeySeed(&["op", "path", "value"]))? {
                    match key {
                        Some(0) if op.is_some() => return Err(twice("op")),
                        Some(1) if path.is_some() => return Err(twice("path")),
                        Some(2) if value.is_some() => return Err(twice("value")),
                        Some(0) => op = Some(map.next_value()?),
                        Some(1) => path = Some(map.next_value()?),
                        Some(_) => value = Some(map.next_value::<StrictValue>()?.0),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(RawOp::Fields { op, path, value })
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawOp<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawOp::NotAnObject)
            }

            forward_scalars!(RawOp::<'de>::NotAnObject);
        }
        deserializer.deserialize_any(OpVisitor)
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(s)))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E: de::Error>(self, s: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(s)))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}
