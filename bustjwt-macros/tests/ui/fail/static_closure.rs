use bustjwt::{jwt_required, Request};

#[jwt_required]
static HANDLER: fn(Request) -> &'static str = |_req| "hello";

fn main() {}
