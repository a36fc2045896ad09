//! The engine's own cost per request, without a network or a web framework: `Engine::handle`
//! on a MemoryStore of 10,000 users, for the requests `bench/load.sh` sends over HTTP.
//!
//! `cargo bench -p scim-core --bench engine`.

mod common;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use scim_core::engine::{BearerToken, DEFAULT_TENANT, Engine};
use scim_core::{Compat, MemoryStore, RequestContext, ResourceKind, ScimStore};
use serde_json::{Value, json};

use common::now;

fn engine(users: usize) -> (Engine<MemoryStore>, Vec<String>) {
    let text = include_str!("../../bench/server_user.json");
    let template: Value = serde_json::from_str(text).expect("bench/server_user.json is JSON");
    let store = MemoryStore::new();
    let ctx = RequestContext::new(DEFAULT_TENANT);
    let schemas = store.registry().resource(ResourceKind::User);
    let ids = (0..users)
        .map(|i| {
            let mut body = template.clone();
            body["userName"] = json!(format!("user{i}"));
            body["externalId"] = json!(format!("ext-{i}"));
            let user = schemas
                .validate_create(body, &Compat::entra())
                .expect("valid");
            now(store.create(&ctx, user))
                .expect("create")
                .id()
                .expect("id")
                .to_owned()
        })
        .collect();
    (Engine::new(store, BearerToken::new("bench")), ids)
}

fn request(method: &str, uri: &str, body: impl Into<Bytes>) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", "Bearer bench")
        .header("content-type", "application/scim+json")
        .body(body.into())
        .expect("a request")
}

fn bench(c: &mut Criterion) {
    // In test mode (`cargo test --benches`) a small store is enough to run each case once.
    let users = if std::env::args().any(|a| a == "--bench") {
        10_000
    } else {
        100
    };
    let (engine, ids) = engine(users);
    let mut group = c.benchmark_group("engine");
    let mut i = 0;
    group.bench_function("GET /Users/{id}", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            let response = now(engine.handle(request("GET", &format!("/Users/{}", ids[i]), "")));
            assert_eq!(response.status(), 200);
            black_box(response)
        });
    });
    group.bench_function("GET /Users?filter=userName eq", |b| {
        b.iter(|| {
            let uri = "/Users?filter=userName%20eq%20%22user50%22";
            black_box(now(engine.handle(request("GET", uri, ""))))
        });
    });
    let patch = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#;
    let unpatch = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}"#;
    let mut flip = false;
    group.bench_function("PATCH /Users/{id} replace active", |b| {
        b.iter(|| {
            flip = !flip;
            let body = if flip { patch } else { unpatch };
            let response =
                now(engine.handle(request("PATCH", &format!("/Users/{}", ids[0]), body)));
            assert_eq!(response.status(), 200);
            black_box(response)
        });
    });
    // A new user each time, as Entra creates them (bench/server_user.json, renamed).
    let template: Value = serde_json::from_str(include_str!("../../bench/server_user.json"))
        .expect("bench/server_user.json is JSON");
    let mut created = 0;
    group.bench_function("POST /Users", |b| {
        b.iter(|| {
            created += 1;
            let mut body = template.clone();
            body["userName"] = json!(format!("posted{created}"));
            body["externalId"] = json!(format!("posted-ext-{created}"));
            let body = serde_json::to_vec(&body).expect("JSON");
            let response = now(engine.handle(request("POST", "/Users", body)));
            assert_eq!(response.status(), 201);
            black_box(response)
        });
    });
    // Entra's membership change on a group of 1,000: one member added, then removed.
    let members: Vec<Value> = ids
        .iter()
        .take(1000)
        .map(|id| json!({"value": id}))
        .collect();
    let group_body = json!({"displayName": "Everyone", "members": members}).to_string();
    let group_id = now(engine.handle(request("POST", "/Groups", group_body))).headers()["location"]
        .to_str()
        .expect("a location")
        .rsplit('/')
        .next()
        .expect("an id")
        .to_owned();
    let newcomer = &ids[ids.len() - 1];
    let add = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Add","path":"members","value":[{{"$ref":null,"value":"{newcomer}"}}]}}]}}"#
    );
    let remove = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Remove","path":"members[value eq \"{newcomer}\"]"}}]}}"#
    );
    let mut joined = false;
    group.bench_function("PATCH /Groups/{id} add or remove a member", |b| {
        b.iter(|| {
            joined = !joined;
            let body = if joined { add.clone() } else { remove.clone() };
            let uri = format!("/Groups/{group_id}?excludedAttributes=members");
            let response = now(engine.handle(request("PATCH", &uri, body)));
            assert_eq!(response.status(), 200);
            black_box(response)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
