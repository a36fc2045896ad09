//! The framework-neutral HTTP suite: what a SCIM endpoint answers, request by request, for
//! every rule of the engine and every request shape Entra and Okta send
//! (`ENTRA.md` in the project's shared notes).
//!
//! An adapter implements [`Harness`] (serve an [`Engine`], give a client that sends requests
//! to it) and expands [`scim_http_tests!`](crate::scim_http_tests) to run every case as a
//! `#[test]`:
//!
//! ```ignore
//! struct Axum;
//! impl scim_core::testing::http::Harness for Axum { /* ... */ }
//! scim_core::scim_http_tests!(Axum);
//! ```
//!
//! Paths in requests are relative to the endpoint (`/Users`); the client adds its mount
//! prefix. Every case builds its own engine over a fresh [`MemoryStore`].

mod hostile;
mod saas;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use serde_json::{Value, json};

use crate::engine::{BearerToken, Engine, EngineBuilder, PatchResponse, Principal};
use crate::{
    AttrType, Attribute, MemoryStore, ResourceKind, Schema, SchemaRegistry, ScimStore,
    ServiceProviderConfig,
};

pub use hostile::{crafted_host, hostile_requests};
pub use saas::{
    bulk, cross_tenant, dry_run, events, rate_limits, tenant_settings, token_rotation, write_rules,
};

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
    /// Serves `engine` and gives a client for it.
    fn serve(&self, engine: Engine<MemoryStore>) -> impl Future<Output = Self::Client> + Send;

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

/// What Entra sends to create a user (ENTRA.md U1).
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

async fn client<H: Harness>(harness: &H, engine: EngineBuilder<MemoryStore>) -> Client<H::Client> {
    Client::new(harness.serve(engine.build()).await)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// `POST /Users`: `201`, the resource with `id` and `meta`, `Location` and `meta.location`
/// under the public base URL, `ETag` equal to `meta.version`.
pub async fn create_user<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("create");
    let created = c.post("/Users", entra_user(&name)).await;
    created.expect(201).expect_scim_json();
    let id = created.id();
    let location = format!("{BASE_URL}/Users/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.body["meta"]["location"], json!(location));
    assert_eq!(created.body["meta"]["resourceType"], json!("User"));
    assert_eq!(
        created.header("etag"),
        created.body["meta"]["version"].as_str()
    );
    assert_eq!(created.body["userName"], json!(name));
    assert_eq!(
        created.body["roles"],
        json!([]),
        "values come back as they were sent"
    );
    assert!(created.body.get("password").is_none());

    let read = c.get(&format!("/Users/{id}")).await;
    read.expect(200).expect_scim_json();
    assert_eq!(read.body, created.body, "what was created is what is read");
    assert_eq!(read.header("etag"), created.header("etag"));
}

/// `password` (returned "never") is in no answer: not on create, read, list, search, PATCH or
/// PUT, not when asked for by name, and not after the user changed. A store that writes
/// answers from its stored text must leave it out too.
pub async fn password_never_returned<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("secret");
    let mut body = entra_user(&name);
    body["password"] = json!("t1meMa$heen-2");
    let created = c.post("/Users", body.clone()).await;
    created.expect(201);
    let id = created.id();
    let path = format!("/Users/{id}");
    let filter = format!("/Users?filter=userName%20eq%20%22{name}%22");
    let patch = json!([{"op": "replace", "path": "title", "value": "Tour Guide"}]);
    let answers = [
        created,
        c.get(&path).await,
        c.get(&format!("{path}?attributes=password,userName")).await,
        c.get(&filter).await,
        c.get(&format!("{filter}&excludedAttributes=emails")).await,
        c.patch(&path, patch).await,
        c.put(&path, body).await,
        c.get(&path).await,
    ];
    for answer in answers {
        let text = answer.body.to_string();
        assert!(!text.contains("t1meMa$heen"), "password in {text}");
        assert!(!text.contains("\"password\""), "password in {text}");
    }
}

/// Entra's null attributes (Tutorial example 2) are accepted and mean "unassigned".
pub async fn create_with_nulls<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let mut body = entra_user(&unique("nulls"));
    body["addresses"] = Value::Null;
    body["phoneNumbers"] = Value::Null;
    body["title"] = Value::Null;
    let created = c.post("/Users", body).await;
    created.expect(201);
    assert!(created.body.get("title").is_none(), "{}", created.body);
}

/// A group as Entra creates it (G1): the legacy ADSCIM schema URN is tolerated, no members.
pub async fn create_group_entra<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let body = json!({
        "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": unique("Group"),
        "meta": {"resourceType": "Group"},
    });
    let created = c.post("/Groups", body).await;
    created.expect(201);
    assert_eq!(created.body["schemas"], json!([GROUP]));
    let location = format!("{BASE_URL}/Groups/{}", created.id());
    assert_eq!(created.header("location"), Some(location.as_str()));
}

/// Without a configured base URL, `Location` and `meta.location` come from the `Host`
/// header and the prefix the endpoint is mounted under.
pub async fn location_from_host_and_mount<H: Harness>(harness: &H) {
    let c = client(
        harness,
        Engine::builder(MemoryStore::new(), BearerToken::new(TOKEN)),
    )
    .await;
    let body = entra_user("mounted");
    let request = Client::<H::Client>::request(Method::POST, "/Users", Some(&body))
        .header("host", "app.example.com")
        .body(Bytes::from(serde_json::to_vec(&body).expect("JSON")))
        .expect("request");
    let created = c.raw(request).await;
    created.expect(201);
    let location = format!(
        "http://app.example.com{}/Users/{}",
        harness.mount(),
        created.id()
    );
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.body["meta"]["location"], json!(location));
}

/// `GET` of an unknown id is `404` with a SCIM error body (Entra, Okta R4/R12).
pub async fn unknown_id_is_404<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for path in ["/Users/no-such-id", "/Groups/no-such-id"] {
        c.get(path).await.expect_error(404, None);
        c.patch(
            path,
            json!([{"op": "replace", "path": "displayName", "value": "x"}]),
        )
        .await
        .expect_error(404, None);
        c.put(path, json!({"userName": "x", "displayName": "x"}))
            .await
            .expect_error(404, None);
        c.delete(path).await.expect_error(404, None);
    }
}

