//! Allocation budget of one guarded request: a real `#[jwt_required]` handler (sync and async)
//! on a request with a valid bearer token, its `json!` answer and the conversion into a
//! response, and the same for a request the guard refuses. Each is also compared with the same
//! handler written by hand around `guard(..)`, which proves the attribute itself adds no
//! allocation.
//!
//! `allocation-counter` replaces the global allocator of this test binary only and counts per
//! thread; the request is built before counting starts (the server builds it from hyper's parts
//! as it reads them), so what is counted is the work between routing and writing the response:
//! what the server's `Handler::call` runs for a sync handler. A second test counts one request
//! through the whole dispatch (`BustApi::handle`), guarded and not.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use allocation_counter::measure;
use bustjwt::{
    IntoResponse, Jwt, Rejection, Request, Requirement, Value, guard, json, jwt_required,
};

/// The handler under test, exactly as a user writes it.
#[jwt_required]
fn me(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

/// The same handler as an `async fn`, the README's form.
#[jwt_required]
async fn me_async(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

/// What `me` would be without the attribute: the guard call written out by hand.
fn me_by_hand(req: Request) -> Result<Value, Rejection> {
    let req = guard(req, Requirement::Access)?;
    Ok(json!({ "user": req.jwt_identity() }))
}

/// The output of a future that is ready at its first poll (a guarded `async fn` with a
/// synchronous body never waits), polled without a runtime so nothing else allocates.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the handler's future was not ready"),
    }
}

fn request(jwt: &Jwt, authorization: Option<&str>) -> Request {
    let mut builder = hyper::Request::get("/me");
    if let Some(value) = authorization {
        builder = builder.header("Authorization", value);
    }
    Request::from_http(builder.body(bytes::Bytes::new()).unwrap()).with_jwt(jwt.clone())
}

/// Allocations of one request through `handler` and into a response, after a warm-up request;
/// also the response's status and body, to check the handler really ran (or was refused).
fn count(
    jwt: &Jwt,
    authorization: Option<&str>,
    handler: impl Fn(Request) -> bustjwt::Response,
) -> (u64, u16, bytes::Bytes) {
    black_box(handler(request(jwt, authorization)));
    let req = request(jwt, authorization);
    let mut response = None;
    let info = measure(|| {
        response = Some(black_box(handler(req)));
    });
    let response = response.expect("measured");
    let status = response.status().as_u16();
    let body = body_of(response);
    (info.count_total, status, body)
}

fn body_of(response: bustjwt::Response) -> bytes::Bytes {
    use http_body_util::BodyExt;
    now(response.into_body().collect())
        .expect("a full body cannot fail")
        .to_bytes()
}

/// A handler form, run the way the server runs it: called, then converted into a response.
type Form = fn(Request) -> bustjwt::Response;

