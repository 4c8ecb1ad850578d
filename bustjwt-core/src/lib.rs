//! The token engine of [bustjwt](https://docs.rs/bustjwt): HMAC-signed JWTs that follow
//! RFC 7519 and the JWT best current practices of RFC 8725, the guard check behind the
//! `#[jwt_required]` family of attributes, and argon2id password hashing.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use bustjwt_core::{Jwt, JwtError, TokenOptions};
//! use serde_json::json;
//!
//! let jwt = Jwt::builder()
//!     .secret_key(std::env::var("SECRET_KEY").unwrap_or_else(|_| "x".repeat(32)))
//!     .algorithm("HS256")
//!     .access_expires(Duration::from_secs(900))
//!     .build()?;
//!
//! let token = jwt.create_access_token_with(
//!     "user123",
//!     TokenOptions::new().claims(json!({ "role": "admin" })),
//! )?;
//! let claims = jwt.decode_token(&token)?;
//! assert_eq!(claims.identity(), "user123");
//!
//! // Change the last character of the signature to a different one.
//! let mut forged = token.clone();
//! let last = forged.pop();
//! forged.push(if last == Some('A') { 'Q' } else { 'A' });
//! assert!(matches!(
//!     jwt.decode_token(&forged),
//!     Err(JwtError::InvalidSignature | JwtError::Invalid(_))
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod algorithm;
mod claims;
mod codec;
mod config;
mod error;
pub mod guard;
mod jwt;
mod options;
pub mod password;
mod signer;

pub use algorithm::Algorithm;
pub use claims::{Claims, TokenType};
pub use codec::MAX_TOKEN_LEN;
pub use config::{JwtBuilder, JwtHost, random_secret_key};
pub use error::{
    AuthorizationHeaderProblem, ConfigError, CreateTokenError, InvalidToken, JwtError,
};
pub use guard::{
    Auth, AuthRequest, AuthorizationHeader, Rejection, Requirement, authenticate, bearer_token,
    guard,
};
pub use jwt::Jwt;
pub use options::{RESERVED_CLAIMS, TokenOptions};
