//! Attributes in SQL: the column map filters are translated with (every attribute the
//! schemas define, wherever it lives), sort expressions, and the select list that reads a
//! resource in one statement.

use scim_core::{AttrType, ResourceSchemas};
use scim_filter::sql::{ChildTable, Column, ColumnType, Dialect, KeyType, SqlSchema};
use scim_filter::{AttrPath, AttributeLookup};

use crate::layout::{Layout, Loc, ValueKind};
use crate::mapping::IdKind;

/// One resource type's attributes as SQL expressions, over `FROM {table} r LEFT JOIN {side}
/// s ON s.id = r.{id}`.
pub(crate) struct Columns<'a> {
    pub(crate) layout: &'a Layout,
    pub(crate) schemas: &'a ResourceSchemas,
    pub(crate) dialect: Dialect,
}

/// Whether a JSON key can be written into a JSON path inside SQL text: attribute names and
/// URNs always can; a free-form key with other characters cannot, and is not filtered on.
fn safe_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":._$-".contains(c))
}

/// The key type of ids of `kind`, for filters; `None` for text ids.
fn key_type(kind: IdKind) -> Option<KeyType> {
    match kind {
        IdKind::Integer => Some(KeyType::Integer),
        IdKind::Uuid => Some(KeyType::Uuid),
        _ => None,
    }
}

fn id_column(expr: String, kind: IdKind) -> Column {
    match key_type(kind) {
        Some(key) => Column::key(expr, key),
        None => Column::exact_text(expr),
    }
}

/// A text column: compared without case (folded in SQL on both sides) unless `case_exact`.
fn text_column(expr: String, case_exact: bool) -> Column {
    if case_exact {
        Column::exact_text(expr)
    } else {
        Column::text(expr).fold_in_sql()
    }
}

/// [`text_column`] for a column of the app's tables in `dialect`: on MySQL a
/// case-insensitive attribute is compared under the column's collation (case-insensitive
/// by default), which an index on the column serves, with the value lower-cased.
fn table_text(expr: String, case_exact: bool, dialect: Dialect) -> Column {
    if dialect == Dialect::Mysql && !case_exact {
        return Column::text(expr.clone()).folded(expr);
    }
    text_column(expr, case_exact)
}

/// A column of the app's tables holding `value`.
fn table_typed(expr: String, value: ValueKind, case_exact: bool, dialect: Dialect) -> Column {
    match value {
        ValueKind::Text => table_text(expr, case_exact, dialect),
        _ => typed(expr, value, case_exact),
    }
}

fn typed(expr: String, value: ValueKind, case_exact: bool) -> Column {
    match value {
        ValueKind::Text => text_column(expr, case_exact),
        ValueKind::Bool => Column::boolean(expr),
        ValueKind::Int => Column::of(expr, ColumnType::Integer),
        ValueKind::Float => Column::of(expr, ColumnType::Decimal),
        ValueKind::DateTime => Column::datetime(expr),
    }
}

fn value_kind(kind: AttrType) -> Option<ValueKind> {
    Some(match kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => ValueKind::Text,
        AttrType::Boolean => ValueKind::Bool,
        AttrType::Integer => ValueKind::Int,
        AttrType::Decimal => ValueKind::Float,
        AttrType::DateTime => ValueKind::DateTime,
        _ => return None,
    })
}

