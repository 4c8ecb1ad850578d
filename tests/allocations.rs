//! Allocation budget of one guarded request: the `#[jwt_required]` check on a request with a
//! valid bearer token, the handler's `json!` answer and its conversion into a response, and the
//! same for a request the guard refuses.
//!
//! `allocation-counter` replaces the global allocator of this test binary only and counts per
//! thread; the request is built before counting starts (the server builds it from hyper's parts
//! as it reads them), so what is counted is the work between routing and writing the response.

use std::hint::black_box;

use allocation_counter::measure;
use bustjwt::{HttpError, IntoResponse, Jwt, Request, Requirement, guard, json};

fn request(jwt: &Jwt, authorization: Option<&str>) -> Request {
    let mut builder = hyper::Request::get("/me");
    if let Some(value) = authorization {
        builder = builder.header("Authorization", value);
    }
    Request::from_http(builder.body(bytes::Bytes::new()).unwrap()).with_jwt(jwt.clone())
}

/// What `#[jwt_required] fn me(req: Request) -> Value { json!({"user": ..}) }` runs.
fn me(req: Request) -> bustjwt::Response {
    match guard(req, Requirement::Access) {
        Ok(req) => json!({ "user": req.jwt_identity() }).into_response(),
        Err(rejection) => HttpError::from(rejection).into_response(),
    }
}

/// Allocations of one guarded request, after a warm-up request.
fn count(jwt: &Jwt, authorization: Option<&str>) -> (u64, u16) {
    black_box(me(request(jwt, authorization)));
    let req = request(jwt, authorization);
    let mut status = 0;
    let info = measure(|| {
        let response = me(req);
        status = response.status().as_u16();
        black_box(response);
    });
    (info.count_total, status)
}

#[test]
fn guarded_request_allocations() {
    let jwt = Jwt::builder()
        .secret_key("allocation-test-key-allocation-test-key")
        .build()
        .unwrap();
    let token = jwt.create_access_token("user123");

    // Accepted: decoding's three claim strings (see bustjwt-core's allocation test); the
    // `json!` object (map node, key, value string), its serialized body, the response's header
    // map and `Content-Type` value.
    let (n, status) = count(&jwt, Some(&format!("Bearer {token}")));
    assert_eq!(status, 200);
    assert!(
        n <= ACCEPTED,
        "a guarded request with a valid token: {n} allocations"
    );

    // Refused (bad signature): the error body and the `WWW-Authenticate` header.
    let mut forged = token.clone();
    forged.truncate(token.len() - 4);
    forged.push_str("AAAA");
    let (n, status) = count(&jwt, Some(&format!("Bearer {forged}")));
    assert_eq!(status, 401);
    assert!(n <= REFUSED, "a refused request: {n} allocations");
}

/// Measured 10 (rustc 1.95, December 2026): `sub`, `jti` and `type` from decoding, the `json!`
/// map's node, key and string value, the serialized body, the response's header map (two
/// allocations), and one for converting the body into `Bytes`. Two of margin.
const ACCEPTED: u64 = 12;
/// Measured 13: the error's message and JSON body, the `WWW-Authenticate` value, the header map
/// and the `JwtError` carried on the request. Three of margin.
const REFUSED: u64 = 16;
