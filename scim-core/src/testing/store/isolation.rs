//! Tenants and dry runs: what one tenant or a dry run must never see or leave behind.

use serde_json::json;

use super::{Need, begin, context_for, filtered, replaced, set, user};
use crate::{ListQuery, ResourceKind, ScimStore, StoreError};

/// A tenant never sees, changes or collides with another tenant's resources: the same
/// `userName` in two tenants is two users, not a conflict.
pub async fn tenants_are_isolated<S: ScimStore>(store: &S) {
    let Some(a) = begin(store, "tenants_are_isolated", &[Need::Tenants]) else {
        return;
    };
    let b = context_for(store);
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
    if let Err(err) = store.create(&b, user(json!({"userName": "shared"}))).await {
        panic!(
            "a userName taken in another tenant must be free in this one, got {err:?}: a \
             unique index across all tenants tells one customer which addresses another has. \
             Make the index per tenant (tenant, user_name), or declare a single-tenant store \
             (StoreCapabilities::single_tenant); see the store guide, section \"Uniqueness is \
             per tenant\""
        );
    }
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
    let ctx = context_for(store);
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
