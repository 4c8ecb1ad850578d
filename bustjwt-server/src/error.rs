//! Errors: why the server could not start, and the errors handlers return as JSON responses.

use std::net::SocketAddr;

use http::StatusCode;
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use thiserror::Error;

use crate::response::{IntoResponse, Response, json_error};

/// Why [`BustApi::run`](crate::BustApi::run) could not start or keep serving.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The `PORT` environment variable is not a port number.
    #[error("invalid PORT {value:?}: expected a number between 0 and 65535")]
    InvalidPort {
        /// The value that was found.
        value: String,
    },
    /// The `HOST` environment variable is not an IP address or a resolvable host name.
    #[error("invalid HOST {value:?}: expected an IP address such as 127.0.0.1 or 0.0.0.0")]
    InvalidHost {
        /// The value that was found.
        value: String,
    },
    /// The listening socket could not be bound (the port is taken, or needs privileges).
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address that was tried.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `run` was called from inside an async runtime, where it cannot block.
    #[error(
        "`BustApi::run` blocks and cannot be called inside an async runtime; \
         use `BustApi::serve` or `serve_with_shutdown` there"
    )]
    InsideRuntime,
    /// The async runtime could not be started.
    #[error("could not start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// A `400 Bad Request` answered as JSON `{"error": "<message>"}`: a missing or malformed body.
///
/// Returned by [`Request::json`](crate::Request::json) and [`Request::text`](crate::Request::text);
/// with `?` in a handler returning `Result<_, BadRequest>` (or [`HttpError`]) the client gets
/// the message. Messages describe the body's shape (`missing field `password``), never secrets.
///
/// ```
/// use bustjwt_server::{BadRequest, IntoResponse};
///
/// let response = BadRequest::new("Missing JSON body").into_response();
/// assert_eq!(response.status(), 400);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct BadRequest {
    message: String,
}

impl BadRequest {
    /// A bad request with this client-facing message.
    pub fn new(message: impl Into<String>) -> Self {
        BadRequest {
            message: message.into(),
        }
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        json_error(StatusCode::BAD_REQUEST, &self.message)
    }
}

/// The app has no JWT configuration: `Jwt::new(&mut app)` was never called.
///
/// Returned by [`Request::jwt`](crate::Request::jwt). It is a server bug, not a client error, so
/// the response is `500` with `{"error": "JWT is not configured on this app"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Error)]
#[error("JWT is not configured on this app")]
pub struct JwtNotConfigured;

impl IntoResponse for JwtNotConfigured {
    fn into_response(self) -> Response {
        tracing::error!(
            "a handler asked for the JWT configuration but `Jwt::new(&mut app)` was never called"
        );
        json_error(StatusCode::INTERNAL_SERVER_ERROR, &self.to_string())
    }
}

/// Any error status with a JSON body `{"error": "<message>"}`: a handy error type for handlers.
///
/// Every error of this crate converts into it with `?`, so one handler can read the body, reach
/// the JWT configuration and refuse the caller in the same function:
///
/// ```
/// use bustjwt_server::{HttpError, Request};
/// use serde::Deserialize;
/// use serde_json::{Value, json};
///
/// #[derive(Deserialize)]
/// struct Login {
///     username: String,
///     password: String,
/// }
///
/// async fn login(req: Request) -> Result<Value, HttpError> {
///     let body: Login = req.json()?; // 400 on a bad body
///     if body.password != "wonderland" {
///         return Err(HttpError::unauthorized("Bad username or password"));
///     }
///     let jwt = req.jwt()?; // 500 if the app has no JWT configuration
///     Ok(json!({ "access_token": jwt.create_access_token(&body.username) }))
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct HttpError {
    status: StatusCode,
    message: String,
    www_authenticate: Option<String>,
}

