#![deny(warnings)]

//! Attributes around and inside a guarded handler are kept, in order.

use bustjwt::{BustApi, Request, jwt_required};

/// Returns the caller's identity.
///
/// More docs.
#[allow(clippy::needless_return)]
#[allow(unreachable_code)]
#[inline]
#[must_use]
#[jwt_required]
pub fn me(req: Request) -> String {
    // Without the inner attribute, `unused` would fail this test (`deny(warnings)`).
    #![allow(unused_variables)]
    let unused = 1;
    return req.jwt_identity().unwrap_or_default().to_owned();
    // Without `#[allow(unreachable_code)]`, this would fail the test.
    String::new()
}

/// A `#[cfg]` after the attribute is honoured: this definition is compiled out.
#[jwt_required]
#[cfg(any())]
pub fn me(_req: Request) -> String {
    compile_error!("`#[cfg]` was not kept");
}

#[jwt_required]
#[deprecated = "use `me`"]
pub fn old_me(req: Request) -> String {
    req.jwt_identity().unwrap_or_default().to_owned()
}

fn main() {
    #[allow(deprecated)]
    BustApi::new().get("/me", me).get("/old-me", old_me);
}
