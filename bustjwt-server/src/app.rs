//! The application builder: [`BustApi`] collects routes, the secret key, the JWT configuration
//! and server limits, and is frozen into shared state when it starts serving.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bustjwt_core::Jwt;
use bytes::Bytes;
use http::Method;
use http_body_util::Full;
use tokio::net::TcpListener;

use crate::connections::ConnectionCounter;
use crate::dispatch;
use crate::error::ServerError;
use crate::handler::{self, Handler};
use crate::response::Response;
use crate::routing::Router;
use crate::serve;

/// Limits and timeouts of the server.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) max_body_size: usize,
    pub(crate) max_header_size: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_size: 1024 * 1024,
            max_header_size: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// A web application: routes, a secret key and a JWT configuration.
///
/// Build it with `&mut self` methods, configure JWT with `Jwt::new(&mut app)`, then
/// [`run`](Self::run) it:
///
/// ```no_run
/// use bustjwt_core::Jwt;
/// use bustjwt_server::{BustApi, Request};
/// use serde_json::{Value, json};
///
/// async fn login(req: Request) -> Result<Value, bustjwt_server::HttpError> {
///     let jwt = req.jwt()?;
///     Ok(json!({ "access_token": jwt.create_access_token("ada") }))
/// }
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let mut app = BustApi::new();
///     app.secret_key(std::env::var("SECRET_KEY")?);
///     let _jwt = Jwt::new(&mut app)?; // a missing or short key fails here, at startup
///     app.get("/", |_req: Request| json!({"status": "ok"}))
///         .post("/login", login);
///     app.run()?;
///     Ok(())
/// }
/// ```
///
/// Routes use Flask's syntax: `/users/<id>` (any non-empty segment), `/users/<int:id>`
/// (digits only; anything else is `404`) and `/files/<path:rest>` (the rest of the path). A `GET`
/// route also answers `HEAD`; a known path with another method gets `405` with an `Allow`
/// header; an unknown path gets `404` with `{"error": "Not Found"}`.
pub struct BustApi {
    /// What the server shares once it starts (routes, JWT configuration, limits, counter).
    app: AppInner,
    secret_key: Option<Vec<u8>>,
}

impl BustApi {
    /// An app with no routes, no secret key and the default limits.
    pub fn new() -> Self {
        BustApi {
            app: AppInner {
                router: Router::default(),
                jwt: None,
                limits: Limits::default(),
                connections: ConnectionCounter::default(),
            },
            secret_key: None,
        }
    }

    /// Sets the secret key that `Jwt::new(&mut app)` signs tokens with.
    ///
    /// Load it from the environment or a secret store, never from source code. Its length is
    /// checked when the JWT configuration is built, at startup.
    pub fn secret_key(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.secret_key = Some(key.as_ref().to_vec());
        self
    }

    /// The JWT configuration stored by `Jwt::new(&mut app)`, if any.
    pub fn jwt(&self) -> Option<&Jwt> {
        self.app.jwt.as_ref()
    }

    /// Routes `GET` (and `HEAD`) requests for `path` to `handler`.
    ///
    /// # Panics
    ///
    /// When `path` is not a valid pattern, or a `GET` route for the same paths exists: both are
    /// programming errors, reported when the app is built rather than on a request.
    #[track_caller]
    pub fn get<M>(&mut self, path: &str, handler: impl Handler<M>) -> &mut Self {
        self.route(path, Method::GET, handler)
    }

    /// Routes `POST` requests for `path` to `handler`. Panics like [`get`](Self::get).
    #[track_caller]
    pub fn post<M>(&mut self, path: &str, handler: impl Handler<M>) -> &mut Self {
        self.route(path, Method::POST, handler)
    }

    /// Routes `PUT` requests for `path` to `handler`. Panics like [`get`](Self::get).
    #[track_caller]
    pub fn put<M>(&mut self, path: &str, handler: impl Handler<M>) -> &mut Self {
        self.route(path, Method::PUT, handler)
    }

    /// Routes `PATCH` requests for `path` to `handler`. Panics like [`get`](Self::get).
    #[track_caller]
    pub fn patch<M>(&mut self, path: &str, handler: impl Handler<M>) -> &mut Self {
        self.route(path, Method::PATCH, handler)
    }

    /// Routes `DELETE` requests for `path` to `handler`. Panics like [`get`](Self::get).
    #[track_caller]
    pub fn delete<M>(&mut self, path: &str, handler: impl Handler<M>) -> &mut Self {
        self.route(path, Method::DELETE, handler)
    }

