//! The gates every request passes before it is routed, in this order:
//!
//! 1. **Size**: the body is within the service's limit (`413`).
//! 2. **Tenant URL**: the path is under a tenant URL, and names the tenant when the engine
//!    takes it from the path; `/dry-run` after it makes the request a dry run (`404`).
//! 3. **Authentication**: the authenticator names the caller and its tenant (`401`), which
//!    must be the path's (`401`) and one the store keeps (`403`).
//! 4. **Tenant settings**: the tenant is enabled (`403` with the app's message), within its
//!    rate limit (`429` with `Retry-After`), and the body within its own limit (`413`).
//!
//! Each gate answers with its own error; none touches the store.

use std::time::Instant;

use bytes::Bytes;
use http::Response;
use http::request::Parts;

use super::{no_endpoint, reply, too_large};
use crate::engine::{Engine, tenants};
use crate::{Compat, RequestContext, ScimError, ScimStore};

/// A request the gates let through.
pub(super) struct Admitted<'p> {
    /// Whose request it is.
    pub(super) ctx: RequestContext,
    /// The tenant's compatibility policy.
    pub(super) compat: Compat,
    /// The most resources a list answers, for this tenant.
    pub(super) max_results: usize,
    /// The tenant URL's part of the path (`/scim/acme/v2`, `/dry-run` included).
    pub(super) prefix: &'p str,
    /// The path below the tenant URL (`/Users/2819c223`).
    pub(super) rest: &'p str,
}

/// Why a request was stopped: an error, or a tenant over its rate limit (a `429` with
/// `Retry-After`).
pub(super) enum Refused {
    Error(ScimError),
    TooMany(std::time::Duration),
}

impl From<ScimError> for Refused {
    fn from(err: ScimError) -> Self {
        Self::Error(err)
    }
}

impl Refused {
    /// The answer, the error it is made of noted in `trace`.
    pub(super) fn into_response(self, trace: &mut super::Trace) -> Response<Bytes> {
        match self {
            Self::Error(err) => reply::error(&trace.refused(err)),
            Self::TooMany(wait) => {
                let (err, response) = reply::too_many_requests(wait);
                trace.error = Some(err);
                response
            }
        }
    }
}

impl<S: ScimStore> Engine<S> {
    /// Passes a request through the gates, in order.
    pub(super) fn admit<'p>(
        &self,
        parts: &'p Parts,
        body: &Bytes,
        request_id: String,
        trace: &mut super::Trace,
    ) -> Result<Admitted<'p>, Refused> {
        // 1. Size.
        if body.len() > self.body_limit() {
            return Err(too_large(self.body_limit(), "this service").into());
        }
        // 2. Tenant URL.
        let path = parts.uri.path();
        let located = tenants::locate(self.inner.tenant_path.as_ref(), path)
            .ok_or_else(|| no_endpoint(path))?;
        // The path's tenant: its log shows refused credentials too.
        trace.tenant.clone_from(&located.tenant);
        trace.dry_run = located.dry_run;
        trace.rest = Some(located.rest.to_owned());
        // 3. Authentication, and the tenant it names.
        let principal = self.inner.auth.authenticate(parts)?;
        if located
            .tenant
            .as_ref()
            .is_some_and(|t| *t != principal.tenant)
        {
            return Err(
                ScimError::unauthorized("the bearer token is not valid for this tenant").into(),
            );
        }
        trace.tenant = Some(principal.tenant.clone());
        trace.client.clone_from(&principal.client);
        if let Err(err) = self.check_tenant(&principal.tenant) {
            // The authenticator lets in a tenant the store does not keep apart: a
            // configuration mistake, refused before the store could mix tenants.
            tracing::error!("the store serves a single tenant; this token is for another");
            return Err(err.into());
        }
        // 4. The tenant's settings.
        let settings = self.inner.tenants.get(&principal.tenant);
        if !settings.enabled {
            let detail = settings
                .disabled_detail
                .unwrap_or_else(|| "provisioning is disabled for this tenant".to_owned());
            return Err(ScimError::new(403, detail).into());
        }
        if let Some(limit) = settings.rate_limit.or(self.inner.rate_limit)
            && let Err(wait) = self
                .inner
                .limiter
                .take(&principal.tenant, limit, Instant::now())
        {
            return Err(Refused::TooMany(wait));
        }
        if let Some(max) = settings.max_payload_size.filter(|max| body.len() > *max) {
            return Err(too_large(max, "this tenant").into());
        }

        let mut ctx =
            RequestContext::with_id(principal.tenant, request_id).with_dry_run(located.dry_run);
        if let Some(client) = principal.client {
            ctx = ctx.with_client(client);
        }
        let max_results = self.inner.config.max_results;
        Ok(Admitted {
            ctx,
            compat: settings.compat.unwrap_or(self.inner.compat),
            max_results: settings
                .max_results
                .map_or(max_results, |m| m.min(max_results)),
            prefix: located.prefix,
            rest: located.rest,
        })
    }
}
