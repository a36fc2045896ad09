//! Filters parsed (and evaluated) per second: scim-rs against `scim_v2` 1.0.0 and
//! `scim-filter` 0.2.3, over the filters of `bench/filters.txt` that all of them accept, and
//! against kanidm's `scim_proto` over the filters both accept, measured in the same run.
//! `cargo bench --manifest-path peer-bench/Cargo.toml`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scim_rs_peer_bench::{
    PARSERS, USER, common_subset, corpus, parse_ours, parse_scim_proto, scim_proto_subset,
};
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

/// scim-rs against `scim_proto`, which rejects URN paths: on the filters both accept.
fn parse_against_scim_proto(c: &mut Criterion) {
    let both = scim_proto_subset();
    let rejected: Vec<_> = corpus()
        .into_iter()
        .filter(|f| !parse_scim_proto(f))
        .collect();
    eprintln!(
        "scim_proto subset: {} filters; scim_proto rejects {}: {rejected:?}",
        both.len(),
        rejected.len()
    );
    let mut group = c.benchmark_group("parse_scim_proto_subset");
    group.throughput(Throughput::Elements(both.len() as u64));
    for (name, parse) in [
        ("scim-rs", parse_ours as fn(&str) -> bool),
        ("scim_proto 1.10.4", parse_scim_proto),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for f in &both {
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

criterion_group!(benches, parse, parse_against_scim_proto, evaluate);
criterion_main!(benches);
