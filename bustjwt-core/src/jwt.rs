//! [`Jwt`]: creating and verifying tokens with one validated configuration.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{DecodeSliceError, Engine as _};

use crate::{
    Algorithm, Claims, ConfigError, CreateTokenError, InvalidToken, JwtBuilder, JwtError, JwtHost,
    TokenOptions, TokenType,
    claims::{parse_header, parse_payload},
    codec::{BASE64URL, split},
    config::MAX_LIFETIME,
    signer::{MAX_SIGNATURE_LEN, Signer},
};

/// Creates and verifies tokens: the Rust form of BustAPI's `JWT` object.
///
/// Cheap to clone (the configuration is shared), so build it once at startup and hand clones to
/// whatever needs it.
///
/// ```
/// use bustjwt_core::{Jwt, TokenType};
///
/// let jwt = Jwt::builder().secret_key("0123456789abcdef0123456789abcdef").build()?;
///
/// let access = jwt.create_access_token("user123");
/// let refresh = jwt.create_refresh_token("user123");
///
/// let claims = jwt.decode_token(&access)?;
/// assert_eq!(claims.identity(), "user123");
/// assert_eq!(claims.token_type(), TokenType::Access);
/// assert!(claims.fresh());
///
/// assert!(jwt.verify_token(&refresh));
/// assert!(!jwt.verify_token("not a token"));
/// assert_eq!(jwt.get_identity(&refresh)?, "user123");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Jwt {
    inner: Arc<Inner>,
}

struct Inner {
    algorithm: Algorithm,
    signer: Signer,
    /// The base64url header every token of this configuration carries.
    header: String,
    access_expires: Duration,
    refresh_expires: Duration,
    leeway: i64,
    issuer: Option<String>,
    audience: Option<String>,
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Jwt")
            .field("algorithm", &inner.algorithm)
            .field("secret_key", &"<redacted>")
            .field("access_expires", &inner.access_expires)
            .field("refresh_expires", &inner.refresh_expires)
            .field("leeway", &inner.leeway)
            .field("issuer", &inner.issuer)
            .field("audience", &inner.audience)
            .finish()
    }
}

/// The registered claims of a new token, in the order [`payload_json`] writes them. Its
/// `Serialize` (tests only) is the reference that output is checked against.
#[cfg_attr(test, derive(serde::Serialize))]
struct NewClaims<'a> {
    sub: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: &'a str,
    #[cfg_attr(test, serde(rename = "type"))]
    token_type: &'static str,
    fresh: bool,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    iss: Option<&'a str>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    aud: Option<&'a str>,
}

/// Payloads up to this many bytes are decoded into a stack buffer.
const STACK_PAYLOAD_LEN: usize = 768;

/// Which time checks `decode` applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Enforce,
    Ignore,
}

impl Jwt {
    /// A builder with BustAPI's defaults (HS256, 900 s access, 2 592 000 s refresh tokens).
    pub fn builder() -> JwtBuilder {
        JwtBuilder::new()
    }

    /// Configures JWT for `host` with the defaults and the host's secret key, like BustAPI's
    /// `JWT(app)`. The same as `Jwt::builder().init(host)`.
    pub fn new(host: &mut impl JwtHost) -> Result<Jwt, ConfigError> {
        JwtBuilder::new().init(host)
    }

