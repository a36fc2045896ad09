//! Paging cursors (RFC 9865): where a page of a list ended, as an opaque token the client
//! sends back for the next page.
//!
//! A cursor carries the last resource's sort value and id (a keyset: the next page starts
//! after it, so rows inserted or deleted meanwhile neither shift nor repeat the pages), the
//! page size and when it was given. It is signed with HMAC-SHA-256 over that and the
//! query it belongs to (the tenant, the endpoint, the filter and sort): a cursor that was
//! altered, forged, made with another key or brought to another tenant's or another
//! query's list is `invalidCursor`, and never reads anything. Its text is base64url,
//! only the characters RFC 3986 leaves unreserved, as RFC 9865 §2 asks.
//!
//! ```
//! use chrono::{Duration, Utc};
//! use scim_core::cursor::{CursorKey, CursorScope, Position};
//! use serde_json::json;
//!
//! let key = CursorKey::random();
//! let scope = CursorScope::new("acme", "Users", r#"userName sw "j" | userName ascending"#, 10);
//! let after = Position::after(Some(json!("jsmith")), "2819c223");
//! let token = key.encode(&scope, &after, Utc::now());
//!
//! let read = key.decode(&scope, &token, Utc::now(), Duration::minutes(10)).unwrap();
//! assert_eq!(read, after);
//!
//! // The same cursor for another tenant reads nothing.
//! let other = CursorScope::new("globex", "Users", r#"userName sw "j" | userName ascending"#, 10);
//! assert!(key.decode(&other, &token, Utc::now(), Duration::minutes(10)).is_err());
//! ```

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{ScimError, ScimType};

/// The longest cursor read: anything longer is refused before it is decoded.
const MAX_TOKEN: usize = 4096;

/// The signature's length in a cursor (the first 16 bytes of HMAC-SHA-256).
const TAG: usize = 16;

/// The key cursors are signed with. Processes serving one directory behind a load balancer
/// must share it ([`CursorKey::from_secret`]), or a cursor one gave is refused by another.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// A key of 32 random bytes (from the operating system's CSPRNG): good for one process.
    ///
    /// # Panics
    /// If the operating system has no random source.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source");
        Self(key)
    }

    /// A key derived from `secret`, the same in every process given the same secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"scim-rs cursor key v1\0");
        hasher.update(secret);
        Self(hasher.finalize().into())
    }

    fn tag(&self, scope: &CursorScope<'_>, payload: &[u8]) -> [u8; TAG] {
        let full = self.mac(scope, payload).finalize().into_bytes();
        let mut tag = [0u8; TAG];
        tag.copy_from_slice(&full[..TAG]);
        tag
    }

    fn mac(&self, scope: &CursorScope<'_>, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        for part in [scope.tenant, scope.endpoint, scope.query] {
            // Each part's length first: no two scopes sign the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(payload);
        mac
    }

    /// The cursor for the page after (or before) `position`, in `scope`, given at `issued`.
    pub fn encode(
        &self,
        scope: &CursorScope<'_>,
        position: &Position,
        issued: DateTime<Utc>,
    ) -> String {
        let payload = Payload {
            position: position.clone(),
            count: scope.count,
            issued: issued.timestamp(),
        };
        let mut bytes = serde_json::to_vec(&payload).expect("a cursor serializes");
        let tag = self.tag(scope, &bytes);
        bytes.extend_from_slice(&tag);
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// The position `token` stands for, if this key gave it for `scope` and it is younger
    /// than `timeout` at `now`.
    pub fn decode(
        &self,
        scope: &CursorScope<'_>,
        token: &str,
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Result<Position, CursorError> {
        if token.len() > MAX_TOKEN {
            return Err(CursorError::Invalid);
        }
        let bytes = Base64UrlUnpadded::decode_vec(token).map_err(|_| CursorError::Invalid)?;
        if bytes.len() <= TAG {
            return Err(CursorError::Invalid);
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG);
        // Constant time: a forger learns nothing from how long the refusal took.
        self.mac(scope, payload)
            .verify_truncated_left(tag)
            .map_err(|_| CursorError::Invalid)?;
        let payload: Payload = serde_json::from_slice(payload).map_err(|_| CursorError::Invalid)?;
        if payload.count != scope.count {
            return Err(CursorError::CountChanged {
                given: payload.count,
            });
        }
        let issued = DateTime::from_timestamp(payload.issued, 0).ok_or(CursorError::Invalid)?;
        if issued > now + Duration::minutes(5) {
            // From the future: not a cursor this clock gave.
            return Err(CursorError::Invalid);
        }
        if now - issued > timeout {
            return Err(CursorError::Expired);
        }
        Ok(payload.position)
    }
}

/// What a cursor is bound to: the tenant, the endpoint (`Users`, `Groups`, or `""` for the
/// root), the query's filter and sort (as one canonical text), and the page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorScope<'a> {
    tenant: &'a str,
    endpoint: &'a str,
    query: &'a str,
    count: usize,
}

