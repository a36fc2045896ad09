//! The typed operations answer groups as the HTTP shell does: each member's `display` is the
//! referenced user's current `displayName`, on create, read, list, replace and PATCH.

use scim_core::engine::{BearerToken, Engine, Patched, Precondition};
use scim_core::{ListQuery, MemoryStore, Projection, RequestContext, ResourceKind};
use scim_patch::PatchRequest;
use serde_json::{Value, json};

fn display(group: &scim_core::Resource) -> Option<&str> {
    group.get("members")?.get(0)?.get("display")?.as_str()
}

#[tokio::test]
async fn typed_operations_name_members() {
    let engine = Engine::new(MemoryStore::new(), BearerToken::new("t"));
    let ctx = RequestContext::new("default");
    let user = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "babs", "displayName": "Babs"}),
        )
        .await
        .expect("created");
    let id = user.id().expect("an id").to_owned();
    let body = json!({"displayName": "Ops", "members": [{"value": id, "display": "old"}]});
    let group = engine
        .create(&ctx, ResourceKind::Group, body.clone())
        .await
        .expect("created");
    assert_eq!(display(&group), Some("Babs"));
    let gid = group.id().expect("an id").to_owned();

    let read = engine
        .get(&ctx, ResourceKind::Group, &gid, &Projection::default())
        .await
        .expect("read");
    assert_eq!(display(&read), Some("Babs"));
    let page = engine
        .list(&ctx, Some(ResourceKind::Group), &ListQuery::new())
        .await
        .expect("listed");
    assert_eq!(display(&page.resources[0]), Some("Babs"));

    let replaced = engine
        .replace(&ctx, ResourceKind::Group, &gid, body, &Precondition::None)
        .await
        .expect("replaced");
    assert_eq!(display(&replaced), Some("Babs"));

    let rename: Value = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Ops team"}],
    });
    let request = PatchRequest::from_value(rename).expect("a PATCH");
    let Patched::Resource(patched) = engine
        .patch(
            &ctx,
            ResourceKind::Group,
            &gid,
            request,
            &Precondition::None,
        )
        .await
        .expect("patched")
    else {
        panic!("a rename is applied to the group");
    };
    assert_eq!(display(&patched), Some("Babs"));
}