/// Duplicate `userName` (any case) and group `displayName` are `409 uniqueness` (U22, R8).
pub async fn duplicates_are_409<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("dup");
    c.user(&name).await;
    c.post("/Users", entra_user(&name.to_uppercase()))
        .await
        .expect_error(409, Some("uniqueness"));
    let group = unique("dup-group");
    c.group(&group).await;
    c.post("/Groups", json!({"displayName": group}))
        .await
        .expect_error(409, Some("uniqueness"));
    // A rename onto a taken name too.
    let other = c.user(&unique("other")).await;
    c.patch(
        &format!("/Users/{other}"),
        json!([{"op": "Replace", "path": "userName", "value": name}]),
    )
    .await
    .expect_error(409, Some("uniqueness"));
}

/// Lookups Entra and Okta make: always `200` with a ListResponse, `totalResults: 0` when
/// nothing matches, never `404` (U3-U5, G3, Okta R3/R5/R9).
pub async fn filter_lookups<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("Lookup");
    let id = c.user(&name).await;
    let random = uuid::Uuid::new_v4();
    let empty = c
        .filter("/Users", &format!("userName eq \"{random}\""))
        .await;
    assert_eq!(empty.total(), 0);
    assert_eq!(empty.body["Resources"], json!([]));
    empty.expect_scim_json();
    assert_eq!(
        c.filter("/Groups", &format!("displayName eq \"{random}\""))
            .await
            .total(),
        0
    );

    for filter in [
        format!("userName eq \"{name}\""),
        format!("userName eq \"{}\"", name.to_uppercase()),
        format!("externalId eq \"ext-{name}\""),
        format!("emails[type eq \"work\"].value eq \"{name}@example.com\""),
        format!("userName eq \"{name}\" and active eq true"),
    ] {
        let found = c.filter("/Users", &filter).await;
        assert_eq!(found.total(), 1, "{filter}");
        assert_eq!(found.resources()[0]["id"], json!(id), "{filter}");
    }
    // Okta's existence check carries paging too.
    let encoded: String =
        form_urlencoded::byte_serialize(format!("userName eq \"{name}\"").as_bytes()).collect();
    let okta = c
        .get(&format!("/Users?filter={encoded}&startIndex=1&count=100"))
        .await;
    assert_eq!(okta.total(), 1);
    assert_eq!(okta.body["startIndex"], json!(1));
    assert_eq!(okta.body["itemsPerPage"], json!(1));
}

/// A filter that does not parse is `400 invalidFilter`, including unquoted values (which
/// Entra's oldest tutorial shows and the grammar forbids).
pub async fn invalid_filters<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for filter in [
        "userName eq",
        "userName eq jyoung",
        "(userName eq \"a\"",
        "userName zz \"a\"",
    ] {
        c.filter("/Users", filter)
            .await
            .expect_error(400, Some("invalidFilter"));
    }
    c.get("/Users?sortBy=%5B")
        .await
        .expect_error(400, Some("invalidPath"));
    c.get("/Users?sortBy=userName&sortOrder=sideways")
        .await
        .expect_error(400, Some("invalidValue"));
    c.get("/Users?attributes=emails%5B")
        .await
        .expect_error(400, Some("invalidPath"));
}

/// `startIndex`, `count`, `itemsPerPage`, `totalResults`: `count` clamped to `maxResults`,
/// `count=0` returns only the total, out-of-range values read as the RFC says.
pub async fn paging<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        max_results: 3,
        ..ServiceProviderConfig::default()
    };
    let c = client(harness, engine().service_provider_config(config)).await;
    for i in 0..5 {
        c.user(&format!("page-{i}")).await;
    }
    let page = c.get("/Users?startIndex=2&count=2&sortBy=userName").await;
    assert_eq!(page.total(), 5);
    assert_eq!(page.body["startIndex"], json!(2));
    assert_eq!(page.body["itemsPerPage"], json!(2));
    let names: Vec<_> = page
        .resources()
        .iter()
        .map(|r| r["userName"].clone())
        .collect();
    assert_eq!(names, [json!("page-1"), json!("page-2")]);

    let clamped = c.get("/Users?count=1000000000000").await;
    assert_eq!(clamped.total(), 5);
    assert_eq!(
        clamped.body["itemsPerPage"],
        json!(3),
        "count is clamped to maxResults"
    );
    assert_eq!(c.get("/Users").await.body["itemsPerPage"], json!(3));

    let only_total = c.get("/Users?count=0").await;
    assert_eq!(only_total.total(), 5);
    assert_eq!(only_total.resources().len(), 0);
    assert_eq!(c.get("/Users?count=-1").await.resources().len(), 0);

    let zero = c.get("/Users?startIndex=0&count=1").await;
    assert_eq!(
        zero.body["startIndex"],
        json!(1),
        "startIndex below 1 reads as 1"
    );
    assert_eq!(zero.resources().len(), 1);
    let past = c.get("/Users?startIndex=99").await;
    assert_eq!(past.total(), 5);
    assert_eq!(past.resources().len(), 0);
    c.get("/Users?count=ten")
        .await
        .expect_error(400, Some("invalidValue"));
}

/// `sortBy` and `sortOrder`.
pub async fn sorting<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for name in ["b-sort", "c-sort", "a-sort"] {
        c.user(name).await;
    }
    let names = |r: &Reply| -> Vec<Value> {
        r.resources()
            .iter()
            .map(|u| u["userName"].clone())
            .collect()
    };
    let asc = c.get("/Users?sortBy=userName").await;
    assert_eq!(
        names(&asc),
        [json!("a-sort"), json!("b-sort"), json!("c-sort")]
    );
    let desc = c.get("/Users?sortBy=userName&sortOrder=descending").await;
    assert_eq!(
        names(&desc),
        [json!("c-sort"), json!("b-sort"), json!("a-sort")]
    );
}

