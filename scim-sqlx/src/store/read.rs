//! Reading: one statement per resource (its row, its side row, its child rows and members
//! aggregated as JSON), lists with the filter, sort and page in SQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use scim_core::{
    ListPage, ListQuery, Meta, Provenance, RequestContext, Resource, ResourceKind, SortOrder,
    StoreError,
};
use scim_filter::AttrPath;
use scim_filter::sql::{SqlSchema, to_sql_from};

use super::{SqlStore, backend, not_found, version};
use crate::db::{Dialect, Row, Tx};
use crate::layout::Layout;
use crate::parts::{self, Parts};
use crate::query::nulls_last;

impl SqlStore {
    /// The select list of `layout`'s resources, with the group's members unless
    /// `!with_members`: made once per store.
    pub(super) fn select(&self, layout: &Layout, with_members: bool) -> &str {
        let which = match (layout.kind, with_members) {
            (ResourceKind::User, _) => 0,
            (_, true) => 1,
            (_, false) => 2,
        };
        self.inner.selects[which].get_or_init(|| self.make_select(layout, with_members))
    }

    fn make_select(&self, layout: &Layout, with_members: bool) -> String {
        let columns = self.columns(layout);
        let dialect = self.dialect();
        let mut list = vec![
            format!("{} AS scim_id", columns.id_text()),
            "s.version AS scim_version".to_owned(),
            "s.created AS scim_created".to_owned(),
            "s.last_modified AS scim_modified".to_owned(),
        ];
        if layout.external_id_in_side() {
            list.push("s.external_id AS scim_external".to_owned());
        }
        for (i, slot) in layout.slots.iter().enumerate() {
            list.push(format!("{} AS scim_s{i}", Layout::slot_expr(slot)));
        }
        let document = columns.document();
        list.push(match dialect {
            Dialect::Postgres => format!("{document}::text AS scim_doc"),
            _ => format!("{document} AS scim_doc"),
        });
        let id = format!("r.{}", layout.id);
        for (i, child) in layout.children.iter().enumerate() {
            let c = &child.child;
            let column = |name: &str| format!("c.{name}");
            let (value, kind, primary, display) = (
                column(&c.value),
                c.kind.as_deref().map(column),
                c.primary.as_deref().map(column),
                c.display.as_deref().map(column),
            );
            let mut fields = vec![("value", value.as_str())];
            fields.extend(kind.as_deref().map(|k| ("type", k)));
            fields.extend(primary.as_deref().map(|k| ("primary", k)));
            fields.extend(display.as_deref().map(|k| ("display", k)));
            let aggregate = aggregate(
                dialect,
                &fields,
                &c.table,
                &c.parent,
                &id,
                c.position.as_deref(),
            );
            list.push(format!("{aggregate} AS scim_k{i}"));
        }
        if with_members && let Some(m) = &layout.members {
            // The member's id as text, whatever its column's type.
            let value = match dialect {
                Dialect::Postgres => format!("c.{}::text", m.member),
                Dialect::Mysql => format!("CAST(c.{} AS CHAR)", m.member),
                _ => format!("CAST(c.{} AS TEXT)", m.member),
            };
            let display = m.display.as_ref().map(|d| format!("c.{d}"));
            let kind = m.kind.as_ref().map(|k| format!("c.{k}"));
            let reference = m.reference.as_ref().map(|r| format!("c.{r}"));
            let mut fields = vec![("value", value.as_str())];
            fields.extend(display.as_deref().map(|d| ("display", d)));
            fields.extend(kind.as_deref().map(|k| ("type", k)));
            fields.extend(reference.as_deref().map(|r| ("$ref", r)));
            let aggregate = aggregate(
                dialect,
                &fields,
                &m.table,
                &m.group,
                &id,
                m.position.as_deref(),
            );
            list.push(format!("{aggregate} AS scim_m"));
        }
        format!("SELECT {} FROM {}", list.join(", "), columns.from())
    }

