//! The token pairs of `benches/tokens.rs`, measured interleaved: blocks of calls of bustjwt and
//! of raw `jsonwebtoken` take turns, and each block pair gives one ratio. A shared machine's
//! speed drifts over seconds, so criterion, which measures one side after the other, can see a
//! different machine for each; two blocks a millisecond apart see the same one. Prints, per
//! pair, the median ratio with its 10th and 90th percentiles.
//!
//! `cargo bench -p bustjwt-core --bench paired` (`PAIRS` and `BLOCK` override the defaults).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Times `calls` calls of `f`.
fn block(calls: usize, f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        f();
    }
    start.elapsed()
}

/// Per-pair ratios (ours / theirs), sorted. The side that goes first alternates, so neither
/// always runs on a warmer cache.
fn ratios(
    pairs: usize,
    calls: usize,
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
) -> Vec<f64> {
    // Warm-up, not counted.
    block(calls * 10, &mut ours);
    block(calls * 10, &mut theirs);
    let mut ratios: Vec<f64> = (0..pairs)
        .map(|pair| {
            let (a, b) = if pair % 2 == 0 {
                let a = block(calls, &mut ours);
                (a, block(calls, &mut theirs))
            } else {
                let b = block(calls, &mut theirs);
                (block(calls, &mut ours), b)
            };
            a.as_secs_f64() / b.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; this harness has no options of its own.
    let pairs = env_or("PAIRS", 301);
    let calls = env_or("BLOCK", 200);
    let setup = common::Setup::new();

    let groups: [(&str, Vec<f64>); 3] = [
        (
            "create_access_token",
            ratios(
                pairs,
                calls,
                || {
                    black_box(setup.create());
                },
                || {
                    black_box(setup.raw_create());
                },
            ),
        ),
        (
            "decode_token",
            ratios(
                pairs,
                calls,
                || {
                    black_box(setup.decode(&setup.token).unwrap());
                },
                || {
                    black_box(setup.raw_decode(&setup.token).unwrap());
                },
            ),
        ),
        (
            "reject_bad_signature",
            ratios(
                pairs,
                calls,
                || {
                    black_box(setup.decode(&setup.bad_signature).unwrap_err());
                },
                || {
                    drop(black_box(
                        setup.raw_decode(&setup.bad_signature).unwrap_err(),
                    ))
                },
            ),
        ),
    ];
    println!("{pairs} interleaved pairs of {calls}-call blocks; ratio = bustjwt / jsonwebtoken");
    for (name, ratios) in groups {
        let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
        println!(
            "paired {name} median {:.3} p10 {:.3} p90 {:.3}",
            at(0.5),
            at(0.1),
            at(0.9)
        );
    }
}
