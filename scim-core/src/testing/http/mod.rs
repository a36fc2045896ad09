//! The framework-neutral HTTP suite: what a SCIM endpoint answers, request by request, for
//! every rule of the engine and every request shape Entra and Okta send
//! (the catalogue in `scim-core/docs/compatibility.md`, whose row names the cases cite).
//!
//! An adapter implements [`Harness`] (a fresh store for each case, serve an [`Engine`] over
//! it, give a client that sends requests to it) and expands
//! [`scim_http_tests!`](crate::scim_http_tests) to run every case as a `#[test]`:
//!
//! ```ignore
//! struct Axum;
//! impl scim_core::testing::http::Harness for Axum { /* ... */ }
//! scim_core::scim_http_tests!(Axum);
//! ```
//!
//! Paths in requests are relative to the endpoint (`/Users`); the client adds its mount
//! prefix. Every case builds its own engine over a fresh store from [`Harness::store`]: an
//! adapter's suite gives [`MemoryStore`]s, a store's suite gives its own (a SQL store on a
//! fresh database), so the same requests prove the adapter and the store.

mod concurrency;
mod cursors;
mod hooks;
mod hostile;
mod patch;
mod plans;
mod profiles;
mod protocol;
mod queries;
mod resources;
mod tenants;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use serde_json::{Value, json};

use crate::engine::{BearerToken, Engine, EngineBuilder};
use crate::{AttrType, Attribute, MemoryStore, ResourceKind, Schema, SchemaRegistry, ScimStore};

pub use concurrency::{concurrent_conditional_patches, concurrent_creates, concurrent_patches};
pub use cursors::cursor_paging;
pub use hooks::{bulk, events, write_rules};
pub use hostile::{crafted_host, hostile_requests};
pub use patch::{
    large_group_membership, patch_deactivate, patch_entra_roles, patch_entra_users, patch_errors,
    patch_groups, patch_no_content, patch_versions,
};
pub use plans::{basic_authentication, resource_type_gating};
pub use profiles::{lenient_profile, member_display};
pub use protocol::{
    authentication, body_limit, create_errors, discovery, etags, malformed_bodies, media_types,
    routes_and_methods, tenants_and_locations,
};
pub use queries::{
    filter_lookups, groups_without_members, invalid_filters, paging, projection, search_endpoints,
    sorting,
};
pub use resources::{
    create_group_entra, create_user, create_with_nulls, delete_resources, duplicates_are_409,
    location_from_host_and_mount, me_hook, password_never_returned, put_replaces,
    unknown_id_is_404,
};
pub use tenants::{cross_tenant, dry_run, rate_limits, tenant_settings, token_rotation};

/// The bearer token the suite's engines accept.
pub const TOKEN: &str = "scim-http-suite-token";
/// The public base URL the suite's engines are configured with.
pub const BASE_URL: &str = "https://scim.example.com/scim/v2";
/// The custom User extension the suite's engines know (Entra's `CustomExtensionName`).
pub const CUSTOM_URN: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Sends one request to the endpoint under test.
pub trait HttpClient: Send + Sync + 'static {
    /// The response to `request`, whose path is relative to the endpoint.
    fn send(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send;
}

/// Serves an engine the way an adapter does.
pub trait Harness: Send + Sync + 'static {
    /// The client the served engine answers.
    type Client: HttpClient;
    /// The store the cases run on.
    type Store: ScimStore + Clone;
    /// A fresh, empty store knowing `registry`'s schemas, for one case.
    fn store(&self, registry: Arc<SchemaRegistry>) -> impl Future<Output = Self::Store> + Send;
    /// Serves `engine` and gives a client for it.
    fn serve(&self, engine: Engine<Self::Store>) -> impl Future<Output = Self::Client> + Send;

    /// Where the client mounts the endpoint (`/scim/v2`): the prefix an engine without a
    /// configured base URL must put in `Location`. Default: none.
    fn mount(&self) -> &str {
        ""
    }
}

/// Requests straight into [`Engine::handle`], with no web framework: how scim-core runs the
/// suite itself.
impl<S: ScimStore> HttpClient for Engine<S> {
    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.handle(request).await
    }
}

