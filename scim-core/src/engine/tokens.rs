//! Secret bearer tokens per tenant: generated once, kept as digests, rotated without downtime.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::{AuthScheme, Authenticator, Principal, bearer_token};
use super::passwords::{PasswordRecord, Passwords, basic_credentials};
use crate::ScimError;

/// What every token starts with, so secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "scim_";

/// The most active tokens one tenant may hold unless the app says otherwise
/// ([`Tokens::with_cap`], [`Tokens::set_cap`]): enough to rotate (two) with room to spare.
pub const MAX_ACTIVE_PER_TENANT: usize = 5;

/// A stored token: everything about it but the secret. Persist it where you like (it is
/// `serde`); only the SHA-256 digest of the secret is in it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenRecord {
    /// A public identifier, for listing and revoking.
    pub id: String,
    /// The tenant the token lets in.
    pub tenant: String,
    /// What the token is for, as the admin named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The hex SHA-256 digest of the secret.
    pub digest: String,
    /// The prefix and last four characters (`scim_…9f3a`), to tell tokens apart in a list.
    pub hint: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    /// Whether the token lets requests in at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("label", &self.label)
            .field("hint", &self.hint)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A token's secret, shown once when it is issued. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// The secret, to show the admin once (it is not stored anywhere).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// A newly issued token: the secret (show it once) and the record (persist it).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewToken {
    /// The secret the admin pastes into Entra.
    pub secret: SecretToken,
    /// What to persist.
    pub record: TokenRecord,
}

/// Options for [`Tokens::issue`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TokenOptions {
    /// What the token is for.
    pub label: Option<String>,
    /// Days until it expires; `None` for never.
    pub expires_in_days: Option<u32>,
}

impl TokenOptions {
    /// Names the token.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Expires the token after `days` days.
    #[must_use]
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = Some(days);
        self
    }
}

/// Why a token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The tenant already has as many active tokens as it may ([`Tokens::with_cap`],
    /// [`Tokens::set_cap`]; [`MAX_ACTIVE_PER_TENANT`] unless said): revoke one first.
    #[error(
        "tenant \"{tenant}\" already has {cap} active tokens, the most it may have: revoke one \
         before issuing another"
    )]
    TooMany {
        /// The tenant.
        tenant: String,
        /// How many active tokens it may have.
        cap: usize,
    },
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// A user name or password that cannot be set (too short, a name another tenant has).
    #[error("{0}")]
    Password(String),
}

