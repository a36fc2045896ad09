//! Every filter the grammar accepts runs in SQL, with the same answers as the in-memory
//! store's evaluator: on columns, child tables and the JSON document alike, for every
//! operator and value type, on SQLite and PostgreSQL. Sorting on any attribute too.

use std::collections::BTreeSet;
use std::sync::Arc;

use scim_core::{
    AttrType, Attribute, Compat, ListQuery, MemoryStore, RequestContext, ResourceKind, Schema,
    SchemaRegistry, ScimStore, SortOrder,
};
use scim_filter::{AttrPath, Filter};
use scim_sqlx::{Dialect, SqlStore};
use serde_json::{Value, json};

mod common;

const BADGE: &str = "urn:example:params:scim:schemas:extension:2.0:Badge";
const METADATA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Metadata";

fn registry() -> Arc<SchemaRegistry> {
    let badge = Schema::new(BADGE, "Badge")
        .with_attribute(Attribute::new("level", AttrType::Integer))
        .with_attribute(Attribute::new("score", AttrType::Decimal))
        .with_attribute(Attribute::new("verified", AttrType::Boolean))
        .with_attribute(Attribute::new("since", AttrType::DateTime))
        .with_attribute(Attribute::new("code", AttrType::String).case_exact())
        .with_attribute(Attribute::new("tags", AttrType::String).multi_valued());
    Arc::new(
        SchemaRegistry::new()
            .with_extension(ResourceKind::User, badge, false)
            .expect("a valid extension")
            .with_extension(
                ResourceKind::User,
                Schema::free_form(METADATA, "Metadata"),
                false,
            )
            .expect("a valid extension"),
    )
}

fn users() -> Vec<Value> {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    vec![
        json!({
            "userName": "bjensen", "displayName": "Babs Jensen", "title": "Tour Guide",
            "userType": "Employee", "active": true, "nickName": "Babs",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                       {"value": "babs@jensen.org", "type": "home"}],
            "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
            "roles": [{"value": "Admin", "primary": true}, {"value": "Reader"}],
            "addresses": [{"type": "work", "locality": "Hollywood", "country": "USA"}],
            enterprise: {"employeeNumber": "701984", "department": "Tour Operations",
                         "manager": {"value": "boss-1"}},
            BADGE: {"level": 7, "score": 4.5, "verified": true,
                    "since": "2011-08-01T18:29:49.793Z", "code": "AbC", "tags": ["red", "Blue"]},
            METADATA: {"Site": "Oslo", "Level": "7"}
        }),
        json!({
            "userName": "jsmith", "displayName": "John Smith", "title": "Engineer",
            "userType": "Contractor", "active": false,
            "name": {"givenName": "John", "familyName": "Smith"},
            "emails": [{"value": "john@example.com", "type": "work"}],
            "roles": [{"value": "Writer", "primary": true}],
            METADATA: {"Site": "oslo-2"},
            "addresses": [{"type": "home", "locality": "Paris", "country": "France"}],
            enterprise: {"employeeNumber": "42", "department": "Engineering"},
            BADGE: {"level": 2, "score": 9.25, "verified": false,
                    "since": "2020-02-29T23:00:00+02:00", "code": "abc", "tags": ["green"]}
        }),
        json!({
            "userName": "adoe", "displayName": "Anne Doe", "active": true,
            "name": {"givenName": "Anne"},
            "emails": [{"value": "anne@doe.net", "type": "other", "primary": true}],
            BADGE: {"level": 12, "score": 1, "verified": true, "since": "1999-12-31T23:59:59Z"}
        }),
        json!({
            "userName": "Élodie", "displayName": "Élodie Ärger", "title": "Ünterwegs",
            "userType": "Employee",
            "roles": [{"value": "reader"}],
            BADGE: {"code": "x_y%z", "tags": []}
        }),
    ]
}

