//! Errors: why a token was refused, why a configuration was refused, why a token could not be made.
//!
//! [`JwtError`]'s `Display` strings are the ones BustAPI documents (`Token has expired`, ...), so
//! an HTTP layer can put them in a response body unchanged. None of them contains token text,
//! claim values or key material.

use thiserror::Error;

/// Why a request's token was not accepted.
///
/// The messages are stable and meant for clients: they never contain the token, a claim value
/// or the secret key.
///
/// ```
/// use bustjwt_core::{InvalidToken, JwtError};
///
/// assert_eq!(JwtError::Expired.to_string(), "Token has expired");
/// assert_eq!(
///     JwtError::Invalid(InvalidToken::UnexpectedAlgorithm).to_string(),
///     "Invalid token: unexpected algorithm",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwtError {
    /// No `Authorization` header was sent.
    #[error("Missing Authorization header")]
    MissingAuthorizationHeader,
    /// An `Authorization` header was sent but it does not carry a bearer token (RFC 6750 §2.1).
    #[error("Invalid Authorization header: {0}")]
    InvalidAuthorizationHeader(AuthorizationHeaderProblem),
    /// The token's `exp` claim is in the past (`now >= exp + leeway`).
    #[error("Token has expired")]
    Expired,
    /// The token's `nbf` claim is in the future (`now + leeway < nbf`).
    #[error("Token not yet valid")]
    NotYetValid,
    /// The signature does not match: the token was signed with another key or was altered.
    #[error("Invalid token signature")]
    InvalidSignature,
    /// An access token is valid but not fresh, and the route requires a fresh one.
    #[error("Fresh token required")]
    FreshTokenRequired,
    /// An access token was presented where a refresh token is required.
    #[error("Refresh token required")]
    RefreshTokenRequired,
    /// A refresh token was presented where an access token is required.
    #[error("Access token required")]
    AccessTokenRequired,
    /// The token is malformed or unacceptable for another reason.
    #[error("Invalid token: {0}")]
    Invalid(InvalidToken),
}

/// What is wrong with an `Authorization` header that is present but unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuthorizationHeaderProblem {
    /// The scheme is not `Bearer` (for example `Basic`).
    #[error("expected the Bearer scheme")]
    NotBearer,
    /// `Bearer` with nothing after it.
    #[error("the bearer token is empty")]
    EmptyToken,
    /// The header value is not visible ASCII.
    #[error("the header is not valid ASCII")]
    NotAscii,
    /// More than one `Authorization` header was sent; which one counts would be ambiguous.
    #[error("more than one Authorization header")]
    Multiple,
}

