//! The operations that change a stored resource: replace, patch and membership change, each
//! tried again on the newer version when another writer got in first (unless the caller
//! named the version it expects).

use scim_patch::PatchRequest;
use serde_json::{Value, json};

use super::display::{alias_members, alias_patched_members};
use super::{Patched, Precondition, WRITE_ATTEMPTS, precondition_failed, store_error};
use crate::engine::Engine;
use crate::engine::events::{Change, EventKind};
use crate::engine::rules::WriteChange;
use crate::{
    Compat, MemberChange, MembersChanged, RequestContext, Resource, ResourceKind, ScimError,
    ScimStore, StoreError, Version,
};

impl<S: ScimStore> Engine<S> {
    /// Replaces the resource `id` with a client's JSON (a PUT body): validated against the
    /// stored resource (readOnly attributes kept, immutable ones held), checked by the app's
    /// rules, stored if `precondition` holds.
    pub async fn replace(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        input: Value,
        precondition: &Precondition,
    ) -> Result<Resource, ScimError> {
        let compat = self.compat_of(ctx.tenant());
        let stored = self
            .replace_under(&compat, ctx, kind, id, input, precondition)
            .await?;
        Ok(self.shown(&compat, ctx, stored).await)
    }

    pub(crate) async fn replace_under(
        &self,
        compat: &Compat,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        input: Value,
        precondition: &Precondition,
    ) -> Result<Resource, ScimError> {
        self.check_scope(ctx, kind)?;
        let schemas = self.inner.registry.resource(kind);
        let mut input = input;
        alias_members(compat, kind, &mut input);
        for attempt in 1.. {
            let (existing, version) = self.current(ctx, kind, id, precondition).await?;
            let mut resource = schemas.validate_replace(input.clone(), &existing, compat)?;
            self.check_rules(
                ctx,
                kind,
                WriteChange::Replace {
                    resource: &mut resource,
                    previous: &existing,
                },
            )
            .await?;
            let write = self.write_context(ctx, kind, id, || Change {
                kind: EventKind::Replaced,
                before: Some(&existing),
                after: Some(&resource),
                members: None,
            });
            match self
                .inner
                .store
                .replace_from(&write, &existing, resource, &version)
                .await
            {
                Ok(stored) => {
                    if stored.version().as_ref() != Some(&version) {
                        self.committed(
                            ctx,
                            kind,
                            id,
                            Change {
                                kind: EventKind::Replaced,
                                before: Some(&existing),
                                after: Some(&stored),
                                members: None,
                            },
                        )
                        .await;
                    }
                    return Ok(stored);
                }
                Err(StoreError::PreconditionFailed { .. })
                    if precondition.retries() && attempt < WRITE_ATTEMPTS => {}
                Err(StoreError::PreconditionFailed { .. }) => {
                    return Err(precondition_failed(kind, id));
                }
                Err(err) => return Err(store_error(err)),
            }
        }
        unreachable!("the loop returns")
    }

    /// Applies a PATCH request to the resource `id`, if `precondition` holds.
    ///
    /// A request that only adds group members and removes them by id (how Entra and Okta
    /// change membership) is handed to the store as a membership change, without reading the
    /// group, whatever its size: the answer is then [`Patched::Members`]. Anything else is
    /// applied to the stored resource, validated where it changed and stored
    /// ([`Patched::Resource`]); if only membership changed, a store that can still applies it
    /// as a membership change.
    pub async fn patch(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        request: PatchRequest,
        precondition: &Precondition,
    ) -> Result<Patched, ScimError> {
        let compat = self.compat_of(ctx.tenant());
        let patched = self
            .patch_under(&compat, ctx, kind, id, request, precondition)
            .await?;
        Ok(match patched {
            Patched::Resource(resource) => {
                Patched::Resource(self.shown(&compat, ctx, resource).await)
            }
            members => members,
        })
    }

    pub(crate) async fn patch_under(
        &self,
        compat: &Compat,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        request: PatchRequest,
        precondition: &Precondition,
    ) -> Result<Patched, ScimError> {
        self.check_scope(ctx, kind)?;
        let mut request = request;
        alias_patched_members(compat, kind, &mut request);
        if kind == ResourceKind::Group
            && precondition.retries()
            && let Some(change) = request.membership_change(&compat.patch)
            && let Some(done) = self.members_native(ctx, id, &change.into(), None).await?
        {
            return Ok(Patched::Members(done.version));
        }
        let applied = self.apply(compat, ctx, kind, id, request, precondition, false);
        Ok(Box::pin(applied).await?.0)
    }

