//! The framework-neutral protocol engine: an [`http::Request`] in, an [`http::Response`] out.
//!
//! Every protocol decision lives here (routes, status codes, `scimType`, content types, ETags,
//! `Location`, body limits, list responses, discovery), so the web-framework adapters
//! (`scim-axum`, `scim-actix`) only convert requests and responses.
//!
//! ```
//! use bytes::Bytes;
//! use scim_core::MemoryStore;
//! use scim_core::engine::{BearerToken, Engine};
//!
//! # tokio_test_block_on(async {
//! let engine = Engine::builder(MemoryStore::new(), BearerToken::new("s3cret"))
//!     .base_url("https://app.example.com/scim/v2")
//!     .build();
//! let request = http::Request::get("/Users?filter=userName%20eq%20%22bjensen%22")
//!     .header("Authorization", "Bearer s3cret")
//!     .body(Bytes::new())
//!     .unwrap();
//! let response = engine.handle(request).await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["content-type"], "application/scim+json");
//! let list: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
//! assert_eq!(list["totalResults"], 0);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let waker = std::task::Waker::noop();
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
//! #     }
//! # }
//! ```

mod auth;
mod bulk;
mod discovery;
mod events;
mod params;
mod rate;
mod reply;
mod resources;
mod rules;
mod tenants;
mod tokens;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response};
use percent_encoding::percent_decode_str;
use tracing::Instrument;

pub use auth::{Authenticator, BearerToken, DEFAULT_TENANT, NoAuth, Principal, bearer_token};
pub use events::{Event, EventKind, EventSink};
pub use rate::RateLimit;
pub use reply::SCIM_CONTENT_TYPE;
pub use rules::{RoleMapping, Write, WriteRule};
pub use tenants::{TenantSettings, Tenants};
pub use tokens::{
    MAX_ACTIVE_PER_TENANT, NewToken, SecretToken, TOKEN_PREFIX, TokenError, TokenOptions,
    TokenRecord, Tokens,
};

use crate::{
    Compat, RequestContext, ResourceKind, SchemaRegistry, ScimError, ScimStore,
    ServiceProviderConfig, StoreCapabilities,
};
use params::Search;

/// What a successful PATCH answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PatchResponse {
    /// `200 OK` with the patched resource (what the SCIM Validator expects).
    #[default]
    Resource,
    /// `204 No Content` (what Entra's tutorial shows for groups).
    NoContent,
}

/// Where the engine is mounted, set by an adapter as a request extension when the app nests
/// the endpoint under a prefix (`/scim/v2`): `meta.location` and `Location` then point at
/// the right place when no [`EngineBuilder::base_url`] is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountPath(pub String);

type MeHook = dyn Fn(&RequestContext) -> Option<String> + Send + Sync;

/// A SCIM 2.0 service over a [`ScimStore`]: cheap to clone, shared by every request.
///
/// Build it with [`Engine::builder`], then hand requests to [`Engine::handle`] (an adapter
/// does that for axum or actix-web). Paths are relative to where the service is mounted:
/// `/Users`, `/Groups/{id}`, `/Schemas`...
pub struct Engine<S> {
    inner: Arc<Inner<S>>,
}

struct Inner<S> {
    store: S,
    auth: Box<dyn Authenticator>,
    registry: Arc<SchemaRegistry>,
    compat: Compat,
    config: ServiceProviderConfig,
    base_url: Option<String>,
    patch_response: PatchResponse,
    me: Option<Box<MeHook>>,
    hidden: Vec<(String, String)>,
    tenant_path: Option<tenants::TenantPath>,
    tenants: Tenants,
    events: Option<Box<dyn EventSink>>,
    rules: Vec<Box<dyn WriteRule>>,
    rate_limit: Option<RateLimit>,
    limiter: rate::Limiter,
    /// What the store serves, read when the engine is built.
    capabilities: StoreCapabilities,
}

