//! Routing: Flask-style path patterns (`/users/<int:id>`) and the table that maps a method and a
//! path to a handler.
//!
//! Patterns are split into segments when a route is registered. A request path is split and
//! percent-decoded once, then compared segment by segment against each route. When several
//! routes match, the most specific wins: a literal segment beats `<int:..>`, which beats a plain
//! `<..>` parameter, which beats `<path:..>`.

use std::borrow::Cow;
use std::fmt;

use http::Method;
use percent_encoding::percent_decode_str;
use thiserror::Error;

use crate::handler::BoxedHandler;

/// Why a route could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum RouteError {
    #[error("route `{0}` must start with `/`")]
    NoLeadingSlash(String),
    #[error("route `{0}` has an empty segment (`//`)")]
    EmptySegment(String),
    #[error(
        "route `{0}`: a parameter must be a whole segment written `<name>` or `<converter:name>`"
    )]
    MalformedParam(String),
    #[error(
        "route `{route}`: parameter name `{name}` must be an identifier (letters, digits, `_`)"
    )]
    BadParamName { route: String, name: String },
    #[error(
        "route `{route}`: unknown converter `{converter}`; supported converters are string, int and path"
    )]
    UnknownConverter { route: String, converter: String },
    #[error("route `{route}`: parameter `{name}` appears twice")]
    DuplicateParam { route: String, name: String },
    #[error("route `{0}`: a `<path:..>` parameter must be the last segment")]
    PathNotLast(String),
    #[error(
        "route `{method} {route}` conflicts with the route `{method} {existing}` registered before"
    )]
    Conflict {
        method: Method,
        route: String,
        existing: String,
    },
}

/// What a parameter segment accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Converter {
    /// `<int:name>`: ASCII digits that fit in a `u64`.
    Int,
    /// `<name>` or `<string:name>`: any non-empty segment.
    String,
    /// `<path:name>`: the rest of the path, slashes included; must come last.
    Path,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param { name: String, converter: Converter },
}

impl Segment {
    /// Lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param { converter, .. } => 1 + *converter as u8,
        }
    }

    /// What makes two patterns match the same paths (parameter names do not).
    fn shape(&self) -> SegmentShape<'_> {
        match self {
            Segment::Literal(text) => SegmentShape::Literal(text),
            Segment::Param { converter, .. } => SegmentShape::Param(*converter),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum SegmentShape<'a> {
    Literal(&'a str),
    Param(Converter),
}

/// A parsed route pattern such as `/users/<int:id>/posts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathPattern {
    source: String,
    segments: Vec<Segment>,
}

impl PathPattern {
    /// Parses a Flask-style pattern. A trailing slash is significant: `/users/` and `/users` are
    /// different routes.
    pub(crate) fn parse(source: &str) -> Result<Self, RouteError> {
        let rest = source
            .strip_prefix('/')
            .ok_or_else(|| RouteError::NoLeadingSlash(source.to_owned()))?;
        let raw: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(raw.len());
        for (index, text) in raw.iter().enumerate() {
            let is_last = index + 1 == raw.len();
            if text.is_empty() && !is_last {
                return Err(RouteError::EmptySegment(source.to_owned()));
            }
            let segment = parse_segment(source, text)?;
            if let Segment::Param { name, converter } = &segment {
                if *converter == Converter::Path && !is_last {
                    return Err(RouteError::PathNotLast(source.to_owned()));
                }
                if segments
                    .iter()
                    .any(|s| matches!(s, Segment::Param { name: n, .. } if n == name))
                {
                    return Err(RouteError::DuplicateParam {
                        route: source.to_owned(),
                        name: name.clone(),
                    });
                }
            }
            segments.push(segment);
        }
        Ok(PathPattern {
            source: source.to_owned(),
            segments,
        })
    }