/// Why a token is malformed or unacceptable. Displayed after `Invalid token: `.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvalidToken {
    /// The token is longer than [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) bytes.
    #[error("token is longer than 8192 bytes")]
    TooLong,
    /// The token is not three dot-separated segments.
    #[error("expected three dot-separated segments")]
    Segments,
    /// A segment is empty or not unpadded base64url (RFC 7515 §2).
    #[error("segment is not unpadded base64url")]
    Base64,
    /// The header is not a UTF-8 JSON object with string members where required.
    #[error("header is not a valid JSON object")]
    Header,
    /// The header names another algorithm than the configured one (or `none`).
    #[error("unexpected algorithm")]
    UnexpectedAlgorithm,
    /// The header's `typ` is present and is not `JWT`.
    #[error("unexpected type header")]
    UnexpectedType,
    /// The header has a `crit` member; no extension is understood (RFC 7515 §4.1.11).
    #[error("unsupported critical header")]
    CriticalHeader,
    /// The payload is not a UTF-8 JSON object.
    #[error("payload is not a valid JSON object")]
    Payload,
    /// A member name appears twice in the header or payload (RFC 7519 §4).
    #[error("duplicate member `{0}`")]
    Duplicate(&'static str),
    /// A custom claim name appears twice in the payload (RFC 7519 §4).
    #[error("duplicate custom claim")]
    DuplicateCustomClaim,
    /// A required registered claim is absent.
    #[error("missing claim `{0}`")]
    MissingClaim(&'static str),
    /// A registered claim has the wrong JSON type or an out-of-range value.
    #[error("claim `{0}` has the wrong type")]
    ClaimType(&'static str),
    /// `type` is neither `access` nor `refresh`.
    #[error("claim `type` must be access or refresh")]
    TokenType,
    /// `iss` is missing or differs from the configured issuer.
    #[error("unexpected issuer")]
    Issuer,
    /// `aud` is missing, differs from the configured audience, or is present when none is configured.
    #[error("unexpected audience")]
    Audience,
}

impl From<InvalidToken> for JwtError {
    fn from(reason: InvalidToken) -> Self {
        JwtError::Invalid(reason)
    }
}

impl From<AuthorizationHeaderProblem> for JwtError {
    fn from(problem: AuthorizationHeaderProblem) -> Self {
        JwtError::InvalidAuthorizationHeader(problem)
    }
}

/// Why a [`JwtBuilder`](crate::JwtBuilder) refused its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither the builder nor the app provides a secret key.
    #[error(
        "no secret key is configured: set one with `secret_key(..)` \
         (generate one with `openssl rand -base64 64`)"
    )]
    MissingSecretKey,
    /// The secret key is shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the secret key is {actual} bytes but {algorithm} needs at least {minimum} bytes \
         (RFC 7518 §3.2); generate one with `openssl rand -base64 {minimum}`"
    )]
    SecretKeyTooShort {
        /// The configured algorithm.
        algorithm: crate::Algorithm,
        /// The key length that was given.
        actual: usize,
        /// The minimum key length for the algorithm.
        minimum: usize,
    },
    /// The algorithm name is `none` or not an HMAC algorithm this crate supports. The name is
    /// not repeated in the message, in case a key was passed there by mistake.
    #[error("unsupported algorithm: supported algorithms are HS256, HS384 and HS512")]
    UnsupportedAlgorithm,
    /// A lifetime is zero or too large to add to a Unix timestamp.
    #[error("`{setting}` must be between 1 second and 100 years")]
    InvalidLifetime {
        /// The setting that was rejected, such as `access_expires`.
        setting: &'static str,
    },
}

/// Why a token could not be created.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CreateTokenError {
    /// A custom claim uses a name that the token sets itself.
    #[error(
        "custom claim `{0}` is reserved: sub, exp, iat, nbf, jti, type, fresh, iss and aud are set by bustjwt"
    )]
    ReservedClaim(String),
    /// The custom claims name the same member twice (possible with a hand-written `Serialize`
    /// or raw JSON); a token must not repeat a name (RFC 7519 §4).
    #[error("custom claim `{0}` appears more than once")]
    DuplicateClaim(String),
    /// The custom claims did not serialize to a JSON object.
    #[error("custom claims must serialize to a JSON object (a map or a struct)")]
    ClaimsNotAnObject,
    /// The custom claims could not be serialized.
    #[error("custom claims could not be serialized: {0}")]
    Serialize(#[source] serde_json::Error),
    /// `expires_delta` is zero or too large to add to the current time.
    #[error("`expires_delta` must be between 1 second and 100 years")]
    InvalidLifetime,
    /// The operating system's random number generator failed, so no `jti` could be drawn.
    /// This is an environment problem (for example a sandbox that blocks `getrandom`), not a
    /// bad argument; retrying rarely helps.
    #[error("the operating system's random number generator failed")]
    Random(#[source] getrandom::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_random_number_generator_failure_says_so_and_keeps_the_cause() {
        let error = CreateTokenError::Random(getrandom::Error::UNSUPPORTED);
        assert_eq!(
            error.to_string(),
            "the operating system's random number generator failed"
        );
        let source = error.source().expect("the getrandom error is the source");
        assert_eq!(
            source.downcast_ref::<getrandom::Error>(),
            Some(&getrandom::Error::UNSUPPORTED)
        );
    }

    #[test]
    fn config_errors_name_no_input() {
        assert_eq!(
            ConfigError::UnsupportedAlgorithm.to_string(),
            "unsupported algorithm: supported algorithms are HS256, HS384 and HS512"
        );
    }
}
