//! PATCH throughput: the shared request corpus (`bench/patches.json`) applied to
//! `bench/user.json` and `bench/group_1000.json`, and adding one member to groups of growing
//! size next to a bare scan of the members (the duplicate check's floor).
//!
//! Run with `cargo bench -p scim-patch`. Each iteration parses the request from JSON and
//! applies it to a fresh copy of its resource; making the copies is not timed.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scim_patch::{PatchRequest, Patcher};
use serde_json::{Value, json};

const PATCHES: &str = include_str!("../../bench/patches.json");
const USER: &str = include_str!("../../bench/user.json");
const GROUP: &str = include_str!("../../bench/group_1000.json");

/// The corpus requests for `target` ("user" or "group"): (name, body).
fn corpus(target: &str) -> Vec<(String, Value)> {
    let all: Vec<Value> = serde_json::from_str(PATCHES).unwrap();
    all.into_iter()
        .filter(|p| p["target"] == target)
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["body"].clone()))
        .collect()
}

fn apply(patcher: &Patcher, body: Value, resource: &mut Value) {
    let request = PatchRequest::from_value(body).unwrap();
    black_box(patcher.apply(request, resource).unwrap());
}

fn corpus_group(c: &mut Criterion) {
    let patcher = Patcher::default();
    let mut group = c.benchmark_group("corpus");
    for (target, resource) in [("user", USER), ("group_1000", GROUP)] {
        let resource: Value = serde_json::from_str(resource).unwrap();
        let requests = corpus(target.trim_end_matches("_1000"));
        group.throughput(Throughput::Elements(requests.len() as u64));
        group.bench_function(target, |b| {
            b.iter_batched_ref(
                || {
                    let bodies: Vec<Value> =
                        requests.iter().map(|(_, body)| body.clone()).collect();
                    (bodies, vec![resource.clone(); requests.len()])
                },
                |(bodies, resources)| {
                    for (body, resource) in bodies.drain(..).zip(resources.iter_mut()) {
                        apply(&patcher, body, resource);
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// A group of `n` members shaped like `bench/group_1000.json`'s.
fn group_of(n: usize) -> Value {
    let members: Vec<Value> = (0..n)
        .map(|i| {
            let id = format!("{i:08x}-0000-4000-8000-{i:012x}");
            json!({"value": id, "$ref": format!("https://example.com/v2/Users/{id}"), "display": format!("User {i}")})
        })
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "Big", "members": members})
}

fn add_one_member(c: &mut Criterion) {
    let patcher = Patcher::default();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "new-member"}]}]
    });
    let mut group = c.benchmark_group("add_one_member");
    for n in [1_000, 10_000, 100_000] {
        let resource = group_of(n);
        group.bench_with_input(BenchmarkId::new("patch", n), &n, |b, _| {
            b.iter_batched_ref(
                || (body.clone(), resource.clone()),
                |(body, resource)| apply(&patcher, std::mem::take(body), resource),
                BatchSize::LargeInput,
            );
        });
        // The floor: one pass over the members comparing ids, as any duplicate check must.
        group.bench_with_input(BenchmarkId::new("scan_floor", n), &n, |b, _| {
            let members = resource["members"].as_array().unwrap();
            let id = Value::from("new-member");
            b.iter(|| {
                black_box(members.iter().any(|m| {
                    m.as_object()
                        .is_some_and(|m| m.iter().any(|(k, v)| k == "value" && v == black_box(&id)))
                }))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, corpus_group, add_one_member);
criterion_main!(benches);
