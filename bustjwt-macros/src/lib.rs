//! Guard attributes for [bustjwt](https://docs.rs/bustjwt) handlers: `#[jwt_required]`,
//! `#[jwt_optional]`, `#[fresh_jwt_required]` and `#[jwt_refresh_token_required]`.
//!
//! Use them through the `bustjwt` crate, which re-exports them; this crate is an implementation
//! detail, pinned by `bustjwt` to an exact version.
//!
//! # Example
//!
//! ```
//! use bustjwt::{jwt_optional, jwt_required, json, BustApi, Request};
//! use serde_json::Value;
//!
//! #[jwt_required]
//! async fn me(req: Request) -> Value {
//!     json!({ "user": req.jwt_identity() })
//! }
//!
//! #[jwt_optional]
//! fn feed(req: Request) -> Value {
//!     match req.jwt_identity() {
//!         Some(user) => json!({ "feed": format!("picked for {user}") }),
//!         None => json!({ "feed": "popular" }),
//!     }
//! }
//!
//! let mut app = BustApi::new();
//! app.get("/me", me).get("/feed", feed);
//! ```
//!
//! # What the attributes do
//!
//! Each attribute checks the request's `Authorization: Bearer <token>` header before the
//! handler's body runs. When the token does not meet the requirement, the handler answers
//! `401 Unauthorized` with a JSON body and a `WWW-Authenticate` challenge (or `500` when the
//! app has no JWT configuration), and its body does not run.
//!
//! | attribute                        | the body runs when the request carries               |
//! |----------------------------------|------------------------------------------------------|
//! | `#[jwt_required]`                | a valid access token                                 |
//! | `#[fresh_jwt_required]`          | a valid access token issued fresh (by a login)       |
//! | `#[jwt_refresh_token_required]`  | a valid refresh token                                |
//! | `#[jwt_optional]`                | anything; a valid access token sets the identity     |
//!
//! # Handler shape
//!
//! A guarded handler is a `fn` or an `async fn` whose only parameter is the request, taken by
//! value: `req: Request` or `mut req: Request` (any type implementing `bustjwt::AuthRequest`
//! works, including a generic `R: AuthRequest`). It may return any type, including
//! `impl IntoResponse` and `Result`s, use `?` and `return`, and carry doc comments and other
//! attributes, which are kept in order.
//!
//! The attributes refuse, with an error pointing at the problem: items that are not functions
//! (structs, impl blocks, statics holding closures, ..), functions with no parameter or with
//! more than one, methods taking `self`, `const`, `unsafe`, `extern` and variadic functions, a
//! request parameter written as a pattern rather than a name, and a second guard attribute on
//! the same handler.
//!
//! The one visible change to the signature is the return type: `T` becomes
//! `Result<T, bustjwt::Rejection>` (`T` is `()` when there is no return type), which the router
//! turns into a response. Each attribute's documentation shows the equivalent code.
//!
//! # Rename package
//!
//! Generated code names the runtime through `::bustjwt`. If you depend on `bustjwt` under
//! another name, or re-export it from another crate, say where it is with `crate = ".."`:
//!
//! ```
//! use bustjwt as auth;
//!
//! #[auth::jwt_required(crate = "auth")]
//! fn me(req: auth::Request) -> String {
//!     req.jwt_identity().unwrap_or_default().to_owned()
//! }
//! # auth::BustApi::new().get("/me", me);
//! ```
//!
//! # Debugging
//!
//! Set `BUSTJWT_MACROS_DEBUG=1` while building to print every expansion to stderr. Cargo does
//! not rebuild when only the variable changes: touch the file that uses the attribute.
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings, rust_2018_idioms))))]

use proc_macro::TokenStream;

use crate::expand::Requirement;

mod args;
mod expand;