impl Columns<'_> {
    /// The JSON document of the attributes no column holds.
    pub(crate) fn document(&self) -> String {
        match &self.layout.json {
            Some(column) => format!("r.{column}"),
            None => "s.extra".to_owned(),
        }
    }

    /// The id, as text.
    pub(crate) fn id_text(&self) -> String {
        let id = &self.layout.id;
        match (self.dialect, self.layout.id_kind) {
            (_, IdKind::Text) => format!("r.{id}"),
            (Dialect::Postgres, _) => format!("r.{id}::text"),
            (Dialect::Mysql, _) => format!("CAST(r.{id} AS CHAR)"),
            _ => format!("CAST(r.{id} AS TEXT)"),
        }
    }

    /// `FROM` and the join to the side table.
    pub(crate) fn from(&self) -> String {
        let l = self.layout;
        format!("{} r LEFT JOIN {} s ON s.id = r.{}", l.table, l.side, l.id)
    }

    /// The value at `keys` in the JSON document `doc`, typed as `value` (text, a boolean, a
    /// number, a dateTime normalized to UTC milliseconds).
    fn json_at(&self, doc: &str, keys: &[&str], value: ValueKind) -> Option<String> {
        if !keys.iter().all(|k| safe_key(k)) {
            return None;
        }
        Some(match self.dialect {
            Dialect::Postgres => {
                let path = keys.join(",");
                let text = format!("({doc} #>> '{{{path}}}')");
                match value {
                    ValueKind::Text => text,
                    ValueKind::Bool => format!("{text}::boolean"),
                    ValueKind::Int | ValueKind::Float => format!("{text}::numeric"),
                    ValueKind::DateTime => format!(
                        "to_char({text}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                    ),
                }
            }
            Dialect::Mysql => {
                let path: String = keys.iter().map(|k| format!(".\"{k}\"")).collect();
                mysql_json_value(&format!("JSON_VALUE({doc}, '${path}')"), value)
            }
            _ => {
                let path: String = keys.iter().map(|k| format!(".\"{k}\"")).collect();
                let extracted = format!("json_extract({doc}, '${path}')");
                match value {
                    ValueKind::DateTime => {
                        format!("strftime('%Y-%m-%dT%H:%M:%fZ', {extracted})")
                    }
                    _ => extracted,
                }
            }
        })
    }

    /// The elements of the JSON array at `keys` of the document, as a table-valued
    /// expression aliased `c`, and how to read one element (`None`: the element itself,
    /// else its sub-attribute).
    fn json_elements(&self, keys: &[&str]) -> Option<ChildTable> {
        if !keys.iter().all(|k| safe_key(k)) {
            return None;
        }
        let doc = self.document();
        Some(match self.dialect {
            Dialect::Postgres => {
                let path = keys.join(",");
                ChildTable::within(
                    format!("jsonb_array_elements({doc} #> '{{{path}}}')"),
                    "c(v)",
                )
            }
            Dialect::Mysql => {
                let path: String = keys.iter().map(|k| format!(".\"{k}\"")).collect();
                ChildTable::within(
                    format!("JSON_TABLE({doc}, '${path}[*]' COLUMNS (v JSON PATH '$'))"),
                    "c",
                )
            }
            _ => {
                let path: String = keys.iter().map(|k| format!(".\"{k}\"")).collect();
                ChildTable::within(format!("json_each({doc}, '${path}')"), "c")
            }
        })
    }

    /// One JSON array element's sub-attribute `sub` (or the element itself), typed.
    fn element(&self, sub: Option<&str>, value: ValueKind) -> Option<String> {
        match (self.dialect, sub) {
            (Dialect::Postgres, Some(sub)) => self.json_at("c.v", &[sub], value),
            (Dialect::Postgres, None) => self.json_at("c.v", &[], value),
            (Dialect::Mysql, Some(sub)) => self.json_at("c.v", &[sub], value),
            (Dialect::Mysql, None) => Some(mysql_json_value("JSON_VALUE(c.v, '$')", value)),
            (_, Some(sub)) => self.json_at("c.value", &[sub], value),
            (_, None) => Some(match value {
                ValueKind::DateTime => "strftime('%Y-%m-%dT%H:%M:%fZ', c.value)".to_owned(),
                _ => "c.value".to_owned(),
            }),
        }
    }

    /// Where the top-level attribute `name` (under `schema`, if given) lives, as the schema
    /// spells it.
    fn top(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> Option<(Option<String>, String, bool, AttrType)> {
        let info = self.schemas.attribute(schema, name)?;
        Some((
            info.extension.map(str::to_owned),
            info.name.to_owned(),
            info.multi_valued,
            info.kind,
        ))
    }

    /// `meta`'s sub-attributes, kept by the side table.
    fn meta(&self, sub: &str) -> Option<Column> {
        let kind = self.layout.kind.as_str();
        match sub.to_ascii_lowercase().as_str() {
            "created" => Some(Column::datetime("s.created")),
            "lastmodified" => Some(Column::datetime("s.last_modified")),
            "resourcetype" => Some(Column::exact_text(format!("'{kind}'"))),
            _ => None,
        }
    }

    /// An expression for `sortBy`: the value (lower-cased unless case-exact), or for a
    /// multi-valued attribute its primary, else first, value (RFC 7644 §3.4.2.3).
    ///
    /// Text sorts by code point, as every store does: MySQL's collations would sort `É`
    /// beside `E`, so there it sorts the text's bytes (UTF-8 keeps code point order).
    pub(crate) fn sort(&self, by: &AttrPath) -> Option<String> {
        self.sort_typed(by).map(|(expr, _)| expr)
    }

    /// [`Columns::sort`], with what the expression holds.
    pub(crate) fn sort_typed(&self, by: &AttrPath) -> Option<(String, ColumnType)> {
        let mysql = self.dialect == Dialect::Mysql;
        let fold = |column: Column| match column.kind {
            ColumnType::Text { case_exact: false } if mysql => {
                format!("CAST(LOWER({}) AS BINARY)", column.expr)
            }
            ColumnType::Text { case_exact: true } if mysql => {
                format!("CAST({} AS BINARY)", column.expr)
            }
            ColumnType::Text { case_exact: false } => format!("LOWER({})", column.expr),
            _ => column.expr,
        };
        if let Some(column) = self.column(by) {
            let kind = column.kind;
            return Some((fold(column), kind));
        }
        let base = AttrPath {
            schema: by.schema.clone(),
            name: by.name.clone(),
            sub_attr: None,
        };
        let child = self.child(&base)?;
        let sub = by.sub_attr.as_deref().unwrap_or("value");
        let column = self.child_column(&base, sub)?;
        let kind = column.kind;
        let value = fold(column);
        let primary = self.child_column(&base, "primary").map(|c| c.expr);
        let order = match primary {
            Some(primary) => format!(
                "ORDER BY {} LIMIT 1",
                descending_nulls_last(&primary, self.dialect)
            ),
            None => "LIMIT 1".to_owned(),
        };
        let (table, alias) = (&child.table, &child.alias);
        let expr = match child.link {
            scim_filter::sql::Link::Key { parent, child } => {
                format!("(SELECT {value} FROM {table} {alias} WHERE {child} = {parent} {order})")
            }
            _ => format!("(SELECT {value} FROM {table} {alias} {order})"),
        };
        Some((expr, kind))
    }
}

/// `expr DESC NULLS LAST` (MySQL sorts NULL first and has no `NULLS LAST`).
pub(crate) fn descending_nulls_last(expr: &str, dialect: Dialect) -> String {
    nulls_last(expr, "DESC", dialect)
}

/// `expr {direction} NULLS LAST`, in `dialect`.
pub(crate) fn nulls_last(expr: &str, direction: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Mysql => format!("({expr}) IS NULL, {expr} {direction}"),
        _ => format!("{expr} {direction} NULLS LAST"),
    }
}