/// `attributes` and `excludedAttributes` on lists and single resources; `id` and `schemas`
/// always come back.
pub async fn projection<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("proj");
    let id = c.user(&name).await;
    let only = c.get(&format!("/Users/{id}?attributes=userName")).await;
    only.expect(200);
    let keys: Vec<&String> = only.body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["schemas", "id", "userName"], "{}", only.body);

    let without = c
        .get(&format!("/Users/{id}?excludedAttributes=emails,name"))
        .await;
    assert!(without.body.get("emails").is_none() && without.body.get("name").is_none());
    assert_eq!(without.body["userName"], json!(name));

    let listed = c
        .get("/Users?attributes=emails.value&filter=userName%20pr")
        .await;
    let first = &listed.resources()[0];
    assert_eq!(
        first["emails"],
        json!([{"value": format!("{name}@example.com")}])
    );
    assert!(first.get("userName").is_none());

    // Attributes on a write response too.
    let patched = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}?attributes=title"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "CEO"}]})),
        )
        .await;
    assert_eq!(patched.expect(200).body["title"], json!("CEO"));
    assert!(patched.body.get("userName").is_none());
}

/// Groups as Entra reads them: `excludedAttributes=members` by id and in a lookup (G2, G3),
/// and the membership check `id eq ... and members[value eq ...]`.
pub async fn groups_without_members<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let user = c.user(&unique("member")).await;
    let name = unique("Team");
    let group = c
        .post(
            "/Groups",
            json!({"displayName": name, "members": [{"value": user}]}),
        )
        .await
        .expect(201)
        .id();
    let by_id = c
        .get(&format!("/Groups/{group}?excludedAttributes=members"))
        .await;
    assert!(by_id.expect(200).body.get("members").is_none());
    assert_eq!(by_id.body["displayName"], json!(name));

    let encoded: String =
        form_urlencoded::byte_serialize(format!("displayName eq \"{name}\"").as_bytes()).collect();
    let lookup = c
        .get(&format!(
            "/Groups?excludedAttributes=members&filter={encoded}"
        ))
        .await;
    assert_eq!(lookup.total(), 1);
    assert!(lookup.resources()[0].get("members").is_none());

    let member = c
        .filter(
            "/Groups",
            &format!("id eq \"{group}\" and members[value eq \"{user}\"]"),
        )
        .await;
    assert_eq!(member.total(), 1);
    let stranger = c
        .filter(
            "/Groups",
            &format!("id eq \"{group}\" and members[value eq \"nobody\"]"),
        )
        .await;
    assert_eq!(stranger.total(), 0);
}

/// `POST /Users/.search` and `POST /.search` (RFC 7644 §3.4.3).
pub async fn search_endpoints<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("searched");
    c.user(&name).await;
    c.group(&format!("{name}-group")).await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": format!("userName eq \"{name}\""),
        "attributes": ["userName"],
        "startIndex": 1,
        "count": 10,
    });
    let users = c.post("/Users/.search", body).await;
    assert_eq!(users.total(), 1);
    assert_eq!(users.resources()[0]["userName"], json!(name));
    assert!(users.resources()[0].get("emails").is_none());

    let root = c
        .post(
            "/.search",
            json!({"filter": format!("userName sw \"{name}\" or displayName sw \"{name}\"")}),
        )
        .await;
    assert_eq!(root.total(), 2, "{}", root.body);
    let kinds: Vec<_> = root
        .resources()
        .iter()
        .map(|r| r["meta"]["resourceType"].clone())
        .collect();
    assert_eq!(kinds, [json!("User"), json!("Group")]);
    c.get("/Users/.search").await.expect_error(405, None);
    c.post("/Users/.search", json!({"count": "many"}))
        .await
        .expect_error(400, Some("invalidValue"));
}

/// `PUT` replaces everything but readOnly and immutable attributes; a new ETag.
pub async fn put_replaces<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("put");
    let id = c.user(&name).await;
    let before = c.get(&format!("/Users/{id}")).await;
    let mut body = before.body.clone();
    body["displayName"] = json!("Babs");
    body.as_object_mut().expect("object").remove("emails");
    body["id"] = json!("ignored");
    let put = c.put(&format!("/Users/{id}"), body).await;
    put.expect(200).expect_scim_json();
    assert_eq!(put.body["id"], json!(id));
    assert_eq!(put.body["displayName"], json!("Babs"));
    assert!(
        put.body.get("emails").is_none(),
        "PUT replaces: what is omitted goes"
    );
    assert_eq!(put.body["meta"]["created"], before.body["meta"]["created"]);
    assert_ne!(put.header("etag"), before.header("etag"));
    // Okta puts back what it read, readOnly attributes and all: nothing changes.
    let again = c.put(&format!("/Users/{id}"), put.body.clone()).await;
    assert_eq!(again.expect(200).header("etag"), put.header("etag"));
    c.put(
        &format!("/Users/{id}"),
        json!({"displayName": "no userName"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
}

/// Entra's user PATCH shapes, before and after `aadOptscim062020` (U6-U14, U16, U20), each
/// read back.
pub async fn patch_entra_users<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("patch");
    let id = c.user(&name).await;
    let manager = c.user(&unique("manager")).await;
    let path = format!("/Users/{id}");
    let ok = |r: Reply| {
        assert!(
            r.status == 200 || r.status == 204,
            "{}: {}",
            r.status,
            r.body
        );
    };
    ok(c.patch(
        &path,
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Doe"},
        ]),
    )
    .await);
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
    )
    .await);
    ok(c.patch(&path, json!([{"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "701984"}])).await);
    ok(c.patch(
        &path,
        json!([{"op": "replace", "value": {
            "displayName": "Bjfe",
            "name.givenName": "Kkom",
            format!("{ENTERPRISE}:department"): "Tour Operations",
        }}]),
    )
    .await);
    ok(c.patch(&path, json!([{"op": "add", "path": "emails[type eq \"home\"].value", "value": "home@example.com"}])).await);
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager}]),
    )
    .await);
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": format!("{CUSTOM_URN}:tag"), "value": "701984"}]),
    )
    .await);
    ok(c.patch(&path, json!([{"op": "Add", "path": "roles", "value": [{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]}])).await);

    let user = c.get(&path).await.expect(200).body.clone();
    let work: Vec<_> = user["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .filter(|e| e["type"] == "work")
        .collect();
    assert_eq!(
        work,
        [&json!({"primary": true, "type": "work", "value": "new@example.com"})],
        "the matched entry keeps type and primary"
    );
    assert!(
        user["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .any(|e| e == &json!({"type": "home", "value": "home@example.com"}))
    );
    assert_eq!(user["name"]["familyName"], json!("Doe"));
    assert_eq!(user["name"]["givenName"], json!("Kkom"));
    assert_eq!(user["nickName"], json!("Babs"));
    assert_eq!(user["displayName"], json!("Bjfe"));
    assert_eq!(user[ENTERPRISE]["employeeNumber"], json!("701984"));
    assert_eq!(user[ENTERPRISE]["department"], json!("Tour Operations"));
    assert_eq!(
        user[ENTERPRISE]["manager"]["value"],
        json!(manager),
        "a bare manager id reads back as {{value}}"
    );
    assert_eq!(user[CUSTOM_URN]["tag"], json!("701984"));
    assert_eq!(user["roles"][0]["primary"], json!(true));
    let schemas = user["schemas"].as_array().expect("schemas");
    assert!(
        schemas.contains(&json!(ENTERPRISE)) && schemas.contains(&json!(CUSTOM_URN)),
        "{user}"
    );

    // Manager removal, both ways Entra does it (U16).
    ok(c.patch(
        &path,
        json!([{"op": "remove", "path": format!("{ENTERPRISE}:manager[value eq \"{manager}\"]")}]),
    )
    .await);
    assert!(c.get(&path).await.body[ENTERPRISE].get("manager").is_none());
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager}]),
    )
    .await);
    ok(c.patch(
        &path,
        json!([{"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": ""}]),
    )
    .await);
    assert!(c.get(&path).await.body[ENTERPRISE].get("manager").is_none());
}

