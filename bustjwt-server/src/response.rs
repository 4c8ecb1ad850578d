//! Responses: the [`Response`] type and the [`IntoResponse`] conversions handlers rely on.

use std::borrow::Cow;
use std::convert::Infallible;

use bustjwt_core::Rejection;
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http_body_util::Full;
use serde::Serialize;

/// The response type every handler's return value is turned into.
///
/// It is a plain [`http::Response`] with a fully buffered body, so one can also be built by hand:
///
/// ```
/// use bustjwt_server::{Response, StatusCode};
///
/// let response: Response = http::Response::builder()
///     .status(StatusCode::CREATED)
///     .header("Location", "/users/7")
///     .body("created".into())
///     .unwrap();
/// assert_eq!(response.status(), 201);
/// ```
pub type Response = http::Response<Full<Bytes>>;

const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";
const OCTET_STREAM: &str = "application/octet-stream";

/// Turns a handler's return value into a [`Response`].
///
/// | value | response |
/// | --- | --- |
/// | [`serde_json::Value`], [`Json<T>`] | `200`, `Content-Type: application/json` |
/// | `(Value, u16)`, `(Value, StatusCode)`, the same with [`Json<T>`] | that status, JSON body |
/// | `(StatusCode, T)` for any `T: IntoResponse` | `T`'s response with that status |
/// | `&'static str`, `String`, `Cow<'static, str>` | `200`, `text/plain; charset=utf-8` |
/// | `Vec<u8>`, [`Bytes`] | `200`, `application/octet-stream` |
/// | `()` | `204 No Content` |
/// | [`StatusCode`] | that status, empty body |
/// | [`Response`] | unchanged |
/// | `Result<T, E>` | `T`'s or `E`'s response |
/// | [`Rejection`] | `401` (or `500`), JSON `{"error": ..}`, `WWW-Authenticate` |
///
/// A status that is not a valid final status (outside `200..=599` for numbers, or any `1xx`)
/// becomes `500 Internal Server Error` instead of a panic.
///
/// # Implementing `IntoResponse`
///
/// ```
/// use bustjwt_server::{IntoResponse, Response, StatusCode};
/// use serde_json::json;
///
/// enum ApiError {
///     UserNotFound,
///     Locked { minutes: u64 },
/// }
///
/// impl IntoResponse for ApiError {
///     fn into_response(self) -> Response {
///         match self {
///             ApiError::UserNotFound => (json!({"error": "No such user"}), 404).into_response(),
///             ApiError::Locked { minutes } => {
///                 let body = json!({"error": "Account locked", "retry_in_minutes": minutes});
///                 (StatusCode::FORBIDDEN, body).into_response()
///             }
///         }
///     }
/// }
///
/// assert_eq!(ApiError::UserNotFound.into_response().status(), 404);
/// assert_eq!(ApiError::Locked { minutes: 5 }.into_response().status(), 403);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be turned into a response",
    note = "return a `serde_json::Value`, `(Value, u16)`, `Json<T>`, a string, `()`, a `Response`, or a `Result` of those"
)]
pub trait IntoResponse {
    /// Converts `self` into a response.
    fn into_response(self) -> Response;
}