/// A scalar `JSON_VALUE` (text, unquoted) typed as `value`: JSON booleans read as `1` or
/// `0` (MariaDB) or `true` or `false` (MySQL); dateTimes normalized to UTC milliseconds,
/// as the filter's value is.
fn mysql_json_value(text: &str, value: ValueKind) -> String {
    match value {
        ValueKind::Text => text.to_owned(),
        ValueKind::Bool => format!(
            "(CASE {text} WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 'false' THEN 0 WHEN '0' THEN 0 END)"
        ),
        ValueKind::Int | ValueKind::Float => format!("CAST({text} AS DECIMAL(65, 10))"),
        ValueKind::DateTime => {
            // MySQL's DATETIME ignores an offset: `Z` is cut, `+02:00` converted from.
            let t = text;
            let utc = format!(
                "CASE WHEN RIGHT({t}, 1) IN ('Z', 'z') THEN CAST(LEFT({t}, LENGTH({t}) - 1) AS DATETIME(3)) \
                 WHEN SUBSTRING({t}, -6, 1) IN ('+', '-') \
                 THEN CONVERT_TZ(CAST(LEFT({t}, LENGTH({t}) - 6) AS DATETIME(3)), RIGHT({t}, 6), '+00:00') \
                 ELSE CAST({t} AS DATETIME(3)) END"
            );
            format!("CONCAT(LEFT(DATE_FORMAT({utc}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')")
        }
    }
}

