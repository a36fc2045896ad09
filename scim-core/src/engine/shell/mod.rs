//! The HTTP shell: an [`http::Request`] in, an [`http::Response`] out, around the typed
//! operations.
//!
//! A request passes the gates (`gates`: size, tenant URL, authentication, tenant settings),
//! is routed (`route`), has its query (`query`) and conditional headers (`conditional`) read,
//! and is handed to an operation (`resources`, `bulk`) or answered from the schemas
//! (`discovery`); `reply` writes every response: statuses, headers, bodies, errors.

mod bulk;
mod conditional;
mod discovery;
mod gates;
mod query;
pub(super) mod reply;
mod resources;
mod route;
mod trace;

use std::time::Instant;

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response};
use tracing::Instrument;

use super::{Engine, MountPath};
use crate::{Compat, RequestContext, ResourceKind, ScimError, ScimStore};
use query::Search;
use route::Route;
use trace::Trace;

/// One request on its way through the shell, past the gates.
struct Call<'a> {
    parts: &'a Parts,
    body: Bytes,
    ctx: RequestContext,
    /// The tenant URL resources are located under.
    base: String,
    /// The tenant's compatibility policy.
    compat: Compat,
    /// The most resources a list answers, for this tenant.
    max_results: usize,
}

impl<S: ScimStore> Engine<S> {
    /// Answers one request. Never panics on client input and never answers `500` for it:
    /// every failure is a SCIM error body with the right status and `scimType`.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let started = Instant::now();
        let time = chrono::Utc::now();
        let (parts, body) = request.into_parts();
        let request_id = crate::context::next_request_id();
        // The span carries only the request id, formatted once: every field recorded into
        // an enabled span is formatted again by a subscriber such as `fmt`, which cost a
        // quarter of a GET's CPU at the default `info` level. The request's line carries
        // the rest as its own fields.
        let span = tracing::info_span!("scim", request_id = %request_id);
        async move {
            let mut trace = Trace::default();
            let mut response = self
                .dispatch(&parts, body, request_id.clone(), &mut trace)
                .await;
            if response.status() == http::StatusCode::UNAUTHORIZED {
                self.challenge(&mut response);
            }
            let status = response.status().as_u16();
            let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            let (method, path) = (&parts.method, parts.uri.path());
            let tenant = trace.tenant.as_deref().unwrap_or("");
            let resource = trace.resource.map_or("", |r| r.as_str());
            // Per request at `debug` (as tower-http's trace layer): at `info` a line per
            // request written synchronously halves a busy server's throughput, and every
            // request is in the provisioning log already. Writes keep their `info` audit line.
            if response.status().is_server_error() {
                tracing::warn!(%method, path, %tenant, %resource, status, latency_us, "request failed");
            } else {
                tracing::debug!(%method, path, %tenant, %resource, status, latency_us, "request answered");
            }
            self.log_request(trace, &parts, &response, time, latency_us, &request_id);
            response
        }
        .instrument(span)
        .await
    }

    /// The gates, the route, the operation.
    async fn dispatch(
        &self,
        parts: &Parts,
        body: Bytes,
        request_id: String,
        trace: &mut Trace,
    ) -> Response<Bytes> {
        let admitted = match self.admit(parts, &body, request_id, trace) {
            Ok(admitted) => admitted,
            Err(refused) => return refused.into_response(trace),
        };
        let route = Route::parse(admitted.rest);
        if let Some(route) = &route {
            trace.resource = route.kind();
            if let Route::Item(_, id) = route {
                trace.id = Some(id.clone());
            }
        }
        let answer = match route {
            None => Err(no_endpoint(parts.uri.path())),
            Some(route) => match self.base(parts, &admitted.ctx, admitted.prefix) {
                Ok(base) => {
                    let call = Call {
                        parts,
                        body,
                        ctx: admitted.ctx,
                        base,
                        compat: admitted.compat,
                        max_results: admitted.max_results,
                    };
                    self.serve(&call, route).await
                }
                Err(err) => Err(err),
            },
        };
        answer.unwrap_or_else(|err| reply::error(&trace.refused(err)))
    }

    /// Answers a request the gates let through.
    async fn serve(&self, call: &Call<'_>, route: Route) -> Result<Response<Bytes>, ScimError> {
        let parts = call.parts;
        if !route.allowed().contains(&parts.method) {
            return Ok(reply::method_not_allowed(&parts.method, route.allowed()));
        }
        if let Some(kind) = route.kind() {
            // Before the body is read: a users-only service has no /Groups at all.
            self.check_served(kind)?;
        }
        let method = &parts.method;
        match route {
            Route::Collection(kind) if method == Method::GET => {
                let search = Search::from_query(parts.uri.query().unwrap_or(""))?;
                Box::pin(self.http_list(call, Some(kind), search)).await
            }
            Route::Collection(kind) => Box::pin(self.http_create(call, kind)).await,
            Route::Search(kind) => {
                let search = Search::from_body(reply::json_body(call)?)?;
                Box::pin(self.http_list(call, kind, search)).await
            }
            Route::Item(kind, id) => self.item(call, kind, &id).await,
            Route::Me => {
                let hook =
                    self.inner.me.as_ref().ok_or_else(|| {
                        ScimError::new(501, "/Me is not supported by this service")
                    })?;
                let id = hook(&call.ctx).ok_or_else(|| {
                    ScimError::not_found("the authenticated caller is not a User of this service")
                })?;
                self.item(call, ResourceKind::User, &id).await
            }
            Route::Bulk => Box::pin(self.bulk(call)).await,
            Route::ServiceProviderConfig => self.service_provider_config(call),
            Route::ResourceTypes(id) => self.resource_types(call, id.as_deref()),
            Route::Schemas(id) => self.schemas(call, id.as_deref()),
        }
    }

    async fn item(
        &self,
        call: &Call<'_>,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        match call.parts.method {
            Method::GET => self.http_read(call, kind, id).await,
            Method::PUT => Box::pin(self.http_put(call, kind, id)).await,
            Method::PATCH => Box::pin(self.http_patch(call, kind, id)).await,
            _ => self.http_delete(call, kind, id).await,
        }
    }

    /// The base URL resources are located under. Without a configured one it is made from
    /// the `Host` header, which must then be a host and port and nothing else: it ends up in
    /// `Location` and in bodies, where a crafted one would point clients elsewhere.
    fn base(&self, parts: &Parts, ctx: &RequestContext, prefix: &str) -> Result<String, ScimError> {
        if let Some(base) = &self.inner.base_url {
            return Ok(base.replace("{tenant}", ctx.tenant()));
        }
        let host =
            match parts.headers.get(http::header::HOST) {
                Some(value) => value.to_str().ok().filter(|h| is_host(h)).ok_or_else(|| {
                    ScimError::invalid_value("the Host header is not a host name")
                })?,
                None => parts
                    .uri
                    .authority()
                    .map_or("localhost", http::uri::Authority::as_str),
            };
        let mount = parts
            .extensions
            .get::<MountPath>()
            .map_or("", |m| m.0.trim_end_matches('/'));
        Ok(format!("http://{host}{mount}{prefix}"))
    }
}

