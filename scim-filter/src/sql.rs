//! Filters as SQL `WHERE` clauses with bound parameters (feature `sql`).
//!
//! A store describes its tables through [`SqlSchema`]: which column holds a single-valued
//! attribute, which child table holds a multi-valued one. [`to_sql`] then translates a
//! filter into a clause and its parameters. Values are only ever bound, never written into
//! the SQL text; anything the schema does not map is an error (the store answers
//! `invalidFilter`), never "all rows".
//!
//! ```
//! use scim_filter::sql::{ChildTable, Column, Dialect, SqlSchema, SqlValue, to_sql};
//! use scim_filter::{AttrPath, Filter};
//!
//! struct Users;
//!
//! impl SqlSchema for Users {
//!     fn column(&self, attr: &AttrPath) -> Option<Column> {
//!         match (attr.name.as_str(), attr.sub_attr.as_deref()) {
//!             ("userName", None) => Some(Column::text("u.user_name").folded("u.user_name_ci")),
//!             ("active", None) => Some(Column::boolean("u.active")),
//!             _ => None,
//!         }
//!     }
//!     fn child(&self, attr: &AttrPath) -> Option<ChildTable> {
//!         (attr.name == "emails").then(|| ChildTable::new("user_emails", "e", "e.user_id = u.id"))
//!     }
//!     fn child_column(&self, _parent: &AttrPath, sub: &str) -> Option<Column> {
//!         match sub {
//!             "value" => Some(Column::text("e.value").folded("e.value_ci")),
//!             "type" => Some(Column::text("e.type")),
//!             _ => None,
//!         }
//!     }
//! }
//!
//! let filter = Filter::parse(r#"userName eq "BJensen" and emails[type eq "work"]"#)?;
//! let sql = to_sql(&filter, &Users, Dialect::Postgres).unwrap();
//! assert_eq!(
//!     sql.clause,
//!     "(u.user_name_ci = $1 AND EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id AND (LOWER(e.type) = $2)))"
//! );
//! assert_eq!(sql.params, [SqlValue::Text("bjensen".into()), SqlValue::Text("work".into())]);
//!
//! let unmapped = Filter::parse(r#"nickName eq "Babs""#)?;
//! assert!(to_sql(&unmapped, &Users, Dialect::Postgres).is_err());
//! # Ok::<(), scim_filter::ParseError>(())
//! ```

use std::fmt;

use crate::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::eval::{parse_datetime, string_boolean};
use crate::fold::Fold;

/// How parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// `?`, in order (SQLite).
    Sqlite,
    /// `$1`, `$2`... (PostgreSQL).
    Postgres,
    /// `?`, in order (MySQL 8, MariaDB 10.6 and later). Text compares under the column's
    /// collation: a case-insensitive attribute's column should have a case-insensitive one
    /// (the default, `utf8mb4_..._ci`), or name its lower-cased twin with
    /// [`Column::folded`]; a case-exact comparison is binary, whatever the collation.
    Mysql,
}

/// What a column holds, which decides the operators it takes and how values are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// Text; `case_exact: false` compares without regard to case.
    Text {
        /// Whether case matters (the attribute's `caseExact`).
        case_exact: bool,
    },
    /// A boolean.
    Boolean,
    /// A whole number.
    Integer,
    /// A decimal number.
    Decimal,
    /// A timestamp stored as RFC 3339 text in UTC with milliseconds
    /// (`2026-11-29T15:36:14.000Z`), so text order is time order.
    DateTime,
    /// A key a SCIM id stands for (`id`, a member's `value`), compared with `eq` and `ne`
    /// only: the filter's string is parsed as the key's type, and a string that is not one
    /// matches nothing (`eq`) or everything (`ne`), with no query error.
    Key(KeyType),
}

/// The type of a [`ColumnType::Key`] column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyType {
    /// A whole number (`INTEGER`, `BIGINT`): bound as [`SqlValue::Int`].
    Integer,
    /// A UUID (`uuid` in PostgreSQL, text elsewhere): bound as [`SqlValue::Uuid`], in its
    /// lower-case hyphenated form.
    Uuid,
}

