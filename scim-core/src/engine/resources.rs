//! Users and Groups: list, create, read, replace, patch, delete.

use bytes::Bytes;
use http::header::{IF_MATCH, IF_NONE_MATCH};
use http::{HeaderMap, HeaderName, Response, StatusCode};
use scim_patch::PatchRequest;

use super::events::{Change, EventKind};
use super::params::{Attributes, Search};
use super::rules::Write;
use super::{Call, Engine, PatchResponse, reply};
use crate::{
    MemberChange, Projection, Resource, ResourceKind, ScimError, ScimStore, StoreError, Version,
};

/// How often a write without `If-Match` is tried when another writer keeps getting in first.
/// Each attempt reads, applies and writes again, so a writer among `n` at once needs at most
/// about `n`: two reference servers with 24 PATCHes of one user at once got 9 of them
/// through with 8 attempts, all 24 with 32 (`tests/scale_out.rs` there).
const WRITE_ATTEMPTS: usize = 32;

/// A store error as the client sees it; a backend failure is logged here, with its source,
/// and reaches the client only as a bare `500`.
fn store_error(err: StoreError) -> ScimError {
    if let StoreError::Backend(source) = &err {
        tracing::error!(error = %source, "the store failed");
    }
    err.into()
}

/// The versions an `If-Match` / `If-None-Match` header lists; `None` for `*` or no header.
enum Condition {
    None,
    Any,
    Tags(Vec<Version>),
}

impl Condition {
    fn of(headers: &HeaderMap, name: HeaderName) -> Self {
        let mut tags = Vec::new();
        let mut seen = false;
        for value in headers.get_all(name) {
            seen = true;
            for tag in value.to_str().unwrap_or("").split(',').map(str::trim) {
                if tag == "*" {
                    return Self::Any;
                }
                if let Some(v) = Version::from_etag(tag) {
                    tags.push(v);
                }
            }
        }
        if seen { Self::Tags(tags) } else { Self::None }
    }

    /// Whether `version` satisfies the header (weak comparison, RFC 7232 §2.3.2).
    fn matches(&self, version: Option<&Version>) -> bool {
        match self {
            Self::None | Self::Any => true,
            Self::Tags(tags) => version.is_some_and(|v| tags.contains(v)),
        }
    }
}

fn precondition_failed(kind: ResourceKind, id: &str) -> ScimError {
    ScimError::precondition_failed(format!(
        "{kind} \"{id}\" has changed: its version no longer matches If-Match"
    ))
}

impl<S: ScimStore> Engine<S> {
    fn attributes(call: &Call<'_>) -> Result<Projection, ScimError> {
        match call.parts.uri.query() {
            Some(q) => Search::from_query(q)?.attrs.projection(),
            None => Attributes::default().projection(),
        }
    }

    /// The resource as the response carries it, as JSON text. A document straight from the
    /// store is written from its stored text.
    fn render(&self, call: &Call<'_>, projection: &Projection, mut resource: Resource) -> Vec<u8> {
        let kind = resource.kind();
        let schemas = self.inner.registry.resource(kind);
        if let Some(stored) = resource.document() {
            let location = [call.base.as_str(), kind.endpoint(), "/", stored.id()];
            return projection.render_document(schemas, kind, stored, &location);
        }
        resource.set_location(&call.base);
        serde_json::to_vec(&projection.apply_owned(schemas, resource)).unwrap_or_default()
    }

    /// The answer carrying `resource`. `projection` was read from the query before any
    /// write, so a bad `attributes` parameter never follows a write that happened.
    fn respond(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        status: StatusCode,
        resource: Resource,
        location: bool,
    ) -> Result<Response<Bytes>, ScimError> {
        let version = resource.version();
        let location = location.then(|| {
            format!(
                "{}{}/{}",
                call.base,
                resource.kind().endpoint(),
                resource.id().unwrap_or_default()
            )
        });
        let body = self.render(call, projection, resource);
        Ok(reply::resource(
            status,
            body,
            version.as_ref(),
            location.as_deref(),
        ))
    }

    pub(super) async fn list(
        &self,
        call: &Call<'_>,
        kind: Option<ResourceKind>,
        search: Search,
    ) -> Result<Response<Bytes>, ScimError> {
        let listing = search.into_listing(call.max_results)?;
        if listing.query.sort.is_some() && !self.inner.config.sort {
            return Err(ScimError::new(
                501,
                "sorting is not supported by this service",
            ));
        }
        let store = &self.inner.store;
        let ctx = &call.ctx;
        let render = |r: Resource| self.render(call, &listing.projection, r);
        let (total, resources): (usize, Vec<Vec<u8>>) = match kind {
            Some(kind) => {
                let page = store
                    .list(ctx, kind, &listing.query)
                    .await
                    .map_err(store_error)?;
                let total = page.total_results;
                (total, page.resources.into_iter().map(render).collect())
            }
            None if !self.serves(ResourceKind::Group) => {
                let page = store
                    .list(ctx, ResourceKind::User, &listing.query)
                    .await
                    .map_err(store_error)?;
                let total = page.total_results;
                (total, page.resources.into_iter().map(render).collect())
            }
            None => {
                // The root search: Users, then Groups, paged as one list.
                let users = store
                    .list(ctx, ResourceKind::User, &listing.query)
                    .await
                    .map_err(store_error)?;
                let offset = listing.query.offset().saturating_sub(users.total_results);
                let left = listing.count.saturating_sub(users.resources.len());
                let groups_query = listing.query.clone().with_page(offset + 1, Some(left));
                let groups = store
                    .list(ctx, ResourceKind::Group, &groups_query)
                    .await
                    .map_err(store_error)?;
                let total = users.total_results + groups.total_results;
                let resources = users.resources.into_iter().chain(groups.resources);
                (total, resources.map(render).collect())
            }
        };
        Ok(reply::list(total, listing.start_index, &resources))
    }

