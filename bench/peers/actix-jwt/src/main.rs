//! Benchmark peer for `bench/http.sh`: `/plain`, `/login` and `/me` with the same token rules as
//! bustjwt (HS256; `sub`, `iat`, `nbf`, `exp`, `jti`, `type`, `fresh`; access tokens only on
//! `/me`; no leeway) and the same argon2id parameters, written the usual actix-web way
//! (`HttpAuthentication::bearer` middleware, `web::block` for the hash).

use std::{
    sync::LazyLock,
    time::{SystemTime, UNIX_EPOCH},
};

use actix_web::{
    App, Error, HttpMessage, HttpResponse, HttpServer,
    dev::ServiceRequest,
    error::InternalError,
    web::{self, Data, Json, ReqData},
};
use actix_web_httpauth::{extractors::bearer::BearerAuth, middleware::HttpAuthentication};
use argon2::{
    Algorithm as A2, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Serialize, Deserialize)]
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

fn unauthorized(msg: &str) -> HttpResponse {
    HttpResponse::Unauthorized().json(json!({ "error": msg }))
}

async fn validator(
    req: ServiceRequest,
    credentials: BearerAuth,
) -> Result<ServiceRequest, (Error, ServiceRequest)> {
    let keys = req.app_data::<Data<Keys>>().expect("keys").clone();
    match jsonwebtoken::decode::<Claims>(credentials.token(), &keys.decoding, &keys.validation) {
        Ok(data) if data.claims.token_type == "access" => {
            req.extensions_mut().insert(data.claims);
            Ok(req)
        }
        _ => {
            let error =
                InternalError::from_response("invalid token", unauthorized("Invalid token"));
            Err((error.into(), req))
        }
    }
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(keys: Data<Keys>, c: Json<Credentials>) -> HttpResponse {
    let c = c.into_inner();
    let hash = if c.username == "admin" {
        ADMIN_HASH.clone()
    } else {
        String::new()
    };
    let password = c.password;
    let ok = web::block(move || {
        PasswordHash::new(&hash)
            .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if !ok {
        return unauthorized("Invalid credentials");
    }
    HttpResponse::Ok().json(json!({
        "access_token": token(&keys, &c.username, "access", 900),
        "refresh_token": token(&keys, &c.username, "refresh", 2_592_000),
    }))
}

async fn me(claims: ReqData<Claims>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "user": claims.sub }))
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let secret = std::env::var("SECRET_KEY").expect("SECRET_KEY");
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
    let keys = Data::new(Keys {
        encoding: EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        decoding: DecodingKey::from_secret(secret.as_bytes()).unwrap(),
        validation,
    });
    LazyLock::force(&ADMIN_HASH);
    println!("Running on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(keys.clone())
            .route("/plain", web::get().to(plain))
            .route("/login", web::post().to(login))
            .service(
                web::resource("/me")
                    .wrap(HttpAuthentication::bearer(validator))
                    .route(web::get().to(me)),
            )
    })
    .workers(2)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
