//! Per-token options: the seed's `expires_delta`, `fresh` and `claims` keyword arguments.

use std::time::Duration;

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::CreateTokenError;

/// Claim names that bustjwt sets itself; custom claims may not use them.
pub const RESERVED_CLAIMS: [&str; 9] = [
    "sub", "exp", "iat", "nbf", "jti", "type", "fresh", "iss", "aud",
];

/// Options for one token, as BustAPI's `create_access_token(identity, expires_delta=..,
/// fresh=.., claims=..)`.
///
/// ```
/// use std::time::Duration;
/// use bustjwt_core::{Jwt, TokenOptions};
/// use serde_json::json;
///
/// let jwt = Jwt::builder().secret_key([1u8; 32]).build()?;
/// let token = jwt.create_access_token_with(
///     "user123",
///     TokenOptions::new()
///         .expires_delta(Duration::from_secs(3600))
///         .fresh(false)
///         .claims(json!({ "role": "admin" })),
/// )?;
/// let claims = jwt.decode_token(&token)?;
/// assert_eq!(claims.exp() - claims.iat(), 3600);
/// assert!(!claims.fresh());
///
/// // A custom claim may not replace a registered one.
/// let clash = jwt.create_access_token_with("user123", TokenOptions::new().claims(json!({ "sub": "admin" })));
/// assert!(clash.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
#[must_use = "options do nothing until passed to `create_access_token_with`"]
pub struct TokenOptions {
    pub(crate) expires_delta: Option<Duration>,
    pub(crate) fresh: Option<bool>,
    pub(crate) claims: Option<Result<CustomClaims, CreateTokenError>>,
}

impl TokenOptions {
    /// No options: the configured lifetime, `fresh: true` for access tokens, no custom claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// A lifetime for this token instead of the configured one.
    pub fn expires_delta(mut self, lifetime: Duration) -> Self {
        self.expires_delta = Some(lifetime);
        self
    }

    /// Whether an access token is fresh (straight from a login). Defaults to `true`, as in
    /// BustAPI; pass `false` when issuing from a refresh token. Refresh tokens are never fresh,
    /// so this is ignored for them.
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = Some(fresh);
        self
    }

    /// Custom claims, flattened into the payload: a JSON object, a map or any `Serialize`
    /// struct, serialized here. Names in [`RESERVED_CLAIMS`] and names that appear twice are
    /// refused when the token is created.
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        self.claims = Some(CustomClaims::new(claims));
        self
    }
}

/// Custom claims as JSON text: the members of the object they serialized to, without its
/// braces (`"role":"admin","tenant":42`), ready to be appended to the registered claims.
///
/// Kept as text rather than a `serde_json::Map` so that a token with custom claims costs one
/// serialization and no `Value` tree.
#[derive(Debug, Default)]
pub(crate) struct CustomClaims {
    members: Vec<u8>,
}

impl CustomClaims {
    /// The members, comma-separated; empty when there are none.
    pub(crate) fn members(&self) -> &[u8] {
        &self.members
    }

    /// Serializes `claims` and checks the result: a JSON object whose member names are neither
    /// reserved nor repeated (a repeated name would make the token one that decoders must
    /// refuse, RFC 7519 §4).
    fn new(claims: impl Serialize) -> Result<Self, CreateTokenError> {
        let mut json = serde_json::to_vec(&claims).map_err(CreateTokenError::Serialize)?;
        let mut names = serde_json::Deserializer::from_slice(&json)
            .deserialize_any(MemberNames)
            .map_err(|_| CreateTokenError::ClaimsNotAnObject)?;
        if let Some(name) = names
            .iter()
            .find(|name| RESERVED_CLAIMS.contains(&name.as_ref()))
        {
            return Err(CreateTokenError::ReservedClaim(name.clone().into_owned()));
        }
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(CreateTokenError::DuplicateClaim(
                pair[0].clone().into_owned(),
            ));
        }
        drop(names);
        // serde_json writes an object as `{` members `}` with no whitespace.
        json.pop();
        json.remove(0);
        Ok(CustomClaims { members: json })
    }
}

/// Reads a JSON object and returns its member names, borrowed where they have no escapes.
struct MemberNames;

impl<'de> Visitor<'de> for MemberNames {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(MemberName(name)) = map.next_key()? {
            names.push(name);
            map.next_value::<IgnoredAny>()?;
        }
        Ok(names)
    }
}

/// A member name; `Cow<str>`'s own `Deserialize` always copies.
struct MemberName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = MemberName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Borrowed(name)))
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(name.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn members(claims: impl Serialize) -> Result<String, CreateTokenError> {
        CustomClaims::new(claims).map(|c| String::from_utf8(c.members).unwrap())
    }

    #[test]
    fn objects_maps_and_structs_become_members() {
        #[derive(Serialize)]
        struct Custom {
            role: &'static str,
            tenant: u32,
        }
        assert_eq!(
            members(Custom {
                role: "admin",
                tenant: 42
            })
            .unwrap(),
            r#""role":"admin","tenant":42"#
        );
        assert_eq!(
            members(json!({"nested": {"sub": 1}, "a\"b": [1, "x"]})).unwrap(),
            r#""a\"b":[1,"x"],"nested":{"sub":1}"#
        );
        assert_eq!(members(BTreeMap::<String, u8>::new()).unwrap(), "");
    }

    #[test]
    fn reserved_names_are_refused() {
        for name in RESERVED_CLAIMS {
            let err = members(json!({ "ok": 1, name: 2 })).unwrap_err();
            assert!(
                matches!(&err, CreateTokenError::ReservedClaim(n) if n == name),
                "{err}"
            );
        }
    }

    #[test]
    fn repeated_names_are_refused() {
        // A hand-written `Serialize` can write a name twice; map types cannot.
        struct Twice;
        impl Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("role", "user")?;
                map.serialize_entry("x", &1)?;
                map.serialize_entry("role", "admin")?;
                map.end()
            }
        }
        let err = members(Twice).unwrap_err();
        assert!(
            matches!(&err, CreateTokenError::DuplicateClaim(n) if n == "role"),
            "{err}"
        );
    }

    #[test]
    fn non_objects_are_refused() {
        for claims in [json!([1, 2]), json!("role"), json!(1), json!(null)] {
            assert!(
                matches!(members(&claims), Err(CreateTokenError::ClaimsNotAnObject)),
                "{claims}"
            );
        }
        let unserializable = BTreeMap::from([(vec![1u8], 1u8)]);
        assert!(matches!(
            members(unserializable),
            Err(CreateTokenError::Serialize(_))
        ));
    }
}
