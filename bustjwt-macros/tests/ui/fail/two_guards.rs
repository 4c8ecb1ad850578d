use bustjwt::{Request, jwt_optional, jwt_required};

#[jwt_required]
#[jwt_optional]
fn me(_req: Request) {}

#[jwt_required]
#[bustjwt::jwt_required]
fn you(_req: Request) {}

fn main() {}
