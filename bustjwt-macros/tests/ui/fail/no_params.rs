use bustjwt::jwt_required;

#[jwt_required]
fn me() -> &'static str {
    "hello"
}

fn main() {}
