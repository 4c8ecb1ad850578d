//! Answering one request: route it, read its body within the limits, run the handler with panics
//! caught, and write the access log line.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, HeaderValue, TRANSFER_ENCODING};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;

use crate::app::{AppInner, Limits};
use crate::handler::{BoxedHandler, ResponseFuture};
use crate::request::Request;
use crate::response::{Response, internal_error, json_error};
use crate::routing::RouteMatch;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Answers `req`, never failing: every problem becomes an error response.
pub(crate) async fn respond<B>(
    app: &AppInner,
    req: http::Request<B>,
    remote_addr: Option<SocketAddr>,
) -> Response
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let started = Instant::now();
    let method = req.method().clone();
    // Cloning the URI shares its bytes (no allocation on the per-request path).
    let uri = req.uri().clone();
    let response = route_and_call(app, req, remote_addr).await;
    let response = match response {
        Ok(response) => response,
        Err(HandlerPanicked) => {
            tracing::error!(method = %method, path = %uri.path(), "handler panicked");
            internal_error()
        }
    };
    let response = finish(response, &method);
    tracing::info!(
        target: "bustjwt_server::access",
        method = %method,
        // The path only: the query string may carry tokens.
        path = %uri.path(),
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request",
    );
    response
}

/// A handler panicked; the caller logs it with the request line and answers `500`.
struct HandlerPanicked;

async fn route_and_call<B>(
    app: &AppInner,
    req: http::Request<B>,
    remote_addr: Option<SocketAddr>,
) -> Result<Response, HandlerPanicked>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (head, body) = req.into_parts();
    let (handler, params) = match app.router.find(&head.method, head.uri.path()) {
        RouteMatch::Found { handler, params } => (handler, params),
        RouteMatch::NotFound => return Ok(json_error(StatusCode::NOT_FOUND, "Not Found")),
        RouteMatch::MethodNotAllowed { allow } => {
            let mut response = json_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            set_allow(&mut response, &allow);
            return Ok(response);
        }
    };
    let body = match read_body(&head.headers, body, &app.limits).await {
        Ok(body) => body,
        Err(response) => return Ok(response),
    };
    let req = Request::new(head, body, params, remote_addr, app.jwt.clone());
    call(handler, req).await
}

fn set_allow(response: &mut Response, allow: &str) {
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
}

/// Reads the whole body, refusing it when it is larger than the limit (`413`), slower than the
/// body timeout (`408`) or broken (`400`).
pub(crate) async fn read_body<B>(
    headers: &HeaderMap,
    body: B,
    limits: &Limits,
) -> Result<Bytes, Response>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let too_large = || json_error(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.max_body_size as u64) {
        return Err(too_large());
    }
    let collect = Limited::new(body, limits.max_body_size).collect();
    match tokio::time::timeout(limits.body_read_timeout, collect).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(error)) => {
            tracing::debug!(%error, "could not read a request body");
            Err(json_error(
                StatusCode::BAD_REQUEST,
                "Could not read the request body",
            ))
        }
        Err(_elapsed) => Err(json_error(StatusCode::REQUEST_TIMEOUT, "Request Timeout")),
    }
}

/// Runs the handler, catching a panic in a sync handler's call or while polling an async one.
/// The panic's payload is dropped unread: the `500` says nothing about the cause.
async fn call(handler: &BoxedHandler, req: Request) -> Result<Response, HandlerPanicked> {
    match catch_unwind(AssertUnwindSafe(|| handler(req))) {
        Ok(future) => CatchUnwind(future).await.map_err(|_panic| HandlerPanicked),
        Err(_panic) => Err(HandlerPanicked),
    }
}

/// Polls a handler's future, catching a panic. The handler's state is dropped afterwards and
/// never touched again, which is what makes `AssertUnwindSafe` sound here.
struct CatchUnwind(ResponseFuture);

