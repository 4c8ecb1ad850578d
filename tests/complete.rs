//! End-to-end: the `complete` example served on an ephemeral port, driven over real TCP through
//! every flow and every error response of BustAPI's JWT page.

#[path = "../examples/complete.rs"]
#[allow(dead_code, unreachable_pub)]
mod complete;
mod support;

use std::time::Duration;

use bustjwt::{Jwt, Request, TokenOptions, Value};
use bytes::Bytes;
use http_body_util::Full;
use hyper::StatusCode;
use serde_json::json;
use support::{TestServer, assert_unauthorized};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "an-end-to-end-test-key-that-is-long-enough";

async fn server() -> TestServer {
    TestServer::start(complete::build_app(Some(KEY.into())).unwrap()).await
}

fn jwt() -> Jwt {
    Jwt::builder().secret_key(KEY).build().unwrap()
}

#[tokio::test]
async fn login_refresh_and_protected_routes() {
    let server = server().await;
    let client = server.client();
    let (access, refresh) = client.login().await;

    let claims = jwt().decode_token(&access).unwrap();
    assert_eq!(claims.identity(), "admin");
    assert!(claims.fresh());

    for path in ["/me", "/protected"] {
        let reply = client.get(path, Some(&access)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.json(), json!({ "user": "admin" }));
    }

    let reply = client.post("/refresh", Some(&refresh), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let refreshed = reply.json()["access_token"].as_str().unwrap().to_owned();
    let claims = jwt().decode_token(&refreshed).unwrap();
    assert_eq!(claims.identity(), "admin");
    assert!(!claims.fresh(), "refreshed tokens are not fresh");
    assert_eq!(
        client.get("/me", Some(&refreshed)).await.json(),
        json!({ "user": "admin" })
    );
    server.stop().await;
}

#[tokio::test]
async fn token_types_and_freshness_per_guard() {
    let server = server().await;
    let client = server.client();
    let (access, refresh) = client.login().await;
    let stale = jwt()
        .create_access_token_with("admin", TokenOptions::new().fresh(false))
        .unwrap();

    let reply = client.post("/change-password", Some(&access), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({ "status": "password changed" }));
    assert_unauthorized(
        &client.post("/change-password", Some(&stale), None).await,
        "Fresh token required",
    );
    assert_unauthorized(
        &client.post("/change-password", Some(&refresh), None).await,
        "Access token required",
    );
    assert_unauthorized(
        &client.get("/me", Some(&refresh)).await,
        "Access token required",
    );
    assert_unauthorized(
        &client.get("/protected", Some(&refresh)).await,
        "Access token required",
    );
    assert_unauthorized(
        &client.post("/refresh", Some(&access), None).await,
        "Refresh token required",
    );
}

#[tokio::test]
async fn optional_route() {
    let server = server().await;
    let client = server.client();
    let (access, refresh) = client.login().await;
    let expired = expired_token();

    let public = json!({ "feed": "public" });
    assert_eq!(client.get("/feed", None).await.json(), public);
    assert_eq!(
        client.get("/feed", Some(&access)).await.json(),
        json!({ "feed": "personalized for admin" })
    );
    for token in [refresh.as_str(), expired.as_str(), "garbage"] {
        let reply = client.get("/feed", Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json(), public);
    }
}

fn expired_token() -> String {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
    use hmac::{Hmac, KeyInit, Mac};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let payload = json!({ "sub": "admin", "iat": now - 100, "nbf": now - 100, "exp": now - 1, "type": "access", "fresh": true });
    let input = format!(
        "{}.{}",
        B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        B64.encode(payload.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn the_seeds_error_responses() {
    let server = server().await;
    let client = server.client();
    assert_unauthorized(
        &client.get("/me", None).await,
        "Missing Authorization header",
    );
    assert_unauthorized(
        &client.get("/me", Some(&expired_token())).await,
        "Token has expired",
    );
    let other = Jwt::builder()
        .secret_key("another-key-another-key-another-key!")
        .build()
        .unwrap();
    assert_unauthorized(
        &client
            .get("/me", Some(&other.create_access_token("admin")))
            .await,
        "Invalid token signature",
    );
    let stale = jwt()
        .create_access_token_with("admin", TokenOptions::new().fresh(false))
        .unwrap();
    assert_unauthorized(
        &client.post("/change-password", Some(&stale), None).await,
        "Fresh token required",
    );
    assert_unauthorized(
        &client.get("/me", Some("abc")).await,
        "Invalid token: expected three dot-separated segments",
    );
}

#[tokio::test]
async fn login_failures() {
    let server = server().await;
    let client = server.client();
    let wrong = client
        .post(
            "/login",
            None,
            Some(json!({ "username": "admin", "password": "nope" })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json(), json!({ "error": "Invalid credentials" }));
    let unknown = client
        .post(
            "/login",
            None,
            Some(json!({ "username": "root", "password": "secret" })),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.json(), json!({ "error": "Invalid credentials" }));

    for body in [
        None,
        Some(json!({ "username": "admin" })),
        Some(json!({ "username": "admin", "password": 7 })),
        Some(json!([1])),
    ] {
        let reply = client.post("/login", None, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body:?}");
        assert!(!reply.error().is_empty());
    }
    let malformed = client
        .send(
            client
                .request("POST", "/login")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{\"username\": ")))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn not_found_method_not_allowed_and_body_limit() {
    let server = server().await;
    let client = server.client();
    let missing = client.get("/nope", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json(), json!({ "error": "Not Found" }));

    let wrong_method = client.get("/login", None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    assert!(!wrong_method.error().is_empty());

    let big = vec![b'x'; 1024 * 1024 + 1];
    let reply = client
        .send(
            client
                .request("POST", "/login")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(big)))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!reply.error().is_empty());
    // The server is still there.
    assert_eq!(client.get("/feed", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_the_server_keeps_serving() {
    let mut app = complete::build_app(Some(KEY.into())).unwrap();
    app.get("/panic", |_req: Request| -> Value { panic!("handler bug") });
    let server = TestServer::start(app).await;
    let client = server.client();
    let reply = client.get("/panic", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(!String::from_utf8_lossy(&reply.body).contains("handler bug"));
    assert_eq!(client.get("/feed", None).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests() {
    let server = server().await;
    let client = server.client();
    let (access, _) = client.login().await;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let access = access.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    client.get("/me", Some(&access)).await
                } else {
                    client.get("/me", None).await
                }
            })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let reply = task.await.unwrap();
        let expected = if i % 2 == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(reply.status, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_is_dropped_and_does_not_hold_up_others() {
    let mut app = complete::build_app(Some(KEY.into())).unwrap();
    app.header_read_timeout(Duration::from_millis(500));
    let server = TestServer::start(app).await;
    let client = server.client();

    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /feed HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();

    // Others are served while it stalls.
    let started = std::time::Instant::now();
    assert_eq!(client.get("/feed", None).await.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(400));

    // The stalled connection is closed after the header timeout (408 or a plain close).
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "stalled connection was not dropped");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_under_load_does_not_stall_other_requests() {
    let server = server().await;
    let client = server.client();
    let (access, _) = client.login().await;
    let storm: Vec<_> = (0..8)
        .map(|_| tokio::spawn(async move { client.login().await }))
        .collect();
    // Each hash takes tens of milliseconds on a hashing thread; /me must not queue behind them.
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..5 {
        let reply = client.get("/me", Some(&access)).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    // Had hashing run on the async workers, /me would have waited for the whole storm.
    assert!(
        storm.iter().any(|task| !task.is_finished()),
        "/me waited for the logins"
    );
    for task in storm {
        task.await.unwrap();
    }
}
