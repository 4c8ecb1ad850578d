//! BustAPI's complete JWT example in Rust: login with an argon2id-hashed password, refresh,
//! protected routes, an optional route and a fresh-token-only route.
//!
//! Run with `cargo run --example complete` (set `SECRET_KEY` to keep tokens valid across
//! restarts, `HOST`/`PORT` to listen elsewhere than 127.0.0.1:5000), then:
//!
//! ```text
//! curl -s -X POST http://127.0.0.1:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "admin", "password": "secret"}'
//! curl -s http://127.0.0.1:5000/me -H "Authorization: Bearer $ACCESS_TOKEN"
//! curl -s -X POST http://127.0.0.1:5000/refresh -H "Authorization: Bearer $REFRESH_TOKEN"
//! ```

use std::{collections::HashMap, sync::LazyLock};

use bustjwt::auth::{hash_password, verify_password_async};
use bustjwt::prelude::*;
use serde::Deserialize;

/// The user database: `admin` with password `secret`, stored as an argon2id hash.
static USERS: LazyLock<HashMap<&'static str, String>> =
    LazyLock::new(|| HashMap::from([("admin", hash_password("secret"))]));

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// `POST /login`: tokens for valid credentials, `401 Invalid credentials` otherwise.
async fn login(req: Request) -> Result<Value, HttpError> {
    let data: Credentials = req.json()?;
    // An unknown user is checked against "" like BustAPI's `USERS.get(name, "")`; that check
    // costs as much as a real one, so timing does not reveal which users exist.
    let hash = USERS.get(data.username.as_str()).map_or("", String::as_str);
    if !verify_password_async(&data.password, hash).await {
        return Err(HttpError::unauthorized("Invalid credentials"));
    }
    let jwt = req.jwt()?;
    Ok(json!({
        "access_token": jwt.create_access_token(&data.username),
        "refresh_token": jwt.create_refresh_token(&data.username),
    }))
}

/// `POST /refresh`: a new, non-fresh access token for a refresh token.
#[jwt_refresh_token_required]
fn refresh(req: Request) -> Result<Value, HttpError> {
    let identity = req.jwt_identity().unwrap_or_default();
    let token = req
        .jwt()?
        .create_access_token_with(identity, TokenOptions::new().fresh(false))?;
    Ok(json!({ "access_token": token }))
}

/// `GET /me`: who the access token belongs to.
#[jwt_required]
async fn me(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

/// `GET /feed`: personalized with a valid access token, public without one.
#[jwt_optional]
fn feed(req: Request) -> Value {
    match req.jwt_identity() {
        Some(user) => json!({ "feed": format!("personalized for {user}") }),
        None => json!({ "feed": "public" }),
    }
}

/// `POST /change-password`: only with a fresh token, straight from a login.
#[fresh_jwt_required]
fn change_password(_req: Request) -> Value {
    json!({ "status": "password changed" })
}

/// The app with all routes. Without a secret key, a random one is made for this process.
pub fn build_app(secret_key: Option<String>) -> Result<BustApi, bustjwt::ConfigError> {
    let mut app = BustApi::new();
    match secret_key {
        Some(key) => app.secret_key(key),
        None => {
            eprintln!(
                "warning: SECRET_KEY is not set; using a random key, so tokens stop working \
                 when the server restarts (generate one with `openssl rand -base64 64`)"
            );
            app.secret_key(bustjwt::random_secret_key())
        }
    };
    Jwt::new(&mut app)?;

    app.post("/login", login);
    app.post("/refresh", refresh);
    app.get("/me", me);
    app.get("/protected", me);
    app.get("/feed", feed);
    app.post("/change-password", change_password);
    Ok(app)
}

#[allow(dead_code)] // The end-to-end tests include this file for `build_app` only.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let app = build_app(std::env::var("SECRET_KEY").ok())?;
    app.run()?;
    Ok(())
}