/// Runs the handler only for requests carrying a valid **access token**; answers the others
/// with `401 Unauthorized`.
///
/// The body reads the token's identity and claims from the request (`req.jwt_identity()`,
/// `req.jwt_claims()`).
///
/// # Example
///
/// ```
/// use bustjwt::{jwt_required, json, BustApi, Request};
/// use serde_json::Value;
///
/// #[jwt_required]
/// async fn me(req: Request) -> Value {
///     json!({ "user": req.jwt_identity() })
/// }
///
/// let mut app = BustApi::new();
/// app.get("/me", me);
/// ```
///
/// The handler may also be sync, return a `Result` and use `?` and `return` in its body:
///
/// ```
/// use bustjwt::{jwt_required, Request};
///
/// /// Doubles `n` from the query string, for signed-in users only.
/// #[jwt_required]
/// pub fn double(req: Request) -> Result<String, String> {
///     let n: i64 = req.query("n").unwrap_or("0").parse().map_err(|_| "`n` must be a number")?;
///     if n == 0 {
///         return Ok("zero".to_owned());
///     }
///     Ok((2 * n).to_string())
/// }
/// # bustjwt::BustApi::new().get("/double", double);
/// ```
///
/// # Arguments
///
/// `#[jwt_required(crate = "path")]`: the path of the `bustjwt` crate, when it is renamed or
/// re-exported (default: `::bustjwt`). There are no other arguments.
///
/// # Equivalent code
///
/// The attribute changes only the return type, `T` becoming `Result<T, Rejection>`, and runs the
/// body, in its own scope, after the guard. The `me` handler above is equivalent to:
///
/// ```
/// use bustjwt::{json, Rejection, Request, Requirement};
/// use serde_json::Value;
///
/// async fn me(req: Request) -> Result<Value, Rejection> {
///     let req = match bustjwt::guard(req, Requirement::Access) {
///         Ok(req) => req,
///         Err(rejection) => return Err(rejection),
///     };
///     Ok(async move { json!({ "user": req.jwt_identity() }) }.await)
/// }
/// # bustjwt::BustApi::new().get("/me", me);
/// ```
///
/// A sync handler's body runs in a closure instead, `Ok((move || -> Value { .. })())`, so
/// `return` and `?` in the body keep their meaning. The real expansion spells every path in
/// full, names the runtime through the hidden `bustjwt::__private` module, and for async bodies
/// adds a `return` that never runs but tells the compiler the body's type, so that type errors
/// point at your code.
#[proc_macro_attribute]
pub fn jwt_required(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Requirement::Access, args.into(), item.into()).into()
}

/// Runs the handler for every request; a valid **access token** sets the identity, anything
/// else (no token, an invalid or expired one, a refresh token) leaves it unset.
///
/// Use it for routes that serve everyone but personalize for signed-in users. The request also
/// tells why a presented token was not accepted (`req.jwt_error()`), should you report it.
///
/// # Example
///
/// ```
/// use bustjwt::{jwt_optional, json, BustApi, Request};
/// use serde_json::Value;
///
/// #[jwt_optional]
/// fn feed(req: Request) -> Value {
///     match req.jwt_identity() {
///         Some(user) => json!({ "feed": format!("picked for {user}") }),
///         None => json!({ "feed": "popular" }),
///     }
/// }
///
/// let mut app = BustApi::new();
/// app.get("/feed", feed);
/// ```
///
/// # Arguments
///
/// `#[jwt_optional(crate = "path")]`: the path of the `bustjwt` crate, when it is renamed or
/// re-exported (default: `::bustjwt`). There are no other arguments.
///
/// # Equivalent code
///
/// The return type still becomes `Result<T, Rejection>`: the guard refuses a request only when
/// the app has no JWT configuration (`500`). The `feed` handler above is equivalent to:
///
/// ```
/// use bustjwt::{json, Rejection, Request, Requirement};
/// use serde_json::Value;
///
/// fn feed(req: Request) -> Result<Value, Rejection> {
///     let req = match bustjwt::guard(req, Requirement::Optional) {
///         Ok(req) => req,
///         Err(rejection) => return Err(rejection),
///     };
///     Ok((move || -> Value {
///         match req.jwt_identity() {
///             Some(user) => json!({ "feed": format!("picked for {user}") }),
///             None => json!({ "feed": "popular" }),
///         }
///     })())
/// }
/// # bustjwt::BustApi::new().get("/feed", feed);
/// ```
///
/// An async handler's body runs in an async block instead, `Ok(async move { .. }.await)`. The
/// real expansion spells every path in full and names the runtime through the hidden
/// `bustjwt::__private` module.
#[proc_macro_attribute]
pub fn jwt_optional(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Requirement::Optional, args.into(), item.into()).into()
}

