//! A resource taken apart into what the tables hold (its row's columns, child rows, members,
//! the JSON document of the rest), and put back together. Both ways go through [`Parts`],
//! so what a write answers is exactly what a later read answers.

use scim_core::{Meta, Resource, ResourceKind};
use serde_json::{Map, Number, Value};

use crate::db::{Arg, Row};
use crate::layout::{Layout, Loc, ValueKind};

/// A resource as the tables hold it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts {
    /// `externalId`, when the side table keeps it.
    pub(crate) external_id: Option<String>,
    /// Each slot's value, in the layout's order.
    pub(crate) slots: Vec<Option<Value>>,
    /// Each child table's elements, in the layout's order.
    pub(crate) children: Vec<Vec<Value>>,
    /// A group's members.
    pub(crate) members: Option<Vec<Value>>,
    /// Every other attribute (`schemas` included): the JSON document.
    pub(crate) rest: Map<String, Value>,
}

/// Removes the value at `loc` from `body`, and the objects it leaves empty.
fn take(body: &mut Map<String, Value>, loc: &Loc) -> Option<Value> {
    let container = match &loc.extension {
        Some(urn) => match body.get_mut(urn) {
            Some(Value::Object(ext)) => ext,
            _ => return None,
        },
        None => body,
    };
    let taken = match &loc.sub {
        None => container.shift_remove(&loc.name),
        Some(sub) => {
            let Some(Value::Object(complex)) = container.get_mut(&loc.name) else {
                return None;
            };
            let taken = complex.shift_remove(sub);
            if complex.is_empty() {
                container.shift_remove(&loc.name);
            }
            taken
        }
    };
    if let Some(urn) = &loc.extension
        && body
            .get(urn)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
    {
        body.shift_remove(urn);
    }
    taken.filter(|v| !v.is_null())
}

/// Puts `value` at `loc` in `body`, creating the objects on the way.
fn put(body: &mut Map<String, Value>, loc: &Loc, value: Value) {
    let mut container = body;
    if let Some(urn) = &loc.extension {
        let ext = container
            .entry(urn.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(ext) = ext else { return };
        container = ext;
    }
    match &loc.sub {
        None => {
            container.insert(loc.name.clone(), value);
        }
        Some(sub) => {
            let complex = container
                .entry(loc.name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(complex) = complex {
                complex.insert(sub.clone(), value);
            }
        }
    }
}

impl Parts {
    /// `resource` taken apart for `layout`'s tables.
    pub(crate) fn split(layout: &Layout, resource: &Resource) -> Self {
        let mut body = resource.as_json().clone();
        body.shift_remove("id");
        body.shift_remove("meta");
        for secret in &layout.secrets {
            take(&mut body, secret);
        }
        let external_id = if layout.external_id_in_side() {
            match body.shift_remove("externalId") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            }
        } else {
            None
        };
        // Each value as its column will give it back: an empty one takes the column's
        // default, if the mapping gives one.
        let slots = layout
            .slots
            .iter()
            .map(|s| {
                let default = || {
                    let (_, value) = layout.defaults.iter().find(|(c, _)| *c == s.column)?;
                    normalized(value.clone(), s.value)
                };
                take(&mut body, &s.loc)
                    .and_then(|v| normalized(v, s.value))
                    .or_else(default)
                    // A column keeping '' for "no value" reads it back as unassigned.
                    .filter(|v| !(s.empty_is_absent && v.as_str() == Some("")))
            })
            .collect();
        let children = layout
            .children
            .iter()
            .map(|c| {
                let kept = [
                    Some("value"),
                    c.child.kind.as_ref().map(|_| "type"),
                    c.child.primary.as_ref().map(|_| "primary"),
                    c.child.display.as_ref().map(|_| "display"),
                ];
                match body.shift_remove(&c.name) {
                    Some(Value::Array(elements)) => keep(elements, &kept),
                    _ => Vec::new(),
                }
            })
            .collect();
        let members = layout.members.as_ref().map(|m| {
            let kept = [
                Some("value"),
                m.display.as_ref().map(|_| "display"),
                m.kind.as_ref().map(|_| "type"),
                m.reference.as_ref().map(|_| "$ref"),
            ];
            match body.shift_remove("members") {
                Some(Value::Array(members)) => keep(members, &kept),
                _ => Vec::new(),
            }
        });
        Self {
            external_id,
            slots,
            children,
            members,
            rest: body,
        }
    }

    /// The resource `id` these parts make, with `meta`: `schemas` first, then `id` and
    /// `externalId`, the JSON document's attributes, the columns', the child tables', the
    /// members, and `meta` last.
    pub(crate) fn assemble(self, layout: &Layout, id: &str, meta: &Meta) -> Resource {
        let kind = layout.kind;
        let Self {
            external_id,
            slots,
            children,
            members,
            mut rest,
        } = self;
        let mut body = Map::with_capacity(rest.len() + slots.len() + children.len() + 4);
        let schemas = rest.shift_remove("schemas");
        body.insert("id".into(), Value::String(id.to_owned()));
        if let Some(external_id) = external_id {
            body.insert("externalId".into(), Value::String(external_id));
        }
        body.extend(rest);
        for (slot, value) in layout.slots.iter().zip(slots) {
            if let Some(value) = value {
                put(&mut body, &slot.loc, value);
            }
        }
        for (child, elements) in layout.children.iter().zip(children) {
            if !elements.is_empty() {
                body.insert(child.name.clone(), Value::Array(elements));
            }
        }
        if let Some(members) = members {
            body.insert("members".into(), Value::Array(members));
        }
        let schemas = schemas.unwrap_or_else(|| schemas_of(kind, &body));
        body.shift_insert(0, "schemas".into(), schemas);
        body.insert("meta".into(), meta.to_json(kind));
        Resource::from_map(kind, body)
    }

    /// The JSON document, as text.
    pub(crate) fn document(&self) -> String {
        Value::Object(self.rest.clone()).to_string()
    }
}

/// `value` as a column of `kind` gives it back (a decimal as a float, nothing for a value of
/// another type).
fn normalized(value: Value, kind: ValueKind) -> Option<Value> {
    match (kind, &value) {
        (ValueKind::Text | ValueKind::DateTime, Value::String(_))
        | (ValueKind::Bool, Value::Bool(_)) => Some(value),
        (ValueKind::Int, Value::Number(n)) => n.as_i64().map(Value::from),
        (ValueKind::Float, Value::Number(n)) => {
            n.as_f64().and_then(Number::from_f64).map(Value::Number)
        }
        _ => None,
    }
}

/// Each element with only the sub-attributes a table keeps.
fn keep(elements: Vec<Value>, kept: &[Option<&str>]) -> Vec<Value> {
    elements
        .into_iter()
        .map(|element| match element {
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .filter(|(k, v)| !v.is_null() && kept.iter().flatten().any(|n| n == k))
                    .collect(),
            ),
            other => other,
        })
        .collect()
}

