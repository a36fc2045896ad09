//! SCIM errors as RFC 7644 §3.12 renders them.

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

/// The URN of the SCIM error message schema.
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` of RFC 7644 §3.12 table 9: what kind of bad request a 400 (or 409, 413) was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax was invalid, or an attribute or operator is not supported.
    InvalidFilter,
    /// The query would return more results than the server allows.
    TooMany,
    /// A value is not unique (`userName`, a group's `displayName`...).
    Uniqueness,
    /// The write conflicts with an attribute's mutability (readOnly, immutable).
    Mutability,
    /// The request body is not well-formed or does not fit the request schema.
    InvalidSyntax,
    /// A path does not parse or does not fit the resource.
    InvalidPath,
    /// A PATCH target did not match anything.
    NoTarget,
    /// A value is missing, of the wrong type, or not allowed by the resource schema.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// The request cannot be completed as given (for example, sensitive data in a URL).
    Sensitive,
    /// A paging cursor is not one this server gave for this query (RFC 9865 §2.1).
    InvalidCursor,
    /// A paging cursor is older than the server keeps cursors (RFC 9865 §2.1).
    ExpiredCursor,
    /// A page size is out of range, or differs from the one a cursor was given for (RFC
    /// 9865 §2.1).
    InvalidCount,
}

impl ScimType {
    /// The keyword as it appears in the error body (`invalidValue`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
            Self::ExpiredCursor => "expiredCursor",
            Self::InvalidCount => "invalidCount",
        }
    }

    /// The variant of a keyword as an error body carries it (`"invalidValue"` to
    /// [`ScimType::InvalidValue`]); `None` for anything else. For clients reading errors.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        const ALL: [ScimType; 13] = [
            ScimType::InvalidFilter,
            ScimType::TooMany,
            ScimType::Uniqueness,
            ScimType::Mutability,
            ScimType::InvalidSyntax,
            ScimType::InvalidPath,
            ScimType::NoTarget,
            ScimType::InvalidValue,
            ScimType::InvalidVers,
            ScimType::Sensitive,
            ScimType::InvalidCursor,
            ScimType::ExpiredCursor,
            ScimType::InvalidCount,
        ];
        ALL.into_iter().find(|t| t.as_str() == keyword)
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM error: an HTTP status, an optional `scimType` and a human-readable `detail`.
///
/// [`ScimError::to_json`] renders the body RFC 7644 §3.12 gives, with `status` as a string:
///
/// ```
/// use scim_core::{ScimError, ScimType};
/// use serde_json::json;
///
/// let err = ScimError::bad_request(ScimType::Uniqueness, "userName \"bjensen\" is taken")
///     .with_status(409);
/// assert_eq!(err.to_json(), json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
///     "status": "409",
///     "scimType": "uniqueness",
///     "detail": "userName \"bjensen\" is taken",
/// }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    status: u16,
    scim_type: Option<ScimType>,
    detail: String,
}

impl ScimError {
    /// An error with `status` and `detail`, without a `scimType`.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// A 400 Bad Request with a `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// `400 invalidValue`: a value missing, of the wrong type or not allowed.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    /// `400 invalidSyntax`: a body that is not what the request needs.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// `400 mutability`: a write to a readOnly or immutable attribute.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }

    /// `401 Unauthorized`: no credentials, or credentials that are not valid.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, detail)
    }

    /// `404 Not Found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, detail)
    }

    /// `409 Conflict` with `scimType` `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Uniqueness, detail).with_status(409)
    }

    /// `412 Precondition Failed`: the resource changed since the version the client holds.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, detail)
    }

    /// This error with another HTTP status.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `scimType`, if any.
    pub fn scim_type(&self) -> Option<ScimType> {
        self.scim_type
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The RFC 7644 §3.12 error body.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_URN],
            "status": self.status.to_string(),
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::from(t.as_str());
        }
        body["detail"] = Value::from(self.detail.as_str());
        body
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scim_type {
            Some(t) => write!(f, "{} {t}: {}", self.status, self.detail),
            None => write!(f, "{}: {}", self.status, self.detail),
        }
    }
}

impl std::error::Error for ScimError {}

impl Serialize for ScimError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl From<scim_patch::PatchErrorKind> for ScimType {
    fn from(kind: scim_patch::PatchErrorKind) -> Self {
        use scim_patch::PatchErrorKind as Kind;
        match kind {
            Kind::InvalidSyntax => Self::InvalidSyntax,
            Kind::InvalidPath => Self::InvalidPath,
            Kind::InvalidValue => Self::InvalidValue,
            Kind::NoTarget => Self::NoTarget,
        }
    }
}

impl From<scim_patch::PatchError> for ScimError {
    /// `400` with the `scimType` of the error's kind and its detail (naming the operation).
    fn from(err: scim_patch::PatchError) -> Self {
        Self::bad_request(err.kind().into(), err.to_string())
    }
}

impl From<scim_filter::ParseError> for ScimError {
    /// A filter that does not parse: `400 invalidFilter`.
    fn from(err: scim_filter::ParseError) -> Self {
        Self::bad_request(ScimType::InvalidFilter, format!("invalid filter: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::ScimType;
    use scim_patch::PatchErrorKind;

    /// The typed mapping agrees with the keyword scim-patch documents for each kind.
    #[test]
    fn patch_error_kinds_map_to_their_scim_type() {
        for kind in [
            PatchErrorKind::InvalidSyntax,
            PatchErrorKind::InvalidPath,
            PatchErrorKind::InvalidValue,
            PatchErrorKind::NoTarget,
        ] {
            assert_eq!(ScimType::from(kind).as_str(), kind.scim_type());
        }
    }
}