    pub(crate) fn from_config(algorithm: Algorithm, key: &[u8], config: &JwtBuilder) -> Jwt {
        let header_json = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, algorithm.name());
        Jwt {
            inner: Arc::new(Inner {
                algorithm,
                signer: Signer::new(algorithm, key),
                header: BASE64URL.encode(header_json),
                access_expires: config.access_expires,
                refresh_expires: config.refresh_expires,
                leeway: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
                issuer: config.issuer.clone(),
                audience: config.audience.clone(),
            }),
        }
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.algorithm
    }

    /// The default lifetime of access tokens.
    pub fn access_expires(&self) -> Duration {
        self.inner.access_expires
    }

    /// The default lifetime of refresh tokens.
    pub fn refresh_expires(&self) -> Duration {
        self.inner.refresh_expires
    }

    /// A fresh access token for `identity`, with the configured lifetime and no custom claims.
    ///
    /// # Panics
    /// If the operating system's random number generator fails (needed for `jti`). Use
    /// [`create_access_token_with`](Self::create_access_token_with) to get that as an error.
    pub fn create_access_token(&self, identity: &str) -> String {
        self.create(identity, TokenType::Access, TokenOptions::new())
            .unwrap_or_else(|error| panic!("could not create an access token: {error}"))
    }

    /// An access token with options: lifetime, freshness and custom claims.
    ///
    /// # Errors
    /// - [`CreateTokenError::InvalidLifetime`] if `expires_delta` is zero or over 100 years;
    /// - [`CreateTokenError::ReservedClaim`], [`DuplicateClaim`](CreateTokenError::DuplicateClaim),
    ///   [`ClaimsNotAnObject`](CreateTokenError::ClaimsNotAnObject) or
    ///   [`Serialize`](CreateTokenError::Serialize) if the custom claims are unusable;
    /// - [`CreateTokenError::Random`] if the operating system's random number generator fails
    ///   (needed for `jti`).
    pub fn create_access_token_with(
        &self,
        identity: &str,
        options: TokenOptions,
    ) -> Result<String, CreateTokenError> {
        self.create(identity, TokenType::Access, options)
    }

    /// A refresh token for `identity`, with the configured lifetime.
    ///
    /// # Panics
    /// If the operating system's random number generator fails (needed for `jti`). Use
    /// [`create_refresh_token_with`](Self::create_refresh_token_with) to get that as an error.
    pub fn create_refresh_token(&self, identity: &str) -> String {
        self.create(identity, TokenType::Refresh, TokenOptions::new())
            .unwrap_or_else(|error| panic!("could not create a refresh token: {error}"))
    }

    /// A refresh token with options: lifetime and custom claims (`fresh` is ignored: refresh
    /// tokens are never fresh, and their payload says `"fresh":false`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use bustjwt_core::{Jwt, TokenOptions, TokenType};
    /// use serde_json::json;
    ///
    /// let jwt = Jwt::builder().secret_key([5u8; 32]).build()?;
    /// let token = jwt.create_refresh_token_with(
    ///     "user123",
    ///     TokenOptions::new()
    ///         .expires_delta(Duration::from_secs(7 * 24 * 3600))
    ///         .claims(json!({ "device": "phone" })),
    /// )?;
    /// let claims = jwt.decode_token(&token)?;
    /// assert_eq!(claims.token_type(), TokenType::Refresh);
    /// assert_eq!(claims.exp() - claims.iat(), 7 * 24 * 3600);
    /// assert_eq!(claims.claim::<String>("device")?.as_deref(), Some("phone"));
    /// assert!(!claims.fresh());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// - [`CreateTokenError::InvalidLifetime`] if `expires_delta` is zero or over 100 years;
    /// - [`CreateTokenError::ReservedClaim`], [`DuplicateClaim`](CreateTokenError::DuplicateClaim),
    ///   [`ClaimsNotAnObject`](CreateTokenError::ClaimsNotAnObject) or
    ///   [`Serialize`](CreateTokenError::Serialize) if the custom claims are unusable;
    /// - [`CreateTokenError::Random`] if the operating system's random number generator fails
    ///   (needed for `jti`).
    pub fn create_refresh_token_with(
        &self,
        identity: &str,
        options: TokenOptions,
    ) -> Result<String, CreateTokenError> {
        self.create(identity, TokenType::Refresh, options)
    }

    fn create(
        &self,
        identity: &str,
        token_type: TokenType,
        options: TokenOptions,
    ) -> Result<String, CreateTokenError> {
        let inner = &*self.inner;
        let custom = options.claims.transpose()?.unwrap_or_default();
        let lifetime = options.expires_delta.unwrap_or(match token_type {
            TokenType::Access => inner.access_expires,
            TokenType::Refresh => inner.refresh_expires,
        });
        if lifetime < Duration::from_secs(1) || lifetime > MAX_LIFETIME {
            return Err(CreateTokenError::InvalidLifetime);
        }
        let now = unix_now();
        let mut jti = [0u8; JTI_LEN];
        let jti = new_jti(&mut jti)?;
        let claims = NewClaims {
            sub: identity,
            iat: now,
            nbf: now,
            // In range: MAX_LIFETIME is a century and `now` is a current time.
            exp: now.saturating_add(lifetime.as_secs() as i64),
            jti,
            token_type: token_type.as_str(),
            fresh: token_type == TokenType::Access && options.fresh.unwrap_or(true),
            iss: inner.issuer.as_deref(),
            aud: inner.audience.as_deref(),
        };
        let custom = custom.members();

        let payload = payload_json(&claims, custom).map_err(CreateTokenError::Serialize)?;

        // The token is built as bytes and base64-encoded in place: `encode_string` would go
        // through a zeroed 1 KiB chunk buffer and a UTF-8 check per segment.
        let mut token = Vec::with_capacity(
            inner.header.len()
                + 2
                + payload.len().div_ceil(3) * 4
                + MAX_SIGNATURE_LEN.div_ceil(3) * 4,
        );
        token.extend_from_slice(inner.header.as_bytes());
        token.push(b'.');
        encode_appended(&payload, &mut token);
        let (signature, len) = inner.signer.sign(&token);
        token.push(b'.');
        encode_appended(&signature[..len], &mut token);
        Ok(String::from_utf8(token).expect("a token is ASCII: base64url and its header"))
    }

    /// Verifies `token` and returns its claims.
    ///
    /// Checks, in order: length (at most [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) bytes), three
    /// strict base64url segments, the header (`alg` equal to the configured algorithm, no
    /// `crit`), the signature (constant time), then the payload (no duplicate members; `sub`,
    /// `exp`, `iat`, `nbf` and `type` present and well-typed), expiry, `nbf`, issuer and
    /// audience.
    pub fn decode_token(&self, token: &str) -> Result<Claims, JwtError> {
        self.decode(token, Expiry::Enforce)
    }

    /// Whether `token` is valid: `decode_token(token).is_ok()`.
    pub fn verify_token(&self, token: &str) -> bool {
        self.decode_token(token).is_ok()
    }

    /// The identity of a token that is valid except perhaps for having expired, as BustAPI's
    /// `get_identity`. Everything else, the signature first, is still verified.
    ///
    /// ```
    /// use bustjwt_core::{Jwt, JwtError};
    /// use jsonwebtoken::{EncodingKey, Header, encode};
    /// use serde_json::json;
    ///
    /// let key = [7u8; 32];
    /// let jwt = Jwt::builder().secret_key(key).build()?;
    ///
    /// // A token that expired in 1970, signed with the same key (here by `jsonwebtoken`).
    /// let claims = json!({ "sub": "user123", "iat": 0, "nbf": 0, "exp": 1, "type": "access" });
    /// let expired = encode(&Header::default(), &claims, &EncodingKey::from_secret(&key)?)?;
    ///
    /// assert_eq!(jwt.decode_token(&expired), Err(JwtError::Expired));
    /// assert_eq!(jwt.get_identity(&expired)?, "user123");
    ///
    /// // The signature still counts: the same token signed with another key is refused.
    /// let forged = encode(&Header::default(), &claims, &EncodingKey::from_secret(&[8u8; 32])?)?;
    /// assert_eq!(jwt.get_identity(&forged), Err(JwtError::InvalidSignature));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_identity(&self, token: &str) -> Result<String, JwtError> {
        self.decode(token, Expiry::Ignore).map(|claims| claims.sub)
    }

    fn decode(&self, token: &str, expiry: Expiry) -> Result<Claims, JwtError> {
        let inner = &*self.inner;
        let segments = split(token)?;

        // Tokens this configuration made carry exactly this header; anything else is parsed.
        if segments.header != inner.header {
            let mut buf = [0u8; 1024];
            let len = BASE64URL
                .decode_slice(segments.header, &mut buf)
                .map_err(|e| match e {
                    DecodeSliceError::OutputSliceTooSmall => InvalidToken::Header,
                    DecodeSliceError::DecodeError(_) => InvalidToken::Base64,
                })?;
            let header = parse_header(&buf[..len])?;
            if header.alg != inner.algorithm.name() {
                return Err(InvalidToken::UnexpectedAlgorithm.into());
            }
            if header
                .typ
                .is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT"))
            {
                return Err(InvalidToken::UnexpectedType.into());
            }
        }

        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let signature_len = match BASE64URL.decode_slice(segments.signature, &mut signature) {
            Ok(len) => len,
            // Longer than any HMAC output: it cannot match.
            Err(DecodeSliceError::OutputSliceTooSmall) => return Err(JwtError::InvalidSignature),
            Err(DecodeSliceError::DecodeError(_)) => return Err(InvalidToken::Base64.into()),
        };
        if !inner.signer.verify(
            segments.signing_input.as_bytes(),
            &signature[..signature_len],
        ) {
            return Err(JwtError::InvalidSignature);
        }

        // Usual payloads are decoded on the stack; larger ones (big custom claims) on the heap.
        let mut stack = [0u8; STACK_PAYLOAD_LEN];
        let mut heap = Vec::new();
        let buffer = if segments.payload.len() <= STACK_PAYLOAD_LEN / 3 * 4 {
            &mut stack[..]
        } else {
            heap.resize(segments.payload.len() / 4 * 3 + 3, 0);
            &mut heap[..]
        };
        let payload_len = BASE64URL
            .decode_slice(segments.payload, &mut *buffer)
            .map_err(|_| InvalidToken::Base64)?;
        let claims = parse_payload(&buffer[..payload_len])?;

        let now = unix_now();
        if expiry == Expiry::Enforce && now >= claims.exp.saturating_add(inner.leeway) {
            return Err(JwtError::Expired);
        }
        if now.saturating_add(inner.leeway) < claims.nbf {
            return Err(JwtError::NotYetValid);
        }
        if let Some(issuer) = &inner.issuer
            && claims.iss.as_deref() != Some(issuer)
        {
            return Err(InvalidToken::Issuer.into());
        }
        match &inner.audience {
            Some(audience) if !claims.aud.iter().any(|aud| aud == audience) => {
                return Err(InvalidToken::Audience.into());
            }
            None if !claims.aud.is_empty() => return Err(InvalidToken::Audience.into()),
            _ => {}
        }
        Ok(claims)
    }
}

