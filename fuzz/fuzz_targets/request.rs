//! The request path: arbitrary method, URI, headers and body, answered by a real app through
//! the server's own dispatch (`BustApi::handle`: router with `<int:..>`, `<..>` and `<path:..>`
//! parameters and percent-decoding, the body limit and its `413`, JSON bodies, guards, `HEAD`
//! and `405`), then everything a handler can ask of a request (query string, cookies, headers,
//! text and JSON bodies) and every guard.
//!
//! Nothing may panic (libFuzzer's panic hook aborts even on a panic the server would catch),
//! every status is one the app can give for that input, handlers never see a body over the
//! limit or a parameter their converter refuses, and the guards agree with `authenticate`.
//!
//! Input layout: lines separated by `\n`: the method, the URI, then `name: value` headers up to
//! an empty line; everything after that empty line is the body.
#![no_main]

use std::sync::LazyLock;

use bustjwt_core::{AuthorizationHeader, Jwt, Requirement, authenticate, guard};
use bustjwt_server::{BustApi, Request, Response};
use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::{Value, json};

const KEY: &str = "a-fuzzing-key-that-is-at-least-32-bytes-long";

/// The app's body limit: small, so the fuzzer reaches `413` both ways (declared and read).
const MAX_BODY: usize = 256;

static JWT: LazyLock<Jwt> = LazyLock::new(|| Jwt::builder().secret_key(KEY).build().unwrap());

/// The body reader's timeout needs a Tokio timer; one runtime serves every input.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
});

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Credentials {
    username: String,
    password: String,
}

/// Every handler checks that the server kept its promises before it was called.
fn checked(req: &Request) {
    assert!(
        req.body().len() <= MAX_BODY,
        "a body over the limit reached a handler"
    );
}

static APP: LazyLock<BustApi> = LazyLock::new(|| {
    let mut app = BustApi::new();
    app.secret_key(KEY);
    Jwt::new(&mut app).unwrap();
    app.max_body_size(MAX_BODY)
        .get("/users/<int:id>", |req: Request| {
            checked(&req);
            let id = req.param("id").expect("the route's parameter");
            assert!(
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
                "{id:?}"
            );
            let id = req
                .param_as::<u64>("id")
                .expect("`<int:..>` only matches a u64");
            json!({ "id": id })
        })
        .get("/users/<name>", |req: Request| {
            checked(&req);
            let name = req.param("name").expect("the route's parameter");
            assert!(!name.is_empty());
            json!({ "name": name })
        })
        .post("/users/<int:id>/notes", |req: Request| {
            checked(&req);
            let note: Value = req.json()?;
            Ok::<_, bustjwt_server::BadRequest>((json!({ "note": note }), 201))
        })
        .get("/files/<path:rest>", |req: Request| {
            checked(&req);
            let rest = req.param("rest").expect("the route's parameter");
            assert!(!rest.is_empty());
            rest.to_owned()
        })
        .post("/login", |req: Request| {
            checked(&req);
            let credentials: Credentials = req.json()?;
            let ok = credentials.username == "admin" && credentials.password == "secret";
            let answer = if ok {
                (
                    json!({ "access_token": JWT.create_access_token("admin") }),
                    200,
                )
            } else {
                (json!({ "error": "Invalid credentials" }), 401)
            };
            Ok::<_, bustjwt_server::BadRequest>(answer)
        })
        .get("/me", |req: Request| {
            checked(&req);
            let req = guard(req, Requirement::Access)?;
            Ok::<_, bustjwt_core::Rejection>(json!({ "user": req.jwt_identity() }))
        })
        .get("/feed", |req: Request| {
            checked(&req);
            let req = guard(req, Requirement::Optional)?;
            Ok::<_, bustjwt_core::Rejection>(json!({ "user": req.jwt_identity() }))
        });
    app
});

