//! Token engine benchmarks: bustjwt next to raw `jsonwebtoken` doing the same work.
//!
//! Run with `cargo bench -p bustjwt-core --bench tokens`; compare the pairs within one run.
//! `benches/paired.rs` measures the same pairs interleaved, for their ratios.

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn tokens(c: &mut Criterion) {
    let setup = common::Setup::new();

    let mut group = c.benchmark_group("create_access_token");
    group.bench_function("bustjwt", |b| b.iter(|| setup.create()));
    group.bench_function("jsonwebtoken", |b| b.iter(|| setup.raw_create()));
    group.finish();

    let mut group = c.benchmark_group("decode_token");
    group.bench_function("bustjwt", |b| {
        b.iter(|| setup.decode(&setup.token).unwrap())
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| setup.raw_decode(&setup.token).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("reject_bad_signature");
    group.bench_function("bustjwt", |b| {
        b.iter(|| setup.decode(&setup.bad_signature).unwrap_err())
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| setup.raw_decode(&setup.bad_signature).unwrap_err())
    });
    group.finish();

    // What both sides of `create_access_token` pay for the `jti` and cannot avoid: 16 bytes from
    // the operating system's random number generator (one system call).
    c.bench_function("os_random_16_bytes", |b| {
        b.iter(|| {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).unwrap();
            black_box(bytes)
        })
    });
}

criterion_group!(benches, tokens);
criterion_main!(benches);
