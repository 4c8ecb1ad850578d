//! The rewrite behind every guard attribute: check the handler, then wrap its body in a call to
//! `bustjwt::__private::guard`.
//!
//! Only two things of the user's function change: its return type `T` becomes
//! `Result<T, Rejection>`, and its body runs after the guard, in its own closure (sync) or async
//! block (async) so that `return` and `?` inside it keep their meaning. Everything else (attributes,
//! visibility, generics, the parameter's name and type) is re-emitted with the user's own tokens.

use std::fmt;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    AttrStyle, Attribute, Block, FnArg, Ident, Item, ItemFn, Pat, ReturnType, Safety, Signature,
    Token, Type, Visibility,
};

use crate::args::Args;

/// Which guard attribute is being expanded; mirrors `bustjwt_core::Requirement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// `#[jwt_required]`
    Access,
    /// `#[jwt_optional]`
    Optional,
    /// `#[fresh_jwt_required]`
    FreshAccess,
    /// `#[jwt_refresh_token_required]`
    Refresh,
}

impl Requirement {
    /// All guard attributes, to spot a second one on the same handler.
    const ALL: [Requirement; 4] = [
        Requirement::Access,
        Requirement::Optional,
        Requirement::FreshAccess,
        Requirement::Refresh,
    ];

    /// The attribute's name, as users write it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Requirement::Access => "jwt_required",
            Requirement::Optional => "jwt_optional",
            Requirement::FreshAccess => "fresh_jwt_required",
            Requirement::Refresh => "jwt_refresh_token_required",
        }
    }

    /// The matching variant of `bustjwt_core::Requirement`.
    fn variant(self) -> &'static str {
        match self {
            Requirement::Access => "Access",
            Requirement::Optional => "Optional",
            Requirement::FreshAccess => "FreshAccess",
            Requirement::Refresh => "Refresh",
        }
    }

    /// The guard attribute `attr` is, if it is one (matched on its last path segment, so
    /// `#[bustjwt::jwt_optional]` counts too).
    fn of_attribute(attr: &Attribute) -> Option<Requirement> {
        let last = attr.path().segments.last()?;
        Requirement::ALL
            .into_iter()
            .find(|r| last.ident == r.name())
    }
}

impl fmt::Display for Requirement {
    /// `` `#[jwt_required]` ``, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`#[{}]`", self.name())
    }
}

/// Expands `#[<requirement>(args)] item`.
///
/// The only place that turns a `syn::Result` into tokens: on error it emits the user's item
/// unchanged next to the errors, so IDEs keep working inside it and the rest of the crate gets no
/// spurious "cannot find function" errors (as tokio-macros does).
pub(crate) fn expand(
    requirement: Requirement,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let output = match guard(requirement, args, item.clone()) {
        Ok(tokens) => tokens,
        Err(errors) => {
            let mut tokens = item;
            tokens.extend(errors.into_compile_error());
            tokens
        }
    };
    if std::env::var_os("BUSTJWT_MACROS_DEBUG").is_some() {
        eprintln!("#[{}] expanded to:\n{output}\n", requirement.name());
    }
    output
}

/// Parses and checks the arguments and the handler, then rewrites it.
fn guard(
    requirement: Requirement,
    args: TokenStream,
    item: TokenStream,
) -> syn::Result<TokenStream> {
    let args = Args::parse(requirement, args);
    let handler = Handler::parse(requirement, item);
    let (args, handler) = both(args, handler)?;
    Ok(rewrite(requirement, &args, handler))
}

/// Both values, or all the errors of both, in order.
fn both<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut errors), Err(more)) => {
            errors.combine(more);
            Err(errors)
        }
        (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => Err(errors),
    }
}

/// Collects errors so a user sees all of them at once (serde_derive's `Ctxt`).
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// A checked handler function, ready to be rewritten.
struct Handler {
    /// All attributes, in order; inner ones (`#![allow(..)]` in the body) turned into outer ones.
    attrs: Vec<Attribute>,
    vis: Visibility,
    /// The signature; its one parameter is `ident: ty`, without the user's `mut`.
    sig: Signature,
    /// The user's `mut`, if they wrote `mut req: Request`.
    mutability: Option<Token![mut]>,
    /// The request parameter's name.
    ident: Ident,
    /// The request parameter's type.
    ty: Type,
    block: Block,
}

