use bustjwt::{jwt_required, Request};

#[jwt_required]
const fn me(req: Request) -> Request {
    req
}

fn main() {}