/// `schemas` for a row the app wrote itself: the core schema and each extension present.
fn schemas_of(kind: ResourceKind, body: &Map<String, Value>) -> Value {
    let mut schemas = vec![Value::from(kind.core_urn())];
    schemas.extend(
        body.keys()
            .filter(|k| k.starts_with("urn:") && body[*k].is_object())
            .map(|k| Value::from(k.as_str())),
    );
    Value::Array(schemas)
}

/// A slot's value as the column takes it.
pub(crate) fn arg(value: Option<&Value>, kind: ValueKind) -> Arg {
    match kind {
        ValueKind::Text | ValueKind::DateTime => {
            Arg::Text(value.and_then(Value::as_str).map(str::to_owned))
        }
        ValueKind::Bool => Arg::Bool(value.and_then(Value::as_bool)),
        ValueKind::Int => Arg::Int(value.and_then(Value::as_i64)),
        ValueKind::Float => Arg::Float(value.and_then(Value::as_f64)),
    }
}

/// A slot's value as the column holds it, read from `row`'s column `name`.
pub(crate) fn read(row: &Row, name: &str, kind: ValueKind) -> Option<Value> {
    match kind {
        ValueKind::Text | ValueKind::DateTime => row.text(name).map(Value::String),
        ValueKind::Bool => row.bool(name).map(Value::Bool),
        ValueKind::Int => row.int(name).map(Value::from),
        ValueKind::Float => row
            .float(name)
            .and_then(Number::from_f64)
            .map(Value::Number),
    }
}

/// Child rows as the aggregate query gives them (a JSON array of objects with every
/// column, `null` where empty, `primary` as `0`/`1` in SQLite) turned into the values a
/// client wrote: nulls dropped, `primary` a boolean.
pub(crate) fn elements(text: Option<String>) -> Vec<Value> {
    let Some(Value::Array(rows)) = text.and_then(|t| serde_json::from_str(&t).ok()) else {
        return Vec::new();
    };
    rows.into_iter()
        .map(|row| match row {
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| match (k.as_str(), &v) {
                        ("primary", Value::Number(n)) => {
                            let on = n.as_i64().is_some_and(|n| n != 0);
                            (k, Value::Bool(on))
                        }
                        _ => (k, v),
                    })
                    .collect(),
            ),
            other => other,
        })
        .collect()
}
