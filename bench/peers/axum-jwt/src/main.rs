//! Benchmark peer for `bench/http.sh`: `/plain`, `/login` and `/me` with the same token rules as
//! bustjwt (HS256; `sub`, `iat`, `nbf`, `exp`, `jti`, `type`, `fresh`; access tokens only on
//! `/me`; no leeway) and the same argon2id parameters, written the usual axum way.

use std::{
    sync::{Arc, LazyLock},
    time::{SystemTime, UNIX_EPOCH},
};

use argon2::{
    Algorithm as A2, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use axum::{
    Json, Router,
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    #[serde(rename = "type")]
    token_type: String,
    fresh: bool,
}

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

fn argon2() -> Argon2<'static> {
    Argon2::new(
        A2::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).unwrap(),
    )
}

static ADMIN_HASH: LazyLock<String> =
    LazyLock::new(|| argon2().hash_password(b"secret").unwrap().to_string());

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn token(keys: &Keys, sub: &str, token_type: &str, lifetime: i64) -> String {
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).unwrap();
    let now = now();
    let claims = Claims {
        sub: sub.to_owned(),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        jti: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
        token_type: token_type.to_owned(),
        fresh: token_type == "access",
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap()
}

fn unauthorized(msg: &str) -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({ "error": msg }))).into_response()
}

/// The bearer access token's claims.
struct Auth(Claims);

impl FromRequestParts<Arc<Keys>> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, keys: &Arc<Keys>) -> Result<Self, Response> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized("Missing Authorization header"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthorized("Invalid Authorization header"))?;
        let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
            .map_err(|_| unauthorized("Invalid token"))?;
        if data.claims.token_type != "access" {
            return Err(unauthorized("Invalid token"));
        }
        Ok(Auth(data.claims))
    }
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(State(keys): State<Arc<Keys>>, Json(c): Json<Credentials>) -> Response {
    let hash = if c.username == "admin" {
        ADMIN_HASH.clone()
    } else {
        String::new()
    };
    let password = c.password;
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap();
    if !ok {
        return unauthorized("Invalid credentials");
    }
    Json(json!({
        "access_token": token(&keys, &c.username, "access", 900),
        "refresh_token": token(&keys, &c.username, "refresh", 2_592_000),
    }))
    .into_response()
}

async fn me(Auth(claims): Auth) -> Json<Value> {
    Json(json!({ "user": claims.sub }))
}

async fn plain() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

fn main() {
    let secret = std::env::var("SECRET_KEY").expect("SECRET_KEY");
    let port = std::env::var("PORT").unwrap_or_else(|_| "5000".into());
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
    let keys = Arc::new(Keys {
        encoding: EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        decoding: DecodingKey::from_secret(secret.as_bytes()).unwrap(),
        validation,
    });
    LazyLock::force(&ADMIN_HASH);
    let app = Router::new()
        .route("/plain", get(plain))
        .route("/login", post(login))
        .route("/me", get(me))
        .with_state(keys);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
                .await
                .unwrap();
            println!("Running on http://{}", listener.local_addr().unwrap());
            axum::serve(listener, app).await.unwrap();
        });
}