/// A column (or any SQL expression) holding one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The expression, qualified as the query needs (`u.user_name`).
    pub expr: String,
    /// What it holds.
    pub kind: ColumnType,
    /// An expression holding the lower-cased value, for case-insensitive comparisons that
    /// use an index; without one, `LOWER(expr)` is compared.
    pub folded: Option<String>,
    /// Whether a case-insensitive comparison folds the value in SQL (`LOWER(expr) =
    /// LOWER(?)`) rather than in Rust: the same folding on both sides whatever the
    /// database's `LOWER` does with non-ASCII letters (SQLite folds ASCII only), and what an
    /// index on `lower(column)` matches.
    pub fold_in_sql: bool,
}

impl Column {
    /// A case-insensitive text column (`caseExact: false`, the SCIM default).
    pub fn text(expr: impl Into<String>) -> Self {
        Self::of(expr, ColumnType::Text { case_exact: false })
    }

    /// A case-sensitive text column (`caseExact: true`: ids, `externalId`).
    pub fn exact_text(expr: impl Into<String>) -> Self {
        Self::of(expr, ColumnType::Text { case_exact: true })
    }

    /// A boolean column.
    pub fn boolean(expr: impl Into<String>) -> Self {
        Self::of(expr, ColumnType::Boolean)
    }

    /// A timestamp column (see [`ColumnType::DateTime`]).
    pub fn datetime(expr: impl Into<String>) -> Self {
        Self::of(expr, ColumnType::DateTime)
    }

    /// A key column (see [`ColumnType::Key`]).
    pub fn key(expr: impl Into<String>, key: KeyType) -> Self {
        Self::of(expr, ColumnType::Key(key))
    }

    /// A column of any type.
    pub fn of(expr: impl Into<String>, kind: ColumnType) -> Self {
        Self {
            expr: expr.into(),
            kind,
            folded: None,
            fold_in_sql: false,
        }
    }

    /// Names the expression holding the lower-cased value.
    #[must_use]
    pub fn folded(mut self, expr: impl Into<String>) -> Self {
        self.folded = Some(expr.into());
        self
    }

    /// Folds case in SQL, on both sides (see [`Column::fold_in_sql`]).
    #[must_use]
    pub fn fold_in_sql(mut self) -> Self {
        self.fold_in_sql = true;
        self
    }
}

/// The table holding a multi-valued attribute's elements, one row each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildTable {
    /// The table.
    pub table: String,
    /// Its alias in the subquery.
    pub alias: String,
    /// How a child row is tied to its parent row.
    pub link: Link,
}

/// How [`ChildTable`] rows belong to the parent row, which decides the subquery's form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Link {
    /// A condition tying a child row to the parent row (`e.user_id = u.id`): a correlated
    /// `EXISTS (...)`.
    Join(String),
    /// The parent's key and the child's reference to it (`(u.tenant, u.id)` and
    /// `e.tenant, e.user_id`, as a select list): an uncorrelated `key IN (SELECT ...)`, which a database
    /// evaluates once, from an index on the child's filtered column, instead of once per
    /// parent row. Prefer it for large tables.
    Key {
        /// The parent row's key expression.
        parent: String,
        /// The child row's expression for the same key.
        child: String,
    },
    /// None: the "table" is a table-valued expression of the parent row itself, such as the
    /// elements of a JSON array column (`json_each(u.extra, '$.roles')`,
    /// `jsonb_array_elements(u.extra -> 'roles')`): a correlated `EXISTS (...)` with no join
    /// condition.
    Within,
}

impl ChildTable {
    /// `table` as `alias`, joined to the parent by the condition `join` (see [`Link::Join`]).
    pub fn new(
        table: impl Into<String>,
        alias: impl Into<String>,
        join: impl Into<String>,
    ) -> Self {
        Self {
            table: table.into(),
            alias: alias.into(),
            link: Link::Join(join.into()),
        }
    }

