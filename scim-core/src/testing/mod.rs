//! The store conformance suite (feature `testing`): what every [`ScimStore`] must do, one
//! public async function per behaviour, and [`scim_store_tests!`](crate::scim_store_tests) to
//! run them all as `#[test]`s.
//!
//! ```ignore
//! // tests/conformance.rs of a store crate
//! scim_core::scim_store_tests!(async { MyStore::connect("postgres://...").await.unwrap() });
//! ```
//!
//! Each test works in a tenant of its own (a random name), so a suite can share one database.
//! The store must be `Clone` (a cheap handle, as a server shares it): the concurrency tests
//! spawn writers on a multi-threaded runtime.
//!
//! Not API-stable: cases are added as the store contract is pinned down.

pub mod faults;
pub mod http;

use std::collections::BTreeSet;
use std::future::Future;

use scim_filter::{AttrPath, Filter};
use serde_json::{Value, json};

use crate::{
    Compat, ListQuery, MemberChange, Projection, RequestContext, Resource, ResourceKind,
    SchemaRegistry, ScimStore, SortOrder, StoreError,
};

/// Runs a suite function on a fresh two-thread tokio runtime. The macro's tests call it.
pub fn run<F: Future<Output = ()>>(future: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future);
}

/// A context in a tenant no other test uses.
pub fn fresh_context() -> RequestContext {
    RequestContext::new(format!("conformance-{}", uuid::Uuid::new_v4().simple()))
}

fn registry() -> SchemaRegistry {
    SchemaRegistry::new()
}

/// A validated user, ready for `create`.
pub fn user(body: Value) -> Resource {
    registry()
        .resource(ResourceKind::User)
        .validate_create(body, &Compat::entra())
        .expect("suite users are valid")
}

/// A validated group, ready for `create`.
pub fn group(body: Value) -> Resource {
    registry()
        .resource(ResourceKind::Group)
        .validate_create(body, &Compat::entra())
        .expect("suite groups are valid")
}

fn replaced(existing: &Resource, body: Value) -> Resource {
    let mut body = body;
    body["id"] = json!(existing.id());
    registry()
        .resource(existing.kind())
        .validate_replace(body, existing, &Compat::entra())
        .expect("suite replacements are valid")
}

async fn names<S: ScimStore>(store: &S, ctx: &RequestContext, query: &ListQuery) -> Vec<String> {
    let page = store
        .list(ctx, ResourceKind::User, query)
        .await
        .unwrap_or_else(|e| panic!("list failed: {e}"));
    page.resources
        .iter()
        .map(|r| r.user_name().unwrap_or_default().to_owned())
        .collect()
}

async fn filtered<S: ScimStore>(store: &S, ctx: &RequestContext, filter: &str) -> BTreeSet<String> {
    let filter = Filter::parse(filter).expect("suite filters parse");
    let query = ListQuery::new().with_filter(filter);
    names(store, ctx, &query).await.into_iter().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// `create` assigns an `id` and `meta` (`resourceType`, `created` = `lastModified`, a
/// `version`), keeps every attribute, and `get` returns exactly what `create` returned.
pub async fn create_assigns_id_and_meta<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let created = store
        .create(
            &ctx,
            user(json!({"userName": "bjensen", "displayName": "Babs", "active": true})),
        )
        .await
        .expect("create");
    let id = created.id().expect("an id");
    assert!(!id.is_empty());
    let meta = created
        .meta()
        .expect("meta with created, lastModified and version");
    assert_eq!(meta.created, meta.last_modified);
    assert_eq!(created.as_json()["meta"]["resourceType"], "User");
    assert_eq!(created.user_name(), Some("bjensen"));
    assert_eq!(created.as_json()["active"], true);
    let fetched = store.get(&ctx, ResourceKind::User, id).await.expect("get");
    assert_eq!(fetched.as_json(), created.as_json());
}

/// `get` of an unknown id is `NotFound`.
pub async fn get_unknown_id_is_not_found<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let err = store
        .get(&ctx, ResourceKind::User, "no-such-id")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    let err = store
        .get(&ctx, ResourceKind::Group, "no-such-id")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
}

