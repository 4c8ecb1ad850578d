//! The [`Request`] a handler receives: method, path, query, headers, cookies, path parameters,
//! the whole body, and the JWT configuration and guard outcome.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;

use bustjwt_core::{Auth, AuthRequest, AuthorizationHeader, Claims, Jwt, JwtError};
use bytes::Bytes;
use cookie::Cookie;
use http::header::{AUTHORIZATION, AsHeaderName, COOKIE};
use http::{HeaderMap, Method, Uri};
use serde::de::DeserializeOwned;

use crate::error::{BadRequest, JwtNotConfigured};

/// Longest `Invalid JSON body: ..` message sent back to a client.
const MAX_JSON_ERROR_LEN: usize = 200;

/// An HTTP request whose body has been read in full (up to the app's
/// [`max_body_size`](crate::BustApi::max_body_size)).
///
/// Handlers get it by value. Its [`Debug`] output shows the method and path only: headers, query
/// and body may carry tokens or passwords.
///
/// ```
/// use bustjwt_server::Request;
///
/// let req = Request::from_http(
///     http::Request::post("/search?q=rust%20jwt&page=2")
///         .header("Cookie", "theme=dark; session=abc")
///         .body(r#"{"limit": 10}"#)
///         .unwrap(),
/// );
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.path(), "/search");
/// assert_eq!(req.query("q"), Some("rust jwt"));
/// assert_eq!(req.cookie("theme"), Some("dark"));
/// let body: serde_json::Value = req.json().unwrap();
/// assert_eq!(body["limit"], 10);
/// ```
pub struct Request {
    head: http::request::Parts,
    body: Bytes,
    params: Vec<(String, String)>,
    remote_addr: Option<SocketAddr>,
    jwt: Option<Jwt>,
    auth: Option<Auth>,
    query: OnceLock<Vec<(String, String)>>,
    cookies: OnceLock<Vec<(String, String)>>,
}

impl Request {
    /// Wraps an [`http::Request`] whose body is already in memory, for testing handlers without
    /// a server. It has no path parameters, no remote address and no JWT configuration until
    /// [`with_param`](Self::with_param) and [`with_jwt`](Self::with_jwt) add them.
    pub fn from_http<B: Into<Bytes>>(req: http::Request<B>) -> Self {
        let (head, body) = req.into_parts();
        Request::new(head, body.into(), Vec::new(), None, None)
    }

    pub(crate) fn new(
        head: http::request::Parts,
        body: Bytes,
        params: Vec<(String, String)>,
        remote_addr: Option<SocketAddr>,
        jwt: Option<Jwt>,
    ) -> Self {
        Request {
            head,
            body,
            params,
            remote_addr,
            jwt,
            auth: None,
            query: OnceLock::new(),
            cookies: OnceLock::new(),
        }
    }

    /// Sets the JWT configuration, as the app does for every request it serves.
    #[must_use]
    pub fn with_jwt(mut self, jwt: Jwt) -> Self {
        self.jwt = Some(jwt);
        self
    }

    /// Adds a path parameter, as the router does for `<name>` segments.
    #[must_use]
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The full request target as received.
    pub fn uri(&self) -> &Uri {
        &self.head.uri
    }

    /// The path, still percent-encoded, without the query string (`/users/42`).
    pub fn path(&self) -> &str {
        self.head.uri.path()
    }

    /// The raw query string without the `?`, if any.
    pub fn query_string(&self) -> Option<&str> {
        self.head.uri.query()
    }

