//! Every validation rule of `decode_token`, on hand-crafted tokens signed with the right key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use bustjwt_core::{InvalidToken, Jwt, JwtError, MAX_TOKEN_LEN, TokenOptions, TokenType};
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
    // An unsigned token (`alg: none`, empty signature) is refused as well.
    let unsigned = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none"}"#),
        B64.encode(&payload)
    );
    assert!(check(&unsigned).is_err());
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
    let mut forged = expired.clone();
    forged.truncate(forged.len() - 2);
    forged.push_str("AA");
    assert!(jwt().get_identity(&forged).is_err());
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
    let pad = |n: usize| {
        let t = now();
        let base = format!(
            r#"{{"sub":"u","iat":{t},"nbf":{t},"exp":{},"type":"access","p":""}}"#,
            t + 60
        );
        // Grow the padding claim until the token reaches exactly n bytes.
        let mut fill = 0;
        loop {
            let payload = base.replace(r#""p":"""#, &format!(r#""p":"{}""#, "x".repeat(fill)));
            let token = signed(HEADER, &payload);
            if token.len() >= n {
                return token;
            }
            fill += 1;
        }
    };
    let at_cap = pad(MAX_TOKEN_LEN);
    if at_cap.len() == MAX_TOKEN_LEN {
        assert_eq!(check(&at_cap), Ok(()));
    }
    let over = pad(MAX_TOKEN_LEN + 1);
    assert!(over.len() > MAX_TOKEN_LEN);
    assert_eq!(check(&over), invalid(InvalidToken::TooLong));
    assert_eq!(check(&"a".repeat(1 << 20)), invalid(InvalidToken::TooLong));
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_input_never_panics(input in ".{0,300}") {
        prop_assert!(jwt().decode_token(&input).is_err());
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
}
