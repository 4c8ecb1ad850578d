use bustjwt::{Request, jwt_required};

#[jwt_required]
static HANDLER: fn(Request) -> &'static str = |_req| "hello";

fn main() {}
