//! Every validation rule of `decode_token`, on hand-crafted tokens signed with the right key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use bustjwt_core::{
    CreateTokenError, InvalidToken, Jwt, JwtError, MAX_TOKEN_LEN, TokenOptions, TokenType,
};
use hmac::{Hmac, KeyInit, Mac};
use proptest::prelude::*;
use serde_json::json;
use sha2::{Sha256, Sha512};

const KEY: &[u8] = b"an-hs256-test-key-of-32-bytes!!!";

fn jwt() -> Jwt {
    Jwt::builder().secret_key(KEY).build().unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn hs256(key: &[u8], input: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// A token with exactly this header and payload text, correctly signed with `KEY`.
fn signed(header: &str, payload: &str) -> String {
    signed_bytes(header.as_bytes(), payload.as_bytes())
}

/// A token with exactly these header and payload bytes (UTF-8 or not), signed with `KEY`.
fn signed_bytes(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let signature = hs256(KEY, &input);
    format!("{input}.{signature}")
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn payload_with(changes: serde_json::Value) -> String {
    let t = now();
    let mut claims = json!({ "sub": "user123", "iat": t, "nbf": t, "exp": t + 60, "type": "access", "fresh": true });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims.to_string()
}

fn invalid(reason: InvalidToken) -> Result<(), JwtError> {
    Err(JwtError::Invalid(reason))
}

fn check(token: &str) -> Result<(), JwtError> {
    jwt().decode_token(token).map(|_| ())
}

#[test]
fn crafted_valid_token_is_accepted() {
    assert_eq!(check(&signed(HEADER, &payload_with(json!({})))), Ok(()));
    // `typ` is optional; a lowercase `jwt` is the same media type.
    assert_eq!(
        check(&signed(r#"{"alg":"HS256"}"#, &payload_with(json!({})))),
        Ok(())
    );
    assert_eq!(
        check(&signed(
            r#"{"typ":"jwt","alg":"HS256"}"#,
            &payload_with(json!({}))
        )),
        Ok(())
    );
}

#[test]
fn rfc7515_appendix_a1_signature_verifies() {
    let key = B64
        .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
        .unwrap();
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
        .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
        .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let jwt = Jwt::builder().secret_key(&key).build().unwrap();
    // The signature and header pass; the payload is refused only because the RFC's example
    // has no `sub` (so the signature check came first and succeeded).
    assert_eq!(
        jwt.decode_token(token).map(|_| ()),
        invalid(InvalidToken::MissingClaim("sub"))
    );
    let other = Jwt::builder().secret_key([0u8; 64]).build().unwrap();
    assert_eq!(
        other.decode_token(token).map(|_| ()),
        Err(JwtError::InvalidSignature)
    );
}

#[test]
fn algorithm_must_match_and_none_is_refused() {
    let payload = payload_with(json!({}));
    for alg in ["none", "None", "NONE", "HS512", "RS256", "hs256", ""] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        assert_eq!(
            check(&signed(&header, &payload)),
            invalid(InvalidToken::UnexpectedAlgorithm),
            "{alg}"
        );
    }
    // An unsigned token (`alg: none`, empty signature) is refused as well: its empty
    // signature segment is malformed before its header is even read.
    let none_input = format!(
        "{}.{}",
        B64.encode(r#"{"alg":"none"}"#),
        B64.encode(&payload)
    );
    assert_eq!(
        check(&format!("{none_input}.")),
        invalid(InvalidToken::Base64)
    );
    // With a signature segment, even the correct HS256 signature of those bytes with the
    // right key, it is refused because of `alg: none` itself.
    for signature in [hs256(KEY, &none_input), "AAAA".to_owned()] {
        assert_eq!(
            check(&format!("{none_input}.{signature}")),
            invalid(InvalidToken::UnexpectedAlgorithm),
            "{signature}"
        );
    }
}

#[test]
fn crit_and_odd_headers() {
    let payload = payload_with(json!({}));
    let crit = r#"{"alg":"HS256","crit":["exp"],"exp":1}"#;
    assert_eq!(
        check(&signed(crit, &payload)),
        invalid(InvalidToken::CriticalHeader)
    );
    let typ = r#"{"alg":"HS256","typ":"at+jwt"}"#;
    assert_eq!(
        check(&signed(typ, &payload)),
        invalid(InvalidToken::UnexpectedType)
    );
    let dup = r#"{"alg":"HS256","alg":"HS256"}"#;
    assert_eq!(
        check(&signed(dup, &payload)),
        invalid(InvalidToken::Duplicate("alg"))
    );
    for header in ["[]", "\"HS256\"", "{", r#"{"alg":"HS256"} x"#] {
        assert_eq!(
            check(&signed(header, &payload)),
            invalid(InvalidToken::Header),
            "{header}"
        );
    }
}

#[test]
fn key_selection_headers_change_nothing() {
    // `kid`, `jku`, `jwk` and `x5u` are ignored: the key is fixed by configuration.
    let payload = payload_with(json!({}));
    for extra in [
        r#""kid":"../../dev/null""#,
        r#""jku":"https://attacker.example/jwks.json""#,
        r#""jwk":{"kty":"oct","k":"AAAA"}"#,
        r#""x5u":"https://attacker.example/cert.pem""#,
    ] {
        let header = format!(r#"{{"alg":"HS256",{extra}}}"#);
        assert_eq!(check(&signed(&header, &payload)), Ok(()), "{extra}");
        // Signed with the key the header points to (empty), it is refused.
        let input = format!("{}.{}", B64.encode(&header), B64.encode(&payload));
        let forged = format!("{input}.{}", hs256(b"", &input));
        assert_eq!(check(&forged), Err(JwtError::InvalidSignature), "{extra}");
    }
}

#[test]
fn header_must_be_utf8_even_in_ignored_members() {
    let payload = payload_with(json!({}));
    // Correctly signed; only the bytes of a member bustjwt never reads (or after the object)
    // are not UTF-8.
    for header in [
        &b"{\"alg\":\"HS256\",\"kid\":\"\xff\"}"[..],
        b"{\"alg\":\"HS256\",\"kid\":\"k\xc3\x28\"}",
        b"{\"alg\":\"HS256\",\"jwk\":{\"k\":[\"\xed\xa0\x80\"]}}",
        b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}\xff",
    ] {
        assert_eq!(
            check(&signed_bytes(header, payload.as_bytes())),
            invalid(InvalidToken::Header),
            "{header:?}"
        );
    }
    // The same header with a UTF-8 `kid` is fine.
    let fine = r#"{"alg":"HS256","kid":"ÿ"}"#;
    assert_eq!(check(&signed(fine, &payload)), Ok(()));
}

#[test]
fn payload_must_be_utf8_even_in_custom_claims() {
    let t = now();
    let payload = |custom: &[u8]| {
        let mut payload = format!(
            r#"{{"sub":"user123","iat":{t},"nbf":{t},"exp":{},"type":"access","#,
            t + 60
        )
        .into_bytes();
        payload.extend_from_slice(custom);
        payload.push(b'}');
        signed_bytes(HEADER.as_bytes(), &payload)
    };
    assert_eq!(check(&payload(r#""note":"ÿ""#.as_bytes())), Ok(()));
    assert_eq!(check(&payload(br#""note":{"a":["x"]}"#)), Ok(()));
    // Correctly signed, but a custom claim's value or name is not UTF-8.
    for custom in [
        &b"\"note\":\"\xff\""[..],
        b"\"note\":\"N\xc3\x28E\"",
        b"\"note\":\"\xed\xa0\x80\"",
        b"\"note\":{\"a\":[\"\xff\"]}",
        b"\"n\xff\":1",
    ] {
        assert_eq!(
            check(&payload(custom)),
            invalid(InvalidToken::Payload),
            "{custom:?}"
        );
    }
}

#[test]
fn signature_from_another_key_or_algorithm() {
    let other = Jwt::builder().secret_key([9u8; 32]).build().unwrap();
    assert_eq!(
        check(&other.create_access_token("u")),
        Err(JwtError::InvalidSignature)
    );
    // HS512 signature under an HS256 header: wrong length, refused.
    let input = format!(
        "{}.{}",
        B64.encode(HEADER),
        B64.encode(payload_with(json!({})))
    );
    let mut mac = Hmac::<Sha512>::new_from_slice(KEY).unwrap();
    mac.update(input.as_bytes());
    let long = format!("{input}.{}", B64.encode(mac.finalize().into_bytes()));
    assert_eq!(check(&long), Err(JwtError::InvalidSignature));
}

#[test]
fn every_single_byte_change_is_refused() {
    let token = jwt().create_access_token("user123");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let bytes = token.as_bytes();
    for i in 0..bytes.len() {
        // Try a couple of replacements per position (all would take too long for no gain).
        for &replacement in [alphabet[i % alphabet.len()], b'A', b'.'].iter() {
            if replacement == bytes[i] {
                continue;
            }
            let mut tampered = bytes.to_vec();
            tampered[i] = replacement;
            let tampered = String::from_utf8(tampered).unwrap();
            assert!(jwt().decode_token(&tampered).is_err(), "position {i}");
        }
    }
}

#[test]
fn segments_padding_and_encoding() {
    let token = jwt().create_access_token("u");
    let parts: Vec<&str> = token.split('.').collect();
    let cases = [
        (format!("{token}="), InvalidToken::Base64),
        (format!("{}.{}", parts[0], parts[1]), InvalidToken::Segments),
        (format!("{token}.{}", parts[2]), InvalidToken::Segments),
        (parts[0].to_owned(), InvalidToken::Segments),
        (format!(".{}.{}", parts[1], parts[2]), InvalidToken::Base64),
        (format!("{}..{}", parts[0], parts[2]), InvalidToken::Base64),
        (format!("{}.{}.", parts[0], parts[1]), InvalidToken::Base64),
        (
            format!("{}+.{}.{}", parts[0], parts[1], parts[2]),
            InvalidToken::Base64,
        ),
    ];
    for (bad, reason) in cases {
        assert_eq!(check(&bad), invalid(reason), "{bad}");
    }
    // Padding inside the signed part changes the signed bytes.
    let padded = format!("{}.{}=.{}", parts[0], parts[1], parts[2]);
    assert_eq!(check(&padded), Err(JwtError::InvalidSignature));
}

#[test]
fn payload_must_be_a_json_object_in_utf8() {
    let header = B64.encode(HEADER);
    for payload in [
        &b"[1,2]"[..],
        b"\"user\"",
        b"not json",
        b"{\"sub\":\"\xff\"}",
        b"\xc3\x28",
    ] {
        let input = format!("{header}.{}", B64.encode(payload));
        let token = format!("{input}.{}", hs256(KEY, &input));
        let result = check(&token);
        assert!(
            matches!(
                result,
                Err(JwtError::Invalid(
                    InvalidToken::Payload | InvalidToken::ClaimType("sub")
                ))
            ),
            "{payload:?}: {result:?}"
        );
    }
}

#[test]
fn claim_rules() {
    let t = now();
    let cases = [
        (json!({ "sub": null }), InvalidToken::MissingClaim("sub")),
        (json!({ "exp": null }), InvalidToken::MissingClaim("exp")),
        (json!({ "iat": null }), InvalidToken::MissingClaim("iat")),
        (json!({ "nbf": null }), InvalidToken::MissingClaim("nbf")),
        (json!({ "type": null }), InvalidToken::MissingClaim("type")),
        (
            json!({ "exp": (t + 60).to_string() }),
            InvalidToken::ClaimType("exp"),
        ),
        (
            json!({ "nbf": t.to_string() }),
            InvalidToken::ClaimType("nbf"),
        ),
        (json!({ "sub": 42 }), InvalidToken::ClaimType("sub")),
        (json!({ "type": "id" }), InvalidToken::TokenType),
    ];
    for (change, reason) in cases {
        let token = signed(HEADER, &payload_with(change.clone()));
        assert_eq!(check(&token), invalid(reason), "{change}");
    }
}

#[test]
fn duplicated_sub_is_refused_not_last_wins() {
    let t = now();
    let payload = format!(
        r#"{{"sub":"user123","iat":{t},"nbf":{t},"exp":{},"type":"access","sub":"admin"}}"#,
        t + 60
    );
    assert_eq!(
        check(&signed(HEADER, &payload)),
        invalid(InvalidToken::Duplicate("sub"))
    );
}

#[test]
fn expiry_and_not_before_with_zero_leeway() {
    let t = now();
    let expired = signed(HEADER, &payload_with(json!({ "exp": t - 1 })));
    assert_eq!(check(&expired), Err(JwtError::Expired));
    let at_exp = signed(HEADER, &payload_with(json!({ "exp": t })));
    assert_eq!(
        check(&at_exp),
        Err(JwtError::Expired),
        "now >= exp is expired"
    );
    let future = signed(HEADER, &payload_with(json!({ "nbf": t + 30 })));
    assert_eq!(check(&future), Err(JwtError::NotYetValid));
    // get_identity tolerates expiry but not a bad signature or nbf.
    assert_eq!(jwt().get_identity(&expired).as_deref(), Ok("user123"));
    assert_eq!(jwt().get_identity(&future), Err(JwtError::NotYetValid));
    // One signature character changed, always to a different one.
    let mut forged = expired.clone().into_bytes();
    let i = forged.len() - 3;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(jwt().get_identity(&forged), Err(JwtError::InvalidSignature));
}

#[test]
fn leeway_tolerates_skew() {
    let lenient = Jwt::builder()
        .secret_key(KEY)
        .leeway(Duration::from_secs(30))
        .build()
        .unwrap();
    let t = now();
    let just_expired = signed(HEADER, &payload_with(json!({ "exp": t - 5 })));
    assert!(lenient.decode_token(&just_expired).is_ok());
    let soon = signed(HEADER, &payload_with(json!({ "nbf": t + 5 })));
    assert!(lenient.decode_token(&soon).is_ok());
    let long_expired = signed(HEADER, &payload_with(json!({ "exp": t - 60 })));
    assert_eq!(
        lenient.decode_token(&long_expired).map(|_| ()),
        Err(JwtError::Expired)
    );
}

#[test]
fn issuer_and_audience() {
    let strict = Jwt::builder()
        .secret_key(KEY)
        .issuer("me")
        .audience("api")
        .build()
        .unwrap();
    let token = strict.create_access_token("u");
    let claims = strict.decode_token(&token).unwrap();
    assert_eq!(
        (claims.issuer(), claims.audience()),
        (Some("me"), &["api".to_owned()][..])
    );

    let no_iss = signed(HEADER, &payload_with(json!({ "aud": "api" })));
    assert_eq!(
        strict.decode_token(&no_iss).map(|_| ()),
        invalid(InvalidToken::Issuer)
    );
    for iss in [
        json!("someone-else"),
        json!("Me"),
        json!("me "),
        json!(""),
        json!(["me"]),
    ] {
        let wrong_iss = signed(HEADER, &payload_with(json!({ "iss": iss, "aud": "api" })));
        let expected = if iss.is_string() {
            invalid(InvalidToken::Issuer)
        } else {
            invalid(InvalidToken::ClaimType("iss"))
        };
        assert_eq!(
            strict.decode_token(&wrong_iss).map(|_| ()),
            expected,
            "{iss}"
        );
    }
    let no_aud = signed(HEADER, &payload_with(json!({ "iss": "me" })));
    assert_eq!(
        strict.decode_token(&no_aud).map(|_| ()),
        invalid(InvalidToken::Audience)
    );
    let empty_aud = signed(HEADER, &payload_with(json!({ "iss": "me", "aud": [] })));
    assert_eq!(
        strict.decode_token(&empty_aud).map(|_| ()),
        invalid(InvalidToken::Audience)
    );
    let wrong_aud = signed(
        HEADER,
        &payload_with(json!({ "iss": "me", "aud": ["web"] })),
    );
    assert_eq!(
        strict.decode_token(&wrong_aud).map(|_| ()),
        invalid(InvalidToken::Audience)
    );
    let listed = signed(
        HEADER,
        &payload_with(json!({ "iss": "me", "aud": ["web", "api"] })),
    );
    assert!(strict.decode_token(&listed).is_ok());
    // No audience configured: a token addressed to someone is not for us.
    assert_eq!(check(&token), invalid(InvalidToken::Audience));
}

#[test]
fn length_cap() {
    /// A valid token of exactly `n` bytes: a padding claim sets the payload length, and a second
    /// header form (two base64url characters longer) reaches the lengths that base64url of the
    /// first cannot (an unpadded encoding is never 1 more than a multiple of 4).
    fn exactly(n: usize) -> String {
        let t = now();
        let base = format!(
            r#"{{"sub":"u","iat":{t},"nbf":{t},"exp":{},"type":"access","p":""}}"#,
            t + 60
        );
        for header in [HEADER, r#"{"alg":"HS256", "typ":"JWT"}"#] {
            // Start a little below the target instead of signing thousands of tokens.
            let overhead = B64.encode(header).len() + 2 + 43;
            let mut fill = (n.saturating_sub(overhead) * 3 / 4).saturating_sub(base.len() + 8);
            loop {
                let payload = base.replace(r#""p":"""#, &format!(r#""p":"{}""#, "x".repeat(fill)));
                let token = signed(header, &payload);
                match token.len().cmp(&n) {
                    std::cmp::Ordering::Less => fill += 1,
                    std::cmp::Ordering::Equal => return token,
                    std::cmp::Ordering::Greater => break,
                }
            }
        }
        panic!("no token of exactly {n} bytes");
    }
    let at_cap = exactly(MAX_TOKEN_LEN);
    assert_eq!(at_cap.len(), MAX_TOKEN_LEN);
    assert_eq!(check(&at_cap), Ok(()));
    let over = exactly(MAX_TOKEN_LEN + 1);
    assert_eq!(over.len(), MAX_TOKEN_LEN + 1);
    assert_eq!(check(&over), invalid(InvalidToken::TooLong));
    assert_eq!(check(&"a".repeat(1 << 20)), invalid(InvalidToken::TooLong));
}

#[test]
fn expires_delta_must_be_between_a_second_and_a_century() {
    let century = Duration::from_secs(100 * 365 * 24 * 3600);
    for lifetime in [
        Duration::ZERO,
        Duration::from_millis(999),
        century + Duration::from_secs(1),
        Duration::MAX,
    ] {
        let options = || TokenOptions::new().expires_delta(lifetime);
        for result in [
            jwt().create_access_token_with("u", options()),
            jwt().create_refresh_token_with("u", options()),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, CreateTokenError::InvalidLifetime),
                "{lifetime:?}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                "`expires_delta` must be between 1 second and 100 years"
            );
        }
    }
    for lifetime in [Duration::from_secs(1), century] {
        let token = jwt()
            .create_access_token_with("u", TokenOptions::new().expires_delta(lifetime))
            .unwrap();
        let claims = jwt().decode_token(&token).unwrap();
        assert_eq!(claims.exp() - claims.iat(), lifetime.as_secs() as i64);
    }
}

#[test]
fn refresh_token_payload_says_fresh_false() {
    // Literally, even when `fresh(true)` is asked for: refresh tokens are never fresh.
    let jwt = jwt();
    for token in [
        jwt.create_refresh_token("user123"),
        jwt.create_refresh_token_with("user123", TokenOptions::new().fresh(true))
            .unwrap(),
    ] {
        let payload = token.split('.').nth(1).unwrap();
        let json = String::from_utf8(B64.decode(payload).unwrap()).unwrap();
        assert!(json.contains(r#""fresh":false"#), "{json}");
        assert!(json.contains(r#""type":"refresh""#), "{json}");
        assert!(!jwt.decode_token(&token).unwrap().fresh());
    }
    let access = jwt.create_access_token("user123");
    let json = B64.decode(access.split('.').nth(1).unwrap()).unwrap();
    assert!(String::from_utf8(json).unwrap().contains(r#""fresh":true"#));
}

#[test]
fn a_refresh_token_claiming_fresh_is_not_fresh() {
    let token = signed(
        HEADER,
        &payload_with(json!({ "type": "refresh", "fresh": true })),
    );
    let claims = jwt().decode_token(&token).unwrap();
    assert_eq!(claims.token_type(), TokenType::Refresh);
    assert!(!claims.fresh());
    assert_eq!(serde_json::to_value(&claims).unwrap()["fresh"], false);
}

#[test]
fn custom_claims_read_back_as_one_struct() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Custom {
        role: String,
        tenant: u32,
        scopes: Vec<String>,
    }
    let custom = Custom {
        role: "admin".into(),
        tenant: 42,
        scopes: vec!["read".into(), "write".into()],
    };
    let token = jwt()
        .create_access_token_with("u", TokenOptions::new().claims(&custom))
        .unwrap();
    let claims = jwt().decode_token(&token).unwrap();
    assert_eq!(claims.custom_as::<Custom>().unwrap(), custom);
    // A type that does not fit the claims is an error, not a default.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Other {
        level: u8,
    }
    assert!(claims.custom_as::<Other>().is_err());
}

#[test]
fn payloads_bigger_than_the_stack_buffer_round_trip() {
    // Checking switches from a stack buffer to the heap for large payloads: an identity that
    // needs escaping and a big custom claim take that path.
    let jwt = jwt();
    let identity = format!("user\"{}\u{e9}", "x".repeat(1500));
    let note = "n".repeat(2500);
    let token = jwt
        .create_access_token_with(
            &identity,
            TokenOptions::new().claims(json!({ "note": note })),
        )
        .unwrap();
    assert!(token.len() > 4000 && token.len() <= MAX_TOKEN_LEN);
    let claims = jwt.decode_token(&token).unwrap();
    assert_eq!(claims.identity(), identity);
    assert_eq!(claims.claim::<String>("note").unwrap(), Some(note));
    // The same payload, built by hand, is what was signed.
    let payload: serde_json::Value =
        serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(payload["sub"], identity.as_str());
    assert_eq!(payload["type"], "access");
}

#[test]
fn created_tokens_have_the_documented_shape() {
    let jwt = jwt();
    let token = jwt
        .create_access_token_with(
            "user123",
            TokenOptions::new().claims(json!({ "role": "admin" })),
        )
        .unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({ "alg": "HS256", "typ": "JWT" }));
    let payload: serde_json::Value =
        serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    let mut keys: Vec<&str> = payload
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["exp", "fresh", "iat", "jti", "nbf", "role", "sub", "type"]
    );
    assert_eq!(payload["type"], "access");
    assert_eq!(payload["fresh"], true);
    assert_eq!(
        payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
        900
    );
    let jti = B64.decode(payload["jti"].as_str().unwrap()).unwrap();
    assert_eq!(jti.len(), 16, "128-bit jti");

    let refresh = jwt
        .decode_token(&jwt.create_refresh_token("user123"))
        .unwrap();
    assert_eq!(refresh.token_type(), TokenType::Refresh);
    assert!(!refresh.fresh());
    assert_eq!(refresh.exp() - refresh.iat(), 2_592_000);
    assert_ne!(refresh.jti(), jwt.decode_token(&token).unwrap().jti());
}

#[test]
fn reserved_custom_claims_are_errors() {
    for name in bustjwt_core::RESERVED_CLAIMS {
        let result =
            jwt().create_access_token_with("u", TokenOptions::new().claims(json!({ name: 1 })));
        let err = result.unwrap_err();
        assert!(
            err.to_string().contains(&format!("`{name}` is reserved")),
            "{err}"
        );
    }
    #[derive(serde::Serialize)]
    struct Custom {
        role: &'static str,
        level: u8,
    }
    let token = jwt()
        .create_refresh_token_with(
            "u",
            TokenOptions::new().claims(Custom {
                role: "a",
                level: 3,
            }),
        )
        .unwrap();
    assert_eq!(
        jwt()
            .decode_token(&token)
            .unwrap()
            .claim::<u8>("level")
            .unwrap(),
        Some(3)
    );
    assert!(
        jwt()
            .create_access_token_with("u", TokenOptions::new().claims([1, 2]))
            .is_err()
    );
}

#[test]
fn interoperates_with_jsonwebtoken() {
    use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, decode, encode};
    let token = jwt().create_access_token("user123");
    let mut validation = Validation::new(bustjwt_core::Algorithm::HS256.into());
    validation.set_required_spec_claims(&["exp", "sub", "nbf"]);
    let data =
        decode::<serde_json::Value>(&token, &DecodingKey::from_secret(KEY).unwrap(), &validation)
            .unwrap();
    assert_eq!(data.claims["sub"], "user123");

    let t = now();
    let claims = json!({ "sub": "u", "iat": t, "nbf": t, "exp": t + 60, "type": "refresh" });
    let theirs = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(KEY).unwrap(),
    )
    .unwrap();
    assert_eq!(
        jwt().decode_token(&theirs).unwrap().token_type(),
        TokenType::Refresh
    );
}

/// One edit of a token's bytes, at an index taken modulo the current length.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    match *edit {
        Edit::Replace(i, b) if !bytes.is_empty() => {
            let i = i % bytes.len();
            bytes[i] = b;
        }
        Edit::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Edit::Delete(i) if !bytes.is_empty() => {
            bytes.remove(i % bytes.len());
        }
        Edit::Replace(..) | Edit::Delete(_) => {}
    }
}

/// How a generated payload sets one registered claim: mostly validly (1), so that a fair
/// share of generated tokens is accepted and the property checks something.
fn claim_value() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(1u8), 1 => 0u8..8]
}

/// A JSON payload assembled from generated choices: each registered claim absent, valid,
/// or of a wrong or borderline value, sometimes with a custom claim or a duplicate.
fn generated_payload(choices: &[u8], extra: u8) -> Vec<u8> {
    let t = now();
    let mut members: Vec<String> = Vec::new();
    let numeric = |c: u8, valid: i64| match c {
        1 => Some(valid.to_string()),
        2 => Some(format!("\"{valid}\"")),
        3 => Some("null".to_owned()),
        4 => Some((t - 3600).to_string()),
        5 => Some((t + 3600).to_string()),
        6 => Some(format!("{valid}.5")),
        7 => Some("1e300".to_owned()),
        _ => None,
    };
    let sub = match choices[0] {
        0 => None,
        1 | 4 | 5 => Some("\"user123\"".to_owned()),
        2 => Some("42".to_owned()),
        3 => Some("null".to_owned()),
        6 => Some("\"\"".to_owned()),
        _ => Some("[\"user123\"]".to_owned()),
    };
    let token_type = match choices[4] {
        0 => None,
        1 | 4 => Some("\"access\"".to_owned()),
        5 | 6 => Some("\"refresh\"".to_owned()),
        2 => Some("\"ACCESS\"".to_owned()),
        3 => Some("null".to_owned()),
        _ => Some("\"id\"".to_owned()),
    };
    for (name, value) in [
        ("sub", sub),
        ("exp", numeric(choices[1], t + 60)),
        ("iat", numeric(choices[2], t)),
        ("nbf", numeric(choices[3], t)),
        ("type", token_type),
    ] {
        if let Some(value) = value {
            members.push(format!("\"{name}\":{value}"));
        }
    }
    match extra {
        0 => members.push(r#""role":"admin""#.to_owned()),
        1 => members.push(r#""fresh":true"#.to_owned()),
        2 => members.push(r#""fresh":"yes""#.to_owned()),
        3 => members.push(r#""aud":"api""#.to_owned()),
        4 => members.push(r#""sub":"admin""#.to_owned()),
        5 => members.push(r#""role":1,"role":2"#.to_owned()),
        _ => {}
    }
    format!("{{{}}}", members.join(",")).into_bytes()
}

/// What an accepted payload must contain, checked independently of bustjwt's parser.
fn assert_has_required_claims(payload: &[u8], claims: &bustjwt_core::Claims) {
    let t = now();
    let json: serde_json::Value =
        serde_json::from_slice(payload).expect("an accepted payload is JSON");
    let object = json.as_object().expect("an accepted payload is an object");
    assert_eq!(object["sub"].as_str(), Some(claims.identity()));
    for name in ["exp", "iat", "nbf"] {
        assert!(object[name].is_number(), "{name} in {json}");
    }
    assert!(
        object["exp"].as_f64().unwrap() > t as f64,
        "expired: {json}"
    );
    assert!(
        object["nbf"].as_f64().unwrap() <= t as f64 + 1.0,
        "not yet valid: {json}"
    );
    let token_type = object["type"].as_str();
    assert!(matches!(token_type, Some("access" | "refresh")), "{json}");
    assert_eq!(token_type, Some(claims.token_type().as_str()));
    assert!(
        !object.contains_key("aud"),
        "no audience is configured: {json}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_input_never_panics(input in ".{0,300}") {
        prop_assert!(jwt().decode_token(&input).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_are_refused(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let input = String::from_utf8_lossy(&bytes);
        prop_assert!(jwt().decode_token(&input).is_err());
        prop_assert!(jwt().get_identity(&input).is_err());
    }

    #[test]
    fn mutated_tokens_are_refused_unless_unchanged(
        index in 0usize..400,
        byte in proptest::sample::select(b"ABCxyz019-_.=+/ \x00".to_vec()),
    ) {
        let token = jwt().create_access_token("user123");
        let mut bytes = token.clone().into_bytes();
        let i = index % bytes.len();
        bytes[i] = byte;
        let mutated = String::from_utf8(bytes).unwrap();
        let result = jwt().decode_token(&mutated);
        if mutated == token {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn multi_edit_mutations_are_refused_unless_unchanged(
        edits in proptest::collection::vec(edit(), 1..8),
        refresh in any::<bool>(),
    ) {
        let jwt = jwt();
        let token = if refresh {
            jwt.create_refresh_token("user123")
        } else {
            jwt.create_access_token("user123")
        };
        let mut bytes = token.clone().into_bytes();
        for edit in &edits {
            apply(&mut bytes, edit);
        }
        // Bytes that are not UTF-8 become U+FFFD, which no token contains.
        let mutated = String::from_utf8_lossy(&bytes);
        let result = jwt.decode_token(&mutated);
        if mutated == token {
            prop_assert!(result.is_ok(), "{result:?}");
        } else {
            prop_assert!(result.is_err(), "{edits:?} accepted");
            prop_assert!(jwt.get_identity(&mutated).is_err(), "{edits:?} accepted");
        }
    }

    #[test]
    fn signed_arbitrary_header_and_payload_never_panic(
        header in prop_oneof![
            Just(HEADER.as_bytes().to_vec()),
            Just(br#"{"alg":"HS256"}"#.to_vec()),
            proptest::collection::vec(any::<u8>(), 0..64),
        ],
        payload in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            (proptest::collection::vec(claim_value(), 5), 0u8..8)
                .prop_map(|(choices, extra)| generated_payload(&choices, extra)),
        ],
    ) {
        let token = signed_bytes(&header, &payload);
        let jwt = jwt();
        if let Ok(claims) = jwt.decode_token(&token) {
            prop_assert!(std::str::from_utf8(&header).is_ok(), "non-UTF-8 header accepted");
            assert_has_required_claims(&payload, &claims);
        }
        if let Ok(identity) = jwt.get_identity(&token) {
            let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            prop_assert_eq!(json["sub"].as_str(), Some(identity.as_str()));
        }
    }
}

#[test]
fn generated_payloads_include_accepted_ones() {
    // The property above is only meaningful if some generated tokens pass.
    let all_valid = generated_payload(&[1, 1, 1, 1, 1], 0);
    let token = signed_bytes(HEADER.as_bytes(), &all_valid);
    let claims = jwt().decode_token(&token).unwrap();
    assert_has_required_claims(&all_valid, &claims);
    let refresh = generated_payload(&[1, 1, 1, 1, 5], 1);
    assert_eq!(
        jwt()
            .decode_token(&signed_bytes(HEADER.as_bytes(), &refresh))
            .unwrap()
            .token_type(),
        TokenType::Refresh
    );
}
