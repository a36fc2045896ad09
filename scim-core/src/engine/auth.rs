//! Who is calling: the [`Authenticator`] the engine asks before anything else.

use std::fmt;

use http::request::Parts;
use sha2::{Digest, Sha256};

use crate::ScimError;

/// The tenant used when an authenticator does not name one.
pub const DEFAULT_TENANT: &str = "default";

/// An authenticated caller: the tenant whose data it may touch, and a name for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant every store call of the request is scoped to.
    pub tenant: String,
    /// A name for the caller (never the secret itself), recorded in the request context.
    pub client: Option<String>,
}

impl Principal {
    /// A caller of `tenant`.
    pub fn new(tenant: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            client: None,
        }
    }

    /// Names the caller.
    #[must_use]
    pub fn with_client(mut self, client: impl Into<String>) -> Self {
        self.client = Some(client.into());
        self
    }
}

/// Decides who a request comes from. The engine calls it first; an error answers the request
/// (a `401` gets `WWW-Authenticate: Bearer`).
///
/// Implement it to check OAuth or JWT bearer tokens, or tokens kept in your own database.
pub trait Authenticator: Send + Sync + 'static {
    /// The caller of the request whose head is `parts`, or the error to answer with
    /// (usually [`ScimError::unauthorized`]).
    fn authenticate(&self, parts: &Parts) -> Result<Principal, ScimError>;

    /// The schemes it accepts, listed in `/ServiceProviderConfig` and in the
    /// `WWW-Authenticate` of a `401`. Default: bearer tokens.
    fn schemes(&self) -> Vec<AuthScheme> {
        vec![AuthScheme::Bearer]
    }
}

/// An authentication scheme (RFC 7643 §5 `authenticationSchemes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Authorization: Bearer`.
    Bearer,
    /// `Authorization: Basic` (a user name and password).
    Basic,
}

impl AuthScheme {
    /// Its entry in `/ServiceProviderConfig`'s `authenticationSchemes`.
    pub fn to_json(self, primary: bool) -> serde_json::Value {
        let (kind, name, description) = match self {
            Self::Bearer => (
                "oauthbearertoken",
                "OAuth Bearer Token",
                "Authentication with a bearer token issued for the tenant.",
            ),
            Self::Basic => (
                "httpbasic",
                "HTTP Basic",
                "Authentication with a user name and password set for the tenant.",
            ),
        };
        serde_json::json!({
            "type": kind, "name": name, "description": description, "primary": primary,
        })
    }

    /// Its `WWW-Authenticate` challenge.
    pub fn challenge(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer realm=\"SCIM\"",
            Self::Basic => "Basic realm=\"SCIM\", charset=\"UTF-8\"",
        }
    }
}

/// The bearer token of a request's `Authorization` header, if it has exactly one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let mut values = parts.headers.get_all(http::header::AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    // Two credentials in one request: which one counts would be a guess.
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// One fixed secret token for the [`DEFAULT_TENANT`]: what a single-tenant app or a demo needs.
///
/// Only the token's SHA-256 digest is kept, and candidates are compared digest to digest in
/// constant time, so neither the length nor a prefix of the secret leaks through timing.
/// `Debug` never shows it.
///
/// ```
/// use scim_core::engine::BearerToken;
///
/// let auth = BearerToken::new("s3cret");
/// assert!(!format!("{auth:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
}

impl BearerToken {
    /// Accepts requests carrying `Authorization: Bearer {token}`.
    pub fn new(token: impl AsRef<[u8]>) -> Self {
        Self {
            digest: Sha256::digest(token.as_ref()).into(),
        }
    }

    /// Whether `candidate` is the token, in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        same_bytes(&digest, &self.digest)
    }
}

/// Whether `a` and `b` are equal, in time independent of where they differ (their lengths
/// are not secret).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl Authenticator for BearerToken {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, ScimError> {
        match bearer_token(parts) {
            Some(token) if self.matches(token) => Ok(Principal::new(DEFAULT_TENANT)),
            Some(_) => Err(ScimError::unauthorized("the bearer token is not valid")),
            None => Err(ScimError::unauthorized(
                "this endpoint needs an Authorization: Bearer token",
            )),
        }
    }
}

/// Lets every request in, as the [`DEFAULT_TENANT`]. For tests and for apps that
/// authenticate in a middleware in front of the engine; never expose it unprotected.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl Authenticator for NoAuth {
    fn authenticate(&self, _parts: &Parts) -> Result<Principal, ScimError> {
        Ok(Principal::new(DEFAULT_TENANT))
    }
}

impl<F> Authenticator for F
where
    F: Fn(&Parts) -> Result<Principal, ScimError> + Send + Sync + 'static,
{
    fn authenticate(&self, parts: &Parts) -> Result<Principal, ScimError> {
        self(parts)
    }
}