    /// The rows of `expr`, a table-valued expression of the parent row (a JSON array's
    /// elements), as `alias` (see [`Link::Within`]).
    pub fn within(expr: impl Into<String>, alias: impl Into<String>) -> Self {
        Self {
            table: expr.into(),
            alias: alias.into(),
            link: Link::Within,
        }
    }

    /// `table` as `alias`, whose rows carry the parent's key (see [`Link::Key`]).
    pub fn keyed(
        table: impl Into<String>,
        alias: impl Into<String>,
        parent: impl Into<String>,
        child: impl Into<String>,
    ) -> Self {
        Self {
            table: table.into(),
            alias: alias.into(),
            link: Link::Key {
                parent: parent.into(),
                child: child.into(),
            },
        }
    }
}

/// How a store's tables hold attributes. Names arrive as the client wrote them: compare
/// without regard to case.
pub trait SqlSchema {
    /// The column of a single-valued attribute or sub-attribute (`userName`,
    /// `name.givenName`, `meta.lastModified`).
    fn column(&self, attr: &AttrPath) -> Option<Column>;
    /// The child table of a multi-valued attribute (`emails`, `members`).
    fn child(&self, attr: &AttrPath) -> Option<ChildTable>;
    /// The column of sub-attribute `sub` in `parent`'s child table.
    fn child_column(&self, parent: &AttrPath, sub: &str) -> Option<Column>;
}

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SqlValue {
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A UUID, lower-case and hyphenated (see [`KeyType::Uuid`]).
    Uuid(String),
}

/// A translated filter: the clause, and its parameters in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    /// The `WHERE` condition.
    pub clause: String,
    /// The values for its placeholders.
    pub params: Vec<SqlValue>,
}

/// Why a filter cannot be translated (a store answers `400 invalidFilter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError(String);

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SqlError {}

/// Translates `filter` for `schema`'s tables. The clause's placeholders start at `$1` (or
/// are `?`); a store that has parameters of its own before it renumbers with
/// [`to_sql_from`].
pub fn to_sql(
    filter: &Filter,
    schema: &impl SqlSchema,
    dialect: Dialect,
) -> Result<SqlFilter, SqlError> {
    to_sql_from(filter, schema, dialect, 0)
}

/// [`to_sql`] with `already` parameters bound before the clause's (its first placeholder is
/// `$already+1`).
pub fn to_sql_from(
    filter: &Filter,
    schema: &impl SqlSchema,
    dialect: Dialect,
    already: usize,
) -> Result<SqlFilter, SqlError> {
    let mut folder = Translator {
        schema,
        dialect,
        offset: already,
        params: Vec::new(),
    };
    let clause = filter.fold(&mut folder)?;
    Ok(SqlFilter {
        clause,
        params: folder.params,
    })
}

struct Translator<'a, S> {
    schema: &'a S,
    dialect: Dialect,
    offset: usize,
    params: Vec<SqlValue>,
}

