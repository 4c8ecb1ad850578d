//! `Jwt::decode_token` (and `get_identity`, `bearer_token`) on arbitrary input never panics,
//! and whatever it accepts is a token this key signed and still verifies.
//!
//! The first byte picks a mode:
//! - even: the rest is the token text, as a client would send it;
//! - odd: the rest is `header JSON` + `0xff` + `payload JSON`, which the target signs with the
//!   real key, so the fuzzer reaches the header and claims parsers behind the signature check.
#![no_main]

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use bustjwt_core::{AuthorizationHeader, Jwt, Requirement, TokenType, authenticate, bearer_token};
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"a-fuzzing-key-that-is-at-least-32-bytes-long";

static JWT: LazyLock<Jwt> = LazyLock::new(|| Jwt::builder().secret_key(KEY).build().unwrap());

fn sign(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
}

fn check(token: &str) {
    let jwt = &*JWT;
    let decoded = jwt.decode_token(token);
    let identity = jwt.get_identity(token);
    if let Ok(claims) = &decoded {
        // Accepted: it verifies again, to the same claims, and its times are in force.
        assert_eq!(jwt.decode_token(token).as_ref(), Ok(claims));
        assert!(jwt.verify_token(token));
        assert_eq!(identity.as_deref(), Ok(claims.identity()));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(claims.exp() > now - 1, "accepted an expired token");
        assert!(claims.nbf() <= now + 1, "accepted a token before its nbf");
        assert!(token.len() <= bustjwt_core::MAX_TOKEN_LEN);
        let _ = serde_json::to_string(claims).unwrap();
        let required = match claims.token_type() {
            TokenType::Access => Requirement::Access,
            TokenType::Refresh => Requirement::Refresh,
        };
        let header = format!("Bearer {token}");
        let via_guard = authenticate(jwt, AuthorizationHeader::One(header.as_bytes()), required);
        assert_eq!(via_guard.as_ref(), Ok(claims));
    } else if let Ok(identity) = &identity {
        // get_identity only forgives expiry.
        assert_eq!(
            decoded.as_ref().unwrap_err(),
            &bustjwt_core::JwtError::Expired,
            "{identity}"
        );
    }
    if let Err(error) = decoded {
        // Messages are header-safe: printable ASCII without quotes or backslashes.
        let message = error.to_string();
        assert!(
            message
                .bytes()
                .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        // The raw header value, as the guard sees it.
        let _ = bearer_token(AuthorizationHeader::One(rest));
        if let Ok(token) = std::str::from_utf8(rest) {
            check(token);
        }
    } else {
        let (header, payload) = match rest.iter().position(|&b| b == 0xff) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (&br#"{"alg":"HS256","typ":"JWT"}"#[..], rest),
        };
        check(&sign(header, payload));
    }
});