/// Entra's role and manager shapes beyond the defaults: the old manager form (U15), roles
/// as a JSON string (U18), a replace of the whole list (U19), typed adds of sub-attributes
/// of absent entries (U13), roles on create with `primary: "True"` (U17).
pub async fn patch_entra_roles<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let manager = c.user(&unique("boss")).await;
    let mut body = entra_user(&unique("roles"));
    body["roles"] =
        json!([{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]);
    let created = c.post("/Users", body).await;
    created.expect(201);
    assert_eq!(
        created.body["roles"][0]["primary"],
        json!(true),
        "\"True\" is stored as a boolean"
    );
    let path = format!("/Users/{}", created.id());
    let role = "{\"id\":\"06b0\",\"value\":\"25\",\"displayName\":\"Role1234\"}";
    for ops in [
        json!([{"op": "Add", "path": "manager", "value": [{"$ref": format!("{BASE_URL}/Users/{manager}"), "value": manager}]}]),
        json!([{"op": "Add", "path": "roles", "value": [{"value": role}]}]),
        json!([
            {"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100"},
            {"op": "add", "path": "emails[type eq \"other\"].display", "value": "Other"},
            {"op": "add", "path": "emails[type eq \"other\"].primary", "value": false},
        ]),
    ] {
        let r = c.patch(&path, ops).await;
        assert!(
            r.status == 200 || r.status == 204,
            "{}: {}",
            r.status,
            r.body
        );
    }
    let user = c.get(&path).await.body.clone();
    assert_eq!(user[ENTERPRISE]["manager"]["value"], json!(manager));
    assert!(
        user["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .any(|r| r["value"] == role),
        "{user}"
    );
    assert_eq!(
        user["phoneNumbers"],
        json!([{"type": "work", "value": "+1 555 0100"}]),
        "stored exactly as sent"
    );
    assert!(
        user["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .any(|e| e["type"] == "other" && e["display"] == "Other")
    );

    let replaced = json!([
        {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Reader", "value": "ReadOnly"},
        {"primary": true, "type": "WindowsAzureActiveDirectoryRole", "display": "Owner", "value": "EnterpriseAdmin"},
    ]);
    c.patch(
        &path,
        json!([{"op": "replace", "path": "roles", "value": replaced}]),
    )
    .await
    .expect(200);
    assert_eq!(c.get(&path).await.body["roles"], replaced);
    c.patch(&path, json!([{"op": "replace", "path": "roles", "value": [{"primary": true, "value": "a"}, {"primary": true, "value": "b"}]}]))
        .await
        .expect_error(400, Some("invalidValue"));
}

/// `/Me` through the app's hook: the caller's own User, read and patched.
pub async fn me_hook<H: Harness>(harness: &H) {
    let me = Arc::new(std::sync::Mutex::new(None::<String>));
    let hook = Arc::clone(&me);
    let c = client(
        harness,
        engine().me(move |_ctx| hook.lock().expect("lock").clone()),
    )
    .await;
    c.get("/Me").await.expect_error(404, None);
    let id = c.user(&unique("me")).await;
    *me.lock().expect("lock") = Some(id.clone());
    let read = c.get("/Me").await;
    assert_eq!(read.expect(200).id(), id);
    c.patch(
        "/Me",
        json!([{"op": "add", "path": "nickName", "value": "myself"}]),
    )
    .await
    .expect(200);
    assert_eq!(
        c.get(&format!("/Users/{id}")).await.body["nickName"],
        json!("myself")
    );
}

/// Deactivation (U8, U9, Okta): `"False"`, `false`, and a path-less object; the user stays
/// visible to GET and to filters (soft delete).
pub async fn patch_deactivate<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("inactive");
    let id = c.user(&name).await;
    let path = format!("/Users/{id}");
    for (ops, active) in [
        (
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            false,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": true}]),
            true,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": false}]),
            false,
        ),
        (json!([{"op": "replace", "value": {"active": true}}]), true),
        (
            json!([{"op": "replace", "value": {"active": false}}]),
            false,
        ),
    ] {
        let r = c.patch(&path, ops).await;
        assert_eq!(r.expect(200).body["active"], json!(active));
        assert_eq!(c.get(&path).await.body["active"], json!(active));
    }
    assert_eq!(
        c.filter("/Users", &format!("userName eq \"{name}\""))
            .await
            .total(),
        1
    );
    assert_eq!(
        c.filter(
            "/Users",
            &format!("userName eq \"{name}\" and active eq false")
        )
        .await
        .total(),
        1
    );
}

/// Group membership as Entra and Okta change it (G4-G7, Okta's rename with its own id).
pub async fn patch_groups<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let users = [
        c.user(&unique("m1")).await,
        c.user(&unique("m2")).await,
        c.user(&unique("m3")).await,
    ];
    let group = c.group(&unique("Members")).await;
    let path = format!("/Groups/{group}");
    let members = |r: &Reply| -> Vec<String> {
        let mut ids: Vec<String> = r.body["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| m["value"].as_str().expect("value").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    };
    let sorted = |ids: &[&String]| -> Vec<String> {
        let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
        v.sort();
        v
    };
    c.patch(&path, json!([{"op": "Add", "path": "members", "value": [
        {"$ref": null, "value": users[0]}, {"$ref": null, "value": users[1]}, {"value": users[2]},
    ]}])).await.expect(200);
    assert_eq!(
        members(&c.get(&path).await),
        sorted(&[&users[0], &users[1], &users[2]])
    );

    c.patch(
        &path,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": users[0]}]}]),
    )
    .await
    .expect(200);
    assert_eq!(
        members(&c.get(&path).await),
        sorted(&[&users[1], &users[2]]),
        "only the listed member goes (G6)"
    );

    c.patch(
        &path,
        json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", users[1])}]),
    )
    .await
    .expect(200);
    assert_eq!(members(&c.get(&path).await), sorted(&[&users[2]]));

    let renamed = unique("Renamed");
    c.patch(
        &path,
        json!([
            {"op": "replace", "value": {"id": group, "displayName": renamed}},
            {"op": "add", "path": "members", "value": [{"value": users[0], "display": "one"}]},
        ]),
    )
    .await
    .expect(200);
    let read = c.get(&path).await;
    assert_eq!(read.body["displayName"], json!(renamed));
    assert_eq!(members(&read), sorted(&[&users[0], &users[2]]));

    c.patch(
        &path,
        json!([{"op": "Replace", "path": "displayName", "value": "G4 name"}]),
    )
    .await
    .expect(200);
    c.patch(
        &path,
        json!([{"op": "replace", "path": "members", "value": [{"value": users[1]}]}]),
    )
    .await
    .expect(200);
    assert_eq!(members(&c.get(&path).await), sorted(&[&users[1]]));
    c.patch(&path, json!([{"op": "remove", "path": "members"}]))
        .await
        .expect(200);
    assert_eq!(
        members(&c.get(&path).await),
        Vec::<String>::new(),
        "no members left"
    );
}

/// Membership PATCHes on a large group (the engine changes membership without loading the
/// group): Entra's forms, a bare id, a dry run, and a malformed member refused.
pub async fn large_group_membership<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let group = c.group(&unique("Large")).await;
    let path = format!("/Groups/{group}");
    let ids: Vec<String> = (0..1000).map(|i| format!("member-{i:04}")).collect();
    let all: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    c.patch(
        &path,
        json!([{"op": "Add", "path": "members", "value": all}]),
    )
    .await
    .expect(200);
    let count = |r: &Reply| r.body["members"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&c.get(&path).await), 1000);

    c.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": "member-bare"}]),
    )
    .await
    .expect(200);
    let read = c.get(&path).await;
    assert_eq!(count(&read), 1001);
    assert!(
        read.body["members"]
            .as_array()
            .expect("members")
            .contains(&json!({"value": "member-bare"}))
    );
    c.patch(
        &path,
        json!([
            {"op": "remove", "path": "members[value eq \"member-0000\"]"},
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "member-0001"}]},
        ]),
    )
    .await
    .expect(200);
    let read = c.get(&path).await;
    assert_eq!(count(&read), 999);
    assert!(!read.body.to_string().contains("member-0000\""));

    let before = c.get(&path).await;
    let dry = c
        .call(Method::PATCH, &format!("/dry-run{path}"), Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": "dry"}]}]})))
        .await;
    dry.expect(200);
    assert_eq!(
        c.get(&path).await.body,
        before.body,
        "a dry run changes no membership"
    );

    c.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": "x", "displayName": "y"}]}]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    c.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    assert_eq!(
        count(&c.get(&path).await),
        999,
        "refused requests change nothing"
    );
    c.patch(
        "/Groups/no-such-group",
        json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}]),
    )
    .await
    .expect_error(404, None);
}

