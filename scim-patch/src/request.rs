//! The PatchOp request body (RFC 7644 §3.5.2), parsed and checked before anything is applied.

use scim_filter::PatchPath;
use serde_json::Value;

use crate::error::PatchError;

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
    pub fn from_slice(body: &[u8]) -> Result<Self, PatchError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| PatchError::syntax(format!("the body is not valid JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Parses a request body already read as JSON.
    pub fn from_value(body: Value) -> Result<Self, PatchError> {
        let Value::Object(body) = body else {
            return Err(PatchError::syntax(
                "the body must be a JSON object with \"schemas\" and \"Operations\"",
            ));
        };
        let (mut schemas, mut operations) = (None, None);
        for (key, value) in body {
            if key.eq_ignore_ascii_case("schemas") {
                schemas = Some(value);
            } else if key.eq_ignore_ascii_case("Operations") {
                operations = Some(value);
            }
        }
        check_schemas(schemas.as_ref())?;
        let operations = match operations {
            Some(Value::Array(ops)) if !ops.is_empty() => ops,
            Some(Value::Array(_)) => {
                return Err(PatchError::syntax("\"Operations\" is empty"));
            }
            Some(_) => return Err(PatchError::syntax("\"Operations\" must be an array")),
            None => return Err(PatchError::syntax("the body has no \"Operations\"")),
        };
        let operations = operations
            .into_iter()
            .enumerate()
            .map(|(index, op)| PatchOperation::from_value(op).map_err(|e| e.in_operation(index)))
            .collect::<Result<_, _>>()?;
        Ok(Self { operations })
    }
}

impl PatchOperation {
    fn from_value(op: Value) -> Result<Self, PatchError> {
        let Value::Object(op) = op else {
            return Err(PatchError::syntax("each operation must be a JSON object"));
        };
        let (mut kind, mut path, mut value) = (None, None, None);
        for (key, v) in op {
            if key.eq_ignore_ascii_case("op") {
                kind = Some(v);
            } else if key.eq_ignore_ascii_case("path") {
                path = Some(v);
            } else if key.eq_ignore_ascii_case("value") {
                value = Some(v);
            }
        }
        let kind = match kind {
            Some(Value::String(name)) => {
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
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) => {
                Some(PatchPath::parse(&text).map_err(|e| PatchError::bad_path(&text, &e))?)
            }
            Some(_) => return Err(PatchError::path("\"path\" must be a string")),
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
        Ok(Self {
            op: kind,
            path,
            value,
        })
    }
}

/// `schemas` must list the PatchOp URN.
fn check_schemas(schemas: Option<&Value>) -> Result<(), PatchError> {
    let listed = match schemas {
        Some(Value::Array(urns)) => urns.iter().any(|u| {
            u.as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_URN))
        }),
        Some(Value::String(urn)) => urn.eq_ignore_ascii_case(PATCH_OP_URN),
        _ => false,
    };
    if listed {
        Ok(())
    } else {
        Err(PatchError::syntax(format!(
            "\"schemas\" must list \"{PATCH_OP_URN}\""
        )))
    }
}