impl<S: SqlSchema> Translator<'_, S> {
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        match self.dialect {
            Dialect::Sqlite | Dialect::Mysql => "?".to_owned(),
            Dialect::Postgres => format!("${}", self.offset + self.params.len()),
        }
    }

    /// `EXISTS` over `parent`'s child table with `condition` on a child row.
    fn exists(child: &ChildTable, condition: Option<&str>) -> String {
        let (table, alias) = (&child.table, &child.alias);
        match (&child.link, condition) {
            (Link::Join(join), Some(c)) => {
                format!("EXISTS (SELECT 1 FROM {table} {alias} WHERE {join} AND ({c}))")
            }
            (Link::Join(join), None) => {
                format!("EXISTS (SELECT 1 FROM {table} {alias} WHERE {join})")
            }
            (Link::Key { parent, child }, Some(c)) => {
                format!("{parent} IN (SELECT {child} FROM {table} {alias} WHERE {c})")
            }
            (Link::Key { parent, child }, None) => {
                format!("{parent} IN (SELECT {child} FROM {table} {alias})")
            }
            (Link::Within, Some(c)) => format!("EXISTS (SELECT 1 FROM {table} {alias} WHERE {c})"),
            (Link::Within, None) => format!("EXISTS (SELECT 1 FROM {table} {alias})"),
        }
    }

    fn unmapped(attr: &AttrPath) -> SqlError {
        SqlError(format!(
            "filtering on \"{attr}\" is not supported by this service"
        ))
    }

    /// `attr` as the client names it: inside a value path, under its attribute
    /// (`roles.value` for `roles[value eq "x"]`).
    fn full_path(scope: Option<&AttrPath>, attr: &AttrPath) -> AttrPath {
        match scope {
            Some(parent) => AttrPath {
                schema: parent.schema.clone(),
                name: parent.name.clone(),
                sub_attr: Some(attr.name.clone()),
            },
            None => attr.clone(),
        }
    }

    /// Where `attr` lives: a column of the row being filtered, or one of a child table.
    fn locate(
        &self,
        scope: Option<&AttrPath>,
        attr: &AttrPath,
    ) -> Result<(Column, Option<ChildTable>), SqlError> {
        if let Some(parent) = scope {
            return self
                .schema
                .child_column(parent, &attr.name)
                .map(|c| (c, None))
                .ok_or_else(|| Self::unmapped(&Self::full_path(scope, attr)));
        }
        if let Some(column) = self.schema.column(attr) {
            return Ok((column, None));
        }
        let base = AttrPath {
            schema: attr.schema.clone(),
            name: attr.name.clone(),
            sub_attr: None,
        };
        let child = self
            .schema
            .child(&base)
            .ok_or_else(|| Self::unmapped(attr))?;
        let sub = attr.sub_attr.as_deref().unwrap_or("value");
        let column = self
            .schema
            .child_column(&base, sub)
            .ok_or_else(|| Self::unmapped(attr))?;
        Ok((column, Some(child)))
    }

    fn condition(
        &mut self,
        column: &Column,
        attr: &AttrPath,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<String, SqlError> {
        let expr = &column.expr;
        if matches!(value, CompValue::Null) {
            return match op {
                CompareOp::Eq => Ok(format!("{expr} IS NULL")),
                CompareOp::Ne => Ok(format!("{expr} IS NOT NULL")),
                _ => Err(SqlError(format!(
                    "\"{attr} {op} null\": only eq and ne compare with null"
                ))),
            };
        }
        let mismatch = || SqlError(format!("\"{attr}\" cannot be compared with {value}"));
        match column.kind {
            ColumnType::Text { case_exact } => {
                let CompValue::String(text) = value else {
                    return Err(mismatch());
                };
                if !case_exact && column.fold_in_sql {
                    return Ok(self.text_folded(expr, op, text));
                }
                if case_exact {
                    return Ok(self.text_exact(expr, op, text.clone()));
                }
                let target = column
                    .folded
                    .clone()
                    .unwrap_or_else(|| format!("LOWER({expr})"));
                Ok(self.text(&target, op, text.to_lowercase()))
            }
            ColumnType::DateTime => {
                let CompValue::String(text) = value else {
                    return Err(mismatch());
                };
                let at = parse_datetime(text).ok_or_else(|| {
                    SqlError(format!(
                        "\"{text}\" is not a dateTime (RFC 3339) for \"{attr}\""
                    ))
                })?;
                let normalized = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
                match op {
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew => Err(SqlError(format!(
                        "\"{attr}\" is a dateTime: use eq, ne, gt, ge, lt or le"
                    ))),
                    _ => Ok(self.text(expr, op, normalized)),
                }
            }
            ColumnType::Boolean => {
                let flag = match value {
                    CompValue::Bool(b) => *b,
                    CompValue::String(s) => string_boolean(s).ok_or_else(mismatch)?,
                    _ => return Err(mismatch()),
                };
                let placeholder = self.bind(SqlValue::Bool(flag));
                match op {
                    CompareOp::Eq => Ok(format!("{expr} = {placeholder}")),
                    CompareOp::Ne => Ok(format!("{expr} <> {placeholder}")),
                    _ => Err(SqlError(format!("\"{attr}\" is a boolean: use eq or ne"))),
                }
            }
            ColumnType::Key(key) => {
                let CompValue::String(text) = value else {
                    return Err(mismatch());
                };
                let bound = match key {
                    KeyType::Integer => text.parse::<i64>().ok().map(SqlValue::Int),
                    KeyType::Uuid => canonical_uuid(text).map(SqlValue::Uuid),
                };
                let equal = match op {
                    CompareOp::Eq => true,
                    CompareOp::Ne => false,
                    _ => {
                        return Err(SqlError(format!(
                            "\"{attr}\" is an identifier: use eq or ne"
                        )));
                    }
                };
                Ok(match (bound, equal) {
                    (Some(bound), true) => format!("{expr} = {}", self.bind(bound)),
                    (Some(bound), false) => format!("{expr} <> {}", self.bind(bound)),
                    // Not a key of this type: no row has it.
                    (None, true) => "1 = 0".to_owned(),
                    (None, false) => format!("{expr} IS NOT NULL"),
                })
            }
            ColumnType::Integer | ColumnType::Decimal => {
                let CompValue::Number(n) = value else {
                    return Err(mismatch());
                };
                let bound = match (column.kind, n.as_i64()) {
                    (ColumnType::Integer, Some(i)) => SqlValue::Int(i),
                    _ => SqlValue::Float(n.as_f64().ok_or_else(mismatch)?),
                };
                let sql_op = ordering_op(op).ok_or_else(|| {
                    SqlError(format!(
                        "\"{attr}\" is a number: co, sw and ew do not apply"
                    ))
                })?;
                let placeholder = self.bind(bound);
                Ok(format!("{expr} {sql_op} {placeholder}"))
            }
        }
    }

    /// A text comparison; `co`, `sw` and `ew` become `LIKE` with the value's wildcards escaped.
    fn text(&mut self, target: &str, op: CompareOp, text: String) -> String {
        self.text_as(target, op, text, false)
    }

    /// A case-exact text comparison. MySQL compares text under the column's collation,
    /// most often case-insensitive: there the comparison is binary, with the plain equality
    /// beside it so that an index on the column still finds the row.
    fn text_exact(&mut self, expr: &str, op: CompareOp, text: String) -> String {
        if self.dialect != Dialect::Mysql {
            return self.text(expr, op, text);
        }
        let binary = format!("CAST({expr} AS BINARY)");
        if op == CompareOp::Eq {
            let indexed = self.text(expr, op, text.clone());
            let exact = self.text(&binary, op, text);
            return format!("({indexed} AND {exact})");
        }
        self.text(&binary, op, text)
    }

    /// A case-insensitive text comparison folded in SQL: `LOWER(expr) op LOWER(?)`.
    fn text_folded(&mut self, expr: &str, op: CompareOp, text: &str) -> String {
        self.text_as(&format!("LOWER({expr})"), op, text.to_owned(), true)
    }

    /// [`Self::text`], the value's placeholder inside `LOWER(...)` when `fold`.
    fn text_as(&mut self, target: &str, op: CompareOp, text: String, fold: bool) -> String {
        let wrap = |placeholder: String| {
            if fold {
                format!("LOWER({placeholder})")
            } else {
                placeholder
            }
        };
        // SQLite's LIKE ignores ASCII case unless every connection says otherwise (a
        // pragma an app's own pool may not set); its GLOB never does. So a case-exact
        // comparison there is a GLOB, whose wildcards are escaped as one-character sets.
        let glob = self.dialect == Dialect::Sqlite && !fold;
        let like = |(before, after): (&str, &str), this: &mut Self| {
            if glob {
                let escaped: String = text
                    .chars()
                    .map(|c| match c {
                        '*' | '?' | '[' => format!("[{c}]"),
                        c => c.to_string(),
                    })
                    .collect();
                let pattern = format!(
                    "{}{escaped}{}",
                    before.replace('%', "*"),
                    after.replace('%', "*")
                );
                let placeholder = this.bind(SqlValue::Text(pattern));
                return format!("{target} GLOB {placeholder}");
            }
            // MySQL reads a backslash in a literal as an escape (unless NO_BACKSLASH_ESCAPES):
            // there the escape character is `!`, which no mode reads.
            let escape = if this.dialect == Dialect::Mysql {
                '!'
            } else {
                '\\'
            };
            let mut escaped = String::with_capacity(text.len() + 2);
            for c in text.chars() {
                if c == '%' || c == '_' || c == escape {
                    escaped.push(escape);
                }
                escaped.push(c);
            }
            let placeholder = wrap(this.bind(SqlValue::Text(format!("{before}{escaped}{after}"))));
            format!("{target} LIKE {placeholder} ESCAPE '{escape}'")
        };
        match op {
            CompareOp::Co => like(("%", "%"), self),
            CompareOp::Sw => like(("", "%"), self),
            CompareOp::Ew => like(("%", ""), self),
            _ => {
                let sql_op = ordering_op(op).unwrap_or("=");
                let placeholder = wrap(self.bind(SqlValue::Text(text)));
                format!("{target} {sql_op} {placeholder}")
            }
        }
    }
}