impl Handler {
    /// Parses `item` and checks it is a function the guard can wrap.
    fn parse(requirement: Requirement, item: TokenStream) -> syn::Result<Handler> {
        match syn::parse2(item)? {
            Item::Fn(function) => Handler::from_fn(requirement, function),
            item => Err(not_a_function(requirement, &item)),
        }
    }

    fn from_fn(requirement: Requirement, function: ItemFn) -> syn::Result<Handler> {
        let ItemFn {
            mut attrs,
            vis,
            modifiers,
            mut sig,
            block,
            ..
        } = function;
        let mut errors = Errors::default();
        if let Err(error) = modifiers.require_empty() {
            errors.push(error);
        }

        for attr in &mut attrs {
            if let Some(other) = Requirement::of_attribute(attr) {
                let message = if other == requirement {
                    format!("{requirement} is applied twice: remove one of them")
                } else {
                    format!(
                        "{requirement} cannot be combined with {other}: \
                         a handler takes exactly one guard attribute"
                    )
                };
                errors.push(syn::Error::new_spanned(&*attr, message));
            }
            attr.style = AttrStyle::Outer;
        }

        check_signature(requirement, &sig, &mut errors);
        let ((), (mutability, ident, ty)) =
            both(errors.finish(), take_request(requirement, &mut sig))?;
        Ok(Handler {
            attrs,
            vis,
            sig,
            mutability,
            ident,
            ty,
            block: *block,
        })
    }
}

/// The error for an attribute on something that is not a function, spanned at its keyword.
fn not_a_function(requirement: Requirement, item: &Item) -> syn::Error {
    let (keyword, what): (TokenStream, &str) = match item {
        Item::Const(i) => (i.const_token.into_token_stream(), "a const"),
        Item::Enum(i) => (i.enum_token.into_token_stream(), "an enum"),
        Item::ExternCrate(i) => (quote!(#i), "an `extern crate`"),
        Item::ForeignMod(i) => (i.abi.to_token_stream(), "an `extern` block"),
        Item::Impl(i) => (i.impl_token.into_token_stream(), "an impl block"),
        Item::Macro(i) => (i.mac.to_token_stream(), "a macro invocation"),
        Item::Mod(i) => (i.mod_token.into_token_stream(), "a module"),
        Item::Static(i) => (i.static_token.into_token_stream(), "a static"),
        Item::Struct(i) => (i.struct_token.into_token_stream(), "a struct"),
        Item::Trait(i) => (i.trait_token.into_token_stream(), "a trait"),
        Item::TraitAlias(i) => (i.trait_token.into_token_stream(), "a trait alias"),
        Item::Type(i) => (i.type_token.into_token_stream(), "a type alias"),
        Item::Union(i) => (i.union_token.into_token_stream(), "a union"),
        Item::Use(i) => (i.use_token.into_token_stream(), "a `use`"),
        other => (other.to_token_stream(), "this item"),
    };
    syn::Error::new_spanned(
        keyword,
        format!(
            "{requirement} can only be applied to a handler function, not to {what}: \
             write `fn handler(req: bustjwt::Request) -> ..` (or `async fn`)"
        ),
    )
}

/// Checks the parts of the signature other than its parameter list.
fn check_signature(requirement: Requirement, sig: &Signature, errors: &mut Errors) {
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            format!("{requirement} cannot be applied to a `const fn`: remove `const`"),
        ));
    }
    if let Safety::Unsafe(safety) = &sig.safety {
        errors.push(syn::Error::new_spanned(
            safety,
            format!(
                "{requirement} cannot be applied to an `unsafe fn`: the router calls handlers \
                 as safe functions; remove `unsafe` and use an `unsafe` block inside"
            ),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!(
                "{requirement} cannot be applied to an `extern` fn: remove `{}`",
                quote!(#abi)
            ),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            format!("{requirement} cannot be applied to a variadic fn: remove `...`"),
        ));
    }
}

