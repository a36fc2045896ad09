//! The framework-neutral protocol engine, in two layers:
//!
//! - **Operations** ([`Engine::create`], [`Engine::get`], [`Engine::list`],
//!   [`Engine::replace`], [`Engine::patch`], [`Engine::delete`], [`Engine::modify_members`]):
//!   typed, knowing nothing of HTTP. Validation under the tenant's policy, app rules,
//!   versions, dry runs, the audit line and events happen there. `/Bulk`, an admin page or an
//!   app's own code call them.
//! - **The HTTP shell** ([`Engine::handle`]): an [`http::Request`] in, an [`http::Response`]
//!   out. It passes each request through the gates (tenant, authentication, rate limit,
//!   tenant settings), routes it, reads the query and conditional headers, calls the
//!   operation and renders the answer. Every protocol decision lives here (status codes,
//!   `scimType`, content types, ETags, `Location`, body limits, list responses, discovery),
//!   so the web-framework adapters (`scim-axum`, `scim-actix`) only convert requests and
//!   responses.
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
mod builder;
mod events;
mod ops;
mod passwords;
mod rate;
mod rules;
mod shell;
mod tenants;
mod tokens;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

pub(crate) use auth::same_bytes;
pub use auth::{
    AuthScheme, Authenticator, BearerToken, DEFAULT_TENANT, NoAuth, Principal, bearer_token,
};
pub use builder::EngineBuilder;
pub use events::{DeliveryError, DeliveryFuture, Event, EventKind, EventSink};
pub use ops::{Patched, Precondition};
pub use passwords::{PasswordRecord, basic_credentials};
pub use rate::RateLimit;
pub use rules::{
    Amend, KeepAppCreated, RoleMapping, RuleFuture, StoreView, ViewFuture, Write, WriteChange,
    WriteRule,
};
pub use shell::reply::SCIM_CONTENT_TYPE;
pub use tenants::{TenantSettings, Tenants};
pub use tokens::{
    MAX_ACTIVE_PER_TENANT, NewToken, SecretToken, TOKEN_PREFIX, TokenError, TokenOptions,
    TokenRecord, Tokens,
};

use crate::{
    Compat, RequestContext, SchemaRegistry, ScimError, ScimStore, ServiceProviderConfig,
    StoreCapabilities,
};

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
    events: Option<Arc<dyn EventSink>>,
    rules: Vec<Box<dyn WriteRule>>,
    rate_limit: Option<RateLimit>,
    limiter: rate::Limiter,
    /// What the store serves, read when the engine is built.
    capabilities: StoreCapabilities,
    /// Whether each request of a tenant is handed to the store's provisioning log.
    log_requests: bool,
    /// What paging cursors are signed with.
    cursor_key: crate::cursor::CursorKey,
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

impl<S: ScimStore> Engine<S> {
    /// An engine with default settings: the [`Compat::entra`] policy, RFC 7643's schemas,
    /// and `Location` from the `Host` header.
    pub fn new(store: S, auth: impl Authenticator) -> Self {
        Self::builder(store, auth).build()
    }

    /// Starts configuring an engine over `store`, letting in what `auth` accepts.
    pub fn builder(store: S, auth: impl Authenticator) -> EngineBuilder<S> {
        EngineBuilder::new(store, auth)
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The schemas.
    pub fn registry(&self) -> &SchemaRegistry {
        &self.inner.registry
    }

    /// What the store serves, as the engine read it when built.
    pub fn capabilities(&self) -> &StoreCapabilities {
        &self.inner.capabilities
    }

    /// The tenant settings the engine reads on every request (shared with the app's clone).
    pub fn tenants(&self) -> &Tenants {
        &self.inner.tenants
    }

    /// `tenant`'s SCIM base URL, from [`EngineBuilder::base_url`] (`{tenant}` replaced);
    /// `None` when the engine takes its URLs from each request's `Host`.
    pub fn tenant_url(&self, tenant: &str) -> Option<String> {
        let base = self.inner.base_url.as_deref()?;
        Some(base.replace("{tenant}", tenant))
    }

    /// The largest request body accepted, in bytes. An adapter reads at most this much (and
    /// one byte more) and answers a longer body with [`Engine::payload_too_large`].
    pub fn body_limit(&self) -> usize {
        self.inner.config.max_payload_size
    }

    /// The `413` answer to a body longer than [`Engine::body_limit`].
    pub fn payload_too_large(&self) -> http::Response<Bytes> {
        shell::reply::error(&shell::too_large(self.body_limit(), "this service"))
    }

    /// The answer to a request whose body could not be read (a broken connection, bad
    /// chunked encoding): `400 invalidSyntax`.
    pub fn unreadable_body(&self, reason: &dyn fmt::Display) -> http::Response<Bytes> {
        shell::reply::error(&ScimError::invalid_syntax(format!(
            "the request body could not be read: {reason}"
        )))
    }
}
