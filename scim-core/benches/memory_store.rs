//! MemoryStore: `get` and `userName eq` lookups at 10,000, 100,000 and 1,000,000 users (the
//! time per lookup must stay flat), a list with a filter no index serves, and memory per
//! stored user against its JSON size.
//!
//! `cargo bench -p scim-core --bench memory_store`. In test mode (`cargo test --benches`)
//! only the 10,000-user store is built.

mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scim_core::{
    Compat, ListQuery, MemoryStore, RequestContext, Resource, ResourceKind, ScimStore,
};
use scim_filter::Filter;
use serde_json::{Value, json};

use common::now;

fn template() -> Value {
    let text = include_str!("../../bench/server_user.json");
    let body: Value = serde_json::from_str(text).expect("bench/server_user.json is JSON");
    let store = MemoryStore::new();
    store
        .registry()
        .resource(ResourceKind::User)
        .validate_create(body, &Compat::entra())
        .expect("the bench user is valid")
        .into_json()
}

fn nth_user(template: &Value, i: usize) -> Resource {
    let mut body = template.clone();
    body["userName"] = json!(format!("user{i}"));
    body["externalId"] = json!(format!("ext-{i}"));
    body["emails"][0]["value"] = json!(format!("user{i}@example.com"));
    body["title"] = json!(if i.is_multiple_of(100) {
        "Manager"
    } else {
        "Engineer"
    });
    Resource::from_json(ResourceKind::User, body).expect("an object")
}

fn build(n: usize, ctx: &RequestContext) -> (MemoryStore, Vec<String>) {
    let store = MemoryStore::new();
    let template = template();
    let ids = (0..n)
        .map(|i| {
            let created = now(store.create(ctx, nth_user(&template, i))).expect("create");
            created.id().expect("id").to_owned()
        })
        .collect();
    (store, ids)
}

fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn lookups(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full {
        &[10_000, 100_000, 1_000_000]
    } else {
        &[10_000]
    };
    let ctx = RequestContext::new("bench");
    let mut group = c.benchmark_group("memory_store");
    for &n in sizes {
        let before = rss_bytes();
        let (store, ids) = build(n, &ctx);
        if let (Some(before), Some(after)) = (before, rss_bytes()) {
            let json_len = serde_json::to_string(
                &now(store.get(&ctx, ResourceKind::User, &ids[0]))
                    .expect("get")
                    .into_json(),
            )
            .map_or(0, |s| s.len());
            eprintln!(
                "memory_store: {n} users: {} bytes of RSS per user, stored JSON {json_len} bytes per user",
                (after.saturating_sub(before)) / n
            );
        }
        let mut i = 0usize;
        group.bench_function(BenchmarkId::new("get", n), |b| {
            b.iter(|| {
                i = (i + 7919) % n;
                black_box(now(store.get(&ctx, ResourceKind::User, &ids[i])).expect("get"))
            });
        });
        let filters: Vec<ListQuery> = (0..1000)
            .map(|k| {
                let f = Filter::parse(&format!(r#"userName eq "USER{}""#, (k * 7919) % n))
                    .expect("filter");
                ListQuery::new().with_filter(f)
            })
            .collect();
        let mut k = 0usize;
        group.bench_function(BenchmarkId::new("userName_eq", n), |b| {
            b.iter(|| {
                k = (k + 1) % filters.len();
                let page = now(store.list(&ctx, ResourceKind::User, &filters[k])).expect("list");
                assert_eq!(page.total_results, 1);
                black_box(page)
            });
        });
        if n <= 100_000 {
            let scan = ListQuery::new()
                .with_filter(
                    Filter::parse(r#"title eq "Manager" and emails[type eq "work"]"#)
                        .expect("filter"),
                )
                .with_page(1, Some(100));
            group.sample_size(10);
            group.bench_function(BenchmarkId::new("scan_filter", n), |b| {
                b.iter(|| {
                    let page = now(store.list(&ctx, ResourceKind::User, &scan)).expect("list");
                    assert_eq!(page.total_results, n / 100);
                    black_box(page)
                });
            });
            group.sample_size(100);
        }
        drop(store);
    }
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
