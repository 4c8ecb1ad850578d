//! The server `bench/http.sh` loads: the `complete` example's routes plus an unauthenticated
//! `GET /plain`, with a fixed key and no access log (so the log does not dominate the numbers).
//!
//! `PORT` chooses the port (default 5000); `SECRET_KEY` overrides the fixed benchmark key.
//! Not for production: the fixed key is public.

#[path = "complete.rs"]
#[allow(dead_code, unreachable_pub)]
mod complete;

use bustjwt::prelude::*;

/// The benchmark's key: public, never use it for anything else.
const BENCH_KEY: &str = "bench-secret-key-bench-secret-key-0123456789";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("SECRET_KEY").unwrap_or_else(|_| BENCH_KEY.to_owned());
    let mut app = complete::build_app(Some(key))?;
    app.get("/plain", |_req: Request| json!({ "status": "ok" }));
    app.run()?;
    Ok(())
}
