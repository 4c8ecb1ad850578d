//! The HMAC signing algorithms of RFC 7518 §3.2.

use std::{fmt, str::FromStr};

use crate::ConfigError;

/// An HMAC algorithm for signing tokens (RFC 7518 §3.2).
///
/// Only symmetric HMAC algorithms are supported, as in BustAPI; `none` never is.
///
/// ```
/// use bustjwt_core::Algorithm;
///
/// let alg: Algorithm = "hs384".parse()?;
/// assert_eq!(alg, Algorithm::HS384);
/// assert_eq!(alg.min_key_len(), 48);
/// assert!("none".parse::<Algorithm>().is_err());
/// # Ok::<(), bustjwt_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// HMAC with SHA-256. The default.
    #[default]
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
}

impl Algorithm {
    /// The name used in the `alg` header, such as `"HS256"`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// The shortest secret key this algorithm accepts: its hash size in bytes (RFC 7518 §3.2).
    pub const fn min_key_len(self) -> usize {
        match self {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
        }
    }
}

impl AsRef<str> for Algorithm {
    fn as_ref(&self) -> &str {
        self.name()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ConfigError;

    /// Parses an algorithm name case-insensitively.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
            .into_iter()
            .find(|alg| alg.name().eq_ignore_ascii_case(name.trim()))
            // The name is not echoed: a key pasted here by mistake must not reach a log.
            .ok_or(ConfigError::UnsupportedAlgorithm)
    }
}

impl From<Algorithm> for jsonwebtoken::Algorithm {
    /// For interoperating with code that verifies bustjwt tokens with `jsonwebtoken`.
    fn from(alg: Algorithm) -> Self {
        match alg {
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively() {
        assert_eq!("HS256".parse::<Algorithm>().unwrap(), Algorithm::HS256);
        assert_eq!("hs512".parse::<Algorithm>().unwrap(), Algorithm::HS512);
        assert_eq!("Hs384".parse::<Algorithm>().unwrap(), Algorithm::HS384);
    }

    #[test]
    fn rejects_none_and_unsupported_listing_supported() {
        for name in ["none", "None", "NONE", "RS256", "ES256", "", "HS1024"] {
            let err = name.parse::<Algorithm>().unwrap_err();
            assert_eq!(err, ConfigError::UnsupportedAlgorithm, "{name}");
            let msg = err.to_string();
            assert!(msg.contains("HS256, HS384 and HS512"), "{msg}");
        }
    }

    #[test]
    fn the_rejected_name_is_not_echoed() {
        // A secret key passed as the algorithm by mistake must not appear in the message.
        let key = "s3cr3t-k3y-0123456789abcdefghijklmnopqrstuvwxyz";
        let msg = key.parse::<Algorithm>().unwrap_err().to_string();
        assert_eq!(
            msg,
            "unsupported algorithm: supported algorithms are HS256, HS384 and HS512"
        );
        assert!(!msg.contains("s3cr3t"), "{msg}");
    }
}
