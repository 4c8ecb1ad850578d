//! What both token benchmarks measure: one call of each side of each pair, bustjwt and raw
//! `jsonwebtoken` doing the same work, on the same token.

use std::hint::black_box;

use bustjwt_core::{Claims, Jwt, JwtError, TokenOptions};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

const KEY: &[u8] = b"benchmark-secret-key-of-32-bytes";

/// The same claims bustjwt writes, for `jsonwebtoken`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RawClaims {
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    #[serde(rename = "type")]
    token_type: String,
    fresh: bool,
    role: String,
    tenant: u32,
}

/// The custom claims of the benchmark's token.
#[derive(Serialize)]
struct Custom {
    role: &'static str,
    tenant: u32,
}

/// What bustjwt puts in a token, built for `jsonwebtoken`: the same work, a fresh 128-bit `jti`
/// from the operating system included.
fn raw_claims() -> RawClaims {
    use base64::Engine as _;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).unwrap();
    RawClaims {
        sub: "user123".into(),
        iat: now,
        nbf: now,
        exp: now + 900,
        jti: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
        token_type: "access".into(),
        fresh: true,
        role: "admin".into(),
        tenant: 42,
    }
}

/// Both sides' keys and the tokens they work on.
pub(crate) struct Setup {
    jwt: Jwt,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// An access token with two custom claims.
    pub(crate) token: String,
    /// The same token with the end of its signature changed.
    pub(crate) bad_signature: String,
}

impl Setup {
    pub(crate) fn new() -> Setup {
        let jwt = Jwt::builder().secret_key(KEY).build().unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
        let token = jwt
            .create_access_token_with(
                "user123",
                TokenOptions::new().claims(json!({ "role": "admin", "tenant": 42 })),
            )
            .unwrap();
        let mut bad_signature = token.clone();
        bad_signature.truncate(token.len() - 4);
        bad_signature.push_str("AAAA");
        Setup {
            jwt,
            encoding: EncodingKey::from_secret(KEY).unwrap(),
            decoding: DecodingKey::from_secret(KEY).unwrap(),
            validation,
            token,
            bad_signature,
        }
    }

    /// `create_access_token` with two custom claims from a struct.
    pub(crate) fn create(&self) -> String {
        self.jwt
            .create_access_token_with(
                black_box("user123"),
                TokenOptions::new().claims(Custom {
                    role: "admin",
                    tenant: 42,
                }),
            )
            .unwrap()
    }

    /// `jsonwebtoken::encode` of the same claims, the `jti` drawn the same way.
    pub(crate) fn raw_create(&self) -> String {
        let claims = raw_claims();
        jsonwebtoken::encode(&Header::default(), black_box(&claims), &self.encoding).unwrap()
    }

    pub(crate) fn decode(&self, token: &str) -> Result<Claims, JwtError> {
        self.jwt.decode_token(black_box(token))
    }

    pub(crate) fn raw_decode(
        &self,
        token: &str,
    ) -> jsonwebtoken::errors::Result<TokenData<RawClaims>> {
        jsonwebtoken::decode::<RawClaims>(black_box(token), &self.decoding, &self.validation)
    }
}
