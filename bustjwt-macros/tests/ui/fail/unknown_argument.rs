use bustjwt::{Request, jwt_required};

#[jwt_required(foo)]
fn me(_req: Request) {}

#[jwt_required(fresh = true)]
fn you(_req: Request) {}

fn main() {}
