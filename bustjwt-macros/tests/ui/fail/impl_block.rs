use bustjwt::{jwt_required, Request};

struct Api;

#[jwt_required]
impl Api {
    fn me(_req: Request) {}
}

fn main() {}