    /// The resource a row of [`Self::select`] holds.
    pub(super) fn resource(layout: &Layout, row: &Row, with_members: bool) -> Resource {
        let id = row.text("scim_id").unwrap_or_default();
        let time = |name: &str| {
            row.text(name)
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc))
        };
        let mut meta = Meta::new(
            time("scim_created"),
            version(row.int("scim_version").unwrap_or(0)),
        );
        meta.last_modified = time("scim_modified");
        let rest = row
            .text("scim_doc")
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let parts = Parts {
            external_id: row.text("scim_external"),
            slots: layout
                .slots
                .iter()
                .enumerate()
                .map(|(i, s)| parts::read(row, &format!("scim_s{i}"), s.value))
                .collect(),
            children: (0..layout.children.len())
                .map(|i| parts::elements(row.text(&format!("scim_k{i}"))))
                .collect(),
            members: (with_members && layout.members.is_some())
                .then(|| parts::elements(row.text("scim_m"))),
            rest,
        };
        parts.assemble(layout, &id, &meta)
    }

    /// The resource `id`, with its members unless `!with_members`, in a statement of its
    /// own.
    pub(super) async fn read_one(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        with_members: bool,
    ) -> Result<Resource, StoreError> {
        let layout = self.layout(kind)?;
        let Some(key) = Self::id_arg(layout.id_kind, id) else {
            return Err(not_found(kind, id));
        };
        let mut q = self.q();
        let select = self.select(layout, with_members);
        let sql = format!(
            "{select} WHERE r.{} = {}{}",
            layout.id,
            q.p(key),
            Self::tenant_clause(layout, ctx, &mut q)
        );
        let rows = q.fetch(&self.inner.db, &sql).await.map_err(backend)?;
        rows.first()
            .map(|row| Self::resource(layout, row, with_members))
            .ok_or_else(|| not_found(kind, id))
    }

    /// The `displayName` of each resource of type `kind` among `ids`, in one statement.
    pub(super) async fn names(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let layout = self.layout(kind)?;
        let columns = self.columns(layout);
        let Some(name) = columns.column(&AttrPath::new("displayName")) else {
            return Ok(HashMap::new());
        };
        let mut q = self.q();
        let within = self.ids_within(layout, ids, &mut q);
        // One row holding a JSON object of id → name: fetched row by row, ten thousand
        // names cost SQLite's driver more than the query.
        let object = match self.dialect() {
            Dialect::Postgres => "json_object_agg",
            Dialect::Mysql => "JSON_OBJECTAGG",
            _ => "json_group_object",
        };
        let object = format!("{object}({}, {})", columns.id_text(), name.expr);
        let sql = format!(
            "SELECT {} AS scim_names FROM {} WHERE r.{} IN ({within}) AND {} IS NOT NULL{}",
            match self.dialect() {
                Dialect::Postgres => format!("{object}::text"),
                _ => object,
            },
            columns.from(),
            layout.id,
            name.expr,
            Self::tenant_clause(layout, ctx, &mut q)
        );
        let rows = q.fetch(&self.inner.db, &sql).await.map_err(backend)?;
        let names = rows.first().and_then(|row| row.text("scim_names"));
        let names: serde_json::Map<String, serde_json::Value> = names
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Ok(names
            .into_iter()
            .filter_map(|(id, name)| Some((id, name.as_str()?.to_owned())))
            .collect())
    }

    /// Who created the resource `id`: a row the app made has no side row, or one marked
    /// `app` (written since by SCIM); the directory's rows are marked `directory`.
    pub(super) async fn origin(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Provenance, StoreError> {
        let layout = self.layout(kind)?;
        let Some(key) = Self::id_arg(layout.id_kind, id) else {
            return Err(not_found(kind, id));
        };
        let mut q = self.q();
        let sql = format!(
            "SELECT s.origin AS origin, 1 AS present FROM {} WHERE r.{} = {}{}",
            self.columns(layout).from(),
            layout.id,
            q.p(key),
            Self::tenant_clause(layout, ctx, &mut q)
        );
        let rows = q.fetch(&self.inner.db, &sql).await.map_err(backend)?;
        let row = rows.first().ok_or_else(|| not_found(kind, id))?;
        Ok(match row.text("origin").as_deref() {
            Some("directory") => Provenance::Directory,
            _ => Provenance::App,
        })
    }

    /// The resource `id` as `tx` sees it (members included), or `None`.
    pub(super) async fn fetch_in(
        &self,
        tx: &mut Tx,
        ctx: &RequestContext,
        layout: &Layout,
        key: crate::db::Arg,
    ) -> Result<Option<Resource>, StoreError> {
        let mut q = self.q();
        let select = self.select(layout, true);
        let sql = format!(
            "{select} WHERE r.{} = {}{}",
            layout.id,
            q.p(key),
            Self::tenant_clause(layout, ctx, &mut q)
        );
        let rows = q.fetch_in(tx, &sql).await.map_err(backend)?;
        Ok(rows.first().map(|row| Self::resource(layout, row, true)))
    }

    /// A list's conditions (the tenant's, the filter's) and their arguments.
    pub(super) fn conditions(
        &self,
        ctx: &RequestContext,
        layout: &Layout,
        query: &ListQuery,
    ) -> Result<(Vec<String>, crate::db::Q), StoreError> {
        let mut q = self.q();
        let mut conditions = Vec::new();
        if let Some(tenant) = Self::tenant_condition(layout, ctx, &mut q) {
            conditions.push(tenant);
        }
        if let Some(filter) = &query.filter {
            let columns = self.columns(layout);
            let sql = to_sql_from(filter, &columns, self.dialect(), q.len())
                .map_err(|e| StoreError::InvalidFilter(e.to_string()))?;
            conditions.push(sql.clause);
            q.extend(sql.params);
        }
        Ok((conditions, q))
    }

    /// How many rows `conditions` (bound in `q`) match. Without the side table's join when
    /// no condition reads it: joining a million rows to count them cost SQLite a second,
    /// where counting the table's index takes a tenth of that.
    pub(super) async fn count_rows(
        &self,
        layout: &Layout,
        conditions: &[String],
        q: &crate::db::Q,
    ) -> Result<usize, StoreError> {
        let reads_side = conditions.iter().any(|c| mentions_side(c));
        let from = if reads_side {
            self.columns(layout).from()
        } else {
            format!("{} r", layout.table)
        };
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {from}{}",
            where_clause(conditions)
        );
        let rows = q.fetch(&self.inner.db, &sql).await.map_err(backend)?;
        let n = rows.first().and_then(|r| r.int("n")).unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The statements of a list: the page's and the count's, with their arguments.
    fn page(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        let layout = self.layout(kind)?;
        let columns = self.columns(layout);
        let dialect = self.dialect();
        let (conditions, q) = self.conditions(ctx, layout, query)?;
        let condition = where_clause(&conditions);
        let order = match &query.sort {
            Some(sort) => {
                let expr = columns.sort(&sort.by).ok_or_else(|| unsortable(&sort.by))?;
                let direction = match sort.order {
                    SortOrder::Descending => "DESC",
                    SortOrder::Ascending => "ASC",
                };
                format!(
                    " ORDER BY {}, r.{}",
                    nulls_last(&expr, direction, dialect),
                    layout.id
                )
            }
            None => format!(" ORDER BY r.{}", layout.id),
        };
        let schemas = self.inner.registry.resource(kind);
        let with_members =
            kind != ResourceKind::Group || query.projection.wants(schemas, "members");
        let wanted = query.count.unwrap_or(usize::MAX);
        let limit = i64::try_from(wanted).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);
        // The page as literals (numbers this code made): PostgreSQL then plans the
        // statement once and reuses it, where a parameter in LIMIT made it plan every
        // lookup anew (three times the database's work for Entra's `userName eq`).
        Ok(Page {
            select: format!(
                "{}{condition}{order} LIMIT {limit} OFFSET {offset}",
                self.select(layout, with_members),
            ),
            conditions,
            args: q,
            wanted,
            with_members,
        })
    }

    pub(super) async fn list_rows(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        let layout = self.layout(kind)?;
        let page = self.page(ctx, kind, query)?;
        let resources = if page.wanted == 0 {
            Vec::new()
        } else {
            let rows = page
                .args
                .fetch(&self.inner.db, &page.select)
                .await
                .map_err(backend)?;
            rows.iter()
                .map(|row| Self::resource(layout, row, page.with_members))
                .collect()
        };
        // A first page that is not full holds every match: no count needed.
        let total = if query.offset() == 0 && resources.len() < page.wanted {
            resources.len()
        } else {
            self.count_rows(layout, &page.conditions, &page.args)
                .await?
        };
        Ok(ListPage::new(total, resources))
    }

    /// The database's plan for the page of a list: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN`
    /// on PostgreSQL, one line per step. To check that the app's indexes serve the lookups
    /// Entra makes: each should be a `SEARCH ... USING INDEX` (SQLite) or an `Index Scan`
    /// (PostgreSQL), not a `SCAN` of the table.
    ///
    /// ```no_run
    /// # async fn check(store: scim_sqlx::SqlStore) -> Result<(), Box<dyn std::error::Error>> {
    /// use scim_core::{ListQuery, RequestContext, ResourceKind};
    /// use scim_filter::Filter;
    ///
    /// let lookup = ListQuery::new().with_filter(Filter::parse(r#"userName eq "x""#)?);
    /// let ctx = RequestContext::new("default");
    /// for line in store.explain(&ctx, ResourceKind::User, &lookup).await? {
    ///     println!("{line}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn explain(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<Vec<String>, StoreError> {
        let page = self.page(ctx, kind, query)?;
        let (sql, column) = match self.dialect() {
            Dialect::Postgres => (format!("EXPLAIN {}", page.select), "QUERY PLAN"),
            Dialect::Mysql => (format!("EXPLAIN {}", page.select), ""),
            _ => (format!("EXPLAIN QUERY PLAN {}", page.select), "detail"),
        };
        let rows = page
            .args
            .fetch(&self.inner.db, &sql)
            .await
            .map_err(backend)?;
        if column.is_empty() {
            // MySQL: a row per table read, its access in columns.
            return Ok(rows.iter().map(mysql_plan_line).collect());
        }
        Ok(rows.iter().filter_map(|row| row.text(column)).collect())
    }
}

