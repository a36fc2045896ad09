//! The column map: where each attribute lives (a column, a child table, the JSON `extra`
//! column), which `scim_filter::sql` turns filters into SQL with, and what `sortBy` orders by.

use scim_core::{ResourceKind, SchemaRegistry};
use scim_filter::AttrPath;
use scim_filter::sql::{ChildTable, Column, SqlSchema};

use super::{NAME, USER_CHILDREN, USER_TEXT};
use crate::db::Dialect;

pub(super) fn table(kind: ResourceKind) -> &'static str {
    if kind == ResourceKind::Group {
        "groups"
    } else {
        "users"
    }
}

/// The column map `scim_filter::sql` translates filters with.
pub(super) struct Columns<'a> {
    pub(super) kind: ResourceKind,
    pub(super) registry: &'a SchemaRegistry,
    pub(super) dialect: Dialect,
}

/// Whether a name from the registry is safe to write into SQL text (it always is for valid
/// schemas; this keeps it so whatever an app registers).
pub(super) fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"$:._-".contains(&b))
}

impl Columns<'_> {
    /// An extension attribute's string value in the `extra` JSON column. The path is built
    /// from the registry's spelling of the schema and attribute, never from the request.
    fn extension(&self, attr: &AttrPath) -> Option<Column> {
        let schemas = self.registry.resource(self.kind);
        let extension = schemas.extension(attr.schema.as_deref()?)?;
        let found = extension.attribute(&attr.name)?;
        let (leaf, names) = match attr.sub_attr.as_deref() {
            Some(sub) => {
                let sub = found
                    .sub_attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(sub))?;
                (
                    sub,
                    vec![
                        extension.id.as_str(),
                        found.name.as_str(),
                        sub.name.as_str(),
                    ],
                )
            }
            None => (found, vec![extension.id.as_str(), found.name.as_str()]),
        };
        if leaf.kind != scim_core::AttrType::String
            || leaf.multi_valued
            || !names.iter().all(|n| plain(n))
        {
            return None;
        }
        let expr = match self.dialect {
            Dialect::Postgres => {
                let (last, path) = names.split_last()?;
                let path: String = path.iter().map(|n| format!(" -> '{n}'")).collect();
                format!("(r.extra::jsonb{path} ->> '{last}')")
            }
            _ => {
                let path: String = names.iter().map(|n| format!(".\"{n}\"")).collect();
                format!("json_extract(r.extra, '${path}')")
            }
        };
        Some(if leaf.case_exact {
            Column::exact_text(expr)
        } else {
            Column::text(expr)
        })
    }
}

impl SqlSchema for Columns<'_> {
    fn column(&self, attr: &AttrPath) -> Option<Column> {
        if attr
            .schema
            .as_deref()
            .is_some_and(|s| !s.starts_with("urn:ietf:params:scim:schemas:core:2.0:"))
        {
            return self.extension(attr);
        }
        let name = attr.name.as_str();
        let sub = attr.sub_attr.as_deref();
        let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        match (self.kind, sub) {
            (_, None) if is(name, "id") => Some(Column::exact_text("r.id")),
            (_, None) if is(name, "externalId") => Some(Column::exact_text("r.external_id")),
            // A constant of the table, not a value from the request.
            (ResourceKind::Group, Some(s)) if is(name, "meta") && is(s, "resourceType") => {
                Some(Column::exact_text("'Group'"))
            }
            (_, Some(s)) if is(name, "meta") && is(s, "resourceType") => {
                Some(Column::exact_text("'User'"))
            }
            (_, Some(s)) if is(name, "meta") && is(s, "created") => {
                Some(Column::datetime("r.created"))
            }
            (_, Some(s)) if is(name, "meta") && is(s, "lastModified") => {
                Some(Column::datetime("r.last_modified"))
            }
            (ResourceKind::User, None) if is(name, "userName") => {
                Some(Column::text("r.user_name").folded("r.user_name_ci"))
            }
            (ResourceKind::User, None) if is(name, "displayName") => {
                Some(Column::text("r.display_name").folded("r.display_name_ci"))
            }
            (ResourceKind::User, None) if is(name, "active") => Some(Column::boolean("r.active")),
            (ResourceKind::User, None) => USER_TEXT
                .iter()
                .find(|(a, _)| is(a, name))
                .map(|(_, c)| Column::text(format!("r.{c}"))),
            (ResourceKind::User, Some(s)) if is(name, "name") => NAME
                .iter()
                .find(|(a, _)| is(a, s))
                .map(|(_, c)| Column::text(format!("r.{c}"))),
            (ResourceKind::Group, None) if is(name, "displayName") => {
                Some(Column::text("r.display_name").folded("r.display_name_ci"))
            }
            _ => None,
        }
    }

    fn child(&self, attr: &AttrPath) -> Option<ChildTable> {
        let name = attr.name.as_str();
        if self.kind == ResourceKind::Group {
            return name.eq_ignore_ascii_case("members").then(|| {
                ChildTable::keyed(
                    "group_members",
                    "c",
                    "(r.tenant, r.id)",
                    "c.tenant, c.group_id",
                )
            });
        }
        USER_CHILDREN
            .iter()
            .find(|(a, _, _)| a.eq_ignore_ascii_case(name))
            .map(|(_, t, _)| ChildTable::keyed(*t, "c", "(r.tenant, r.id)", "c.tenant, c.user_id"))
    }

    fn child_column(&self, parent: &AttrPath, sub: &str) -> Option<Column> {
        let is = |a: &str| sub.eq_ignore_ascii_case(a);
        if self.kind == ResourceKind::Group {
            return match () {
                () if is("value") => Some(Column::exact_text("c.member_id")),
                () if is("display") => Some(Column::text("c.display")),
                () if is("type") => Some(Column::text("c.type")),
                () => None,
            };
        }
        let folded = USER_CHILDREN
            .iter()
            .find(|(a, _, _)| a.eq_ignore_ascii_case(&parent.name))?
            .2;
        match () {
            () if is("value") && folded => Some(Column::text("c.value").folded("c.value_ci")),
            () if is("value") => Some(Column::text("c.value")),
            () if is("type") => Some(Column::text("c.type")),
            () if is("display") => Some(Column::text("c.display")),
            () if is("primary") => Some(Column::boolean("c.is_primary")),
            () => None,
        }
    }
}

/// What `sortBy` orders by: a column, or for a multi-valued attribute (RFC 7644 §3.4.2.3)
/// its primary (else first) element's value.
pub(super) fn sort_expression(columns: &Columns<'_>, by: &AttrPath) -> Option<String> {
    let kind = columns.kind;
    if let Some(column) = columns.column(by) {
        return Some(column.folded.unwrap_or(column.expr));
    }
    let base = AttrPath {
        schema: by.schema.clone(),
        name: by.name.clone(),
        sub_attr: None,
    };
    let child = columns.child(&base)?;
    let column = columns.child_column(&base, by.sub_attr.as_deref().unwrap_or("value"))?;
    let value = column.folded.unwrap_or(column.expr);
    let primary = if kind == ResourceKind::Group {
        ""
    } else {
        "COALESCE(c.is_primary, FALSE) DESC, "
    };
    let owner = if kind == ResourceKind::Group {
        "group_id"
    } else {
        "user_id"
    };
    Some(format!(
        "(SELECT {value} FROM {} c WHERE c.tenant = r.tenant AND c.{owner} = r.id \
         ORDER BY {primary}c.position LIMIT 1)",
        child.table
    ))
}
