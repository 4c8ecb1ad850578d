#![deny(warnings)]

//! `crate = ".."` names the facade: a crate renamed in the extern prelude (`extern crate .. as`,
//! which is what a dependency renamed in Cargo.toml looks like), a `use .. as` alias, or any
//! module that provides `__private`, as the shim below proves by counting its calls.

extern crate bustjwt as bj;

use std::sync::atomic::{AtomicUsize, Ordering};

use bustjwt as renamed;

mod shim {
    pub mod __private {
        use std::sync::atomic::Ordering;

        pub use bustjwt::__private::{Rejection, Requirement};

        pub fn guard<R: bustjwt::AuthRequest>(
            req: R,
            requirement: Requirement,
        ) -> Result<R, Rejection> {
            crate::GUARD_CALLS.fetch_add(1, Ordering::SeqCst);
            bustjwt::__private::guard(req, requirement)
        }
    }
}

static GUARD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[renamed::jwt_required(crate = "renamed")]
fn alias(req: renamed::Request) -> String {
    req.jwt_identity().unwrap_or_default().to_owned()
}

#[bj::jwt_optional(crate = "::bj")]
async fn dependency(req: bj::Request) -> String {
    req.jwt_identity().unwrap_or_default().to_owned()
}

#[bustjwt::jwt_required(crate = "crate::shim")]
fn shimmed(req: bustjwt::Request) -> String {
    req.jwt_identity().unwrap_or_default().to_owned()
}

fn main() {
    bustjwt::BustApi::new()
        .get("/alias", alias)
        .get("/dependency", dependency)
        .get("/shimmed", shimmed);

    // No JWT configuration on a default request: the guard refuses it (500), through the shim.
    let response = shimmed(bustjwt::Request::default());
    assert_eq!(response.map_err(|rejection| rejection.status()), Err(500));
    assert_eq!(GUARD_CALLS.load(Ordering::SeqCst), 1);
}