/// The engine configuration the cases start from: the suite's token and base URL, Entra's
/// custom extension registered, everything else default.
pub fn engine() -> EngineBuilder<MemoryStore> {
    let custom = Schema::new(CUSTOM_URN, "CustomExtension")
        .with_attribute(Attribute::new("tag", AttrType::String))
        .with_attribute(Attribute::new("folders", AttrType::String).multi_valued());
    let registry = Arc::new(
        SchemaRegistry::new()
            .with_extension(ResourceKind::User, custom, false)
            .expect("the custom extension is valid"),
    );
    Engine::builder(
        MemoryStore::with_registry(Arc::clone(&registry)),
        BearerToken::new(TOKEN),
    )
    .registry(registry)
    .base_url(BASE_URL)
    .hide_attribute(USER, "x509Certificates")
}

/// A response, read.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
}

impl Reply {
    /// Asserts the status, showing the body if it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts a SCIM error with `status` and `scim_type`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, scim_type: Option<&str>) -> &Self {
        self.expect(status);
        assert_eq!(self.body["schemas"], json!([ERROR]), "{}", self.body);
        assert_eq!(
            self.body["status"],
            json!(status.to_string()),
            "{}",
            self.body
        );
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.body);
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "an error says what went wrong: {}",
            self.body
        );
        self.expect_scim_json();
        self
    }

    /// Asserts the body is labelled `application/scim+json`.
    #[track_caller]
    pub fn expect_scim_json(&self) -> &Self {
        assert_eq!(
            self.header("content-type"),
            Some("application/scim+json"),
            "SCIM bodies are application/scim+json"
        );
        self
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The resource's `id`.
    #[track_caller]
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
            .to_owned()
    }

    /// `totalResults` of a list response.
    #[track_caller]
    pub fn total(&self) -> u64 {
        self.expect(200);
        assert_eq!(self.body["schemas"], json!([LIST]), "{}", self.body);
        self.body["totalResults"].as_u64().expect("totalResults")
    }

    /// The `Resources` of a list response.
    pub fn resources(&self) -> Vec<Value> {
        self.body["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// A client with the suite's conveniences.
#[derive(Debug)]
pub struct Client<C> {
    inner: Arc<C>,
}

impl<C> Clone for Client<C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: HttpClient> Client<C> {
    /// Wraps `client`.
    pub fn new(client: C) -> Self {
        Self {
            inner: Arc::new(client),
        }
    }

    /// Sends a request built by the caller, as is.
    pub async fn raw(&self, request: Request<Bytes>) -> Reply {
        let response = self.inner.send(request).await;
        let (parts, body) = response.into_parts();
        let body = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "response bodies are JSON ({e}): {}",
                    String::from_utf8_lossy(&body)
                )
            })
        };
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// A request with the suite's token and, with a body, `application/scim+json`.
    pub fn request(method: Method, path: &str, body: Option<&Value>) -> http::request::Builder {
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"));
        match body {
            Some(_) => builder.header("content-type", "application/scim+json"),
            None => builder,
        }
    }

    /// Sends `method path` with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let bytes = body
            .as_ref()
            .map(|b| Bytes::from(serde_json::to_vec(b).expect("JSON")))
            .unwrap_or_default();
        let request = Self::request(method, path, body.as_ref())
            .body(bytes)
            .expect("a valid request");
        self.raw(request).await
    }

    /// Sends `method path` with an optional JSON body and `token` as the bearer token.
    pub async fn as_bearer(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body
            .as_ref()
            .map(|b| Bytes::from(serde_json::to_vec(b).expect("JSON")))
            .unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/scim+json")
            .body(bytes)
            .expect("a valid request");
        self.raw(request).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    /// `POST path` with `body`.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT path` with `body`.
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `PATCH path` with a PatchOp of `operations`.
    pub async fn patch(&self, path: &str, operations: Value) -> Reply {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// `GET /Users?filter=...`, encoding the filter.
    pub async fn filter(&self, endpoint: &str, filter: &str) -> Reply {
        let encoded: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        self.get(&format!("{endpoint}?filter={encoded}")).await
    }

    /// Creates a user named `name` (Entra's create shape), asserting `201`; its id.
    pub async fn user(&self, name: &str) -> String {
        self.post("/Users", entra_user(name)).await.expect(201).id()
    }

    /// Creates a group named `name`, asserting `201`; its id.
    pub async fn group(&self, name: &str) -> String {
        self.post("/Groups", json!({"schemas": [GROUP], "displayName": name}))
            .await
            .expect(201)
            .id()
    }
}

/// What Entra sends to create a user (the compatibility guide's U1).
pub fn entra_user(name: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": format!("ext-{name}"),
        "userName": name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": format!("{name}@example.com")}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ms. Barbara J Jensen", "familyName": "Jensen", "givenName": "Barbara"},
        "roles": [],
    })
}

