#![deny(warnings)]

//! `mut req` rebinds the checked request mutably, without an `unused_mut` warning for the
//! parameter the macro passes on.

use bustjwt::{BustApi, Request, jwt_required};

#[jwt_required]
fn sync_mut(mut req: Request) -> String {
    req = req.with_param("seen", "yes");
    req.param("seen").unwrap_or_default().to_owned()
}

#[jwt_required]
async fn async_mut(mut req: Request) -> String {
    req = req.with_param("seen", "yes");
    req.param("seen").unwrap_or_default().to_owned()
}

fn main() {
    BustApi::new()
        .get("/sync", sync_mut)
        .get("/async", async_mut);
}
