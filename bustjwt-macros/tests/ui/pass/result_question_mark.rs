#![deny(warnings)]

//! `?` and `return` in the body keep their meaning: they leave the body with the handler's
//! declared type, and `?` converts errors with `From` as usual.

use std::num::ParseIntError;

use bustjwt::{BustApi, IntoResponse, Request, Response, StatusCode, json, jwt_required};
use serde_json::Value;

#[derive(Debug)]
enum MyError {
    NotANumber(ParseIntError),
    Zero,
}

impl From<ParseIntError> for MyError {
    fn from(error: ParseIntError) -> Self {
        MyError::NotANumber(error)
    }
}

impl IntoResponse for MyError {
    fn into_response(self) -> Response {
        let body = json!({ "error": format!("{self:?}") });
        (StatusCode::BAD_REQUEST, body).into_response()
    }
}

#[jwt_required]
fn sync_double(req: Request) -> Result<Value, MyError> {
    let n: i64 = req.query("n").unwrap_or("1").parse()?;
    if n == 0 {
        return Err(MyError::Zero);
    }
    Ok(json!({ "double": 2 * n }))
}

#[jwt_required]
async fn async_double(req: Request) -> Result<Value, MyError> {
    let n: i64 = req.query("n").unwrap_or("1").parse()?;
    if n == 0 {
        return Err(MyError::Zero);
    }
    Ok(json!({ "double": 2 * n }))
}

#[jwt_required]
fn early_return(req: Request) -> Value {
    if req.jwt_identity().is_none() {
        return json!({ "user": null });
    }
    json!({ "user": req.jwt_identity() })
}

#[jwt_required]
async fn async_early_return(req: Request) -> Value {
    if req.jwt_identity().is_none() {
        return json!({ "user": null });
    }
    json!({ "user": req.jwt_identity() })
}

fn main() {
    BustApi::new()
        .get("/sync", sync_double)
        .get("/async", async_double)
        .get("/early", early_return)
        .get("/async-early", async_early_return);
}
