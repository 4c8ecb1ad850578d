#![deny(warnings)]

use bustjwt::{BustApi, IntoResponse, Request, StatusCode, json, jwt_required};

#[jwt_required]
fn sync_status(req: Request) -> impl IntoResponse {
    (StatusCode::CREATED, json!({ "user": req.jwt_identity() }))
}

#[jwt_required]
async fn async_status(req: Request) -> impl IntoResponse {
    if req.jwt_identity().is_none() {
        return (StatusCode::ACCEPTED, json!({}));
    }
    (StatusCode::CREATED, json!({ "user": req.jwt_identity() }))
}

fn main() {
    BustApi::new()
        .post("/sync", sync_status)
        .post("/async", async_status);
}