    fn same_shape(&self, other: &PathPattern) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(a, b)| a.shape() == b.shape())
    }

    fn ranks(&self) -> Vec<u8> {
        self.segments.iter().map(Segment::rank).collect()
    }

    /// Matches decoded path segments, returning the parameters in pattern order.
    fn matches(&self, path: &[Cow<'_, str>]) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Param {
                    name,
                    converter: Converter::Path,
                } => {
                    let rest = path
                        .get(index..)
                        .filter(|rest| rest.first().is_some_and(|first| !first.is_empty()))?;
                    params.push((name.clone(), rest.join("/")));
                    return Some(params);
                }
                Segment::Literal(text) => {
                    if path.get(index)? != text {
                        return None;
                    }
                }
                Segment::Param { name, converter } => {
                    let value = path.get(index)?;
                    let ok = match converter {
                        Converter::String => !value.is_empty(),
                        Converter::Int => {
                            value.bytes().all(|b| b.is_ascii_digit())
                                && value.parse::<u64>().is_ok()
                        }
                        Converter::Path => unreachable!("handled above"),
                    };
                    if !ok {
                        return None;
                    }
                    params.push((name.clone(), value.clone().into_owned()));
                }
            }
        }
        (path.len() == self.segments.len()).then_some(params)
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn parse_segment(route: &str, text: &str) -> Result<Segment, RouteError> {
    if !text.contains(['<', '>']) {
        return Ok(Segment::Literal(text.to_owned()));
    }
    let inner = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .filter(|inner| !inner.contains(['<', '>']))
        .ok_or_else(|| RouteError::MalformedParam(route.to_owned()))?;
    let (converter, name) = match inner.split_once(':') {
        None => (Converter::String, inner),
        Some(("string", name)) => (Converter::String, name),
        Some(("int", name)) => (Converter::Int, name),
        Some(("path", name)) => (Converter::Path, name),
        Some((other, _)) => {
            return Err(RouteError::UnknownConverter {
                route: route.to_owned(),
                converter: other.to_owned(),
            });
        }
    };
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Err(RouteError::BadParamName {
            route: route.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(Segment::Param {
        name: name.to_owned(),
        converter,
    })
}

/// One handler for one method.
struct Endpoint {
    method: Method,
    /// This endpoint's own pattern: parameter names may differ between methods of one route.
    pattern: PathPattern,
    handler: BoxedHandler,
}

/// All endpoints whose patterns match the same paths.
struct Route {
    ranks: Vec<u8>,
    endpoints: Vec<Endpoint>,
}

impl Route {
    fn pattern(&self) -> &PathPattern {
        &self.endpoints[0].pattern
    }

    fn endpoint(&self, method: &Method) -> Option<&Endpoint> {
        let exact = self.endpoints.iter().find(|e| e.method == method);
        match exact {
            None if method == Method::HEAD => self.endpoint(&Method::GET),
            found => found,
        }
    }
}

/// The outcome of looking up a request.
pub(crate) enum RouteMatch<'a> {
    /// A handler, with the path's parameters.
    Found {
        handler: &'a BoxedHandler,
        params: Vec<(String, String)>,
    },
    /// The path matches a route but not with this method; `allow` lists the methods that do.
    MethodNotAllowed { allow: String },
    /// No route matches the path.
    NotFound,
}

impl fmt::Debug for RouteMatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteMatch::Found { params, .. } => {
                f.debug_struct("Found").field("params", params).finish()
            }
            RouteMatch::MethodNotAllowed { allow } => f
                .debug_struct("MethodNotAllowed")
                .field("allow", allow)
                .finish(),
            RouteMatch::NotFound => f.write_str("NotFound"),
        }
    }
}

/// The route table, kept sorted from most to least specific.
#[derive(Default)]
pub(crate) struct Router {
    routes: Vec<Route>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().flat_map(|route| {
                route
                    .endpoints
                    .iter()
                    .map(|e| format!("{} {}", e.method, e.pattern))
            }))
            .finish()
    }
}

impl Router {
    /// Adds a route. Fails on an invalid pattern or when the same method is already routed for
    /// a pattern matching the same paths.
    pub(crate) fn add(
        &mut self,
        method: Method,
        path: &str,
        handler: BoxedHandler,
    ) -> Result<(), RouteError> {
        let pattern = PathPattern::parse(path)?;
        if let Some(route) = self
            .routes
            .iter_mut()
            .find(|route| route.pattern().same_shape(&pattern))
        {
            if let Some(existing) = route.endpoints.iter().find(|e| e.method == method) {
                return Err(RouteError::Conflict {
                    method,
                    route: path.to_owned(),
                    existing: existing.pattern.to_string(),
                });
            }
            route.endpoints.push(Endpoint {
                method,
                pattern,
                handler,
            });
            return Ok(());
        }
        let ranks = pattern.ranks();
        // After every route at least as specific, so earlier registrations win ties.
        let at = self.routes.partition_point(|route| route.ranks <= ranks);
        self.routes.insert(
            at,
            Route {
                ranks,
                endpoints: vec![Endpoint {
                    method,
                    pattern,
                    handler,
                }],
            },
        );
        Ok(())
    }

