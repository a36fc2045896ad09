//! What `MemoryStore` does beyond the store contract: compact documents, slots reclaimed after
//! deletes, and index lookups that agree with the filter evaluator.

use scim_core::{
    Compat, ListQuery, MemberChange, MemoryStore, RequestContext, Resource, ResourceKind, ScimStore,
};
use scim_filter::Filter;
use serde_json::{Value, json};

fn user(store: &MemoryStore, body: Value) -> Resource {
    store
        .registry()
        .resource(ResourceKind::User)
        .validate_create(body, &Compat::entra())
        .unwrap()
}

async fn find(store: &MemoryStore, ctx: &RequestContext, filter: &str) -> Vec<String> {
    let query = ListQuery::new().with_filter(Filter::parse(filter).unwrap());
    let page = store.list(ctx, ResourceKind::User, &query).await.unwrap();
    page.resources
        .iter()
        .map(|r| r.user_name().unwrap().to_owned())
        .collect()
}

/// Deleting two thirds of the users reclaims their slots (the store rebuilds its indexes);
/// every index, the default order, uniqueness and memberships stay right.
#[tokio::test]
async fn deletes_reclaim_slots_without_losing_anything() {
    let store = MemoryStore::new();
    let ctx = RequestContext::new("t");
    let mut ids = Vec::new();
    for i in 0..300 {
        let body = json!({"userName": format!("u{i}"), "externalId": format!("e{i}"), "displayName": format!("D {i}")});
        let created = store.create(&ctx, user(&store, body)).await.unwrap();
        ids.push(created.id().unwrap().to_owned());
    }
    let group = store
        .registry()
        .resource(ResourceKind::Group)
        .validate_create(json!({"displayName": "all"}), &Compat::entra())
        .unwrap();
    let group = store.create(&ctx, group).await.unwrap();
    let group_id = group.id().unwrap().to_owned();
    let members = ids.iter().map(|id| json!({"value": id})).collect();
    store
        .modify_members(
            &ctx,
            &group_id,
            &MemberChange::new(members, Vec::new()),
            None,
        )
        .await
        .unwrap();

    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
        store
            .delete(&ctx, ResourceKind::User, id, None)
            .await
            .unwrap();
        assert!(
            find(&store, &ctx, &format!(r#"userName eq "u{i}""#))
                .await
                .is_empty()
        );
    }

    let all = store
        .list(&ctx, ResourceKind::User, &ListQuery::new())
        .await
        .unwrap();
    let names: Vec<&str> = all
        .resources
        .iter()
        .map(|r| r.user_name().unwrap())
        .collect();
    let expected: Vec<String> = (0..300).step_by(3).map(|i| format!("u{i}")).collect();
    assert_eq!(names, expected, "creation order survives");
    for i in (0..300).step_by(3) {
        let name = vec![format!("u{i}")];
        assert_eq!(
            find(&store, &ctx, &format!(r#"userName eq "U{i}""#)).await,
            name
        );
        assert_eq!(
            find(&store, &ctx, &format!(r#"externalId eq "e{i}""#)).await,
            name
        );
        assert_eq!(
            find(&store, &ctx, &format!(r#"displayName eq "d {i}""#)).await,
            name
        );
        assert_eq!(
            find(&store, &ctx, &format!(r#"id eq "{}""#, ids[i])).await,
            name
        );
    }
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 3 != 0).take(5) {
        assert!(store.get(&ctx, ResourceKind::User, id).await.is_err());
        assert!(
            find(&store, &ctx, &format!(r#"externalId eq "e{i}""#))
                .await
                .is_empty()
        );
    }

    let group = store
        .get(&ctx, ResourceKind::Group, &group_id)
        .await
        .unwrap();
    let mut left: Vec<&str> = group.member_ids().collect();
    left.sort_unstable();
    let mut kept: Vec<&str> = ids.iter().step_by(3).map(String::as_str).collect();
    kept.sort_unstable();
    assert_eq!(left, kept, "deleted users left the group");

    // A deleted user's name is free again, and a new user comes last.
    store
        .create(&ctx, user(&store, json!({"userName": "u1"})))
        .await
        .unwrap();
    let all = store
        .list(&ctx, ResourceKind::User, &ListQuery::new())
        .await
        .unwrap();
    assert_eq!(all.resources.last().unwrap().user_name(), Some("u1"));
    assert_eq!(find(&store, &ctx, r#"userName eq "u1""#).await, ["u1"]);
}

/// The `userName` index answers a lookup alone; it must agree with the evaluator's
/// case-insensitive comparison, beyond ASCII too.
#[tokio::test]
async fn user_name_lookups_ignore_case_as_filters_do() {
    let store = MemoryStore::new();
    let ctx = RequestContext::new("t");
    store
        .create(
            &ctx,
            user(&store, json!({"userName": "Émile.Zola@Example.com"})),
        )
        .await
        .unwrap();
    let found = ["Émile.Zola@Example.com"];
    assert_eq!(
        find(&store, &ctx, r#"userName eq "émile.zola@example.com""#).await,
        found
    );
    assert_eq!(
        find(&store, &ctx, r#"userName eq "ÉMILE.ZOLA@EXAMPLE.COM""#).await,
        found
    );
    assert!(
        find(&store, &ctx, r#"userName eq "emile.zola@example.com""#)
            .await
            .is_empty()
    );
    assert!(
        find(&store, &ctx, r#"userName ne "émile.zola@example.com""#)
            .await
            .is_empty()
    );
}

/// A replacement carrying the same attributes in another order is no change: the version
/// stays, as the store contract says.
#[tokio::test]
async fn same_attributes_in_another_order_keep_the_version() {
    let store = MemoryStore::new();
    let ctx = RequestContext::new("t");
    let created = store
        .create(&ctx, user(&store, json!({"userName": "ab", "title": "cd"})))
        .await
        .unwrap();
    let version = created.version().unwrap();
    let mut reordered = serde_json::Map::new();
    for (k, v) in created.as_json().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let resource = Resource::from_json(ResourceKind::User, Value::Object(reordered)).unwrap();
    let replaced = store.replace(&ctx, resource, &version).await.unwrap();
    assert_eq!(replaced.version(), Some(version));

    let mut changed = created.as_json().clone();
    changed.insert("title".into(), json!("ce"));
    let resource = Resource::from_json(ResourceKind::User, Value::Object(changed)).unwrap();
    let replaced = store
        .replace(&ctx, resource, &created.version().unwrap())
        .await
        .unwrap();
    assert_ne!(
        replaced.version(),
        created.version(),
        "same length, new content"
    );
    assert_eq!(replaced.get("title"), Some(&json!("ce")));
}

/// Filters no index answers read only the attributes they name from a stored user; whatever
/// they name (an extension's attribute with or without its URN, `meta`, names in another
/// case, `not`, `pr`, value paths) and however lists sort, they match as on the whole user.
#[tokio::test]
async fn scans_read_what_filters_name() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let store = MemoryStore::new();
    let ctx = RequestContext::new("t");
    for (name, title, department, family) in [
        ("a", Some("Manager"), Some("Sales"), "Zeta"),
        ("b", Some("Engineer"), Some("R&D"), "Alpha"),
        ("c", None, None, "Mu"),
    ] {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": name,
            "name": {"familyName": family},
            "emails": [{"value": format!("{name}@example.com"), "type": if name == "b" { "home" } else { "work" }}],
        });
        if let Some(title) = title {
            body["title"] = json!(title);
        }
        if let Some(department) = department {
            body[ENTERPRISE] = json!({"department": department});
        }
        store.create(&ctx, user(&store, body)).await.unwrap();
    }
    let cases: &[(&str, &[&str])] = &[
        (r#"title eq "Manager""#, &["a"]),
        (r#"TITLE eq "manager""#, &["a"]),
        ("title pr", &["a", "b"]),
        ("not (title pr)", &["c"]),
        (r#"department eq "R&D""#, &["b"]),
        (&format!(r#"{ENTERPRISE}:department eq "Sales""#), &["a"]),
        (r#"emails[type eq "work"]"#, &["a", "c"]),
        (
            r#"emails.type eq "home" or name.familyName sw "m""#,
            &["b", "c"],
        ),
        (
            r#"meta.resourceType eq "User" and meta.lastModified gt "2000-01-01T00:00:00Z""#,
            &["a", "b", "c"],
        ),
        (r#"meta.lastModified lt "2000-01-01T00:00:00Z""#, &[]),
        (r#"userName eq "a" and title eq "Engineer""#, &[]),
    ];
    for (filter, expected) in cases {
        assert_eq!(find(&store, &ctx, filter).await, *expected, "{filter}");
    }

    let sorted = |by: &str, order| {
        let query = ListQuery::new().with_sort(scim_filter::AttrPath::parse(by).unwrap(), order);
        let store = &store;
        let ctx = &ctx;
        async move {
            let page = store.list(ctx, ResourceKind::User, &query).await.unwrap();
            page.resources
                .iter()
                .map(|r| r.user_name().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    use scim_core::SortOrder;
    assert_eq!(
        sorted("name.familyName", SortOrder::Ascending).await,
        ["b", "c", "a"]
    );
    assert_eq!(
        sorted("department", SortOrder::Ascending).await,
        ["b", "a", "c"]
    );
    assert_eq!(
        sorted("title", SortOrder::Descending).await,
        ["a", "b", "c"]
    );
}

/// Ids are looked up by their UUID, but only as the store wrote them: another spelling of
/// the same UUID (upper case, no hyphens, braces) is no id of this store.
#[tokio::test]
async fn ids_match_only_as_written() {
    let store = MemoryStore::new();
    let ctx = RequestContext::new("t");
    let created = store
        .create(&ctx, user(&store, json!({"userName": "ids"})))
        .await
        .unwrap();
    let id = created.id().unwrap().to_owned();
    assert!(store.get(&ctx, ResourceKind::User, &id).await.is_ok());
    for other in [
        id.to_uppercase(),
        id.replace('-', ""),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
    ] {
        assert!(
            store.get(&ctx, ResourceKind::User, &other).await.is_err(),
            "{other}"
        );
        assert!(
            find(&store, &ctx, &format!(r#"id eq "{other}""#))
                .await
                .is_empty()
        );
    }
    assert_eq!(
        find(&store, &ctx, &format!(r#"id eq "{id}""#)).await,
        ["ids"]
    );
}