/// A PATCH that changes nothing keeps the version (Entra re-sends values every cycle); one
/// that changes something gets a new ETag.
pub async fn patch_versions<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("same")).await;
    let path = format!("/Users/{id}");
    let before = c.get(&path).await;
    let same = c
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(same.expect(200).header("etag"), before.header("etag"));
    assert_eq!(
        same.body["meta"]["lastModified"],
        before.body["meta"]["lastModified"]
    );
    let changed = c
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_ne!(changed.expect(200).header("etag"), before.header("etag"));
    assert_eq!(
        changed.header("etag"),
        changed.body["meta"]["version"].as_str()
    );
}

/// With [`PatchResponse::NoContent`], a PATCH answers `204` with the new ETag.
pub async fn patch_no_content<H: Harness>(harness: &H) {
    let c = client(harness, engine().patch_response(PatchResponse::NoContent)).await;
    let id = c.user(&unique("nocontent")).await;
    let group = c.group(&unique("nocontent")).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "x"}]),
        )
        .await;
    r.expect(204);
    assert_eq!(r.body, Value::Null);
    assert_eq!(
        r.header("etag"),
        c.get(&format!("/Users/{id}")).await.body["meta"]["version"].as_str()
    );
    let g = c
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
        )
        .await;
    g.expect(204);
    let read = c.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.header("etag"), read.header("etag"));
    assert_eq!(read.body["members"][0]["value"], json!(id));
}