/// A real change gets a new version and `lastModified`, keeps `created`; an identical
/// replace keeps the version and `lastModified`.
pub async fn replace_versions_only_real_changes<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let created = store
        .create(&ctx, user(json!({"userName": "bjensen", "title": "A"})))
        .await
        .expect("create");
    let v1 = created.version().expect("version");
    let same = store
        .replace(
            &ctx,
            replaced(&created, json!({"userName": "bjensen", "title": "A"})),
            &v1,
        )
        .await
        .expect("identical replace");
    assert_eq!(
        same.version(),
        Some(v1.clone()),
        "an identical replace keeps the version"
    );
    assert_eq!(
        same.meta().map(|m| m.last_modified),
        created.meta().map(|m| m.last_modified)
    );

    let changed = store
        .replace(
            &ctx,
            replaced(&created, json!({"userName": "bjensen", "title": "B"})),
            &v1,
        )
        .await
        .expect("replace");
    let v2 = changed.version().expect("version");
    assert_ne!(v1, v2, "a change gets a new version");
    let (m1, m2) = (created.meta().expect("meta"), changed.meta().expect("meta"));
    assert_eq!(m1.created, m2.created);
    assert!(m2.last_modified >= m1.last_modified);
    let fetched = store
        .get(&ctx, ResourceKind::User, created.id().expect("id"))
        .await
        .expect("get");
    assert_eq!(fetched.as_json()["title"], "B");
    assert_eq!(fetched.version(), Some(v2));
}

/// `replace` and `delete` with a version that is no longer current are `PreconditionFailed`
/// and change nothing.
pub async fn stale_versions_are_refused<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let created = store
        .create(&ctx, user(json!({"userName": "bjensen", "title": "A"})))
        .await
        .expect("create");
    let v1 = created.version().expect("version");
    store
        .replace(
            &ctx,
            replaced(&created, json!({"userName": "bjensen", "title": "B"})),
            &v1,
        )
        .await
        .expect("first replace");
    let err = store
        .replace(
            &ctx,
            replaced(&created, json!({"userName": "bjensen", "title": "C"})),
            &v1,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PreconditionFailed { .. }),
        "got {err:?}"
    );
    let id = created.id().expect("id");
    let err = store
        .delete(&ctx, ResourceKind::User, id, Some(&v1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PreconditionFailed { .. }),
        "got {err:?}"
    );
    let fetched = store
        .get(&ctx, ResourceKind::User, id)
        .await
        .expect("still there");
    assert_eq!(fetched.as_json()["title"], "B");
}