impl<S> Clone for Engine<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("base_url", &self.inner.base_url)
            .field("compat", &self.inner.compat)
            .field("config", &self.inner.config)
            .field("patch_response", &self.inner.patch_response)
            .finish_non_exhaustive()
    }
}

/// Configures an [`Engine`]; see [`Engine::builder`].
pub struct EngineBuilder<S> {
    inner: Inner<S>,
}

impl<S> fmt::Debug for EngineBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineBuilder").finish_non_exhaustive()
    }
}

impl<S: ScimStore> EngineBuilder<S> {
    /// Replaces the store.
    #[must_use]
    pub fn store(mut self, store: S) -> Self {
        self.inner.store = store;
        self
    }

    /// Replaces the authenticator (a [`Tokens`] service, your own OAuth check...).
    #[must_use]
    pub fn authenticator(mut self, auth: impl Authenticator) -> Self {
        self.inner.auth = Box::new(auth);
        self
    }

    /// The schemas resources are validated against and discovery advertises; it should be
    /// the registry the store was built with. Default: [`SchemaRegistry::new`].
    #[must_use]
    pub fn registry(mut self, registry: Arc<SchemaRegistry>) -> Self {
        self.inner.registry = registry;
        self
    }

    /// The compatibility policy. Default: [`Compat::entra`].
    #[must_use]
    pub fn compat(mut self, compat: Compat) -> Self {
        self.inner.compat = compat;
        self
    }

    /// What `/ServiceProviderConfig` advertises; its `max_results` clamps `count` and its
    /// `max_payload_size` is the body limit.
    #[must_use]
    pub fn service_provider_config(mut self, config: ServiceProviderConfig) -> Self {
        self.inner.config = config;
        self
    }

    /// The public URL of the service (`https://app.example.com/scim/v2`), for `Location`
    /// and `meta.location`. Behind a proxy, set it: the `Host` header is only a fallback.
    /// `{tenant}` in it stands for the caller's tenant
    /// (`https://app.example.com/scim/{tenant}/v2`).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.inner.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// What a successful PATCH answers with. Default: [`PatchResponse::Resource`].
    #[must_use]
    pub fn patch_response(mut self, response: PatchResponse) -> Self {
        self.inner.patch_response = response;
        self
    }

    /// Serves `/Me` (RFC 7644 §3.11): `hook` names the id of the User the authenticated
    /// caller is, or `None` (404). Without a hook `/Me` answers `501`.
    #[must_use]
    pub fn me(
        mut self,
        hook: impl Fn(&RequestContext) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.inner.me = Some(Box::new(hook));
        self
    }

    /// Leaves attribute `path` (`"x509Certificates"`, `"name.honorificSuffix"`) of schema
    /// `urn` out of `/Schemas`, for an app that does not keep it. Validation still knows it.
    #[must_use]
    pub fn hide_attribute(mut self, urn: impl Into<String>, path: impl Into<String>) -> Self {
        self.inner.hidden.push((urn.into(), path.into()));
        self
    }

    /// Takes the tenant from the path: `template` is where it sits below the mount point,
    /// such as `"/{tenant}/v2"` for an endpoint nested at `/scim` and served at
    /// `/scim/{tenant}/v2/Users`. A request is then let in only if the authenticator's tenant
    /// is the one in the path (`401` otherwise). Without a template the tenant is the
    /// authenticator's alone. Panics if `template` has no `{tenant}` segment.
    ///
    /// Either way, a tenant URL followed by `/dry-run` (`/scim/acme/v2/dry-run/Users`) runs
    /// every request fully but persists nothing and publishes no events.
    #[must_use]
    pub fn tenant_path(mut self, template: &str) -> Self {
        self.inner.tenant_path =
            Some(tenants::TenantPath::new(template).unwrap_or_else(|| {
                panic!("the tenant path {template:?} has no {{tenant}} segment")
            }));
        self
    }

