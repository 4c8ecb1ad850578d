use bustjwt::{Request, jwt_required};

#[jwt_required]
const fn me(req: Request) -> Request {
    req
}

fn main() {}
