#![deny(warnings)]

use bustjwt::{BustApi, Request, json, jwt_optional};
use serde_json::Value;

#[jwt_optional]
fn feed(req: Request) -> Value {
    match req.jwt_identity() {
        Some(user) => json!({ "feed": format!("picked for {user}") }),
        None => json!({ "feed": "popular" }),
    }
}

#[jwt_optional]
fn no_content(_req: Request) {}

fn main() {
    BustApi::new().get("/feed", feed).post("/ping", no_content);
}
