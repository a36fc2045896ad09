//! Provisioning settings as a product's admins use them: the tenant URL, tokens (issued
//! and shown once, listed by hint, revoked), the expiry of new tokens, the cap, the
//! "enable provisioning" switch, resource types switched on and off, and the provisioning
//! log. [`Admin`] is these operations over an engine; [`AdminService`] answers them over
//! HTTP, as a JSON API and as a web page, behind the app's own [`AdminAuthorizer`].
//!
//! A SCIM token is never an admin credential: the service asks only the authorizer.

mod api;
mod forms;
mod page;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, NewToken, TokenError, TokenOptions, TokenRecord, Tokens};
use crate::{LogPage, LogQuery, ResourceKind, ScimStore, StoreError};

pub use api::{AdminAccess, AdminAuthorizer, AdminService, AuthorizeFuture};

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The token could not be issued (the cap: revoke one first).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// No token with that id in the tenant.
    #[error("no token \"{0}\" in this tenant")]
    NoToken(String),
    /// The settings are not valid (a cap of zero...).
    #[error("{0}")]
    Invalid(String),
    /// The settings could not be saved; nothing changed.
    #[error("the settings could not be saved: {0}")]
    Persist(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`AdminStore`]'s methods return.
pub type PersistFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(), Box<dyn std::error::Error + Send + Sync>>> + Send + 'a>>;

/// Where the admin's changes are kept, so that they survive a restart: the app's
/// database. Each change is saved before it takes effect; a failed save changes nothing.
/// `()` keeps nothing (everything lives in memory).
pub trait AdminStore: Send + Sync + 'static {
    /// Saves a token's record: a new one, or one revoked.
    fn save_token<'a>(&'a self, record: &'a TokenRecord) -> PersistFuture<'a>;
    /// Saves `tenant`'s policy.
    fn save_policy<'a>(&'a self, tenant: &'a str, policy: &'a TenantPolicy) -> PersistFuture<'a>;
}

impl AdminStore for () {
    fn save_token<'a>(&'a self, _: &'a TokenRecord) -> PersistFuture<'a> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn save_policy<'a>(&'a self, _: &'a str, _: &'a TenantPolicy) -> PersistFuture<'a> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// What a tenant's admin decides: whether it provisions (and what the directory reads when
/// it does not), which resource types it leaves out, how long new tokens last, how many may
/// be active. Serialized as JSON for the app to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TenantPolicy {
    /// Whether provisioning is on.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// What the directory reads in the `403` while it is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_detail: Option<String>,
    /// Resource types switched off, each with what the directory reads in the `403`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<Withheld>,
    /// Days a new token lasts; `None`: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiry_days: Option<u32>,
    /// The most active tokens; `None`: the app's cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_cap: Option<usize>,
}

fn yes() -> bool {
    true
}

impl Default for TenantPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            disabled_detail: None,
            withheld: Vec::new(),
            token_expiry_days: None,
            token_cap: None,
        }
    }
}

/// A resource type a tenant does not provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Withheld {
    /// `User` or `Group`.
    pub resource_type: ResourceKind,
    /// What the directory reads in the `403`.
    pub detail: String,
}

impl Withheld {
    /// `resource_type` off, with `detail`.
    pub fn new(resource_type: ResourceKind, detail: impl Into<String>) -> Self {
        Self {
            resource_type,
            detail: detail.into(),
        }
    }
}

/// A token as the admin page lists it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenInfo {
    /// Its id (to revoke it).
    pub id: String,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `scim_…9f3a`.
    pub hint: String,
    /// When it was issued.
    pub created: DateTime<Utc>,
    /// When it stops working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// When it was revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<DateTime<Utc>>,
    /// When it last let a request in (to the minute, since the server started).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<DateTime<Utc>>,
    /// Whether it lets requests in now.
    pub active: bool,
}

/// A tenant's settings page, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TenantSummary {
    /// The tenant.
    pub tenant: String,
    /// Its SCIM base URL, when the engine knows its public URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its policy.
    pub policy: TenantPolicy,
    /// The most active tokens it may have.
    pub token_cap: usize,
    /// Its tokens, oldest first.
    pub tokens: Vec<TokenInfo>,
}

/// The admin operations over an engine, its [`Tokens`] and its [`Tenants`](crate::engine::Tenants)
/// (the clones the app gave the engine: they share their state), saving each change in an
/// [`AdminStore`]. Cheap to clone.
///
/// ```
/// use scim_core::admin::{Admin, TenantPolicy};
/// use scim_core::engine::{Engine, TokenOptions, Tokens};
/// use scim_core::MemoryStore;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let tokens = Tokens::new().with_cap(2);
/// let engine = Engine::builder(MemoryStore::new(), tokens.clone())
///     .base_url("https://app.example.com/scim/{tenant}/v2")
///     .build();
/// let admin = Admin::new(engine, tokens);
/// let issued = admin.issue_token("acme", Some("Entra".into())).await?;
/// assert!(issued.secret.expose().starts_with("scim_"));
/// let summary = admin.summary("acme");
/// assert_eq!(summary.url.as_deref(), Some("https://app.example.com/scim/acme/v2"));
/// assert_eq!(summary.tokens.len(), 1);
/// admin.revoke_token("acme", &issued.record.id).await?;
/// # Ok::<(), scim_core::admin::AdminError>(())
/// # }).unwrap();
/// ```
pub struct Admin<S> {
    engine: Engine<S>,
    tokens: Tokens,
    store: Arc<dyn AdminStore>,
    policies: Arc<RwLock<HashMap<String, TenantPolicy>>>,
}

