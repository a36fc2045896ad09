//! Writes: ids and `meta`, versions, stale writes, deletes, uniqueness, renames, racing
//! writers, round trips.

use serde_json::json;

use super::{context_for, filtered, group, replaced, set, user};
use crate::{ResourceKind, ScimStore, StoreError};

/// `create` assigns an `id` and `meta` (`resourceType`, `created` = `lastModified`, a
/// `version`), keeps every attribute, and `get` returns exactly what `create` returned.
pub async fn create_assigns_id_and_meta<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
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

/// `get` of an unknown id is `NotFound` (a group's too, for a store that keeps groups).
pub async fn get_unknown_id_is_not_found<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
    let err = store
        .get(&ctx, ResourceKind::User, "no-such-id")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
    if !store.capabilities().groups() {
        return;
    }
    let err = store
        .get(&ctx, ResourceKind::Group, "no-such-id")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "got {err:?}");
}

/// A real change gets a new version and `lastModified`, keeps `created`; an identical
/// replace keeps the version and `lastModified`. Whether the replacement carries `meta` or
/// not plays no part: a new attribute where the stored resource has `meta` is a change.
pub async fn replace_versions_only_real_changes<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
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
    assert_eq!(fetched.version(), Some(v2.clone()));

    // Every stored attribute and one more, without `meta`: as many top-level keys as the
    // stored resource, which has `meta`. (Comparing the stored resource's keys alone, `meta`
    // aside, takes this for "no change" and loses it.)
    let mut added = replaced(
        &fetched,
        json!({"userName": "bjensen", "title": "B", "nickName": "Babs"}),
    );
    added.as_json_mut().shift_remove("meta");
    let stored = store
        .replace(&ctx, added, &v2)
        .await
        .expect("replace without meta");
    assert_ne!(stored.version(), Some(v2), "a change gets a new version");
    let fetched = store
        .get(&ctx, ResourceKind::User, created.id().expect("id"))
        .await
        .expect("get");
    assert_eq!(
        fetched.as_json()["nickName"],
        "Babs",
        "the change was stored"
    );
}

/// `replace` and `delete` with a version that is no longer current are `PreconditionFailed`
/// and change nothing.
pub async fn stale_versions_are_refused<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
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
    let ctx = context_for(store);
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
/// `displayName` is unique too (for a store that keeps groups).
pub async fn uniqueness_is_enforced<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
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

    if !store.capabilities().groups() {
        return;
    }
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
    let ctx = context_for(store);
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

/// Writers racing on one version: exactly one wins, its change is stored, the others get
/// `PreconditionFailed`; creators racing on one `userName`: exactly one wins, the others get
/// `Conflict`.
pub async fn concurrent_writers<S: ScimStore + Clone>(store: &S) {
    let ctx = context_for(store);
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
    let (mut winners, mut refused) = (Vec::new(), 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(stored) => winners.push(stored),
            Err(StoreError::PreconditionFailed { .. }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((winners.len(), refused), (1, 7));
    let fetched = store
        .get(&ctx, ResourceKind::User, created.id().expect("id"))
        .await
        .expect("get");
    assert_eq!(
        fetched.as_json().get("title"),
        winners[0].as_json().get("title"),
        "the winner's change is what is stored"
    );
    assert_ne!(fetched.version(), Some(version), "under a new version");

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

/// Extension objects and every attribute survive a round trip untouched.
pub async fn attributes_round_trip<S: ScimStore>(store: &S) {
    let ctx = context_for(store);
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
    if !store.capabilities().serves(ResourceKind::Group) {
        return;
    }
    // A group's members keep what the client said of each: its reference, type and name.
    let id = created.id().expect("id");
    let input = group(json!({
        "displayName": "Tour Guides",
        "members": [{
            "value": id,
            "$ref": format!("https://scim.example.com/v2/Users/{id}"),
            "type": "User",
            "display": "Babs Jensen"
        }]
    }));
    let created = store.create(&ctx, input.clone()).await.expect("create");
    let fetched = store
        .get(&ctx, ResourceKind::Group, created.id().expect("id"))
        .await
        .expect("get");
    assert_eq!(
        fetched.as_json().get("members"),
        input.as_json().get("members"),
        "a group's members"
    );
}
