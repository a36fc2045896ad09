//! `sortBy`: sort keys read from each entry, resources without a value last.

use std::cmp::Ordering;

use scim_filter::AttributeLookup;
use serde_json::Value;

use super::document::Entry;
use super::plan::path_keys;
use crate::{ResourceKind, ResourceSchemas, Sort, SortOrder};

/// A sort key: RFC 7644 §3.4.2.3 sorts by the primary (else first) value of a multi-valued
/// attribute, strings case-insensitively unless caseExact. Resources without a value sort
/// last in either direction.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Text(String),
}

pub(super) fn sort_entries(
    entries: &mut [(usize, &Entry)],
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    sort: &Sort,
) {
    let by = &sort.by;
    let info = match &by.sub_attr {
        Some(sub) => schemas.sub_attribute(by.schema.as_deref(), &by.name, sub),
        None => schemas.attribute(by.schema.as_deref(), &by.name),
    };
    let case_exact = info.is_some_and(|i| i.case_exact);
    let extension = schemas
        .attribute(by.schema.as_deref(), &by.name)
        .and_then(|i| i.extension);
    let key = |doc: &Value| -> Option<SortKey> {
        let holder = match extension {
            Some(urn) => get_ci(doc, urn)?,
            None => doc,
        };
        let mut v = get_ci(holder, &by.name)?;
        if let Value::Array(items) = v {
            v = items
                .iter()
                .find(|i| i.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| items.first())?;
        }
        let sub = by.sub_attr.as_deref().or(v.is_object().then_some("value"));
        if let Some(sub) = sub {
            v = get_ci(v, sub)?;
        }
        match v {
            Value::Bool(b) => Some(SortKey::Bool(*b)),
            Value::Number(n) => n.as_f64().map(SortKey::Number),
            Value::String(s) if case_exact => Some(SortKey::Text(s.clone())),
            Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
            _ => None,
        }
    };
    let mut keys = Vec::new();
    path_keys(&sort.by, kind, schemas, &mut keys);
    let mut keyed: Vec<(Option<SortKey>, (usize, &Entry))> = entries
        .iter()
        .map(|&(slot, e)| (key(&e.view(kind, &keys)), (slot, e)))
        .collect();
    keyed.sort_by(|(a, (sa, _)), (b, (sb, _))| {
        let order = match (a, b) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(b).unwrap_or(Ordering::Equal);
                if sort.order == SortOrder::Descending {
                    o.reverse()
                } else {
                    o
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        order.then(sa.cmp(sb))
    });
    for (slot, (_, e)) in entries.iter_mut().zip(keyed) {
        *slot = e;
    }
}

fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}
