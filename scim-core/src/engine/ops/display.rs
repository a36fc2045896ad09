//! Group members' `display`, filled when a group is read from the `displayName` of the user
//! or group each member references: one store lookup per resource type for a whole group or
//! page ([`ScimStore::display_names`]).

use std::collections::HashMap;

use scim_patch::PatchRequest;
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::{Compat, MemberDisplay, RequestContext, Resource, ResourceKind, ScimStore};

/// Whether member `m` is to be given the referenced name under `mode`.
fn wanted(m: &Map<String, Value>, mode: MemberDisplay) -> bool {
    match mode {
        MemberDisplay::Referenced => true,
        MemberDisplay::AsSent => !m.get("display").is_some_and(Value::is_string),
    }
}

/// The resource type a member's `type` names, if it names one.
fn member_kind(m: &Map<String, Value>) -> Option<ResourceKind> {
    match m.get("type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("Group") => Some(ResourceKind::Group),
        Some(t) if t.eq_ignore_ascii_case("User") => Some(ResourceKind::User),
        _ => None,
    }
}

fn members(resource: &Resource) -> impl Iterator<Item = &Map<String, Value>> {
    resource
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

impl<S: ScimStore> Engine<S> {
    /// `resource` as a response shows it: with its members' `display` filled.
    pub(crate) async fn shown(
        &self,
        compat: &Compat,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Resource {
        if resource.kind() != ResourceKind::Group {
            return resource;
        }
        let mut one = [resource];
        self.fill_member_display(compat, ctx, &mut one).await;
        let [resource] = one;
        resource
    }

    /// Fills the `display` of the members of the groups among `resources`, as `compat` says.
    /// A store that cannot look names up leaves members as they were written; a failed
    /// lookup is logged and leaves them too (the group itself was read).
    pub(crate) async fn fill_member_display(
        &self,
        compat: &Compat,
        ctx: &RequestContext,
        resources: &mut [Resource],
    ) {
        let mode = compat.member_display;
        // Which ids to look up as users (typed `User`, or untyped) and as groups (typed
        // `Group`, and untyped ones that are no user).
        let (mut users, mut groups, mut untyped) = (Vec::new(), Vec::new(), false);
        for resource in resources.iter() {
            if resource.kind() != ResourceKind::Group {
                continue;
            }
            for m in members(resource).filter(|m| wanted(m, mode)) {
                let Some(id) = m.get("value").and_then(Value::as_str) else {
                    continue;
                };
                match member_kind(m) {
                    Some(ResourceKind::Group) => groups.push(id),
                    Some(_) => users.push(id),
                    None => {
                        untyped = true;
                        users.push(id);
                    }
                }
            }
        }
        if users.is_empty() && groups.is_empty() {
            return;
        }
        let store = &self.inner.store;
        let (mut user_names, mut group_names) = (HashMap::new(), HashMap::new());
        let lookups = async {
            if !users.is_empty() {
                user_names = store.display_names(ctx, ResourceKind::User, &users).await?;
            }
            if untyped {
                groups.extend(users.iter().filter(|id| !user_names.contains_key(**id)));
            }
            if !groups.is_empty() && self.serves_for(ctx.tenant(), ResourceKind::Group) {
                group_names = store
                    .display_names(ctx, ResourceKind::Group, &groups)
                    .await?;
            }
            Ok::<_, crate::StoreError>(())
        };
        if let Err(err) = lookups.await {
            tracing::warn!(error = %err, "looking up members' display names failed");
        }
        if user_names.is_empty() && group_names.is_empty() {
            return;
        }
        for resource in resources.iter_mut() {
            if resource.kind() != ResourceKind::Group {
                continue;
            }
            let Some(Value::Array(list)) = resource.as_json_mut().get_mut("members") else {
                continue;
            };
            for m in list.iter_mut().filter_map(Value::as_object_mut) {
                if !wanted(m, mode) {
                    continue;
                }
                let Some(id) = m.get("value").and_then(Value::as_str) else {
                    continue;
                };
                let name = match member_kind(m) {
                    Some(ResourceKind::Group) => group_names.get(id),
                    Some(_) => user_names.get(id),
                    None => user_names.get(id).or_else(|| group_names.get(id)),
                };
                if let Some(name) = name.cloned() {
                    m.insert("display".into(), Value::String(name));
                }
            }
        }
    }
}

/// In a group's body (a POST or PUT, or a path-less PATCH value), each member's
/// `displayName` read as `display` when `compat` keeps members' `display` as sent
/// ([`MemberDisplay::AsSent`]: Microsoft's reference server accepts it there).
pub(crate) fn alias_members(compat: &Compat, kind: ResourceKind, body: &mut Value) {
    if kind != ResourceKind::Group || compat.member_display != MemberDisplay::AsSent {
        return;
    }
    if let Some(body) = body.as_object_mut() {
        body.iter_mut()
            .filter(|(k, _)| k.eq_ignore_ascii_case("members"))
            .for_each(|(_, members)| alias_member_display_name(members));
    }
}

/// [`alias_members`] for a PATCH of a group: the value of each operation on `members`, and
/// each path-less value.
pub(crate) fn alias_patched_members(
    compat: &Compat,
    kind: ResourceKind,
    request: &mut PatchRequest,
) {
    if kind != ResourceKind::Group || compat.member_display != MemberDisplay::AsSent {
        return;
    }
    for op in &mut request.operations {
        let Some(value) = op.value.as_mut() else {
            continue;
        };
        match &op.path {
            None => alias_members(compat, kind, value),
            Some(path)
                if path.attr.name.eq_ignore_ascii_case("members")
                    && path.attr.sub_attr.is_none()
                    && path.sub_attr.is_none() =>
            {
                alias_member_display_name(value);
            }
            Some(_) => {}
        }
    }
}

/// Each member of `members` (a `members` value, or one member) with its `displayName` read
/// as `display`. A member that says both keeps `display`.
fn alias_member_display_name(members: &mut Value) {
    let list = match members {
        Value::Array(list) => list.iter_mut().collect::<Vec<_>>(),
        one @ Value::Object(_) => vec![one],
        _ => return,
    };
    for m in list.into_iter().filter_map(Value::as_object_mut) {
        let Some(key) = m
            .keys()
            .find(|k| k.eq_ignore_ascii_case("displayName"))
            .cloned()
        else {
            continue;
        };
        let name = m.shift_remove(&key);
        let has_display = m.keys().any(|k| k.eq_ignore_ascii_case("display"));
        if let Some(name) = name.filter(|_| !has_display) {
            m.insert("display".into(), name);
        }
    }
}
