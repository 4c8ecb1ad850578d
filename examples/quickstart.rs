//! BustAPI's JWT quick start in Rust: a login route that issues a token and a protected route.
//!
//! Run with `cargo run --example quickstart`, then:
//!
//! ```text
//! TOKEN=$(curl -s -X POST http://127.0.0.1:5000/login | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
//! curl -s http://127.0.0.1:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```

use bustjwt::prelude::*;

#[jwt_required]
fn protected(req: Request) -> Value {
    json!({ "user": req.jwt_identity() })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut app = BustApi::new();
    // BustAPI's `app.secret_key = "your-secret-key"`; HS256 needs at least 32 bytes.
    app.secret_key(
        std::env::var("SECRET_KEY")
            .unwrap_or_else(|_| "your-secret-key-change-me-it-must-be-32-bytes-or-more".into()),
    );
    let jwt = Jwt::new(&mut app)?;

    app.post(
        "/login",
        move |_req: Request| json!({ "access_token": jwt.create_access_token("user123") }),
    );
    app.get("/protected", protected);

    app.run()?;
    Ok(())
}