fn build(data: &[u8]) -> Option<http::Request<Bytes>> {
    let mut lines = data.split(|&b| b == b'\n');
    let method = http::Method::from_bytes(lines.next()?).ok()?;
    let uri = http::Uri::try_from(lines.next()?).ok()?;
    let mut builder = http::Request::builder().method(method).uri(uri);
    let mut consumed = 0;
    for line in data.split(|&b| b == b'\n').take(2) {
        consumed += line.len() + 1;
    }
    for line in lines {
        consumed += line.len() + 1;
        if line.is_empty() {
            break;
        }
        let split = line.iter().position(|&b| b == b':')?;
        let name = http::HeaderName::from_bytes(&line[..split]).ok()?;
        let value = http::HeaderValue::from_bytes(line[split + 1..].trim_ascii()).ok()?;
        builder = builder.header(name, value);
    }
    let body = data.get(consumed..).unwrap_or_default();
    builder.body(Bytes::copy_from_slice(body)).ok()
}

/// Answers `request` through the app, as the server would, and checks the response.
fn dispatch(request: http::Request<Bytes>) {
    let method = request.method().clone();
    let body_len = request.body().len();
    let declared_too_large = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY as u64);
    let (response, body) = RUNTIME.block_on(async {
        let response: Response = APP.handle(request).await;
        let (head, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .expect("a full body cannot fail")
            .to_bytes();
        (head, body)
    });

    let status = response.status.as_u16();
    assert!(
        matches!(status, 200 | 201 | 400 | 401 | 404 | 405 | 413),
        "unexpected status {status}"
    );
    assert!(
        response.headers.contains_key(CONTENT_TYPE),
        "{status} without Content-Type"
    );
    match status {
        405 => assert!(response.headers.contains_key(ALLOW), "405 without Allow"),
        413 => assert!(
            declared_too_large || body_len > MAX_BODY,
            "413 for a body within the limit"
        ),
        _ => {}
    }
    if body_len > MAX_BODY {
        // Read or not, a body over the limit never gets a handler's answer.
        assert!(
            matches!(status, 404 | 405 | 413),
            "{status} for an oversized body"
        );
    }
    if method == http::Method::HEAD {
        assert!(body.is_empty(), "a HEAD answer with a body");
    } else if response.headers[CONTENT_TYPE] == "application/json" {
        // Every JSON answer, errors included, is valid JSON.
        serde_json::from_slice::<Value>(&body).expect("a JSON body");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(http_request) = build(data) else {
        return;
    };
    dispatch(http_request.clone());

    let requirements = [
        Requirement::Access,
        Requirement::FreshAccess,
        Requirement::Refresh,
        Requirement::Optional,
    ];
    for requirement in requirements {
        let req = Request::from_http(http_request.clone()).with_jwt(JWT.clone());
        let _ = req.method();
        let _ = req.path();
        let _ = req.query_string();
        let _ = req.query("access_token");
        let _ = req.query_all("a").count();
        let _ = req.query_pairs().count();
        let _ = req.cookie("access_token_cookie");
        let _ = req.cookie("");
        let _ = req.header("authorization");
        let _ = req.text();
        if let Err(error) = req.json::<serde_json::Value>() {
            assert!(error.message().chars().count() <= 201);
        }
        let _ = req.json::<Credentials>();
        let _ = format!("{req:?}");

        let values: Vec<&[u8]> = req
            .headers()
            .get_all(http::header::AUTHORIZATION)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        let header = match values.as_slice() {
            [] => AuthorizationHeader::Missing,
            [one] => AuthorizationHeader::One(one),
            _ => AuthorizationHeader::Multiple,
        };
        let expected = authenticate(&JWT, header, requirement);
        match guard(req, requirement) {
            Ok(req) => {
                if requirement == Requirement::Optional {
                    assert_eq!(
                        req.jwt_identity(),
                        expected.as_ref().ok().map(|c| c.identity())
                    );
                } else {
                    let claims = expected.expect("the guard accepted what authenticate refused");
                    assert_eq!(req.jwt_identity(), Some(claims.identity()));
                }
            }
            Err(rejection) => {
                assert_eq!(rejection.status(), 401);
                assert_eq!(
                    Some(rejection.jwt_error().unwrap()),
                    expected.as_ref().err()
                );
                let _ = rejection.www_authenticate();
                let _ = rejection.json_body();
            }
        }
    }
});
