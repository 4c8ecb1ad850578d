#![deny(warnings)]

use bustjwt::{
    BustApi, Request, fresh_jwt_required, json, jwt_optional, jwt_refresh_token_required,
    jwt_required,
};
use serde_json::Value;

#[jwt_required]
async fn access(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

#[jwt_optional]
async fn optional(req: Request) -> Value {
    json!({ "user": req.jwt_identity(), "error": req.jwt_error().map(|e| e.to_string()) })
}

#[fresh_jwt_required]
fn fresh(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

#[jwt_refresh_token_required]
fn refresh(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

// Through the facade's path, as `#[bustjwt::..]`.
#[bustjwt::jwt_required]
fn qualified(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

fn main() {
    BustApi::new()
        .get("/access", access)
        .get("/optional", optional)
        .post("/fresh", fresh)
        .post("/refresh", refresh)
        .get("/qualified", qualified);
}
