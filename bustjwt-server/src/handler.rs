//! Handlers: the [`Handler`] trait that lets plain `fn`s and `async fn`s serve routes.
//!
//! A handler takes the [`Request`] and returns anything that implements [`IntoResponse`],
//! directly (a sync handler) or through a future (an async handler). Both kinds go through the
//! same [`BustApi::get`](crate::BustApi::get): the `M` parameter of [`Handler<M>`] is a marker,
//! [`SyncMarker`] or [`AsyncMarker`], that the compiler infers, the trick axum uses to accept
//! many function shapes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// Something that can serve a route: a function or closure taking a [`Request`].
///
/// Implemented for
/// - `Fn(Request) -> R` where `R: IntoResponse`: a **sync** handler. It runs inline on the
///   async runtime's worker thread, so it must not block: slow work (password hashing, file or
///   database I/O through a blocking API) belongs in an async handler, inside
///   [`tokio::task::spawn_blocking`].
/// - `Fn(Request) -> Fut` where `Fut: Future + Send` and `Fut::Output: IntoResponse`: an **async**
///   handler, such as an `async fn` or a closure returning an `async` block.
///
/// ```
/// use bustjwt_server::{BustApi, Request};
/// use serde_json::{Value, json};
///
/// fn health(_req: Request) -> &'static str {
///     "ok"
/// }
///
/// async fn hash(req: Request) -> Value {
///     let input = req.body().clone();
///     // CPU-heavy work goes to the blocking pool, not the async worker.
///     let len = tokio::task::spawn_blocking(move || input.len()).await.unwrap_or(0);
///     json!({ "len": len })
/// }
///
/// let mut app = BustApi::new();
/// app.get("/health", health)
///     .post("/hash", hash)
///     .get("/hello/<name>", |req: Request| {
///         format!("Hello, {}!", req.param("name").unwrap_or("stranger"))
///     })
///     .get("/later", |_req: Request| async { json!({"done": true}) });
/// ```
///
/// Closures need their parameter type written out (`|req: Request| ..`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler",
    label = "not a handler",
    note = "a handler is a `fn(Request) -> impl IntoResponse` or an `async fn(Request) -> impl IntoResponse` (its future must be `Send`)"
)]
pub trait Handler<M>: Send + Sync + 'static {
    /// Runs the handler. A sync handler runs to completion inside this call; an async handler
    /// returns its future unpolled.
    fn call(&self, req: Request) -> ResponseFuture;
}

/// Marks [`Handler`] implementations for functions returning a response directly.
#[derive(Debug)]
pub enum SyncMarker {}

/// Marks [`Handler`] implementations for functions returning a future of a response.
#[derive(Debug)]
pub enum AsyncMarker {}

impl<F, R> Handler<SyncMarker> for F
where
    F: Fn(Request) -> R + Send + Sync + 'static,
    R: IntoResponse,
{
    fn call(&self, req: Request) -> ResponseFuture {
        ResponseFuture::ready(self(req).into_response())
    }
}

impl<F, Fut> Handler<AsyncMarker> for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoResponse,
{
    fn call(&self, req: Request) -> ResponseFuture {
        let future = self(req);
        ResponseFuture::boxed(async move { future.await.into_response() })
    }
}

/// The future of a handler's [`Response`].
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture {
    inner: Inner,
}

enum Inner {
    /// A sync handler's response: no allocation needed.
    Ready(Option<Response>),
    Boxed(Pin<Box<dyn Future<Output = Response> + Send>>),
}

impl ResponseFuture {
    /// A future that is ready with `response`.
    pub fn ready(response: Response) -> Self {
        ResponseFuture {
            inner: Inner::Ready(Some(response)),
        }
    }

    /// Boxes `future`.
    pub fn boxed(future: impl Future<Output = Response> + Send + 'static) -> Self {
        ResponseFuture {
            inner: Inner::Boxed(Box::pin(future)),
        }
    }
}

impl Future for ResponseFuture {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match &mut self.get_mut().inner {
            Inner::Ready(response) => Poll::Ready(
                response
                    .take()
                    .expect("`ResponseFuture` polled after completion"),
            ),
            Inner::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// A handler with its marker erased, shared by every request of its route.
pub(crate) type BoxedHandler = Arc<dyn Fn(Request) -> ResponseFuture + Send + Sync>;

/// Erases `handler`'s type.
pub(crate) fn boxed<M, H: Handler<M>>(handler: H) -> BoxedHandler {
    Arc::new(move |req| handler.call(req))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{body_of, now};
    use serde_json::{Value, json};

    fn run<M>(handler: impl Handler<M>) -> Response {
        now(boxed(handler)(Request::default()))
    }

    fn sync_fn(_req: Request) -> Value {
        json!({"kind": "sync"})
    }

    async fn async_fn(_req: Request) -> (Value, u16) {
        (json!({"kind": "async"}), 201)
    }

    #[test]
    fn fn_items_and_closures_of_both_kinds() {
        assert_eq!(body_of(run(sync_fn)), r#"{"kind":"sync"}"#);
        let response = run(async_fn);
        assert_eq!(response.status(), 201);
        assert_eq!(body_of(response), r#"{"kind":"async"}"#);
        assert_eq!(body_of(run(|_req: Request| "closure")), "closure");
        assert_eq!(
            body_of(run(|req: Request| async move { req.path().to_owned() })),
            "/"
        );
        let greeting = String::from("captured");
        assert_eq!(
            body_of(run(move |_req: Request| greeting.clone())),
            "captured"
        );
    }

    #[test]
    fn result_handlers() {
        fn fallible(_req: Request) -> Result<Value, crate::HttpError> {
            Err(crate::HttpError::forbidden("no"))
        }
        assert_eq!(run(fallible).status(), 403);
    }
}