/// Runs the handler only for requests carrying a valid, **fresh access token** (one issued by a
/// login, not by a refresh); answers the others with `401 Unauthorized`.
///
/// Use it for sensitive actions such as changing a password, so that a long-lived refresh token
/// alone is not enough.
///
/// # Example
///
/// ```
/// use bustjwt::{fresh_jwt_required, json, BustApi, Request};
/// use serde_json::Value;
///
/// #[fresh_jwt_required]
/// async fn change_password(req: Request) -> Value {
///     json!({ "changed_for": req.jwt_identity() })
/// }
///
/// let mut app = BustApi::new();
/// app.post("/password", change_password);
/// ```
///
/// # Arguments
///
/// `#[fresh_jwt_required(crate = "path")]`: the path of the `bustjwt` crate, when it is renamed
/// or re-exported (default: `::bustjwt`). There are no other arguments.
///
/// # Equivalent code
///
/// The `change_password` handler above is equivalent to:
///
/// ```
/// use bustjwt::{json, Rejection, Request, Requirement};
/// use serde_json::Value;
///
/// async fn change_password(req: Request) -> Result<Value, Rejection> {
///     let req = match bustjwt::guard(req, Requirement::FreshAccess) {
///         Ok(req) => req,
///         Err(rejection) => return Err(rejection),
///     };
///     Ok(async move { json!({ "changed_for": req.jwt_identity() }) }.await)
/// }
/// # bustjwt::BustApi::new().post("/password", change_password);
/// ```
///
/// A sync handler's body runs in a closure instead, `Ok((move || -> T { .. })())`. See
/// [`macro@jwt_required`] for the details of the expansion.
#[proc_macro_attribute]
pub fn fresh_jwt_required(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Requirement::FreshAccess, args.into(), item.into()).into()
}

/// Runs the handler only for requests carrying a valid **refresh token**; answers the others
/// (access tokens included) with `401 Unauthorized`.
///
/// Use it on the route that trades a refresh token for a new access token.
///
/// # Example
///
/// ```
/// use bustjwt::{jwt_refresh_token_required, json, BustApi, Request};
/// use serde_json::Value;
///
/// #[jwt_refresh_token_required]
/// async fn refresh(req: Request) -> Value {
///     // A real handler would issue a new access token for this identity.
///     json!({ "refreshing": req.jwt_identity() })
/// }
///
/// let mut app = BustApi::new();
/// app.post("/refresh", refresh);
/// ```
///
/// # Arguments
///
/// `#[jwt_refresh_token_required(crate = "path")]`: the path of the `bustjwt` crate, when it is
/// renamed or re-exported (default: `::bustjwt`). There are no other arguments.
///
/// # Equivalent code
///
/// The `refresh` handler above is equivalent to:
///
/// ```
/// use bustjwt::{json, Rejection, Request, Requirement};
/// use serde_json::Value;
///
/// async fn refresh(req: Request) -> Result<Value, Rejection> {
///     let req = match bustjwt::guard(req, Requirement::Refresh) {
///         Ok(req) => req,
///         Err(rejection) => return Err(rejection),
///     };
///     Ok(async move { json!({ "refreshing": req.jwt_identity() }) }.await)
/// }
/// # bustjwt::BustApi::new().post("/refresh", refresh);
/// ```
///
/// A sync handler's body runs in a closure instead, `Ok((move || -> T { .. })())`. See
/// [`macro@jwt_required`] for the details of the expansion.
#[proc_macro_attribute]
pub fn jwt_refresh_token_required(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Requirement::Refresh, args.into(), item.into()).into()
}