/// Bad PATCH requests: clear `400`s, and nothing of them is applied.
pub async fn patch_errors<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("bad-patch")).await;
    let path = format!("/Users/{id}");
    let before = c.get(&path).await;
    c.patch(
        &path,
        json!([{"op": "Replace", "path": "email[type eq \"work\"].value", "value": "x"}]),
    )
    .await
    .expect_error(400, Some("invalidPath"));
    c.patch(
        &path,
        json!([{"op": "jump", "path": "title", "value": "x"}]),
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
    c.patch(
        &path,
        json!([{"op": "replace", "path": "id", "value": "mine"}]),
    )
    .await
    .expect_error(400, Some("mutability"));
    c.patch(
        &path,
        json!([
            {"op": "replace", "path": "title", "value": "half"},
            {"op": "replace", "path": "active", "value": "maybe"},
        ]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    c.call(Method::PATCH, &path, Some(json!({"Operations": "none"})))
        .await
        .expect_error(400, Some("invalidSyntax"));
    // A bad `attributes` is refused before the write, not after it.
    let title = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "written?"}]});
    c.call(
        Method::PATCH,
        &format!("{path}?attributes=emails%5B"),
        Some(title),
    )
    .await
    .expect_error(400, Some("invalidPath"));
    let after = c.get(&path).await;
    assert_eq!(after.body, before.body, "a failed PATCH changes nothing");
}

/// Validation on create: missing or mistyped attributes are `400 invalidValue`, with the
/// attribute named; nothing is stored.
pub async fn create_errors<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    c.post(
        "/Users",
        json!({"schemas": [USER], "displayName": "no userName"}),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let wrong = c
        .post("/Users", json!({"userName": "typed", "active": "yes"}))
        .await;
    wrong.expect_error(400, Some("invalidValue"));
    assert!(
        wrong.body["detail"]
            .as_str()
            .expect("detail")
            .contains("active")
    );
    c.post("/Users", json!({"userName": ["a"]}))
        .await
        .expect_error(400, Some("invalidValue"));
    c.post("/Users", json!(["not", "an", "object"]))
        .await
        .expect_error(400, Some("invalidSyntax"));
    assert_eq!(c.filter("/Users", "userName eq \"typed\"").await.total(), 0);
}

/// Malformed bodies: `400 invalidSyntax`, never a `500`.
pub async fn malformed_bodies<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let send = |method: Method, path: &str, body: &'static [u8]| {
        let request = Client::<H::Client>::request(method, path, Some(&Value::Null))
            .body(Bytes::from_static(body))
            .expect("request");
        c.raw(request)
    };
    send(Method::POST, "/Users", b"{\"userName\": ")
        .await
        .expect_error(400, Some("invalidSyntax"));
    send(Method::POST, "/Users", b"")
        .await
        .expect_error(400, Some("invalidSyntax"));
    send(Method::POST, "/Users", b"\xff\xfe")
        .await
        .expect_error(400, Some("invalidSyntax"));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let request = Client::<H::Client>::request(Method::POST, "/Users", Some(&Value::Null))
        .body(Bytes::from(deep))
        .expect("request");
    c.raw(request)
        .await
        .expect_error(400, Some("invalidSyntax"));
    let id = c.user(&unique("malformed")).await;
    send(Method::PATCH, &format!("/Users/{id}"), b"{{{")
        .await
        .expect_error(400, Some("invalidSyntax"));
    send(Method::PUT, &format!("/Users/{id}"), b"nope")
        .await
        .expect_error(400, Some("invalidSyntax"));
}

/// Media types: `application/scim+json` and `application/json`, with parameters, are
/// accepted; anything else is `415`; every answer is `application/scim+json`.
pub async fn media_types<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for (i, content_type) in [
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json",
        "Application/JSON;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let body = serde_json::to_vec(&json!({"userName": format!("media-{i}")})).expect("JSON");
        let request = Request::post("/Users")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", content_type)
            .body(Bytes::from(body))
            .expect("request");
        c.raw(request).await.expect(201).expect_scim_json();
    }
    let request = Request::post("/Users")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "text/plain")
        .body(Bytes::from_static(b"{\"userName\": \"plain\"}"))
        .expect("request");
    c.raw(request).await.expect_error(415, None);
}

/// Bodies above the configured limit are `413` with a SCIM error.
pub async fn body_limit<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        max_payload_size: 2048,
        ..ServiceProviderConfig::default()
    };
    let c = client(harness, engine().service_provider_config(config)).await;
    let big = json!({"userName": "big", "title": "x".repeat(4096)});
    c.post("/Users", big).await.expect_error(413, None);
    c.post("/Users", json!({"userName": "small"}))
        .await
        .expect(201);
    assert_eq!(
        c.get("/ServiceProviderConfig").await.body["bulk"]["maxPayloadSize"],
        json!(2048)
    );
}

/// ETags: `If-None-Match` gives `304`; a stale `If-Match` is `412` on PUT, PATCH and DELETE
/// and changes nothing; the current one (or `*`) lets the write through.
pub async fn etags<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("etag")).await;
    let path = format!("/Users/{id}");
    let read = c.get(&path).await;
    let etag = read.header("etag").expect("an ETag").to_owned();
    let conditional = |method: Method, header: &str, tag: &str, body: Option<Value>| {
        let bytes = body
            .as_ref()
            .map(|b| Bytes::from(serde_json::to_vec(b).expect("JSON")))
            .unwrap_or_default();
        let request = Client::<H::Client>::request(method, &path, body.as_ref())
            .header(header, tag)
            .body(bytes)
            .expect("request");
        c.raw(request)
    };
    let not_modified = conditional(Method::GET, "if-none-match", &etag, None).await;
    not_modified.expect(304);
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    conditional(Method::GET, "if-none-match", "W/\"other\"", None)
        .await
        .expect(200);

    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "v2"}]});
    let changed = conditional(Method::PATCH, "if-match", &etag, Some(patch.clone())).await;
    changed.expect(200);
    let stale = etag;
    conditional(Method::PATCH, "if-match", &stale, Some(patch.clone()))
        .await
        .expect_error(412, None);
    let mut replacement = changed.body.clone();
    replacement["title"] = json!("v3");
    conditional(Method::PUT, "if-match", &stale, Some(replacement.clone()))
        .await
        .expect_error(412, None);
    conditional(Method::DELETE, "if-match", &stale, None)
        .await
        .expect_error(412, None);
    assert_eq!(
        c.get(&path).await.body["title"],
        json!("v2"),
        "refused writes change nothing"
    );
    conditional(Method::PUT, "if-match", "*", Some(replacement))
        .await
        .expect(200);
    let current = c.get(&path).await.header("etag").expect("etag").to_owned();
    conditional(Method::DELETE, "if-match", &current, None)
        .await
        .expect(204);
}

