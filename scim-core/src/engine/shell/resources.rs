//! Users and Groups over HTTP: each handler reads what the request says (query, body,
//! conditional headers), calls the operation, and renders its answer.

use bytes::Bytes;
use http::{Response, StatusCode};
use scim_patch::PatchRequest;

use super::query::{Attributes, Paging, Search};
use super::{Call, conditional, reply};
use crate::cursor::{CursorScope, Position};
use crate::engine::{Engine, PatchResponse, Patched};
use crate::{Projection, Resource, ResourceKind, ScimError, ScimStore, ScimType, Version};

impl<S: ScimStore> Engine<S> {
    /// `attributes` and `excludedAttributes` of the query string. Read before any write, so
    /// a bad one never follows a write that happened.
    fn attributes(call: &Call<'_>) -> Result<Projection, ScimError> {
        match call.parts.uri.query() {
            Some(q) => Search::from_query(q)?.attrs.projection(&call.compat),
            None => Attributes::default().projection(&call.compat),
        }
    }

    /// The resource as the response carries it, as JSON text. A stored document is written
    /// from its text.
    pub(super) fn render(
        &self,
        base: &str,
        projection: &Projection,
        resource: Resource,
    ) -> Vec<u8> {
        let kind = resource.kind();
        let schemas = self.inner.registry.resource(kind);
        if let Some(stored) = resource.document() {
            let location = [base, kind.endpoint(), "/", stored.id()];
            return projection.render_document(schemas, kind, stored, &location);
        }
        let mut resource = resource;
        resource.set_location(base);
        serde_json::to_vec(&projection.apply_owned(schemas, resource)).unwrap_or_default()
    }

    /// A written `resource` as the answer shows it: with its members' `display` filled when
    /// the answer carries members (a write read nothing it could reuse).
    async fn answered(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        resource: Resource,
    ) -> Resource {
        let schemas = self.inner.registry.resource(resource.kind());
        if !projection.wants(schemas, "members") {
            return resource;
        }
        self.shown(&call.compat, &call.ctx, resource).await
    }

    /// The answer carrying `resource`, with its ETag and, for a creation, `Location`.
    fn respond(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        status: StatusCode,
        resource: Resource,
    ) -> Response<Bytes> {
        let version = resource.version();
        let location = (status == StatusCode::CREATED).then(|| {
            let id = resource.id().unwrap_or_default();
            format!("{}{}/{id}", call.base, resource.kind().endpoint())
        });
        let body = self.render(&call.base, projection, resource);
        reply::resource(status, body, version.as_ref(), location.as_deref())
    }

    pub(super) async fn http_list(
        &self,
        call: &Call<'_>,
        kind: Option<ResourceKind>,
        search: Search,
    ) -> Result<Response<Bytes>, ScimError> {
        let listing = search.into_listing(call.max_results, &call.compat)?;
        let (token, count, bound) = match listing.paging {
            Paging::Index(start_index) => {
                let page = self.list_within(&call.ctx, kind, &listing.query).await?;
                let resources = self.render_all(call, &listing.projection, page.resources);
                let paged = reply::Paged::Index(start_index);
                return Ok(reply::list(page.total_results, &paged, &resources));
            }
            Paging::Cursor {
                token,
                count,
                query,
            } => (token, count, query),
        };
        // RFC 9865: a keyset per resource type; the root's is Users', then Groups'.
        let config = &self.inner.config;
        if !config.cursor {
            return Err(ScimError::bad_request(
                ScimType::InvalidCursor,
                "this service pages by startIndex only",
            ));
        }
        let endpoint = kind.map_or("", |k| k.endpoint());
        let scope = CursorScope::new(call.ctx.tenant(), endpoint, &bound, count);
        let key = &self.inner.cursor_key;
        let now = chrono::Utc::now();
        let position = if token.is_empty() {
            Position::start()
        } else {
            let timeout =
                chrono::Duration::from_std(config.cursor_timeout).unwrap_or(chrono::Duration::MAX);
            key.decode(&scope, &token, now, timeout)?
        };
        let query = listing.query.with_cursor(position, count);
        let page = self.list_within(&call.ctx, kind, &query).await?;
        let next = page.next.as_ref().map(|p| key.encode(&scope, p, now));
        let previous = page.previous.as_ref().map(|p| key.encode(&scope, p, now));
        let resources = self.render_all(call, &listing.projection, page.resources);
        let paged = reply::Paged::Cursor {
            next: next.as_deref(),
            previous: previous.as_deref(),
        };
        Ok(reply::list(page.total_results, &paged, &resources))
    }