    /// Each tenant's settings (enabled, policy, limits), which the app may change while the
    /// engine runs.
    #[must_use]
    pub fn tenants(mut self, tenants: Tenants) -> Self {
        self.inner.tenants = tenants;
        self
    }

    /// Where provisioning events go (after the store commits).
    #[must_use]
    pub fn events(mut self, sink: impl EventSink) -> Self {
        self.inner.events = Some(Box::new(sink));
        self
    }

    /// Limits every tenant to `limit` (each has its own allowance); a tenant's
    /// [`TenantSettings::rate_limit`] replaces it. Requests above it are answered `429` with
    /// `Retry-After`. Default: no limit.
    #[must_use]
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.inner.rate_limit = Some(limit);
        self
    }

    /// Adds a check run before every write; rules run in the order they were added.
    #[must_use]
    pub fn rule(mut self, rule: impl WriteRule) -> Self {
        self.inner.rules.push(Box::new(rule));
        self
    }

    /// The engine, serving what the store's [`ScimStore::capabilities`] say it serves.
    pub fn build(mut self) -> Engine<S> {
        let capabilities = self.inner.store.capabilities();
        self.inner.config.sort &= capabilities.sorting();
        self.inner.capabilities = capabilities;
        Engine {
            inner: Arc::new(self.inner),
        }
    }
}

/// A route, as the path names it.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Collection(ResourceKind),
    Item(ResourceKind, String),
    Search(Option<ResourceKind>),
    Me,
    ServiceProviderConfig,
    ResourceTypes(Option<String>),
    Schemas(Option<String>),
    Bulk,
}

impl Route {
    fn parse(path: &str) -> Option<Self> {
        // No route has more than two segments.
        let mut segments = path.trim_matches('/').split('/');
        let (first, second) = (segments.next()?, segments.next());
        if segments.next().is_some() {
            return None;
        }
        let kind = [ResourceKind::User, ResourceKind::Group]
            .into_iter()
            .find(|k| k.endpoint()[1..].eq_ignore_ascii_case(first));
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned())
                .filter(|s| !s.is_empty())
        };
        let named = |name: &str| first.eq_ignore_ascii_case(name);
        Some(match (kind, second) {
            (None, None) if first == ".search" => Self::Search(None),
            (Some(kind), None) => Self::Collection(kind),
            (Some(kind), Some(".search")) => Self::Search(Some(kind)),
            (Some(kind), Some(id)) => Self::Item(kind, decode(id)?),
            (None, None) if named("Me") => Self::Me,
            (None, None) if named("Bulk") => Self::Bulk,
            (None, None) if named("ServiceProviderConfig") => Self::ServiceProviderConfig,
            (None, id) if named("ResourceTypes") => Self::ResourceTypes(id.and_then(decode)),
            (None, id) if named("Schemas") => Self::Schemas(id.and_then(decode)),
            _ => return None,
        })
    }

    /// The resource type the route reads or writes, if it names one.
    fn kind(&self) -> Option<ResourceKind> {
        match self {
            Self::Collection(kind) | Self::Item(kind, _) | Self::Search(Some(kind)) => Some(*kind),
            _ => None,
        }
    }

    /// The methods the route answers.
    fn allowed(&self) -> &'static [Method] {
        match self {
            Self::Collection(_) => &[Method::GET, Method::POST],
            Self::Item(..) | Self::Me => &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
            Self::Search(_) | Self::Bulk => &[Method::POST],
            Self::ServiceProviderConfig | Self::ResourceTypes(_) | Self::Schemas(_) => {
                &[Method::GET]
            }
        }
    }
}

/// One request on its way through the engine.
struct Call<'a> {
    parts: &'a Parts,
    body: Bytes,
    ctx: RequestContext,
    base: String,
    compat: Compat,
    max_results: usize,
}