/// `DELETE` is `204`, then the resource is gone (`404`), and a deleted user leaves its
/// groups (U21, G9).
pub async fn delete_resources<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let user = c.user(&unique("deleted")).await;
    let keep = c.user(&unique("kept")).await;
    let group = c
        .post("/Groups", json!({"displayName": unique("Leavers"), "members": [{"value": user}, {"value": keep}]}))
        .await
        .expect(201)
        .id();
    let gone = c.delete(&format!("/Users/{user}")).await;
    gone.expect(204);
    assert_eq!(gone.body, Value::Null);
    c.get(&format!("/Users/{user}"))
        .await
        .expect_error(404, None);
    c.delete(&format!("/Users/{user}"))
        .await
        .expect_error(404, None);
    let members = c.get(&format!("/Groups/{group}")).await.body["members"].clone();
    assert_eq!(members, json!([{"value": keep}]));
    c.delete(&format!("/Groups/{group}")).await.expect(204);
    c.get(&format!("/Groups/{group}"))
        .await
        .expect_error(404, None);
}

/// Without a valid bearer token: `401`, `WWW-Authenticate: Bearer`, a SCIM error (Okta R11),
/// on every route, known or not.
pub async fn authentication<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("secret")).await;
    for token in [
        None,
        Some("Bearer wrong"),
        Some("Basic dXNlcjpwYXNz"),
        Some(TOKEN),
    ] {
        for path in [
            "/Users",
            "/ServiceProviderConfig",
            "/Schemas",
            "/nowhere",
            &format!("/Users/{id}"),
        ] {
            let mut request = Request::get(path);
            if let Some(token) = token {
                request = request.header("authorization", token);
            }
            let reply = c.raw(request.body(Bytes::new()).expect("request")).await;
            reply.expect_error(401, None);
            assert!(
                reply
                    .header("www-authenticate")
                    .is_some_and(|h| h.starts_with("Bearer"))
            );
            assert!(
                !reply.body.to_string().contains(TOKEN),
                "errors never echo secrets"
            );
        }
    }
}

/// An authenticator that maps each token to a tenant: each tenant sees only its own
/// resources, and `Location` follows the `{tenant}` in the base URL.
pub async fn tenants_and_locations<H: Harness>(harness: &H) {
    let by_token = |parts: &http::request::Parts| match crate::engine::bearer_token(parts) {
        Some("acme-token") => Ok(Principal::new("acme")),
        Some("globex-token") => Ok(Principal::new("globex")),
        _ => Err(crate::ScimError::unauthorized("unknown token")),
    };
    let registry = Arc::new(SchemaRegistry::new());
    let engine = Engine::builder(MemoryStore::with_registry(Arc::clone(&registry)), by_token)
        .registry(registry)
        .base_url("https://scim.example.com/scim/{tenant}/v2");
    let c = client(harness, engine).await;
    let created = c
        .as_bearer(
            "acme-token",
            Method::POST,
            "/Users",
            Some(json!({"userName": "shared-name"})),
        )
        .await;
    created.expect(201);
    let id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("https://scim.example.com/scim/acme/v2/Users/{id}").as_str())
    );
    // The same userName is free in another tenant, which cannot see acme's user.
    c.as_bearer(
        "globex-token",
        Method::POST,
        "/Users",
        Some(json!({"userName": "shared-name"})),
    )
    .await
    .expect(201);
    let path = format!("/Users/{id}");
    c.as_bearer("globex-token", Method::GET, &path, None)
        .await
        .expect_error(404, None);
    c.as_bearer("globex-token", Method::DELETE, &path, None)
        .await
        .expect_error(404, None);
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]});
    c.as_bearer("globex-token", Method::PATCH, &path, Some(patch))
        .await
        .expect_error(404, None);
    let listed = c
        .as_bearer("globex-token", Method::GET, "/Users", None)
        .await;
    assert_eq!(listed.total(), 1);
    assert_ne!(listed.resources()[0]["id"], json!(id));
    c.as_bearer("acme-token", Method::GET, &path, None)
        .await
        .expect(200);
    c.as_bearer("nobody", Method::GET, "/Users", None)
        .await
        .expect_error(401, None);
}

/// Unknown routes are `404`, unsupported methods `405` with `Allow`, `/Me` without a hook
/// and `/Bulk` are `501`, all as SCIM errors.
pub async fn routes_and_methods<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    c.get("/nowhere").await.expect_error(404, None);
    c.get("/Users/a/b").await.expect_error(404, None);
    let r = c.delete("/Users").await;
    r.expect_error(405, None);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    c.post("/Users/some-id", json!({}))
        .await
        .expect_error(405, None);
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
        "/Schemas/urn:x",
    ] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            c.call(method, path, Some(json!({})))
                .await
                .expect_error(405, None);
        }
    }
    c.get("/Me").await.expect_error(501, None);
    c.post("/Bulk", json!({"Operations": []}))
        .await
        .expect_error(501, None);
}

