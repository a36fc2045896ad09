//! A resource taken apart into its row, child rows and JSON rest (`split`, `insert_children`),
//! and put back together from them (`assemble`).

use std::collections::HashMap;

use chrono::DateTime;
use scim_core::{Meta, Resource, ResourceKind, StoreError, Version};
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{NAME, SqlStore, USER_CHILDREN, USER_TEXT, backend};
use crate::db::Arg;

/// A boolean column: `BOOLEAN` on PostgreSQL, `INTEGER` on SQLite.
pub(super) fn get_bool(row: &AnyRow, column: &str) -> Option<bool> {
    row.try_get::<Option<bool>, _>(column)
        .ok()
        .flatten()
        .or_else(|| {
            row.try_get::<Option<i64>, _>(column)
                .ok()
                .flatten()
                .map(|i| i != 0)
        })
}

pub(super) fn get_text(row: &AnyRow, column: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(column).ok().flatten()
}

/// A resource taken apart into its row, its child rows and the rest.
pub(super) struct Parts {
    pub(super) columns: Vec<(&'static str, Arg)>,
    pub(super) children: Vec<(&'static str, Vec<Value>)>,
    pub(super) extra: Map<String, Value>,
}

pub(super) fn text_of(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

impl SqlStore {
    /// Takes a validated resource apart into columns, child rows and the JSON rest.
    pub(super) fn split(resource: &Resource) -> Parts {
        let mut parts = Parts {
            columns: Vec::new(),
            children: Vec::new(),
            extra: Map::new(),
        };
        let body = resource.as_json();
        for (key, value) in body {
            match (resource.kind(), key.as_str()) {
                (_, "schemas" | "id" | "meta") => {}
                // Never stored: this server has no login to check it against, and a password
                // kept in clear is a liability. An app that needs one hashes it in its store.
                (ResourceKind::User, "password") => {}
                (ResourceKind::User, "name") => {
                    let Value::Object(name) = value else {
                        parts.extra.insert(key.clone(), value.clone());
                        continue;
                    };
                    let mut rest = name.clone();
                    for (sub, column) in NAME {
                        parts
                            .columns
                            .push((column, text_of(rest.shift_remove(sub).as_ref()).into()));
                    }
                    if !rest.is_empty() {
                        parts.extra.insert(key.clone(), Value::Object(rest));
                    }
                }
                (ResourceKind::User, "active") => {
                    parts.columns.push(("active", value.as_bool().into()));
                }
                (ResourceKind::User, k) if USER_CHILDREN.iter().any(|(a, _, _)| *a == k) => {
                    let table = USER_CHILDREN
                        .iter()
                        .find(|(a, _, _)| *a == k)
                        .map(|(_, t, _)| *t)
                        .unwrap_or_default();
                    parts
                        .children
                        .push((table, value.as_array().cloned().unwrap_or_default()));
                }
                (ResourceKind::User, k) if USER_TEXT.iter().any(|(a, _)| *a == k) => {
                    let column = USER_TEXT
                        .iter()
                        .find(|(a, _)| *a == k)
                        .map(|(_, c)| *c)
                        .unwrap_or_default();
                    parts.columns.push((column, text_of(Some(value)).into()));
                }
                (ResourceKind::Group, "displayName") => {
                    parts
                        .columns
                        .push(("display_name", text_of(Some(value)).into()));
                }
                (ResourceKind::Group, "externalId") => {
                    parts
                        .columns
                        .push(("external_id", text_of(Some(value)).into()));
                }
                (ResourceKind::Group, "members") => {
                    parts.children.push((
                        "group_members",
                        value.as_array().cloned().unwrap_or_default(),
                    ));
                }
                _ => {
                    parts.extra.insert(key.clone(), value.clone());
                }
            }
        }
        // Every column is written, so a replace clears what the new resource lacks.
        let present: Vec<&str> = parts.columns.iter().map(|(c, _)| *c).collect();
        let all: Vec<&'static str> = if resource.kind() == ResourceKind::Group {
            vec!["display_name", "external_id"]
        } else {
            USER_TEXT
                .iter()
                .map(|(_, c)| *c)
                .chain(NAME.iter().map(|(_, c)| *c))
                .chain(["active"])
                .collect()
        };
        for column in all {
            if !present.contains(&column) {
                let empty = if column == "active" {
                    Arg::Bool(None)
                } else {
                    Arg::Text(None)
                };
                parts.columns.push((column, empty));
            }
        }
        // The case-folded copies the unique indexes and lookups use.
        let folded = |column: &str| {
            parts
                .columns
                .iter()
                .find(|(c, _)| *c == column)
                .and_then(|(_, a)| match a {
                    Arg::Text(t) => t.as_ref().map(|t| t.to_lowercase()),
                    _ => None,
                })
        };
        let user_name_ci = folded("user_name");
        let display_name_ci = folded("display_name");
        if resource.kind() == ResourceKind::User {
            parts.columns.push(("user_name_ci", user_name_ci.into()));
        }
        parts
            .columns
            .push(("display_name_ci", display_name_ci.into()));
        if resource.kind() == ResourceKind::User
            && !parts.children.iter().any(|(t, _)| *t == "user_emails")
        {
            parts.children.push(("user_emails", Vec::new()));
        }
        if resource.kind() == ResourceKind::User
            && !parts
                .children
                .iter()
                .any(|(t, _)| *t == "user_phone_numbers")
        {
            parts.children.push(("user_phone_numbers", Vec::new()));
        }
        if resource.kind() == ResourceKind::Group && parts.children.is_empty() {
            parts.children.push(("group_members", Vec::new()));
        }
        parts
    }

    /// Inserts the child rows of resource `id`.
    pub(super) async fn insert_children(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        tenant: &str,
        id: &str,
        children: &[(&'static str, Vec<Value>)],
        first_position: i64,
    ) -> Result<u64, sqlx::Error> {
        let mut inserted = 0;
        for (table, rows) in children {
            for (offset, element) in rows.iter().enumerate() {
                let position = first_position + i64::try_from(offset).unwrap_or(i64::MAX);
                let mut q = self.q();
                let sql = if *table == "group_members" {
                    let conflict = "ON CONFLICT (tenant, group_id, member_id) DO NOTHING";
                    format!(
                        "INSERT INTO group_members (tenant, group_id, member_id, position, type, display, ref) \
                         VALUES ({}, {}, {}, {}, {}, {}, {}) {conflict}",
                        q.p(tenant),
                        q.p(id),
                        q.p(text_of(element.get("value")).unwrap_or_default()),
                        q.p(position),
                        q.p(text_of(element.get("type"))),
                        q.p(text_of(element.get("display"))),
                        q.p(text_of(element.get("$ref"))),
                    )
                } else {
                    let mut rest = element.as_object().cloned().unwrap_or_default();
                    let value = text_of(rest.shift_remove("value").as_ref());
                    let kind = text_of(rest.shift_remove("type").as_ref());
                    let primary = rest.shift_remove("primary").and_then(|p| p.as_bool());
                    let display = text_of(rest.shift_remove("display").as_ref());
                    let extra = (!rest.is_empty()).then(|| Value::Object(rest).to_string());
                    let folded = *table == "user_emails";
                    let lower = value.as_ref().map(|v| v.to_lowercase());
                    let mut sql = format!(
                        "INSERT INTO {table} (tenant, user_id, position, value, type, is_primary, display, extra{}) \
                         VALUES ({}, {}, {}, {}, {}, {}, {}, {}",
                        if folded { ", value_ci" } else { "" },
                        q.p(tenant),
                        q.p(id),
                        q.p(position),
                        q.p(value),
                        q.p(kind),
                        q.p(primary),
                        q.p(display),
                        q.p(extra),
                    );
                    if folded {
                        sql = format!("{sql}, {}", q.p(lower));
                    }
                    sql + ")"
                };
                inserted += q.query(&sql).execute(&mut **tx).await?.rows_affected();
            }
        }
        Ok(inserted)
    }

    /// Loads the rows of `kind` with the given ids (child rows included unless `members` is
    /// not wanted), as resources, in the order of `rows`.
    pub(super) async fn assemble(
        &self,
        tenant: &str,
        kind: ResourceKind,
        rows: Vec<AnyRow>,
        with_members: bool,
    ) -> Result<Vec<Resource>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows
            .iter()
            .map(|r| get_text(r, "id").unwrap_or_default())
            .collect();
        let mut children: HashMap<(String, &'static str), Vec<Value>> = HashMap::new();
        // One query for all child rows: a group's members, or a user's emails and phone
        // numbers together (`source` says which table a row came from).
        let sql = match kind {
            ResourceKind::Group if !with_members => None,
            ResourceKind::Group => {
                let mut q = self.q();
                let tenant_p = q.p(tenant);
                let list: Vec<String> = ids.iter().map(|id| q.p(id.as_str())).collect();
                let sql = format!(
                    "SELECT 'group_members' AS source, c.* FROM group_members c \
                     WHERE tenant = {tenant_p} AND group_id IN ({}) ORDER BY group_id, position",
                    list.join(", ")
                );
                Some((q, sql, "group_id"))
            }
            _ => {
                let mut q = self.q();
                let parts: Vec<String> = USER_CHILDREN
                    .iter()
                    .map(|(_, table, _)| {
                        let tenant_p = q.p(tenant);
                        let list: Vec<String> = ids.iter().map(|id| q.p(id.as_str())).collect();
                        format!(
                            "SELECT '{table}' AS source, user_id, position, value, type, display, \
                             is_primary, extra FROM {table} \
                             WHERE tenant = {tenant_p} AND user_id IN ({})",
                            list.join(", ")
                        )
                    })
                    .collect();
                let sql = format!("{} ORDER BY 1, 2, 3", parts.join(" UNION ALL "));
                Some((q, sql, "user_id"))
            }
        };
        if let Some((q, sql, owner)) = sql {
            for row in q.query(&sql).fetch_all(&self.pool).await.map_err(backend)? {
                let source = get_text(&row, "source").unwrap_or_default();
                let tables = USER_CHILDREN.iter().map(|(_, t, _)| *t);
                let Some(table) = std::iter::once("group_members")
                    .chain(tables)
                    .find(|t| *t == source)
                else {
                    continue;
                };
                let owner_id = get_text(&row, owner).unwrap_or_default();
                let element = if table == "group_members" {
                    let mut m = Map::new();
                    m.insert("value".into(), get_text(&row, "member_id").into());
                    for (key, column) in [("display", "display"), ("type", "type"), ("$ref", "ref")]
                    {
                        if let Some(v) = get_text(&row, column) {
                            m.insert(key.into(), v.into());
                        }
                    }
                    m
                } else {
                    let mut m = Map::new();
                    for (key, column) in
                        [("value", "value"), ("type", "type"), ("display", "display")]
                    {
                        if let Some(v) = get_text(&row, column) {
                            m.insert(key.into(), v.into());
                        }
                    }
                    if let Some(p) = get_bool(&row, "is_primary") {
                        m.insert("primary".into(), p.into());
                    }
                    if let Some(Value::Object(extra)) =
                        get_text(&row, "extra").and_then(|e| serde_json::from_str(&e).ok())
                    {
                        m.extend(extra);
                    }
                    m
                };
                children
                    .entry((owner_id, table))
                    .or_default()
                    .push(Value::Object(element));
            }
        }
        let schemas = self.registry.resource(kind);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id = get_text(&row, "id").unwrap_or_default();
            let mut body = Map::new();
            let extra: Map<String, Value> = get_text(&row, "extra")
                .and_then(|e| serde_json::from_str(&e).ok())
                .unwrap_or_default();
            let mut urns = vec![Value::from(schemas.core().id.as_str())];
            urns.extend(
                schemas
                    .extensions()
                    .filter(|e| extra.contains_key(&e.id))
                    .map(|e| Value::from(e.id.as_str())),
            );
            body.insert("schemas".into(), Value::Array(urns));
            body.insert("id".into(), id.clone().into());
            let mut put = |key: &str, value: Option<String>| {
                if let Some(v) = value {
                    body.insert(key.into(), v.into());
                }
            };
            match kind {
                ResourceKind::Group => {
                    put("displayName", get_text(&row, "display_name"));
                    put("externalId", get_text(&row, "external_id"));
                    if with_members {
                        let members = children
                            .remove(&(id.clone(), "group_members"))
                            .unwrap_or_default();
                        body.insert("members".into(), Value::Array(members));
                    }
                }
                _ => {
                    put("externalId", get_text(&row, "external_id"));
                    put("userName", get_text(&row, "user_name"));
                    let mut name = Map::new();
                    for (sub, column) in NAME {
                        if let Some(v) = get_text(&row, column) {
                            name.insert(sub.into(), v.into());
                        }
                    }
                    if let Some(Value::Object(rest)) = extra.get("name") {
                        name.extend(rest.clone());
                    }
                    if !name.is_empty() {
                        body.insert("name".into(), Value::Object(name));
                    }
                    for (attr, column) in USER_TEXT.iter().skip(2) {
                        if let Some(v) = get_text(&row, column) {
                            body.insert((*attr).into(), v.into());
                        }
                    }
                    if let Some(active) = get_bool(&row, "active") {
                        body.insert("active".into(), active.into());
                    }
                    for (attr, table, _) in USER_CHILDREN {
                        if let Some(list) = children.remove(&(id.clone(), table)) {
                            body.insert(attr.into(), Value::Array(list));
                        }
                    }
                }
            }
            for (key, value) in extra {
                if key != "name" || kind != ResourceKind::User {
                    body.insert(key, value);
                }
            }
            let parse = |column: &str| {
                get_text(&row, column)
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.to_utc())
                    .unwrap_or_default()
            };
            let version: i64 = row.try_get("version").map_err(backend)?;
            let mut meta = Meta::new(parse("created"), Version::new(version.to_string()));
            meta.last_modified = parse("last_modified");
            let mut resource = Resource::from_json(kind, Value::Object(body))
                .map_err(|e| StoreError::backend(e.to_string()))?;
            resource.set_meta(&meta);
            out.push(resource);
        }
        Ok(out)
    }
}
