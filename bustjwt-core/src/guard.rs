//! Route guards: the check behind `#[jwt_required]` and its siblings, for any request type.
//!
//! The attribute macros emit one call to [`guard`]; everything else lives here, so a router only
//! has to implement [`AuthRequest`] for its request type and turn a [`Rejection`] into a response.

use std::fmt;

use crate::{AuthorizationHeaderProblem, Claims, Jwt, JwtError, TokenType};

/// What a guarded route requires of the request's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Requirement {
    /// A valid access token (`#[jwt_required]`).
    Access,
    /// A valid, fresh access token (`#[fresh_jwt_required]`).
    FreshAccess,
    /// A valid refresh token (`#[jwt_refresh_token_required]`).
    Refresh,
    /// Nothing: a valid access token sets the identity, anything else leaves it unset
    /// (`#[jwt_optional]`).
    Optional,
}

/// The `Authorization` header(s) of a request, as a router sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationHeader<'a> {
    /// No `Authorization` header.
    Missing,
    /// Exactly one `Authorization` header, as raw bytes.
    One(&'a [u8]),
    /// Two or more `Authorization` headers (always rejected: which one counts would be ambiguous).
    Multiple,
}

/// A request type that JWT guards can check.
///
/// Implemented by `bustjwt::Request`; implement it for another router's request type to use the
/// guard attributes there.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a request type that bustjwt guards can check",
    label = "the first parameter of a guarded handler must be the request",
    note = "write the handler as `fn handler(req: bustjwt::Request) -> ..`, or implement `bustjwt::AuthRequest` for this type"
)]
pub trait AuthRequest {
    /// The request's `Authorization` header(s).
    fn authorization_header(&self) -> AuthorizationHeader<'_>;
    /// The JWT configuration that verifies tokens, or `None` when the app has none (the guard
    /// then refuses every request with a server error: it fails closed).
    fn jwt_config(&self) -> Option<&Jwt>;
    /// Stores the outcome of the check, for the handler to read.
    fn set_auth(&mut self, auth: Auth);
}

/// The outcome of a guard's check, stored on the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Auth {
    claims: Option<Claims>,
    error: Option<JwtError>,
}

impl Auth {
    /// An authenticated request with these verified claims.
    pub fn authenticated(claims: Claims) -> Self {
        Auth {
            claims: Some(claims),
            error: None,
        }
    }

    /// An anonymous request; `error` says why a presented token was not accepted.
    pub fn anonymous(error: Option<JwtError>) -> Self {
        Auth {
            claims: None,
            error,
        }
    }

    /// The verified token's identity (`sub`), if any.
    pub fn identity(&self) -> Option<&str> {
        self.claims.as_ref().map(Claims::identity)
    }

    /// The verified token's claims, if any.
    pub fn claims(&self) -> Option<&Claims> {
        self.claims.as_ref()
    }

    /// Why a presented token was not accepted (only set by optional guards; `None` when no token
    /// was sent or it was accepted).
    pub fn error(&self) -> Option<&JwtError> {
        self.error.as_ref()
    }
}

/// Why a guard refused a request. Routers turn it into a response with [`status`](Self::status),
/// [`www_authenticate`](Self::www_authenticate) and [`json_body`](Self::json_body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    kind: RejectionKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RejectionKind {
    Unauthorized(JwtError),
    NotConfigured,
}

impl Rejection {
    /// A `401 Unauthorized` rejection for this error.
    pub fn unauthorized(error: JwtError) -> Self {
        Rejection {
            kind: RejectionKind::Unauthorized(error),
        }
    }

    /// A `500` rejection: the app has no JWT configuration, so no token can be checked.
    pub fn not_configured() -> Self {
        Rejection {
            kind: RejectionKind::NotConfigured,
        }
    }

    /// The HTTP status code: `401`, or `500` when JWT is not configured.
    pub fn status(&self) -> u16 {
        match self.kind {
            RejectionKind::Unauthorized(_) => 401,
            RejectionKind::NotConfigured => 500,
        }
    }

