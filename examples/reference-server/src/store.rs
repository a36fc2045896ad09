//! `SqlStore`: a `ScimStore` over ordinary tables, on SQLite or PostgreSQL.
//!
//! This is the file to copy from when you implement `ScimStore` against your own database:
//! each SCIM operation is one short transaction, filters are translated to SQL by
//! `scim_filter::sql` through the column map below, and every write is guarded by the row's
//! `version` column, so concurrent writers (and several server processes) cannot lose an
//! update.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use scim_core::{
    ListPage, ListQuery, MemberChange, MembersChanged, Meta, Projection, RequestContext, Resource,
    ResourceKind, SchemaRegistry, ScimStore, SortOrder, StoreError, Version,
};
use scim_filter::AttrPath;
use scim_filter::sql::{ChildTable, Column, SqlSchema, to_sql_from};
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::db::{self, Arg, Dialect, Q};

/// A `ScimStore` on SQLite or PostgreSQL. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    registry: Arc<SchemaRegistry>,
}

/// The single-valued text columns of `users`, by attribute name.
const USER_TEXT: [(&str, &str); 10] = [
    ("externalId", "external_id"),
    ("userName", "user_name"),
    ("displayName", "display_name"),
    ("nickName", "nick_name"),
    ("profileUrl", "profile_url"),
    ("title", "title"),
    ("userType", "user_type"),
    ("preferredLanguage", "preferred_language"),
    ("locale", "locale"),
    ("timezone", "timezone"),
];

/// The `name` sub-attributes' columns.
const NAME: [(&str, &str); 6] = [
    ("formatted", "formatted_name"),
    ("familyName", "family_name"),
    ("givenName", "given_name"),
    ("middleName", "middle_name"),
    ("honorificPrefix", "honorific_prefix"),
    ("honorificSuffix", "honorific_suffix"),
];

/// The multi-valued attributes kept in child tables: attribute, table, whether `value` has
/// a lower-cased copy.
const USER_CHILDREN: [(&str, &str, bool); 2] = [
    ("emails", "user_emails", true),
    ("phoneNumbers", "user_phone_numbers", false),
];

fn now() -> String {
    stamp(&Utc::now())
}

fn stamp(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn backend(err: sqlx::Error) -> StoreError {
    StoreError::backend(err)
}

/// A write's error: a unique index means the name is taken.
fn write_error(err: sqlx::Error, kind: ResourceKind, name: Option<&str>) -> StoreError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        return StoreError::Conflict(format!(
            "{kind} {} \"{}\" is already taken",
            kind.unique_attribute(),
            name.unwrap_or_default()
        ));
    }
    backend(err)
}

fn not_found(kind: ResourceKind, id: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_owned(),
    }
}

/// A boolean column: `BOOLEAN` on PostgreSQL, `INTEGER` on SQLite.
fn get_bool(row: &AnyRow, column: &str) -> Option<bool> {
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

fn get_text(row: &AnyRow, column: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(column).ok().flatten()
}

fn table(kind: ResourceKind) -> &'static str {
    if kind == ResourceKind::Group {
        "groups"
    } else {
        "users"
    }
}

/// The column map `scim_filter::sql` translates filters with.
struct Columns<'a> {
    kind: ResourceKind,
    registry: &'a SchemaRegistry,
    dialect: Dialect,
}

