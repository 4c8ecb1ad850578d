#![deny(warnings)]

//! Handler shapes beyond the plain `fn(req: Request) -> T`.

use bustjwt::{AuthRequest, BustApi, Request, jwt_required};

/// Generic over the request type.
#[jwt_required]
fn generic<R>(req: R) -> &'static str
where
    R: AuthRequest,
{
    let _ = req;
    "ok"
}

pub struct Users;

impl Users {
    /// Associated functions, naming `Self` in the signature and body.
    #[jwt_required]
    pub fn one(_req: Request) -> Self {
        Self
    }

    #[jwt_required]
    pub async fn two(_req: Request) -> Self {
        Self
    }
}

pub struct Body;

/// The body may declare an item that shadows a type of the signature (tracing's
/// `type_shadowing` test): the signature keeps meaning the outer `Body`.
#[jwt_required]
fn shadowed(_req: Request) -> Body {
    #[allow(dead_code)]
    struct Body;
    crate::Body
}

#[jwt_required]
async fn shadowed_async(_req: Request) -> Body {
    #[allow(dead_code)]
    struct Body;
    crate::Body
}

/// Raw identifiers as the request's name.
#[jwt_required]
fn raw(r#type: Request) -> String {
    r#type.path().to_owned()
}

/// Bodies that never return.
#[jwt_required]
fn diverging(_req: Request) -> String {
    panic!("not yet")
}

#[jwt_required]
async fn diverging_async(_req: Request) -> String {
    panic!("not yet")
}

fn main() {
    BustApi::new()
        .get("/generic", generic::<Request>)
        .get("/raw", raw)
        .get("/diverging", diverging)
        .get("/diverging-async", diverging_async);
    let _ = (Users::one, Users::two, shadowed, shadowed_async);
}
