//! PATCH throughput: the shared request corpus (`bench/patches.json`) applied to
//! `bench/user.json` and `bench/group_1000.json`, and adding one member to groups of growing
//! size next to a bare scan of the members (the duplicate check's floor).
//!
//! Run with `cargo bench -p scim-patch`. Each iteration parses each request from its body
//! bytes, as a server receives it, and applies it to a fresh copy of its resource; making the
//! copies is not timed.
//!
//! - `corpus/*` frees what each request displaced (old values, removed members) inside the
//!   timed region.
//! - `corpus_deferred_free/*` returns the outcomes, which own what was displaced, so that
//!   freeing happens after the timed region, as a server may do after answering (and as a
//!   garbage-collected runtime does).
//! - `corpus_with_members_delta/*` also reads each outcome's membership delta (the ids added
//!   and removed), which applying a request only records references for.
//!
//! With `PATCH_BENCH_ONLY` set to a comma-separated list of request names, only those
//! requests run (`peer-bench/patches.sh` uses it to time the subset another implementation
//! accepts).

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scim_patch::{Outcome, PatchRequest, Patcher};
use serde_json::{Value, json};

const PATCHES: &str = include_str!("../../bench/patches.json");
const USER: &str = include_str!("../../bench/user.json");
const GROUP: &str = include_str!("../../bench/group_1000.json");

/// The corpus requests for `target` ("user" or "group") as body bytes, restricted to the
/// names in `PATCH_BENCH_ONLY` when it is set.
fn corpus(target: &str) -> Vec<Vec<u8>> {
    let only = std::env::var("PATCH_BENCH_ONLY").ok();
    let wanted = |name: &str| {
        only.as_ref()
            .is_none_or(|only| only.split(',').any(|n| n == name))
    };
    let all: Vec<Value> = serde_json::from_str(PATCHES).unwrap();
    all.iter()
        .filter(|p| p["target"] == target && wanted(p["name"].as_str().unwrap()))
        .map(|p| serde_json::to_vec(&p["body"]).unwrap())
        .collect()
}

fn apply(patcher: &Patcher, body: &[u8], resource: &mut Value) -> Outcome {
    let request = PatchRequest::from_slice(body).unwrap();
    patcher.apply(request, resource).unwrap()
}

/// How a corpus run treats each request's outcome.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Drop it (freeing what was displaced) inside the timed region.
    FreeInside,
    /// Return it, so freeing happens after the timed region.
    FreeAfter,
    /// Read the membership delta, then return it.
    ReadDelta,
}

fn corpus_groups(c: &mut Criterion) {
    let patcher = Patcher::default();
    for mode in [Mode::FreeInside, Mode::FreeAfter, Mode::ReadDelta] {
        let name = match mode {
            Mode::FreeInside => "corpus",
            Mode::FreeAfter => "corpus_deferred_free",
            Mode::ReadDelta => "corpus_with_members_delta",
        };
        let mut group = c.benchmark_group(name);
        for (target, resource) in [("user", USER), ("group_1000", GROUP)] {
            let resource: Value = serde_json::from_str(resource).unwrap();
            let bodies = corpus(target.trim_end_matches("_1000"));
            group.throughput(Throughput::Elements(bodies.len() as u64));
            group.bench_function(target, |b| {
                b.iter_batched_ref(
                    || vec![resource.clone(); bodies.len()],
                    |resources| {
                        let outcomes = bodies
                            .iter()
                            .zip(resources.iter_mut())
                            .map(|(body, resource)| apply(&patcher, body, resource));
                        match mode {
                            Mode::FreeInside => {
                                outcomes.for_each(drop);
                                Vec::new()
                            }
                            Mode::FreeAfter => outcomes.collect::<Vec<_>>(),
                            Mode::ReadDelta => outcomes
                                .inspect(|outcome| {
                                    let (added, removed) = outcome.members_delta();
                                    black_box((added.len(), removed.len()));
                                })
                                .collect(),
                        }
                    },
                    BatchSize::LargeInput,
                );
            });
        }
        group.finish();
    }
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
    let body = serde_json::to_vec(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "new-member"}]}]
    }))
    .unwrap();
    let mut group = c.benchmark_group("add_one_member");
    for n in [1_000, 10_000, 100_000] {
        let resource = group_of(n);
        group.bench_with_input(BenchmarkId::new("patch", n), &n, |b, _| {
            b.iter_batched_ref(
                || resource.clone(),
                |resource| drop(apply(&patcher, &body, resource)),
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

criterion_group!(benches, corpus_groups, add_one_member);
criterion_main!(benches);