/// The payload JSON: the registered claims, then the custom members.
///
/// The member names are constants, so they are written as they are instead of being escaped
/// once per token (serde_json's string escaping of the nine names was the largest user-space
/// cost of `create` after the HMAC). Every value still goes through serde_json (strings
/// escaped, integers formatted), except the `jti` (base64url: nothing to escape) and `type` (a
/// constant). The proptest `payload_matches_serde_json` checks the output byte for byte
/// against serde_json's derived serialization of the same claims.
fn payload_json(claims: &NewClaims<'_>, custom: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    // The registered claims take about 160 bytes besides the identity.
    let mut out = Vec::with_capacity(160 + claims.sub.len() + custom.len());
    out.extend_from_slice(br#"{"sub":"#);
    serde_json::to_writer(&mut out, claims.sub)?;
    out.extend_from_slice(br#","iat":"#);
    serde_json::to_writer(&mut out, &claims.iat)?;
    out.extend_from_slice(br#","nbf":"#);
    serde_json::to_writer(&mut out, &claims.nbf)?;
    out.extend_from_slice(br#","exp":"#);
    serde_json::to_writer(&mut out, &claims.exp)?;
    out.extend_from_slice(br#","jti":""#);
    // base64url: nothing to escape.
    out.extend_from_slice(claims.jti.as_bytes());
    out.extend_from_slice(br#"","type":""#);
    out.extend_from_slice(claims.token_type.as_bytes());
    out.extend_from_slice(if claims.fresh {
        br#"","fresh":true"#
    } else {
        br#"","fresh":false"#
    });
    if let Some(iss) = claims.iss {
        out.extend_from_slice(br#","iss":"#);
        serde_json::to_writer(&mut out, iss)?;
    }
    if let Some(aud) = claims.aud {
        out.extend_from_slice(br#","aud":"#);
        serde_json::to_writer(&mut out, aud)?;
    }
    if !custom.is_empty() {
        out.push(b',');
        out.extend_from_slice(custom);
    }
    out.push(b'}');
    Ok(out)
}

/// Appends the unpadded base64url of `bytes` to `out`.
fn encode_appended(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = BASE64URL
        .encode_slice(bytes, &mut out[start..])
        .expect("room for the padded length is room for the unpadded one");
    out.truncate(start + written);
}

/// Seconds since the Unix epoch. A clock before 1970 reads as 0, which only makes tokens look
/// not yet valid: it fails closed.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The length of a `jti`: 128 bits in unpadded base64url.
const JTI_LEN: usize = 22;

/// A token id of 128 bits from the operating system's random number generator, written into
/// `buffer`.
fn new_jti(buffer: &mut [u8; JTI_LEN]) -> Result<&str, CreateTokenError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(CreateTokenError::Random)?;
    let written = BASE64URL
        .encode_slice(bytes, buffer)
        .expect("16 bytes take 22 base64url characters");
    debug_assert_eq!(written, JTI_LEN);
    Ok(std::str::from_utf8(buffer).expect("base64url is ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: serde_json's own serialization of the claims (the derived `Serialize`),
    /// with the custom members spliced in before the closing brace.
    fn reference(claims: &NewClaims<'_>, custom: &str) -> String {
        let mut text = serde_json::to_string(claims).unwrap();
        if !custom.is_empty() {
            text.pop();
            text.push(',');
            text.push_str(custom);
            text.push('}');
        }
        text
    }

    fn written(claims: &NewClaims<'_>, custom: &str) -> String {
        let payload = payload_json(claims, custom.as_bytes()).unwrap();
        let object: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert!(object.is_object());
        String::from_utf8(payload).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Identities, issuers and audiences with quotes, backslashes, control characters and
        /// any other Unicode are escaped exactly as serde_json escapes them, and the whole
        /// payload is byte for byte what serde_json writes for the claims.
        #[test]
        fn payload_matches_serde_json(
            sub in any::<String>(),
            iat in any::<i64>(),
            nbf in any::<i64>(),
            exp in any::<i64>(),
            jti in "[A-Za-z0-9_-]{22}",
            refresh in any::<bool>(),
            fresh in any::<bool>(),
            iss in proptest::option::of(any::<String>()),
            aud in proptest::option::of(r#"[\\"a-z\x00-\x1f\u{80}-\u{10ffff}]{0,12}"#),
            custom in proptest::sample::select(vec!["", r#""role":"admin""#, r#""a":[1,{"b":null}],"n":-1.5"#]),
        ) {
            let claims = NewClaims {
                sub: &sub,
                iat,
                nbf,
                exp,
                jti: &jti,
                token_type: if refresh { "refresh" } else { "access" },
                fresh,
                iss: iss.as_deref(),
                aud: aud.as_deref(),
            };
            prop_assert_eq!(written(&claims, custom), reference(&claims, custom));
        }
    }
}