/// One row of MySQL's `EXPLAIN`: `table: type ALL|ref|..., key k, rows n, Extra`.
fn mysql_plan_line(row: &Row) -> String {
    let field = |name: &str| row.text(name).unwrap_or_default();
    // A number on MySQL, text on MariaDB.
    let rows = row
        .int("rows")
        .map(|n| n.to_string())
        .or_else(|| row.text("rows"))
        .unwrap_or_default();
    format!(
        "{}: type {}, key {}, rows {rows}, {}",
        field("table"),
        field("type"),
        field("key"),
        field("Extra")
    )
}

/// Whether SQL text reads the side table (alias `s`): `s.` not preceded by a name's
/// letters, digits or `_` (as in `users.` or `sessions.`).
fn mentions_side(sql: &str) -> bool {
    sql.match_indices("s.").any(|(at, _)| {
        at == 0 || !sql.as_bytes()[at - 1].is_ascii_alphanumeric() && sql.as_bytes()[at - 1] != b'_'
    })
}

/// ` WHERE a AND b`, or nothing.
pub(super) fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// `400 invalidFilter` for a `sortBy` the tables cannot sort by.
pub(super) fn unsortable(by: &AttrPath) -> StoreError {
    StoreError::InvalidFilter(format!(
        "sorting by \"{by}\" is not supported by this service"
    ))
}

