//! Per-token options: the seed's `expires_delta`, `fresh` and `claims` keyword arguments.

use std::time::Duration;

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io;

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::ser::{CompactFormatter, Formatter};

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
        let position = Cell::new(0);
        let mut writer = TrackedWriter {
            out: Vec::with_capacity(128),
            position: &position,
        };
        let mut names = Names::default();
        let formatter = NameSpans {
            position: &position,
            names: &mut names,
        };
        claims
            .serialize(&mut serde_json::Serializer::with_formatter(
                &mut writer,
                formatter,
            ))
            .map_err(CreateTokenError::Serialize)?;
        let mut json = writer.out;
        if names.saw_top_object && names.depth == 0 {
            let names = names.spans.iter().map(|&(start, end)| &json[start..end]);
            check_encoded_names(names)?;
        } else {
            // Not written through `begin_object` (a non-object, or raw JSON text such as
            // serde_json's `RawValue`, which may hold whitespace): read the names back from the
            // text, then write it again compactly.
            check_names_by_parsing(&json)?;
            let object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&json).map_err(|_| CreateTokenError::ClaimsNotAnObject)?;
            json = serde_json::to_vec(&object).map_err(CreateTokenError::Serialize)?;
        }
        // serde_json writes an object as `{` members `}` with no whitespace.
        json.pop();
        json.remove(0);
        Ok(CustomClaims { members: json })
    }
}

/// Checks member names as serde_json wrote them, quotes and escapes included. serde_json's
/// escaping is canonical and never touches letters, so two names are equal exactly when their
/// encodings are, and a reserved name has exactly one encoding (`"sub"`).
fn check_encoded_names<'a>(
    names: impl Iterator<Item = &'a [u8]> + Clone,
) -> Result<(), CreateTokenError> {
    let decode = |encoded: &[u8]| serde_json::from_slice::<String>(encoded).unwrap_or_default();
    for name in names.clone() {
        let bare = &name[1..name.len() - 1];
        if RESERVED_CLAIMS.iter().any(|r| r.as_bytes() == bare) {
            return Err(CreateTokenError::ReservedClaim(decode(name)));
        }
    }
    let repeated = if names.clone().nth(MAX_PAIRWISE).is_none() {
        // Few names (the usual case): compare each with the ones before it, no allocation.
        names
            .clone()
            .enumerate()
            .find(|&(i, name)| names.clone().take(i).any(|earlier| earlier == name))
            .map(|(_, name)| name)
    } else {
        let mut sorted: Vec<&[u8]> = names.collect();
        sorted.sort_unstable();
        sorted
            .windows(2)
            .find(|pair| pair[0] == pair[1])
            .map(|pair| pair[0])
    };
    match repeated {
        Some(name) => Err(CreateTokenError::DuplicateClaim(decode(name))),
        None => Ok(()),
    }
}

/// Up to this many names are checked for repeats pair by pair; more are sorted.
const MAX_PAIRWISE: usize = 16;

/// The slow path of [`CustomClaims::new`]: parses `json` back to find its member names, then
/// applies the same rules to them as [`check_encoded_names`], on their serde_json encodings.
fn check_names_by_parsing(json: &[u8]) -> Result<(), CreateTokenError> {
    let names = serde_json::Deserializer::from_slice(json)
        .deserialize_any(MemberNames)
        .map_err(|_| CreateTokenError::ClaimsNotAnObject)?;
    let encoded = names
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<Vec<_>, _>>()
        .map_err(CreateTokenError::Serialize)?;
    check_encoded_names(encoded.iter().map(Vec::as_slice))
}

/// A `Vec` writer that publishes its length, so [`NameSpans`] knows where each name starts and
/// ends.
struct TrackedWriter<'a> {
    out: Vec<u8>,
    position: &'a Cell<usize>,
}

impl io::Write for TrackedWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        self.position.set(self.out.len());
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// serde_json's compact output, noting in [`Names`] the span of each member name of the
/// outermost object, so the names can be checked while the claims are serialized once, with no
/// parse back.
struct NameSpans<'a> {
    position: &'a Cell<usize>,
    names: &'a mut Names,
}

