//! Filters parsed (and evaluated) per second: scim-rs against `scim_v2` 1.0.0 and
//! `scim-filter` 0.2.3, over the filters of `bench/filters.txt` that all of them accept,
//! measured in the same run. `cargo bench --manifest-path peer-bench/Cargo.toml`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scim_rs_peer_bench::{PARSERS, USER, common_subset, corpus};
use serde_json::Value;

fn parse(c: &mut Criterion) {
    let all = corpus();
    let common = common_subset();
    eprintln!("common subset: {} of {} filters", common.len(), all.len());
    for (name, parse) in PARSERS {
        let rejected: Vec<_> = all.iter().filter(|f| !parse(f)).collect();
        eprintln!("{name} rejects {}: {rejected:?}", rejected.len());
    }
    let mut group = c.benchmark_group("parse_common");
    group.throughput(Throughput::Elements(common.len() as u64));
    for (name, parse) in PARSERS {
        group.bench_function(name, |b| {
            b.iter(|| {
                for f in &common {
                    assert!(parse(black_box(f)));
                }
            });
        });
    }
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let user: Value = serde_json::from_str(USER).unwrap();
    // The filters both evaluators handle: scim-filter 0.2.3 errors on some.
    let pairs: Vec<_> = common_subset()
        .into_iter()
        .filter_map(|f| {
            let ours = scim_filter::Filter::parse(f).unwrap();
            let (_, theirs) = peer_scim_filter::parser::filter(f).unwrap();
            theirs.r#match(&user).ok().map(|_| (ours, theirs))
        })
        .collect();
    eprintln!("evaluation subset: {} filters", pairs.len());
    let mut group = c.benchmark_group("evaluate_common");
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("scim-rs", |b| {
        b.iter(|| {
            for (ours, _) in &pairs {
                black_box(ours.matches(black_box(&user)));
            }
        });
    });
    group.bench_function("scim-filter 0.2.3", |b| {
        b.iter(|| {
            for (_, theirs) in &pairs {
                black_box(theirs.r#match(black_box(&user)).unwrap());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, parse, evaluate);
criterion_main!(benches);