    /// Routes requests with any `method` for `path` to `handler`. Panics like [`get`](Self::get).
    ///
    /// ```
    /// use bustjwt_server::{BustApi, Method, Request};
    ///
    /// let mut app = BustApi::new();
    /// app.route("/items", Method::OPTIONS, |_req: Request| "custom OPTIONS answer");
    /// ```
    #[track_caller]
    pub fn route<M>(&mut self, path: &str, method: Method, handler: impl Handler<M>) -> &mut Self {
        if let Err(error) = self.app.router.add(method, path, handler::boxed(handler)) {
            panic!("{error}");
        }
        self
    }

    /// The largest request body accepted, in bytes; larger ones get `413`. Defaults to 1 MiB.
    pub fn max_body_size(&mut self, bytes: usize) -> &mut Self {
        self.app.limits.max_body_size = bytes;
        self
    }

    /// The largest request head (request line and headers) accepted, in bytes; larger ones get
    /// `431`. Defaults to 16 KiB.
    pub fn max_header_size(&mut self, bytes: usize) -> &mut Self {
        self.app.limits.max_header_size = bytes;
        self
    }

    /// How long a client may take to send a request's headers, also the longest a keep-alive
    /// connection may stay idle; the connection is closed after it. Defaults to 10 seconds.
    pub fn header_read_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.app.limits.header_read_timeout = timeout;
        self
    }

    /// How long a client may take to send a request's body; a slower one gets `408`. Defaults to
    /// 30 seconds.
    pub fn body_read_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.app.limits.body_read_timeout = timeout;
        self
    }

    /// How long a graceful shutdown waits for in-flight requests before closing their
    /// connections. Defaults to 10 seconds.
    pub fn shutdown_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.app.limits.shutdown_timeout = timeout;
        self
    }

    /// A handle on the number of connections this app's server is handling, to read while it
    /// serves (get it before calling [`serve`](Self::serve) or [`run`](Self::run), which take
    /// the app). It reads `0` again once every connection has ended.
    pub fn connection_counter(&self) -> ConnectionCounter {
        self.app.connections.clone()
    }

    /// Serves the app until Ctrl-C or `SIGTERM`, blocking the calling thread.
    ///
    /// Listens on `127.0.0.1:5000`, or on `HOST` and `PORT` from the environment (`HOST=0.0.0.0`
    /// to accept other machines), and prints `Running on http://ADDR`. On a signal it stops
    /// accepting connections and lets in-flight requests finish, for at most the
    /// [`shutdown_timeout`](Self::shutdown_timeout). It builds its own multi-threaded Tokio
    /// runtime; inside an async context use [`serve`](Self::serve) instead.
    ///
    /// # Errors
    ///
    /// A bad `HOST` or `PORT`, an address that cannot be bound, or a call from inside an async
    /// runtime.
    pub fn run(self) -> Result<(), ServerError> {
        serve::run(self)
    }

    /// Serves the app on `listener` until Ctrl-C or `SIGTERM`, then shuts down gracefully like
    /// [`run`](Self::run).
    ///
    /// The signal handlers are installed when the returned future is first polled, before any
    /// connection is accepted, so a signal that arrives while a request is being served always
    /// means a graceful shutdown, never the process being killed. The future completes once the
    /// shutdown has finished.
    ///
    /// ```no_run
    /// # async fn example() -> std::io::Result<()> {
    /// use bustjwt_server::BustApi;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// BustApi::new().serve(listener).await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn serve(self, listener: TcpListener) {
        // Installs the handlers now, before the accept loop starts.
        let shutdown = serve::shutdown_signal();
        serve::serve(self, listener, shutdown).await;
    }

    /// Serves the app on `listener` until `shutdown` completes, then shuts down gracefully:
    /// in-flight requests finish (for at most the [`shutdown_timeout`](Self::shutdown_timeout)),
    /// idle connections are closed. No signal handler is installed.
    ///
    /// ```no_run
    /// # async fn example() -> std::io::Result<()> {
    /// use bustjwt_server::{BustApi, Request};
    ///
    /// let mut app = BustApi::new();
    /// app.get("/", |_req: Request| "hi");
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// println!("listening on {}", listener.local_addr()?);
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = tokio::spawn(app.serve_with_shutdown(listener, async {
    ///     stopped.await.ok();
    /// }));
    /// // ... send requests ...
    /// stop.send(()).ok();
    /// server.await.ok();
    /// # Ok(())
    /// # }
    /// ```
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) {
        serve::serve(self, listener, shutdown).await;
    }

    /// Answers one request in memory, as the server answers a request read from a connection:
    /// routing and path parameters, the body limits, the handler with panics caught and the
    /// final touches on the response; only the socket (and so the remote address) is missing.
    ///
    /// Not public API: it exists for the fuzz targets and tests and may change in any release.
    /// Await it inside a Tokio runtime with timers enabled (the body read timeout uses one).
    #[doc(hidden)]
    pub async fn handle(&self, req: http::Request<Bytes>) -> Response {
        dispatch::respond(&self.app, req.map(Full::new), None).await
    }

    /// Freezes the app into the state shared by every connection.
    pub(crate) fn into_inner(self) -> AppInner {
        self.app
    }
}

impl Default for BustApi {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BustApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BustApi")
            .field("routes", &self.app.router)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("jwt", &self.app.jwt.is_some())
            .field("limits", &self.app.limits)
            .finish()
    }
}

