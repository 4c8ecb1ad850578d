//! What the guard attributes do at run time: the guard runs before the body, a refused request
//! never reaches it, and each attribute asks for its own kind of token.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bustjwt::{
    Jwt, Rejection, Request, TokenOptions, fresh_jwt_required, jwt_optional,
    jwt_refresh_token_required, jwt_required,
};

thread_local! {
    /// How many handler bodies ran on this test's thread.
    static BODY_RUNS: Cell<u32> = const { Cell::new(0) };
}

fn body_ran() {
    BODY_RUNS.with(|runs| runs.set(runs.get() + 1));
}

fn body_runs() -> u32 {
    BODY_RUNS.with(Cell::get)
}

#[jwt_required]
fn access(req: Request) -> String {
    body_ran();
    req.jwt_identity().unwrap_or_default().to_owned()
}

#[jwt_required]
async fn access_async(req: Request) -> String {
    body_ran();
    req.jwt_identity().unwrap_or_default().to_owned()
}

#[jwt_optional]
fn optional(req: Request) -> Option<String> {
    body_ran();
    req.jwt_identity().map(str::to_owned)
}

#[fresh_jwt_required]
fn fresh(req: Request) -> String {
    body_ran();
    req.jwt_identity().unwrap_or_default().to_owned()
}

#[jwt_refresh_token_required]
async fn refresh(mut req: Request) -> String {
    body_ran();
    req = req.with_param("via", "refresh");
    format!(
        "{}/{}",
        req.jwt_identity().unwrap_or_default(),
        req.param("via").unwrap_or_default()
    )
}

/// Runs a future that never waits (the handlers here do not).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the handler waited"),
    }
}

/// The handler's output, or the status of the guard's rejection.
fn outcome<T>(result: Result<T, Rejection>) -> Result<T, u16> {
    result.map_err(|rejection| rejection.status())
}

fn jwt() -> Jwt {
    Jwt::builder()
        .secret_key([7; 32])
        .build()
        .expect("a 32-byte key is a valid HS256 configuration")
}

/// A request the app would pass to a handler, with `Authorization: Bearer <token>` if given.
fn request(jwt: &Jwt, token: Option<&str>) -> Request {
    let mut builder = http::Request::builder().uri("/me");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let http_request = builder.body(Vec::<u8>::new()).expect("a valid request");
    Request::from_http(http_request).with_jwt(jwt.clone())
}

#[test]
fn without_jwt_configuration_every_guard_refuses() {
    assert_eq!(outcome(access(Request::default())), Err(500));
    assert_eq!(outcome(now(access_async(Request::default()))), Err(500));
    assert_eq!(outcome(optional(Request::default())), Err(500));
    assert_eq!(outcome(fresh(Request::default())), Err(500));
    assert_eq!(outcome(now(refresh(Request::default()))), Err(500));
    assert_eq!(body_runs(), 0);
}

#[test]
fn jwt_required_wants_an_access_token() {
    let jwt = jwt();
    let access_token = jwt.create_access_token("ada");
    let refresh_token = jwt.create_refresh_token("ada");

    assert_eq!(outcome(access(request(&jwt, None))), Err(401));
    assert_eq!(
        outcome(access(request(&jwt, Some("not.a.token")))),
        Err(401)
    );
    assert_eq!(
        outcome(access(request(&jwt, Some(&refresh_token)))),
        Err(401)
    );
    assert_eq!(body_runs(), 0, "a refused request never reaches the body");

    assert_eq!(
        outcome(access(request(&jwt, Some(&access_token)))),
        Ok("ada".to_owned())
    );
    let async_outcome = now(access_async(request(&jwt, Some(&access_token))));
    assert_eq!(outcome(async_outcome), Ok("ada".to_owned()));
    assert_eq!(outcome(now(access_async(request(&jwt, None)))), Err(401));
    assert_eq!(body_runs(), 2);
}

#[test]
fn jwt_optional_runs_the_body_for_everyone() {
    let jwt = jwt();
    let access_token = jwt.create_access_token("ada");
    let refresh_token = jwt.create_refresh_token("ada");

    assert_eq!(outcome(optional(request(&jwt, None))), Ok(None));
    assert_eq!(
        outcome(optional(request(&jwt, Some("not.a.token")))),
        Ok(None)
    );
    assert_eq!(
        outcome(optional(request(&jwt, Some(&refresh_token)))),
        Ok(None)
    );
    let signed_in = optional(request(&jwt, Some(&access_token)));
    assert_eq!(outcome(signed_in), Ok(Some("ada".to_owned())));
    assert_eq!(body_runs(), 4);
}

#[test]
fn fresh_jwt_required_wants_a_fresh_access_token() {
    let jwt = jwt();
    let fresh_token = jwt.create_access_token("ada");
    let stale_token = jwt
        .create_access_token_with("ada", TokenOptions::new().fresh(false))
        .expect("no custom claims");

    assert_eq!(outcome(fresh(request(&jwt, Some(&stale_token)))), Err(401));
    assert_eq!(outcome(fresh(request(&jwt, None))), Err(401));
    assert_eq!(body_runs(), 0);
    assert_eq!(
        outcome(fresh(request(&jwt, Some(&fresh_token)))),
        Ok("ada".to_owned())
    );
    assert_eq!(body_runs(), 1);
}

#[test]
fn jwt_refresh_token_required_wants_a_refresh_token() {
    let jwt = jwt();
    let access_token = jwt.create_access_token("ada");
    let refresh_token = jwt.create_refresh_token("ada");

    assert_eq!(
        outcome(now(refresh(request(&jwt, Some(&access_token))))),
        Err(401)
    );
    assert_eq!(body_runs(), 0);
    let refreshed = now(refresh(request(&jwt, Some(&refresh_token))));
    assert_eq!(outcome(refreshed), Ok("ada/refresh".to_owned()));
    assert_eq!(body_runs(), 1);
}
