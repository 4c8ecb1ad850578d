use bustjwt::{Request, jwt_required};

#[jwt_required]
fn me(req: Request, id: u64) -> String {
    format!("{:?} {id}", req.jwt_identity())
}

fn main() {}
