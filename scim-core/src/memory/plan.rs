//! Query planning: which entries an index narrows a filter to, and which top-level
//! attributes a filter or a sort reads (a user's text is parsed for those alone).

use scim_filter::{AttrPath, AttributeLookup, CompValue, CompareOp, Filter};

use super::index::{Collection, fold, indexed};
use crate::{ResourceKind, ResourceSchemas};

/// The top-level keys `filter` reads.
pub(super) fn filter_keys(
    filter: &Filter,
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    keys: &mut Vec<String>,
) {
    match filter {
        Filter::Compare { attr, .. } | Filter::Present(attr) => {
            path_keys(attr, kind, schemas, keys);
        }
        Filter::ValuePath(vp) => path_keys(&vp.attr, kind, schemas, keys),
        Filter::Not(inner) => filter_keys(inner, kind, schemas, keys),
        Filter::And(parts) | Filter::Or(parts) => {
            for part in parts {
                filter_keys(part, kind, schemas, keys);
            }
        }
    }
}

/// The top-level keys the path `attr` may read: its name, or its extension's URN; a path
/// without a URN may name an extension's attribute, so every extension is read too.
pub(super) fn path_keys(
    attr: &AttrPath,
    kind: ResourceKind,
    schemas: &ResourceSchemas,
    keys: &mut Vec<String>,
) {
    // The name the document keeps the attribute under (an alias reads its canonical name).
    let name = schemas.canonical_name(&attr.name).to_owned();
    match &attr.schema {
        Some(urn) if urn.eq_ignore_ascii_case(kind.core_urn()) => keys.push(name),
        Some(urn) => {
            keys.push(urn.clone());
            keys.push(attr.name.clone());
        }
        None => {
            keys.push(name);
            keys.extend(schemas.extensions().map(|e| e.id.clone()));
        }
    }
}

/// The slots an index can narrow `filter` to, a superset of the matches, and whether they
/// are exactly the matches; `None` when only a scan can tell.
pub(super) fn candidates(
    coll: &Collection,
    schemas: &ResourceSchemas,
    kind: ResourceKind,
    filter: &Filter,
) -> Option<(Vec<usize>, bool)> {
    match filter {
        Filter::Compare {
            attr,
            op: CompareOp::Eq,
            value: CompValue::String(s),
        } => indexed_eq(
            coll,
            schemas,
            kind,
            (attr.schema.as_deref(), &attr.name, attr.sub_attr.as_deref()),
            s,
        ),
        Filter::ValuePath(vp) => match &*vp.filter {
            Filter::Compare {
                attr: inner,
                op: CompareOp::Eq,
                value: CompValue::String(s),
            } if inner.sub_attr.is_none() && inner.schema.is_none() => indexed_eq(
                coll,
                schemas,
                kind,
                (vp.attr.schema.as_deref(), &vp.attr.name, Some(&inner.name)),
                s,
            )
            .map(|(slots, _)| (slots, false)),
            _ => None,
        },
        Filter::And(parts) => parts
            .iter()
            .find_map(|p| candidates(coll, schemas, kind, p))
            .map(|(slots, _)| (slots, false)),
        Filter::Or(parts) => {
            let mut all = Vec::new();
            for p in parts {
                all.extend(candidates(coll, schemas, kind, p)?.0);
            }
            Some((all, false))
        }
        _ => None,
    }
}

/// `eq` on the attribute (schema, name, sub-attribute), if an index serves it: the slots,
/// and whether they are exactly the matches (the index folds case exactly when the
/// attribute ignores it, as the filter's comparison does).
fn indexed_eq(
    coll: &Collection,
    schemas: &ResourceSchemas,
    kind: ResourceKind,
    (schema, name, sub): (Option<&str>, &str, Option<&str>),
    value: &str,
) -> Option<(Vec<usize>, bool)> {
    if !schema.is_none_or(|s| s.eq_ignore_ascii_case(kind.core_urn())) {
        return None;
    }
    let ignores_case = |attr: &str| {
        schemas
            .attribute(None, attr)
            .is_some_and(|info| !info.case_exact)
    };
    match sub {
        Some(sub) if name.eq_ignore_ascii_case("members") && sub.eq_ignore_ascii_case("value") => {
            (kind == ResourceKind::Group).then(|| (coll.lookup("members", &fold(value)), false))
        }
        Some(_) => None,
        None if name.eq_ignore_ascii_case("id") => {
            Some((coll.slot(value).into_iter().collect(), true))
        }
        None if name.eq_ignore_ascii_case(kind.unique_attribute()) => Some((
            coll.unique
                .get(fold(value).as_str())
                .copied()
                .into_iter()
                .collect(),
            ignores_case(kind.unique_attribute()),
        )),
        None => indexed(kind)
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name) && *a != "members")
            .map(|&(a, folded)| {
                let key = if folded {
                    fold(value)
                } else {
                    value.to_owned()
                };
                (coll.lookup(a, &key), folded == ignores_case(a))
            }),
    }
}