    /// Each resource of a page, projected and written as JSON.
    fn render_all(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        resources: Vec<Resource>,
    ) -> Vec<Vec<u8>> {
        resources
            .into_iter()
            .map(|r| self.render(&call.base, projection, r))
            .collect()
    }

    pub(super) async fn http_create(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        let input = reply::json_body(call)?;
        let created = self
            .create_under(&call.compat, &call.ctx, kind, input)
            .await?;
        let created = self.answered(call, &projection, created).await;
        Ok(self.respond(call, &projection, StatusCode::CREATED, created))
    }

    pub(super) async fn http_read(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        let resource = self.get(&call.ctx, kind, id, &projection).await?;
        let version = resource.version();
        if conditional::not_modified(&call.parts.headers, version.as_ref()) {
            return Ok(reply::empty(StatusCode::NOT_MODIFIED, version.as_ref()));
        }
        Ok(self.respond(call, &projection, StatusCode::OK, resource))
    }

    pub(super) async fn http_put(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        let input = reply::json_body(call)?;
        let precondition = conditional::if_match(&call.parts.headers);
        let stored = self
            .replace_under(&call.compat, &call.ctx, kind, id, input, &precondition)
            .await?;
        let stored = self.answered(call, &projection, stored).await;
        Ok(self.respond(call, &projection, StatusCode::OK, stored))
    }

    pub(super) async fn http_patch(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let projection = Self::attributes(call)?;
        reply::check_body(call)?;
        let request = PatchRequest::from_slice(&call.body)?;
        let precondition = conditional::if_match(&call.parts.headers);
        let patched = self
            .patch_under(&call.compat, &call.ctx, kind, id, request, &precondition)
            .await?;
        match patched {
            Patched::Resource(resource) if self.no_content(&call.compat) => Ok(reply::empty(
                StatusCode::NO_CONTENT,
                resource.version().as_ref(),
            )),
            Patched::Resource(resource) => {
                let resource = self.answered(call, &projection, resource).await;
                Ok(self.patched(call, &projection, resource))
            }
            Patched::Members(version) => {
                Ok(self.members_patched(call, &projection, id, &version).await)
            }
        }
    }

    fn patched(
        &self,
        call: &Call<'_>,
        projection: &Projection,
        resource: Resource,
    ) -> Response<Bytes> {
        if self.no_content(&call.compat) {
            return reply::empty(StatusCode::NO_CONTENT, resource.version().as_ref());
        }
        self.respond(call, projection, StatusCode::OK, resource)
    }

    /// Whether a successful PATCH answers `204`: the engine's setting, or the tenant's
    /// policy.
    pub(super) fn no_content(&self, compat: &crate::Compat) -> bool {
        self.inner.patch_response == PatchResponse::NoContent || compat.patch_no_content
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
    ) -> Response<Bytes> {
        if self.no_content(&call.compat) {
            return reply::empty(StatusCode::NO_CONTENT, Some(version));
        }
        match self
            .get(&call.ctx, ResourceKind::Group, id, projection)
            .await
        {
            Ok(stored) => self.patched(call, projection, stored),
            Err(err) => {
                tracing::warn!(
                    error = %err,
                    "the group changed, but reading it back failed: answering 204"
                );
                reply::empty(StatusCode::NO_CONTENT, Some(version))
            }
        }
    }

    pub(super) async fn http_delete(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let precondition = conditional::if_match(&call.parts.headers);
        self.delete(&call.ctx, kind, id, &precondition).await?;
        Ok(reply::empty(StatusCode::NO_CONTENT, None))
    }
}
