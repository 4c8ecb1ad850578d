use bustjwt::{Request, jwt_required};

struct Api;

impl Api {
    #[jwt_required]
    fn me(&self, req: Request) -> String {
        format!("{:?}", req.jwt_identity())
    }
}

fn main() {}
