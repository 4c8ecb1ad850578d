use bustjwt::jwt_required;

#[jwt_required]
const LIMIT: u32 = 10;

fn main() {}