/// A list's statements.
struct Page {
    /// The page's rows.
    select: String,
    /// What the rows match, for the count.
    conditions: Vec<String>,
    /// Both statements' arguments.
    args: crate::db::Q,
    /// At most this many rows.
    wanted: usize,
    with_members: bool,
}

/// A JSON array of the child rows of `table` (aliased `c`) whose `parent` column is `id`,
/// each an object of `fields` (`(key, expression)`), in `position` order.
fn aggregate(
    dialect: Dialect,
    fields: &[(&str, &str)],
    table: &str,
    parent: &str,
    id: &str,
    position: Option<&str>,
) -> String {
    let order = position
        .map(|p| format!(" ORDER BY c.{p}"))
        .unwrap_or_default();
    match dialect {
        Dialect::Postgres => {
            let object: Vec<String> = fields.iter().map(|(k, e)| format!("'{k}', {e}")).collect();
            format!(
                "(SELECT json_agg(json_build_object({}){order})::text FROM {table} c WHERE c.{parent} = {id})",
                object.join(", ")
            )
        }
        // `JSON_ARRAYAGG` takes no `ORDER BY` in MySQL; `GROUP_CONCAT` does (its length
        // limit is raised on each connection: see `Database::Mysql`).
        Dialect::Mysql => {
            let object: Vec<String> = fields.iter().map(|(k, e)| format!("'{k}', {e}")).collect();
            format!(
                "(SELECT CONCAT('[', GROUP_CONCAT(JSON_OBJECT({}){order} SEPARATOR ','), ']') FROM {table} c WHERE c.{parent} = {id})",
                object.join(", ")
            )
        }
        _ => {
            let object: Vec<String> = fields.iter().map(|(k, e)| format!("'{k}', {e}")).collect();
            format!(
                "(SELECT json_group_array(json_object({}){order}) FROM {table} c WHERE c.{parent} = {id})",
                object.join(", ")
            )
        }
    }
}