/// `delete` removes the resource; deleting again is `NotFound`; so is replacing it.
pub async fn delete_removes<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let created = store
        .create(&ctx, user(json!({"userName": "bjensen"})))
        .await
        .expect("create");
    let id = created.id().expect("id");
    store
        .delete(&ctx, ResourceKind::User, id, created.version().as_ref())
        .await
        .expect("delete");
    let err = store.get(&ctx, ResourceKind::User, id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    let err = store
        .delete(&ctx, ResourceKind::User, id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    let v = created.version().expect("version");
    let err = store.replace(&ctx, created.clone(), &v).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    assert_eq!(
        filtered(store, &ctx, r#"userName eq "bjensen""#).await,
        set(&[])
    );
    // The name is free again.
    store
        .create(&ctx, user(json!({"userName": "bjensen"})))
        .await
        .expect("re-create");
}

/// `userName` is unique case-insensitively, on create and on replace; a group's
/// `displayName` is unique too.
pub async fn uniqueness_is_enforced<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    store
        .create(&ctx, user(json!({"userName": "bjensen"})))
        .await
        .expect("create");
    let err = store
        .create(&ctx, user(json!({"userName": "BJensen"})))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");

    let other = store
        .create(&ctx, user(json!({"userName": "jsmith"})))
        .await
        .expect("create");
    let v = other.version().expect("version");
    let err = store
        .replace(&ctx, replaced(&other, json!({"userName": "BJENSEN"})), &v)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
    // Changing the case of one's own name is not a conflict.
    store
        .replace(&ctx, replaced(&other, json!({"userName": "JSmith"})), &v)
        .await
        .expect("own name in another case");

    store
        .create(&ctx, group(json!({"displayName": "Admins"})))
        .await
        .expect("group");
    let err = store
        .create(&ctx, group(json!({"displayName": "admins"})))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
}

/// A replace that changes what lookups use (`userName`, `externalId`, an email) moves every
/// lookup to the new values and frees the old name; one that changes none of them keeps
/// them answering.
pub async fn replace_moves_lookups<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let created = store
        .create(
            &ctx,
            user(
                json!({"userName": "alice", "externalId": "ext-1", "title": "A",
                "emails": [{"value": "alice@example.com", "type": "work"}]}),
            ),
        )
        .await
        .expect("create");
    let v1 = created.version().expect("version");
    let renamed = store
        .replace(
            &ctx,
            replaced(
                &created,
                json!({"userName": "alicia", "externalId": "ext-2", "title": "A",
                    "emails": [{"value": "alicia@example.com", "type": "work"}]}),
            ),
            &v1,
        )
        .await
        .expect("rename");
    for (filter, expected) in [
        (r#"userName eq "alice""#, &[][..]),
        (r#"userName eq "alicia""#, &["alicia"][..]),
        (r#"externalId eq "ext-1""#, &[]),
        (r#"externalId eq "ext-2""#, &["alicia"]),
        (r#"emails.value eq "alice@example.com""#, &[]),
        (r#"emails[value eq "alicia@example.com"]"#, &["alicia"]),
    ] {
        assert_eq!(
            filtered(store, &ctx, filter).await,
            set(expected),
            "{filter}"
        );
    }
    // Changing something no lookup uses leaves them answering.
    let v2 = renamed.version().expect("version");
    store
        .replace(
            &ctx,
            replaced(
                &renamed,
                json!({"userName": "alicia", "externalId": "ext-2", "title": "B",
                    "emails": [{"value": "alicia@example.com", "type": "work"}]}),
            ),
            &v2,
        )
        .await
        .expect("retitle");
    assert_eq!(
        filtered(
            store,
            &ctx,
            r#"userName eq "alicia" and externalId eq "ext-2""#
        )
        .await,
        set(&["alicia"])
    );
    store
        .create(&ctx, user(json!({"userName": "Alice"})))
        .await
        .expect("the old name is free again");
}

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
    let ctx = fresh_context();
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
    let ctx = fresh_context();
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

/// Group filters: `displayName`, `members[value eq ...]`, `members.value`, and Entra's
/// membership check `id eq "<g>" and members[value eq "<u>"]`.
pub async fn filter_group_membership<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
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

/// `sortBy` ascending and descending, case-insensitive strings, multi-valued attributes by
/// their primary value; resources without a value come last.
pub async fn sorting<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
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
    let ctx = fresh_context();
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

/// Writers racing on one version: exactly one wins, the others get `PreconditionFailed`;
/// creators racing on one `userName`: exactly one wins, the others get `Conflict`.
pub async fn concurrent_writers<S: ScimStore + Clone>(store: &S) {
    let ctx = fresh_context();
    let created = store
        .create(&ctx, user(json!({"userName": "bjensen"})))
        .await
        .expect("create");
    let version = created.version().expect("version");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, ctx, version) = (store.clone(), ctx.clone(), version.clone());
        let r = replaced(
            &created,
            json!({"userName": "bjensen", "title": format!("writer {i}")}),
        );
        tasks.push(tokio::spawn(async move {
            store.replace(&ctx, r, &version).await
        }));
    }
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(StoreError::PreconditionFailed { .. }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((won, refused), (1, 7));

    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, ctx) = (store.clone(), ctx.clone());
        let name = if i % 2 == 0 { "racer" } else { "RACER" };
        let r = user(json!({"userName": name}));
        tasks.push(tokio::spawn(async move { store.create(&ctx, r).await }));
    }
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(StoreError::Conflict(_)) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((won, refused), (1, 7));
}

/// A tenant never sees, changes or collides with another tenant's resources.
pub async fn tenants_are_isolated<S: ScimStore>(store: &S) {
    let (a, b) = (fresh_context(), fresh_context());
    let created = store
        .create(&a, user(json!({"userName": "shared"})))
        .await
        .expect("create");
    let id = created.id().expect("id");
    let v = created.version().expect("version");
    let err = store.get(&b, ResourceKind::User, id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    assert_eq!(
        filtered(store, &b, r#"userName eq "shared""#).await,
        set(&[])
    );
    assert_eq!(
        store
            .list(&b, ResourceKind::User, &ListQuery::new())
            .await
            .expect("list")
            .total_results,
        0
    );
    let err = store.replace(&b, created.clone(), &v).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    let err = store
        .delete(&b, ResourceKind::User, id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    store
        .create(&b, user(json!({"userName": "shared"})))
        .await
        .expect("same name in another tenant");
    assert_eq!(
        filtered(store, &a, r#"userName eq "shared""#).await,
        set(&["shared"])
    );
    store
        .get(&a, ResourceKind::User, id)
        .await
        .expect("still in its tenant");
}

/// Dry-run writes answer as if they happened and persist nothing; they still report
/// conflicts.
pub async fn dry_run_persists_nothing<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let dry = ctx.clone().with_dry_run(true);
    let simulated = store
        .create(&dry, user(json!({"userName": "ghost"})))
        .await
        .expect("dry create");
    assert!(
        simulated.id().is_some(),
        "a dry-run create answers with an id"
    );
    assert_eq!(
        filtered(store, &ctx, r#"userName eq "ghost""#).await,
        set(&[])
    );

    let created = store
        .create(&ctx, user(json!({"userName": "real", "title": "A"})))
        .await
        .expect("create");
    let id = created.id().expect("id");
    let v = created.version().expect("version");
    let answer = store
        .replace(
            &dry,
            replaced(&created, json!({"userName": "real", "title": "B"})),
            &v,
        )
        .await
        .expect("dry replace");
    assert_eq!(answer.as_json()["title"], "B");
    store
        .delete(&dry, ResourceKind::User, id, None)
        .await
        .expect("dry delete");
    let fetched = store
        .get(&ctx, ResourceKind::User, id)
        .await
        .expect("still there");
    assert_eq!(fetched.as_json()["title"], "A");
    assert_eq!(fetched.version(), Some(v));
    let err = store
        .create(&dry, user(json!({"userName": "REAL"})))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
}

/// Extension objects and every attribute survive a round trip untouched.
pub async fn attributes_round_trip<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
    let input = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "bjensen",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen"},
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "primary": true}],
        "roles": [{"value": "Admin", "type": "WindowsAzureActiveDirectoryRole", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    }));
    let created = store.create(&ctx, input.clone()).await.expect("create");
    let fetched = store
        .get(&ctx, ResourceKind::User, created.id().expect("id"))
        .await
        .expect("get");
    for (key, value) in input.as_json() {
        assert_eq!(fetched.as_json().get(key), Some(value), "attribute {key}");
    }
}

/// A group of 10,000 members: created whole, found by a member, and changed by one member
/// (natively, or by replace when the store has no native membership change), with the
/// version changing only when membership does.
pub async fn large_group<S: ScimStore>(store: &S) {
    let ctx = fresh_context();
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
        Ok(v) => {
            let again = store
                .modify_members(&ctx, &id, &change, Some(&v))
                .await
                .expect("no-op change");
            assert_eq!(again, v, "a change that changes nothing keeps the version");
            v
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
    let ctx = fresh_context();
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
    let ctx = fresh_context();
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

/// Expands to one `#[test]` per conformance case for the store that `$make` (an async
/// block) builds. Each test builds its own store and runs on its own runtime. With
/// `optional:`, `$make` yields an `Option` and a `None` (a database that is not there, which
/// the block should say) passes the case without running it.
///
/// ```ignore
/// scim_core::scim_store_tests!(async { scim_core::MemoryStore::new() });
/// ```
#[macro_export]
macro_rules! scim_store_tests {
    (@list $mode:ident $make:expr) => {
        $crate::scim_store_tests!(@cases $mode $make;
            create_assigns_id_and_meta,
            get_unknown_id_is_not_found,
            replace_versions_only_real_changes,
            stale_versions_are_refused,
            delete_removes,
            uniqueness_is_enforced,
            replace_moves_lookups,
            filter_operators,
            filter_logic_and_value_paths,
            filter_group_membership,
            sorting,
            paging,
            concurrent_writers,
            tenants_are_isolated,
            dry_run_persists_nothing,
            attributes_round_trip,
            large_group,
            deleted_users_leave_groups,
            groups_without_display_name,
        );
    };
    (@cases required $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    let store = $make.await;
                    $crate::testing::$case(&store).await;
                });
            }
        )*
    };
    (@cases optional $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    if let Some(store) = $make.await {
                        $crate::testing::$case(&store).await;
                    }
                });
            }
        )*
    };
    (optional: $make:expr) => {
        $crate::scim_store_tests!(@list optional $make);
    };
    ($make:expr) => {
        $crate::scim_store_tests!(@list required $make);
    };
}