/// Discovery documents generated from the registered schemas.
pub async fn discovery<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let spc = c.get("/ServiceProviderConfig").await;
    spc.expect(200).expect_scim_json();
    assert_eq!(spc.body["patch"]["supported"], json!(true));
    assert_eq!(spc.body["etag"]["supported"], json!(true));
    assert_eq!(
        spc.body["filter"]["maxResults"],
        json!(ServiceProviderConfig::default().max_results)
    );
    assert_eq!(
        spc.body["meta"]["location"],
        json!(format!("{BASE_URL}/ServiceProviderConfig"))
    );

    let types = c.get("/ResourceTypes").await;
    assert_eq!(types.total(), 2);
    let user_type = c.get("/ResourceTypes/User").await;
    assert_eq!(user_type.expect(200).body["endpoint"], json!("/Users"));
    let extensions: Vec<_> = user_type.body["schemaExtensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .map(|e| e["schema"].clone())
        .collect();
    assert_eq!(extensions, [json!(ENTERPRISE), json!(CUSTOM_URN)]);
    c.get("/ResourceTypes/Printer")
        .await
        .expect_error(404, None);

    let schemas = c.get("/Schemas").await;
    assert_eq!(schemas.total(), 4, "User, enterprise, custom, Group");
    let user = c.get(&format!("/Schemas/{USER}")).await;
    let names: Vec<&str> = user.expect(200).body["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(names.contains(&"userName") && names.contains(&"emails"));
    assert!(
        !names.contains(&"x509Certificates"),
        "hidden attributes are not advertised"
    );
    let custom = c.get(&format!("/Schemas/{CUSTOM_URN}")).await;
    assert_eq!(
        custom.expect(200).body["attributes"][1]["multiValued"],
        json!(true)
    );
    c.get("/Schemas/urn:nope").await.expect_error(404, None);
    c.get("/Schemas?filter=id%20pr")
        .await
        .expect_error(403, None);
}

/// Concurrent membership PATCHes on one group lose nothing: the engine retries writes that
/// lost a version race.
pub async fn concurrent_patches<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let group = c.group(&unique("Busy")).await;
    let target = c.user(&unique("busy-user")).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = c.clone();
        let group = group.clone();
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let id = c.user(&format!("busy-{i}-{}", uuid::Uuid::new_v4().simple())).await;
            c.patch(&format!("/Groups/{group}"), json!([{"op": "add", "path": "members", "value": [{"value": id}]}]))
                .await
                .expect(200);
            c.patch(&format!("/Users/{target}"), json!([{"op": "add", "path": "emails", "value": [{"value": format!("{i}@example.com")}]}]))
                .await
                .expect(200);
            id
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("task"));
    }
    let read = c.get(&format!("/Groups/{group}")).await;
    let mut members: Vec<String> = read.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["value"].as_str().expect("value").to_owned())
        .collect();
    members.sort();
    ids.sort();
    assert_eq!(members, ids, "every concurrent add is kept");
    let emails = c.get(&format!("/Users/{target}")).await.body["emails"]
        .as_array()
        .expect("emails")
        .len();
    assert_eq!(emails, 17, "every concurrent user PATCH is kept");
}

/// Concurrent creates of one `userName` (in different cases): exactly one `201`, every other
/// a `409 uniqueness`, and one user in the store. The same for a group's `displayName`.
pub async fn concurrent_creates<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("race");
    for (endpoint, body) in [
        (
            "/Users",
            (|n: &str| json!({"userName": n})) as fn(&str) -> Value,
        ),
        ("/Groups", |n: &str| json!({"displayName": n})),
    ] {
        let mut tasks = Vec::new();
        for i in 0..24 {
            let c = c.clone();
            let spelled = if i % 2 == 0 {
                name.clone()
            } else {
                name.to_uppercase()
            };
            tasks.push(tokio::spawn(async move {
                c.post(endpoint, body(&spelled)).await
            }));
        }
        let mut created = 0;
        for task in tasks {
            let reply = task.await.expect("task");
            match reply.status {
                201 => created += 1,
                _ => {
                    reply.expect_error(409, Some("uniqueness"));
                }
            }
        }
        assert_eq!(created, 1, "{endpoint}: exactly one create wins");
        let attr = if endpoint == "/Users" {
            "userName"
        } else {
            "displayName"
        };
        assert_eq!(
            c.filter(endpoint, &format!("{attr} eq \"{name}\""))
                .await
                .total(),
            1,
            "{endpoint}"
        );
    }
}

/// Concurrent PATCHes that name the version they read (`If-Match`): each is applied or
/// refused with `412`, never applied over a change it did not see. What the user holds
/// afterwards is exactly what the applied ones added.
pub async fn concurrent_conditional_patches<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("contended")).await;
    let path = format!("/Users/{id}");
    let mut tasks = Vec::new();
    for i in 0..24 {
        let c = c.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let read = c.get(&path).await;
            let etag = read.header("etag").expect("an ETag").to_owned();
            let email = format!("writer-{i}@example.com");
            let body = json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": email}]}]});
            let request = Client::<H::Client>::request(Method::PATCH, &path, Some(&body))
                .header("if-match", etag)
                .body(Bytes::from(serde_json::to_vec(&body).expect("JSON")))
                .expect("request");
            (email, c.raw(request).await)
        }));
    }
    let mut applied: Vec<Option<String>> = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (email, reply) = task.await.expect("task");
        match reply.status {
            200 => applied.push(Some(email)),
            _ => {
                reply.expect_error(412, None);
                refused += 1;
            }
        }
    }
    assert!(!applied.is_empty(), "at least the first writer wins");
    let held = c.get(&path).await;
    let mut emails: Vec<Option<String>> = held.body["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .map(|e| e["value"].as_str().map(str::to_owned))
        .filter(|e| e.as_deref().is_some_and(|e| e.starts_with("writer-")))
        .collect();
    emails.sort();
    applied.sort();
    assert_eq!(
        emails, applied,
        "exactly the applied PATCHes, none lost ({refused} refused)"
    );
}

/// Expands to one `#[test]` per HTTP suite case for `$harness` (a value implementing
/// [`Harness`](crate::testing::http::Harness)).
#[macro_export]
macro_rules! scim_http_tests {
    ($harness:expr) => {
        $crate::scim_http_tests!(@cases $harness;
            create_user,
            password_never_returned,
            create_with_nulls,
            create_group_entra,
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
            rate_limits,
            events,
            write_rules,
            bulk,
        );
    };
    (@cases $harness:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    $crate::testing::http::$case(&$harness).await;
                });
            }
        )*
    };
}
