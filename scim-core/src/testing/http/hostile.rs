//! Hostile requests: malformed, oversized, ambiguous or mistyped input, each answered with
//! the right `4xx` and `scimType`, and none of them changing what the store holds.

use std::sync::Arc;

use bytes::Bytes;

use http::{Method, Request};
use serde_json::{Value, json};

use super::{
    Client, ENTERPRISE, Harness, HttpClient, PATCH_OP, TOKEN, USER, client, engine, entra_user,
};
use crate::engine::{BearerToken, Engine};
use crate::{
    AttrType, Attribute, MemoryStore, Mutability, ResourceKind, Schema, ServiceProviderConfig,
};

/// Everything the store holds, as a client reads it: every user and group, in name order.
async fn snapshot<C: HttpClient>(c: &Client<C>) -> (Value, Value) {
    let users = c.get("/Users?count=1000&sortBy=userName").await;
    let groups = c.get("/Groups?count=1000&sortBy=displayName").await;
    (
        users.expect(200).body.clone(),
        groups.expect(200).body.clone(),
    )
}

/// A request with the suite's token, `headers` and `body` exactly as given.
fn raw(
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/scim+json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).expect("a request http accepts")
}

/// One hostile request and the error it must get.
struct Case {
    what: String,
    request: Request<Bytes>,
    status: u16,
    scim_type: Option<&'static str>,
}

fn case(
    what: impl Into<String>,
    request: Request<Bytes>,
    status: u16,
    scim_type: Option<&'static str>,
) -> Case {
    Case {
        what: what.into(),
        request,
        status,
        scim_type,
    }
}

/// A value of the wrong JSON type for `attr`.
fn wrong(attr: &Attribute) -> Value {
    if attr.multi_valued {
        return json!(7);
    }
    match attr.kind {
        AttrType::Boolean => json!("maybe"),
        AttrType::Integer | AttrType::Decimal => json!("seven"),
        // Strings, references, dates, binaries and complex attributes.
        _ => json!(7),
    }
}

/// Every writable attribute and sub-attribute of `schema` as `(label, body fragment)`: the
/// fragment sets that attribute, and only it, to a value of the wrong type. An extension's
/// fragments sit under its URN.
fn mistyped(schema: &Schema, extension: bool) -> Vec<(String, Value)> {
    let writable = |a: &&Attribute| a.mutability != Mutability::ReadOnly;
    let mut out = Vec::new();
    for attr in schema.attributes.iter().filter(writable) {
        out.push((attr.name.clone(), json!({ &attr.name: wrong(attr) })));
        for sub in attr.sub_attributes.iter().filter(writable) {
            let inner = json!({ &sub.name: wrong(sub) });
            let value = if attr.multi_valued {
                json!([inner])
            } else {
                inner
            };
            out.push((
                format!("{}.{}", attr.name, sub.name),
                json!({ &attr.name: value }),
            ));
        }
    }
    if extension {
        for (label, fragment) in &mut out {
            *label = format!("{}:{label}", schema.id);
            *fragment = json!({ &schema.id: fragment.take() });
        }
    }
    out
}