    pub(super) async fn create(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        let input = reply::json_body(call)?;
        let resource = self
            .inner
            .registry
            .resource(kind)
            .validate_create(input, &call.compat)?;
        self.check_rules(call, &resource, None)?;
        let created = self
            .inner
            .store
            .create(&call.ctx, resource)
            .await
            .map_err(store_error)?;
        self.committed(
            call,
            kind,
            created.id().unwrap_or_default(),
            Change {
                kind: EventKind::Created,
                before: None,
                after: Some(&created),
            },
        );
        self.respond(call, &projection, StatusCode::CREATED, created, true)
    }

    pub(super) async fn read(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        let resource = self
            .inner
            .store
            .get_projected(&call.ctx, kind, id, &projection)
            .await
            .map_err(store_error)?;
        let version = resource.version();
        let none_match = Condition::of(&call.parts.headers, IF_NONE_MATCH);
        if !matches!(none_match, Condition::None) && none_match.matches(version.as_ref()) {
            return Ok(reply::empty(StatusCode::NOT_MODIFIED, version.as_ref()));
        }
        self.respond(call, &projection, StatusCode::OK, resource, false)
    }

    /// Runs the app's rules on a write about to happen.
    fn check_rules(
        &self,
        call: &Call<'_>,
        resource: &Resource,
        previous: Option<&Resource>,
    ) -> Result<(), ScimError> {
        let write = Write {
            ctx: &call.ctx,
            resource,
            previous,
        };
        self.inner
            .rules
            .iter()
            .try_for_each(|rule| rule.check(&write))
    }

    /// After the store committed a write: the audit line, and the events (not for a dry run).
    fn committed(&self, call: &Call<'_>, kind: ResourceKind, id: &str, change: Change<'_>) {
        let ctx = &call.ctx;
        let changed = match &change.kind {
            EventKind::Patched { changed } => changed.join(","),
            _ => String::new(),
        };
        tracing::info!(
            target: "scim::audit",
            tenant = %ctx.tenant(),
            client = ctx.client().unwrap_or(""),
            request_id = %ctx.request_id(),
            resource = %kind,
            id,
            action = change.kind.name(),
            changed,
            dry_run = ctx.dry_run(),
            "write",
        );
        if ctx.dry_run() {
            return;
        }
        if let Some(sink) = &self.inner.events {
            for event in change.events(ctx, kind, id) {
                sink.publish(&event);
            }
        }
    }