/// Finds the request parameter (the first and only one), checks it and removes its `mut` from
/// the signature. Returns its `mut`, name and type.
fn take_request(
    requirement: Requirement,
    sig: &mut Signature,
) -> syn::Result<(Option<Token![mut]>, Ident, Type)> {
    let request = match sig.inputs.first_mut() {
        None => Err(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "{requirement} handlers take the request as their only parameter: \
                 add it, e.g. `fn {}(req: bustjwt::Request)`",
                sig.ident
            ),
        )),
        Some(FnArg::Receiver(receiver)) => Err(syn::Error::new_spanned(
            &*receiver,
            format!(
                "{requirement} cannot be applied to a method taking `self`: a handler takes \
                 the request as its only parameter, e.g. `fn {}(req: bustjwt::Request)`",
                sig.ident
            ),
        )),
        Some(FnArg::Typed(param)) => match &mut *param.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => Ok((
                pat.mutability.take(),
                pat.ident.clone(),
                (*param.ty).clone(),
            )),
            other => Err(syn::Error::new_spanned(
                &*other,
                format!(
                    "{requirement} needs the request bound to a plain name: \
                     write `req: {}` (or `mut req: ..`)",
                    param.ty.to_token_stream()
                ),
            )),
        },
    };
    // After `self`, the extra-parameter error would only repeat the point.
    let extra: Vec<&FnArg> = sig.inputs.iter().skip(1).collect();
    let one_parameter = if extra.is_empty() || sig.receiver().is_some() {
        Ok(())
    } else {
        Err(syn::Error::new_spanned(
            quote!(#(#extra),*),
            format!(
                "{requirement} handlers take exactly one parameter, the request: \
                 remove the others and read what you need from the request"
            ),
        ))
    };
    let (request, ()) = both(request, one_parameter)?;
    Ok(request)
}

