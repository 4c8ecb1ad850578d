//! Graceful shutdown on real signals: `BustApi::serve` installs the Ctrl-C (`SIGINT`) and
//! `SIGTERM` handlers, and this test process sends each signal to itself while a request is in
//! flight.
//!
//! A signal goes to the whole process, so this file is its own test binary and its tests run
//! one at a time. If a handler were not installed when the signal arrives, the signal's default
//! action would kill the test process and the run would fail with `signal: 15` or `signal: 2`.
#![cfg(unix)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bustjwt_server::{BustApi, Request};
use rustix::process::{Signal, getpid, kill_process};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Every step is bounded so a bug cannot hang the suite; the bound is generous, not a
/// performance claim.
const STEP: Duration = Duration::from_secs(20);

/// Tests in this binary must not overlap: each signal stops every server in the process.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn sigterm_lets_the_in_flight_request_finish_then_stops() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    runtime().block_on(shutdown_on(Signal::TERM, "SIGTERM"));
}

#[test]
fn sigint_lets_the_in_flight_request_finish_then_stops() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    runtime().block_on(shutdown_on(Signal::INT, "SIGINT"));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Serves an app with `serve(listener)`, starts a request that waits for the test's go-ahead,
/// sends `signal` to this process, and checks the graceful shutdown step by step.
async fn shutdown_on(signal: Signal, name: &str) {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let mut app = BustApi::new();
    let (started_in, release_in) = (Arc::clone(&started), Arc::clone(&release));
    app.get("/ping", |_req: Request| "pong")
        .get("/slow", move |_req: Request| {
            let (started, release) = (Arc::clone(&started_in), Arc::clone(&release_in));
            async move {
                started.notify_one();
                // In flight until the test says so: no timing assumption.
                release.notified().await;
                json!({ "slow": "done" })
            }
        })
        // Far longer than the test needs: the drain must not be cut short.
        .shutdown_timeout(Duration::from_secs(60));
    let live = app.connection_counter();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(app.serve(listener));

    // An answer proves the accept loop runs, so the signal handlers are installed. The
    // connection stays open, idle, with keep-alive.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let ping = read_until(&mut idle, "pong").await;
    assert!(ping.starts_with("HTTP/1.1 200 OK\r\n"), "{ping}");

    // The in-flight request.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::timeout(STEP, started.notified())
        .await
        .expect("the slow handler started");

    kill_process(getpid(), signal).unwrap();

    // New connections are refused once the server has seen the signal, while the slow request
    // is still running.
    wait_until_refused(addr, name).await;
    // The idle keep-alive connection is closed without an answer.
    let mut rest = Vec::new();
    tokio::time::timeout(STEP, idle.read_to_end(&mut rest))
        .await
        .unwrap_or_else(|_| panic!("the idle connection was not closed after {name}"))
        .unwrap();
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert!(
        !server.is_finished(),
        "the server stopped before the in-flight request finished"
    );

    // The in-flight request completes with its real answer, then the server stops.
    release.notify_one();
    let mut response = Vec::new();
    tokio::time::timeout(STEP, slow.read_to_end(&mut response))
        .await
        .expect("the in-flight request was answered and its connection closed")
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/json\r\n"),
        "{response}"
    );
    assert!(response.ends_with(r#"{"slow":"done"}"#), "{response}");

    tokio::time::timeout(STEP, server)
        .await
        .unwrap_or_else(|_| panic!("serve did not return after {name}"))
        .expect("serve returned normally, without a panic");
    assert_eq!(live.get(), 0, "every connection task ended");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "a connection was accepted after the shutdown"
    );
}

/// Reads from `stream` until the text read so far ends with `suffix`.
async fn read_until(stream: &mut TcpStream, suffix: &str) -> String {
    let mut buf = Vec::new();
    tokio::time::timeout(STEP, async {
        while !buf.ends_with(suffix.as_bytes()) {
            let mut chunk = [0; 1024];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buf));
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("the answer arrived");
    String::from_utf8(buf).unwrap()
}

/// Waits until connecting to `addr` is refused (the listener is closed).
async fn wait_until_refused(addr: SocketAddr, name: &str) {
    let deadline = Instant::now() + STEP;
    while let Ok(probe) = TcpStream::connect(addr).await {
        drop(probe);
        assert!(
            Instant::now() < deadline,
            "still accepting connections {STEP:?} after {name}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
