//! Prometheus metrics: requests by tenant, resource type, method and status, their latency,
//! the store's calls and their latency. Recorded through the `metrics` facade: without an
//! installed recorder ([`Metrics::install`]) every recording is a no-op.
//!
//! | metric | labels |
//! | --- | --- |
//! | `scim_requests_total` (counter) | `tenant`, `resource`, `method`, `status` |
//! | `scim_request_duration_seconds` (histogram) | `tenant`, `resource`, `method` |
//! | `scim_store_call_duration_seconds` (histogram) | `operation` |
//! | `scim_store_errors_total` (counter) | `operation` |
//!
//! `tenant` is `-` for a request refused before its tenant was proven (`401`, `403`), so that
//! a client cannot grow the label set by inventing tenant names; `resource` is one of the
//! endpoints SCIM defines, else `other`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use scim_core::engine::EventSink;
use scim_core::{
    ListPage, ListQuery, LogPage, LogQuery, MemberChange, MembersChanged, Projection, Provenance,
    RequestContext, RequestRecord, Resource, ResourceKind, SchemaRegistry, ScimStore,
    StoreCapabilities, StoreError, Version,
};

/// Latency buckets, in seconds: from a cached read (1 ms) to a slow database (10 s).
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, rendering Prometheus's text format.
#[derive(Debug, Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the recorder for the whole process (once: a second call fails).
    pub fn install() -> Result<Self, crate::Error> {
        let handle = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)?
            .install_recorder()?;
        Ok(Self { handle })
    }

    /// Everything recorded, in Prometheus's text format (what `/metrics` answers).
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// The endpoints SCIM defines: a label value from a bounded set.
const RESOURCES: [&str; 7] = [
    "Users",
    "Groups",
    "Bulk",
    "Me",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
];

/// The tenant and resource of a SCIM path below the router's mount point:
/// `/{tenant}/v2/[dry-run/]{resource}...`, or `/{resource}...` for a single-tenant mount.
fn labels(path: &str) -> (String, &'static str) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (tenant, rest) = match segments.iter().position(|s| *s == "v2") {
        Some(at) if at > 0 => (segments[at - 1].to_owned(), &segments[at + 1..]),
        Some(at) => ("default".to_owned(), &segments[at + 1..]),
        None => ("default".to_owned(), &segments[..]),
    };
    let rest = match rest.first() {
        Some(&"dry-run") => &rest[1..],
        _ => rest,
    };
    let resource = rest
        .first()
        .and_then(|first| RESOURCES.iter().find(|r| *r == first))
        .copied()
        .unwrap_or("other");
    (tenant, resource)
}

/// Axum middleware recording each request's count and latency (`axum::middleware::from_fn`,
/// on the SCIM router).
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let (tenant, resource) = labels(request.uri().path());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let tenant = if status == 401 || status == 403 {
        "-".to_owned()
    } else {
        tenant
    };
    histogram!(
        "scim_request_duration_seconds",
        "tenant" => tenant.clone(), "resource" => resource, "method" => method.clone()
    )
    .record(started.elapsed().as_secs_f64());
    counter!(
        "scim_requests_total",
        "tenant" => tenant, "resource" => resource, "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    response
}

/// A store whose every call is timed (`scim_store_call_duration_seconds`), and whose
/// failures (the store's own: a database down, not a `404` or a `409`) are counted.
#[derive(Debug, Clone)]
pub struct Metered<S>(pub S);

impl<S> Metered<S> {
    /// The store inside.
    pub fn inner(&self) -> &S {
        &self.0
    }
}

async fn timed<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = call.await;
    histogram!("scim_store_call_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    if let Err(StoreError::Backend(_)) = &result {
        counter!("scim_store_errors_total", "operation" => operation).increment(1);
    }
    result
}

impl<S: ScimStore> ScimStore for Metered<S> {
    fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        timed("create", self.0.create(ctx, resource))
    }

    fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        timed("get", self.0.get(ctx, kind, id))
    }

    fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> impl Future<Output = Result<ListPage, StoreError>> + Send {
        timed("list", self.0.list(ctx, kind, query))
    }

    fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        timed("replace", self.0.replace(ctx, resource, expected))
    }

    fn replace_from(
        &self,
        ctx: &RequestContext,
        previous: &Resource,
        resource: Resource,
        expected: &Version,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        timed(
            "replace",
            self.0.replace_from(ctx, previous, resource, expected),
        )
    }

    fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        timed("delete", self.0.delete(ctx, kind, id, expected))
    }

    fn capabilities(&self) -> StoreCapabilities {
        self.0.capabilities()
    }

    fn schema_registry(&self) -> Option<Arc<SchemaRegistry>> {
        self.0.schema_registry()
    }

    fn record_request(&self, record: RequestRecord) {
        self.0.record_request(record);
    }

    fn request_log(
        &self,
        tenant: &str,
        query: &LogQuery,
    ) -> impl Future<Output = Result<LogPage, StoreError>> + Send {
        self.0.request_log(tenant, query)
    }

    fn deliver_events(&self, sink: Arc<dyn EventSink>) {
        self.0.deliver_events(sink);
    }

    fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> impl Future<Output = Result<Resource, StoreError>> + Send {
        timed("get", self.0.get_projected(ctx, kind, id, projection))
    }

    fn display_names(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        ids: &[&str],
    ) -> impl Future<Output = Result<HashMap<String, String>, StoreError>> + Send {
        timed("display_names", self.0.display_names(ctx, kind, ids))
    }

    fn provenance(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> impl Future<Output = Result<Provenance, StoreError>> + Send {
        timed("provenance", self.0.provenance(ctx, kind, id))
    }

    fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<MembersChanged, StoreError>> + Send {
        timed(
            "modify_members",
            self.0.modify_members(ctx, group_id, change, expected),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::labels;

    #[test]
    fn labels_come_from_a_bounded_set() {
        assert_eq!(labels("/acme/v2/Users/42"), ("acme".into(), "Users"));
        assert_eq!(labels("/acme/v2/dry-run/Groups"), ("acme".into(), "Groups"));
        assert_eq!(labels("/Users"), ("default".into(), "Users"));
        assert_eq!(labels("/acme/v2/Bulk"), ("acme".into(), "Bulk"));
        assert_eq!(
            labels("/acme/v2/.env"),
            ("acme".into(), "other"),
            "a path SCIM does not define is `other`, whatever it is"
        );
    }
}
