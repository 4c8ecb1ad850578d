//! Per-token options: the seed's `expires_delta`, `fresh` and `claims` keyword arguments.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::CreateTokenError;

/// Claim names that bustjwt sets itself; custom claims may not use them.
pub const RESERVED_CLAIMS: [&str; 9] = [
    "sub", "exp", "iat", "nbf", "jti", "type", "fresh", "iss", "aud",
];

/// Options for one token, as BustAPI's `create_access_token(identity, expires_delta=..,
/// fresh=.., claims=..)`.
///
/// ```
/// use std::time::Duration;
/// use bustjwt_core::{Jwt, TokenOptions};
/// use serde_json::json;
///
/// let jwt = Jwt::builder().secret_key([1u8; 32]).build()?;
/// let token = jwt.create_access_token_with(
///     "user123",
///     TokenOptions::new()
///         .expires_delta(Duration::from_secs(3600))
///         .fresh(false)
///         .claims(json!({ "role": "admin" })),
/// )?;
/// let claims = jwt.decode_token(&token)?;
/// assert_eq!(claims.exp() - claims.iat(), 3600);
/// assert!(!claims.fresh());
///
/// // A custom claim may not replace a registered one.
/// let clash = jwt.create_access_token_with("user123", TokenOptions::new().claims(json!({ "sub": "admin" })));
/// assert!(clash.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
#[must_use = "options do nothing until passed to `create_access_token_with`"]
pub struct TokenOptions {
    pub(crate) expires_delta: Option<Duration>,
    pub(crate) fresh: Option<bool>,
    pub(crate) claims: Option<Result<Map<String, Value>, CreateTokenError>>,
}

impl TokenOptions {
    /// No options: the configured lifetime, `fresh: true` for access tokens, no custom claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// A lifetime for this token instead of the configured one.
    pub fn expires_delta(mut self, lifetime: Duration) -> Self {
        self.expires_delta = Some(lifetime);
        self
    }

    /// Whether an access token is fresh (straight from a login). Defaults to `true`, as in
    /// BustAPI; pass `false` when issuing from a refresh token. Refresh tokens are never fresh,
    /// so this is ignored for them.
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = Some(fresh);
        self
    }

    /// Custom claims, flattened into the payload: a JSON object, a map or any `Serialize`
    /// struct. Names in [`RESERVED_CLAIMS`] are refused when the token is created.
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        self.claims = Some(to_claims_map(claims));
        self
    }
}

fn to_claims_map(claims: impl Serialize) -> Result<Map<String, Value>, CreateTokenError> {
    let map = match serde_json::to_value(claims).map_err(CreateTokenError::Serialize)? {
        Value::Object(map) => map,
        _ => return Err(CreateTokenError::ClaimsNotAnObject),
    };
    if let Some(name) = map
        .keys()
        .find(|name| RESERVED_CLAIMS.contains(&name.as_str()))
    {
        return Err(CreateTokenError::ReservedClaim(name.clone()));
    }
    Ok(map)
}
