use bustjwt::jwt_refresh_token_required;

struct Api;

impl Api {
    #[jwt_refresh_token_required(foo)]
    const unsafe fn me(&self) {}
}

fn main() {}
