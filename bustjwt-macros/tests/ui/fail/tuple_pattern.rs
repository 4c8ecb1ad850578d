use bustjwt::{Request, jwt_required};

#[jwt_required]
fn me((a, b): (Request, Request)) {
    let _ = (a, b);
}

#[jwt_required]
fn you(_: Request) {}

fn main() {}