/// Emits the guarded handler (see the crate docs' "Equivalent code").
fn rewrite(requirement: Requirement, args: &Args, handler: Handler) -> TokenStream {
    let Handler {
        attrs,
        vis,
        mut sig,
        mutability,
        ident,
        ty,
        block,
    } = handler;
    let krate = &args.krate;

    // Glue is located at the user's tokens (so rustc's errors point at them) but keeps the
    // call site's hygiene (so lints treat it as macro output, not as user code).
    let name_span = Span::call_site().located_at(sig.ident.span());
    let ty_span = Span::call_site().located_at(ty.span());

    // `nameable`: whether the return type can be written in a `let` or a closure's signature,
    // which `impl Trait` and `!` cannot.
    let (arrow, output, output_span, nameable) = match &sig.output {
        ReturnType::Default => (
            Token![->](name_span),
            quote_spanned!(name_span=> ()),
            name_span,
            true,
        ),
        ReturnType::Type(arrow, output) => (
            *arrow,
            output.to_token_stream(),
            Span::call_site().located_at(output.span()),
            !matches!(**output, Type::Never(_)) && !contains_impl_trait(output.to_token_stream()),
        ),
    };
    sig.output = ReturnType::Type(
        arrow,
        syn::parse_quote_spanned! {output_span=>
            ::core::result::Result<#output, #krate::__private::Rejection>
        },
    );

    // The guard call is located at the request's type: when that type does not implement
    // `AuthRequest`, rustc's error (and the trait's `on_unimplemented` note) points at it. Its
    // argument resolves at the call site like the user's own `req`, but is not user code, so
    // lints such as `clippy::used_underscore_binding` leave `_req` alone.
    let mut request = ident.clone();
    request.set_span(ty_span);
    let variant = Ident::new(requirement.variant(), ty_span);
    let guard_call = quote_spanned! {ty_span=>
        #krate::__private::guard(#request, #krate::__private::Requirement::#variant)
    };

    // The body keeps its own scope: `return` and `?` leave the closure / async block, whose
    // output the enclosing `Ok(..)` passes on. When the return type can be named, it is also
    // declared before the body is checked, so that a wrong `return` or tail expression is
    // reported at the user's code, next to their return type.
    let body = match (sig.asyncness.is_some(), nameable) {
        (false, true) => quote_spanned!(name_span=> (move || -> #output #block)()),
        (false, false) => quote_spanned!(name_span=> (move || #block)()),
        // Async blocks cannot declare their output: a "fake return edge" (tracing-attributes)
        // fixes it before the body, which stays in its own block. That block's braces are
        // marked as macro output, or `unused_braces` would flag `{ x }` at the user's braces.
        (true, true) => {
            let fake_return = quote_spanned! {output_span=>
                #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
                if false {
                    let __bustjwt_return: #output = loop {};
                    return __bustjwt_return;
                }
            };
            let braces = Span::call_site().located_at(block.brace_token.span.join());
            let mut body = TokenStream::new();
            syn::token::Brace(braces).surround(&mut body, |tokens| {
                tokens.append_all(&block.stmts);
            });
            quote_spanned!(name_span=> async move { #fake_return #body }.await)
        }
        (true, false) => quote_spanned!(name_span=> async move #block .await),
    };

    let glue = quote_spanned! {name_span=>
        let #mutability #ident = match #guard_call {
            ::core::result::Result::Ok(__bustjwt_request) => __bustjwt_request,
            ::core::result::Result::Err(__bustjwt_rejection) => {
                return ::core::result::Result::Err(__bustjwt_rejection);
            }
        };
        ::core::result::Result::Ok(#body)
    };
    let mut tokens = quote! {
        #(#attrs)*
        #vis #sig
    };
    block
        .brace_token
        .surround(&mut tokens, |tokens| glue.to_tokens(tokens));
    tokens
}

/// Whether `tokens` contain `impl` (an `impl Trait` type, which a `let` cannot name).
fn contains_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => contains_impl_trait(group.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// Expands `#[jwt_required]` on `item` and returns the output as a string.
    fn expand_access(args: TokenStream, item: TokenStream) -> String {
        expand(Requirement::Access, args, item).to_string()
    }

    /// The messages of every error `#[jwt_required]` gives for `item`.
    fn errors(item: TokenStream) -> Vec<String> {
        let result = guard(Requirement::Access, TokenStream::new(), item);
        let errors = result.expect_err("expected the expansion to fail");
        errors.into_iter().map(|e| e.to_string()).collect()
    }

    fn rewritten(requirement: Requirement, args: TokenStream, item: TokenStream) -> ItemFn {
        let tokens = guard(requirement, args, item).expect("expected the expansion to succeed");
        syn::parse2(tokens).expect("the expansion is a function")
    }

    #[test]
    fn sync_handler_expansion() {
        let item = quote! {
            fn me(req: Request) -> Value { json!({ "user": req.jwt_identity() }) }
        };
        let expected = quote! {
            fn me(req: Request) -> ::core::result::Result<Value, ::bustjwt::__private::Rejection> {
                let req = match ::bustjwt::__private::guard(
                    req,
                    ::bustjwt::__private::Requirement::Access
                ) {
                    ::core::result::Result::Ok(__bustjwt_request) => __bustjwt_request,
                    ::core::result::Result::Err(__bustjwt_rejection) => {
                        return ::core::result::Result::Err(__bustjwt_rejection);
                    }
                };
                ::core::result::Result::Ok((move || -> Value { json!({ "user": req.jwt_identity() }) })())
            }
        };
        assert_eq!(expand_access(quote!(), item), expected.to_string());
    }

    #[test]
    fn async_handler_expansion() {
        let item = quote! {
            pub async fn me(mut req: Request) { req.touch(); }
        };
        let expected = quote! {
            pub async fn me(req: Request) -> ::core::result::Result<(), ::renamed::__private::Rejection> {
                let mut req = match ::renamed::__private::guard(
                    req,
                    ::renamed::__private::Requirement::Access
                ) {
                    ::core::result::Result::Ok(__bustjwt_request) => __bustjwt_request,
                    ::core::result::Result::Err(__bustjwt_rejection) => {
                        return ::core::result::Result::Err(__bustjwt_rejection);
                    }
                };
                ::core::result::Result::Ok(async move {
                    #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
                    if false {
                        let __bustjwt_return: () = loop {};
                        return __bustjwt_return;
                    }
                    { req.touch(); }
                }.await)
            }
        };
        let args = quote!(crate = "::renamed");
        assert_eq!(expand_access(args, item), expected.to_string());
    }

    #[test]
    fn each_attribute_passes_its_requirement() {
        for (requirement, variant) in [
            (Requirement::Access, "Access"),
            (Requirement::Optional, "Optional"),
            (Requirement::FreshAccess, "FreshAccess"),
            (Requirement::Refresh, "Refresh"),
        ] {
            let item = quote!(
                fn h(req: Request) {}
            );
            let output = expand(requirement, TokenStream::new(), item).to_string();
            let expected = quote!(::bustjwt::__private::Requirement::Ident).to_string();
            assert!(
                output.contains(&expected.replace("Ident", variant)),
                "{requirement}: {output}"
            );
        }
    }

    #[test]
    fn only_the_return_type_of_the_signature_changes() {
        let item = quote! {
            /// Docs.
            #[allow(clippy::all)]
            #[inline]
            pub(crate) async fn h<T: Into<String>>(mut req: Req<T>) -> impl IntoResponse
            where
                T: Clone,
            {
                #![allow(unused)]
                req
            }
        };
        let f = rewritten(Requirement::Optional, quote!(), item);
        let attrs: Vec<String> = f.attrs.iter().map(|a| quote!(#a).to_string()).collect();
        assert_eq!(
            attrs,
            [
                quote!(#[doc = r" Docs."]).to_string(),
                quote!(#[allow(clippy::all)]).to_string(),
                quote!(#[inline]).to_string(),
                quote!(#[allow(unused)]).to_string(),
            ]
        );
        assert_eq!(f.vis.to_token_stream().to_string(), "pub (crate)");
        let sig = &f.sig;
        assert!(sig.asyncness.is_some());
        let generics: syn::Generics = syn::parse_quote!(<T: Into<String>>);
        assert_eq!(
            sig.generics.to_token_stream().to_string(),
            generics.to_token_stream().to_string()
        );
        assert_eq!(
            sig.generics.where_clause.to_token_stream().to_string(),
            quote!(where T: Clone,).to_string()
        );
        let inputs = &sig.inputs;
        assert_eq!(quote!(#inputs).to_string(), quote!(req: Req<T>).to_string());
        assert_eq!(
            sig.output.to_token_stream().to_string(),
            quote!(-> ::core::result::Result<impl IntoResponse, ::bustjwt::__private::Rejection>)
                .to_string()
        );
        // The body: the guard's `let`, then the user's block inside `Ok(..)`; no type hint, as
        // `impl Trait` cannot be named in a `let`.
        assert_eq!(f.block.stmts.len(), 2);
        let first = &f.block.stmts[0];
        assert!(
            quote!(#first)
                .to_string()
                .starts_with("let mut req = match")
        );
        let last = &f.block.stmts[1];
        assert_eq!(
            quote!(#last).to_string(),
            quote!(::core::result::Result::Ok(async move { req }.await)).to_string()
        );
    }

    #[test]
    fn sync_bodies_without_a_nameable_type() {
        for output in [quote!(impl Display), quote!(!)] {
            let item = quote!(fn h(req: Request) -> #output { loop {} });
            let f = rewritten(Requirement::Access, quote!(), item);
            let last = &f.block.stmts[1];
            let expected: syn::Expr =
                syn::parse_quote!(::core::result::Result::Ok((move || { loop {} })()));
            assert_eq!(quote!(#last).to_string(), quote!(#expected).to_string());
        }
    }

    #[test]
    fn impl_trait_is_found_at_any_depth() {
        assert!(contains_impl_trait(quote!(impl IntoResponse)));
        assert!(contains_impl_trait(quote!(Result<(u8, impl Display), E>)));
        assert!(contains_impl_trait(quote!(Box<dyn Fn() -> [impl Copy; 1]>)));
        assert!(!contains_impl_trait(quote!(Result<Value, MyError>)));
        assert!(!contains_impl_trait(quote!(
            Box<dyn Future<Output = ()> + Send>
        )));
    }

    #[test]
    fn raw_identifiers_are_kept() {
        let f = rewritten(
            Requirement::Access,
            quote!(),
            quote!(
                fn h(r#type: Req) {}
            ),
        );
        let inputs = &f.sig.inputs;
        assert_eq!(quote!(#inputs).to_string(), "r#type : Req");
    }

    #[test]
    fn errors_keep_the_item_and_add_compile_errors() {
        let item = quote!(
            struct NotAHandler;
        );
        let output = expand_access(quote!(), item.clone());
        assert!(output.starts_with(&item.to_string()), "{output}");
        assert!(output.contains("compile_error"), "{output}");

        let item = quote!(
            fn h() {}
        );
        let output = expand_access(quote!(), item.clone());
        assert!(output.starts_with(&item.to_string()), "{output}");
        assert!(output.contains("compile_error"), "{output}");
    }

    #[test]
    fn items_that_are_not_functions() {
        let message = |what: &str| {
            format!(
                "`#[jwt_required]` can only be applied to a handler function, not to {what}: \
                 write `fn handler(req: bustjwt::Request) -> ..` (or `async fn`)"
            )
        };
        assert_eq!(
            errors(quote!(
                struct S;
            )),
            [message("a struct")]
        );
        assert_eq!(
            errors(quote!(impl S { fn h(req: R) {} })),
            [message("an impl block")]
        );
        assert_eq!(
            errors(quote!(
                const C: u8 = 1;
            )),
            [message("a const")]
        );
        assert_eq!(
            errors(quote!(
                static H: fn(R) = |req| {};
            )),
            [message("a static")]
        );
        assert_eq!(
            errors(quote!(
                mod m {}
            )),
            [message("a module")]
        );
    }

    #[test]
    fn parameter_count() {
        assert_eq!(
            errors(quote!(
                fn me() {}
            )),
            [
                "`#[jwt_required]` handlers take the request as their only parameter: \
              add it, e.g. `fn me(req: bustjwt::Request)`"
            ]
        );
        assert_eq!(
            errors(quote!(
                fn h(req: Request, id: u64, name: String) {}
            )),
            [
                "`#[jwt_required]` handlers take exactly one parameter, the request: \
              remove the others and read what you need from the request"
            ]
        );
    }

    #[test]
    fn methods_taking_self() {
        for item in [
            quote!(
                fn h(&self) {}
            ),
            quote!(
                fn h(self, req: Request) {}
            ),
        ] {
            assert_eq!(
                errors(item),
                [
                    "`#[jwt_required]` cannot be applied to a method taking `self`: a handler \
                  takes the request as its only parameter, e.g. `fn h(req: bustjwt::Request)`"
                ]
            );
        }
    }

    #[test]
    fn request_patterns() {
        let message = "`#[jwt_required]` needs the request bound to a plain name: \
                       write `req: Request` (or `mut req: ..`)";
        assert_eq!(
            errors(quote!(
                fn h((a, b): Request) {}
            )),
            [message]
        );
        assert_eq!(
            errors(quote!(
                fn h(ref req: Request) {}
            )),
            [message]
        );
        assert_eq!(
            errors(quote!(
                fn h(_: Request) {}
            )),
            [message]
        );
        assert_eq!(
            errors(quote!(
                fn h(req @ _: Request) {}
            )),
            [message]
        );
    }

    #[test]
    fn signature_qualifiers() {
        assert_eq!(
            errors(quote!(
                const fn h(req: Request) {}
            )),
            ["`#[jwt_required]` cannot be applied to a `const fn`: remove `const`"]
        );
        assert_eq!(
            errors(quote!(
                unsafe fn h(req: Request) {}
            )),
            [
                "`#[jwt_required]` cannot be applied to an `unsafe fn`: the router calls \
              handlers as safe functions; remove `unsafe` and use an `unsafe` block inside"
            ]
        );
        assert_eq!(
            errors(quote!(
                extern "C" fn h(req: Request) {}
            )),
            ["`#[jwt_required]` cannot be applied to an `extern` fn: remove `extern \"C\"`"]
        );
    }

    #[test]
    fn second_guard_attribute() {
        assert_eq!(
            errors(quote!(
                #[jwt_optional]
                fn h(req: Request) {}
            )),
            [
                "`#[jwt_required]` cannot be combined with `#[jwt_optional]`: \
              a handler takes exactly one guard attribute"
            ]
        );
        assert_eq!(
            errors(quote!(
                #[bustjwt::jwt_required]
                fn h(req: Request) {}
            )),
            ["`#[jwt_required]` is applied twice: remove one of them"]
        );
    }

    #[test]
    fn errors_are_collected() {
        let item = quote!(
            #[fresh_jwt_required]
            const unsafe fn h((a, b): Request, c: u8) {}
        );
        let argument_error = "unsupported argument `foo`: `#[jwt_required]` takes no \
                              arguments except `crate = \"..\"`";
        let result = guard(Requirement::Access, quote!(foo), item);
        let messages: Vec<String> = result
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages.len(), 6, "{messages:#?}");
        assert_eq!(messages[0], argument_error);
        assert!(messages[1].contains("cannot be combined with `#[fresh_jwt_required]`"));
        assert!(messages[2].contains("`const fn`"));
        assert!(messages[3].contains("`unsafe fn`"));
        assert!(messages[4].contains("plain name"));
        assert!(messages[5].contains("exactly one parameter"));
    }
}
