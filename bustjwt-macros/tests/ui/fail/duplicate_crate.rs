use bustjwt::{Request, jwt_required};

#[jwt_required(crate = "bustjwt", crate = "bustjwt")]
fn me(_req: Request) {}

#[jwt_required(crate = "not a path")]
fn you(_req: Request) {}

fn main() {}
