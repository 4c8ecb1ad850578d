//! Allocation budgets of the token engine, so a change that adds allocations to the hot paths
//! fails a test instead of going unnoticed.
//!
//! `allocation-counter` replaces the global allocator of this test binary only, and counts per
//! thread, so the tests here may run in parallel. Each measured call is made once beforehand, so
//! one-time set-up (thread-local buffers, lazy statics) is not counted.

use std::hint::black_box;

use allocation_counter::measure;
use bustjwt_core::{Jwt, TokenOptions};
use serde_json::json;

#[derive(serde::Serialize)]
struct Custom {
    role: &'static str,
    tenant: u32,
}

fn jwt() -> Jwt {
    Jwt::builder()
        .secret_key("allocation-test-key-allocation-test-key")
        .build()
        .unwrap()
}

/// Allocations of one call of `f`, after a warm-up call.
fn count(mut f: impl FnMut()) -> u64 {
    f();
    measure(f).count_total
}

#[test]
fn decode_token_allocations() {
    let jwt = jwt();

    // A plain access token: the payload is decoded on the stack and the custom claims map stays
    // empty; the strings `sub` and `jti` are the only allocations (`type` is read in place).
    let plain = jwt.create_access_token("user123");
    let n = count(|| {
        black_box(jwt.decode_token(black_box(&plain)).unwrap());
    });
    assert!(n <= 2, "decoding a plain access token: {n} allocations");

    // With two custom claims (the benchmark's token), add the map's keys "role" and "tenant",
    // the string value "admin" and one B-tree node.
    let custom = jwt
        .create_access_token_with(
            "user123",
            TokenOptions::new().claims(json!({ "role": "admin", "tenant": 42 })),
        )
        .unwrap();
    let n = count(|| {
        black_box(jwt.decode_token(black_box(&custom)).unwrap());
    });
    assert!(
        n <= 6,
        "decoding a token with two custom claims: {n} allocations"
    );

    // Refusals allocate nothing either.
    let mut forged = plain.clone();
    forged.truncate(plain.len() - 4);
    forged.push_str("AAAA");
    let n = count(|| {
        black_box(jwt.decode_token(black_box(&forged)).unwrap_err());
    });
    assert_eq!(n, 0, "rejecting a bad signature");

    // Creating a token: the payload JSON and the token itself (the `jti` is on the stack).
    let n = count(|| {
        black_box(jwt.create_access_token(black_box("user123")));
    });
    assert!(n <= 2, "creating a plain access token: {n} allocations");

    // Custom claims add their JSON text, never a `Value` tree (their names are checked as they
    // are written).
    let n = count(|| {
        black_box(
            jwt.create_access_token_with(
                black_box("user123"),
                TokenOptions::new().claims(Custom {
                    role: "admin",
                    tenant: 42,
                }),
            )
            .unwrap(),
        );
    });
    assert!(
        n <= 3,
        "creating a token with two custom claims: {n} allocations"
    );
}
