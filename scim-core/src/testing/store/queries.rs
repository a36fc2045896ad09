//! Reads: every filter operator, logic and value paths, sorting, paging.

use std::collections::BTreeSet;

use scim_filter::{AttrPath, Filter};
use serde_json::json;

use super::{Need, begin, context_for, filtered, names, set, user};
use crate::{ListQuery, RequestContext, Resource, ResourceKind, ScimStore, SortOrder};

async fn directory<S: ScimStore>(store: &S, ctx: &RequestContext) -> Vec<Resource> {
    let users = [
        json!({
            "userName": "bjensen", "externalId": "E1", "displayName": "Babs Jensen",
            "title": "Tour Guide", "active": true, "userType": "Employee",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984", "manager": {"value": "boss"}
            }
        }),
        json!({
            "userName": "jsmith", "externalId": "e1", "displayName": "John Smith",
            "title": "Engineer", "active": false, "userType": "Contractor",
            "name": {"familyName": "Smith", "givenName": "John"},
            "emails": [{"value": "john@example.com", "type": "work"}]
        }),
        json!({"userName": "adoe", "externalId": "E3", "active": true}),
    ];
    let mut created = Vec::new();
    for u in users {
        created.push(store.create(ctx, user(u)).await.expect("create"));
    }
    created
}

