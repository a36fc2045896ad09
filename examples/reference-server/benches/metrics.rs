//! What the reference server's metrics cost per request: `GET /Users/{id}` through the SCIM
//! router (`tower::ServiceExt::oneshot`, no network), plain and with the metrics (the
//! middleware, the metered store, a Prometheus recorder installed), side by side in one run,
//! on a MemoryStore of 10,000 users.
//!
//! `cargo bench -p reference-server --bench metrics`.

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use criterion::{Criterion, criterion_group, criterion_main};
use reference_server::metrics::{Metered, Metrics, record};
use scim_core::engine::{BearerToken, DEFAULT_TENANT, Engine};
use scim_core::{Compat, MemoryStore, RequestContext, ResourceKind, ScimStore};
use serde_json::json;
use tower::ServiceExt;

fn request(id: &str) -> axum::http::Request<Body> {
    axum::http::Request::get(format!("/Users/{id}"))
        .header("authorization", "Bearer bench")
        .body(Body::empty())
        .expect("a request")
}

fn bench(c: &mut Criterion) {
    // In test mode (`cargo test --benches`) a small store is enough to run each case once.
    let users = if std::env::args().any(|a| a == "--bench") {
        10_000
    } else {
        100
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let store = MemoryStore::new();
    let ctx = RequestContext::new(DEFAULT_TENANT);
    let schemas = store.registry().resource(ResourceKind::User);
    let ids: Vec<String> = (0..users)
        .map(|i| {
            let user = schemas
                .validate_create(
                    json!({"userName": format!("user{i}"), "displayName": format!("User {i}"),
                           "emails": [{"value": format!("user{i}@example.com"), "primary": true}]}),
                    &Compat::entra(),
                )
                .expect("valid");
            let created = runtime.block_on(store.create(&ctx, user)).expect("created");
            created.id().expect("an id").to_owned()
        })
        .collect();
    let plain: Router = scim_axum::router(Engine::new(store.clone(), BearerToken::new("bench")));
    let _metrics = Metrics::install().expect("the recorder");
    let metered: Router = scim_axum::router(Engine::new(Metered(store), BearerToken::new("bench")))
        .layer(axum::middleware::from_fn(record));
    let layered: Router = plain.clone().layer(axum::middleware::from_fn(
        |r: axum::extract::Request, n: axum::middleware::Next| async move { n.run(r).await },
    ));
    let mut group = c.benchmark_group("metrics");
    for (name, router) in [
        ("get", &plain),
        ("get_metered", &metered),
        ("get_empty_layer", &layered),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % ids.len();
                let response = runtime
                    .block_on(router.clone().oneshot(request(&ids[i])))
                    .expect("an answer");
                assert_eq!(response.status(), 200);
                black_box(response)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