    /// The token error, for `401` rejections.
    pub fn jwt_error(&self) -> Option<&JwtError> {
        match &self.kind {
            RejectionKind::Unauthorized(error) => Some(error),
            RejectionKind::NotConfigured => None,
        }
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 §3) for `401` rejections.
    ///
    /// A bare `Bearer` when no bearer credentials were sent: no `Authorization` header, or one
    /// using another scheme such as `Basic` (RFC 6750 §3.1: a request without authentication
    /// information gets no error code). Otherwise a token was presented, or the header meant to
    /// carry one is unusable (an empty bearer token, two headers, non-ASCII bytes), and the
    /// challenge is `error="invalid_token"` with the message as `error_description`.
    ///
    /// ```
    /// use bustjwt_core::{AuthorizationHeaderProblem, JwtError, Rejection};
    ///
    /// let missing = Rejection::unauthorized(JwtError::MissingAuthorizationHeader);
    /// assert_eq!(missing.www_authenticate().as_deref(), Some("Bearer"));
    /// let basic = Rejection::unauthorized(AuthorizationHeaderProblem::NotBearer.into());
    /// assert_eq!(basic.www_authenticate().as_deref(), Some("Bearer"));
    /// let expired = Rejection::unauthorized(JwtError::Expired);
    /// assert_eq!(
    ///     expired.www_authenticate().as_deref(),
    ///     Some(r#"Bearer error="invalid_token", error_description="Token has expired""#),
    /// );
    /// ```
    pub fn www_authenticate(&self) -> Option<String> {
        let error = self.jwt_error()?;
        if matches!(
            error,
            JwtError::MissingAuthorizationHeader
                | JwtError::InvalidAuthorizationHeader(AuthorizationHeaderProblem::NotBearer)
        ) {
            return Some("Bearer".to_owned());
        }
        // Every message is printable ASCII without `"` or `\` (checked by a test), so it is a
        // valid quoted-string as RFC 6750 §3 requires.
        Some(format!(
            r#"Bearer error="invalid_token", error_description="{error}""#
        ))
    }

    /// The JSON response body: `{"error": "<message>"}`.
    pub fn json_body(&self) -> String {
        serde_json::json!({ "error": self.to_string() }).to_string()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RejectionKind::Unauthorized(error) => error.fmt(f),
            RejectionKind::NotConfigured => f.write_str("JWT is not configured on this app"),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.jwt_error().map(|e| e as _)
    }
}

impl From<JwtError> for Rejection {
    fn from(error: JwtError) -> Self {
        Rejection::unauthorized(error)
    }
}

/// Checks `req` against `requirement`, stores the outcome on it and hands it back, or refuses it.
///
/// This is what the guard attributes call before running a handler's body.
pub fn guard<R: AuthRequest>(mut req: R, requirement: Requirement) -> Result<R, Rejection> {
    let Some(jwt) = req.jwt_config() else {
        return Err(Rejection::not_configured());
    };
    let outcome = authenticate(jwt, req.authorization_header(), requirement);
    match (outcome, requirement) {
        (Ok(claims), _) => req.set_auth(Auth::authenticated(claims)),
        (Err(JwtError::MissingAuthorizationHeader), Requirement::Optional) => {
            req.set_auth(Auth::anonymous(None))
        }
        (Err(error), Requirement::Optional) => req.set_auth(Auth::anonymous(Some(error))),
        (Err(error), _) => return Err(Rejection::unauthorized(error)),
    }
    Ok(req)
}

/// Finds the bearer token in an `Authorization` header and checks it against `requirement`.
///
/// The token is fully verified first; then its type is checked, then its freshness, so a refresh
/// token on a fresh-only route gets `Access token required`. [`Requirement::Optional`] accepts
/// access tokens only: a refresh token is never an identity on an access route.
pub fn authenticate(
    jwt: &Jwt,
    header: AuthorizationHeader<'_>,
    requirement: Requirement,
) -> Result<Claims, JwtError> {
    let token = bearer_token(header)?;
    let claims = jwt.decode_token(token)?;
    match (requirement, claims.token_type()) {
        (Requirement::Refresh, TokenType::Refresh) => Ok(claims),
        (Requirement::Refresh, TokenType::Access) => Err(JwtError::RefreshTokenRequired),
        (_, TokenType::Refresh) => Err(JwtError::AccessTokenRequired),
        (Requirement::FreshAccess, TokenType::Access) if !claims.fresh() => {
            Err(JwtError::FreshTokenRequired)
        }
        (_, TokenType::Access) => Ok(claims),
    }
}