/// Lets `Jwt::new(&mut app)` read the app's secret key and store the configuration.
impl bustjwt_core::JwtHost for BustApi {
    fn host_secret_key(&self) -> Option<&[u8]> {
        self.secret_key.as_deref()
    }

    fn set_jwt(&mut self, jwt: Jwt) {
        self.app.jwt = Some(jwt);
    }
}

/// The frozen app, shared by every connection through an `Arc`.
#[derive(Debug)]
pub(crate) struct AppInner {
    pub(crate) router: Router,
    pub(crate) jwt: Option<Jwt>,
    pub(crate) limits: Limits,
    pub(crate) connections: ConnectionCounter,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;

    #[test]
    fn jwt_new_uses_the_app_key() {
        let mut app = BustApi::new();
        app.secret_key("0123456789abcdef0123456789abcdef");
        assert!(app.jwt().is_none());
        let jwt = Jwt::new(&mut app).expect("32 bytes is enough for HS256");
        let token = jwt.create_access_token("ada");
        assert!(app.jwt().expect("stored").decode_token(&token).is_ok());
    }

    #[test]
    fn missing_or_short_keys_fail_at_startup() {
        assert!(Jwt::new(&mut BustApi::new()).is_err());
        let mut app = BustApi::new();
        app.secret_key("short");
        assert!(Jwt::new(&mut app).is_err());
        assert!(app.jwt().is_none());
    }

    #[test]
    fn debug_redacts_the_key() {
        let mut app = BustApi::new();
        app.secret_key("super-secret-value-0123456789abcdef")
            .get("/", |_req: Request| "x");
        let debug = format!("{app:?}");
        assert!(!debug.contains("super-secret"), "{debug}");
        assert!(debug.contains("GET /"), "{debug}");
    }

    #[tokio::test]
    async fn handle_answers_like_the_server() {
        use serde_json::{Value, json};

        use crate::test_util::body_of;

        let mut app = BustApi::new();
        app.max_body_size(16)
            .get(
                "/users/<int:id>",
                |req: Request| json!({ "id": req.param_as::<u64>("id") }),
            )
            .get("/files/<path:rest>", |req: Request| {
                req.param("rest").unwrap_or_default().to_owned()
            })
            .post("/echo", |req: Request| req.json::<Value>());
        let send = |method: &str, uri: &str, body: &'static str| {
            let req = http::Request::builder()
                .method(method)
                .uri(uri)
                .body(Bytes::from_static(body.as_bytes()))
                .unwrap();
            app.handle(req)
        };

        let response = send("GET", "/users/42", "").await;
        assert_eq!(response.status(), 200);
        assert_eq!(body_of(response), r#"{"id":42}"#);
        assert_eq!(send("GET", "/users/4x2", "").await.status(), 404);
        // Percent-decoded before matching, `/` included inside a `<path:..>`.
        let response = send("GET", "/files/a%20b/c%2Fd", "").await;
        assert_eq!(response.status(), 200);
        assert_eq!(body_of(response), "a b/c/d");
        let response = send("HEAD", "/users/7", "").await;
        assert_eq!(response.status(), 200);
        assert!(body_of(response).is_empty());

        let response = send("POST", "/echo", r#"{"a":[1]}"#).await;
        assert_eq!(response.status(), 200);
        assert_eq!(body_of(response), r#"{"a":[1]}"#);
        assert_eq!(send("POST", "/echo", "{").await.status(), 400);
        let response = send("POST", "/echo", r#"{"much":"too long"}"#).await;
        assert_eq!(response.status(), 413);
        assert_eq!(body_of(response), r#"{"error":"Payload Too Large"}"#);

        let response = send("DELETE", "/echo", "").await;
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[http::header::ALLOW], "POST");
        assert_eq!(send("GET", "/nowhere", "").await.status(), 404);
    }

    #[test]
    #[should_panic(expected = "route `GET /a` conflicts with the route `GET /a` registered before")]
    fn duplicate_routes_panic() {
        let mut app = BustApi::new();
        app.get("/a", |_req: Request| "x")
            .get("/a", |_req: Request| "y");
    }

    #[test]
    #[should_panic(expected = "unknown converter `uuid`")]
    fn invalid_patterns_panic() {
        BustApi::new().get("/a/<uuid:id>", |_req: Request| "x");
    }
}