/// Serializes `T` into a `200 OK` JSON response.
///
/// Use it for your own `Serialize` types; for `serde_json::json!` values the value alone is
/// enough. Pair it with a status as `(Json(x), 201)` or `(StatusCode::CREATED, Json(x))`.
/// A value that fails to serialize (a map with non-string keys, for instance) gives `500`.
///
/// ```
/// use bustjwt_server::{IntoResponse, Json};
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Profile {
///     username: String,
/// }
///
/// let response = (Json(Profile { username: "ada".into() }), 201).into_response();
/// assert_eq!(response.status(), 201);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// A response with `status` and a body with its content type.
fn with_body(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response {
    let mut response = http::Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON response from an already serialized body.
pub(crate) fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> Response {
    with_body(status, JSON, body)
}

/// A JSON error response: `{"error": message}`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    json_bytes(status, serde_json::json!({ "error": message }).to_string())
}

/// The response for a handler that failed: a panic, a value that would not serialize, an
/// invalid status. Deliberately says nothing about the cause.
pub(crate) fn internal_error() -> Response {
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// Serializes `value` (non-generic part of [`Json`]'s conversion, so it is compiled once).
fn serialized(result: Result<Vec<u8>, serde_json::Error>) -> Response {
    match result {
        Ok(body) => json_bytes(StatusCode::OK, body),
        Err(error) => {
            tracing::error!(%error, "response body could not be serialized to JSON");
            internal_error()
        }
    }
}

/// `response` with its status replaced by `status`, or a `500` when `status` is not a final status.
fn with_status(mut response: Response, status: StatusCode) -> Response {
    if status.is_informational() {
        tracing::error!(
            status = status.as_u16(),
            "handler returned an informational status"
        );
        return internal_error();
    }
    *response.status_mut() = status;
    response
}

/// Checks a numeric status from a handler (`(json, 401)`).
fn status_from_u16(code: u16) -> Option<StatusCode> {
    if (200..=599).contains(&code) {
        StatusCode::from_u16(code).ok()
    } else {
        tracing::error!(status = code, "handler returned an invalid status code");
        None
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for serde_json::Value {
    fn into_response(self) -> Response {
        serialized(serde_json::to_vec(&self))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        serialized(serde_json::to_vec(&self.0))
    }
}

/// `(body, status)` pairs, the order of Flask's `return {"error": ..}, 401`.
macro_rules! impl_body_then_status {
    ($($body:ty => [$($generic:ident)?]),* $(,)?) => {$(
        impl<$($generic: Serialize)?> IntoResponse for ($body, u16) {
            fn into_response(self) -> Response {
                match status_from_u16(self.1) {
                    Some(status) => with_status(self.0.into_response(), status),
                    None => internal_error(),
                }
            }
        }

        impl<$($generic: Serialize)?> IntoResponse for ($body, StatusCode) {
            fn into_response(self) -> Response {
                with_status(self.0.into_response(), self.1)
            }
        }
    )*};
}

impl_body_then_status!(serde_json::Value => [], Json<T> => [T]);

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        with_status(self.1.into_response(), self.0)
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        with_status(http::Response::new(Full::new(Bytes::new())), self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_body(StatusCode::OK, TEXT, self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_body(StatusCode::OK, TEXT, self)
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(text) => text.into_response(),
            Cow::Owned(text) => text.into_response(),
        }
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_body(StatusCode::OK, OCTET_STREAM, self)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_body(StatusCode::OK, OCTET_STREAM, self)
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

/// `401` with `WWW-Authenticate` for a refused token, `500` when JWT is not configured; the body
/// is `{"error": "<message>"}`.
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json_bytes(status, self.json_body());
        if let Some(challenge) = self.www_authenticate() {
            match HeaderValue::from_str(&challenge) {
                Ok(value) => {
                    response.headers_mut().insert(WWW_AUTHENTICATE, value);
                }
                Err(_) => {
                    tracing::error!("WWW-Authenticate challenge is not a valid header value");
                }
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::body_of;
    use serde_json::{Value, json};

    fn content_type(response: &Response) -> &str {
        response.headers()[CONTENT_TYPE].to_str().unwrap()
    }

    #[test]
    fn value_is_200_json() {
        let response = json!({"msg": "hi"}).into_response();
        assert_eq!(response.status(), 200);
        assert_eq!(content_type(&response), "application/json");
        assert_eq!(body_of(response), r#"{"msg":"hi"}"#);
    }

    #[test]
    fn value_with_status() {
        let response = (json!({"error": "Bad credentials"}), 401).into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(content_type(&response), "application/json");
        assert_eq!(body_of(response), r#"{"error":"Bad credentials"}"#);

        let response = (json!({}), StatusCode::CREATED).into_response();
        assert_eq!(response.status(), 201);
        let response = (StatusCode::ACCEPTED, json!([1, 2])).into_response();
        assert_eq!(response.status(), 202);
        assert_eq!(body_of(response), "[1,2]");
    }

    #[test]
    fn invalid_status_codes_become_500() {
        for code in [0, 42, 100, 101, 199, 600, 999, 1000, u16::MAX] {
            let response = (json!({"ok": true}), code).into_response();
            assert_eq!(response.status(), 500, "{code}");
            let body: Value = serde_json::from_slice(&body_of(response)).unwrap();
            assert_eq!(body, json!({"error": "Internal Server Error"}));
        }
        assert_eq!((StatusCode::CONTINUE, "x").into_response().status(), 500);
        assert_eq!((json!(1), 599).into_response().status(), 599);
    }

    #[test]
    fn json_wrapper() {
        #[derive(Serialize)]
        struct User {
            id: u32,
        }
        let response = Json(User { id: 7 }).into_response();
        assert_eq!(response.status(), 200);
        assert_eq!(body_of(response), r#"{"id":7}"#);
        assert_eq!((Json(User { id: 1 }), 201).into_response().status(), 201);
        assert_eq!(
            (Json(User { id: 1 }), StatusCode::IM_A_TEAPOT)
                .into_response()
                .status(),
            418
        );

        let unserializable = std::collections::HashMap::from([((1, 2), 3)]);
        let response = Json(unserializable).into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(body_of(response), r#"{"error":"Internal Server Error"}"#);
    }

    #[test]
    fn text_bytes_unit_and_status() {
        let response = "hello".into_response();
        assert_eq!(response.status(), 200);
        assert_eq!(content_type(&response), "text/plain; charset=utf-8");
        assert_eq!(body_of(response), "hello");
        assert_eq!(body_of(String::from("owned").into_response()), "owned");
        assert_eq!(body_of(Cow::Borrowed("cow").into_response()), "cow");

        let response = vec![1u8, 2].into_response();
        assert_eq!(content_type(&response), "application/octet-stream");
        assert_eq!(body_of(response), &[1u8, 2][..]);

        let response = ().into_response();
        assert_eq!(response.status(), 204);
        assert!(body_of(response).is_empty());

        let response = StatusCode::NOT_FOUND.into_response();
        assert_eq!(response.status(), 404);
        assert!(body_of(response).is_empty());
    }

    #[test]
    fn results_use_either_side() {
        let ok: Result<Value, (Value, u16)> = Ok(json!({"a": 1}));
        assert_eq!(ok.into_response().status(), 200);
        let err: Result<Value, (Value, u16)> = Err((json!({"error": "nope"}), 403));
        assert_eq!(err.into_response().status(), 403);
        let infallible: Result<&str, Infallible> = Ok("x");
        assert_eq!(infallible.into_response().status(), 200);
    }

    #[test]
    fn rejection_shape() {
        use bustjwt_core::JwtError;

        let response =
            Rejection::unauthorized(JwtError::MissingAuthorizationHeader).into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(content_type(&response), "application/json");
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            body_of(response),
            r#"{"error":"Missing Authorization header"}"#
        );

        let response = Rejection::unauthorized(JwtError::Expired).into_response();
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token", error_description="Token has expired""#
        );

        let response = Rejection::not_configured().into_response();
        assert_eq!(response.status(), 500);
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
    }
}