/// Whether `host` is a `Host` header's host and optional port (RFC 9110 §7.2), with no user
/// information, path or other characters.
fn is_host(host: &str) -> bool {
    // After an IPv6 literal's brackets, a colon starts the port.
    let tail = host.rsplit_once(']').map_or(host, |(_, tail)| tail);
    let port_ok = tail
        .rsplit_once(':')
        .is_none_or(|(_, port)| port.parse::<u16>().is_ok());
    port_ok
        && host.parse::<http::uri::Authority>().is_ok_and(|a| {
            !a.as_str().contains('@')
                && !a.host().is_empty()
                && a.host()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b))
        })
}

/// `413` for a body above `limit` bytes, which `whose` (the service, a tenant) accepts.
pub(super) fn too_large(limit: usize, whose: &str) -> ScimError {
    ScimError::new(
        413,
        format!("the request body is larger than the {limit} bytes {whose} accepts"),
    )
}

fn no_endpoint(path: &str) -> ScimError {
    ScimError::not_found(format!("there is no SCIM endpoint at {path}"))
}

impl<S: ScimStore> Engine<S> {
    /// The `WWW-Authenticate` challenges of a `401`: one per scheme the authenticator
    /// accepts.
    fn challenge(&self, response: &mut Response<Bytes>) {
        let schemes = self.inner.auth.schemes();
        if schemes == [crate::engine::AuthScheme::Bearer] {
            return;
        }
        let headers = response.headers_mut();
        headers.remove(http::header::WWW_AUTHENTICATE);
        for scheme in schemes {
            headers.append(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static(scheme.challenge()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers() {
        for good in [
            "example.com",
            "example.com:8080",
            "127.0.0.1:18080",
            "[::1]:80",
            "my_host",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "evil.com/x",
            "user@evil.com",
            "evil.com:99999999",
            "evil.com?x",
            "\"<script>",
            "evil.com:",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }
}