/// Extracts the token from `Authorization: Bearer <token>` (RFC 6750 §2.1).
///
/// The scheme is matched case-insensitively (RFC 7235 §2.1) and whitespace around the scheme and
/// the token is tolerated.
///
/// ```
/// use bustjwt_core::{bearer_token, AuthorizationHeader, AuthorizationHeaderProblem, JwtError};
///
/// assert_eq!(bearer_token(AuthorizationHeader::One(b"bearer  abc.def.ghi ")), Ok("abc.def.ghi"));
/// assert_eq!(
///     bearer_token(AuthorizationHeader::One(b"Basic dXNlcjpwYXNz")),
///     Err(JwtError::InvalidAuthorizationHeader(AuthorizationHeaderProblem::NotBearer)),
/// );
/// ```
pub fn bearer_token(header: AuthorizationHeader<'_>) -> Result<&str, JwtError> {
    let value = match header {
        AuthorizationHeader::Missing => return Err(JwtError::MissingAuthorizationHeader),
        AuthorizationHeader::Multiple => return Err(AuthorizationHeaderProblem::Multiple.into()),
        AuthorizationHeader::One(value) => value,
    };
    // Visible ASCII, spaces and tabs only. Checked over every byte without stopping early, so
    // the loop vectorizes (a token is a few hundred bytes, on every request).
    let visible = value.iter().fold(true, |ok, &b| {
        ok & ((b' '..=b'~').contains(&b) | (b == b'\t'))
    });
    let value = std::str::from_utf8(value)
        .ok()
        .filter(|_| visible)
        .ok_or(AuthorizationHeaderProblem::NotAscii)?
        .trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(JwtError::MissingAuthorizationHeader);
    }
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(AuthorizationHeaderProblem::NotBearer.into());
    }
    let token = rest.trim_matches([' ', '\t']);
    if token.is_empty() {
        return Err(AuthorizationHeaderProblem::EmptyToken.into());
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InvalidToken, TokenOptions};

    fn jwt() -> Jwt {
        Jwt::builder().secret_key([5u8; 32]).build().unwrap()
    }

    #[derive(Debug)]
    struct TestRequest {
        header: Option<String>,
        jwt: Option<Jwt>,
        auth: Option<Auth>,
    }

    impl AuthRequest for TestRequest {
        fn authorization_header(&self) -> AuthorizationHeader<'_> {
            match &self.header {
                Some(value) => AuthorizationHeader::One(value.as_bytes()),
                None => AuthorizationHeader::Missing,
            }
        }
        fn jwt_config(&self) -> Option<&Jwt> {
            self.jwt.as_ref()
        }
        fn set_auth(&mut self, auth: Auth) {
            self.auth = Some(auth);
        }
    }

    fn request(header: Option<String>) -> TestRequest {
        TestRequest {
            header,
            jwt: Some(jwt()),
            auth: None,
        }
    }

    fn bearer(token: &str) -> Option<String> {
        Some(format!("Bearer {token}"))
    }

    #[test]
    fn bearer_parsing() {
        let one = |v: &'static str| bearer_token(AuthorizationHeader::One(v.as_bytes()));
        assert_eq!(one("Bearer a.b.c"), Ok("a.b.c"));
        assert_eq!(one("bearer a.b.c"), Ok("a.b.c"));
        assert_eq!(one("BEARER \t a.b.c  "), Ok("a.b.c"));
        assert_eq!(one("  Bearer a.b.c"), Ok("a.b.c"));
        assert_eq!(
            one("Basic dXNlcg=="),
            Err(AuthorizationHeaderProblem::NotBearer.into())
        );
        assert_eq!(
            one("Bearera.b.c"),
            Err(AuthorizationHeaderProblem::NotBearer.into())
        );
        assert_eq!(
            one("Bearer"),
            Err(AuthorizationHeaderProblem::EmptyToken.into())
        );
        assert_eq!(
            one("Bearer   "),
            Err(AuthorizationHeaderProblem::EmptyToken.into())
        );
        assert_eq!(one(""), Err(JwtError::MissingAuthorizationHeader));
        assert_eq!(
            bearer_token(AuthorizationHeader::One(b"Bearer \xff")),
            Err(AuthorizationHeaderProblem::NotAscii.into())
        );
        assert_eq!(
            bearer_token(AuthorizationHeader::Multiple),
            Err(AuthorizationHeaderProblem::Multiple.into())
        );
        assert_eq!(
            bearer_token(AuthorizationHeader::Missing),
            Err(JwtError::MissingAuthorizationHeader)
        );
    }

    #[test]
    fn requirement_matrix() {
        let jwt = jwt();
        let fresh = jwt.create_access_token("u");
        let stale = jwt
            .create_access_token_with("u", TokenOptions::new().fresh(false))
            .unwrap();
        let refresh = jwt.create_refresh_token("u");
        use Requirement::*;
        let cases = [
            (Access, &fresh, Ok(())),
            (Access, &stale, Ok(())),
            (Access, &refresh, Err(JwtError::AccessTokenRequired)),
            (FreshAccess, &fresh, Ok(())),
            (FreshAccess, &stale, Err(JwtError::FreshTokenRequired)),
            (FreshAccess, &refresh, Err(JwtError::AccessTokenRequired)),
            (Refresh, &refresh, Ok(())),
            (Refresh, &fresh, Err(JwtError::RefreshTokenRequired)),
            (Optional, &fresh, Ok(())),
            (Optional, &refresh, Err(JwtError::AccessTokenRequired)),
        ];
        for (requirement, token, expected) in cases {
            let header = format!("Bearer {token}");
            let got = authenticate(
                &jwt,
                AuthorizationHeader::One(header.as_bytes()),
                requirement,
            );
            assert_eq!(
                got.map(|c| c.identity().to_owned()),
                expected.map(|()| "u".to_owned()),
                "{requirement:?}"
            );
        }
    }

    #[test]
    fn guard_stores_identity_or_rejects() {
        let token = jwt().create_access_token("alice");
        let req = guard(request(bearer(&token)), Requirement::Access).unwrap();
        assert_eq!(req.auth.as_ref().unwrap().identity(), Some("alice"));

        let rejection = guard(request(None), Requirement::Access).unwrap_err();
        assert_eq!(rejection.status(), 401);
        assert_eq!(
            rejection.json_body(),
            r#"{"error":"Missing Authorization header"}"#
        );
        assert_eq!(rejection.www_authenticate().as_deref(), Some("Bearer"));

        let bad = guard(request(bearer("x.y.z")), Requirement::Refresh).unwrap_err();
        assert_eq!(
            bad.jwt_error(),
            Some(&JwtError::Invalid(InvalidToken::Base64))
        );
        assert_eq!(
            bad.www_authenticate().as_deref(),
            Some(
                r#"Bearer error="invalid_token", error_description="Invalid token: segment is not unpadded base64url""#
            )
        );
    }

    #[test]
    fn challenges_for_authorization_header_problems() {
        // Another scheme: no bearer credentials at all, so a bare challenge (RFC 6750 §3.1).
        for value in ["Basic abc", "Token a.b.c", "Bearera.b.c", "a.b.c"] {
            let rejection = guard(request(Some(value.into())), Requirement::Access).unwrap_err();
            assert_eq!(
                rejection.jwt_error(),
                Some(&AuthorizationHeaderProblem::NotBearer.into()),
                "{value}"
            );
            assert_eq!(rejection.www_authenticate().as_deref(), Some("Bearer"));
        }
        // An empty `Authorization` header is no credentials either.
        let empty = guard(request(Some("  ".into())), Requirement::Access).unwrap_err();
        assert_eq!(empty.www_authenticate().as_deref(), Some("Bearer"));

        // The Bearer scheme with an unusable token, or a header that cannot be read: a token
        // was (or may have been) presented, so `invalid_token` with the reason.
        let cases = [
            (
                "Bearer",
                "Invalid Authorization header: the bearer token is empty",
            ),
            (
                "Bearer   ",
                "Invalid Authorization header: the bearer token is empty",
            ),
            (
                "Bearer \u{e9}",
                "Invalid Authorization header: the header is not valid ASCII",
            ),
        ];
        for (value, message) in cases {
            let rejection = guard(request(Some(value.into())), Requirement::Access).unwrap_err();
            assert_eq!(rejection.to_string(), message);
            assert_eq!(
                rejection.www_authenticate(),
                Some(format!(
                    r#"Bearer error="invalid_token", error_description="{message}""#
                )),
                "{value:?}"
            );
        }
        let two = Rejection::unauthorized(AuthorizationHeaderProblem::Multiple.into());
        assert_eq!(
            two.www_authenticate().as_deref(),
            Some(
                r#"Bearer error="invalid_token", error_description="Invalid Authorization header: more than one Authorization header""#
            )
        );
        // No challenge ever carries `invalid_request`.
        for problem in [
            AuthorizationHeaderProblem::NotBearer,
            AuthorizationHeaderProblem::EmptyToken,
            AuthorizationHeaderProblem::NotAscii,
            AuthorizationHeaderProblem::Multiple,
        ] {
            let challenge = Rejection::unauthorized(problem.into())
                .www_authenticate()
                .unwrap();
            assert!(!challenge.contains("invalid_request"), "{challenge}");
        }
    }

    #[test]
    fn optional_guard_never_rejects_and_keeps_the_reason() {
        let anonymous = guard(request(None), Requirement::Optional).unwrap();
        assert_eq!(anonymous.auth, Some(Auth::anonymous(None)));
        let refresh = jwt().create_refresh_token("bob");
        let req = guard(request(bearer(&refresh)), Requirement::Optional).unwrap();
        let auth = req.auth.unwrap();
        assert_eq!(auth.identity(), None);
        assert_eq!(auth.error(), Some(&JwtError::AccessTokenRequired));
    }

    #[test]
    fn unconfigured_app_fails_closed() {
        for requirement in [Requirement::Access, Requirement::Optional] {
            let req = TestRequest {
                header: None,
                jwt: None,
                auth: None,
            };
            let rejection = guard(req, requirement).unwrap_err();
            assert_eq!(rejection.status(), 500);
            assert_eq!(rejection.www_authenticate(), None);
        }
    }

    #[test]
    fn messages_are_valid_quoted_strings() {
        // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
        let errors = [
            JwtError::MissingAuthorizationHeader,
            JwtError::Expired,
            JwtError::NotYetValid,
            JwtError::InvalidSignature,
            JwtError::FreshTokenRequired,
            JwtError::RefreshTokenRequired,
            JwtError::AccessTokenRequired,
            AuthorizationHeaderProblem::NotBearer.into(),
            AuthorizationHeaderProblem::EmptyToken.into(),
            AuthorizationHeaderProblem::NotAscii.into(),
            AuthorizationHeaderProblem::Multiple.into(),
            InvalidToken::TooLong.into(),
            InvalidToken::Segments.into(),
            InvalidToken::Base64.into(),
            InvalidToken::Header.into(),
            InvalidToken::UnexpectedAlgorithm.into(),
            InvalidToken::UnexpectedType.into(),
            InvalidToken::CriticalHeader.into(),
            InvalidToken::Payload.into(),
            InvalidToken::Duplicate("sub").into(),
            InvalidToken::DuplicateCustomClaim.into(),
            InvalidToken::MissingClaim("exp").into(),
            InvalidToken::ClaimType("nbf").into(),
            InvalidToken::TokenType.into(),
            InvalidToken::Issuer.into(),
            InvalidToken::Audience.into(),
        ];
        for error in errors {
            let message = error.to_string();
            assert!(
                message.bytes().all(|b| b == 0x20
                    || b == 0x21
                    || (0x23..=0x5B).contains(&b)
                    || (0x5D..=0x7E).contains(&b)),
                "{message}"
            );
        }
    }
}