impl<S: ScimStore> Engine<S> {
    /// An engine with default settings: the [`Compat::entra`] policy, RFC 7643's schemas,
    /// and `Location` from the `Host` header.
    pub fn new(store: S, auth: impl Authenticator) -> Self {
        Self::builder(store, auth).build()
    }

    /// Starts configuring an engine over `store`, letting in what `auth` accepts.
    pub fn builder(store: S, auth: impl Authenticator) -> EngineBuilder<S> {
        EngineBuilder {
            inner: Inner {
                store,
                auth: Box::new(auth),
                registry: Arc::new(SchemaRegistry::new()),
                compat: Compat::default(),
                config: ServiceProviderConfig::default(),
                base_url: None,
                patch_response: PatchResponse::default(),
                me: None,
                hidden: Vec::new(),
                tenant_path: None,
                tenants: Tenants::new(),
                events: None,
                rules: Vec::new(),
                rate_limit: None,
                limiter: rate::Limiter::default(),
                capabilities: StoreCapabilities::new(),
            },
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The schemas.
    pub fn registry(&self) -> &SchemaRegistry {
        &self.inner.registry
    }

    /// The largest request body accepted, in bytes. An adapter reads at most this much (and
    /// one byte more) and answers a longer body with [`Engine::payload_too_large`].
    pub fn body_limit(&self) -> usize {
        self.inner.config.max_payload_size
    }

    /// The `413` answer to a body longer than [`Engine::body_limit`].
    pub fn payload_too_large(&self) -> Response<Bytes> {
        reply::error(&self.too_large())
    }

    /// The answer to a request whose body could not be read (a broken connection, bad
    /// chunked encoding): `400 invalidSyntax`.
    pub fn unreadable_body(&self, reason: &dyn fmt::Display) -> Response<Bytes> {
        reply::error(&ScimError::invalid_syntax(format!(
            "the request body could not be read: {reason}"
        )))
    }

    fn too_large(&self) -> ScimError {
        too_large(self.body_limit(), "this service")
    }

    /// Answers one request. Never panics on client input and never answers `500` for it:
    /// every failure is a SCIM error body with the right status and `scimType`.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let request_id = crate::context::next_request_id();
        let span = tracing::info_span!(
            "scim",
            method = %parts.method,
            path = parts.uri.path(),
            request_id = %request_id,
            resource = tracing::field::Empty,
            tenant = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        );
        async move {
            let response = match self.dispatch(&parts, body, request_id).await {
                Ok(response) => response,
                Err(err) => reply::error(&err),
            };
            let status = response.status().as_u16();
            let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            let span = tracing::Span::current();
            span.record("status", status);
            span.record("latency_us", latency_us);
            if response.status().is_server_error() {
                tracing::warn!("request failed");
            } else {
                tracing::info!("request answered");
            }
            response
        }
        .instrument(span)
        .await
    }

    async fn dispatch(
        &self,
        parts: &Parts,
        body: Bytes,
        request_id: String,
    ) -> Result<Response<Bytes>, ScimError> {
        if body.len() > self.body_limit() {
            return Err(self.too_large());
        }
        let path = parts.uri.path();
        let located = tenants::locate(self.inner.tenant_path.as_ref(), path)
            .ok_or_else(|| no_endpoint(path))?;
        let principal = self.inner.auth.authenticate(parts)?;
        if located
            .tenant
            .as_ref()
            .is_some_and(|t| *t != principal.tenant)
        {
            return Err(ScimError::unauthorized(
                "the bearer token is not valid for this tenant",
            ));
        }
        tracing::Span::current().record("tenant", tracing::field::display(&principal.tenant));
        if !self.inner.capabilities.serves_tenant(&principal.tenant) {
            // The authenticator lets in a tenant the store does not keep apart: a
            // configuration mistake, refused before the store could mix tenants.
            tracing::error!("the store serves a single tenant; this token is for another");
            return Err(ScimError::new(
                403,
                format!(
                    "this service serves only the tenant \"{}\"",
                    self.inner.capabilities.tenant().unwrap_or_default()
                ),
            ));
        }
        let settings = self.inner.tenants.get(&principal.tenant);
        if !settings.enabled {
            return Err(ScimError::new(
                403,
                settings
                    .disabled_detail
                    .unwrap_or_else(|| "provisioning is disabled for this tenant".to_owned()),
            ));
        }
        if let Some(limit) = settings.rate_limit.or(self.inner.rate_limit)
            && let Err(wait) = self
                .inner
                .limiter
                .take(&principal.tenant, limit, Instant::now())
        {
            return Ok(reply::too_many_requests(wait));
        }
        if let Some(max) = settings.max_payload_size.filter(|max| body.len() > *max) {
            return Err(too_large(max, "this tenant"));
        }
        let mut ctx =
            RequestContext::with_id(principal.tenant, request_id).with_dry_run(located.dry_run);
        if let Some(client) = principal.client {
            ctx = ctx.with_client(client);
        }
        let route = Route::parse(located.rest).ok_or_else(|| no_endpoint(path))?;
        let call = Call {
            parts,
            body,
            base: self.base(parts, &ctx, located.prefix)?,
            ctx,
            compat: settings.compat.unwrap_or(self.inner.compat),
            max_results: settings
                .max_results
                .map_or(self.inner.config.max_results, |m| {
                    m.min(self.inner.config.max_results)
                }),
        };
        self.serve(&call, route).await
    }

    /// Answers an authenticated request (or one operation of a bulk request).
    async fn serve(&self, call: &Call<'_>, route: Route) -> Result<Response<Bytes>, ScimError> {
        let parts = call.parts;
        if !route.allowed().contains(&parts.method) {
            return Ok(reply::method_not_allowed(&parts.method, route.allowed()));
        }
        if let Some(kind) = route.kind().filter(|k| !self.serves(*k)) {
            return Err(ScimError::not_found(format!(
                "this service does not serve {}",
                &kind.endpoint()[1..]
            )));
        }
        let span = tracing::Span::current();
        let method = &parts.method;
        match route {
            Route::Collection(kind) if method == Method::GET => {
                span.record("resource", tracing::field::display(kind));
                let search = Search::from_query(parts.uri.query().unwrap_or(""))?;
                Box::pin(self.list(call, Some(kind), search)).await
            }
            Route::Collection(kind) => {
                span.record("resource", tracing::field::display(kind));
                Box::pin(self.create(call, kind)).await
            }
            Route::Search(kind) => {
                if let Some(kind) = kind {
                    span.record("resource", tracing::field::display(kind));
                }
                let search = Search::from_body(reply::json_body(call)?)?;
                Box::pin(self.list(call, kind, search)).await
            }
            Route::Item(kind, id) => {
                span.record("resource", tracing::field::display(kind));
                self.item(call, kind, &id).await
            }
            Route::Me => {
                let hook =
                    self.inner.me.as_ref().ok_or_else(|| {
                        ScimError::new(501, "/Me is not supported by this service")
                    })?;
                let id = hook(&call.ctx).ok_or_else(|| {
                    ScimError::not_found("the authenticated caller is not a User of this service")
                })?;
                span.record("resource", tracing::field::display(ResourceKind::User));
                self.item(call, ResourceKind::User, &id).await
            }
            Route::Bulk => Box::pin(self.bulk(call)).await,
            Route::ServiceProviderConfig => self.service_provider_config(call),
            Route::ResourceTypes(id) => self.resource_types(call, id.as_deref()),
            Route::Schemas(id) => self.schemas(call, id.as_deref()),
        }
    }

    async fn item(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        match call.parts.method {
            Method::GET => self.read(call, kind, id).await,
            Method::PUT => Box::pin(self.put(call, kind, id)).await,
            Method::PATCH => Box::pin(self.patch(call, kind, id)).await,
            _ => self.delete(call, kind, id).await,
        }
    }

    /// Whether the store keeps resources of type `kind`.
    fn serves(&self, kind: ResourceKind) -> bool {
        self.inner.capabilities.serves(kind)
    }

    /// The base URL resources are located under. Without a configured one it is made from
    /// the `Host` header, which must then be a host and port and nothing else: it ends up in
    /// `Location` and in bodies, where a crafted one would point clients elsewhere.
    fn base(&self, parts: &Parts, ctx: &RequestContext, prefix: &str) -> Result<String, ScimError> {
        if let Some(base) = &self.inner.base_url {
            return Ok(base.replace("{tenant}", ctx.tenant()));
        }
        let host =
            match parts.headers.get(http::header::HOST) {
                Some(value) => value.to_str().ok().filter(|h| is_host(h)).ok_or_else(|| {
                    ScimError::invalid_value("the Host header is not a host name")
                })?,
                None => parts
                    .uri
                    .authority()
                    .map_or("localhost", http::uri::Authority::as_str),
            };
        let mount = parts
            .extensions
            .get::<MountPath>()
            .map_or("", |m| m.0.trim_end_matches('/'));
        Ok(format!("http://{host}{mount}{prefix}"))
    }
}

/// Whether `host` is a `Host` header's host and optional port (RFC 9110 §7.2), with no user
/// information, path or other characters.
fn is_host(host: &str) -> bool {
    // After an IPv6 literal's brackets, a colon starts the port.
    let tail = host.rsplit_once(']').map_or(host, |(_, tail)| tail);
    let port_ok = tail
        .rsplit_once(':')
        .is_none_or(|(_, port)| port.parse::<u16>().is_ok());
    port_ok
        && host.parse::<http::uri::Authority>().is_ok_and(|a| {
            !a.as_str().contains('@')
                && !a.host().is_empty()
                && a.host()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b))
        })
}

