//! Arguments of the guard attributes: none, except `crate = ".."` to rename the facade.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{LitStr, Path};

use crate::expand::Requirement;

/// What a guard attribute was given between its parentheses.
pub(crate) struct Args {
    /// The path of the `bustjwt` facade in the user's crate. Generated code names only
    /// `#krate::__private::..`. Defaults to `::bustjwt`.
    pub(crate) krate: Path,
}

impl Args {
    /// Parses the arguments of `#[<requirement's attribute>(..)]`.
    pub(crate) fn parse(requirement: Requirement, args: TokenStream) -> syn::Result<Args> {
        let mut krate: Option<Path> = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("crate") {
                if krate.is_some() {
                    return Err(meta.error("`crate` set multiple times."));
                }
                let lit: LitStr = meta.value()?.parse()?;
                let path = lit.parse_with(Path::parse_mod_style).map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        format!(
                            "`crate` must be the path of the bustjwt crate, \
                             e.g. `#[{}(crate = \"::bustjwt\")]`",
                            requirement.name(),
                        ),
                    )
                })?;
                krate = Some(path);
                Ok(())
            } else {
                Err(meta.error(format_args!(
                    "unsupported argument `{}`: `#[{}]` takes no arguments except `crate = \"..\"`",
                    path_to_string(&meta.path),
                    requirement.name(),
                )))
            }
        });
        parser.parse2(args)?;
        Ok(Args {
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::bustjwt)),
        })
    }
}

/// `a::b` for an argument's path, for error messages.
fn path_to_string(path: &Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let prefix = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{prefix}{}", segments.join("::"))
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::*;

    fn parse(tokens: TokenStream) -> syn::Result<Args> {
        Args::parse(Requirement::Access, tokens)
    }

    fn krate(tokens: TokenStream) -> String {
        parse(tokens).unwrap().krate.to_token_stream().to_string()
    }

    fn error(tokens: TokenStream) -> String {
        match parse(tokens) {
            Ok(args) => panic!("expected an error, got {}", args.krate.to_token_stream()),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn no_arguments_name_the_facade() {
        assert_eq!(krate(quote!()), quote!(::bustjwt).to_string());
    }

    #[test]
    fn crate_renames_the_facade() {
        assert_eq!(krate(quote!(crate = "renamed")), "renamed");
        assert_eq!(krate(quote!(crate = "::bj")), quote!(::bj).to_string());
        assert_eq!(
            krate(quote!(crate = "my_app::deps::bustjwt",)),
            quote!(my_app::deps::bustjwt).to_string()
        );
    }

    #[test]
    fn crate_set_twice_is_an_error() {
        assert_eq!(
            error(quote!(crate = "a", crate = "b")),
            "`crate` set multiple times."
        );
    }

    #[test]
    fn crate_must_be_a_path() {
        assert_eq!(
            error(quote!(crate = "not a path")),
            "`crate` must be the path of the bustjwt crate, \
             e.g. `#[jwt_required(crate = \"::bustjwt\")]`"
        );
        assert_eq!(
            error(quote!(crate = "a::<T>")),
            "`crate` must be the path of the bustjwt crate, \
             e.g. `#[jwt_required(crate = \"::bustjwt\")]`"
        );
        assert_eq!(error(quote!(crate = bustjwt)), "expected string literal");
        assert_eq!(error(quote!(crate)), "expected `=`");
    }

    #[test]
    fn unknown_arguments_are_errors_naming_the_attribute() {
        assert_eq!(
            error(quote!(foo)),
            "unsupported argument `foo`: `#[jwt_required]` takes no arguments \
             except `crate = \"..\"`"
        );
        let optional = Args::parse(Requirement::Optional, quote!(crate = "x", a::b = 1));
        assert_eq!(
            optional
                .err()
                .expect("`a::b` is not an argument")
                .to_string(),
            "unsupported argument `a::b`: `#[jwt_optional]` takes no arguments \
             except `crate = \"..\"`"
        );
    }
}
