//! A request as the server hands it to a handler: arbitrary method, URI, headers and body, then
//! everything a handler can ask of it (query string, cookies, headers, text and JSON bodies)
//! and every guard. Nothing may panic, and the guards agree with `authenticate`.
//!
//! Input layout: lines separated by `\n`: the method, the URI, then `name: value` headers up to
//! an empty line; everything after that empty line is the body.
#![no_main]

use std::sync::LazyLock;

use bustjwt_core::{AuthorizationHeader, Jwt, Requirement, authenticate, guard};
use bustjwt_server::Request;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

static JWT: LazyLock<Jwt> = LazyLock::new(|| {
    Jwt::builder()
        .secret_key("a-fuzzing-key-that-is-at-least-32-bytes-long")
        .build()
        .unwrap()
});

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Credentials {
    username: String,
    password: String,
}

fn build(data: &[u8]) -> Option<http::Request<Vec<u8>>> {
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
    let body = data.get(consumed..).unwrap_or_default().to_vec();
    builder.body(body).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(http_request) = build(data) else {
        return;
    };
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
