//! Parsing and evaluation throughput over the shared corpus of realistic filters
//! (`bench/filters.txt`), and parse cost against input size.
//!
//! Run with `cargo bench -p scim-filter`; criterion reports filters per second for the corpus
//! groups and bytes per second for the scaling group.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scim_filter::{Evaluator, Filter, Limits, NoSchema};
use serde_json::Value;

const FILTERS: &str = include_str!("../../bench/filters.txt");
const USER: &str = include_str!("../../bench/user.json");

fn corpus() -> Vec<&'static str> {
    FILTERS.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn parse(c: &mut Criterion) {
    let filters = corpus();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(filters.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for f in &filters {
                black_box(Filter::parse(black_box(f)).unwrap());
            }
        });
    });
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let filters: Vec<Filter> = corpus().iter().map(|f| Filter::parse(f).unwrap()).collect();
    let user: Value = serde_json::from_str(USER).unwrap();
    let evaluator = Evaluator::new(NoSchema);
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(filters.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for f in &filters {
                black_box(evaluator.matches(f, black_box(&user)));
            }
        });
    });
    group.finish();
}

/// Parse time per byte stays flat as inputs grow: an or-chain of n comparisons, and n nested
/// groups.
fn scaling(c: &mut Criterion) {
    let limits = Limits::default()
        .with_max_length(usize::MAX)
        .with_max_terms(u32::MAX)
        .with_max_depth(64);
    let mut group = c.benchmark_group("parse_scaling");
    for n in [16, 256, 4096] {
        let chain = (0..n)
            .map(|i| format!(r#"userName eq "user{i}""#))
            .collect::<Vec<_>>()
            .join(" or ");
        group.throughput(Throughput::Bytes(chain.len() as u64));
        group.bench_with_input(BenchmarkId::new("or_chain", n), &chain, |b, input| {
            b.iter(|| Filter::parse_with(black_box(input), &limits).unwrap());
        });
    }
    for n in [4, 16, 64] {
        let nested = "(".repeat(n) + r#"userName eq "x""# + &")".repeat(n);
        group.throughput(Throughput::Bytes(nested.len() as u64));
        group.bench_with_input(BenchmarkId::new("nested", n), &nested, |b, input| {
            b.iter(|| Filter::parse_with(black_box(input), &limits).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, parse, evaluate, scaling);
criterion_main!(benches);
