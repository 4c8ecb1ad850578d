//! Robustness of the server under hostile or broken clients (issue #5): clients that vanish,
//! stall or half-close, a graceful shutdown with requests in flight, and a thousand concurrent
//! connections. The app's connection counter checks that no connection task is leaked.

#[path = "../examples/complete.rs"]
#[allow(dead_code, unreachable_pub)]
mod complete;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bustjwt::{BustApi, ConnectionCounter, Request};
use hyper::StatusCode;
use serde_json::json;
use support::{TestServer, assert_unauthorized};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

const KEY: &str = "an-end-to-end-test-key-that-is-long-enough";

fn app() -> BustApi {
    complete::build_app(Some(KEY.into())).unwrap()
}

fn access_token() -> String {
    bustjwt::Jwt::builder()
        .secret_key(KEY)
        .build()
        .unwrap()
        .create_access_token("admin")
}

/// Waits until `counter` reads `expected`, failing after a few seconds.
async fn wait_for(counter: &ConnectionCounter, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while counter.get() != expected {
        assert!(
            Instant::now() < deadline,
            "{} live connections, expected {expected}",
            counter.get()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads until the server closes the connection (or `limit` elapses) and returns the text.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> String {
    let mut buf = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut buf))
        .await
        .expect("the server closed the connection in time")
        .ok();
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_counter_counts_live_connections() {
    let app = app();
    let live = app.connection_counter();
    let server = TestServer::start(app).await;
    assert_eq!(live.get(), 0);
    let idle: Vec<TcpStream> = futures_connect(server.addr, 3).await;
    wait_for(&live, 3).await;
    drop(idle);
    wait_for(&live, 0).await;
    let client = server.client();
    assert_eq!(client.get("/feed", None).await.status, StatusCode::OK);
    wait_for(&live, 0).await;
}

async fn futures_connect(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        streams.push(TcpStream::connect(addr).await.unwrap());
    }
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_disconnect_mid_request_leak_nothing() {
    let app = app();
    let live = app.connection_counter();
    let server = TestServer::start(app).await;
    let client = server.client();
    let token = access_token();

    // Connected, then gone without a byte.
    drop(TcpStream::connect(server.addr).await.unwrap());
    // Gone in the middle of the head.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /me HTTP/1.1\r\nHost: x\r\nAuthoriz")
        .await
        .unwrap();
    drop(stream);
    // Gone in the middle of a declared body.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":")
        .await
        .unwrap();
    drop(stream);
    // Gone after a whole request, before reading the answer (a login: the hash still runs).
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = r#"{"username":"admin","password":"secret"}"#;
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    drop(stream);
    // Gone in the middle of a chunked body.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"user",
        )
        .await
        .unwrap();
    drop(stream);

    // Others are served, and every broken connection's task ends.
    let reply = client.get("/me", Some(&token)).await;
    assert_eq!(reply.json(), json!({ "user": "admin" }));
    wait_for(&live, 0).await;
    assert_eq!(client.get("/feed", None).await.status, StatusCode::OK);
    wait_for(&live, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_cut_off_while_others_are_served() {
    let mut app = app();
    app.header_read_timeout(Duration::from_millis(300))
        .body_read_timeout(Duration::from_millis(300));
    let live = app.connection_counter();
    let server = TestServer::start(app).await;
    let client = server.client();
    let token = access_token();

    // Stalled in the head, stalled in the body, and connected but silent.
    let mut in_head = TcpStream::connect(server.addr).await.unwrap();
    in_head
        .write_all(b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        .await
        .unwrap();
    let mut in_body = TcpStream::connect(server.addr).await.unwrap();
    in_body
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"username\"")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    wait_for(&live, 3).await;

    // Served while they stall.
    let started = Instant::now();
    assert_eq!(
        client.get("/me", Some(&token)).await.json(),
        json!({ "user": "admin" })
    );
    assert!(started.elapsed() < Duration::from_millis(250));

    let limit = Duration::from_secs(5);
    let head = read_until_closed(&mut in_head, limit).await;
    assert!(
        head.is_empty() || head.starts_with("HTTP/1.1 408"),
        "{head}"
    );
    let body = read_until_closed(&mut in_body, limit).await;
    assert!(body.starts_with("HTTP/1.1 408 "), "{body}");
    assert!(body.ends_with(r#"{"error":"Request Timeout"}"#), "{body}");
    let nothing = read_until_closed(&mut silent, limit).await;
    assert!(
        nothing.is_empty() || nothing.starts_with("HTTP/1.1 408"),
        "{nothing}"
    );
    drop((in_head, in_body, silent));
    wait_for(&live, 0).await;
    assert_eq!(client.get("/feed", None).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_closed_sockets() {
    let app = app();
    let live = app.connection_counter();
    let server = TestServer::start(app).await;
    let token = access_token();

    // A whole request, then the client shuts its write side: the connection ends cleanly.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!("GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let text = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200 "), "{text}");

    // Half a head, then the write side shut: closed without an answer or a 400.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /me HTTP/1.1\r\nHost: x\r\nAuthor")
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    let text = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 400 "),
        "{text}"
    );

    // Half a body, then the write side shut.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{\"user")
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    let text = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 400 "),
        "{text}"
    );

    drop(stream);
    wait_for(&live, 0).await;
    let client = server.client();
    assert_unauthorized(
        &client.get("/me", None).await,
        "Missing Authorization header",
    );
    wait_for(&live, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let started = Arc::new(Notify::new());
    let mut app = app();
    let notify = Arc::clone(&started);
    app.get("/slow", move |_req: Request| {
        let notify = Arc::clone(&notify);
        async move {
            notify.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            json!({ "slow": "done" })
        }
    });
    let live = app.connection_counter();
    let server = TestServer::start(app).await;
    let addr = server.addr;
    let client = server.client();
    let (access, _) = client.login().await;

    let slow = tokio::spawn(async move { client.get("/slow", None).await });
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("the slow handler started");
    // A guarded request in flight at the same time, on a connection opened before shutdown.
    let guarded = tokio::spawn(async move { client.get("/me", Some(&access)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;

    server.stop().await; // returns once the server has drained
    let slow = slow.await.unwrap();
    assert_eq!(slow.status, StatusCode::OK);
    assert_eq!(slow.json(), json!({ "slow": "done" }));
    let guarded = guarded.await.unwrap();
    assert_eq!(guarded.json(), json!({ "user": "admin" }));
    assert_eq!(live.get(), 0);
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections() {
    // Each connection costs two descriptors in this process (client and server ends). Stay
    // under the soft limit with room to spare: 1000 where it allows (2000 descriptors), fewer
    // under the common default of 1024.
    let wanted = 1000;
    let n = match open_files_limit() {
        Some(limit) => wanted.min(limit.saturating_sub(200) / 2),
        None => 400,
    };
    assert!(
        n >= 300,
        "open files limit too low: {:?}",
        open_files_limit()
    );

    let app = app();
    let live = app.connection_counter();
    let server = TestServer::start(app).await;
    let addr = server.addr;
    let token = Arc::new(access_token());

    // All connections are opened first (one after the other: a burst of a thousand SYNs can
    // overflow the kernel's queues and stall on SYN retransmits, which tests the kernel, not
    // the server), then all send their request at once, so the connections really overlap.
    let streams = futures_connect(addr, n).await;
    wait_for(&live, n).await;
    let go = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, mut stream)| {
            let (token, go) = (Arc::clone(&token), Arc::clone(&go));
            tokio::spawn(async move {
                let auth = if i % 10 == 0 {
                    String::new()
                } else {
                    format!("Authorization: Bearer {token}\r\n")
                };
                let request =
                    format!("GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n");
                go.wait().await;
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut response = Vec::new();
                stream.read_to_end(&mut response).await.unwrap();
                (i, String::from_utf8(response).unwrap())
            })
        })
        .collect();
    assert_eq!(live.get(), n, "all connections are open at once");

    let results = tokio::time::timeout(Duration::from_secs(20), async {
        let mut results = Vec::with_capacity(n);
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    })
    .await
    .expect("every request answered in time");
    for (i, response) in results {
        if i % 10 == 0 {
            assert!(response.starts_with("HTTP/1.1 401 "), "{response}");
            assert!(response.ends_with(r#"{"error":"Missing Authorization header"}"#));
        } else {
            assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
            assert!(response.ends_with(r#"{"user":"admin"}"#), "{response}");
        }
    }
    wait_for(&live, 0).await;
}
