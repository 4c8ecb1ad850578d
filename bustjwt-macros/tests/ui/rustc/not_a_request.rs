use bustjwt::jwt_required;

#[jwt_required]
fn me(name: String) -> String {
    name
}

fn main() {
    let _ = me;
}
