//! Filter-to-SQL translation (feature `sql`): the clauses a store runs, with every value
//! bound and nothing unmapped turned into "all rows".
#![cfg(feature = "sql")]

use scim_filter::sql::{
    ChildTable, Column, Dialect, KeyType, SqlSchema, SqlValue, to_sql, to_sql_from,
};
use scim_filter::{AttrPath, Filter};

/// A users table with an emails child table, as a store would describe them.
struct Users;

impl SqlSchema for Users {
    fn column(&self, attr: &AttrPath) -> Option<Column> {
        let name = attr.name.to_ascii_lowercase();
        let sub = attr.sub_attr.as_deref().map(str::to_ascii_lowercase);
        match (name.as_str(), sub.as_deref()) {
            ("username", None) => Some(Column::text("u.user_name").folded("u.user_name_ci")),
            ("externalid", None) => Some(Column::exact_text("u.external_id")),
            ("title", None) => Some(Column::text("u.title")),
            ("active", None) => Some(Column::boolean("u.active")),
            ("name", Some("givenname")) => Some(Column::text("u.given_name")),
            ("meta", Some("lastmodified")) => Some(Column::datetime("u.last_modified")),
            _ => None,
        }
    }

    fn child(&self, attr: &AttrPath) -> Option<ChildTable> {
        attr.name
            .eq_ignore_ascii_case("emails")
            .then(|| ChildTable::new("user_emails", "e", "e.user_id = u.id"))
    }

    fn child_column(&self, _parent: &AttrPath, sub: &str) -> Option<Column> {
        match sub.to_ascii_lowercase().as_str() {
            "value" => Some(Column::text("e.value").folded("e.value_ci")),
            "type" => Some(Column::text("e.type")),
            "primary" => Some(Column::boolean("e.is_primary")),
            _ => None,
        }
    }
}

fn pg(filter: &str) -> (String, Vec<SqlValue>) {
    let sql = to_sql(&Filter::parse(filter).unwrap(), &Users, Dialect::Postgres).unwrap();
    (sql.clause, sql.params)
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.into())
}