/// `text` as a UUID in its lower-case hyphenated form, if it is one (hyphenated or not, any
/// case).
fn canonical_uuid(text: &str) -> Option<String> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    let hyphens = text.len() - digits.len();
    let shaped = match hyphens {
        0 => text.len() == 32,
        4 => text.len() == 36 && [8, 13, 18, 23].iter().all(|&i| text.as_bytes()[i] == b'-'),
        _ => false,
    };
    if !shaped || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let hex: String = digits
        .iter()
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

fn ordering_op(op: CompareOp) -> Option<&'static str> {
    Some(match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return None,
    })
}

impl<S: SqlSchema> Fold for Translator<'_, S> {
    type Output = String;
    type Error = SqlError;

    fn compare(
        &mut self,
        scope: Option<&AttrPath>,
        attr: &AttrPath,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<String, SqlError> {
        let (column, child) = self.locate(scope, attr)?;
        let condition = self.condition(&column, attr, op, value)?;
        Ok(match child {
            Some(child) => Self::exists(&child, Some(&condition)),
            None => condition,
        })
    }

    fn present(&mut self, scope: Option<&AttrPath>, attr: &AttrPath) -> Result<String, SqlError> {
        if scope.is_none()
            && attr.sub_attr.is_none()
            && self.schema.column(attr).is_none()
            && let Some(child) = self.schema.child(attr)
        {
            return Ok(Self::exists(&child, None));
        }
        let (column, child) = self.locate(scope, attr)?;
        let expr = &column.expr;
        let condition = match column.kind {
            ColumnType::Text { .. } => format!("({expr} IS NOT NULL AND {expr} <> '')"),
            _ => format!("{expr} IS NOT NULL"),
        };
        Ok(match child {
            Some(child) => Self::exists(&child, Some(&condition)),
            None => condition,
        })
    }

    fn value_path(&mut self, attr: &AttrPath, inner: String) -> Result<String, SqlError> {
        let child = self
            .schema
            .child(attr)
            .ok_or_else(|| Self::unmapped(attr))?;
        Ok(Self::exists(&child, Some(&inner)))
    }

    fn not(&mut self, inner: String) -> Result<String, SqlError> {
        Ok(format!("NOT ({inner})"))
    }

    fn and(&mut self, parts: Vec<String>) -> Result<String, SqlError> {
        Ok(format!("({})", parts.join(" AND ")))
    }

    fn or(&mut self, parts: Vec<String>) -> Result<String, SqlError> {
        Ok(format!("({})", parts.join(" OR ")))
    }
}