    /// The first value of query parameter `name`, percent-decoded (`+` is a space).
    ///
    /// ```
    /// # use bustjwt_server::Request;
    /// let req = Request::from_http(http::Request::get("/?tag=a&tag=b&q=x+y").body("").unwrap());
    /// assert_eq!(req.query("q"), Some("x y"));
    /// assert_eq!(req.query("tag"), Some("a"));
    /// assert_eq!(req.query_all("tag").collect::<Vec<_>>(), ["a", "b"]);
    /// assert_eq!(req.query("missing"), None);
    /// ```
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_pairs()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }

    /// Every value of query parameter `name`, in order.
    pub fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.query_pairs()
            .filter(move |(key, _)| *key == name)
            .map(|(_, value)| value)
    }

    /// All query parameters, decoded, in order.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query
            .get_or_init(|| {
                form_urlencoded::parse(self.query_string().unwrap_or("").as_bytes())
                    .into_owned()
                    .collect()
            })
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The first value of header `name`, if it is present and visible ASCII.
    pub fn header(&self, name: impl AsHeaderName) -> Option<&str> {
        self.head.headers.get(name)?.to_str().ok()
    }

    /// The value of cookie `name` from the `Cookie` header(s), surrounding quotes removed.
    /// Values are returned as sent (no percent-decoding).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .get_or_init(|| parse_cookies(&self.head.headers))
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path parameter `name` (`<name>` or `<int:name>` in the route), percent-decoded.
    ///
    /// ```no_run
    /// # use bustjwt_server::{BustApi, Request};
    /// let mut app = BustApi::new();
    /// app.get("/users/<int:id>/posts/<slug>", |req: Request| {
    ///     let id: u64 = req.param_as("id").unwrap_or_default(); // an int route: always Some
    ///     format!("post {} of user {id}", req.param("slug").unwrap_or_default())
    /// });
    /// ```
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path parameter `name` parsed as `T`; `None` when it is missing or does not parse.
    pub fn param_as<T: FromStr>(&self, name: &str) -> Option<T> {
        self.param(name)?.parse().ok()
    }

    /// All path parameters, in route order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The body bytes (empty when none was sent).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as UTF-8 text, or `400` if it is not UTF-8.
    pub fn text(&self) -> Result<&str, BadRequest> {
        std::str::from_utf8(&self.body)
            .map_err(|_| BadRequest::new("Request body is not valid UTF-8"))
    }

    /// Deserializes the JSON body into `T`.
    ///
    /// A missing, malformed or mistyped body is a [`BadRequest`] (`400`, JSON
    /// `{"error": "Invalid JSON body: missing field `password` at line 1 column 20"}`), so `?`
    /// answers the client. The `Content-Type` header is not checked.
    ///
    /// ```
    /// # use bustjwt_server::Request;
    /// #[derive(serde::Deserialize)]
    /// struct Login {
    ///     username: String,
    ///     password: String,
    /// }
    ///
    /// let req = Request::from_http(http::Request::post("/login").body(r#"{"username":"a"}"#).unwrap());
    /// let err = req.json::<Login>().err().unwrap();
    /// assert_eq!(err.message(), "Invalid JSON body: missing field `password` at line 1 column 16");
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, BadRequest> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(BadRequest::new("Missing JSON body"));
        }
        serde_json::from_slice(&self.body).map_err(|error| {
            let mut message = format!("Invalid JSON body: {error}");
            if message.len() > MAX_JSON_ERROR_LEN {
                let mut end = MAX_JSON_ERROR_LEN;
                while !message.is_char_boundary(end) {
                    end -= 1;
                }
                message.truncate(end);
                message.push('…');
            }
            BadRequest::new(message)
        })
    }

    /// The peer's address, when the request came through the server.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The app's JWT configuration, to create tokens in a handler.
    ///
    /// It is an error (`500` JSON through `?`) if `Jwt::new(&mut app)` was never called.
    ///
    /// ```
    /// use bustjwt_server::{JwtNotConfigured, Request};
    /// use serde_json::{Value, json};
    ///
    /// async fn refresh(req: Request) -> Result<Value, JwtNotConfigured> {
    ///     let jwt = req.jwt()?;
    ///     let identity = req.jwt_identity().unwrap_or_default();
    ///     Ok(json!({ "access_token": jwt.create_access_token(identity) }))
    /// }
    /// ```
    pub fn jwt(&self) -> Result<&Jwt, JwtNotConfigured> {
        self.jwt.as_ref().ok_or(JwtNotConfigured)
    }

    /// The outcome of the route's JWT guard, if the handler is guarded.
    pub fn auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }

    /// The verified token's identity (`sub`): set on routes guarded by `#[jwt_required]` and
    /// friends, and by `#[jwt_optional]` when a valid token was sent.
    pub fn jwt_identity(&self) -> Option<&str> {
        self.auth.as_ref()?.identity()
    }

    /// The verified token's claims, when [`jwt_identity`](Self::jwt_identity) is set.
    pub fn jwt_claims(&self) -> Option<&Claims> {
        self.auth.as_ref()?.claims()
    }

    /// Why a token sent to a `#[jwt_optional]` route was not accepted.
    pub fn jwt_error(&self) -> Option<&JwtError> {
        self.auth.as_ref()?.error()
    }
}

