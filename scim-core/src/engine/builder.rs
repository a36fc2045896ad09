//! [`EngineBuilder`]: an engine's configuration.

use std::fmt;
use std::sync::Arc;

use super::{
    Authenticator, Engine, EventSink, Inner, PatchResponse, RateLimit, Tenants, WriteRule, rate,
    tenants,
};
use crate::{
    Compat, RequestContext, SchemaRegistry, ScimStore, ServiceProviderConfig, StoreCapabilities,
};

/// Configures an [`Engine`]; see [`Engine::builder`].
pub struct EngineBuilder<S> {
    pub(super) inner: Inner<S>,
}

impl<S> fmt::Debug for EngineBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineBuilder").finish_non_exhaustive()
    }
}

impl<S: ScimStore> EngineBuilder<S> {
    /// Starts configuring an engine over `store`, letting in what `auth` accepts.
    pub(super) fn new(store: S, auth: impl Authenticator) -> Self {
        Self {
            inner: Inner {
                registry: store
                    .schema_registry()
                    .unwrap_or_else(|| Arc::new(SchemaRegistry::new())),
                store,
                auth: Box::new(auth),
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
                log_requests: true,
                cursor_key: crate::cursor::CursorKey::random(),
            },
        }
    }

    /// Replaces the store.
    #[must_use]
    pub fn store(mut self, store: S) -> Self {
        self.inner.store = store;
        self
    }

    /// The same configuration over a store of another type: one setup run against several
    /// stores, as the HTTP suite runs its cases against the in-memory store and SQL stores.
    #[must_use]
    pub fn with_store<T: ScimStore>(self, store: T) -> EngineBuilder<T> {
        let Inner {
            store: _,
            auth,
            registry,
            compat,
            config,
            base_url,
            patch_response,
            me,
            hidden,
            tenant_path,
            tenants,
            events,
            rules,
            rate_limit,
            limiter,
            capabilities,
            log_requests,
            cursor_key,
        } = self.inner;
        EngineBuilder {
            inner: Inner {
                store,
                auth,
                registry,
                compat,
                config,
                base_url,
                patch_response,
                me,
                hidden,
                tenant_path,
                tenants,
                events,
                rules,
                rate_limit,
                limiter,
                capabilities,
                log_requests,
                cursor_key,
            },
        }
    }

    /// The schemas the engine validates with ([`EngineBuilder::registry`]): what a store
    /// built for this engine must know.
    pub fn schema_registry(&self) -> &Arc<SchemaRegistry> {
        &self.inner.registry
    }

    /// Replaces the authenticator (a [`Tokens`](super::Tokens) service, your own OAuth check...).
    #[must_use]
    pub fn authenticator(mut self, auth: impl Authenticator) -> Self {
        self.inner.auth = Box::new(auth);
        self
    }

    /// The schemas resources are validated against and discovery advertises; it should be
    /// the registry the store was built with. Default: the store's own
    /// ([`ScimStore::schema_registry`]: `MemoryStore` and `scim-sqlx`'s store say which they
    /// were built with), else [`SchemaRegistry::new`].
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

    /// Where provisioning events go, after the store commits. A store with durable events
    /// ([`StoreCapabilities::with_durable_events`](crate::StoreCapabilities::with_durable_events))
    /// is handed the sink and delivers them itself, at least once; with any other store the
    /// engine publishes them right after the write.
    #[must_use]
    pub fn events(mut self, sink: impl EventSink) -> Self {
        self.inner.events = Some(Arc::new(sink));
        self
    }

    /// Limits every tenant to `limit` (each has its own allowance); a tenant's
    /// [`TenantSettings::rate_limit`](super::TenantSettings::rate_limit) replaces it. Requests above it are answered `429` with
    /// `Retry-After`. Default: no limit.
    #[must_use]
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.inner.rate_limit = Some(limit);
        self
    }

    /// Whether every request of a tenant is handed to the store's provisioning log
    /// ([`ScimStore::record_request`]): what an admin page shows, refusals with their
    /// `detail`. On by default; a store that keeps no log ignores it.
    #[must_use]
    pub fn provisioning_log(mut self, on: bool) -> Self {
        self.inner.log_requests = on;
        self
    }

    /// What paging cursors (RFC 9865) are signed with. Default: a random key, good for one
    /// process; processes serving one directory behind a load balancer must share one
    /// ([`CursorKey::from_secret`](crate::cursor::CursorKey::from_secret)), or a cursor one
    /// gave is `invalidCursor` at another.
    #[must_use]
    pub fn cursor_key(mut self, key: crate::cursor::CursorKey) -> Self {
        self.inner.cursor_key = key;
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
        self.inner.config.cursor &= capabilities.cursor_paging();
        if capabilities.durable_events()
            && let Some(sink) = &self.inner.events
        {
            self.inner.store.deliver_events(Arc::clone(sink));
        }
        self.inner.capabilities = capabilities;
        Engine {
            inner: Arc::new(self.inner),
        }
    }
}