impl<S> Clone for Admin<S> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            tokens: self.tokens.clone(),
            store: Arc::clone(&self.store),
            policies: Arc::clone(&self.policies),
        }
    }
}

impl<S> std::fmt::Debug for Admin<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl<S: ScimStore> Admin<S> {
    /// The operations over `engine`, whose authenticator is `tokens` (a clone of it).
    /// Nothing is saved until [`Admin::with_store`].
    pub fn new(engine: Engine<S>, tokens: Tokens) -> Self {
        Self {
            engine,
            tokens,
            store: Arc::new(()),
            policies: Arc::default(),
        }
    }

    /// Saves every change in `store` before it takes effect.
    #[must_use]
    pub fn with_store(mut self, store: impl AdminStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Applies policies kept earlier (read from the app's database at start).
    pub fn load_policies(&self, policies: impl IntoIterator<Item = (String, TenantPolicy)>) {
        for (tenant, policy) in policies {
            self.apply(&tenant, policy);
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<S> {
        &self.engine
    }

    /// Every tenant with a token or a policy, sorted.
    pub fn tenants(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = self
            .tokens
            .records()
            .into_iter()
            .map(|r| r.tenant)
            .collect();
        names.extend(self.read().keys().cloned());
        names.into_iter().collect()
    }

    /// `tenant`'s policy.
    pub fn policy(&self, tenant: &str) -> TenantPolicy {
        self.read().get(tenant).cloned().unwrap_or_default()
    }

    /// `tenant`'s settings page, as data.
    pub fn summary(&self, tenant: &str) -> TenantSummary {
        TenantSummary {
            tenant: tenant.to_owned(),
            url: self.engine.tenant_url(tenant),
            policy: self.policy(tenant),
            token_cap: self.tokens.cap(tenant),
            tokens: self.tokens_of(tenant),
        }
    }

    /// `tenant`'s tokens, oldest first.
    pub fn tokens_of(&self, tenant: &str) -> Vec<TokenInfo> {
        let now = Utc::now();
        self.tokens
            .list(tenant)
            .into_iter()
            .map(|r| TokenInfo {
                last_used: self.tokens.last_used(&r.id),
                active: r.is_active(now),
                id: r.id,
                label: r.label,
                hint: r.hint,
                created: r.created_at,
                expires: r.expires_at,
                revoked: r.revoked_at,
            })
            .collect()
    }

    /// Issues a token for `tenant`, lasting the tenant's expiry: the secret is in the answer
    /// and nowhere else. Refused past the cap ("revoke one first").
    pub async fn issue_token(
        &self,
        tenant: &str,
        label: Option<String>,
    ) -> Result<NewToken, AdminError> {
        let mut options = TokenOptions::default();
        if let Some(label) = label.filter(|l| !l.trim().is_empty()) {
            options = options.label(label.trim());
        }
        if let Some(days) = self.policy(tenant).token_expiry_days {
            options = options.expires_in_days(days);
        }
        let issued = self.tokens.issue(tenant, options)?;
        if let Err(err) = self.store.save_token(&issued.record).await {
            // Not kept: not valid either.
            self.tokens.revoke(&issued.record.id);
            return Err(AdminError::Persist(err));
        }
        Ok(issued)
    }

    /// Revokes `tenant`'s token `id`: its requests are `401` from now on.
    pub async fn revoke_token(&self, tenant: &str, id: &str) -> Result<TokenInfo, AdminError> {
        let owned = self.tokens.list(tenant).into_iter().any(|r| r.id == id);
        let record = owned
            .then(|| self.tokens.revoke(id))
            .flatten()
            .ok_or_else(|| AdminError::NoToken(id.to_owned()))?;
        self.store
            .save_token(&record)
            .await
            .map_err(AdminError::Persist)?;
        let info = self.tokens_of(tenant).into_iter().find(|t| t.id == id);
        info.ok_or_else(|| AdminError::NoToken(id.to_owned()))
    }

    /// Sets `tenant`'s policy: saved, then in effect for its next request.
    pub async fn set_policy(&self, tenant: &str, policy: TenantPolicy) -> Result<(), AdminError> {
        if policy.token_cap == Some(0) {
            return Err(AdminError::Invalid(
                "a tenant needs room for at least one token".into(),
            ));
        }
        if policy.token_expiry_days == Some(0) {
            return Err(AdminError::Invalid(
                "a token must last at least a day (or leave the expiry empty: until revoked)"
                    .into(),
            ));
        }
        self.store
            .save_policy(tenant, &policy)
            .await
            .map_err(AdminError::Persist)?;
        self.apply(tenant, policy);
        Ok(())
    }

    /// A page of `tenant`'s provisioning log, latest first.
    pub async fn log(&self, tenant: &str, query: &LogQuery) -> Result<LogPage, AdminError> {
        Ok(self.engine.store().request_log(tenant, query).await?)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, TenantPolicy>> {
        self.policies.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `policy` in effect: the engine's tenant settings (other settings kept) and the
    /// token cap.
    fn apply(&self, tenant: &str, policy: TenantPolicy) {
        let tenants = self.engine.tenants();
        let mut settings = tenants.get(tenant);
        settings.enabled = policy.enabled;
        settings.disabled_detail = policy.disabled_detail.clone();
        settings.withheld = policy
            .withheld
            .iter()
            .map(|w| (w.resource_type, w.detail.clone()))
            .collect();
        tenants.set(tenant, settings);
        match policy.token_cap {
            Some(cap) => self.tokens.set_cap(tenant, cap),
            None => self.tokens.clear_cap(tenant),
        }
        self.policies
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.to_owned(), policy);
    }
}