impl Future for CatchUnwind {
    type Output = std::thread::Result<Response>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(future).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(response)) => Poll::Ready(Ok(response)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Last touches on every response: no informational status from a handler, framing headers left
/// to hyper (a wrong `Content-Length` would break the connection), and no body for `HEAD`.
fn finish(mut response: Response, method: &Method) -> Response {
    if response.status().is_informational() {
        tracing::error!(
            status = response.status().as_u16(),
            "handler returned an informational status"
        );
        response = internal_error();
    }
    let headers = response.headers_mut();
    headers.remove(CONTENT_LENGTH);
    headers.remove(TRANSFER_ENCODING);
    if method == Method::HEAD {
        let (mut head, body) = response.into_parts();
        let len = body.size_hint().exact().unwrap_or(0);
        if !matches!(
            head.status,
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
        ) {
            head.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        response = http::Response::from_parts(head, Full::new(Bytes::new()));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bustjwt_core::{Jwt, Requirement, guard};
    use hyper::body::Frame;
    use serde_json::{Value, json};

    use super::*;
    use crate::BustApi;
    use crate::response::IntoResponse;
    use crate::test_util::body_of;

    fn app(build: impl FnOnce(&mut BustApi)) -> AppInner {
        let mut app = BustApi::new();
        build(&mut app);
        app.into_inner()
    }

    async fn send(app: &AppInner, req: http::Request<Full<Bytes>>) -> Response {
        respond(app, req, None).await
    }

    fn req(method: Method, uri: &str, body: impl Into<Bytes>) -> http::Request<Full<Bytes>> {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(body.into()))
            .unwrap()
    }

    fn json_body(response: Response) -> Value {
        serde_json::from_slice(&body_of(response)).unwrap()
    }

    #[tokio::test]
    async fn routes_params_and_errors() {
        let app = app(|app| {
            app.get(
                "/users/<int:id>",
                |req: Request| json!({"id": req.param_as::<u64>("id")}),
            )
            .post("/users/<int:id>", |_req: Request| async {
                (json!({}), 201)
            });
        });
        let response = send(&app, req(Method::GET, "/users/42", "")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(json_body(response), json!({"id": 42}));

        let response = send(&app, req(Method::POST, "/users/1", "")).await;
        assert_eq!(response.status(), 201);

        let response = send(&app, req(Method::GET, "/users/abc", "")).await;
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(json_body(response), json!({"error": "Not Found"}));

        let response = send(&app, req(Method::DELETE, "/users/1", "")).await;
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[ALLOW], "GET, HEAD, POST");
        assert_eq!(json_body(response), json!({"error": "Method Not Allowed"}));

        let response = send(&app, req(Method::OPTIONS, "/users/1", "")).await;
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[ALLOW], "GET, HEAD, POST");
    }

    #[tokio::test]
    async fn head_has_no_body_but_the_get_length() {
        let app = app(|app| {
            app.get("/", |_req: Request| "hello");
        });
        let response = send(&app, req(Method::HEAD, "/", "")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[CONTENT_LENGTH], "5");
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert!(body_of(response).is_empty());
    }

    #[tokio::test]
    async fn query_and_body_reach_the_handler() {
        let app = app(|app| {
            app.post("/echo", |req: Request| {
                let body: Value = req.json()?;
                Ok::<_, crate::BadRequest>(json!({"q": req.query("q"), "body": body}))
            });
        });
        let response = send(&app, req(Method::POST, "/echo?q=a%26b", r#"{"x":1}"#)).await;
        assert_eq!(json_body(response), json!({"q": "a&b", "body": {"x": 1}}));

        let response = send(&app, req(Method::POST, "/echo", "{")).await;
        assert_eq!(response.status(), 400);
        let body = json_body(response);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("Invalid JSON body: "),
            "{body}"
        );
    }

    #[tokio::test]
    async fn bodies_over_the_limit_get_413() {
        let app = app(|app| {
            app.max_body_size(8)
                .post("/", |req: Request| format!("{} bytes", req.body().len()));
        });
        let response = send(&app, req(Method::POST, "/", "12345678")).await;
        assert_eq!(body_of(response), "8 bytes");

        // Declared too large: refused before reading.
        let response = send(&app, req(Method::POST, "/", "123456789")).await;
        assert_eq!(response.status(), 413);
        assert_eq!(json_body(response), json!({"error": "Payload Too Large"}));

        // No length declared (chunked): refused while reading.
        let chunks = Chunks(["1234", "5678", "9"].map(Bytes::from).into());
        let response = respond(&app, http::Request::post("/").body(chunks).unwrap(), None).await;
        assert_eq!(response.status(), 413);
    }

    /// A body of several frames with no declared length.
    struct Chunks(std::collections::VecDeque<Bytes>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
        }
    }

    #[tokio::test]
    async fn stalled_bodies_get_408() {
        struct Stalled;
        impl Body for Stalled {
            type Data = Bytes;
            type Error = std::io::Error;
            fn poll_frame(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
                Poll::Pending
            }
        }
        let app = app(|app| {
            app.body_read_timeout(Duration::from_millis(20))
                .post("/", |_req: Request| "never");
        });
        let response = respond(&app, http::Request::post("/").body(Stalled).unwrap(), None).await;
        assert_eq!(response.status(), 408);
        assert_eq!(json_body(response), json!({"error": "Request Timeout"}));
    }

    #[tokio::test]
    async fn panics_become_500_without_details() {
        fn sync_panic(_req: Request) -> &'static str {
            panic!("secret detail")
        }
        async fn async_panic(_req: Request) -> &'static str {
            tokio::task::yield_now().await;
            panic!("secret detail")
        }
        let app = app(|app| {
            app.get("/sync", sync_panic).get("/async", async_panic);
        });
        for path in ["/sync", "/async"] {
            let response = send(&app, req(Method::GET, path, "")).await;
            assert_eq!(response.status(), 500);
            assert_eq!(
                json_body(response),
                json!({"error": "Internal Server Error"})
            );
        }
    }

    #[tokio::test]
    async fn guarded_handler_rejects_without_a_token() {
        async fn me(req: Request) -> Result<Value, bustjwt_core::Rejection> {
            let req = guard(req, Requirement::Access)?;
            Ok(json!({"identity": req.jwt_identity()}))
        }
        let mut app = BustApi::new();
        app.secret_key([9u8; 32]);
        let jwt = Jwt::new(&mut app).unwrap();
        app.get("/me", me);
        let app = app.into_inner();

        let response = send(&app, req(Method::GET, "/me", "")).await;
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            body_of(response),
            r#"{"error":"Missing Authorization header"}"#
        );

        let token = jwt.create_access_token("ada");
        let request = http::Request::get("/me")
            .header("Authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = send(&app, request).await;
        assert_eq!(response.status(), 200);
        assert_eq!(json_body(response), json!({"identity": "ada"}));
    }

    #[tokio::test]
    async fn informational_statuses_and_bad_framing_headers_are_fixed() {
        let app = app(|app| {
            app.get("/1xx", |_req: Request| {
                let mut response = "x".into_response();
                *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                response
            })
            .get("/cl", |_req: Request| {
                let mut response = "abc".into_response();
                response
                    .headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from(99));
                response
            });
        });
        assert_eq!(send(&app, req(Method::GET, "/1xx", "")).await.status(), 500);
        let response = send(&app, req(Method::GET, "/cl", "")).await;
        assert!(response.headers().get(CONTENT_LENGTH).is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn access_log_has_method_path_status_and_no_secrets() {
        use std::io::Write;
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<Vec<u8>>>);
        impl Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        // A global subscriber, not `set_default`: with a thread-local one, tests running on
        // other threads at the same time can cache the access log's callsite as disabled.
        // Other tests' log lines land here too; the assertions pick this test's by path.
        tracing::subscriber::set_global_default(subscriber)
            .expect("only this test installs a global subscriber");

        let app = app(|app| {
            app.post("/access-log/<int:id>", |req: Request| {
                req.text().map(str::to_owned)
            });
        });
        let request = http::Request::post("/access-log/7?token=SECRET-QUERY")
            .header("Authorization", "Bearer SECRET-HEADER")
            .header("Cookie", "session=SECRET-COOKIE")
            .body(Full::new(Bytes::from("SECRET-BODY")))
            .unwrap();
        let response = send(&app, request).await;
        assert_eq!(response.status(), 200);
        send(
            &app,
            req(Method::GET, "/access-log-missing?token=SECRET-QUERY", ""),
        )
        .await;

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("bustjwt_server::access") && l.contains("path=/access-log"))
            .collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(lines[0].contains("method=POST"), "{log}");
        assert!(lines[0].contains("path=/access-log/7 "), "{log}");
        assert!(lines[0].contains("status=200"), "{log}");
        assert!(lines[0].contains("duration_ms="), "{log}");
        assert!(lines[1].contains("status=404"), "{log}");
        assert!(!log.contains("SECRET"), "{log}");
    }
}
