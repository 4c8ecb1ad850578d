//! The HTTP side of bustjwt: a small hyper-based server with Flask-style routes, JSON responses
//! and requests that carry the app's JWT configuration.
//!
//! Build a [`BustApi`], register handlers (plain `fn`s or `async fn`s taking a [`Request`] and
//! returning anything [`IntoResponse`]), configure JWT with `Jwt::new(&mut app)`, and
//! [`run`](BustApi::run) it:
//!
//! ```no_run
//! use bustjwt_core::{Jwt, Requirement, guard};
//! use bustjwt_server::{BustApi, HttpError, Request};
//! use serde::Deserialize;
//! use serde_json::{Value, json};
//!
//! #[derive(Deserialize)]
//! struct Login {
//!     username: String,
//!     password: String,
//! }
//!
//! async fn login(req: Request) -> Result<Value, HttpError> {
//!     let body: Login = req.json()?; // 400 {"error": "Invalid JSON body: .."} on a bad body
//!     if body.password != "wonderland" {
//!         return Err(HttpError::unauthorized("Bad username or password"));
//!     }
//!     let jwt = req.jwt()?;
//!     Ok(json!({
//!         "access_token": jwt.create_access_token(&body.username),
//!         "refresh_token": jwt.create_refresh_token(&body.username),
//!     }))
//! }
//!
//! // `#[jwt_required]` from the `bustjwt` facade writes this `guard` call for you.
//! async fn me(req: Request) -> Result<Value, HttpError> {
//!     let req = guard(req, Requirement::Access)?; // 401 + WWW-Authenticate without a valid token
//!     Ok(json!({ "logged_in_as": req.jwt_identity() }))
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let mut app = BustApi::new();
//!     app.secret_key(std::env::var("SECRET_KEY")?);
//!     Jwt::new(&mut app)?; // a missing or too short key is an error here, at startup
//!     app.post("/login", login)
//!         .get("/me", me)
//!         .get("/users/<int:id>", |req: Request| json!({ "id": req.param_as::<u64>("id") }));
//!     app.run()?; // "Running on http://127.0.0.1:5000"; Ctrl-C stops it gracefully
//!     Ok(())
//! }
//! ```
//!
//! # What the server does for you
//!
//! - **Routing**: `/users/<id>`, `/users/<int:id>` (non-digits give `404`), `/files/<path:p>`;
//!   `HEAD` for every `GET` route; `404 {"error": "Not Found"}`; `405 {"error": "Method Not
//!   Allowed"}` with `Allow`. Invalid or duplicate routes panic when registered.
//! - **Limits**: bodies are read in full before the handler runs, up to
//!   [`max_body_size`](BustApi::max_body_size) (`413`) and within
//!   [`body_read_timeout`](BustApi::body_read_timeout) (`408`); heads are bounded by
//!   [`max_header_size`](BustApi::max_header_size) (`431`) and
//!   [`header_read_timeout`](BustApi::header_read_timeout) (connection closed).
//! - **Failures**: a panicking handler gives `500 {"error": "Internal Server Error"}` and the
//!   server keeps serving.
//! - **Shutdown**: on Ctrl-C or `SIGTERM`, in-flight requests finish (for at most
//!   [`shutdown_timeout`](BustApi::shutdown_timeout)).
//! - **Access log**: one `tracing` event per request (target `bustjwt_server::access`) with the
//!   method, the path without its query string, the status and the duration. Headers, bodies
//!   and tokens are never logged.
#![forbid(unsafe_code)]

mod app;
mod connections;
mod dispatch;
mod error;
mod handler;
mod request;
mod response;
mod routing;
mod serve;

#[doc(inline)]
pub use self::app::BustApi;
#[doc(inline)]
pub use self::connections::ConnectionCounter;
#[doc(inline)]
pub use self::error::{BadRequest, HttpError, JwtNotConfigured, ServerError};
#[doc(inline)]
pub use self::handler::{AsyncMarker, Handler, ResponseFuture, SyncMarker};
#[doc(inline)]
pub use self::request::Request;
#[doc(inline)]
pub use self::response::{IntoResponse, Json, Response};
pub use http::{Method, StatusCode};

#[cfg(test)]
mod test_util {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use bytes::Bytes;
    use http_body_util::BodyExt;

    use crate::Response;

    /// The output of a future that is ready at its first poll.
    pub(crate) fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("future was not ready"),
        }
    }

    /// A buffered response's body.
    pub(crate) fn body_of(response: Response) -> Bytes {
        now(response.into_body().collect())
            .expect("a full body cannot fail")
            .to_bytes()
    }
}