/// Hostile input never changes the store and always gets the right `4xx`: deeply nested
/// JSON, bodies over the limit, huge and deeply nested filters, invalid UTF-8 in bodies and
/// queries, members and parameters given twice, numbers out of range, a value of the wrong
/// type for every writable attribute (on create, replace and PATCH), path traversal in ids,
/// a crafted `Host` or two `Authorization` headers, and paging values out of range.
pub async fn hostile_requests<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        bulk: true,
        ..ServiceProviderConfig::default()
    };
    let builder = engine().service_provider_config(config);
    let registry = Arc::clone(builder.schema_registry());
    let store = harness.store(Arc::clone(&registry)).await;
    let built = builder.with_store(store).build();
    let schemas = registry.resource(ResourceKind::User);
    let mut fields = mistyped(schemas.core(), false);
    for extension in schemas.extensions() {
        fields.extend(mistyped(extension, true));
    }
    let limit = built.body_limit();
    let c = Client::new(harness.serve(built).await);
    let victim = c
        .post("/Users", entra_user("victim"))
        .await
        .expect(201)
        .id();
    let group = c.group("victims").await;
    let user_path = format!("/Users/{victim}");
    let group_path = format!("/Groups/{group}");
    let before = snapshot(&c).await;

    let patch = |operations: Value| {
        serde_json::to_vec(&json!({"schemas": [PATCH_OP], "Operations": operations})).expect("JSON")
    };
    let deep_object = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut cases = Vec::new();

    // Deep nesting, on every route that reads a body.
    for (method, path) in [
        (Method::POST, "/Users"),
        (Method::PUT, user_path.as_str()),
        (Method::PATCH, user_path.as_str()),
        (Method::POST, "/Users/.search"),
        (Method::POST, "/Bulk"),
    ] {
        for (name, body) in [("object", &deep_object), ("array", &deep_array)] {
            cases.push(case(
                format!("{method} {path}: {name}s nested 5,000 deep and more"),
                raw(method.clone(), path, &[], body.clone()),
                400,
                Some("invalidSyntax"),
            ));
        }
        cases.push(case(
            format!("{method} {path}: a body one byte over the limit"),
            raw(method.clone(), path, &[], vec![b' '; limit + 1]),
            413,
            None,
        ));
        cases.push(case(
            format!("{method} {path}: invalid UTF-8"),
            raw(
                method.clone(),
                path,
                &[],
                &b"{\"userName\": \"\xff\xfe\"}"[..],
            ),
            400,
            Some("invalidSyntax"),
        ));
    }

    // Filters: too long, too deep, not UTF-8, given twice; in the query and in .search.
    let long = format!("userName eq \"{}\"", "a".repeat(20_000));
    let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
    for (what, filter) in [("20 KB", &long), ("40 levels deep", &deep)] {
        let encoded: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        cases.push(case(
            format!("a filter {what}, in the query"),
            raw(Method::GET, &format!("/Users?filter={encoded}"), &[], ""),
            400,
            Some("invalidFilter"),
        ));
        cases.push(case(
            format!("a filter {what}, in .search"),
            raw(
                Method::POST,
                "/Users/.search",
                &[],
                serde_json::to_vec(&json!({"filter": filter})).expect("JSON"),
            ),
            400,
            Some("invalidFilter"),
        ));
    }
    for (what, query, scim_type) in [
        (
            "a filter not UTF-8",
            "filter=userName%20eq%20%22%FF%22",
            "invalidFilter",
        ),
        (
            "filter given twice",
            "filter=userName%20pr&FILTER=title%20pr",
            "invalidFilter",
        ),
        ("attributes not UTF-8", "attributes=%C3%28", "invalidValue"),
        ("count given twice", "count=1&count=2", "invalidValue"),
        ("count not a number", "count=ten", "invalidValue"),
    ] {
        cases.push(case(
            what,
            raw(Method::GET, &format!("/Users?{query}"), &[], ""),
            400,
            Some(scim_type),
        ));
    }

    // Bodies that say two things, or numbers no one can hold.
    for (what, method, path, body) in [
        (
            "userName given twice",
            Method::POST,
            "/Users",
            br#"{"userName": "dup-a", "userName": "dup-b"}"#.to_vec(),
        ),
        (
            "userName twice, in two cases",
            Method::POST,
            "/Users",
            br#"{"userName": "dup-c", "USERNAME": "dup-d"}"#.to_vec(),
        ),
        (
            "a member twice inside an email",
            Method::PUT,
            user_path.as_str(),
            br#"{"userName": "victim", "emails": [{"value": "a@x.org", "value": "b@x.org"}]}"#
                .to_vec(),
        ),
        (
            "op given twice",
            Method::PATCH,
            user_path.as_str(),
            patch(json!([]))
                .strip_suffix(b"]}")
                .map(|head| [head, br#"{"op":"add","op":"remove","path":"title"}]}"#].concat())
                .expect("the PatchOp envelope"),
        ),
        (
            "a PATCH value with a member twice",
            Method::PATCH,
            user_path.as_str(),
            patch(json!([]))
                .strip_suffix(b"]}")
                .map(|head| {
                    [
                        head,
                        br#"{"op":"replace","value":{"title":"a","title":"b"}}]}"#,
                    ]
                    .concat()
                })
                .expect("the PatchOp envelope"),
        ),
        (
            "a NUL character",
            Method::POST,
            "/Users",
            br#"{"userName": "nul\u0000name"}"#.to_vec(),
        ),
        (
            "a number out of range",
            Method::POST,
            "/Users",
            br#"{"userName": "big-number", "title": 1e400}"#.to_vec(),
        ),
        (
            "a bulk operation with a member twice",
            Method::POST,
            "/Bulk",
            br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                 "Operations": [{"method": "POST", "method": "DELETE", "path": "/Users",
                                 "data": {"userName": "bulk-dup"}}]}"#
                .to_vec(),
        ),
    ] {
        cases.push(case(
            format!("{method} {path}: {what}"),
            raw(method, path, &[], body),
            400,
            Some("invalidSyntax"),
        ));
    }

    // A value of the wrong type for every writable attribute, on create, replace and PATCH.
    let mistyped_count = fields.len();
    for (label, fragment) in fields {
        let mut body = json!({"schemas": [USER, ENTERPRISE], "userName": "mistyped"});
        if let (Some(body), Some(fragment)) = (body.as_object_mut(), fragment.as_object()) {
            for (key, value) in fragment {
                body.insert(key.clone(), value.clone());
            }
        }
        let bytes = serde_json::to_vec(&body).expect("JSON");
        cases.push(case(
            format!("POST: {label} of the wrong type"),
            raw(Method::POST, "/Users", &[], bytes.clone()),
            400,
            Some("invalidValue"),
        ));
        cases.push(case(
            format!("PUT: {label} of the wrong type"),
            raw(Method::PUT, &user_path, &[], bytes),
            400,
            Some("invalidValue"),
        ));
        cases.push(case(
            format!("PATCH without a path: {label} of the wrong type"),
            raw(
                Method::PATCH,
                &user_path,
                &[],
                patch(json!([{"op": "replace", "value": fragment}])),
            ),
            400,
            Some("invalidValue"),
        ));
    }

    // Ids that try to leave their collection.
    for id in [
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "..%2FGroups%2F",
        "%00",
        "%FF",
    ] {
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
            let body = match method {
                Method::PUT => br#"{"userName": "traversal"}"#.to_vec(),
                Method::PATCH => patch(json!([{"op": "replace", "path": "title", "value": "x"}])),
                _ => Vec::new(),
            };
            cases.push(case(
                format!("{method} /Users/{id}"),
                raw(method.clone(), &format!("/Users/{id}"), &[], body),
                404,
                None,
            ));
        }
    }
    cases.push(case(
        "GET /Users/../Groups",
        raw(Method::GET, "/Users/../Groups", &[], ""),
        404,
        None,
    ));
    cases.push(case(
        "a user's id under /Groups",
        raw(Method::DELETE, &format!("/Groups/{victim}"), &[], ""),
        404,
        None,
    ));
    cases.push(case(
        "a group's id under /Users",
        raw(Method::DELETE, &format!("/Users/{group}"), &[], ""),
        404,
        None,
    ));

    // Headers: two credentials (one of them right), an If-Match that names no version.
    let mut two = raw(Method::DELETE, &group_path, &[], "");
    two.headers_mut().append(
        "authorization",
        http::HeaderValue::from_static("Bearer not-the-token"),
    );
    cases.push(case("two Authorization headers", two, 401, None));
    cases.push(case(
        "If-Match with a version that does not exist",
        raw(
            Method::DELETE,
            &group_path,
            &[("if-match", "W/\"0\", junk")],
            "",
        ),
        412,
        None,
    ));

    let tried = cases.len();
    for Case {
        what,
        request,
        status,
        scim_type,
    } in cases
    {
        let reply = c.raw(request).await;
        assert!(
            reply.status == status && reply.body["scimType"].as_str() == scim_type,
            "{what}: expected {status} {scim_type:?}, got {} {}",
            reply.status,
            reply.body
        );
        reply.expect_error(status, scim_type);
        assert_eq!(snapshot(&c).await, before, "{what} changed the store");
    }
    assert!(
        mistyped_count > 40,
        "every attribute is tried: {mistyped_count}"
    );
    assert!(tried > 200, "{tried} cases");

    // Paging values out of range are read, not refused: below 1 reads as 1, above the
    // limit as the limit.
    for (query, start, items) in [
        ("count=-1", 1, 0),
        ("startIndex=0&count=1", 1, 1),
        ("count=1000000000000", 1, 1),
        ("startIndex=-99999999999999999999&count=1", 1, 1),
        ("startIndex=2", 2, 0),
    ] {
        let page = c.get(&format!("/Users?{query}")).await;
        assert_eq!(page.total(), 1, "{query}");
        assert_eq!(page.resources().len(), items, "{query}");
        assert_eq!(page.body["startIndex"], json!(start), "{query}");
    }
}

/// Without a configured base URL, `Location` comes from `Host`: one that is not a host and
/// port is refused before it can reach `Location` or `meta.location`.
pub async fn crafted_host<H: Harness>(harness: &H) {
    let engine = Engine::builder(MemoryStore::new(), BearerToken::new(TOKEN));
    let c = client(harness, engine).await;
    for host in [
        "evil.example/x?\"<script>",
        "user@evil.example",
        "evil.example:99999999",
    ] {
        let request = raw(
            Method::POST,
            "/Users",
            &[("host", host)],
            br#"{"userName": "crafted-host"}"#.to_vec(),
        );
        c.raw(request).await.expect_error(400, Some("invalidValue"));
    }
    let request = raw(
        Method::POST,
        "/Users",
        &[("host", "app.example:8443")],
        br#"{"userName": "fine-host"}"#.to_vec(),
    );
    let created = c.raw(request).await;
    created.expect(201);
    let location = format!(
        "http://app.example:8443{}/Users/{}",
        harness.mount(),
        created.id()
    );
    assert_eq!(created.header("location"), Some(location.as_str()));
}