/// Whether a name from the registry is safe to write into SQL text (it always is for valid
/// schemas; this keeps it so whatever an app registers).
fn plain(name: &str) -> bool {
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

/// A resource taken apart into its row, its child rows and the rest.
struct Parts {
    columns: Vec<(&'static str, Arg)>,
    children: Vec<(&'static str, Vec<Value>)>,
    extra: Map<String, Value>,
}

fn text_of(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

impl SqlStore {
    /// Connects to `url` (`sqlite://scim.db?mode=rwc`, `postgres://user@host/db`) and
    /// creates the tables that are missing. `registry` holds the app's extensions.
    pub async fn connect(url: &str, registry: Arc<SchemaRegistry>) -> Result<Self, sqlx::Error> {
        let (pool, dialect) = db::connect(url).await?;
        Ok(Self {
            pool,
            dialect,
            registry,
        })
    }

    /// The pool, for the app's own queries (tenants, tokens).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn columns(&self, kind: ResourceKind) -> Columns<'_> {
        Columns {
            kind,
            registry: &self.registry,
            dialect: self.dialect,
        }
    }

    fn q(&self) -> Q {
        Q::new(self.dialect)
    }

    /// Takes a validated resource apart into columns, child rows and the JSON rest.
    fn split(resource: &Resource) -> Parts {
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
    async fn insert_children(
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
    async fn assemble(
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

    async fn fetch(
        &self,
        tenant: &str,
        kind: ResourceKind,
        id: &str,
        with_members: bool,
    ) -> Result<Option<Resource>, StoreError> {
        let mut q = self.q();
        let sql = format!(
            "SELECT * FROM {} r WHERE r.tenant = {} AND r.id = {}",
            table(kind),
            q.p(tenant),
            q.p(id)
        );
        let rows = q.query(&sql).fetch_all(&self.pool).await.map_err(backend)?;
        Ok(self.assemble(tenant, kind, rows, with_members).await?.pop())
    }

    /// Commits, or for a dry run rolls back: the request ran fully, nothing stays.
    async fn finish(
        tx: sqlx::Transaction<'_, sqlx::Any>,
        ctx: &RequestContext,
    ) -> Result<(), StoreError> {
        if ctx.dry_run() {
            tx.rollback().await.map_err(backend)
        } else {
            tx.commit().await.map_err(backend)
        }
    }

    /// Why a guarded write touched no row: the resource is gone, or (when a version was
    /// expected) its version moved on.
    async fn refused(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> StoreError {
        let Some(expected) = expected else {
            return not_found(kind, id);
        };
        match self.fetch(ctx.tenant(), kind, id, false).await {
            Ok(Some(_)) => StoreError::PreconditionFailed {
                kind,
                id: id.to_owned(),
                expected: expected.clone(),
            },
            Ok(None) => not_found(kind, id),
            Err(err) => err,
        }
    }
}

/// What `sortBy` orders by: a column, or for a multi-valued attribute (RFC 7644 §3.4.2.3)
/// its primary (else first) element's value.
fn sort_expression(columns: &Columns<'_>, by: &AttrPath) -> Option<String> {
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

fn version_number(version: &Version) -> i64 {
    version.as_str().parse().unwrap_or(-1)
}

impl ScimStore for SqlStore {
    async fn create(
        &self,
        ctx: &RequestContext,
        mut resource: Resource,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let id = uuid::Uuid::new_v4().to_string();
        let created = Utc::now();
        resource.set_id(&id);
        resource.set_meta(&Meta::new(created, Version::new("1")));
        let parts = Self::split(&resource);
        let mut q = self.q();
        let mut names = vec![
            "tenant",
            "id",
            "extra",
            "created",
            "last_modified",
            "version",
        ];
        let mut values = vec![
            q.p(ctx.tenant()),
            q.p(id.as_str()),
            q.p(Value::Object(parts.extra.clone()).to_string()),
            q.p(stamp(&created)),
            q.p(stamp(&created)),
            q.p(1i64),
        ];
        for (column, arg) in &parts.columns {
            names.push(column);
            values.push(q.p(arg.clone()));
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table(kind),
            names.join(", "),
            values.join(", ")
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        q.query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error(e, kind, resource.unique_value()))?;
        self.insert_children(&mut tx, ctx.tenant(), &id, &parts.children, 1)
            .await
            .map_err(backend)?;
        Self::finish(tx, ctx).await?;
        Ok(resource)
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        self.fetch(ctx.tenant(), kind, id, true)
            .await?
            .ok_or_else(|| not_found(kind, id))
    }

    async fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Resource, StoreError> {
        let with_members = projection.wants(self.registry.resource(kind), "members");
        self.fetch(ctx.tenant(), kind, id, with_members)
            .await?
            .ok_or_else(|| not_found(kind, id))
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        let mut q = self.q();
        let mut clause = format!("r.tenant = {}", q.p(ctx.tenant()));
        if let Some(filter) = &query.filter {
            let sql = to_sql_from(filter, &self.columns(kind), self.dialect, q.args.len())
                .map_err(|e| StoreError::InvalidFilter(e.to_string()))?;
            clause = format!("{clause} AND {}", sql.clause);
            q.args.extend(sql.params.into_iter().map(Arg::from));
        }
        let count_sql = format!("SELECT COUNT(*) AS n FROM {} r WHERE {clause}", table(kind));
        let counted = |q: Q| async move {
            let n: i64 = q
                .query(&count_sql)
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?
                .try_get("n")
                .map_err(backend)?;
            Ok::<usize, StoreError>(usize::try_from(n).unwrap_or_default())
        };
        let count = query.count.unwrap_or(usize::MAX);
        if count == 0 {
            return Ok(ListPage::new(counted(q).await?, Vec::new()));
        }
        let order = match &query.sort {
            Some(sort) => {
                let expr = sort_expression(&self.columns(kind), &sort.by).ok_or_else(|| {
                    StoreError::InvalidFilter(format!(
                        "sorting by \"{}\" is not supported by this service",
                        sort.by
                    ))
                })?;
                let direction = if sort.order == SortOrder::Descending {
                    "DESC"
                } else {
                    "ASC"
                };
                format!("{expr} {direction} NULLS LAST, r.seq")
            }
            None => "r.seq".to_owned(),
        };
        let limit = i64::try_from(count).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);
        let count_q = q.clone();
        let page_sql = format!(
            "SELECT * FROM {} r WHERE {clause} ORDER BY {order} LIMIT {} OFFSET {}",
            table(kind),
            q.p(limit),
            q.p(offset)
        );
        let rows = q
            .query(&page_sql)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        // A first page that is not full holds every match: no need to count them (Entra's
        // lookups by userName or externalId find one user or none).
        let total = if query.offset() == 0 && rows.len() < count {
            rows.len()
        } else {
            counted(count_q).await?
        };
        let with_members = query
            .projection
            .wants(self.registry.resource(kind), "members");
        let resources = self
            .assemble(ctx.tenant(), kind, rows, with_members)
            .await?;
        Ok(ListPage::new(total, resources))
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        mut resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let id = resource.id().unwrap_or_default().to_owned();
        let current = self.get(ctx, kind, &id).await?;
        if current.version().as_ref() != Some(expected) {
            return Err(StoreError::PreconditionFailed {
                kind,
                id,
                expected: expected.clone(),
            });
        }
        if current.same_content(&resource) {
            return Ok(current);
        }
        let parts = Self::split(&resource);
        let modified = Utc::now();
        let version = version_number(expected) + 1;
        let mut q = self.q();
        let mut sets = vec![
            format!(
                "extra = {}",
                q.p(Value::Object(parts.extra.clone()).to_string())
            ),
            format!("last_modified = {}", q.p(stamp(&modified))),
            format!("version = {}", q.p(version)),
        ];
        for (column, arg) in &parts.columns {
            sets.push(format!("{column} = {}", q.p(arg.clone())));
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE tenant = {} AND id = {} AND version = {}",
            table(kind),
            sets.join(", "),
            q.p(ctx.tenant()),
            q.p(id.as_str()),
            q.p(version_number(expected))
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let updated = q
            .query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error(e, kind, resource.unique_value()))?
            .rows_affected();
        if updated == 0 {
            drop(tx);
            return Err(self.refused(ctx, kind, &id, Some(expected)).await);
        }
        for (child, _) in &parts.children {
            let owner = if *child == "group_members" {
                "group_id"
            } else {
                "user_id"
            };
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {child} WHERE tenant = {} AND {owner} = {}",
                q.p(ctx.tenant()),
                q.p(id.as_str())
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
        }
        self.insert_children(&mut tx, ctx.tenant(), &id, &parts.children, 1)
            .await
            .map_err(backend)?;
        Self::finish(tx, ctx).await?;
        let mut meta = current
            .meta()
            .unwrap_or_else(|| Meta::new(modified, Version::new("1")));
        meta.last_modified = modified;
        meta.version = Version::new(version.to_string());
        resource.set_meta(&meta);
        Ok(resource)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        let tenant = ctx.tenant();
        let mut q = self.q();
        let mut sql = format!(
            "DELETE FROM {} WHERE tenant = {} AND id = {}",
            table(kind),
            q.p(tenant),
            q.p(id)
        );
        if let Some(expected) = expected {
            sql = format!("{sql} AND version = {}", q.p(version_number(expected)));
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let deleted = q
            .query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            drop(tx);
            return Err(self.refused(ctx, kind, id, expected).await);
        }
        let children: &[(&str, &str)] = if kind == ResourceKind::Group {
            &[("group_members", "group_id")]
        } else {
            &[
                ("user_emails", "user_id"),
                ("user_phone_numbers", "user_id"),
            ]
        };
        for (child, owner) in children {
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {child} WHERE tenant = {} AND {owner} = {}",
                q.p(tenant),
                q.p(id)
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
        }
        if kind == ResourceKind::User {
            // A deleted user leaves its groups, which get a new version.
            let mut q = self.q();
            let sql = format!(
                "UPDATE groups SET version = version + 1, last_modified = {} WHERE tenant = {} AND id IN \
                 (SELECT group_id FROM group_members WHERE tenant = {} AND member_id = {})",
                q.p(now()),
                q.p(tenant),
                q.p(tenant),
                q.p(id)
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM group_members WHERE tenant = {} AND member_id = {}",
                q.p(tenant),
                q.p(id)
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
        }
        Self::finish(tx, ctx).await
    }

    /// Adds and removes membership rows only: the cost does not depend on the group's size.
    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        let tenant = ctx.tenant();
        let kind = ResourceKind::Group;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The guarded version bump comes first: it takes the write lock (SQLite) and fails
        // fast when another writer got in first. It is rolled back if nothing changes.
        let mut q = self.q();
        let mut sql = format!(
            "UPDATE groups SET version = version + 1, last_modified = {} WHERE tenant = {} AND id = {}",
            q.p(now()),
            q.p(tenant),
            q.p(group_id)
        );
        if let Some(expected) = expected {
            sql = format!("{sql} AND version = {}", q.p(version_number(expected)));
        }
        if q.query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
            == 0
        {
            drop(tx);
            return Err(self.refused(ctx, kind, group_id, expected).await);
        }
        let mut q = self.q();
        let sql = format!(
            "SELECT version FROM groups WHERE tenant = {} AND id = {}",
            q.p(tenant),
            q.p(group_id)
        );
        let version: i64 = q
            .query(&sql)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?
            .try_get("version")
            .map_err(backend)?;
        let mut removed = Vec::new();
        for member in &change.remove {
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM group_members WHERE tenant = {} AND group_id = {} AND member_id = {}",
                q.p(tenant),
                q.p(group_id),
                q.p(member.as_str())
            );
            let gone = q
                .query(&sql)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if gone > 0 {
                removed.push(member.clone());
            }
        }
        let mut added = Vec::new();
        if !change.add.is_empty() {
            let mut q = self.q();
            let sql = format!(
                "SELECT COALESCE(MAX(position), 0) AS p FROM group_members WHERE tenant = {} AND group_id = {}",
                q.p(tenant),
                q.p(group_id)
            );
            let mut next: i64 = q
                .query(&sql)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?
                .try_get("p")
                .map_err(backend)?;
            // One row at a time: an id already a member inserts nothing, and is not added.
            for member in &change.add {
                next += 1;
                let rows = [("group_members", vec![member.clone()])];
                let inserted = self
                    .insert_children(&mut tx, tenant, group_id, &rows, next)
                    .await
                    .map_err(backend)?;
                if let Some(id) = member.get("value").and_then(Value::as_str)
                    && inserted > 0
                {
                    added.push(id.to_owned());
                }
            }
        }
        if added.is_empty() && removed.is_empty() {
            tx.rollback().await.map_err(backend)?;
            let version = Version::new((version - 1).to_string());
            return Ok(MembersChanged::new(version, added, removed));
        }
        Self::finish(tx, ctx).await?;
        let version = Version::new(version.to_string());
        Ok(MembersChanged::new(version, added, removed))
    }
}
