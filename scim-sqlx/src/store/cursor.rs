//! Cursor paging (RFC 9865) as keyset queries: the page after (or before) a resource is the
//! rows past its sort value and id, found through the index that serves the order, never
//! by an `OFFSET` that reads every row before it.

use scim_core::cursor::Position;
use scim_core::{ListPage, ListQuery, RequestContext, ResourceKind, SortOrder, StoreError};
use scim_filter::sql::ColumnType;
use serde_json::Value;

use super::read::{unsortable, where_clause};
use super::{SqlStore, backend};
use crate::db::{Arg, Dialect, Q, Row};
use crate::query::{nulls_first, nulls_last};

/// The order a list pages in: the sort expression (its kind, its direction) if any, then the
/// id, ascending. A sort by the id itself is the id in that direction.
struct Order {
    sort: Option<(String, ColumnType, &'static str)>,
    id: String,
    id_descending: bool,
}

impl Order {
    /// `ORDER BY`, forward or (to read a previous page) reversed.
    fn clause(&self, forward: bool, dialect: Dialect) -> String {
        let id = if forward != self.id_descending {
            "ASC"
        } else {
            "DESC"
        };
        match &self.sort {
            Some((expr, _, direction)) if forward => format!(
                " ORDER BY {}, {} {id}",
                nulls_last(expr, direction, dialect),
                self.id
            ),
            Some((expr, _, direction)) => {
                let reversed = if *direction == "ASC" { "DESC" } else { "ASC" };
                format!(
                    " ORDER BY {}, {} {id}",
                    nulls_first(expr, reversed, dialect),
                    self.id
                )
            }
            None => format!(" ORDER BY {} {id}", self.id),
        }
    }

    /// The rows after (`forward`) or before `position`, whose id is bound as `key`.
    fn past(&self, position: &Position, key: Arg, q: &mut Q) -> String {
        let id = &self.id;
        let beyond = if position.forward { ">" } else { "<" };
        let Some((expr, _, direction)) = &self.sort else {
            let id_beyond = match (beyond, self.id_descending) {
                (">", true) => "<",
                ("<", true) => ">",
                (b, _) => b,
            };
            return format!("{id} {id_beyond} {}", q.p(key));
        };
        // The sort's direction turns "after" around; rows without a value come last.
        let beyond = match (*direction, beyond) {
            ("DESC", ">") => "<",
            ("DESC", _) => ">",
            (_, b) => b,
        };
        match (position.sort_value.as_ref().map(bound), position.forward) {
            (Some(value), true) => format!(
                "(({expr} {beyond} {}) OR ({expr} = {} AND {id} > {}) OR {expr} IS NULL)",
                q.p(value.clone()),
                q.p(value),
                q.p(key)
            ),
            (Some(value), false) => format!(
                "(({expr} {beyond} {}) OR ({expr} = {} AND {id} < {}))",
                q.p(value.clone()),
                q.p(value),
                q.p(key)
            ),
            (None, true) => format!("({expr} IS NULL AND {id} > {})", q.p(key)),
            (None, false) => format!("({expr} IS NOT NULL OR {id} < {})", q.p(key)),
        }
    }

    /// The sort value as the page's select reads it back (numbers as floating point, which
    /// every driver decodes), or `NULL` without a sort.
    fn select(&self, dialect: Dialect) -> String {
        match &self.sort {
            Some((expr, ColumnType::Integer | ColumnType::Decimal, _)) => match dialect {
                Dialect::Mysql => format!("CAST({expr} AS DOUBLE)"),
                _ => format!("CAST({expr} AS DOUBLE PRECISION)"),
            },
            Some((expr, _, _)) => expr.clone(),
            None => "NULL".to_owned(),
        }
    }

