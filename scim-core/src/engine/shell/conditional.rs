//! Conditional headers (RFC 7232, RFC 7644 §3.14): `If-Match` becomes an operation's
//! [`Precondition`]; `If-None-Match` on a GET decides a `304`.

use http::HeaderMap;
use http::header::{HeaderName, IF_MATCH, IF_NONE_MATCH};

use crate::Version;
use crate::engine::Precondition;

/// What a conditional header says.
enum Tags {
    /// There is no such header.
    Absent,
    /// `*`.
    Any,
    /// These entity tags.
    Listed(Vec<Version>),
}

/// The entity tags a header lists, from its values.
fn tags<'a>(values: impl IntoIterator<Item = &'a str>) -> Tags {
    let mut tags = Vec::new();
    let mut seen = false;
    for value in values {
        seen = true;
        for tag in value.split(',').map(str::trim) {
            if tag == "*" {
                return Tags::Any;
            }
            if let Some(v) = Version::from_etag(tag) {
                tags.push(v);
            }
        }
    }
    if seen {
        Tags::Listed(tags)
    } else {
        Tags::Absent
    }
}

fn header(headers: &HeaderMap, name: HeaderName) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .into_iter()
        .map(|v| v.to_str().unwrap_or(""))
}

/// What `If-Match` (or a bulk operation's `version`, given as its values) requires of a
/// write: nothing without it, an existing resource for `*`, else one of the versions it
/// lists (none, if it lists nothing readable: then every write fails its precondition).
pub(super) fn precondition<'a>(values: impl IntoIterator<Item = &'a str>) -> Precondition {
    match tags(values) {
        Tags::Absent => Precondition::None,
        Tags::Any => Precondition::Exists,
        Tags::Listed(versions) => Precondition::OneOf(versions),
    }
}

/// [`precondition`] of a request's `If-Match` header.
pub(super) fn if_match(headers: &HeaderMap) -> Precondition {
    precondition(header(headers, IF_MATCH))
}

/// Whether `If-None-Match` says the client already has `version`: a GET then answers `304`.
pub(super) fn not_modified(headers: &HeaderMap, version: Option<&Version>) -> bool {
    match tags(header(headers, IF_NONE_MATCH)) {
        Tags::Absent => false,
        Tags::Any => true,
        Tags::Listed(versions) => version.is_some_and(|v| versions.contains(v)),
    }
}