#[test]
fn entra_lookups() {
    assert_eq!(
        pg(r#"userName eq "Test_User_1""#),
        ("u.user_name_ci = $1".into(), vec![text("test_user_1")])
    );
    assert_eq!(
        pg(r#"externalId eq "Ab-1""#),
        ("u.external_id = $1".into(), vec![text("Ab-1")]),
        "caseExact attributes compare as they are"
    );
    assert_eq!(
        pg(r#"emails[type eq "work"].value eq "B@X.com""#),
        (
            "EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id AND ((LOWER(e.type) = $1 AND e.value_ci = $2)))".into(),
            vec![text("work"), text("b@x.com")]
        )
    );
    assert_eq!(
        pg(r#"emails.value eq "b@x.com""#).0,
        "EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id AND (e.value_ci = $1))"
    );
    assert_eq!(
        pg(r#"emails eq "b@x.com""#).0,
        "EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id AND (e.value_ci = $1))",
        "a multi-valued attribute without a sub-attribute compares its value"
    );
}

#[test]
fn operators_and_logic() {
    let (clause, params) = pg(
        r#"title co "50%_off" or not (name.givenName sw "Ba") and userName ew "\\x" and active eq "True""#,
    );
    assert_eq!(
        clause,
        r"(LOWER(u.title) LIKE $1 ESCAPE '\' OR (NOT (LOWER(u.given_name) LIKE $2 ESCAPE '\') AND u.user_name_ci LIKE $3 ESCAPE '\' AND u.active = $4))"
    );
    assert_eq!(
        params,
        [
            text(r"%50\%\_off%"),
            text("ba%"),
            text(r"%\\x"),
            SqlValue::Bool(true)
        ],
        "wildcards in values are escaped, string booleans bound as booleans"
    );
    assert_eq!(pg("title pr").0, "(u.title IS NOT NULL AND u.title <> '')");
    assert_eq!(
        pg("emails pr").0,
        "EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id)"
    );
    assert_eq!(pg("title eq null").0, "u.title IS NULL");
    assert_eq!(pg("title ne null").0, "u.title IS NOT NULL");
    assert_eq!(
        pg(r#"meta.lastModified gt "2011-05-13T04:42:34+02:00""#),
        (
            "u.last_modified > $1".into(),
            vec![text("2011-05-13T02:42:34.000Z")]
        ),
        "timestamps are normalised to the stored form"
    );
}

#[test]
fn values_are_only_ever_bound() {
    let hostile = r#"userName eq "x' OR '1'='1" or title co "'; DROP TABLE users; --""#;
    let (clause, params) = pg(hostile);
    assert!(
        !clause.contains("DROP") && !clause.contains("'1'"),
        "{clause}"
    );
    assert_eq!(params.len(), 2);
}

#[test]
fn placeholders_per_dialect() {
    let filter = Filter::parse(r#"userName eq "a" and title eq "b""#).unwrap();
    let sqlite = to_sql(&filter, &Users, Dialect::Sqlite).unwrap();
    assert_eq!(sqlite.clause, "(u.user_name_ci = ? AND LOWER(u.title) = ?)");
    let after_two = to_sql_from(&filter, &Users, Dialect::Postgres, 2).unwrap();
    assert_eq!(
        after_two.clause,
        "(u.user_name_ci = $3 AND LOWER(u.title) = $4)"
    );
}

#[test]
fn what_is_not_mapped_is_an_error_not_all_rows() {
    for filter in [
        r#"nickName eq "Babs""#,
        r#"emails[display eq "x"]"#,
        r#"phoneNumbers[type eq "work"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#,
        r#"active gt true"#,
        r#"active eq "maybe""#,
        r#"userName eq 5"#,
        r#"meta.lastModified co "2011""#,
        r#"meta.lastModified gt "yesterday""#,
        r#"title gt null"#,
    ] {
        let parsed = Filter::parse(filter).unwrap();
        let err = to_sql(&parsed, &Users, Dialect::Postgres).unwrap_err();
        assert!(!err.to_string().is_empty(), "{filter}");
    }
}

/// The same users table, with its emails linked by key: uncorrelated `IN` subqueries.
struct KeyedUsers;

impl SqlSchema for KeyedUsers {
    fn column(&self, attr: &AttrPath) -> Option<Column> {
        Users.column(attr)
    }

    fn child(&self, attr: &AttrPath) -> Option<ChildTable> {
        attr.name.eq_ignore_ascii_case("emails").then(|| {
            ChildTable::keyed(
                "user_emails",
                "e",
                "(u.tenant, u.id)",
                "e.tenant, e.user_id",
            )
        })
    }

    fn child_column(&self, parent: &AttrPath, sub: &str) -> Option<Column> {
        Users.child_column(parent, sub)
    }
}

#[test]
fn keyed_children_are_uncorrelated_in_subqueries() {
    let filter =
        Filter::parse(r#"emails[type eq "work"].value eq "b@x.com" or emails pr"#).unwrap();
    let sql = to_sql(&filter, &KeyedUsers, Dialect::Postgres).unwrap();
    assert_eq!(
        sql.clause,
        "((u.tenant, u.id) IN (SELECT e.tenant, e.user_id FROM user_emails e WHERE (LOWER(e.type) = $1 AND e.value_ci = $2)) \
         OR (u.tenant, u.id) IN (SELECT e.tenant, e.user_id FROM user_emails e))"
    );
}

/// Roles kept in a JSON column, and ids that are integers or UUIDs.
struct JsonUsers;

impl SqlSchema for JsonUsers {
    fn column(&self, attr: &AttrPath) -> Option<Column> {
        match (attr.name.as_str(), attr.sub_attr.as_deref()) {
            ("id", None) => Some(Column::key("u.id", KeyType::Integer)),
            ("owner", None) => Some(Column::key("u.owner", KeyType::Uuid)),
            _ => None,
        }
    }

    fn child(&self, attr: &AttrPath) -> Option<ChildTable> {
        (attr.name == "roles").then(|| ChildTable::within("json_each(u.extra, '$.roles')", "r"))
    }

    fn child_column(&self, _parent: &AttrPath, sub: &str) -> Option<Column> {
        (sub == "value").then(|| Column::text("json_extract(r.value, '$.value')"))
    }
}

#[test]
fn json_arrays_are_correlated_table_expressions() {
    let filter = Filter::parse(r#"roles[value eq "Admin"] or roles pr"#).unwrap();
    let sql = to_sql(&filter, &JsonUsers, Dialect::Sqlite).unwrap();
    assert_eq!(
        sql.clause,
        "(EXISTS (SELECT 1 FROM json_each(u.extra, '$.roles') r WHERE LOWER(json_extract(r.value, '$.value')) = ?) \
         OR EXISTS (SELECT 1 FROM json_each(u.extra, '$.roles') r))"
    );
    assert_eq!(sql.params, [text("admin")]);
}

#[test]
fn keys_take_their_type_and_never_fail_on_a_foreign_id() {
    let sql = |f: &str| {
        let sql = to_sql(&Filter::parse(f).unwrap(), &JsonUsers, Dialect::Postgres).unwrap();
        (sql.clause, sql.params)
    };
    assert_eq!(
        sql(r#"id eq "42""#),
        ("u.id = $1".into(), vec![SqlValue::Int(42)])
    );
    assert_eq!(sql(r#"id eq "not-a-number""#), ("1 = 0".into(), vec![]));
    assert_eq!(sql(r#"id ne "x""#), ("u.id IS NOT NULL".into(), vec![]));
    assert_eq!(
        sql(r#"owner eq "2819C223-7F76-453A-919D-413861904646""#),
        (
            "u.owner = $1".into(),
            vec![SqlValue::Uuid(
                "2819c223-7f76-453a-919d-413861904646".into()
            )]
        )
    );
    assert_eq!(
        sql(r#"owner eq "2819c2237f76453a919d413861904646""#).1,
        [SqlValue::Uuid(
            "2819c223-7f76-453a-919d-413861904646".into()
        )]
    );
    assert_eq!(sql(r#"owner eq "2819c223""#).0, "1 = 0");
    let err = to_sql(
        &Filter::parse(r#"id gt "4""#).unwrap(),
        &JsonUsers,
        Dialect::Postgres,
    );
    assert!(err.unwrap_err().to_string().contains("use eq or ne"));
}

#[test]
fn an_unmapped_sub_attribute_is_named_with_its_attribute() {
    let filter = Filter::parse(r#"roles[display eq "Admin"]"#).unwrap();
    let err = to_sql(&filter, &JsonUsers, Dialect::Sqlite).unwrap_err();
    assert_eq!(
        err.to_string(),
        "filtering on \"roles.display\" is not supported by this service"
    );
}

/// A column folded in SQL: the same `LOWER` on both sides, also for `LIKE`.
struct SqlFolded;

impl SqlSchema for SqlFolded {
    fn column(&self, attr: &AttrPath) -> Option<Column> {
        (attr.name == "userName").then(|| Column::text("u.email").fold_in_sql())
    }

    fn child(&self, _: &AttrPath) -> Option<ChildTable> {
        None
    }

    fn child_column(&self, _: &AttrPath, _: &str) -> Option<Column> {
        None
    }
}

#[test]
fn case_can_be_folded_in_sql_on_both_sides() {
    let sql = |f: &str| {
        let sql = to_sql(&Filter::parse(f).unwrap(), &SqlFolded, Dialect::Sqlite).unwrap();
        (sql.clause, sql.params)
    };
    assert_eq!(
        sql(r#"userName eq "ÉLODIE@example.com""#),
        (
            "LOWER(u.email) = LOWER(?)".into(),
            vec![text("ÉLODIE@example.com")]
        ),
        "the value is bound as given, for SQL to fold as it folds the column"
    );
    assert_eq!(
        sql(r#"userName sw "Bj""#),
        (
            "LOWER(u.email) LIKE LOWER(?) ESCAPE '\\'".into(),
            vec![text("Bj%")]
        )
    );
}

fn mysql(filter: &str) -> (String, Vec<SqlValue>) {
    let sql = to_sql(&Filter::parse(filter).unwrap(), &Users, Dialect::Mysql).unwrap();
    (sql.clause, sql.params)
}

#[test]
fn mysql_compares_case_exact_text_in_binary_beside_an_indexable_equality() {
    assert_eq!(
        mysql(r#"externalId eq "Ab-1""#),
        (
            "(u.external_id = ? AND CAST(u.external_id AS BINARY) = ?)".into(),
            vec![text("Ab-1"), text("Ab-1")]
        ),
        "a case-insensitive collation alone would match ab-1"
    );
    assert_eq!(
        mysql(r#"externalId gt "Ab""#),
        ("CAST(u.external_id AS BINARY) > ?".into(), vec![text("Ab")])
    );
    assert_eq!(
        mysql(r#"userName eq "Test_User_1""#),
        ("u.user_name_ci = ?".into(), vec![text("test_user_1")]),
        "case-insensitive text is lower-cased as elsewhere"
    );
}

#[test]
fn mysql_escapes_like_wildcards_with_a_character_no_sql_mode_reads() {
    assert_eq!(
        mysql(r#"externalId sw "50%_a!\\b""#),
        (
            "CAST(u.external_id AS BINARY) LIKE ? ESCAPE '!'".into(),
            vec![text(r"50!%!_a!!\b%")]
        )
    );
    assert_eq!(
        mysql(r#"title co "x_""#),
        (
            "LOWER(u.title) LIKE ? ESCAPE '!'".into(),
            vec![text("%x!_%")]
        )
    );
}
