//! End-to-end tests: a real server on `127.0.0.1:0`, spoken to with hyper's HTTP/1.1 client or
//! a raw TCP socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bustjwt_core::{Jwt, Rejection, Requirement, guard};
use bustjwt_server::{BustApi, Request};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// Every test step is bounded so a bug cannot hang the suite.
const STEP: Duration = Duration::from_secs(10);

struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl TestServer {
    async fn start(app: BustApi) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.serve_with_shutdown(listener, async {
            stopped.await.ok();
        }));
        TestServer {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// A new HTTP/1.1 connection.
    async fn connect(&self) -> SendRequest<Full<Bytes>> {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(async move {
            let _ = connection.await;
        });
        sender
    }

    /// Starts the graceful shutdown.
    fn stop(&mut self) {
        self.stop.take().expect("stopped once").send(()).ok();
    }

    /// Stops the server and waits for `serve_with_shutdown` to return.
    async fn shut_down(mut self) {
        self.stop();
        tokio::time::timeout(STEP, self.task)
            .await
            .expect("server stopped in time")
            .unwrap();
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn send(sender: &mut SendRequest<Full<Bytes>>, req: http::Request<Full<Bytes>>) -> Reply {
    tokio::time::timeout(STEP, async {
        sender.ready().await.unwrap();
        let response = sender.send_request(req).await.unwrap();
        let (head, body) = response.into_parts();
        Reply {
            status: head.status,
            headers: head.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    })
    .await
    .expect("response in time")
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(path)
        .header("Host", "localhost")
        .body(Full::default())
        .unwrap()
}

fn with_method(method: &str, path: &str, body: impl Into<Bytes>) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("Host", "localhost")
        .body(Full::new(body.into()))
        .unwrap()
}

fn demo_app() -> BustApi {
    async fn user(req: Request) -> Value {
        json!({ "id": req.param_as::<u64>("id"), "q": req.query("q") })
    }
    fn boom(_req: Request) -> Value {
        panic!("this message must not reach the client")
    }
    let mut app = BustApi::new();
    app.get("/", |_req: Request| json!({"hello": "world"}))
        .get("/users/<int:id>", user)
        .post("/echo", |req: Request| async move {
            req.json::<Value>()
                .map(|body| (json!({ "got": body }), 201))
        })
        .get("/boom", boom);
    app
}

#[tokio::test]
async fn routes_404_405_and_head_over_keep_alive() {
    let server = TestServer::start(demo_app()).await;
    let mut conn = server.connect().await;

    let reply = send(&mut conn, get("/")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.json(), json!({"hello": "world"}));

    // Same connection: keep-alive.
    let reply = send(&mut conn, get("/users/7?q=a%20b")).await;
    assert_eq!(reply.json(), json!({"id": 7, "q": "a b"}));

    let reply = send(&mut conn, get("/users/seven")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json(), json!({"error": "Not Found"}));

    let reply = send(&mut conn, with_method("DELETE", "/users/7", "")).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "GET, HEAD");
    assert_eq!(reply.json(), json!({"error": "Method Not Allowed"}));

    let reply = send(&mut conn, with_method("HEAD", "/", "")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["content-length"],
        r#"{"hello":"world"}"#.len().to_string()
    );
    assert!(reply.body.is_empty());

    let reply = send(&mut conn, with_method("POST", "/echo", r#"{"a":1}"#)).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.json(), json!({"got": {"a": 1}}));

    let reply = send(&mut conn, with_method("POST", "/echo", "{")).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON body")
    );

    server.shut_down().await;
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let mut app = demo_app();
    app.max_body_size(1024);
    let server = TestServer::start(app).await;

    let small = format!(r#"{{"pad":"{}"}}"#, "x".repeat(100));
    let reply = send(
        &mut server.connect().await,
        with_method("POST", "/echo", small),
    )
    .await;
    assert_eq!(reply.status, 201);

    let large = format!(r#"{{"pad":"{}"}}"#, "x".repeat(4096));
    let reply = send(
        &mut server.connect().await,
        with_method("POST", "/echo", large),
    )
    .await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.json(), json!({"error": "Payload Too Large"}));

    server.shut_down().await;
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let mut app = demo_app();
    app.max_header_size(8 * 1024);
    let server = TestServer::start(app).await;

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "x".repeat(16 * 1024)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(STEP, stream.read_to_end(&mut response))
        .await
        .expect("connection closed in time")
        .ok();
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 431"),
        "unexpected response: {response:?}"
    );

    server.shut_down().await;
}

#[tokio::test]
async fn a_panicking_handler_gives_500_and_the_server_keeps_serving() {
    let server = TestServer::start(demo_app()).await;
    let mut conn = server.connect().await;

    let reply = send(&mut conn, get("/boom")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json(), json!({"error": "Internal Server Error"}));
    assert!(!String::from_utf8_lossy(&reply.body).contains("must not reach"));

    // The same connection and new ones still work.
    assert_eq!(send(&mut conn, get("/")).await.status, 200);
    assert_eq!(
        send(&mut server.connect().await, get("/")).await.status,
        200
    );

    server.shut_down().await;
}

#[tokio::test]
async fn a_client_stalled_mid_headers_is_dropped_while_others_are_served() {
    let mut app = demo_app();
    app.header_read_timeout(Duration::from_millis(300));
    let server = TestServer::start(app).await;

    let started = Instant::now();
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localh")
        .await
        .unwrap();

    // Another client is served while the slow one stalls.
    let reply = send(&mut server.connect().await, get("/")).await;
    assert_eq!(reply.status, 200);

    let mut rest = Vec::new();
    tokio::time::timeout(STEP, slow.read_to_end(&mut rest))
        .await
        .expect("the stalled connection is closed by the server")
        .ok();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250),
        "closed too early: {elapsed:?}"
    );
    // hyper closes the connection; it may or may not write a 408 first.
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest:?}"
    );

    server.shut_down().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let started = Arc::new(Notify::new());
    let mut app = BustApi::new();
    let notify = Arc::clone(&started);
    app.get("/slow", move |_req: Request| {
        let notify = Arc::clone(&notify);
        async move {
            notify.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            "finished"
        }
    });
    let mut server = TestServer::start(app).await;
    let addr = server.addr;

    let mut conn = server.connect().await;
    let in_flight = tokio::spawn(async move { send(&mut conn, get("/slow")).await });
    tokio::time::timeout(STEP, started.notified())
        .await
        .expect("handler started");

    server.stop();
    let reply = tokio::time::timeout(STEP, in_flight)
        .await
        .expect("in-flight request finished")
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "finished");

    tokio::time::timeout(STEP, &mut server.task)
        .await
        .expect("server stopped after draining")
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn shutdown_gives_up_on_requests_slower_than_the_timeout() {
    let mut app = BustApi::new();
    app.shutdown_timeout(Duration::from_millis(200))
        .get("/forever", |_req: Request| async {
            std::future::pending::<()>().await;
        });
    let mut server = TestServer::start(app).await;
    let mut conn = server.connect().await;
    let stuck = tokio::spawn(async move {
        let _ = conn.ready().await;
        conn.send_request(get("/forever")).await
    });
    // Let the request reach the handler.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopping = Instant::now();
    server.stop();
    tokio::time::timeout(STEP, &mut server.task)
        .await
        .expect("server stopped after the shutdown timeout")
        .unwrap();
    assert!(stopping.elapsed() >= Duration::from_millis(150));
    let outcome = tokio::time::timeout(STEP, stuck)
        .await
        .expect("the stuck connection was closed")
        .unwrap();
    assert!(outcome.is_err(), "the request had no response");
}

#[tokio::test]
async fn guarded_handler_answers_401_with_the_bearer_challenge() {
    async fn me(req: Request) -> Result<Value, Rejection> {
        let req = guard(req, Requirement::Access)?;
        Ok(json!({ "logged_in_as": req.jwt_identity() }))
    }
    let mut app = BustApi::new();
    BustApi::secret_key(&mut app, "an-integration-test-key-of-32-bytes!");
    let jwt = Jwt::new(&mut app).unwrap();
    app.get("/me", me);
    let server = TestServer::start(app).await;
    let mut conn = server.connect().await;

    let reply = send(&mut conn, get("/me")).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.headers["www-authenticate"], "Bearer");
    assert_eq!(reply.body, r#"{"error":"Missing Authorization header"}"#);

    let token = jwt.create_access_token("ada");
    let mut req = get("/me");
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let reply = send(&mut conn, req).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"logged_in_as": "ada"}));

    server.shut_down().await;
}