/// The three forms of the handler, by name.
fn forms() -> [(&'static str, Form); 3] {
    [
        ("#[jwt_required] fn", |req| me(req).into_response()),
        ("#[jwt_required] async fn", |req| {
            now(me_async(req)).into_response()
        }),
        ("hand-written guard(..)", |req| {
            me_by_hand(req).into_response()
        }),
    ]
}

#[test]
fn guarded_request_allocations() {
    let jwt = Jwt::builder()
        .secret_key("allocation-test-key-allocation-test-key")
        .build()
        .unwrap();
    let token = jwt.create_access_token("user123");
    let mut forged = token.clone();
    forged.truncate(token.len() - 4);
    forged.push_str("AAAA");
    let accepted = format!("Bearer {token}");
    let refused = format!("Bearer {forged}");

    let mut by_form = Vec::new();
    for (form, handler) in forms() {
        // Accepted: decoding's two claim strings (see bustjwt-core's allocation test); the
        // `json!` object (map node, key, value string), its serialized body, the response's
        // header map and the body's conversion into `Bytes`.
        let (ok, status, body) = count(&jwt, Some(&accepted), handler);
        assert_eq!(status, 200, "{form}");
        assert_eq!(body, r#"{"user":"user123"}"#, "{form}");
        assert!(
            ok <= ACCEPTED,
            "{form}: a guarded request with a valid token: {ok} allocations"
        );

        // Refused (bad signature): the error body and the `WWW-Authenticate` header.
        let (no, status, body) = count(&jwt, Some(&refused), handler);
        assert_eq!(status, 401, "{form}");
        assert_eq!(body, r#"{"error":"Invalid token signature"}"#, "{form}");
        assert!(no <= REFUSED, "{form}: a refused request: {no} allocations");

        // Refused (no header): the bare challenge.
        let (missing, status, _) = count(&jwt, None, handler);
        assert_eq!(status, 401, "{form}");
        assert!(
            missing <= REFUSED,
            "{form}: a request without a token: {missing} allocations"
        );
        println!("{form}: accepted {ok}, bad signature {no}, missing {missing} allocations");
        by_form.push((form, [ok, no, missing]));
    }

    // The attribute adds nothing to the hand-written guard call, sync or async.
    let (_, by_hand) = by_form[2];
    for (form, counts) in &by_form[..2] {
        assert_eq!(
            *counts, by_hand,
            "{form} allocates differently from the hand-written guard call \
             ([accepted, bad signature, missing])"
        );
    }
}

/// Measured 9 (rustc 1.95, December 2026): `sub` and `jti` from decoding, the `json!` map's
/// node, key and string value, the serialized body, the response's header map (two
/// allocations), and one for converting the body into `Bytes`. Two of margin.
const ACCEPTED: u64 = 11;
/// Measured 13, for a bad signature and for no header alike: the error's message and JSON body,
/// the `WWW-Authenticate` value, the header map and the `JwtError` carried on the request.
/// Two of margin.
const REFUSED: u64 = 15;

/// Allocations of one request through the whole dispatch (`BustApi::handle`: routing, the
/// body, the handler, the response's final touches), after a warm-up request. A current-thread
/// runtime polls it on this thread, where the counter counts.
fn count_through_router(
    app: &bustjwt::BustApi,
    path: &str,
    authorization: Option<&str>,
) -> (u64, u16) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let request = || {
        let mut builder = hyper::Request::get(path).header("Host", "127.0.0.1");
        if let Some(value) = authorization {
            builder = builder.header("Authorization", value);
        }
        builder.body(bytes::Bytes::new()).unwrap()
    };
    black_box(runtime.block_on(app.handle(request())));
    let req = request();
    let mut response = None;
    let info = measure(|| {
        response = Some(black_box(runtime.block_on(app.handle(req))));
    });
    (
        info.count_total,
        response.expect("measured").status().as_u16(),
    )
}

#[test]
fn guarded_request_through_the_router_allocations() {
    let mut app = bustjwt::BustApi::new();
    app.secret_key("allocation-test-key-allocation-test-key");
    let jwt = Jwt::new(&mut app).unwrap();
    app.get("/me", me_async);
    app.get("/plain", |_req: Request| json!({ "user": "user123" }));
    let accepted = format!("Bearer {}", jwt.create_access_token("user123"));

    let (plain, status) = count_through_router(&app, "/plain", None);
    assert_eq!(status, 200);
    let (guarded, status) = count_through_router(&app, "/me", Some(&accepted));
    assert_eq!(status, 200);
    let (refused, status) = count_through_router(&app, "/me", Some("Bearer a.b.c"));
    assert_eq!(status, 401);
    println!("through the router: plain {plain}, guarded {guarded}, refused {refused} allocations");
    assert!(
        guarded <= ROUTED_ACCEPTED,
        "a guarded request through the router: {guarded} allocations"
    );
    assert!(
        refused <= ROUTED_REFUSED,
        "a refused request through the router: {refused} allocations"
    );
    // What the token check adds to the same route unguarded.
    assert!(
        guarded - plain <= GUARD_OVER_PLAIN,
        "the guard adds {} allocations to a plain route",
        guarded - plain
    );
}

/// Measured 13 (rustc 1.95, December 2026): the unguarded route's 10 (the request's head and
/// path parameters, the `json!` answer, its body and the response's headers) plus the three
/// below. Two of margin.
const ROUTED_ACCEPTED: u64 = 15;
/// Measured 18: the refusal's message, JSON body, challenge and error on top of the request's
/// own. Two of margin.
const ROUTED_REFUSED: u64 = 20;
/// Measured 3: the `sub` and `jti` strings, and the boxed future of the `async fn` handler
/// (the unguarded route is a sync closure). One of margin.
const GUARD_OVER_PLAIN: u64 = 4;
