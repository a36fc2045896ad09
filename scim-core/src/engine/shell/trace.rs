//! What the provisioning log learns of a request on its way through the shell: the tenant
//! (from the path, then from the credentials), the resource, and why it was refused.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::Response;
use http::request::Parts;

use crate::engine::Engine;
use crate::{RequestRecord, ResourceKind, ScimError, ScimStore};

/// Query parameters never logged (a client that puts its token in the URL).
const SECRET_PARAMS: [&str; 5] = ["token", "secret", "password", "key", "auth"];

/// One request's entry in the making.
#[derive(Debug, Default)]
pub(super) struct Trace {
    pub(super) tenant: Option<String>,
    pub(super) client: Option<String>,
    pub(super) dry_run: bool,
    /// The path below the tenant URL (`/Users/2819c223`), once the tenant URL is found.
    pub(super) rest: Option<String>,
    pub(super) resource: Option<ResourceKind>,
    pub(super) id: Option<String>,
    /// The refusal, as the error the answer was made of.
    pub(super) error: Option<ScimError>,
}

impl Trace {
    /// Notes `err` (the answer's error) and gives it back.
    pub(super) fn refused(&mut self, err: ScimError) -> ScimError {
        self.error = Some(err.clone());
        err
    }
}

impl<S: ScimStore> Engine<S> {
    /// Hands the request's entry to the store's log, if it has a tenant and the log is on.
    pub(super) fn log_request(
        &self,
        trace: Trace,
        parts: &Parts,
        response: &Response<Bytes>,
        time: DateTime<Utc>,
        duration_us: u64,
        request_id: &str,
    ) {
        if !self.inner.log_requests {
            return;
        }
        let Some(tenant) = trace.tenant else { return };
        let created = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.rsplit('/').next())
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let (scim_type, detail) = match &trace.error {
            Some(err) => (
                err.scim_type().map(|t| t.as_str().to_owned()),
                Some(err.detail().to_owned()),
            ),
            None => (None, None),
        };
        let record = RequestRecord {
            time,
            tenant,
            client: trace.client,
            method: parts.method.as_str().to_owned(),
            path: loggable_path(parts, trace.rest.as_deref()),
            resource_type: trace.resource,
            resource_id: trace.id.or(created),
            status: response.status().as_u16(),
            scim_type,
            detail,
            duration_us,
            request_id: request_id.to_owned(),
            dry_run: trace.dry_run,
        };
        self.inner.store.record_request(record);
    }
}

/// The request's path below the tenant URL (`rest`, else the whole path) and its query,
/// without query parameters that could carry a secret.
fn loggable_path(parts: &Parts, rest: Option<&str>) -> String {
    let path = rest.unwrap_or(parts.uri.path());
    let Some(query) = parts.uri.query() else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair
                .split('=')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            !SECRET_PARAMS.iter().any(|secret| name.contains(secret))
        })
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_query_are_not_logged() {
        let (parts, ()) = http::Request::get(
            "/scim/v2/Users?filter=userName%20eq%20%22a%22&access_token=s3cret&count=5",
        )
        .body(())
        .unwrap()
        .into_parts();
        assert_eq!(
            loggable_path(&parts, None),
            "/scim/v2/Users?filter=userName%20eq%20%22a%22&count=5"
        );
        assert_eq!(
            loggable_path(&parts, Some("/Users")),
            "/Users?filter=userName%20eq%20%22a%22&count=5"
        );
    }
}
