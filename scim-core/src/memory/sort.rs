//! `sortBy`: sort keys read from each entry, resources without a value last.

use std::cmp::Ordering;

use scim_filter::AttributeLookup;
use serde_json::Value;

use super::document::Entry;
use super::plan::path_keys;
use uuid::Uuid;

use crate::cursor::Position;
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
    let key = key_reader(kind, schemas, sort);
    let mut keyed: Vec<(Option<SortKey>, (usize, &Entry))> = entries
        .iter()
        .map(|&(slot, e)| (key(e), (slot, e)))
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

impl SortKey {
    /// The key as a cursor carries it.
    fn to_json(&self) -> Value {
        match self {
            Self::Bool(b) => Value::Bool(*b),
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Text(s) => Value::String(s.clone()),
        }
    }

    /// A key back from a cursor (`None`: no value, or not a key this store gives).
    fn from_json(value: Option<&Value>) -> Option<Self> {
        match value? {
            Value::Bool(b) => Some(Self::Bool(*b)),
            Value::Number(n) => n.as_f64().map(Self::Number),
            Value::String(s) => Some(Self::Text(s.clone())),
            _ => None,
        }
    }
}

/// The sort key of entries for `sort`: what [`sort_entries`] orders by.
fn key_reader<'a>(
    kind: ResourceKind,
    schemas: &'a ResourceSchemas,
    sort: &'a Sort,
) -> impl Fn(&Entry) -> Option<SortKey> + 'a {
    let by = &sort.by;
    let info = match &by.sub_attr {
        Some(sub) => schemas.sub_attribute(by.schema.as_deref(), &by.name, sub),
        None => schemas.attribute(by.schema.as_deref(), &by.name),
    };
    let case_exact = info.is_some_and(|i| i.case_exact);
    let extension = schemas
        .attribute(by.schema.as_deref(), &by.name)
        .and_then(|i| i.extension);
    let mut keys = Vec::new();
    path_keys(&sort.by, kind, schemas, &mut keys);
    move |entry: &Entry| {
        let doc = entry.view(kind, &keys);
        let holder = match extension {
            Some(urn) => get_ci(&doc, urn)?,
            None => &doc,
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
    }
}

/// The cursor order: the sort key (in the sort's direction, resources without one last),
/// then the id, ascending.
fn keyset_order(
    descending: bool,
    (a, a_id): (&Option<SortKey>, &Uuid),
    (b, b_id): (&Option<SortKey>, &Uuid),
) -> Ordering {
    let by_key = match (a, b) {
        (Some(a), Some(b)) => {
            let o = a.partial_cmp(b).unwrap_or(Ordering::Equal);
            if descending { o.reverse() } else { o }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_key.then_with(|| a_id.cmp(b_id))
}

/// A page by cursor: up to `count` of `entries` after (or before) `position` in the cursor
/// order, and the positions of the pages around it.
pub(super) fn keyset_page<'e>(
    entries: Vec<(usize, &'e Entry)>,
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    sort: Option<&Sort>,
    position: &Position,
    count: usize,
) -> (Vec<&'e Entry>, Option<Position>, Option<Position>) {
    let descending = sort.is_some_and(|s| s.order == SortOrder::Descending);
    let reader = sort.map(|s| key_reader(kind, schemas, s));
    let mut keyed: Vec<(Option<SortKey>, &'e Entry)> = entries
        .into_iter()
        .map(|(_, e)| (reader.as_ref().and_then(|read| read(e)), e))
        .collect();
    // The store's ids are UUIDs, ordered as their hyphenated text is. A position naming
    // anything else (not one this store gave) is after everything: an empty page.
    let at_id = if position.is_start() {
        Uuid::nil()
    } else {
        Uuid::parse_str(&position.id).unwrap_or(Uuid::max())
    };
    let at = (SortKey::from_json(position.sort_value.as_ref()), at_id);
    // Where each entry stands against the position: the first page is after nothing.
    let side = |key: &Option<SortKey>, entry: &Entry| {
        if position.is_start() {
            return Ordering::Greater;
        }
        keyset_order(descending, (key, &entry.id), (&at.0, &at.1))
    };
    let order = |a: &(Option<SortKey>, &Entry), b: &(Option<SortKey>, &Entry)| {
        keyset_order(descending, (&a.0, &a.1.id), (&b.0, &b.1.id))
    };
    let wanted = if position.forward {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let others = keyed.iter().any(|(k, e)| side(k, e) != wanted);
    keyed.retain(|(k, e)| side(k, e) == wanted);
    if position.forward {
        keyed.sort_by(order);
    } else {
        keyed.sort_by(|a, b| order(b, a));
    }
    let more = keyed.len() > count;
    keyed.truncate(count);
    if !position.forward {
        keyed.reverse();
    }
    let edge = |(key, entry): &(Option<SortKey>, &Entry), forward: bool| Position {
        sort_value: key.as_ref().map(SortKey::to_json),
        id: entry.id.hyphenated().to_string(),
        forward,
        total: None,
        resource_type: None,
    };
    let (after, before) = if position.forward {
        (more, others)
    } else {
        (others, more)
    };
    let next = keyed.last().filter(|_| after).map(|e| edge(e, true));
    let previous = keyed.first().filter(|_| before).map(|e| edge(e, false));
    (keyed.into_iter().map(|(_, e)| e).collect(), next, previous)
}
