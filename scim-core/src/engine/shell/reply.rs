//! Request bodies in, responses out: the one place statuses, headers and bodies are written.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, ETAG, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Response, StatusCode};
use serde_json::Value;

use super::Call;
use crate::{ScimError, Version};

/// The media type of every SCIM response body (RFC 7644 §8.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// The URN of a list response.
const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Checks that the request carries a body labelled `application/scim+json` or
/// `application/json` (any parameters), or not labelled at all; anything else is `415`.
pub(super) fn check_body(call: &Call<'_>) -> Result<(), ScimError> {
    if let Some(value) = call.parts.headers.get(CONTENT_TYPE) {
        let mime = value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .unwrap_or_default();
        let json = ["application/scim+json", "application/json"]
            .iter()
            .any(|m| mime.eq_ignore_ascii_case(m));
        if !json {
            return Err(ScimError::new(
                415,
                format!(
                    "request bodies must be application/scim+json or application/json, not \"{}\"",
                    value.to_str().unwrap_or("?")
                ),
            ));
        }
    }
    if call.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request needs a JSON body"));
    }
    Ok(())
}

/// The request body as JSON, after [`check_body`]: refused (`invalidSyntax`) if not JSON,
/// or if it names a member twice or holds a NUL character ([`scim_patch::json`]).
pub(super) fn json_body(call: &Call<'_>) -> Result<Value, ScimError> {
    check_body(call)?;
    scim_patch::json::from_slice(&call.body)
        .map_err(|e| ScimError::invalid_syntax(scim_patch::json::error_detail(&e)))
}

/// A response with a SCIM JSON body.
pub(super) fn json(status: StatusCode, body: &Value) -> Response<Bytes> {
    text(status, serde_json::to_vec(body).unwrap_or_default())
}

/// A response with a SCIM JSON body already written.
fn text(status: StatusCode, bytes: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
    response
}

/// A resource, with its ETag and, for a creation, its `Location`.
pub(super) fn resource(
    status: StatusCode,
    body: Vec<u8>,
    version: Option<&Version>,
    location: Option<&str>,
) -> Response<Bytes> {
    let mut response = text(status, body);
    with_etag(&mut response, version);
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// An empty answer (`204`, `304`), with the resource's ETag when there is one.
pub(super) fn empty(status: StatusCode, version: Option<&Version>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    with_etag(&mut response, version);
    response
}

fn with_etag(response: &mut Response<Bytes>, version: Option<&Version>) {
    if let Some(tag) = version.and_then(|v| HeaderValue::from_str(&v.to_etag()).ok()) {
        response.headers_mut().insert(ETAG, tag);
    }
}

/// Where a list page stands: its `startIndex`, or the cursors of the pages around it.
pub(super) enum Paged<'a> {
    Index(usize),
    Cursor {
        next: Option<&'a str>,
        previous: Option<&'a str>,
    },
}

/// A list response (RFC 7644 §3.4.2, RFC 9865 §2) of resources already written as JSON.
pub(super) fn list(total: usize, paged: &Paged<'_>, resources: &[Vec<u8>]) -> Response<Bytes> {
    use std::io::Write as _;
    let size = resources.iter().map(|r| r.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(size + 160);
    // What `json!` of these members would serialize to, written directly: every lookup
    // that filters answers a list. Cursors are base64url: nothing to escape.
    let _ = write!(
        out,
        "{{\"schemas\":[\"{LIST_RESPONSE_URN}\"],\"totalResults\":{total},"
    );
    match paged {
        Paged::Index(start_index) => {
            let _ = write!(out, "\"startIndex\":{start_index},");
        }
        Paged::Cursor { next, previous } => {
            if let Some(previous) = previous {
                let _ = write!(out, "\"previousCursor\":\"{previous}\",");
            }
            if let Some(next) = next {
                let _ = write!(out, "\"nextCursor\":\"{next}\",");
            }
        }
    }
    let _ = write!(out, "\"itemsPerPage\":{},\"Resources\":[", resources.len());
    for (i, resource) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(resource);
    }
    out.extend_from_slice(b"]}");
    text(StatusCode::OK, out)
}

/// An error body (RFC 7644 §3.12); a `401` also says how to authenticate.
pub(crate) fn error(err: &ScimError) -> Response<Bytes> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, &err.to_json());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"SCIM\""),
        );
    }
    response
}

/// `429`: the tenant is over its rate limit; `Retry-After` says in how many whole seconds
/// (at least one) a request will be let through again.
pub(super) fn too_many_requests(wait: std::time::Duration) -> (ScimError, Response<Bytes>) {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let err = ScimError::new(
        429,
        format!("too many requests for this tenant: try again in {seconds} s"),
    );
    let mut response = error(&err);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    (err, response)
}

/// The methods a route answers, as `Allow` lists them.
fn allow(allowed: &[Method]) -> String {
    allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `405` error for `method` on a route that answers `allowed`.
pub(super) fn method_not_allowed_error(method: &Method, allowed: &[Method]) -> ScimError {
    let list = allow(allowed);
    ScimError::new(405, format!("{method} is not supported here; use {list}"))
}

/// `405`, listing the methods the route answers.
pub(super) fn method_not_allowed(method: &Method, allowed: &[Method]) -> Response<Bytes> {
    let list = allow(allowed);
    let mut response = error(&method_not_allowed_error(method, allowed));
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn list_responses_are_json() {
        for resources in [vec![], vec![b"{}".to_vec(), br#"{"id":"a"}"#.to_vec()]] {
            let response = super::list(7, &super::Paged::Index(3), &resources);
            let body: Value = serde_json::from_slice(response.body()).unwrap();
            let items: Vec<Value> = resources
                .iter()
                .map(|r| serde_json::from_slice(r).unwrap())
                .collect();
            assert_eq!(
                body,
                json!({
                    "schemas": [super::LIST_RESPONSE_URN],
                    "totalResults": 7,
                    "startIndex": 3,
                    "itemsPerPage": resources.len(),
                    "Resources": items,
                })
            );
            assert_eq!(response.headers()["content-type"], super::SCIM_CONTENT_TYPE);
            let paged = super::Paged::Cursor {
                next: Some("bmV4dA"),
                previous: Some("cHJldg"),
            };
            let response = super::list(7, &paged, &resources);
            let body: Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(
                body,
                json!({
                    "schemas": [super::LIST_RESPONSE_URN],
                    "totalResults": 7,
                    "previousCursor": "cHJldg",
                    "nextCursor": "bmV4dA",
                    "itemsPerPage": resources.len(),
                    "Resources": items,
                })
            );
        }
    }
}