/// Filters over every kind of place an attribute lives, every operator, every type.
const FILTERS: &[&str] = &[
    // Columns.
    r#"userName eq "BJENSEN""#,
    r#"userName ne "bjensen""#,
    r#"userName co "SMI""#,
    r#"userName sw "j""#,
    r#"userName ew "DOE""#,
    r#"displayName gt "B""#,
    r#"displayName le "Babs Jensen""#,
    r#"name.givenName eq "barbara""#,
    r#"name.familyName pr"#,
    "active eq true",
    "active eq false",
    r#"active eq "True""#,
    "title pr",
    "not (title pr)",
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "tour""#,
    // The side table.
    r#"meta.created gt "2000-01-01T00:00:00Z""#,
    r#"meta.lastModified lt "2000-01-01T00:00:00Z""#,
    r#"meta.resourceType eq "User""#,
    // Child tables.
    r#"emails[type eq "work"]"#,
    r#"emails[type eq "work" and value co "JOHN"]"#,
    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
    r#"emails.value ew "example.com""#,
    r#"emails[primary eq true]"#,
    "emails pr",
    r#"not (emails[type eq "home"])"#,
    r#"phoneNumbers[value sw "555"]"#,
    // The JSON document: single-valued, complex, multi-valued complex and simple, typed.
    r#"nickName eq "BABS""#,
    r#"userType eq "employee""#,
    r#"name.middleName co "an""#,
    r#"roles[value eq "admin"]"#,
    r#"roles.value eq "Reader""#,
    r#"roles[primary eq "True" and value sw "W"]"#,
    "roles pr",
    r#"addresses[type eq "work" and locality eq "hollywood"]"#,
    r#"addresses.country ne "France""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "boss-1""#,
    "urn:example:params:scim:schemas:extension:2.0:Badge:level gt 5",
    "urn:example:params:scim:schemas:extension:2.0:Badge:level le 7",
    "urn:example:params:scim:schemas:extension:2.0:Badge:score ge 4.5",
    "urn:example:params:scim:schemas:extension:2.0:Badge:score lt 9",
    "urn:example:params:scim:schemas:extension:2.0:Badge:verified eq true",
    "urn:example:params:scim:schemas:extension:2.0:Badge:verified eq false",
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:since gt "2011-08-01T18:29:49.700Z""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:since lt "2020-02-29T22:00:00Z""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:since eq "2020-02-29T21:00:00Z""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code eq "abc""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code co "_y%""#,
    // Case-exact: "AbC" and "abc" differ, whatever the connection's LIKE does.
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code co "b""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code co "B""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code sw "A""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code ew "C""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code sw "x_""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:code ew "[z""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:tags eq "blue""#,
    r#"urn:example:params:scim:schemas:extension:2.0:Badge:tags pr"#,
    r#"level ge 7 and verified eq true"#,
    // A free-form extension's keys: strings, compared without case.
    r#"urn:ietf:params:scim:schemas:extension:2.0:Metadata:Site eq "OSLO""#,
    r#"urn:ietf:params:scim:schemas:extension:2.0:Metadata:Site sw "oslo""#,
    r#"urn:ietf:params:scim:schemas:extension:2.0:Metadata:Level pr"#,
    // Logic.
    r#"(userName sw "b" or userName sw "j") and not (active eq false)"#,
    r#"userName sw "a" or title co "guide" and active eq true"#,
    r#"roles[value eq "reader"] or emails[type eq "other"]"#,
];

async fn load(store: &impl ScimStore, ctx: &RequestContext, registry: &SchemaRegistry) {
    let schemas = registry.resource(ResourceKind::User);
    for user in users() {
        let resource = schemas
            .validate_create(user, &Compat::entra())
            .expect("valid users");
        store.create(ctx, resource).await.expect("create");
    }
}

async fn matches(store: &impl ScimStore, ctx: &RequestContext, filter: &str) -> BTreeSet<String> {
    let query = ListQuery::new().with_filter(Filter::parse(filter).expect("parses"));
    let page = store
        .list(ctx, ResourceKind::User, &query)
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e}"));
    page.resources
        .iter()
        .map(|r| r.user_name().unwrap_or_default().to_owned())
        .collect()
}

