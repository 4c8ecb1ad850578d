#![deny(warnings)]

use bustjwt::{BustApi, Request, json, jwt_required};
use serde_json::Value;

#[jwt_required]
async fn me(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

#[jwt_required]
async fn no_content(_req: Request) {}

fn main() {
    BustApi::new().get("/me", me).post("/ping", no_content);
}
