use bustjwt::{Request, jwt_required};

struct Api;

#[jwt_required]
impl Api {
    fn me(_req: Request) {}
}

fn main() {}
