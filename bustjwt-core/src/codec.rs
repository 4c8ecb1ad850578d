//! Strict base64url without padding (RFC 7515 §2), and splitting a compact token.

use std::sync::LazyLock;

use base64::engine::{DecodePaddingMode, GeneralPurposeConfig, Simd};

use crate::InvalidToken;

/// base64url without padding; decoding refuses padding and non-zero trailing bits, so every
/// token has exactly one encoding and cannot be altered without changing its signed bytes.
///
/// The `base64` crate's SIMD engine: it picks AVX2 or NEON once, at first use, when the CPU has
/// them, and its scalar engine otherwise; the rules are the same configuration either way.
pub(crate) static BASE64URL: LazyLock<Simd> = LazyLock::new(|| {
    Simd::url_safe(
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(false),
    )
});

/// The longest token accepted: longer ones are refused before any decoding.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The three segments of a compact JWS, each non-empty.
pub(crate) struct Segments<'t> {
    pub(crate) header: &'t str,
    pub(crate) payload: &'t str,
    /// `header.payload`: the bytes the signature covers.
    pub(crate) signing_input: &'t str,
    pub(crate) signature: &'t str,
}

/// Splits `token` into its three segments, refusing over-long tokens, a wrong number of
/// segments and empty segments. Allocates nothing.
pub(crate) fn split(token: &str) -> Result<Segments<'_>, InvalidToken> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(InvalidToken::TooLong);
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or(InvalidToken::Segments)?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or(InvalidToken::Segments)?;
    if payload.contains('.') {
        return Err(InvalidToken::Segments);
    }
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(InvalidToken::Base64);
    }
    Ok(Segments {
        header,
        payload,
        signing_input,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn splits_three_segments() {
        let s = split("a.b.c").unwrap();
        assert_eq!(
            (s.header, s.payload, s.signature, s.signing_input),
            ("a", "b", "c", "a.b")
        );
    }

    #[test]
    fn refuses_wrong_segment_counts() {
        for token in ["", "abc", "a.b", "a.b.c.d", "a.b.c.d.e"] {
            assert_eq!(split(token).err(), Some(InvalidToken::Segments), "{token}");
        }
        for token in ["..", "a..c", ".b.c", "a.b.", "..c"] {
            assert_eq!(split(token).err(), Some(InvalidToken::Base64), "{token}");
        }
    }

    #[test]
    fn length_cap_is_inclusive() {
        let at_cap = format!("a.b.{}", "c".repeat(MAX_TOKEN_LEN - 4));
        assert!(split(&at_cap).is_ok());
        let over = format!("{at_cap}c");
        assert_eq!(split(&over).err(), Some(InvalidToken::TooLong));
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(BASE64URL.decode("AQ").unwrap(), [1]);
        assert!(BASE64URL.decode("AQ==").is_err(), "padding");
        assert!(BASE64URL.decode("AR").is_err(), "non-zero trailing bits");
        assert!(BASE64URL.decode("A+").is_err(), "standard alphabet");
        assert!(BASE64URL.decode("A").is_err(), "impossible length");
    }
}