    /// A row's sort value, as a cursor carries it.
    fn value(&self, row: &Row) -> Option<Value> {
        let (_, kind, _) = self.sort.as_ref()?;
        match kind {
            ColumnType::Integer | ColumnType::Decimal => row
                .float("scim_sort")
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            ColumnType::Boolean => row.bool("scim_sort").map(Value::Bool),
            _ => row.text("scim_sort").map(Value::String),
        }
    }
}

/// A cursor's sort value bound as the sort expression compares it.
fn bound(value: &Value) -> Arg {
    match value {
        Value::Bool(b) => Arg::Bool(Some(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Arg::Int(Some(i)),
            None => Arg::Float(n.as_f64()),
        },
        Value::String(s) => Arg::Text(Some(s.clone())),
        other => Arg::Text(Some(other.to_string())),
    }
}

impl SqlStore {
    /// A page by cursor: `query.count` rows past `position` in the keyset order, one more
    /// read to know whether another page follows.
    pub(super) async fn list_by_cursor(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
        position: &Position,
    ) -> Result<ListPage, StoreError> {
        let layout = self.layout(kind)?;
        let columns = self.columns(layout);
        let dialect = self.dialect();
        let sort = match &query.sort {
            Some(sort) => {
                let (expr, kind) = columns
                    .sort_typed(&sort.by)
                    .ok_or_else(|| unsortable(&sort.by))?;
                let direction = match sort.order {
                    SortOrder::Descending => "DESC",
                    SortOrder::Ascending => "ASC",
                };
                Some((expr, kind, direction))
            }
            None => None,
        };
        // By the id: the tie-break alone, in the sort's direction.
        let (sort, id_descending) = match sort {
            Some((_, ColumnType::Key(_), direction)) => (None, direction == "DESC"),
            other => (other, false),
        };
        let order = Order {
            sort,
            id: format!("r.{}", layout.id),
            id_descending,
        };
        let (mut conditions, mut q) = self.conditions(ctx, layout, query)?;
        let counting = (where_clause(&conditions), q.clone());
        if !position.is_start() {
            // A position this store gave names an id of its type; anything else, nothing.
            let Some(key) = Self::id_arg(layout.id_kind, &position.id) else {
                return Ok(ListPage::default());
            };
            conditions.push(order.past(position, key, &mut q));
        }
        let count = query.count.unwrap_or(usize::MAX);
        let schemas = self.inner.registry.resource(kind);
        let with_members =
            kind != ResourceKind::Group || query.projection.wants(schemas, "members");
        let select = self.select(layout, with_members);
        // The sort value beside the columns: it goes into the cursors.
        let at = select.rfind(" FROM ").unwrap_or(select.len());
        let sql = format!(
            "{}, {} AS scim_sort{}{}{} LIMIT {}",
            &select[..at],
            order.select(dialect),
            &select[at..],
            where_clause(&conditions),
            order.clause(position.forward, dialect),
            count.saturating_add(1).min(i64::MAX as usize)
        );
        let mut rows = q.fetch(&self.inner.db, &sql).await.map_err(backend)?;
        let more = rows.len() > count;
        rows.truncate(count);
        if !position.forward {
            rows.reverse();
        }
        let edge = |row: &Row, forward: bool| Position {
            sort_value: order.value(row),
            id: row.text("scim_id").unwrap_or_default(),
            forward,
        };
        let (after, before) = if position.forward {
            (more, !position.is_start())
        } else {
            (true, more)
        };
        let next = rows.last().filter(|_| after).map(|r| edge(r, true));
        let previous = rows.first().filter(|_| before).map(|r| edge(r, false));
        let resources: Vec<_> = rows
            .iter()
            .map(|row| Self::resource(layout, row, with_members))
            .collect();
        // A first page that is not full holds every match: no count needed.
        let total = if position.is_start() && !more {
            resources.len()
        } else {
            let (condition, args) = counting;
            let sql = format!("SELECT COUNT(*) AS n FROM {}{condition}", columns.from());
            let rows = args.fetch(&self.inner.db, &sql).await.map_err(backend)?;
            let n = rows.first().and_then(|r| r.int("n")).unwrap_or(0);
            usize::try_from(n).unwrap_or(0)
        };
        Ok(ListPage::new(total, resources).with_cursors(next, previous))
    }
}