/// What [`NameSpans`] found.
#[derive(Default)]
struct Names {
    /// Objects and arrays open right now.
    depth: usize,
    /// Whether the output began with `begin_object`.
    saw_top_object: bool,
    /// Where the name being written started.
    start: usize,
    /// The outermost object's member names, as `start..end` in the output.
    spans: Spans,
}

/// Name spans: the first few inline (custom claims rarely have more), the rest in a `Vec`.
#[derive(Default)]
struct Spans {
    inline: [(usize, usize); INLINE_SPANS],
    len: usize,
    more: Vec<(usize, usize)>,
}

/// How many name spans [`Spans`] keeps without allocating.
const INLINE_SPANS: usize = 8;

impl Spans {
    fn push(&mut self, span: (usize, usize)) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = span;
                self.len += 1;
            }
            None => self.more.push(span),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &(usize, usize)> + Clone {
        self.inline[..self.len].iter().chain(&self.more)
    }
}

impl Formatter for NameSpans<'_> {
    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.names.depth == 0 && self.position.get() == 0 {
            self.names.saw_top_object = true;
        }
        self.names.depth += 1;
        CompactFormatter.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.names.depth = self.names.depth.saturating_sub(1);
        CompactFormatter.end_object(writer)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.names.depth += 1;
        CompactFormatter.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.names.depth = self.names.depth.saturating_sub(1);
        CompactFormatter.end_array(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        CompactFormatter.begin_object_key(writer, first)?;
        self.names.start = self.position.get();
        Ok(())
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.names.depth == 1 {
            self.names
                .spans
                .push((self.names.start, self.position.get()));
        }
        CompactFormatter.end_object_key(writer)
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
    fn many_and_escaped_names() {
        // Past the inline spans (8) and past pairwise checking (16): repeats are still found.
        for count in [3, 9, 17, 40] {
            let mut map = serde_json::Map::new();
            for i in 0..count {
                map.insert(format!("claim{i}"), json!(i));
            }
            let all = members(&map).unwrap();
            assert_eq!(all.matches("\"claim").count(), count);
            struct Repeated(serde_json::Map<String, serde_json::Value>);
            impl Serialize for Repeated {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    use serde::ser::SerializeMap;
                    let mut map = s.serialize_map(None)?;
                    for (k, v) in &self.0 {
                        map.serialize_entry(k, v)?;
                    }
                    map.serialize_entry("claim0", &"again")?;
                    map.end()
                }
            }
            let err = members(Repeated(map)).unwrap_err();
            assert!(
                matches!(&err, CreateTokenError::DuplicateClaim(n) if n == "claim0"),
                "{count}: {err}"
            );
        }
        // Names are compared as strings, escapes included; near-misses of reserved names are
        // ordinary claims.
        assert_eq!(
            members(json!({ "a\"b": 1, "a\\b": 2, "Sub": 3, "sub ": 4, "subject": 5 })).unwrap(),
            r#""Sub":3,"a\"b":1,"a\\b":2,"sub ":4,"subject":5"#
        );
        // Keys of nested objects are not claim names.
        assert_eq!(
            members(json!({ "profile": { "sub": 1, "exp": [ { "type": 2 } ] } })).unwrap(),
            r#""profile":{"exp":[{"type":2}],"sub":1}"#
        );
        // Non-string keys are written as strings and checked like them.
        let numbered = BTreeMap::from([(1u8, "one"), (2, "two")]);
        assert_eq!(members(numbered).unwrap(), r#""1":"one","2":"two""#);
    }

    #[test]
    fn raw_json_objects_are_checked_by_parsing() {
        use serde_json::value::RawValue;
        let raw = |text: &str| RawValue::from_string(text.to_owned()).unwrap();
        assert_eq!(
            members(raw(r#" { "a" : 1 , "b":[ 2 ] } "#)).unwrap(),
            r#""a":1,"b":[2]"#
        );
        assert!(matches!(
            members(raw(r#"{"sub":"admin"}"#)),
            Err(CreateTokenError::ReservedClaim(n)) if n == "sub"
        ));
        assert!(matches!(
            members(raw(r#"{"a":1,"a":2}"#)),
            Err(CreateTokenError::DuplicateClaim(n)) if n == "a"
        ));
        assert!(matches!(
            members(raw("[1]")),
            Err(CreateTokenError::ClaimsNotAnObject)
        ));
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