async fn sorted(
    store: &impl ScimStore,
    ctx: &RequestContext,
    by: &str,
    order: SortOrder,
) -> Vec<String> {
    let query = ListQuery::new().with_sort(AttrPath::parse(by).expect("a path"), order);
    let page = store
        .list(ctx, ResourceKind::User, &query)
        .await
        .unwrap_or_else(|e| panic!("sortBy={by}: {e}"));
    page.resources
        .iter()
        .map(|r| r.user_name().unwrap_or_default().to_owned())
        .collect()
}

/// The same order by cursor, two users a page (RFC 9865): the keyset comparisons on
/// columns, child tables and the JSON document, numbers and text, with and without values.
async fn by_cursor(
    store: &SqlStore,
    ctx: &RequestContext,
    by: &str,
    order: SortOrder,
) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = scim_core::cursor::Position::start();
    loop {
        let query = ListQuery::new()
            .with_sort(AttrPath::parse(by).expect("a path"), order)
            .with_cursor(at, 2);
        let page = store
            .list(ctx, ResourceKind::User, &query)
            .await
            .unwrap_or_else(|e| panic!("sortBy={by} by cursor: {e}"));
        names.extend(
            page.resources
                .iter()
                .map(|r| r.user_name().unwrap_or_default().to_owned()),
        );
        match page.next {
            Some(next) => at = next,
            None => return names,
        }
        assert!(names.len() < 100, "sortBy={by}: paging never ends");
    }
}

/// The SQL store answers every filter as the in-memory store does.
async fn same_answers(sql: &SqlStore) {
    let registry = registry();
    let memory = MemoryStore::with_registry(Arc::clone(&registry));
    let ctx = RequestContext::new(format!("filters-{}", uuid::Uuid::new_v4().simple()));
    load(&memory, &ctx, &registry).await;
    load(sql, &ctx, &registry).await;
    for filter in FILTERS {
        let (expected, got) = (
            matches(&memory, &ctx, filter).await,
            matches(sql, &ctx, filter).await,
        );
        assert_eq!(got, expected, "filter {filter}");
    }
    // No ties in these orders, so both stores must agree exactly.
    for (by, order) in [
        ("userName", SortOrder::Ascending),
        ("displayName", SortOrder::Descending),
        ("title", SortOrder::Ascending),
        (
            "urn:example:params:scim:schemas:extension:2.0:Badge:level",
            SortOrder::Descending,
        ),
        (
            "urn:example:params:scim:schemas:extension:2.0:Badge:score",
            SortOrder::Ascending,
        ),
        ("emails.value", SortOrder::Ascending),
        ("roles", SortOrder::Ascending),
    ] {
        let whole = sorted(sql, &ctx, by, order).await;
        assert_eq!(
            whole,
            sorted(&memory, &ctx, by, order).await,
            "sortBy={by} {order}"
        );
        assert_eq!(
            by_cursor(sql, &ctx, by, order).await,
            whole,
            "sortBy={by} {order}, by cursor"
        );
    }
}

#[tokio::test]
async fn sqlite_answers_every_filter_as_memory_does() {
    let db = common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await;
    let store = SqlStore::open(db, common::tenant_mapping(""), registry())
        .await
        .expect("opens");
    same_answers(&store).await;
}

#[tokio::test]
async fn postgres_answers_every_filter_as_memory_does() {
    const SCHEMA: &str = "scim_sqlx_filters";
    let Some(db) = common::postgres(
        "the scim-sqlx PostgreSQL filter tests",
        SCHEMA,
        common::tenant_tables,
    )
    .await
    else {
        return;
    };
    let store = SqlStore::open(
        db,
        common::tenant_mapping(&format!("{SCHEMA}.")),
        registry(),
    )
    .await
    .expect("opens");
    same_answers(&store).await;
}

#[tokio::test]
async fn mysql_answers_every_filter_as_memory_does() {
    const SCHEMA: &str = "scim_sqlx_filters";
    let Some(db) = common::mysql(
        "the scim-sqlx MySQL filter tests",
        SCHEMA,
        common::tenant_tables,
    )
    .await
    else {
        return;
    };
    let store = SqlStore::open(
        db,
        common::tenant_mapping(&format!("{SCHEMA}.")),
        registry(),
    )
    .await
    .expect("opens");
    same_answers(&store).await;
}
