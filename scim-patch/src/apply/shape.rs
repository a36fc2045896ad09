//! Values put in the form their attribute takes: multi-valued or not, complex values with
//! their sub-attributes' canonical names, Entra's string forms where the policy allows.

use scim_filter::{AttrPath, AttrType, AttributeLookup, string_boolean};
use serde_json::{Map, Value};

use super::{AttrTarget, Object, Run};
use crate::error::PatchError;
use crate::journal::key_in;
use crate::member_id;

impl<L: AttributeLookup> Run<'_, L> {
    /// Whether the attribute takes a list of values.
    pub(super) fn is_multi_valued(
        t: &AttrTarget<'_>,
        existing: Option<&Value>,
        value: &Value,
    ) -> bool {
        match t.multi_valued {
            Some(multi) => multi,
            None => match existing {
                Some(existing) => existing.is_array(),
                None => value.is_array(),
            },
        }
    }

    /// The elements of a value for a multi-valued attribute, normalized; `null`s dropped.
    pub(super) fn elements(
        &self,
        t: &AttrTarget<'_>,
        existing: Option<&Value>,
        value: Value,
    ) -> Vec<Value> {
        let values = match value {
            Value::Array(values) => values,
            Value::Null => Vec::new(),
            single => vec![single],
        };
        let complex = t.kind == Some(AttrType::Complex)
            || existing
                .and_then(Value::as_array)
                .and_then(|e| e.first())
                .is_some_and(Value::is_object);
        values
            .into_iter()
            .filter(|v| !v.is_null())
            .map(|v| match v {
                Value::String(s) if complex && self.compat().complex_from_string => value_object(s),
                Value::Object(object) => self.normalize_object(t.path, object),
                other => other,
            })
            .collect()
    }

    /// One value for the elements of a complex attribute: an object, normalized.
    pub(super) fn element(&self, t: &AttrTarget<'_>, value: Value) -> Result<Value, PatchError> {
        match value {
            Value::Object(object) => Ok(self.normalize_object(t.path, object)),
            Value::String(s) if self.compat().complex_from_string => Ok(value_object(s)),
            other => Err(PatchError::value(format!(
                "a value of \"{}\" must be an object of its sub-attributes, not {}",
                t.name(),
                describe(&other)
            ))),
        }
    }

    /// A value for a single-valued attribute, normalized; `None` unassigns it.
    pub(super) fn normalize(
        &self,
        t: &AttrTarget<'_>,
        existing: Option<&Value>,
        value: Value,
    ) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::String(s) => {
                let boolean = t.kind == Some(AttrType::Boolean)
                    || (t.kind.is_none() && matches!(existing, Some(Value::Bool(_))));
                match string_boolean(&s) {
                    Some(b) if boolean && self.compat().string_booleans => Some(Value::Bool(b)),
                    _ => Some(Value::String(s)),
                }
            }
            Value::Object(object) => Some(self.normalize_object(t.path, object)),
            other => Some(other),
        }
    }

    /// A complex value: `null` sub-attributes (unassigned, such as Entra's `"$ref": null`)
    /// dropped, string booleans read.
    pub(super) fn normalize_object(&self, parent: &AttrPath, object: Object) -> Value {
        Value::Object(
            object
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = self.normalize_sub(parent, &k, v);
                    (k, v)
                })
                .collect(),
        )
    }

    /// A sub-attribute's value, with string booleans read when the policy says so. Without a
    /// schema, `primary` is known to be boolean (RFC 7643 §2.4).
    pub(super) fn normalize_sub(&self, parent: &AttrPath, sub: &str, value: Value) -> Value {
        let Value::String(s) = &value else {
            return value;
        };
        if !self.compat().string_booleans {
            return value;
        }
        let boolean = match self
            .lookup()
            .sub_attribute(parent.schema.as_deref(), &parent.name, sub)
        {
            Some(info) => info.kind == AttrType::Boolean,
            None => sub.eq_ignore_ascii_case("primary"),
        };
        match string_boolean(s) {
            Some(b) if boolean => Value::Bool(b),
            _ => value,
        }
    }
}

/// `{sub: value}`.
pub(super) fn single(sub: &str, value: Value) -> Value {
    let mut object = Map::new();
    object.insert(sub.to_owned(), value);
    Value::Object(object)
}

/// Sets `sub` (matched in any case) of `object` to `value`, or removes it for `null`.
pub(super) fn set_or_remove(object: &mut Object, sub: &str, value: Value) {
    let key = key_in(object, sub).to_owned();
    if value.is_null() {
        object.shift_remove(&key);
    } else {
        object.insert(key, value);
    }
}

/// Whether `list` holds `element`: the same member id for group members, else an equal value.
pub(super) fn contains(list: &[Value], element: &Value, members: bool) -> bool {
    match member_id(element) {
        Some(id) if members => list.iter().any(|e| member_id(e) == Some(id)),
        _ => list.contains(element),
    }
}

pub(super) fn is_primary(element: &Value) -> bool {
    element
        .as_object()
        .and_then(|o| o.get(key_in(o, "primary")))
        == Some(&Value::Bool(true))
}

pub(super) fn value_object(value: String) -> Value {
    let mut object = Map::new();
    object.insert("value".to_owned(), Value::String(value));
    Value::Object(object)
}

/// "a string", "an array"...: for messages.
pub(super) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn contains_compares_members_by_id_and_others_by_value() {
        let members = [serde_json::json!({"value": "a", "display": "A"})];
        assert!(contains(&members, &serde_json::json!({"value": "a"}), true));
        assert!(!contains(
            &members,
            &serde_json::json!({"value": "a"}),
            false
        ));
        assert!(contains(
            &members,
            &serde_json::json!({"display": "A", "value": "a"}),
            false
        ));
    }
}