/// Every comparison operator, `pr`, case rules (caseExact `externalId`), numbers, booleans,
/// dates, sub-attributes and extension attributes.
pub async fn filter_operators<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
    let users = directory(store, &ctx).await;
    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "BJENSEN""#, &["bjensen"]),
        (r#"userName eq "nobody""#, &[]),
        (r#"externalId eq "E1""#, &["bjensen"]),
        (r#"externalId eq "e3""#, &[]),
        (r#"displayName eq "babs jensen""#, &["bjensen"]),
        (r#"userName ne "bjensen""#, &["adoe", "jsmith"]),
        (r#"userName co "SMI""#, &["jsmith"]),
        (r#"userName sw "j""#, &["jsmith"]),
        (r#"userName ew "DOE""#, &["adoe"]),
        ("title pr", &["bjensen", "jsmith"]),
        (r#"displayName gt "J""#, &["jsmith"]),
        (r#"displayName ge "John Smith""#, &["jsmith"]),
        (r#"displayName lt "C""#, &["bjensen"]),
        (r#"displayName le "Babs Jensen""#, &["bjensen"]),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z""#,
            &["adoe", "bjensen", "jsmith"],
        ),
        (
            r#"meta.resourceType eq "User""#,
            &["adoe", "bjensen", "jsmith"],
        ),
        ("active eq false", &["jsmith"]),
        (r#"name.familyName eq "smith""#, &["jsmith"]),
        (r#"emails.value ew "example.com""#, &["bjensen", "jsmith"]),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
            &["bjensen"],
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "boss""#,
            &["bjensen"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            filtered(store, &ctx, filter).await,
            set(expected),
            "filter {filter}"
        );
    }
    let id = users[1].id().expect("id");
    assert_eq!(
        filtered(store, &ctx, &format!(r#"id eq "{id}""#)).await,
        set(&["jsmith"])
    );
}

/// `and`, `or`, `not`, precedence, value paths, and Entra's filtered-path form.
pub async fn filter_logic_and_value_paths<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
    directory(store, &ctx).await;
    let cases: &[(&str, &[&str])] = &[
        ("title pr and active eq true", &["bjensen"]),
        (
            r#"userName eq "adoe" or userName eq "jsmith""#,
            &["adoe", "jsmith"],
        ),
        ("not (title pr)", &["adoe"]),
        (
            r#"(userName sw "b" or userName sw "j") and not (active eq false)"#,
            &["bjensen"],
        ),
        (
            r#"userName sw "a" or userName sw "b" and active eq false"#,
            &["adoe"],
        ),
        (r#"emails[type eq "work" and value co "john"]"#, &["jsmith"]),
        (r#"emails[type eq "home"]"#, &["bjensen"]),
        (
            r#"emails[type eq "work"].value eq "bjensen@example.com""#,
            &["bjensen"],
        ),
        (r#"emails[not (type eq "work")]"#, &["bjensen"]),
        (
            r#"externalId eq "E1" and userName eq "bjensen""#,
            &["bjensen"],
        ),
        (r#"externalId eq "E1" and userName eq "jsmith""#, &[]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            filtered(store, &ctx, filter).await,
            set(expected),
            "filter {filter}"
        );
    }
}

/// `sortBy` ascending and descending, case-insensitive strings, multi-valued attributes by
/// their primary value; resources without a value come last.
pub async fn sorting<S: ScimStore>(store: &S) {
    let Some(ctx) = begin(store, "sorting", &[Need::Sorting]) else {
        return;
    };
    directory(store, &ctx).await;
    let sorted =
        |by: &str, order| ListQuery::new().with_sort(AttrPath::parse(by).expect("path"), order);
    let cases: &[(&str, SortOrder, &[&str])] = &[
        (
            "userName",
            SortOrder::Ascending,
            &["adoe", "bjensen", "jsmith"],
        ),
        (
            "userName",
            SortOrder::Descending,
            &["jsmith", "bjensen", "adoe"],
        ),
        (
            "title",
            SortOrder::Ascending,
            &["jsmith", "bjensen", "adoe"],
        ),
        (
            "title",
            SortOrder::Descending,
            &["bjensen", "jsmith", "adoe"],
        ),
        (
            "name.givenName",
            SortOrder::Ascending,
            &["bjensen", "jsmith", "adoe"],
        ),
        (
            "emails",
            SortOrder::Ascending,
            &["bjensen", "jsmith", "adoe"],
        ),
        (
            "emails.value",
            SortOrder::Descending,
            &["jsmith", "bjensen", "adoe"],
        ),
    ];
    for (by, order, expected) in cases {
        assert_eq!(
            names(store, &ctx, &sorted(by, *order)).await,
            *expected,
            "sortBy={by} {order}"
        );
    }
}

/// Paging: `startIndex` below 1 means 1, past the end gives an empty page, `count` 0 gives
/// only `totalResults`, and consecutive pages cover every resource once.
pub async fn paging<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
    for i in 0..5 {
        store
            .create(&ctx, user(json!({"userName": format!("user{i}")})))
            .await
            .expect("create");
    }
    let page = |start, count| ListQuery::new().with_page(start, count);
    let ctx = &ctx;
    let list =
        |q: ListQuery| async move { store.list(ctx, ResourceKind::User, &q).await.expect("list") };
    let p = list(page(0, Some(2))).await;
    assert_eq!(
        (p.total_results, p.resources.len()),
        (5, 2),
        "startIndex 0 is 1"
    );
    let first = list(page(1, Some(2))).await;
    assert_eq!(p.resources, first.resources);
    let p = list(page(5, Some(10))).await;
    assert_eq!((p.total_results, p.resources.len()), (5, 1));
    let p = list(page(6, Some(10))).await;
    assert_eq!((p.total_results, p.resources.len()), (5, 0), "past the end");
    let p = list(page(1, Some(0))).await;
    assert_eq!((p.total_results, p.resources.len()), (5, 0), "count 0");
    let p = list(page(1, None)).await;
    assert_eq!((p.total_results, p.resources.len()), (5, 5));
    let mut seen = BTreeSet::new();
    for start in [1, 3, 5] {
        for r in list(page(start, Some(2))).await.resources {
            assert!(
                seen.insert(r.id().expect("id").to_owned()),
                "a resource appeared on two pages"
            );
        }
    }
    assert_eq!(seen.len(), 5);
    let filtered = ListQuery::new()
        .with_filter(Filter::parse(r#"userName sw "user""#).expect("parses"))
        .with_page(2, Some(2));
    let p = list(filtered).await;
    assert_eq!((p.total_results, p.resources.len()), (5, 2));
}