    /// The general PATCH: read, apply, validate, write, tried again on the newer version when
    /// another writer got in first. With `delta`, also the ids of the members the request
    /// added and removed.
    #[allow(
        clippy::too_many_arguments,
        reason = "the operation's arguments, and one switch"
    )]
    async fn apply(
        &self,
        compat: &Compat,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        request: PatchRequest,
        precondition: &Precondition,
        delta: bool,
    ) -> Result<(Patched, Option<(Vec<String>, Vec<String>)>), ScimError> {
        let schemas = self.inner.registry.resource(kind);
        let store = &self.inner.store;
        for attempt in 1.. {
            let retry = precondition.retries() && attempt < WRITE_ATTEMPTS;
            let (existing, version) = self.current(ctx, kind, id, precondition).await?;
            let (mut patched, outcome) = schemas.apply_patch(&existing, request.clone(), compat)?;
            if !outcome.changed() {
                return Ok((Patched::Resource(existing), delta.then(Default::default)));
            }
            self.check_rules(
                ctx,
                kind,
                WriteChange::Replace {
                    resource: &mut patched,
                    previous: &existing,
                },
            )
            .await?;
            let members = delta.then(|| {
                let owned = |ids: Vec<&str>| ids.into_iter().map(str::to_owned).collect();
                let (added, removed) = outcome.members_delta();
                (owned(added), owned(removed))
            });
            let event = |after| Change {
                kind: EventKind::Patched {
                    changed: outcome.changed_attributes.clone(),
                },
                before: Some(&existing),
                after: Some(after),
                members: None,
            };
            if kind == ResourceKind::Group
                && let Some(change) = outcome.membership_change(patched.as_json())
            {
                let change = MemberChange::from(change);
                match store.modify_members(ctx, id, &change, Some(&version)).await {
                    Ok(done) => {
                        self.committed(ctx, kind, id, event(&patched)).await;
                        return Ok((Patched::Members(done.version), members));
                    }
                    Err(StoreError::NotImplemented { .. }) => {}
                    Err(StoreError::PreconditionFailed { .. }) if retry => continue,
                    Err(StoreError::PreconditionFailed { .. }) => {
                        return Err(precondition_failed(kind, id));
                    }
                    Err(err) => return Err(store_error(err)),
                }
            }
            let write = self.write_context(ctx, kind, id, || Change {
                kind: EventKind::Patched {
                    changed: outcome.changed_attributes.clone(),
                },
                before: Some(&existing),
                after: Some(&patched),
                members: None,
            });
            match store
                .replace_from(&write, &existing, patched, &version)
                .await
            {
                Ok(stored) => {
                    self.committed(ctx, kind, id, event(&stored)).await;
                    return Ok((Patched::Resource(stored), members));
                }
                Err(StoreError::PreconditionFailed { .. }) if retry => {}
                Err(StoreError::PreconditionFailed { .. }) => {
                    return Err(precondition_failed(kind, id));
                }
                Err(err) => return Err(store_error(err)),
            }
        }
        unreachable!("the loop returns")
    }

    /// Adds members to group `group_id` and removes members from it, if `precondition`
    /// holds: checked by the app's rules, applied by the store without reading or rewriting
    /// the group, announced with the members the store really added and removed. With a store
    /// that cannot change membership natively, the group is read, changed and replaced.
    ///
    /// ```
    /// use scim_core::{MemberChange, MemoryStore, RequestContext, ResourceKind};
    /// use scim_core::engine::{BearerToken, Engine, Precondition};
    /// use serde_json::json;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let engine = Engine::new(MemoryStore::new(), BearerToken::new("s3cret"));
    /// let ctx = RequestContext::new("default");
    /// let group = engine.create(&ctx, ResourceKind::Group, json!({"displayName": "Ops"})).await?;
    /// let id = group.id().unwrap();
    /// let change = MemberChange::new(vec![json!({"value": "u1"})], Vec::new());
    /// let done = engine.modify_members(&ctx, id, &change, &Precondition::None).await?;
    /// assert_eq!(done.added, ["u1"]);
    /// let again = engine.modify_members(&ctx, id, &change, &Precondition::None).await?;
    /// assert!(!again.changed());
    /// # Ok::<(), scim_core::ScimError>(())
    /// # }).unwrap();
    /// ```
    pub async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        precondition: &Precondition,
    ) -> Result<MembersChanged, ScimError> {
        let kind = ResourceKind::Group;
        self.check_scope(ctx, kind)?;
        let expected = match precondition {
            Precondition::None => None,
            _ => Some(self.current(ctx, kind, group_id, precondition).await?.1),
        };
        if let Some(done) = self
            .members_native(ctx, group_id, change, expected.as_ref())
            .await?
        {
            return Ok(done);
        }
        let Some(request) = change_request(change) else {
            // Nothing to add or remove: the group as it is.
            let version = self.current(ctx, kind, group_id, precondition).await?.1;
            return Ok(MembersChanged::new(version, Vec::new(), Vec::new()));
        };
        let compat = self.compat_of(ctx.tenant());
        let applied = self.apply(&compat, ctx, kind, group_id, request, precondition, true);
        let (patched, members) = Box::pin(applied).await?;
        let version = patched
            .version()
            .ok_or_else(|| store_error(StoreError::backend("a stored group has no version")))?;
        let (added, removed) = members.unwrap_or_default();
        Ok(MembersChanged::new(version, added, removed))
    }

    /// A membership change through the store's native path: rules first, then the store,
    /// then the audit line and events from what the store says it did. `None` when the store
    /// has no native path.
    async fn members_native(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<Option<MembersChanged>, ScimError> {
        let kind = ResourceKind::Group;
        self.check_rules(ctx, kind, WriteChange::Members { group_id, change })
            .await?;
        match self
            .inner
            .store
            .modify_members(ctx, group_id, change, expected)
            .await
        {
            Ok(done) => {
                if done.changed() {
                    self.committed(ctx, kind, group_id, Change::members(&done))
                        .await;
                }
                Ok(Some(done))
            }
            Err(StoreError::NotImplemented { .. }) => Ok(None),
            Err(StoreError::PreconditionFailed { .. }) => Err(precondition_failed(kind, group_id)),
            Err(err) => Err(store_error(err)),
        }
    }
}

/// The PATCH request a membership change stands for; `None` for a change of nothing.
fn change_request(change: &MemberChange) -> Option<PatchRequest> {
    let mut operations = Vec::new();
    if !change.add.is_empty() {
        operations.push(json!({"op": "add", "path": "members", "value": change.add}));
    }
    for id in &change.remove {
        // A filter's string literal is a JSON string.
        let literal = Value::String(id.clone()).to_string();
        operations.push(json!({"op": "remove", "path": format!("members[value eq {literal}]")}));
    }
    if operations.is_empty() {
        return None;
    }
    let body = json!({"schemas": [scim_patch::PATCH_OP_URN], "Operations": operations});
    PatchRequest::from_value(body).ok()
}