/// The tenants' tokens, in memory, shared by clones: an [`Authenticator`] that lets each
/// token into its own tenant.
///
/// Only digests are kept. A presented token is hashed and looked up by its digest, so the
/// time a check takes depends only on SHA-256 digests, which reveal nothing of a stored
/// secret; the final comparison of digests is constant-time as well. Tokens are 256 random
/// bits, so a fast hash is enough (there is nothing to brute-force).
///
/// ```
/// use scim_core::engine::{TokenOptions, Tokens};
///
/// let tokens = Tokens::new();
/// let old = tokens.issue("acme", TokenOptions::default())?;
/// let new = tokens.issue("acme", TokenOptions::default().expires_in_days(90))?;
/// assert!(new.secret.expose().starts_with("scim_"));
/// assert_eq!(tokens.verify(old.secret.expose()).unwrap().tenant, "acme");
/// tokens.revoke(&old.record.id);
/// assert!(tokens.verify(old.secret.expose()).is_err());
/// assert!(tokens.verify(new.secret.expose()).is_ok());
/// # Ok::<(), scim_core::engine::TokenError>(())
/// ```
#[derive(Clone, Default)]
pub struct Tokens {
    inner: Arc<RwLock<HashMap<[u8; 32], TokenRecord>>>,
    caps: Arc<RwLock<Caps>>,
    passwords: Passwords,
    /// When each token (by id) last let a request in, to the minute, in this process.
    last_used: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

/// How many active tokens tenants may have.
#[derive(Debug, Default)]
struct Caps {
    /// Every tenant's, unless set for it; `None`: [`MAX_ACTIVE_PER_TENANT`].
    all: Option<usize>,
    tenants: HashMap<String, usize>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("records", &self.read().len())
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Tokens {
    /// No tokens: every request is `401`.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `cap` active tokens per tenant (at least one), unless [`Tokens::set_cap`] says
    /// otherwise for a tenant. Two allows rotation without downtime: issue the new token,
    /// move the directory to it, revoke the old one. Default: [`MAX_ACTIVE_PER_TENANT`].
    ///
    /// ```
    /// use scim_core::engine::{TokenError, TokenOptions, Tokens};
    ///
    /// let tokens = Tokens::new().with_cap(2);
    /// let first = tokens.issue("acme", TokenOptions::default())?;
    /// tokens.issue("acme", TokenOptions::default())?;
    /// let refused = tokens.issue("acme", TokenOptions::default()).unwrap_err();
    /// assert!(matches!(refused, TokenError::TooMany { cap: 2, .. }));
    /// assert!(refused.to_string().contains("revoke one"));
    /// tokens.revoke(&first.record.id);
    /// tokens.issue("acme", TokenOptions::default())?;
    /// # Ok::<(), TokenError>(())
    /// ```
    #[must_use]
    pub fn with_cap(self, cap: usize) -> Self {
        self.caps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .all = Some(cap.max(1));
        self
    }

    /// At most `cap` active tokens (at least one) for `tenant` (its plan's allowance).
    pub fn set_cap(&self, tenant: &str, cap: usize) {
        self.caps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .tenants
            .insert(tenant.to_owned(), cap.max(1));
    }

    /// Removes `tenant`'s own cap: the app's applies again.
    pub fn clear_cap(&self, tenant: &str) {
        self.caps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .tenants
            .remove(tenant);
    }

    /// How many active tokens `tenant` may have.
    pub fn cap(&self, tenant: &str) -> usize {
        let caps = self.caps.read().unwrap_or_else(PoisonError::into_inner);
        caps.tenants
            .get(tenant)
            .copied()
            .or(caps.all)
            .unwrap_or(MAX_ACTIVE_PER_TENANT)
    }

    /// The tokens persisted earlier. Records whose digest is not 64 hex digits are skipped.
    pub fn from_records(records: impl IntoIterator<Item = TokenRecord>) -> Self {
        let tokens = Self::new();
        for record in records {
            tokens.insert(record);
        }
        tokens
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<[u8; 32], TokenRecord>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<[u8; 32], TokenRecord>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds or replaces (same digest) a record; `false` if its digest is malformed.
    pub fn insert(&self, record: TokenRecord) -> bool {
        let Some(key) = unhex(&record.digest) else {
            return false;
        };
        self.write().insert(key, record);
        true
    }

    /// Replaces every record with `records`, at once: how a server picks up tokens that
    /// admin commands issued or revoked in the database.
    pub fn reload(&self, records: impl IntoIterator<Item = TokenRecord>) {
        let fresh: HashMap<[u8; 32], TokenRecord> = records
            .into_iter()
            .filter_map(|r| unhex(&r.digest).map(|key| (key, r)))
            .collect();
        *self.write() = fresh;
    }

    /// Issues a token for `tenant`: 256 bits from the operating system's CSPRNG, as
    /// `scim_` and 64 hex digits. At most [`Tokens::cap`] may be active at once.
    pub fn issue(&self, tenant: &str, options: TokenOptions) -> Result<NewToken, TokenError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| TokenError::Random(e.to_string()))?;
        let secret = format!("{TOKEN_PREFIX}{}", hex(&random));
        let record = self.add(tenant, &secret, options)?;
        Ok(NewToken {
            secret: SecretToken(secret),
            record,
        })
    }

    /// Adds a token whose secret was made elsewhere: one migrated from an earlier system, or
    /// a fixed one for tests and demos. Only its digest is kept. Prefer [`Tokens::issue`]:
    /// a secret a person chose is easier to guess than 256 random bits.
    pub fn import(
        &self,
        tenant: &str,
        secret: &str,
        options: TokenOptions,
    ) -> Result<TokenRecord, TokenError> {
        self.add(tenant, secret, options)
    }

    fn add(
        &self,
        tenant: &str,
        secret: &str,
        options: TokenOptions,
    ) -> Result<TokenRecord, TokenError> {
        let now = Utc::now();
        let tail = secret
            .char_indices()
            .rev()
            .nth(3)
            .map_or("", |(i, _)| &secret[i..]);
        let record = TokenRecord {
            id: uuid::Uuid::new_v4().simple().to_string(),
            tenant: tenant.to_owned(),
            label: options.label,
            digest: hex(&digest(secret)),
            hint: format!("{TOKEN_PREFIX}…{tail}"),
            created_at: now,
            expires_at: options
                .expires_in_days
                .map(|days| now + Duration::days(i64::from(days))),
            revoked_at: None,
        };
        let cap = self.cap(tenant);
        let mut records = self.write();
        let active = records
            .values()
            .filter(|r| r.tenant == tenant && r.is_active(now))
            .count();
        if active >= cap {
            return Err(TokenError::TooMany {
                tenant: tenant.to_owned(),
                cap,
            });
        }
        records.insert(digest(secret), record.clone());
        Ok(record)
    }

