use bustjwt::{Request, jwt_required};

#[jwt_required]
fn sync_tail(_req: Request) -> String {
    42
}

#[jwt_required]
fn sync_return(req: Request) -> String {
    if req.jwt_identity().is_none() {
        return 0;
    }
    String::new()
}

#[jwt_required]
async fn async_tail(_req: Request) -> String {
    42
}

#[jwt_required]
async fn async_return(req: Request) -> String {
    if req.jwt_identity().is_none() {
        return 0;
    }
    String::new()
}

fn main() {}