/// The case's engine (configured over a placeholder `MemoryStore`) served over a fresh
/// store of the harness.
async fn client<H: Harness>(harness: &H, engine: EngineBuilder<MemoryStore>) -> Client<H::Client> {
    let store = harness.store(Arc::clone(engine.schema_registry())).await;
    client_over(harness, engine, store).await
}

/// [`client`] over `store`, a handle the case keeps to look inside.
async fn client_over<H: Harness>(
    harness: &H,
    engine: EngineBuilder<MemoryStore>,
    store: H::Store,
) -> Client<H::Client> {
    Client::new(harness.serve(engine.with_store(store).build()).await)
}

/// The events `events` holds once there are at least `n` (waiting up to ten seconds: a
/// store that keeps events durably delivers them from a task of its own, after the
/// answer), taken out of it in order.
async fn arrived(
    events: &std::sync::Mutex<Vec<crate::engine::Event>>,
    n: usize,
) -> Vec<crate::engine::Event> {
    let start = std::time::Instant::now();
    loop {
        {
            let mut held = events.lock().expect("lock");
            if held.len() >= n {
                return held.drain(..).collect();
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "waited ten seconds for {n} events; arrived: {held:?}"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Everything `tenant` holds, as the store lists it (versions included): to check a dry run
/// left it as it was.
async fn snapshot<S: ScimStore>(store: &S, tenant: &str) -> Vec<Value> {
    let ctx = crate::RequestContext::new(tenant);
    let mut all = Vec::new();
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let page = store
            .list(&ctx, kind, &crate::ListQuery::new())
            .await
            .expect("the store lists");
        all.extend(page.resources.into_iter().map(crate::Resource::into_json));
    }
    all
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Expands to one `#[test]` per HTTP suite case for `$harness` (a value implementing
/// [`Harness`](crate::testing::http::Harness)). With `optional:`, `$harness` is an
/// `Option` and a `None` (a database that is not there, which the expression should say)
/// passes each case without running it.
#[macro_export]
macro_rules! scim_http_tests {
    (optional: $harness:expr) => {
        $crate::scim_http_tests!(@list optional $harness);
    };
    ($harness:expr) => {
        $crate::scim_http_tests!(@list required $harness);
    };
    (@list $mode:ident $harness:expr) => {
        $crate::scim_http_tests!(@cases $mode $harness;
            create_user,
            password_never_returned,
            create_with_nulls,
            create_group_entra,
            member_display,
            lenient_profile,
            cursor_paging,
            location_from_host_and_mount,
            unknown_id_is_404,
            duplicates_are_409,
            filter_lookups,
            invalid_filters,
            paging,
            sorting,
            projection,
            groups_without_members,
            search_endpoints,
            put_replaces,
            patch_entra_users,
            patch_entra_roles,
            me_hook,
            patch_deactivate,
            patch_groups,
            large_group_membership,
            patch_versions,
            patch_no_content,
            patch_errors,
            create_errors,
            malformed_bodies,
            media_types,
            body_limit,
            etags,
            delete_resources,
            authentication,
            tenants_and_locations,
            routes_and_methods,
            discovery,
            concurrent_patches,
            concurrent_creates,
            concurrent_conditional_patches,
            hostile_requests,
            crafted_host,
            token_rotation,
            cross_tenant,
            dry_run,
            tenant_settings,
            resource_type_gating,
            basic_authentication,
            rate_limits,
            events,
            write_rules,
            bulk,
        );
    };
    (@cases required $harness:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    $crate::testing::http::$case(&$harness).await;
                });
            }
        )*
    };
    (@cases optional $harness:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    if let Some(harness) = $harness {
                        $crate::testing::http::$case(&harness).await;
                    }
                });
            }
        )*
    };
}