impl SqlSchema for Columns<'_> {
    fn column(&self, attr: &AttrPath) -> Option<Column> {
        let l = self.layout;
        let Some((extension, name, multi_valued, kind)) =
            self.top(attr.schema.as_deref(), &attr.name)
        else {
            // An attribute this resource type does not have (a root search's `userName` on
            // groups; the engine refuses names no type has): unassigned, as the in-memory
            // store evaluates it.
            return Some(Column::exact_text("NULL"));
        };
        if multi_valued {
            return None;
        }
        match (name.as_str(), attr.sub_attr.as_deref()) {
            ("id", None) => return Some(id_column(format!("r.{}", l.id), l.id_kind)),
            ("externalId", None) => return Some(Column::exact_text(l.external_id())),
            ("meta", Some(sub)) => return self.meta(sub),
            _ => {}
        }
        let (value, case_exact, sub) = match self.schemas.definition(attr) {
            Some(definition) => (
                value_kind(definition.kind)?,
                definition.case_exact,
                attr.sub_attr.as_ref().map(|_| definition.name.clone()),
            ),
            // A key of a free-form extension: a single-valued string without a definition.
            None if attr.sub_attr.is_none() => {
                let info = self.schemas.attribute(attr.schema.as_deref(), &attr.name)?;
                (value_kind(info.kind)?, info.case_exact, None)
            }
            None => return None,
        };
        let loc = Loc {
            extension,
            name,
            sub,
        };
        if let Some(slot) = l.slot_at(&loc) {
            return Some(table_typed(
                Layout::slot_expr(slot),
                slot.value,
                slot.case_exact,
                self.dialect,
            ));
        }
        if kind == AttrType::Complex && attr.sub_attr.is_none() {
            return None;
        }
        let expr = self.json_at(&self.document(), &loc.keys(), value)?;
        Some(typed(expr, value, case_exact))
    }

    fn child(&self, attr: &AttrPath) -> Option<ChildTable> {
        let l = self.layout;
        let (extension, name, multi_valued, _) = self.top(attr.schema.as_deref(), &attr.name)?;
        if !multi_valued {
            return None;
        }
        if extension.is_none()
            && let Some(slot) = l.child(&name)
        {
            let c = &slot.child;
            return Some(ChildTable::keyed(
                c.table.clone(),
                "c",
                format!("r.{}", l.id),
                format!("c.{}", c.parent),
            ));
        }
        if extension.is_none()
            && name == "members"
            && let Some(m) = &l.members
        {
            return Some(ChildTable::keyed(
                m.table.clone(),
                "c",
                format!("r.{}", l.id),
                format!("c.{}", m.group),
            ));
        }
        let loc = Loc {
            extension,
            name,
            sub: None,
        };
        self.json_elements(&loc.keys())
    }

    fn child_column(&self, parent: &AttrPath, sub: &str) -> Option<Column> {
        let l = self.layout;
        let (extension, name, _, kind) = self.top(parent.schema.as_deref(), &parent.name)?;
        let path = AttrPath {
            schema: parent.schema.clone(),
            name: parent.name.clone(),
            sub_attr: (kind == AttrType::Complex).then(|| sub.to_owned()),
        };
        let definition = self.schemas.definition(&path)?;
        let value = value_kind(definition.kind)?;
        let is = |n: &str| sub.eq_ignore_ascii_case(n);
        if extension.is_none()
            && let Some(slot) = l.child(&name)
        {
            let c = &slot.child;
            let column = if is("value") {
                Some(&c.value)
            } else if is("type") {
                c.kind.as_ref()
            } else if is("primary") {
                c.primary.as_ref()
            } else if is("display") {
                c.display.as_ref()
            } else {
                None
            }?;
            return Some(table_typed(
                format!("c.{column}"),
                value,
                definition.case_exact,
                self.dialect,
            ));
        }
        if extension.is_none()
            && name == "members"
            && let Some(m) = &l.members
        {
            return if is("value") {
                Some(id_column(format!("c.{}", m.member), m.member_kind))
            } else if is("display") {
                m.display
                    .as_ref()
                    .map(|d| table_text(format!("c.{d}"), false, self.dialect))
            } else if is("type") {
                m.kind
                    .as_ref()
                    .map(|k| table_text(format!("c.{k}"), false, self.dialect))
            } else {
                None
            };
        }
        let element = if kind == AttrType::Complex {
            self.element(Some(&definition.name), value)?
        } else {
            self.element(None, value)?
        };
        Some(typed(element, value, definition.case_exact))
    }
}