    /// The stored resource.
    async fn fetch(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, ScimError> {
        self.inner
            .store
            .get(&call.ctx, kind, id)
            .await
            .map_err(store_error)
    }

    /// The stored resource and its version, checked against `If-Match`.
    async fn current(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
        condition: &Condition,
    ) -> Result<(Resource, Version), ScimError> {
        let resource = self.fetch(call, kind, id).await?;
        let version = resource
            .version()
            .ok_or_else(|| store_error(StoreError::backend("a stored resource has no version")))?;
        if !condition.matches(Some(&version)) {
            return Err(precondition_failed(kind, id));
        }
        Ok((resource, version))
    }

    pub(super) async fn put(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        let input = reply::json_body(call)?;
        let condition = Condition::of(&call.parts.headers, IF_MATCH);
        let schemas = self.inner.registry.resource(kind);
        for attempt in 1.. {
            let (existing, version) = self.current(call, kind, id, &condition).await?;
            let resource = schemas.validate_replace(input.clone(), &existing, &call.compat)?;
            self.check_rules(call, &resource, Some(&existing))?;
            match self
                .inner
                .store
                .replace(&call.ctx, resource, &version)
                .await
            {
                Ok(stored) => {
                    if stored.version().as_ref() != Some(&version) {
                        let change = Change {
                            kind: EventKind::Replaced,
                            before: Some(&existing),
                            after: Some(&stored),
                        };
                        self.committed(call, kind, id, change);
                    }
                    return self.respond(call, &projection, StatusCode::OK, stored, false);
                }
                Err(StoreError::PreconditionFailed { .. })
                    if matches!(condition, Condition::None) && attempt < WRITE_ATTEMPTS => {}
                Err(StoreError::PreconditionFailed { .. }) => {
                    return Err(precondition_failed(kind, id));
                }
                Err(err) => return Err(store_error(err)),
            }
        }
        unreachable!("the loop returns")
    }

    pub(super) async fn patch(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        reply::check_body(call)?;
        let request = PatchRequest::from_slice(&call.body)?;
        let condition = Condition::of(&call.parts.headers, IF_MATCH);
        if kind == ResourceKind::Group
            && matches!(condition, Condition::None)
            && self.inner.rules.is_empty()
            && self.inner.events.is_none()
            && let Some(change) = request.membership_change(&call.compat.patch)
        {
            let change = MemberChange::from(change);
            match self
                .inner
                .store
                .modify_members(&call.ctx, id, &change, None)
                .await
            {
                Ok(version) => {
                    let change = Change {
                        kind: EventKind::Patched {
                            changed: vec!["members".to_owned()],
                        },
                        before: None,
                        after: None,
                    };
                    self.committed(call, kind, id, change);
                    return self.members_patched(call, &projection, id, &version).await;
                }
                Err(StoreError::NotImplemented { .. }) => {}
                Err(err) => return Err(store_error(err)),
            }
        }
        let retry =
            |attempt: usize| matches!(condition, Condition::None) && attempt < WRITE_ATTEMPTS;
        let schemas = self.inner.registry.resource(kind);
        let store = &self.inner.store;
        for attempt in 1.. {
            let (existing, version) = self.current(call, kind, id, &condition).await?;
            let (patched, outcome) =
                schemas.apply_patch(&existing, request.clone(), &call.compat)?;
            if !outcome.changed() {
                return self.patched(call, &projection, existing);
            }
            self.check_rules(call, &patched, Some(&existing))?;
            let changed = outcome.changed_attributes.clone();
            let event = |after| Change {
                kind: EventKind::Patched {
                    changed: changed.clone(),
                },
                before: Some(&existing),
                after: Some(after),
            };
            if kind == ResourceKind::Group
                && let Some(change) = outcome.membership_change(patched.as_json())
            {
                let change = MemberChange::from(change);
                drop(outcome);
                match store
                    .modify_members(&call.ctx, id, &change, Some(&version))
                    .await
                {
                    Ok(version) => {
                        self.committed(call, kind, id, event(&patched));
                        return self.members_patched(call, &projection, id, &version).await;
                    }
                    Err(StoreError::NotImplemented { .. }) => {}
                    Err(StoreError::PreconditionFailed { .. }) if retry(attempt) => continue,
                    Err(StoreError::PreconditionFailed { .. }) => {
                        return Err(precondition_failed(kind, id));
                    }
                    Err(err) => return Err(store_error(err)),
                }
            }
            match store.replace(&call.ctx, patched, &version).await {
                Ok(stored) => {
                    self.committed(call, kind, id, event(&stored));
                    return self.patched(call, &projection, stored);
                }
                Err(StoreError::PreconditionFailed { .. }) if retry(attempt) => {}
                Err(StoreError::PreconditionFailed { .. }) => {
                    return Err(precondition_failed(kind, id));
                }
                Err(err) => return Err(store_error(err)),
            }
        }
        unreachable!("the loop returns")
    }

    fn patched(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        resource: Resource,
    ) -> Result<Response<Bytes>, ScimError> {
        match self.inner.patch_response {
            PatchResponse::NoContent => Ok(reply::empty(
                StatusCode::NO_CONTENT,
                resource.version().as_ref(),
            )),
            _ => self.respond(call, projection, StatusCode::OK, resource, false),
        }
    }

    /// The answer to a PATCH the store applied as a membership change: the group is read
    /// back only if the answer carries it. The change is committed by then, so a failure to
    /// read it back is answered `204` (the write happened) rather than an error a client
    /// would retry.
    async fn members_patched(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        id: &str,
        version: &Version,
    ) -> Result<Response<Bytes>, ScimError> {
        match self.inner.patch_response {
            PatchResponse::NoContent => Ok(reply::empty(StatusCode::NO_CONTENT, Some(version))),
            _ => {
                match self
                    .inner
                    .store
                    .get_projected(&call.ctx, ResourceKind::Group, id, projection)
                    .await
                {
                    Ok(stored) => self.patched(call, projection, stored),
                    Err(err) => {
                        tracing::warn!(
                            error = %err,
                            "the group changed, but reading it back failed: answering 204"
                        );
                        Ok(reply::empty(StatusCode::NO_CONTENT, Some(version)))
                    }
                }
            }
        }
    }

    pub(super) async fn delete(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let condition = Condition::of(&call.parts.headers, IF_MATCH);
        let expected = match condition {
            Condition::None => None,
            _ => Some(self.current(call, kind, id, &condition).await?.1),
        };
        match self
            .inner
            .store
            .delete(&call.ctx, kind, id, expected.as_ref())
            .await
        {
            Ok(()) => {
                let change = Change {
                    kind: EventKind::Deleted,
                    before: None,
                    after: None,
                };
                self.committed(call, kind, id, change);
                Ok(reply::empty(StatusCode::NO_CONTENT, None))
            }
            Err(StoreError::PreconditionFailed { .. }) => Err(precondition_failed(kind, id)),
            Err(err) => Err(store_error(err)),
        }
    }
}