/// `413` for a body above `limit` bytes, which `whose` (the service, a tenant) accepts.
fn too_large(limit: usize, whose: &str) -> ScimError {
    ScimError::new(
        413,
        format!("the request body is larger than the {limit} bytes {whose} accepts"),
    )
}

fn no_endpoint(path: &str) -> ScimError {
    ScimError::not_found(format!("there is no SCIM endpoint at {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers() {
        for good in [
            "example.com",
            "example.com:8080",
            "127.0.0.1:18080",
            "[::1]:80",
            "my_host",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "evil.com/x",
            "user@evil.com",
            "evil.com:99999999",
            "evil.com?x",
            "\"<script>",
            "evil.com:",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }

    #[test]
    fn routes() {
        assert_eq!(
            Route::parse("/Users"),
            Some(Route::Collection(ResourceKind::User))
        );
        assert_eq!(
            Route::parse("/users/"),
            Some(Route::Collection(ResourceKind::User))
        );
        assert_eq!(
            Route::parse("/Groups/a%20b"),
            Some(Route::Item(ResourceKind::Group, "a b".into()))
        );
        assert_eq!(Route::parse("/.search"), Some(Route::Search(None)));
        assert_eq!(
            Route::parse("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
            Some(Route::Schemas(Some(
                "urn:ietf:params:scim:schemas:core:2.0:User".into()
            )))
        );
        assert_eq!(
            Route::parse("/groups/.search"),
            Some(Route::Search(Some(ResourceKind::Group)))
        );
        assert_eq!(Route::parse("//me/"), Some(Route::Me));
        assert_eq!(Route::parse("/SCHEMAS"), Some(Route::Schemas(None)));
        assert_eq!(Route::parse("/ResourceTypes/a/b"), None);
        assert_eq!(Route::parse("/Me/x"), None);
        assert_eq!(Route::parse("/.search/Users"), None);
        assert_eq!(Route::parse("/Users/a/b"), None);
        assert_eq!(Route::parse("/"), None);
        assert_eq!(Route::parse("/Users/%FF"), None);
    }
}
