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
    /// Installs the recorder for the whole process (once: a second call fails), and a
    /// thread that folds the histograms' samples into their buckets every five seconds
    /// (without it they would wait, in memory, for the next scrape).
    pub fn install() -> Result<Self, crate::Error> {
        let handle = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)?
            .install_recorder()?;
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("scim-metrics".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })?;
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
fn labels(path: &str) -> (&str, &'static str) {
    let path = path.trim_start_matches('/');
    let (tenant, rest) = match path.split_once("/v2") {
        Some((tenant, rest)) if !tenant.contains('/') => (tenant, rest),
        _ => ("default", path),
    };
    let rest = rest.trim_start_matches('/');
    let rest = rest.strip_prefix("dry-run/").unwrap_or(rest);
    let first = rest.split(['/', '?']).next().unwrap_or_default();
    let resource = RESOURCES
        .iter()
        .find(|r| **r == first)
        .copied()
        .unwrap_or("other");
    (if tenant.is_empty() { "default" } else { tenant }, resource)
}

/// A method as a label value: the ones SCIM uses, else `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// Axum middleware recording each request's count and latency (`axum::middleware::from_fn`,
/// on the SCIM router).
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let (tenant, resource) = labels(request.uri().path());
    let tenant = tenant.to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let tenant = match status.as_u16() {
        401 | 403 => "-".to_owned(),
        _ => tenant,
    };
    histogram!(
        "scim_request_duration_seconds",
        "tenant" => tenant.clone(), "resource" => resource, "method" => method
    )
    .record(started.elapsed().as_secs_f64());
    counter!(
        "scim_requests_total",
        "tenant" => tenant, "resource" => resource, "method" => method,
        "status" => status.as_str().to_owned()
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
        assert_eq!(labels("/acme/v2/Users/42"), ("acme", "Users"));
        assert_eq!(labels("/acme/v2/dry-run/Groups"), ("acme", "Groups"));
        assert_eq!(labels("/Users"), ("default", "Users"));
        assert_eq!(labels("/Users/7"), ("default", "Users"));
        assert_eq!(labels("/acme/v2/Bulk"), ("acme", "Bulk"));
        assert_eq!(labels("/a/b/v2/Users"), ("default", "other"));
        assert_eq!(
            labels("/acme/v2/.env"),
            ("acme", "other"),
            "a path SCIM does not define is `other`, whatever it is"
        );
    }
}
