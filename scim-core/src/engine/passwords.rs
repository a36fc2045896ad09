//! User names and passwords per tenant, for HTTP Basic (RFC 7617): what some products hand
//! their admins to put in Okta or Entra beside (or instead of) a bearer token.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64ct::{Base64, Encoding};
use chrono::{DateTime, Utc};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::Principal;
use crate::ScimError;

/// How long a checked password is remembered (by a keyed digest of the credentials), so
/// that only the first request of a client in that time pays for the slow hash.
const REMEMBERED: Duration = Duration::from_secs(300);

/// A stored password: the tenant and user name it lets in and an Argon2id hash of the
/// password (PHC string), never the password. Persist it where you like (it is `serde`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PasswordRecord {
    /// The tenant the credentials let in.
    pub tenant: String,
    /// The user name (unique across tenants).
    pub user: String,
    /// The Argon2id hash of the password, as a PHC string.
    pub hash: String,
    /// When it was set.
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("tenant", &self.tenant)
            .field("user", &self.user)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The user name and password of a request's `Authorization: Basic` header, if it has
/// exactly one.
pub fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let mut values = parts.headers.get_all(http::header::AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Base64::decode_vec(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Credentials checked lately, by a keyed digest: their tenant, user name and when.
type Remembered = HashMap<[u8; 32], (String, String, Instant)>;

/// The passwords, shared by clones.
#[derive(Clone)]
pub(super) struct Passwords {
    records: Arc<RwLock<HashMap<String, PasswordRecord>>>,
    /// Keyed digests of credentials checked lately, with their tenant and when.
    remembered: Arc<RwLock<Remembered>>,
    /// The key of those digests: random, in memory only.
    key: [u8; 32],
}

/// A hash to check unknown users against, so that they take as long as known ones.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("a password no one has").unwrap_or_default())
}

impl Default for Passwords {
    fn default() -> Self {
        let mut key = [0u8; 32];
        // Without randomness the digests are still keyed by something not in the process's
        // inputs; it only weakens what a memory dump would give.
        let _ = getrandom::fill(&mut key);
        Self {
            records: Arc::default(),
            remembered: Arc::default(),
            key,
        }
    }
}

/// An Argon2id hash of `password` with a random salt, as a PHC string.
fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `stored` (in constant time, by Argon2's own
/// comparison).
fn matches(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

impl Passwords {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, PasswordRecord>> {
        self.records.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, PasswordRecord>> {
        self.records.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget_checked(&self) {
        self.remembered
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Sets `user`'s password, for `tenant`; the record to persist. A user name another
    /// tenant has is refused.
    pub(super) fn set(
        &self,
        tenant: &str,
        user: &str,
        password: &str,
    ) -> Result<PasswordRecord, String> {
        if user.is_empty() || user.contains(':') {
            return Err("a user name is not empty and has no ':'".to_owned());
        }
        if password.chars().count() < 12 {
            return Err("a password has at least 12 characters".to_owned());
        }
        let record = PasswordRecord {
            tenant: tenant.to_owned(),
            user: user.to_owned(),
            hash: hash(password)?,
            created_at: Utc::now(),
        };
        let mut records = self.write();
        if records.get(user).is_some_and(|r| r.tenant != tenant) {
            return Err(format!(
                "the user name \"{user}\" belongs to another tenant"
            ));
        }
        records.insert(user.to_owned(), record.clone());
        drop(records);
        self.forget_checked();
        Ok(record)
    }

    /// Adds a persisted record (replacing `user`'s); `false` if its hash is no PHC string.
    pub(super) fn insert(&self, record: PasswordRecord) -> bool {
        if PasswordHash::new(&record.hash).is_err() {
            return false;
        }
        self.write().insert(record.user.clone(), record);
        self.forget_checked();
        true
    }

    /// Removes `user`'s password; whether there was one.
    pub(super) fn remove(&self, user: &str) -> bool {
        let removed = self.write().remove(user).is_some();
        self.forget_checked();
        removed
    }

    /// Every record, by user name.
    pub(super) fn records(&self) -> Vec<PasswordRecord> {
        let mut all: Vec<PasswordRecord> = self.read().values().cloned().collect();
        all.sort_by(|a, b| a.user.cmp(&b.user));
        all
    }

    /// Whether any password is set.
    pub(super) fn any(&self) -> bool {
        !self.read().is_empty()
    }

    /// The caller `user` with `password` is: its tenant, or `401`.
    pub(super) fn verify(&self, user: &str, password: &str) -> Result<Principal, ScimError> {
        let remembered_as: [u8; 32] = Sha256::new()
            .chain_update(self.key)
            .chain_update(user.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .finalize()
            .into();
        let now = Instant::now();
        if let Some((tenant, name, at)) = self
            .remembered
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&remembered_as)
            && now.duration_since(*at) < REMEMBERED
        {
            return Ok(Principal::new(tenant).with_client(name));
        }
        let record = self.read().get(user).cloned();
        // An unknown user is checked against a decoy: the answer takes as long.
        let stored = record.as_ref().map_or(decoy(), |r| &r.hash);
        let right = matches(stored, password);
        match record {
            Some(record) if right => {
                let mut remembered = self
                    .remembered
                    .write()
                    .unwrap_or_else(PoisonError::into_inner);
                remembered.retain(|_, (_, _, at)| now.duration_since(*at) < REMEMBERED);
                remembered.insert(
                    remembered_as,
                    (record.tenant.clone(), record.user.clone(), now),
                );
                Ok(Principal::new(record.tenant).with_client(record.user))
            }
            _ => Err(ScimError::unauthorized(
                "the user name or password is not valid",
            )),
        }
    }
}
