//! Why a PATCH request was refused, with the `scimType` of RFC 7644 §3.12.

use std::fmt;

use scim_filter::ParseError;

/// The class of a [`PatchError`], one per `scimType` a PATCH can fail with.
///
/// Exhaustive on purpose: a caller mapping kinds to its own error types (scim-core maps
/// them to `ScimType`) matches every one, so a new kind cannot fall through to a wrong
/// `scimType` unnoticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchErrorKind {
    /// The body is not a PatchOp request: not JSON, no `Operations`, an unknown `op`...
    InvalidSyntax,
    /// A `path` does not parse, or does not fit the resource.
    InvalidPath,
    /// A `value` is missing or of the wrong shape for its operation.
    InvalidValue,
    /// A `remove` without a path, or a value filter that matches nothing where the operation
    /// needs a match.
    NoTarget,
}

impl PatchErrorKind {
    /// The RFC 7644 §3.12 `scimType`: `invalidSyntax`, `invalidPath`, `invalidValue` or
    /// `noTarget`. Every one of them goes with HTTP status 400.
    pub fn scim_type(self) -> &'static str {
        match self {
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::InvalidValue => "invalidValue",
            Self::NoTarget => "noTarget",
        }
    }
}

/// A refused PATCH request. The resource it was applied to is unchanged.
///
/// The detail names the operation (`Operations[1]`) and says what to fix; it is meant for the
/// `detail` of a SCIM error response.
///
/// ```
/// use scim_patch::{PatchErrorKind, PatchRequest};
/// use serde_json::json;
///
/// let body = json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [{"op": "remove"}]
/// });
/// let err = PatchRequest::from_value(body).unwrap_err();
/// assert_eq!(err.kind(), PatchErrorKind::NoTarget);
/// assert_eq!(err.scim_type(), "noTarget");
/// assert_eq!(err.operation(), Some(0));
/// assert_eq!(err.to_string(), "Operations[0]: remove needs a path");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    kind: PatchErrorKind,
    operation: Option<usize>,
    detail: String,
}

impl PatchError {
    pub(crate) fn new(kind: PatchErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            operation: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn syntax(detail: impl Into<String>) -> Self {
        Self::new(PatchErrorKind::InvalidSyntax, detail)
    }

    pub(crate) fn path(detail: impl Into<String>) -> Self {
        Self::new(PatchErrorKind::InvalidPath, detail)
    }

    pub(crate) fn value(detail: impl Into<String>) -> Self {
        Self::new(PatchErrorKind::InvalidValue, detail)
    }

    pub(crate) fn no_target(detail: impl Into<String>) -> Self {
        Self::new(PatchErrorKind::NoTarget, detail)
    }

    /// An `invalidPath` error for a path that did not parse.
    pub(crate) fn bad_path(text: &str, err: &ParseError) -> Self {
        Self::path(format!("the path \"{text}\" is invalid: {err}"))
    }

    /// This error, attributed to the operation at `index` (unless already attributed).
    pub(crate) fn in_operation(mut self, index: usize) -> Self {
        self.operation.get_or_insert(index);
        self
    }

    /// The class of the error.
    pub fn kind(&self) -> PatchErrorKind {
        self.kind
    }

    /// The RFC 7644 `scimType` for the error response.
    pub fn scim_type(&self) -> &'static str {
        self.kind.scim_type()
    }

    /// The index in `Operations` of the operation that failed, when one did.
    pub fn operation(&self) -> Option<usize> {
        self.operation
    }

    /// What is wrong, without the operation index.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(index) => write!(f, "Operations[{index}]: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for PatchError {}