impl Default for Request {
    /// `GET /` with no headers and an empty body.
    fn default() -> Self {
        Request::from_http(http::Request::new(Bytes::new()))
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", self.method())
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl AuthRequest for Request {
    fn authorization_header(&self) -> AuthorizationHeader<'_> {
        let mut values = self.head.headers.get_all(AUTHORIZATION).iter();
        match (values.next(), values.next()) {
            (None, _) => AuthorizationHeader::Missing,
            (Some(value), None) => AuthorizationHeader::One(value.as_bytes()),
            (Some(_), Some(_)) => AuthorizationHeader::Multiple,
        }
    }

    fn jwt_config(&self) -> Option<&Jwt> {
        self.jwt.as_ref()
    }

    fn set_auth(&mut self, auth: Auth) {
        self.auth = Some(auth);
    }
}

/// Every `name=value` pair of every `Cookie` header; malformed pairs are skipped.
fn parse_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|cookie| (cookie.name().to_owned(), cookie.value_trimmed().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bustjwt_core::{Rejection, Requirement, guard};

    fn get(uri: &str) -> http::request::Builder {
        http::Request::get(uri)
    }

    fn request(builder: http::request::Builder, body: &'static str) -> Request {
        Request::from_http(builder.body(body).unwrap())
    }

    #[test]
    fn query_parameters_are_decoded() {
        let req = request(
            get("/p?a=1&b=x%20y&c=x+y&empty=&flag&a=2&%C3%A9=%E2%9C%93"),
            "",
        );
        assert_eq!(req.path(), "/p");
        assert_eq!(req.query("a"), Some("1"));
        assert_eq!(req.query_all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(req.query("b"), Some("x y"));
        assert_eq!(req.query("c"), Some("x y"));
        assert_eq!(req.query("empty"), Some(""));
        assert_eq!(req.query("flag"), Some(""));
        assert_eq!(req.query("é"), Some("✓"));
        assert_eq!(req.query("zzz"), None);
        assert_eq!(req.query_pairs().count(), 7);

        let none = request(get("/p"), "");
        assert_eq!(none.query("a"), None);
        assert_eq!(none.query_string(), None);
    }

    #[test]
    fn cookies_are_parsed_from_every_cookie_header() {
        let req = request(
            get("/")
                .header("Cookie", "a=1; b=\"two\"; broken; c=x=y")
                .header("Cookie", "d=4"),
            "",
        );
        assert_eq!(req.cookie("a"), Some("1"));
        assert_eq!(req.cookie("b"), Some("two"));
        assert_eq!(req.cookie("c"), Some("x=y"));
        assert_eq!(req.cookie("d"), Some("4"));
        assert_eq!(req.cookie("broken"), None);
        assert_eq!(request(get("/"), "").cookie("a"), None);
    }

    #[test]
    fn headers_and_params() {
        let req = request(get("/").header("X-Thing", "v"), "")
            .with_param("id", "42")
            .with_param("name", "ada");
        assert_eq!(req.header("x-thing"), Some("v"));
        assert_eq!(req.header(http::header::ACCEPT), None);
        assert_eq!(req.param("id"), Some("42"));
        assert_eq!(req.param_as::<u32>("id"), Some(42));
        assert_eq!(req.param_as::<u32>("name"), None);
        assert_eq!(req.param("missing"), None);
        assert_eq!(req.params().count(), 2);
    }

    #[test]
    fn json_body_errors_are_400s_with_short_messages() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Login {
            username: String,
            password: String,
        }
        let ok: Login = request(
            http::Request::post("/"),
            r#"{"username":"a","password":"b"}"#,
        )
        .json()
        .unwrap();
        assert_eq!(ok.username, "a");

        let missing = request(http::Request::post("/"), " \n").json::<Login>();
        assert_eq!(missing.unwrap_err().message(), "Missing JSON body");
        let malformed = request(http::Request::post("/"), "{nope").json::<Login>();
        assert!(
            malformed
                .unwrap_err()
                .message()
                .starts_with("Invalid JSON body: key must be a string")
        );
        let mistyped =
            request(http::Request::post("/"), r#"{"username":1,"password":"b"}"#).json::<Login>();
        assert!(mistyped.unwrap_err().message().contains("invalid type"));

        let huge = format!(r#"{{"{}": }}"#, "k".repeat(1000));
        let req = Request::from_http(http::Request::post("/").body(huge).unwrap());
        let err = req.json::<serde_json::Value>().unwrap_err();
        assert!(err.message().chars().count() <= MAX_JSON_ERROR_LEN + 1);
    }

    #[test]
    fn text_body() {
        assert_eq!(request(http::Request::post("/"), "hi").text(), Ok("hi"));
        let bad = Request::from_http(http::Request::post("/").body(vec![0xff]).unwrap());
        assert!(bad.text().is_err());
    }

    #[test]
    fn authorization_header_forms() {
        assert_eq!(
            request(get("/"), "").authorization_header(),
            AuthorizationHeader::Missing
        );
        let one = request(get("/").header("Authorization", "Bearer x"), "");
        assert_eq!(
            one.authorization_header(),
            AuthorizationHeader::One(b"Bearer x")
        );
        let two = request(
            get("/")
                .header("Authorization", "Bearer x")
                .header("Authorization", "Bearer y"),
            "",
        );
        assert_eq!(two.authorization_header(), AuthorizationHeader::Multiple);
    }

    #[test]
    fn without_jwt_config_guards_fail_closed() {
        let req = request(get("/"), "");
        assert_eq!(req.jwt().unwrap_err(), JwtNotConfigured);
        assert_eq!(req.jwt_identity(), None);
        let rejection = guard(req, Requirement::Optional).unwrap_err();
        assert_eq!(rejection, Rejection::not_configured());
    }

    #[test]
    fn guard_outcome_is_stored() {
        let jwt = Jwt::builder()
            .secret_key([7u8; 32])
            .build()
            .expect("valid test key");
        let token = jwt.create_access_token("ada");
        let req = request(
            get("/").header("Authorization", format!("Bearer {token}")),
            "",
        )
        .with_jwt(jwt.clone());
        let req = guard(req, Requirement::Access).unwrap();
        assert_eq!(req.jwt_identity(), Some("ada"));
        assert_eq!(req.jwt_claims().map(Claims::identity), Some("ada"));
        assert!(req.jwt_error().is_none());

        let req = request(get("/").header("Authorization", "Bearer nope"), "").with_jwt(jwt);
        let req = guard(req, Requirement::Optional).unwrap();
        assert_eq!(req.jwt_identity(), None);
        assert!(req.jwt_error().is_some());
    }

    #[test]
    fn debug_hides_headers_and_body() {
        let req = request(
            get("/me?token=secret").header("Authorization", "Bearer secret"),
            "secret",
        );
        let debug = format!("{req:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("/me"));
    }
}
