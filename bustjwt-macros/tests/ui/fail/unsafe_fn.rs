use bustjwt::{Request, jwt_required};

#[jwt_required]
unsafe fn me(_req: Request) {}

#[jwt_required]
extern "C" fn you(_req: Request) {}

fn main() {}
