//! Token engine benchmarks: bustjwt next to raw `jsonwebtoken` doing the same work.
//!
//! Run with `cargo bench -p bustjwt-core`; compare the pairs within one run.

use std::hint::black_box;

use bustjwt_core::{Jwt, TokenOptions};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

const KEY: &[u8] = b"benchmark-secret-key-of-32-bytes";

/// The same claims bustjwt writes, for `jsonwebtoken`.
#[derive(Debug, Serialize, Deserialize)]
struct RawClaims {
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    #[serde(rename = "type")]
    token_type: String,
    fresh: bool,
    role: String,
    tenant: u32,
}

/// The custom claims of the benchmark's token.
#[derive(Serialize)]
struct Custom {
    role: &'static str,
    tenant: u32,
}

/// What bustjwt puts in a token, built for `jsonwebtoken`: the same work, a fresh 128-bit `jti`
/// from the operating system included.
fn raw_claims() -> RawClaims {
    use base64::Engine as _;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).unwrap();
    RawClaims {
        sub: "user123".into(),
        iat: now,
        nbf: now,
        exp: now + 900,
        jti: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
        token_type: "access".into(),
        fresh: true,
        role: "admin".into(),
        tenant: 42,
    }
}

fn tokens(c: &mut Criterion) {
    let jwt = Jwt::builder().secret_key(KEY).build().unwrap();
    let encoding = EncodingKey::from_secret(KEY).unwrap();
    let decoding = DecodingKey::from_secret(KEY).unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "nbf", "sub"]);

    let token = jwt
        .create_access_token_with(
            "user123",
            TokenOptions::new().claims(json!({ "role": "admin", "tenant": 42 })),
        )
        .unwrap();
    let mut bad_signature = token.clone();
    bad_signature.truncate(token.len() - 4);
    bad_signature.push_str("AAAA");

    let mut group = c.benchmark_group("create_access_token");
    group.bench_function("bustjwt", |b| {
        b.iter(|| {
            jwt.create_access_token_with(
                black_box("user123"),
                TokenOptions::new().claims(Custom {
                    role: "admin",
                    tenant: 42,
                }),
            )
            .unwrap()
        })
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| {
            let claims = raw_claims();
            jsonwebtoken::encode(&Header::default(), black_box(&claims), &encoding).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("decode_token");
    group.bench_function("bustjwt", |b| {
        b.iter(|| jwt.decode_token(black_box(&token)).unwrap())
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<RawClaims>(black_box(&token), &decoding, &validation).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("reject_bad_signature");
    group.bench_function("bustjwt", |b| {
        b.iter(|| jwt.decode_token(black_box(&bad_signature)).unwrap_err())
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<RawClaims>(black_box(&bad_signature), &decoding, &validation)
                .unwrap_err()
        })
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