impl HttpError {
    /// An error with this status and client-facing message. A status that is not an error
    /// (below `400`) is answered as `500`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        HttpError {
            status,
            message: message.into(),
            www_authenticate: None,
        }
    }

    /// `400 Bad Request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `401 Unauthorized`, with the challenge `WWW-Authenticate: Bearer` (RFC 6750 §3).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        HttpError {
            www_authenticate: Some("Bearer".to_owned()),
            ..Self::new(StatusCode::UNAUTHORIZED, message)
        }
    }

    /// `403 Forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// `404 Not Found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// `500 Internal Server Error` with the generic message; log the cause yourself.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = if self.status.as_u16() >= 400 {
            self.status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        let mut response = json_error(status, &self.message);
        if let Some(value) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<BadRequest> for HttpError {
    fn from(error: BadRequest) -> Self {
        Self::bad_request(error.message)
    }
}

impl From<JwtNotConfigured> for HttpError {
    fn from(error: JwtNotConfigured) -> Self {
        tracing::error!(
            "a handler asked for the JWT configuration but `Jwt::new(&mut app)` was never called"
        );
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl From<bustjwt_core::Rejection> for HttpError {
    fn from(rejection: bustjwt_core::Rejection) -> Self {
        HttpError {
            status: StatusCode::from_u16(rejection.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: rejection.to_string(),
            www_authenticate: rejection.www_authenticate(),
        }
    }
}

/// A token that could not be created is a server bug (a reserved custom claim, say): `500` with
/// the generic message; the cause is logged, not sent.
impl From<bustjwt_core::CreateTokenError> for HttpError {
    fn from(error: bustjwt_core::CreateTokenError) -> Self {
        tracing::error!(%error, "could not create a token");
        Self::internal()
    }
}

impl From<bustjwt_core::JwtError> for HttpError {
    fn from(error: bustjwt_core::JwtError) -> Self {
        bustjwt_core::Rejection::unauthorized(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::body_of;
    use bustjwt_core::{JwtError, Rejection};

    #[test]
    fn bad_request_is_400_json() {
        let response = BadRequest::new("Missing JSON body").into_response();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(body_of(response), r#"{"error":"Missing JSON body"}"#);
    }

    #[test]
    fn jwt_not_configured_is_500_json() {
        let response = JwtNotConfigured.into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(
            body_of(response),
            r#"{"error":"JWT is not configured on this app"}"#
        );
    }

    #[test]
    fn http_error_conversions() {
        let response = HttpError::unauthorized("Bad username or password").into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(body_of(response), r#"{"error":"Bad username or password"}"#);

        let from_rejection: HttpError = Rejection::unauthorized(JwtError::Expired).into();
        assert_eq!(from_rejection.status(), 401);
        assert_eq!(from_rejection.message(), "Token has expired");
        let response = from_rejection.into_response();
        assert!(
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );

        let from_bad: HttpError = BadRequest::new("nope").into();
        assert_eq!(from_bad.status(), 400);
        let reserved = bustjwt_core::Jwt::builder()
            .secret_key([1u8; 32])
            .build()
            .unwrap()
            .create_access_token_with(
                "ada",
                bustjwt_core::TokenOptions::new().claims(serde_json::json!({"sub": "eve"})),
            )
            .unwrap_err();
        let from_create: HttpError = reserved.into();
        assert_eq!(from_create.status(), 500);
        assert_eq!(from_create.message(), "Internal Server Error");
        let from_jwt: HttpError = JwtNotConfigured.into();
        assert_eq!(from_jwt.status(), 500);
        assert_eq!(
            HttpError::new(StatusCode::OK, "not an error")
                .into_response()
                .status(),
            500
        );
        assert_eq!(HttpError::internal().into_response().status(), 500);
    }

    #[test]
    fn server_error_messages() {
        let error = ServerError::InvalidPort {
            value: "http".into(),
        };
        assert_eq!(
            error.to_string(),
            r#"invalid PORT "http": expected a number between 0 and 65535"#
        );
    }
}