    /// Finds the handler for `method` and the raw (still percent-encoded) `path`.
    pub(crate) fn find(&self, method: &Method, path: &str) -> RouteMatch<'_> {
        let Some(segments) = decode_segments(path) else {
            return RouteMatch::NotFound;
        };
        let mut allowed: Vec<&Method> = Vec::new();
        let mut any_match = false;
        for route in &self.routes {
            if route.pattern().matches(&segments).is_none() {
                continue;
            }
            any_match = true;
            if let Some(endpoint) = route.endpoint(method)
                && let Some(params) = endpoint.pattern.matches(&segments)
            {
                return RouteMatch::Found {
                    handler: &endpoint.handler,
                    params,
                };
            }
            allowed.extend(route.endpoints.iter().map(|e| &e.method));
        }
        if !any_match {
            return RouteMatch::NotFound;
        }
        RouteMatch::MethodNotAllowed {
            allow: allow_header(allowed),
        }
    }
}

/// Splits a request path into percent-decoded segments; `None` if a segment is not UTF-8.
fn decode_segments(path: &str) -> Option<Vec<Cow<'_, str>>> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    rest.split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8().ok())
        .collect()
}

/// The `Allow` header: the routed methods and `HEAD` wherever `GET` is, in a fixed order.
fn allow_header(mut methods: Vec<&Method>) -> String {
    if methods.contains(&&Method::GET) {
        methods.push(&Method::HEAD);
    }
    const ORDER: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    methods.sort_by_key(|m| {
        let position = ORDER.iter().position(|o| o == *m).unwrap_or(ORDER.len());
        (position, m.as_str())
    });
    methods.dedup();
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::handler::ResponseFuture;
    use crate::response::IntoResponse;

    fn handler(name: &'static str) -> BoxedHandler {
        Arc::new(move |_req| ResponseFuture::ready(name.into_response()))
    }

    fn router(routes: &[(Method, &'static str)]) -> Router {
        let mut router = Router::default();
        for (method, path) in routes {
            router
                .add(method.clone(), path, handler(path))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        router
    }

    /// The matched pattern (the handler returns it) and params, or a short outcome.
    fn outcome(router: &Router, method: Method, path: &str) -> String {
        match router.find(&method, path) {
            RouteMatch::Found { handler, params } => {
                let response = crate::test_util::now(handler(crate::Request::default()));
                let body = crate::test_util::body_of(response);
                let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} {}", String::from_utf8_lossy(&body), params.join(","))
                    .trim_end()
                    .to_owned()
            }
            RouteMatch::MethodNotAllowed { allow } => format!("405 {allow}"),
            RouteMatch::NotFound => "404".to_owned(),
        }
    }

    #[test]
    fn literal_and_root_routes() {
        let r = router(&[(Method::GET, "/"), (Method::GET, "/health")]);
        assert_eq!(outcome(&r, Method::GET, "/"), "/");
        assert_eq!(outcome(&r, Method::GET, "/health"), "/health");
        assert_eq!(outcome(&r, Method::GET, "/health/"), "404");
        assert_eq!(outcome(&r, Method::GET, "/healthz"), "404");
        assert_eq!(outcome(&r, Method::GET, "//health"), "404");
    }

    #[test]
    fn trailing_slash_is_significant() {
        let r = router(&[(Method::GET, "/users/")]);
        assert_eq!(outcome(&r, Method::GET, "/users/"), "/users/");
        assert_eq!(outcome(&r, Method::GET, "/users"), "404");
    }

    #[test]
    fn string_params_are_decoded() {
        let r = router(&[(Method::GET, "/users/<name>/posts/<string:slug>")]);
        assert_eq!(
            outcome(&r, Method::GET, "/users/ada%20l/posts/x%2Fy"),
            "/users/<name>/posts/<string:slug> name=ada l,slug=x/y"
        );
        assert_eq!(outcome(&r, Method::GET, "/users//posts/x"), "404");
        assert_eq!(outcome(&r, Method::GET, "/users/%FF/posts/x"), "404");
    }

    #[test]
    fn int_params_accept_only_digits() {
        let r = router(&[(Method::GET, "/users/<int:id>")]);
        assert_eq!(
            outcome(&r, Method::GET, "/users/42"),
            "/users/<int:id> id=42"
        );
        assert_eq!(
            outcome(&r, Method::GET, "/users/007"),
            "/users/<int:id> id=007"
        );
        for bad in [
            "abc",
            "-1",
            "+1",
            "1.5",
            "",
            "1e3",
            "99999999999999999999999",
            "%31x",
        ] {
            assert_eq!(
                outcome(&r, Method::GET, &format!("/users/{bad}")),
                "404",
                "{bad}"
            );
        }
        assert_eq!(
            outcome(&r, Method::GET, "/users/%31"),
            "/users/<int:id> id=1"
        );
    }

    #[test]
    fn path_params_take_the_rest() {
        let r = router(&[(Method::GET, "/files/<path:rest>")]);
        assert_eq!(
            outcome(&r, Method::GET, "/files/a/b/c.txt"),
            "/files/<path:rest> rest=a/b/c.txt"
        );
        assert_eq!(
            outcome(&r, Method::GET, "/files/a/"),
            "/files/<path:rest> rest=a/"
        );
        assert_eq!(outcome(&r, Method::GET, "/files/"), "404");
        assert_eq!(outcome(&r, Method::GET, "/files"), "404");
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[
            (Method::GET, "/users/<path:rest>"),
            (Method::GET, "/users/<name>"),
            (Method::GET, "/users/<int:id>"),
            (Method::GET, "/users/me"),
        ]);
        assert_eq!(outcome(&r, Method::GET, "/users/me"), "/users/me");
        assert_eq!(outcome(&r, Method::GET, "/users/7"), "/users/<int:id> id=7");
        assert_eq!(
            outcome(&r, Method::GET, "/users/ada"),
            "/users/<name> name=ada"
        );
        assert_eq!(
            outcome(&r, Method::GET, "/users/a/b"),
            "/users/<path:rest> rest=a/b"
        );
    }

    #[test]
    fn a_less_specific_route_serves_other_methods() {
        let r = router(&[(Method::GET, "/users/me"), (Method::POST, "/users/<name>")]);
        assert_eq!(
            outcome(&r, Method::POST, "/users/me"),
            "/users/<name> name=me"
        );
        assert_eq!(
            outcome(&r, Method::DELETE, "/users/me"),
            "405 GET, HEAD, POST"
        );
    }

    #[test]
    fn wrong_method_gives_405_with_allow() {
        let r = router(&[
            (Method::POST, "/login"),
            (Method::DELETE, "/login"),
            (Method::PUT, "/items/<int:id>"),
            (Method::PATCH, "/items/<int:id>"),
        ]);
        assert_eq!(outcome(&r, Method::GET, "/login"), "405 POST, DELETE");
        assert_eq!(outcome(&r, Method::HEAD, "/login"), "405 POST, DELETE");
        assert_eq!(outcome(&r, Method::GET, "/items/3"), "405 PUT, PATCH");
        assert_eq!(outcome(&r, Method::GET, "/items/x"), "404");
        assert_eq!(outcome(&r, Method::OPTIONS, "/login"), "405 POST, DELETE");
        assert_eq!(outcome(&r, Method::OPTIONS, "/nope"), "404");
    }

    #[test]
    fn head_uses_the_get_handler() {
        let r = router(&[(Method::GET, "/"), (Method::POST, "/")]);
        assert_eq!(outcome(&r, Method::HEAD, "/"), "/");
        assert_eq!(outcome(&r, Method::PUT, "/"), "405 GET, HEAD, POST");
    }

    #[test]
    fn param_names_may_differ_between_methods() {
        let r = router(&[(Method::GET, "/u/<id>"), (Method::DELETE, "/u/<uid>")]);
        assert_eq!(outcome(&r, Method::GET, "/u/1"), "/u/<id> id=1");
        assert_eq!(outcome(&r, Method::DELETE, "/u/1"), "/u/<uid> uid=1");
    }

    #[test]
    fn conflicts_are_errors() {
        let mut r = router(&[(Method::GET, "/users/<id>")]);
        let err = r
            .add(Method::GET, "/users/<name>", handler("x"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "route `GET /users/<name>` conflicts with the route `GET /users/<id>` registered before"
        );
        assert!(r.add(Method::POST, "/users/<name>", handler("x")).is_ok());
        assert!(r.add(Method::GET, "/users/<int:id>", handler("x")).is_ok());
        assert!(r.add(Method::GET, "/users/<int:id>", handler("x")).is_err());
    }

    #[test]
    fn invalid_patterns_are_errors() {
        let cases = [
            ("users", "must start with `/`"),
            ("", "must start with `/`"),
            ("/a//b", "empty segment"),
            ("/a/<id", "whole segment"),
            ("/a/id>", "whole segment"),
            ("/a/x<id>", "whole segment"),
            ("/a/<<id>>", "whole segment"),
            ("/a/<>", "must be an identifier"),
            ("/a/<int:>", "must be an identifier"),
            ("/a/<1d>", "must be an identifier"),
            ("/a/<my-id>", "must be an identifier"),
            ("/a/<uuid:id>", "unknown converter `uuid`"),
            ("/a/<id>/<int:id>", "appears twice"),
            ("/a/<path:p>/b", "must be the last segment"),
        ];
        for (pattern, message) in cases {
            let err = PathPattern::parse(pattern).unwrap_err().to_string();
            assert!(err.contains(message), "{pattern}: {err}");
        }
        assert!(PathPattern::parse("/").is_ok());
        assert!(PathPattern::parse("/a/<_x1>/").is_ok());
    }
}
