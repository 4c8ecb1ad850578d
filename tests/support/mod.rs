//! Serves an app on an ephemeral port and talks HTTP/1.1 to it over real TCP.
#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

use std::{net::SocketAddr, time::Duration};

use bustjwt::BustApi;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, header::HeaderMap};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};

/// A running server; stopped gracefully by [`TestServer::stop`] or when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(app: BustApi) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.serve_with_shutdown(listener, async {
            stopped.await.ok();
        }));
        TestServer {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops accepting, waits for in-flight requests, returns when the server has stopped.
    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).ok();
        tokio::time::timeout(Duration::from_secs(20), self.task.take().unwrap())
            .await
            .expect("server stopped in time")
            .unwrap();
    }

    pub fn client(&self) -> Client {
        Client { addr: self.addr }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The `error` member of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .expect("an error message")
            .to_owned()
    }
}

#[derive(Clone, Copy)]
pub struct Client {
    pub addr: SocketAddr,
}

impl Client {
    /// Sends one request on a new connection.
    pub async fn send(&self, request: Request<Full<Bytes>>) -> Reply {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let response = sender.send_request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub fn request(&self, method: &str, path: &str) -> hyper::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut builder = self.request("GET", path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        self.send(builder.body(Full::default()).unwrap()).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, json: Option<Value>) -> Reply {
        let mut builder = self.request("POST", path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let body = match json {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(json.to_string()))
            }
            None => Full::default(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    /// Logs in as `admin` and returns `(access_token, refresh_token)`.
    pub async fn login(&self) -> (String, String) {
        let reply = self
            .post(
                "/login",
                None,
                Some(serde_json::json!({ "username": "admin", "password": "secret" })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let json = reply.json();
        (
            json["access_token"].as_str().unwrap().to_owned(),
            json["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

/// The messages of requests that carried no bearer credentials: no `Authorization` header, or
/// one with another scheme (RFC 6750 §3.1: their challenge is a bare `Bearer`).
pub const NO_BEARER_CREDENTIALS: [&str; 2] = [
    "Missing Authorization header",
    "Invalid Authorization header: expected the Bearer scheme",
];

/// Asserts a guard's 401: JSON `{"error": message}` and the RFC 6750 challenge, a bare `Bearer`
/// when no bearer credentials were sent, otherwise `error="invalid_token"` with the message.
pub fn assert_unauthorized(reply: &Reply, message: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.error(), message);
    let challenge = reply.header("www-authenticate").expect("WWW-Authenticate");
    if NO_BEARER_CREDENTIALS.contains(&message) {
        assert_eq!(challenge, "Bearer");
    } else {
        assert_eq!(
            challenge,
            format!(r#"Bearer error="invalid_token", error_description="{message}""#)
        );
    }
}
