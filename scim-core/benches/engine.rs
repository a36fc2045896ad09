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

fn request(method: &str, uri: &str, body: &'static str) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", "Bearer bench")
        .header("content-type", "application/scim+json")
        .body(Bytes::from_static(body.as_bytes()))
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