    /// Revokes the token `id`: its requests are `401` from now on. The updated record (to
    /// persist), or `None` if there is no such token.
    pub fn revoke(&self, id: &str) -> Option<TokenRecord> {
        let mut records = self.write();
        let record = records.values_mut().find(|r| r.id == id)?;
        record.revoked_at.get_or_insert_with(Utc::now);
        Some(record.clone())
    }

    /// The records of `tenant`'s tokens, active or not, oldest first.
    pub fn list(&self, tenant: &str) -> Vec<TokenRecord> {
        let mut records: Vec<TokenRecord> = self
            .read()
            .values()
            .filter(|r| r.tenant == tenant)
            .cloned()
            .collect();
        records.sort_by_key(|r| r.created_at);
        records
    }

    /// Every record, to persist.
    pub fn records(&self) -> Vec<TokenRecord> {
        self.read().values().cloned().collect()
    }

    /// The tenant `token` lets in, or `401`.
    pub fn verify(&self, token: &str) -> Result<Principal, ScimError> {
        let presented = digest(token);
        let records = self.read();
        let found = records.get(&presented).filter(|record| {
            let stored = unhex(&record.digest).unwrap_or_default();
            super::auth::same_bytes(&stored, &presented)
        });
        match found {
            Some(record) if record.is_active(Utc::now()) => {
                self.used(&record.id);
                let client = record.label.clone().unwrap_or_else(|| record.id.clone());
                Ok(Principal::new(&record.tenant).with_client(client))
            }
            Some(record) if record.revoked_at.is_some() => {
                Err(ScimError::unauthorized("the bearer token has been revoked"))
            }
            Some(_) => Err(ScimError::unauthorized("the bearer token has expired")),
            None => Err(ScimError::unauthorized("the bearer token is not valid")),
        }
    }
}

impl Tokens {
    /// Notes that token `id` let a request in: at most once a minute per token, and never
    /// making a request wait for another's note.
    fn used(&self, id: &str) {
        let Ok(mut last) = self.last_used.try_lock() else {
            return;
        };
        let now = Utc::now();
        match last.get_mut(id) {
            Some(at) if now - *at < chrono::Duration::minutes(1) => {}
            Some(at) => *at = now,
            None => {
                last.insert(id.to_owned(), now);
            }
        }
    }

    /// When token `id` last let a request in (to the minute), since this process started.
    pub fn last_used(&self, id: &str) -> Option<DateTime<Utc>> {
        let last = self
            .last_used
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        last.get(id).copied()
    }

    /// Sets the password of `user` (a user name unique across tenants) for `tenant`: HTTP
    /// Basic beside the tenant's bearer tokens, for products that hand their admins a user
    /// name and password (Okta's Basic option). Only an Argon2id hash is kept; the record
    /// is what to persist. A password has at least 12 characters.
    ///
    /// The slow hash is paid once per client every five minutes: a checked password is
    /// remembered by a keyed digest, in memory, until then (or until any password changes).
    ///
    /// ```
    /// use scim_core::engine::Tokens;
    ///
    /// let tokens = Tokens::new();
    /// let record = tokens.set_password("acme", "acme-scim", "correct horse battery")?;
    /// assert!(record.hash.starts_with("$argon2id$"));
    /// assert!(!format!("{record:?}").contains("horse"));
    /// # Ok::<(), scim_core::engine::TokenError>(())
    /// ```
    pub fn set_password(
        &self,
        tenant: &str,
        user: &str,
        password: &str,
    ) -> Result<PasswordRecord, TokenError> {
        self.passwords
            .set(tenant, user, password)
            .map_err(TokenError::Password)
    }

    /// Adds a persisted password record; `false` if its hash is not a PHC string.
    pub fn insert_password(&self, record: PasswordRecord) -> bool {
        self.passwords.insert(record)
    }

    /// Removes `user`'s password: its requests are `401` from now on. Whether it had one.
    pub fn remove_password(&self, user: &str) -> bool {
        self.passwords.remove(user)
    }

    /// Every password record (hashes only), by user name.
    pub fn password_records(&self) -> Vec<PasswordRecord> {
        self.passwords.records()
    }
}

impl Authenticator for Tokens {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, ScimError> {
        if let Some(token) = bearer_token(parts) {
            return self.verify(token);
        }
        if let Some((user, password)) = basic_credentials(parts) {
            return self.passwords.verify(&user, &password);
        }
        Err(ScimError::unauthorized(if self.passwords.any() {
            "this endpoint needs an Authorization: Bearer token or Basic credentials"
        } else {
            "this endpoint needs an Authorization: Bearer token"
        }))
    }

    fn schemes(&self) -> Vec<AuthScheme> {
        if self.passwords.any() {
            vec![AuthScheme::Bearer, AuthScheme::Basic]
        } else {
            vec![AuthScheme::Bearer]
        }
    }
}
