//! Adversarial end-to-end tests (issue #5): hand-forged tokens, hostile headers and hostile login
//! bodies sent over real TCP to the `complete` example. Every case checks the exact status and
//! error message, so a change in what is refused, or why, shows up here.

#[path = "../examples/complete.rs"]
#[allow(dead_code, unreachable_pub)]
mod complete;
mod support;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::Full;
use hyper::StatusCode;
use serde_json::{Value, json};
use support::{Client, Reply, TestServer, assert_unauthorized};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "an-end-to-end-test-key-that-is-long-enough";
const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

const BAD_SIGNATURE: &str = "Invalid token signature";
const BAD_ALG: &str = "Invalid token: unexpected algorithm";
const BAD_BASE64: &str = "Invalid token: segment is not unpadded base64url";
const BAD_SEGMENTS: &str = "Invalid token: expected three dot-separated segments";
const BAD_HEADER: &str = "Invalid token: header is not a valid JSON object";
const BAD_PAYLOAD: &str = "Invalid token: payload is not a valid JSON object";
const BAD_TYP: &str = "Invalid token: unexpected type header";

async fn server() -> TestServer {
    TestServer::start(complete::build_app(Some(KEY.into())).unwrap()).await
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The base64url HMAC-SHA-`bits` of `input` under `key`.
fn mac(bits: u16, key: &[u8], input: &str) -> String {
    fn run<M: Mac + KeyInit>(key: &[u8], input: &str) -> String {
        let mut mac = <M as KeyInit>::new_from_slice(key).unwrap();
        mac.update(input.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }
    match bits {
        256 => run::<Hmac<sha2::Sha256>>(key, input),
        384 => run::<Hmac<sha2::Sha384>>(key, input),
        512 => run::<Hmac<sha2::Sha512>>(key, input),
        _ => unreachable!("HS256, HS384 or HS512"),
    }
}

/// `header.payload.HMAC-SHA256(key)` from raw JSON texts.
fn forge(header: &str, payload: &str, key: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    format!("{input}.{}", mac(256, key, &input))
}

/// A valid fresh access token's claims, with `changes` applied (`null` removes a claim).
fn claims(changes: Value) -> String {
    let now = now();
    let mut claims = json!({
        "sub": "admin", "iat": now, "nbf": now, "exp": now + 600,
        "jti": "adversarial", "type": "access", "fresh": true,
    });
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims.to_string()
}

/// A token signed with the real key, with `changes` applied to the claims.
fn token(changes: Value) -> String {
    forge(HS256_HEADER, &claims(changes), KEY.as_bytes())
}

/// Sends `GET /me` with these raw `Authorization` header values.
async fn me_with(client: &Client, authorization: &[&[u8]]) -> Reply {
    let mut builder = client.request("GET", "/me");
    for value in authorization {
        builder = builder.header("authorization", *value);
    }
    client.send(builder.body(Full::default()).unwrap()).await
}

/// Calls a guarded route of the complete app with its own method.
async fn call(client: &Client, route: &str, token: &str) -> Reply {
    match route {
        "/refresh" | "/change-password" => client.post(route, Some(token), None).await,
        _ => client.get(route, Some(token)).await,
    }
}

fn assert_ok_as_admin(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.json(), json!({ "user": "admin" }));
}

#[tokio::test]
async fn the_none_algorithm_in_any_case_is_refused() {
    let server = server().await;
    let client = server.client();
    let payload = claims(json!({}));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let unsigned = format!("{}.{}.", B64.encode(&header), B64.encode(&payload));
        assert_unauthorized(&client.get("/me", Some(&unsigned)).await, BAD_BASE64);
        // Even with a valid HMAC over it, `none` is not the configured algorithm.
        let signed = forge(&header, &payload, KEY.as_bytes());
        assert_unauthorized(&client.get("/me", Some(&signed)).await, BAD_ALG);
        assert_unauthorized(&client.post("/refresh", Some(&signed), None).await, BAD_ALG);
    }
    // No `alg` at all.
    let token = forge(r#"{"typ":"JWT"}"#, &payload, KEY.as_bytes());
    assert_unauthorized(&client.get("/me", Some(&token)).await, BAD_ALG);
}

#[tokio::test]
async fn other_algorithms_are_refused_even_with_a_valid_mac() {
    let server = server().await;
    let client = server.client();
    let payload = claims(json!({}));
    let b64_payload = B64.encode(&payload);

    let hs512_input = format!(
        "{}.{b64_payload}",
        B64.encode(r#"{"alg":"HS512","typ":"JWT"}"#)
    );
    let hs512 = format!("{hs512_input}.{}", mac(512, KEY.as_bytes(), &hs512_input));
    assert_unauthorized(&client.get("/me", Some(&hs512)).await, BAD_ALG);

    let hs384_input = format!(
        "{}.{b64_payload}",
        B64.encode(r#"{"alg":"HS384","typ":"JWT"}"#)
    );
    let hs384 = format!("{hs384_input}.{}", mac(384, KEY.as_bytes(), &hs384_input));
    assert_unauthorized(&client.get("/me", Some(&hs384)).await, BAD_ALG);

    // Algorithm confusion: an asymmetric `alg` with an HMAC signature made with the secret.
    for alg in ["RS256", "ES256", "PS256", "EdDSA", "hs256", "HS256 "] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let token = forge(&header, &payload, KEY.as_bytes());
        assert_unauthorized(&client.get("/me", Some(&token)).await, BAD_ALG);
    }

    // A non-string or duplicated `alg`.
    let token = forge(r#"{"alg":["HS256"],"typ":"JWT"}"#, &payload, KEY.as_bytes());
    assert_unauthorized(&client.get("/me", Some(&token)).await, BAD_HEADER);
    let token = forge(
        r#"{"alg":"HS256","alg":"none","typ":"JWT"}"#,
        &payload,
        KEY.as_bytes(),
    );
    assert_unauthorized(
        &client.get("/me", Some(&token)).await,
        "Invalid token: duplicate member `alg`",
    );
    // A `typ` other than JWT.
    let token = forge(
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        &payload,
        KEY.as_bytes(),
    );
    assert_unauthorized(&client.get("/me", Some(&token)).await, BAD_TYP);
}

#[tokio::test]
async fn a_crit_header_is_refused() {
    let server = server().await;
    let client = server.client();
    let payload = claims(json!({}));
    for header in [
        r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"crit":["b64"],"b64":false,"alg":"HS256"}"#,
    ] {
        let token = forge(header, &payload, KEY.as_bytes());
        assert_unauthorized(
            &client.get("/me", Some(&token)).await,
            "Invalid token: unsupported critical header",
        );
    }
}

#[tokio::test]
async fn key_selecting_headers_never_change_the_key() {
    let server = server().await;
    let client = server.client();
    let payload = claims(json!({}));
    let headers = [
        r#"{"alg":"HS256","typ":"JWT","kid":"../../../../dev/null"}"#,
        r#"{"alg":"HS256","typ":"JWT","kid":"' UNION SELECT 'key' --"}"#,
        r#"{"alg":"HS256","typ":"JWT","kid":""}"#,
        r#"{"alg":"HS256","typ":"JWT","jku":"https://attacker.example/jwks.json"}"#,
        r#"{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":""}}"#,
        r#"{"alg":"HS256","typ":"JWT","x5u":"https://attacker.example/cert.pem"}"#,
        r#"{"alg":"HS256","typ":"JWT","x5c":["MIIB"],"x5t":"abc"}"#,
    ];
    for header in headers {
        // Signed with the real key: the extra members are ignored.
        let real = forge(header, &payload, KEY.as_bytes());
        assert_ok_as_admin(&client.get("/me", Some(&real)).await);
        // Signed with a key the header points at: refused.
        for key in [
            &b""[..],
            b"key",
            b"attacker-controlled-key-attacker-controlled",
        ] {
            let forged = forge(header, &payload, key);
            assert_unauthorized(&client.get("/me", Some(&forged)).await, BAD_SIGNATURE);
        }
    }
    // A duplicated unknown header member is refused too.
    let token = forge(
        r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
        &payload,
        KEY.as_bytes(),
    );
    assert_unauthorized(
        &client.get("/me", Some(&token)).await,
        "Invalid token: duplicate member `header member`",
    );
}

#[tokio::test]
async fn signatures_from_other_keys_are_refused() {
    let server = server().await;
    let client = server.client();
    let payload = claims(json!({}));
    for key in [
        &b""[..],
        b"x",
        b"an-end-to-end-test-key-that-is-long-enougH",
        b"an-end-to-end-test-key-that-is-long-enough!",
    ] {
        let token = forge(HS256_HEADER, &payload, key);
        assert_unauthorized(&client.get("/me", Some(&token)).await, BAD_SIGNATURE);
    }
    // A truncated, an empty-looking and an over-long signature.
    let good = token(json!({}));
    let (input, signature) = good.rsplit_once('.').unwrap();
    let short = format!("{input}.{}", &signature[..40]);
    assert_unauthorized(&client.get("/me", Some(&short)).await, BAD_SIGNATURE);
    let zeros = format!("{input}.{}", B64.encode([0u8; 32]));
    assert_unauthorized(&client.get("/me", Some(&zeros)).await, BAD_SIGNATURE);
    let long = format!("{input}.{}", B64.encode([7u8; 200]));
    assert_unauthorized(&client.get("/me", Some(&long)).await, BAD_SIGNATURE);
    // The signature twice.
    let twice = B64.decode(signature).unwrap().repeat(2);
    let twice = format!("{input}.{}", B64.encode(twice));
    assert_unauthorized(&client.get("/me", Some(&twice)).await, BAD_SIGNATURE);
}

/// Replaces the character at `i` with another base64url character.
fn flip(token: &str, i: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn one_changed_character_anywhere_is_refused() {
    let server = server().await;
    let client = server.client();
    let good = token(json!({}));
    assert_ok_as_admin(&client.get("/me", Some(&good)).await);
    let first_dot = good.find('.').unwrap();
    let last_dot = good.rfind('.').unwrap();

    // Exact reasons at chosen positions.
    // The first character of the header: `{` is no longer `{`.
    assert_unauthorized(&client.get("/me", Some(&flip(&good, 0))).await, BAD_HEADER);
    // The first character of the payload: the signature no longer matches.
    assert_unauthorized(
        &client.get("/me", Some(&flip(&good, first_dot + 1))).await,
        BAD_SIGNATURE,
    );
    // The first character of the signature.
    assert_unauthorized(
        &client.get("/me", Some(&flip(&good, last_dot + 1))).await,
        BAD_SIGNATURE,
    );

    // Every position: refused, for a reason that fits the segment.
    for i in (0..good.len()).filter(|&i| i != first_dot && i != last_dot) {
        let reply = client.get("/me", Some(&flip(&good, i))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "position {i}");
        let error = reply.error();
        let allowed: &[&str] = if i < first_dot {
            &[BAD_HEADER, BAD_BASE64, BAD_ALG, BAD_TYP, BAD_SIGNATURE]
        } else if i < last_dot {
            &[BAD_SIGNATURE]
        } else {
            &[BAD_SIGNATURE, BAD_BASE64]
        };
        assert!(allowed.contains(&error.as_str()), "position {i}: {error}");
        assert_unauthorized(&reply, &error);
    }
}

#[tokio::test]
async fn padding_segments_and_encodings() {
    let server = server().await;
    let client = server.client();
    let good = token(json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);

    let cases: Vec<(String, &str)> = vec![
        // Padding, anywhere.
        (format!("{good}="), BAD_BASE64),
        (format!("{h}=.{p}.{s}"), BAD_BASE64),
        // The payload is decoded only after the signature over its text is checked.
        (format!("{h}.{p}==.{s}"), BAD_SIGNATURE),
        // The standard alphabet instead of base64url, and other stray characters.
        (format!("{h}.{p}.{}+", &s[..s.len() - 1]), BAD_BASE64),
        (format!("{h}.{p}.{}/", &s[..s.len() - 1]), BAD_BASE64),
        (format!("{h}.{p} .{s}"), BAD_SIGNATURE),
        (format!("{h} .{p}.{s}"), BAD_BASE64),
        (format!("{h}.{p}.{s}%"), BAD_BASE64),
        // Segments missing or extra.
        (format!("{h}.{p}"), BAD_SEGMENTS),
        (format!("{h}{p}{s}"), BAD_SEGMENTS),
        (format!("{h}.{p}.{s}.{s}"), BAD_SEGMENTS),
        (format!("{h}.{p}.{s}."), BAD_SEGMENTS),
        (format!(".{h}.{p}.{s}"), BAD_SEGMENTS),
        ("a.b.c.d.e".to_owned(), BAD_SEGMENTS),
        ("....".to_owned(), BAD_SEGMENTS),
        // Empty segments.
        ("..".to_owned(), BAD_BASE64),
        (format!(".{p}.{s}"), BAD_BASE64),
        (format!("{h}..{s}"), BAD_BASE64),
        (format!("{h}.{p}."), BAD_BASE64),
        // A JWE-shaped token (five segments).
        (format!("{h}.{p}.{s}.{p}.{s}"), BAD_SEGMENTS),
    ];
    for (token, message) in cases {
        assert_unauthorized(&client.get("/me", Some(&token)).await, message);
    }

    // Payloads that are not JSON objects, properly signed.
    for payload in [
        "[]",
        r#"["sub","admin"]"#,
        r#""admin""#,
        "42",
        "null",
        "not json",
        "{",
        "",
    ] {
        let token = forge(HS256_HEADER, payload, KEY.as_bytes());
        let expected = if payload.is_empty() {
            BAD_BASE64
        } else {
            BAD_PAYLOAD
        };
        assert_unauthorized(&client.get("/me", Some(&token)).await, expected);
    }
    let trailing = forge(
        HS256_HEADER,
        &format!("{} x", claims(json!({}))),
        KEY.as_bytes(),
    );
    assert_unauthorized(&client.get("/me", Some(&trailing)).await, BAD_PAYLOAD);
    let mut bytes = B64.encode(b"\xff\xfe{}");
    let signing_input = format!("{h}.{bytes}");
    bytes = format!(
        "{signing_input}.{}",
        mac(256, KEY.as_bytes(), &signing_input)
    );
    assert_unauthorized(&client.get("/me", Some(&bytes)).await, BAD_PAYLOAD);

    // Headers that are not JSON objects, properly signed.
    for header in ["[]", r#""HS256""#, "not json", r#"{"alg":"HS256"}x"#] {
        let token = forge(header, &claims(json!({})), KEY.as_bytes());
        assert_unauthorized(&client.get("/me", Some(&token)).await, BAD_HEADER);
    }
}

#[tokio::test]
async fn non_ascii_authorization_values_are_refused() {
    let server = server().await;
    let client = server.client();
    let not_ascii = "Invalid Authorization header: the header is not valid ASCII";
    let good = token(json!({}));
    for value in [
        &b"Bearer \xff\xfe"[..],
        b"Bearer \xc3\xa9.\xc3\xa9.\xc3\xa9",
        format!("Bearer {good}\u{e9}").as_bytes(),
    ] {
        assert_unauthorized(&me_with(&client, &[value]).await, not_ascii);
    }

    // The same, written byte for byte on a raw socket.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut request =
        b"GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ".to_vec();
    request.extend_from_slice(b"\x80\x81\xfe\xff.\xc0\xaf.\xed\xa0\x80\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 401 "), "{text}");
    assert!(
        text.ends_with(&format!(r#"{{"error":"{not_ascii}"}}"#)),
        "{text}"
    );
}

#[tokio::test]
async fn missing_and_mistyped_claims() {
    let server = server().await;
    let client = server.client();
    for name in ["sub", "exp", "iat", "nbf", "type"] {
        let token = token(json!({ name: null }));
        assert_unauthorized(
            &client.get("/me", Some(&token)).await,
            &format!("Invalid token: missing claim `{name}`"),
        );
    }
    let now = now();
    let wrong_type = [
        (json!({ "exp": (now + 600).to_string() }), "exp"),
        (json!({ "nbf": now.to_string() }), "nbf"),
        (json!({ "iat": now.to_string() }), "iat"),
        (json!({ "exp": true }), "exp"),
        (json!({ "exp": [now + 600] }), "exp"),
        (json!({ "exp": 1e300 }), "exp"),
        (json!({ "sub": 1 }), "sub"),
        (json!({ "sub": ["admin"] }), "sub"),
        (json!({ "sub": { "id": "admin" } }), "sub"),
        (json!({ "fresh": "true" }), "fresh"),
        (json!({ "type": 1 }), "type"),
    ];
    for (changes, name) in wrong_type {
        let token = token(changes.clone());
        assert_unauthorized(
            &client.get("/me", Some(&token)).await,
            &format!("Invalid token: claim `{name}` has the wrong type"),
        );
    }
    for kind in ["id", "Access", "ACCESS", ""] {
        let token = token(json!({ "type": kind }));
        assert_unauthorized(
            &client.get("/me", Some(&token)).await,
            "Invalid token: claim `type` must be access or refresh",
        );
    }
    // An audience or issuer the app does not expect.
    assert_unauthorized(
        &client
            .get("/me", Some(&token(json!({ "aud": "api" }))))
            .await,
        "Invalid token: unexpected audience",
    );
}

#[tokio::test]
async fn duplicated_claims_are_refused() {
    let server = server().await;
    let client = server.client();
    let now = now();
    let base = format!(
        r#""iat":{now},"nbf":{now},"exp":{},"type":"access","fresh":true"#,
        now + 600
    );
    let cases = [
        (
            format!(r#"{{"sub":"nobody","sub":"admin",{base}}}"#),
            "Invalid token: duplicate member `sub`",
        ),
        (
            format!(r#"{{"sub":"admin",{base},"exp":99999999999}}"#),
            "Invalid token: duplicate member `exp`",
        ),
        (
            format!(r#"{{"sub":"admin",{base},"type":"refresh"}}"#),
            "Invalid token: duplicate member `type`",
        ),
        (
            format!(r#"{{"sub":"admin",{base},"fresh":false}}"#),
            "Invalid token: duplicate member `fresh`",
        ),
        (
            format!(r#"{{"sub":"admin",{base},"role":"user","role":"admin"}}"#),
            "Invalid token: duplicate custom claim",
        ),
    ];
    for (payload, message) in cases {
        let token = forge(HS256_HEADER, &payload, KEY.as_bytes());
        assert_unauthorized(&client.get("/me", Some(&token)).await, message);
    }
}

#[tokio::test]
async fn time_claims_with_zero_leeway() {
    let server = server().await;
    let client = server.client();
    let now = now();
    let expired = token(json!({ "iat": now - 100, "nbf": now - 100, "exp": now - 1 }));
    assert_unauthorized(
        &client.get("/me", Some(&expired)).await,
        "Token has expired",
    );
    // `exp` equal to now is already expired (`now >= exp`).
    let at_exp = token(json!({ "iat": now - 100, "nbf": now - 100, "exp": now }));
    assert_unauthorized(&client.get("/me", Some(&at_exp)).await, "Token has expired");
    let not_yet = token(json!({ "nbf": now + 60 }));
    assert_unauthorized(
        &client.get("/me", Some(&not_yet)).await,
        "Token not yet valid",
    );
    // Extreme values neither overflow nor pass.
    let ancient = token(json!({ "exp": i64::MIN, "nbf": i64::MIN, "iat": i64::MIN }));
    assert_unauthorized(
        &client.get("/me", Some(&ancient)).await,
        "Token has expired",
    );
    let far = token(json!({ "nbf": i64::MAX }));
    assert_unauthorized(&client.get("/me", Some(&far)).await, "Token not yet valid");
    // An `iat` in the future does not matter on its own (RFC 7519 §4.1.6 is informational).
    assert_ok_as_admin(
        &client
            .get("/me", Some(&token(json!({ "iat": now + 3600 }))))
            .await,
    );
}

#[tokio::test]
async fn token_types_are_checked_on_every_guard() {
    let server = server().await;
    let client = server.client();
    let access = token(json!({ "type": "access", "fresh": true }));
    let refresh = token(json!({ "type": "refresh", "fresh": false }));
    // A refresh token that claims to be fresh is still a refresh token.
    let fresh_refresh = token(json!({ "type": "refresh", "fresh": true }));

    for route in ["/me", "/protected", "/change-password"] {
        for token in [&refresh, &fresh_refresh] {
            assert_unauthorized(&call(&client, route, token).await, "Access token required");
        }
        assert_eq!(
            call(&client, route, &access).await.status,
            StatusCode::OK,
            "{route}"
        );
    }
    assert_unauthorized(
        &call(&client, "/refresh", &access).await,
        "Refresh token required",
    );
    let reply = call(&client, "/refresh", &refresh).await;
    assert_eq!(reply.status, StatusCode::OK);
    // The optional route never takes a refresh token as an identity.
    for token in [&refresh, &fresh_refresh] {
        let reply = call(&client, "/feed", token).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json(), json!({ "feed": "public" }));
    }
    assert_eq!(
        call(&client, "/feed", &access).await.json(),
        json!({ "feed": "personalized for admin" })
    );
    // `fresh` missing means not fresh.
    let no_fresh = token(json!({ "fresh": null }));
    assert_unauthorized(
        &call(&client, "/change-password", &no_fresh).await,
        "Fresh token required",
    );
    assert_ok_as_admin(&call(&client, "/me", &no_fresh).await);
}

/// A token signed with the real key that is exactly `len` bytes long.
fn token_of_len(len: usize) -> String {
    // Spaces in the header JSON shift the length by one byte where the filler cannot.
    for spaces in 0..4 {
        let header = format!(r#"{{"alg":"HS256","typ":"JWT"{}}}"#, " ".repeat(spaces));
        let base = forge(&header, &claims(json!({})), KEY.as_bytes()).len();
        let guess = (len.saturating_sub(base)) * 3 / 4;
        for filler in guess.saturating_sub(32)..guess + 8 {
            let token = forge(
                &header,
                &claims(json!({ "filler": "x".repeat(filler) })),
                KEY.as_bytes(),
            );
            if token.len() == len {
                return token;
            }
        }
    }
    panic!("no token of {len} bytes");
}

#[tokio::test]
async fn the_token_length_cap() {
    let server = server().await;
    let client = server.client();
    let at_cap = token_of_len(8192);
    assert_eq!(at_cap.len(), 8192);
    assert_ok_as_admin(&client.get("/me", Some(&at_cap)).await);

    let over = format!("{at_cap}A");
    assert_unauthorized(
        &client.get("/me", Some(&over)).await,
        "Invalid token: token is longer than 8192 bytes",
    );
    let valid_but_long = token_of_len(8193);
    assert_unauthorized(
        &client.get("/me", Some(&valid_but_long)).await,
        "Invalid token: token is longer than 8192 bytes",
    );
    // Over the cap, dots and all, is refused before any splitting.
    let many_dots = ".".repeat(10_000);
    assert_unauthorized(
        &client.get("/me", Some(&many_dots)).await,
        "Invalid token: token is longer than 8192 bytes",
    );
    let many_dots = ".".repeat(8_000);
    assert_unauthorized(&client.get("/me", Some(&many_dots)).await, BAD_SEGMENTS);
}

#[tokio::test]
async fn a_one_megabyte_token_is_refused_and_the_server_keeps_serving() {
    let server = server().await;
    let client = server.client();
    let huge = "A".repeat(1024 * 1024);

    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.split();
    let request = format!("GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {huge}\r\n\r\n");
    // The server may stop reading (and close) long before the whole head is written.
    let writing = async {
        let _ = write.write_all(request.as_bytes()).await;
    };
    let reading = async {
        let mut response = Vec::new();
        let _ = read.read_to_end(&mut response).await;
        response
    };
    let ((), response) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        tokio::join!(writing, reading)
    })
    .await
    .expect("the server answered or closed in time");
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 431 ") || text.starts_with("HTTP/1.1 401 "),
        "{text:?}"
    );

    // The next request is served.
    assert_ok_as_admin(&client.get("/me", Some(&token(json!({})))).await);
}

#[tokio::test]
async fn authorization_header_forms() {
    let server = server().await;
    let client = server.client();
    let good = token(json!({}));

    for value in [
        format!("Bearer {good}"),
        format!("bearer {good}"),
        format!("BEARER {good}"),
        format!("Bearer     {good}"),
        format!("Bearer \t {good}  "),
    ] {
        assert_ok_as_admin(&me_with(&client, &[value.as_bytes()]).await);
    }

    let not_bearer = "Invalid Authorization header: expected the Bearer scheme";
    let empty = "Invalid Authorization header: the bearer token is empty";
    let cases: [(String, &str); 8] = [
        ("Basic YWRtaW46c2VjcmV0".to_owned(), not_bearer),
        (format!("Token {good}"), not_bearer),
        (format!("Bearer{good}"), not_bearer),
        (good.clone(), not_bearer),
        ("Bearer".to_owned(), empty),
        ("Bearer ".to_owned(), empty),
        ("Bearer      ".to_owned(), empty),
        (format!("Bearer {good} {good}"), BAD_SEGMENTS),
    ];
    for (value, message) in cases {
        assert_unauthorized(&me_with(&client, &[value.as_bytes()]).await, message);
    }
    assert_unauthorized(
        &me_with(&client, &[b""]).await,
        "Missing Authorization header",
    );

    // Two Authorization headers, even two valid ones, are ambiguous.
    let bearer = format!("Bearer {good}");
    let two = "Invalid Authorization header: more than one Authorization header";
    assert_unauthorized(
        &me_with(&client, &[bearer.as_bytes(), bearer.as_bytes()]).await,
        two,
    );
    assert_unauthorized(
        &me_with(&client, &[bearer.as_bytes(), b"Basic YWRtaW46c2VjcmV0"]).await,
        two,
    );
    // The optional route treats them as no identity.
    let mut builder = client.request("GET", "/feed");
    builder = builder
        .header("authorization", &bearer)
        .header("authorization", &bearer);
    let reply = client.send(builder.body(Full::default()).unwrap()).await;
    assert_eq!(reply.json(), json!({ "feed": "public" }));
    // A token in the query string or a cookie is not looked at.
    let reply = client.get(&format!("/me?access_token={good}"), None).await;
    assert_unauthorized(&reply, "Missing Authorization header");
    let builder = client
        .request("GET", "/me")
        .header("cookie", format!("access_token_cookie={good}"));
    assert_unauthorized(
        &client.send(builder.body(Full::default()).unwrap()).await,
        "Missing Authorization header",
    );
}

async fn login_with(client: &Client, body: Bytes) -> Reply {
    let request = client
        .request("POST", "/login")
        .header("content-type", "application/json")
        .body(Full::new(body))
        .unwrap();
    client.send(request).await
}

fn assert_invalid_credentials(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    assert_eq!(reply.json(), json!({ "error": "Invalid credentials" }));
}

#[tokio::test]
async fn hostile_logins() {
    let server = server().await;
    let client = server.client();
    let login =
        |username: &str, password: &str| json!({ "username": username, "password": password });

    for (username, password) in [
        ("root", "secret"),
        ("", "secret"),
        ("admin", ""),
        ("", ""),
        ("Admin", "secret"),
        ("admin ", "secret"),
        ("admin", "secret "),
    ] {
        assert_invalid_credentials(
            &client
                .post("/login", None, Some(login(username, password)))
                .await,
        );
    }
    // Over bustjwt_core::password::MAX_PASSWORD_LEN: refused before hashing.
    let huge = format!("secret{}", "x".repeat(bustjwt::auth::MAX_PASSWORD_LEN));
    assert_invalid_credentials(
        &client
            .post("/login", None, Some(login("admin", &huge)))
            .await,
    );
    assert_invalid_credentials(
        &client
            .post("/login", None, Some(login("root", &huge)))
            .await,
    );
    let huge_user = "a".repeat(100_000);
    assert_invalid_credentials(
        &client
            .post("/login", None, Some(login(&huge_user, "secret")))
            .await,
    );
    // A NUL byte does not truncate anything.
    assert_invalid_credentials(
        &client
            .post("/login", None, Some(login("admin", "secret\0")))
            .await,
    );
    assert_invalid_credentials(
        &client
            .post("/login", None, Some(login("admin\0", "secret")))
            .await,
    );

    let bad_requests: [(&str, &str); 9] = [
        (
            r#"{"username":"admin","password":7}"#,
            "Invalid JSON body: invalid type: integer `7`, expected a string at line 1 column 32",
        ),
        (
            r#"{"username":["admin"],"password":"secret"}"#,
            "Invalid JSON body: invalid type: sequence, expected a string at line 1 column 12",
        ),
        (
            r#"{"username":"admin","password":null}"#,
            "Invalid JSON body: invalid type: null, expected a string at line 1 column 35",
        ),
        (
            r#"{"username":"admin","password":{"$ne":""}}"#,
            "Invalid JSON body: invalid type: map, expected a string at line 1 column 31",
        ),
        (
            r#"{"username":"admin","password":true}"#,
            "Invalid JSON body: invalid type: boolean `true`, expected a string at line 1 column 35",
        ),
        (
            r#"{"username":"admin"}"#,
            "Invalid JSON body: missing field `password` at line 1 column 20",
        ),
        (
            r#"["admin"]"#,
            "Invalid JSON body: invalid length 1, expected struct Credentials with 2 elements at line 1 column 9",
        ),
        (
            r#""admin""#,
            "Invalid JSON body: invalid type: string \"admin\", expected struct Credentials at line 1 column 7",
        ),
        ("", "Missing JSON body"),
    ];
    let mut wrong = Vec::new();
    for (body, message) in bad_requests {
        let reply = login_with(&client, Bytes::from(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        if reply.json() != json!({ "error": message }) {
            wrong.push(reply.error());
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Not UTF-8, and deeply nested JSON (serde_json's recursion limit): 400, no crash.
    for body in [
        Bytes::from_static(b"\xff\xfe{}"),
        Bytes::from("[".repeat(100_000)),
    ] {
        let reply = login_with(&client, body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(
            reply.error().starts_with("Invalid JSON body: "),
            "{}",
            reply.error()
        );
    }
    // A duplicate field is a 400 too, never "first" or "last wins".
    let reply = login_with(
        &client,
        Bytes::from(r#"{"username":"root","username":"admin","password":"secret"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error(),
        "Invalid JSON body: duplicate field `username` at line 1 column 29"
    );

    // Over the 1 MiB body limit, declared or not.
    let big = Bytes::from(format!(
        r#"{{"username":"admin","password":"{}"}}"#,
        "x".repeat(1024 * 1024)
    ));
    let reply = login_with(&client, big.clone()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), json!({ "error": "Payload Too Large" }));
    // The real login still works afterwards.
    client.login().await;
}

#[tokio::test]
async fn over_long_passwords_are_refused_without_hashing() {
    use bustjwt::auth::{MAX_PASSWORD_LEN, hash_password, verify_password, verify_password_async};
    // Even the right password is refused once it is over the cap: the length check comes first.
    let long = "p".repeat(MAX_PASSWORD_LEN + 1);
    let hash = hash_password(&long);
    assert!(!verify_password(&long, &hash));
    assert!(!verify_password_async(&long, &hash).await);
    // The async form returns without queueing for a hashing thread: it completes at its first
    // poll, so no argon2 hash can have run.
    let mut future = std::pin::pin!(verify_password_async(&long, &hash));
    let ready = std::future::Future::poll(
        future.as_mut(),
        &mut std::task::Context::from_waker(std::task::Waker::noop()),
    );
    assert_eq!(ready, std::task::Poll::Ready(false));
    let at_cap = "p".repeat(MAX_PASSWORD_LEN);
    assert!(verify_password_async(&at_cap, &hash_password(&at_cap)).await);
}
