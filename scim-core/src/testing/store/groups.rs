//! Groups: membership filters, large groups, members leaving with deleted users, groups
//! without a name.

use std::collections::BTreeSet;

use scim_filter::Filter;
use serde_json::{Value, json};

use super::{Need, begin, group, registry, replaced, set, user};
use crate::{
    Compat, ListQuery, MemberChange, Projection, RequestContext, ResourceKind, ScimStore,
    StoreError,
};

/// Group filters: `displayName`, `members[value eq ...]`, `members.value`, and Entra's
/// membership check `id eq "<g>" and members[value eq "<u>"]`.
pub async fn filter_group_membership<S: ScimStore>(store: &S) {
    let Some(ctx) = begin(store, "filter_group_membership", &[Need::Groups]) else {
        return;
    };
    let admins = store
        .create(
            &ctx,
            group(json!({"displayName": "Admins", "members": [{"value": "u1"}, {"value": "u2"}]})),
        )
        .await
        .expect("group");
    store
        .create(
            &ctx,
            group(json!({"displayName": "Users", "members": [{"value": "u2"}]})),
        )
        .await
        .expect("group");
    let gid = admins.id().expect("id");
    let cases: Vec<(String, &[&str])> = vec![
        (r#"displayName eq "ADMINS""#.into(), &["Admins"]),
        (r#"members[value eq "u1"]"#.into(), &["Admins"]),
        (r#"members.value eq "u2""#.into(), &["Admins", "Users"]),
        (r#"members[value eq "u3"]"#.into(), &[]),
        (
            format!(r#"id eq "{gid}" and members[value eq "u1"]"#),
            &["Admins"],
        ),
        (format!(r#"id eq "{gid}" and members[value eq "u3"]"#), &[]),
    ];
    for (filter, expected) in &cases {
        assert_eq!(
            groups_matching(store, &ctx, filter).await,
            set(expected),
            "filter {filter}"
        );
    }
    // Replacing the members moves the group in every lookup.
    let v = admins.version().expect("version");
    let renamed = replaced(
        &admins,
        json!({"displayName": "Root", "members": [{"value": "u3"}]}),
    );
    store.replace(&ctx, renamed, &v).await.expect("replace");
    for (filter, expected) in [
        (r#"members[value eq "u1"]"#, &[][..]),
        (r#"members[value eq "u3"]"#, &["Root"][..]),
        (r#"displayName eq "Admins""#, &[][..]),
        (r#"displayName eq "root""#, &["Root"][..]),
    ] {
        assert_eq!(
            groups_matching(store, &ctx, filter).await,
            set(expected),
            "after replace: {filter}"
        );
    }
}

async fn groups_matching<S: ScimStore>(
    store: &S,
    ctx: &RequestContext,
    filter: &str,
) -> BTreeSet<String> {
    let query = ListQuery::new().with_filter(Filter::parse(filter).expect("parses"));
    let page = store
        .list(ctx, ResourceKind::Group, &query)
        .await
        .expect("list");
    assert_eq!(page.total_results, page.resources.len(), "filter {filter}");
    page.resources
        .iter()
        .map(|g| g.display_name().unwrap_or_default().to_owned())
        .collect()
}

/// A group of 10,000 members: created whole, found by a member, and changed by one member
/// (natively, or by replace when the store has no native membership change), with the
/// version changing only when membership does and the store saying which members it
/// really added and removed.
pub async fn large_group<S: ScimStore>(store: &S) {
    let Some(ctx) = begin(store, "large_group", &[Need::Groups]) else {
        return;
    };
    let members: Vec<Value> = (0..10_000)
        .map(|i| json!({"value": format!("member-{i}")}))
        .collect();
    let created = store
        .create(
            &ctx,
            group(json!({"displayName": "Everyone", "members": members})),
        )
        .await
        .expect("create");
    let id = created.id().expect("id").to_owned();
    let query = ListQuery::new()
        .with_filter(Filter::parse(r#"members[value eq "member-9999"]"#).expect("parses"))
        .with_projection(Projection::new(None, Some("members")).expect("projection"));
    let page = store
        .list(&ctx, ResourceKind::Group, &query)
        .await
        .expect("list");
    assert_eq!(page.total_results, 1);

    let v1 = created.version().expect("version");
    let change = MemberChange::new(vec![json!({"value": "newcomer"})], vec!["member-0".into()]);
    let v2 = match store.modify_members(&ctx, &id, &change, Some(&v1)).await {
        Ok(done) => {
            assert_eq!(
                (done.added.as_slice(), done.removed.as_slice()),
                (&["newcomer".to_owned()][..], &["member-0".to_owned()][..]),
                "the store says which members it added and removed"
            );
            let again = store
                .modify_members(&ctx, &id, &change, Some(&done.version))
                .await
                .expect("no-op change");
            assert_eq!(
                again.version, done.version,
                "a change that changes nothing keeps the version"
            );
            assert!(!again.changed(), "and says it added and removed nobody");
            done.version
        }
        Err(StoreError::NotImplemented { .. }) => {
            let mut body = created.clone().into_json();
            let list = body["members"].as_array_mut().expect("members");
            list.retain(|m| m["value"] != "member-0");
            list.push(json!({"value": "newcomer"}));
            let r = registry()
                .resource(ResourceKind::Group)
                .validate_replace(body, &created, &Compat::entra())
                .expect("valid");
            store
                .replace(&ctx, r, &v1)
                .await
                .expect("replace")
                .version()
                .expect("version")
        }
        Err(e) => panic!("modify_members failed: {e:?}"),
    };
    assert_ne!(v1, v2);
    let fetched = store
        .get(&ctx, ResourceKind::Group, &id)
        .await
        .expect("get");
    assert_eq!(fetched.version(), Some(v2));
    let ids: BTreeSet<&str> = fetched.member_ids().collect();
    assert_eq!(ids.len(), 10_000);
    assert!(ids.contains("newcomer") && !ids.contains("member-0") && ids.contains("member-1"));
    let gone = ListQuery::new()
        .with_filter(Filter::parse(r#"members[value eq "member-0"]"#).expect("parses"));
    assert_eq!(
        store
            .list(&ctx, ResourceKind::Group, &gone)
            .await
            .expect("list")
            .total_results,
        0
    );
}

/// Deleting a user removes it from the groups it belonged to.
pub async fn deleted_users_leave_groups<S: ScimStore>(store: &S) {
    let Some(ctx) = begin(store, "deleted_users_leave_groups", &[Need::Groups]) else {
        return;
    };
    let u = store
        .create(&ctx, user(json!({"userName": "leaver"})))
        .await
        .expect("create");
    let uid = u.id().expect("id");
    let g = store
        .create(
            &ctx,
            group(json!({"displayName": "Team", "members": [{"value": uid}, {"value": "other"}]})),
        )
        .await
        .expect("group");
    store
        .delete(&ctx, ResourceKind::User, uid, None)
        .await
        .expect("delete");
    let fetched = store
        .get(&ctx, ResourceKind::Group, g.id().expect("id"))
        .await
        .expect("get");
    assert_eq!(fetched.member_ids().collect::<Vec<_>>(), ["other"]);
    assert_ne!(
        fetched.version(),
        g.version(),
        "membership changed, so did the version"
    );
}

/// A group's `displayName` is optional (RFC 7643 §4.2): several groups without one can be
/// stored, read, listed and deleted.
pub async fn groups_without_display_name<S: ScimStore>(store: &S) {
    let Some(ctx) = begin(store, "groups_without_display_name", &[Need::Groups]) else {
        return;
    };
    let first = store
        .create(&ctx, group(json!({"externalId": "g-1"})))
        .await
        .expect("a group without displayName");
    let second = store
        .create(&ctx, group(json!({"externalId": "g-2"})))
        .await
        .expect("a second one: absent names do not collide");
    let id = first.id().expect("id");
    let read = store.get(&ctx, ResourceKind::Group, id).await.expect("get");
    assert_eq!(read.display_name(), None);
    assert_eq!(read.external_id(), Some("g-1"));
    let page = store
        .list(&ctx, ResourceKind::Group, &ListQuery::new())
        .await
        .expect("list");
    assert_eq!(page.total_results, 2);
    store
        .delete(&ctx, ResourceKind::Group, second.id().expect("id"), None)
        .await
        .expect("delete");
}