impl<'a> CursorScope<'a> {
    /// The scope of a list of `endpoint` in `tenant`, for `query` (the filter and sort as
    /// canonical text: the same query must give the same text) in pages of `count`.
    pub fn new(tenant: &'a str, endpoint: &'a str, query: &'a str, count: usize) -> Self {
        Self {
            tenant,
            endpoint,
            query,
            count,
        }
    }
}

/// Where a page ended: the last resource's sort value (`None` when the list is not sorted,
/// or the resource has no value) and id, and which way the next page goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The sort attribute's value of the last resource of the page.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub sort_value: Option<Value>,
    /// Its id, which orders resources with the same sort value.
    #[serde(rename = "i")]
    pub id: String,
    /// `true`: the page after this resource; `false`: the page before it.
    #[serde(rename = "f")]
    pub forward: bool,
    /// How many resources matched when paging began, for a store whose count costs more
    /// than a page (a million rows to count, 100 to read): it may answer this as
    /// `totalResults` rather than count again.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// In a list of several resource types (the root: Users, then Groups), the type the
    /// position is in. Stores never see it.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<crate::ResourceKind>,
}

impl Position {
    /// The first page: before every resource. (No resource has an empty id.)
    pub fn start() -> Self {
        Self {
            sort_value: None,
            id: String::new(),
            forward: true,
            total: None,
            resource_type: None,
        }
    }

    /// Whether this is [`Position::start`].
    pub fn is_start(&self) -> bool {
        self.forward && self.id.is_empty() && self.sort_value.is_none()
    }

    /// The page after the resource with `sort_value` and `id`.
    pub fn after(sort_value: Option<Value>, id: impl Into<String>) -> Self {
        Self {
            sort_value,
            id: id.into(),
            forward: true,
            total: None,
            resource_type: None,
        }
    }

    /// The page before the resource with `sort_value` and `id`.
    pub fn before(sort_value: Option<Value>, id: impl Into<String>) -> Self {
        Self {
            sort_value,
            id: id.into(),
            forward: false,
            total: None,
            resource_type: None,
        }
    }

    /// This position carrying the count of the list's first page (see [`Position::total`]).
    #[must_use]
    pub fn with_total(mut self, total: usize) -> Self {
        self.total = Some(total);
        self
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "p")]
    position: Position,
    #[serde(rename = "c")]
    count: usize,
    #[serde(rename = "t")]
    issued: i64,
}

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorError {
    /// Not a cursor this server gave for this query: altered, forged, signed with another
    /// key, or another tenant's or another query's.
    #[error(
        "the cursor is not one this server gave for this query: send it as it came in \
         nextCursor or previousCursor, with the same filter and sort, or an empty cursor \
         for the first page"
    )]
    Invalid,
    /// Older than the server keeps cursors.
    #[error("the cursor has expired: start again with an empty cursor")]
    Expired,
    /// Given for pages of another size.
    #[error("count must stay {given}, the page size this cursor was given for")]
    CountChanged {
        /// The page size the cursor was given for.
        given: usize,
    },
}

impl From<CursorError> for ScimError {
    fn from(err: CursorError) -> Self {
        let kind = match err {
            CursorError::Invalid => ScimType::InvalidCursor,
            CursorError::Expired => ScimType::ExpiredCursor,
            CursorError::CountChanged { .. } => ScimType::InvalidCount,
        };
        Self::bad_request(kind, err.to_string())
    }
}
