use bustjwt::jwt_required;

#[jwt_required]
struct Handler;

fn main() {}
