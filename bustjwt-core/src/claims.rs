//! The verified contents of a token, and how they are read from a payload.

use std::fmt;

use serde::{
    Deserialize, Deserializer, Serialize,
    de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor},
    ser::SerializeMap,
};
use serde_json::{Map, Value};

use crate::InvalidToken;

/// Whether a token grants access or only obtains new access tokens (RFC 8725 §3.11: explicit
/// typing keeps one kind of token from being accepted as the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// An access token, sent with API requests.
    Access,
    /// A refresh token, only accepted by the refresh endpoint.
    Refresh,
}

impl TokenType {
    /// The value of the `type` claim: `"access"` or `"refresh"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verified claims of a token.
///
/// Serializes the way BustAPI's `decode_token` returns them, with the subject under
/// `"identity"`, then the custom claims:
///
/// ```
/// use bustjwt_core::{Jwt, TokenOptions, TokenType};
/// use serde_json::json;
///
/// let jwt = Jwt::builder().secret_key([7u8; 32]).build()?;
/// let token = jwt.create_access_token_with(
///     "user123",
///     TokenOptions::new().claims(json!({ "role": "admin" })),
/// )?;
/// let claims = jwt.decode_token(&token)?;
/// assert_eq!(claims.identity(), "user123");
/// assert_eq!(claims.token_type(), TokenType::Access);
/// assert_eq!(claims.claim::<String>("role")?, Some("admin".to_owned()));
///
/// let json = serde_json::to_value(&claims)?;
/// assert_eq!(json["identity"], "user123");
/// assert_eq!(json["type"], "access");
/// assert_eq!(json["role"], "admin");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub(crate) sub: String,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) jti: Option<String>,
    pub(crate) token_type: TokenType,
    pub(crate) fresh: bool,
    pub(crate) iss: Option<String>,
    pub(crate) aud: Vec<String>,
    pub(crate) custom: Map<String, Value>,
}

impl Claims {
    /// The identity the token was issued for (the `sub` claim).
    pub fn identity(&self) -> &str {
        &self.sub
    }

    /// Expiry, in seconds since the Unix epoch (`exp`).
    pub fn exp(&self) -> i64 {
        self.exp
    }

    /// Issue time, in seconds since the Unix epoch (`iat`).
    pub fn iat(&self) -> i64 {
        self.iat
    }

    /// Start of validity, in seconds since the Unix epoch (`nbf`).
    pub fn nbf(&self) -> i64 {
        self.nbf
    }

    /// The unique token id (`jti`); bustjwt always sets one.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// Access or refresh (`type`).
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// Whether the access token came straight from a login rather than from a refresh
    /// (`fresh`); always `false` for refresh tokens, whatever their payload says.
    pub fn fresh(&self) -> bool {
        self.token_type == TokenType::Access && self.fresh
    }

    /// The issuer (`iss`), if the token has one.
    pub fn issuer(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    /// The audience (`aud`): empty when the token has none.
    pub fn audience(&self) -> &[String] {
        &self.aud
    }

    /// All custom claims, in the order they appear in the token.
    pub fn custom(&self) -> &Map<String, Value> {
        &self.custom
    }

    /// One custom claim, deserialized as `T`: `Ok(None)` when absent, `Err` when it has
    /// another shape.
    pub fn claim<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
        self.custom.get(name).map(T::deserialize).transpose()
    }

    /// All custom claims deserialized into one type, such as a struct of your claims.
    pub fn custom_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.custom)
    }
}

impl Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("identity", &self.sub)?;
        map.serialize_entry("exp", &self.exp)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("nbf", &self.nbf)?;
        if let Some(jti) = &self.jti {
            map.serialize_entry("jti", jti)?;
        }
        map.serialize_entry("type", self.token_type.as_str())?;
        map.serialize_entry("fresh", &self.fresh())?;
        if let Some(iss) = &self.iss {
            map.serialize_entry("iss", iss)?;
        }
        match self.aud.as_slice() {
            [] => {}
            [one] => map.serialize_entry("aud", one)?,
            many => map.serialize_entry("aud", many)?,
        }
        for (name, value) in &self.custom {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Parses a payload into [`Claims`], or says precisely why it is not acceptable.
///
/// One pass over the JSON: registered claims go straight into typed fields (no intermediate
/// `Value` tree), duplicate member names are rejected rather than last-wins (RFC 7519 §4).
/// The whole payload must be UTF-8 (RFC 7519 §7.2), checked up front rather than left to the
/// parser, which does not look inside the strings it skips.
pub(crate) fn parse_payload(json: &[u8]) -> Result<Claims, InvalidToken> {
    let json = std::str::from_utf8(json).map_err(|_| InvalidToken::Payload)?;
    let mut reason = None;
    let seed = PayloadSeed {
        reason: &mut reason,
    };
    let mut de = serde_json::Deserializer::from_str(json);
    match seed
        .deserialize(&mut de)
        .and_then(|claims| de.end().map(|()| claims))
    {
        Ok(claims) => Ok(claims),
        Err(_) => Err(reason.unwrap_or(InvalidToken::Payload)),
    }
}

/// Carries the precise rejection reason out of serde, whose errors are opaque strings.
struct PayloadSeed<'r> {
    reason: &'r mut Option<InvalidToken>,
}

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = Claims;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Claims, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl PayloadSeed<'_> {
    fn fail<E: de::Error>(self, reason: InvalidToken) -> E {
        *self.reason = Some(reason);
        E::custom("rejected")
    }
}

/// Stores `value` in `slot`, refusing a second occurrence of the member.
fn set_once<T>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), InvalidToken> {
    if slot.replace(value).is_some() {
        return Err(InvalidToken::Duplicate(name));
    }
    Ok(())
}

impl<'de> Visitor<'de> for PayloadSeed<'_> {
    type Value = Claims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        let mut sub = None;
        let mut exp = None;
        let mut iat = None;
        let mut nbf = None;
        let mut jti = None;
        let mut token_type = None;
        let mut fresh = None;
        let mut iss = None;
        let mut aud = None;
        let mut custom = Map::new();

        while let Some(key) = map.next_key::<ClaimName>()? {
            let result = match key {
                ClaimName::Sub => typed(&mut map, "sub").and_then(|v| set_once(&mut sub, v, "sub")),
                ClaimName::Exp => {
                    numeric(&mut map, "exp").and_then(|v| set_once(&mut exp, v, "exp"))
                }
                ClaimName::Iat => {
                    numeric(&mut map, "iat").and_then(|v| set_once(&mut iat, v, "iat"))
                }
                ClaimName::Nbf => {
                    numeric(&mut map, "nbf").and_then(|v| set_once(&mut nbf, v, "nbf"))
                }
                ClaimName::Jti => typed(&mut map, "jti").and_then(|v| set_once(&mut jti, v, "jti")),
                ClaimName::Type => typed::<_, TypeName>(&mut map, "type").and_then(|v| {
                    let parsed = v.0.ok_or(InvalidToken::TokenType)?;
                    set_once(&mut token_type, parsed, "type")
                }),
                ClaimName::Fresh => {
                    typed(&mut map, "fresh").and_then(|v| set_once(&mut fresh, v, "fresh"))
                }
                ClaimName::Iss => typed(&mut map, "iss").and_then(|v| set_once(&mut iss, v, "iss")),
                ClaimName::Aud => typed::<_, Audience>(&mut map, "aud")
                    .and_then(|v| set_once(&mut aud, v.0, "aud")),
                ClaimName::Custom(name) => {
                    let value: Value = map.next_value()?;
                    if custom.insert(name, value).is_some() {
                        Err(InvalidToken::DuplicateCustomClaim)
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(reason) = result {
                return Err(self.fail(reason));
            }
        }

        let required = |name: &'static str| InvalidToken::MissingClaim(name);
        let claims = (|| {
            Ok(Claims {
                sub: sub.ok_or(required("sub"))?,
                exp: exp.ok_or(required("exp"))?,
                iat: iat.ok_or(required("iat"))?,
                nbf: nbf.ok_or(required("nbf"))?,
                jti,
                token_type: token_type.ok_or(required("type"))?,
                fresh: fresh.unwrap_or(false),
                iss,
                aud: aud.unwrap_or_default(),
                custom,
            })
        })();
        claims.map_err(|reason| self.fail(reason))
    }
}

/// Reads the next value as `T`. serde_json stops at the first type error, so any failure here
/// means this claim has the wrong type (or the JSON is broken inside it).
fn typed<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    name: &'static str,
) -> Result<T, InvalidToken> {
    map.next_value::<T>()
        .map_err(|_| InvalidToken::ClaimType(name))
}

fn numeric<'de, A: MapAccess<'de>>(map: &mut A, name: &'static str) -> Result<i64, InvalidToken> {
    typed::<_, NumericDate>(map, name)?
        .0
        .ok_or(InvalidToken::ClaimType(name))
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly fractional. Strings and
/// other JSON types are refused.
struct NumericDate(Option<i64>);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumericVisitor;
        impl Visitor<'_> for NumericVisitor {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                Ok(NumericDate(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                Ok(NumericDate(i64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                // `as` saturates; the range check keeps absurd values from saturating silently.
                let in_range = v.is_finite() && v.abs() < 1e17;
                #[allow(clippy::cast_possible_truncation)]
                Ok(NumericDate(in_range.then(|| v.floor() as i64)))
            }
        }
        deserializer.deserialize_any(NumericVisitor)
    }
}

/// The `type` claim, read without copying the string: `None` for a string other than
/// `"access"` and `"refresh"`; other JSON types are refused.
struct TypeName(Option<TokenType>);

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TypeVisitor;
        impl Visitor<'_> for TypeVisitor {
            type Value = TypeName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"access\" or \"refresh\"")
            }
            // serde_json calls this for borrowed and for unescaped strings alike.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeName, E> {
                Ok(TypeName(match v {
                    "access" => Some(TokenType::Access),
                    "refresh" => Some(TokenType::Refresh),
                    _ => None,
                }))
            }
        }
        deserializer.deserialize_str(TypeVisitor)
    }
}

/// `aud`: a string or an array of strings (RFC 7519 §4.1.3).
struct Audience(Vec<String>);

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(Audience(match OneOrMany::deserialize(deserializer)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }))
    }
}

/// A payload member name: a registered claim, or a custom one (kept for the claims map).
enum ClaimName {
    Sub,
    Exp,
    Iat,
    Nbf,
    Jti,
    Type,
    Fresh,
    Iss,
    Aud,
    Custom(String),
}

impl<'de> Deserialize<'de> for ClaimName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = ClaimName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<ClaimName, E> {
                Ok(match name {
                    "sub" => ClaimName::Sub,
                    "exp" => ClaimName::Exp,
                    "iat" => ClaimName::Iat,
                    "nbf" => ClaimName::Nbf,
                    "jti" => ClaimName::Jti,
                    "type" => ClaimName::Type,
                    "fresh" => ClaimName::Fresh,
                    "iss" => ClaimName::Iss,
                    "aud" => ClaimName::Aud,
                    other => ClaimName::Custom(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// The header members bustjwt reads. Anything else (`kid`, `jku`, `jwk`, `x5u`, ...) is ignored:
/// the key is fixed by configuration and never chosen by the token (RFC 8725 §3.10).
pub(crate) struct Header {
    pub(crate) alg: String,
    pub(crate) typ: Option<String>,
}

/// Parses a JOSE header, refusing `crit`, duplicate members, non-string `alg`/`typ` and bytes
/// that are not UTF-8 (RFC 7515 §4). UTF-8 is checked up front: the members that are skipped
/// (`kid`, ...) are never decoded, and serde_json does not validate strings it skips.
pub(crate) fn parse_header(json: &[u8]) -> Result<Header, InvalidToken> {
    let json = std::str::from_utf8(json).map_err(|_| InvalidToken::Header)?;
    let mut reason = None;
    let mut de = serde_json::Deserializer::from_str(json);
    let seed = HeaderSeed {
        reason: &mut reason,
    };
    match seed.deserialize(&mut de).and_then(|h| de.end().map(|()| h)) {
        Ok(header) => Ok(header),
        Err(_) => Err(reason.unwrap_or(InvalidToken::Header)),
    }
}

struct HeaderSeed<'r> {
    reason: &'r mut Option<InvalidToken>,
}

impl<'de> DeserializeSeed<'de> for HeaderSeed<'_> {
    type Value = Header;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Header, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed<'_> {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut alg = None;
        let mut typ = None;
        let mut others: Vec<String> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let result = match name.as_str() {
                "alg" => match map.next_value::<String>() {
                    Ok(v) => set_once(&mut alg, v, "alg"),
                    Err(_) => Err(InvalidToken::Header),
                },
                "typ" => match map.next_value::<String>() {
                    Ok(v) => set_once(&mut typ, v, "typ"),
                    Err(_) => Err(InvalidToken::Header),
                },
                "crit" => Err(InvalidToken::CriticalHeader),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if others.contains(&name) {
                        Err(InvalidToken::Duplicate("header member"))
                    } else {
                        others.push(name);
                        Ok(())
                    }
                }
            };
            if let Err(reason) = result {
                *self.reason = Some(reason);
                return Err(de::Error::custom("rejected"));
            }
        }
        match alg {
            Some(alg) => Ok(Header { alg, typ }),
            None => {
                *self.reason = Some(InvalidToken::UnexpectedAlgorithm);
                Err(de::Error::custom("rejected"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#""sub":"u","exp":10,"iat":1,"nbf":1,"type":"access""#;

    fn parse(extra: &str) -> Result<Claims, InvalidToken> {
        parse_payload(format!("{{{BASE}{extra}}}").as_bytes())
    }

    #[test]
    fn parses_registered_and_custom_claims() {
        let c = parse(r#","fresh":true,"jti":"j","role":"admin","n":[1,2]"#).unwrap();
        assert_eq!(c.identity(), "u");
        assert_eq!((c.exp(), c.iat(), c.nbf()), (10, 1, 1));
        assert!(c.fresh());
        assert_eq!(c.jti(), Some("j"));
        assert_eq!(c.claim::<String>("role").unwrap().as_deref(), Some("admin"));
        assert_eq!(c.claim::<Vec<u8>>("n").unwrap(), Some(vec![1, 2]));
        assert_eq!(c.claim::<u8>("missing").unwrap(), None);
        assert!(c.claim::<u8>("role").is_err());
    }

    #[test]
    fn the_type_claim_is_a_known_string() {
        let without_type = |rest: &str| {
            parse_payload(format!(r#"{{"sub":"u","exp":10,"iat":1,"nbf":1{rest}}}"#).as_bytes())
        };
        let token_type = |rest: &str| without_type(rest).map(|c| c.token_type());
        assert_eq!(token_type(r#","type":"access""#), Ok(TokenType::Access));
        assert_eq!(token_type(r#","type":"refresh""#), Ok(TokenType::Refresh));
        // An escaped spelling is the same JSON string.
        assert_eq!(
            token_type(r#","type":"acc\u0065ss""#),
            Ok(TokenType::Access)
        );
        for other in [r#""Access""#, r#""bearer""#, r#""""#, r#""access ""#] {
            assert_eq!(
                token_type(&format!(r#","type":{other}"#)),
                Err(InvalidToken::TokenType),
                "{other}"
            );
        }
        for mistyped in ["1", "true", "null", r#"["access"]"#, r#"{"a":1}"#] {
            assert_eq!(
                token_type(&format!(r#","type":{mistyped}"#)),
                Err(InvalidToken::ClaimType("type")),
                "{mistyped}"
            );
        }
        assert_eq!(
            token_type(r#","type":"access","type":"access""#),
            Err(InvalidToken::Duplicate("type"))
        );
        assert_eq!(token_type(""), Err(InvalidToken::MissingClaim("type")));
    }

    #[test]
    fn rejects_duplicate_registered_claims() {
        assert_eq!(
            parse(r#","sub":"admin""#),
            Err(InvalidToken::Duplicate("sub"))
        );
        assert_eq!(
            parse(r#","exp":99999999999"#),
            Err(InvalidToken::Duplicate("exp"))
        );
        assert_eq!(
            parse(r#","type":"refresh""#),
            Err(InvalidToken::Duplicate("type"))
        );
    }

    #[test]
    fn rejects_duplicate_custom_claims() {
        assert_eq!(
            parse(r#","role":"user","role":"admin""#),
            Err(InvalidToken::DuplicateCustomClaim)
        );
    }

    #[test]
    fn requires_each_registered_claim() {
        for name in ["sub", "exp", "iat", "nbf", "type"] {
            let full: Value = serde_json::from_str(&format!("{{{BASE}}}")).unwrap();
            let mut map = full.as_object().unwrap().clone();
            map.remove(name);
            let json = serde_json::to_vec(&map).unwrap();
            assert_eq!(
                parse_payload(&json),
                Err(InvalidToken::MissingClaim(name)),
                "{name}"
            );
        }
    }

    #[test]
    fn rejects_wrong_types() {
        let cases = [
            (
                r#"{"sub":1,"exp":10,"iat":1,"nbf":1,"type":"access"}"#,
                "sub",
            ),
            (
                r#"{"sub":"u","exp":"10","iat":1,"nbf":1,"type":"access"}"#,
                "exp",
            ),
            (
                r#"{"sub":"u","exp":10,"iat":1,"nbf":"1","type":"access"}"#,
                "nbf",
            ),
            (
                r#"{"sub":"u","exp":10,"iat":null,"nbf":1,"type":"access"}"#,
                "iat",
            ),
            (
                r#"{"sub":"u","exp":10,"iat":1,"nbf":1,"type":"access","fresh":"yes"}"#,
                "fresh",
            ),
            (
                r#"{"sub":"u","exp":10,"iat":1,"nbf":1,"type":"access","aud":3}"#,
                "aud",
            ),
            (
                r#"{"sub":"u","exp":1e300,"iat":1,"nbf":1,"type":"access"}"#,
                "exp",
            ),
        ];
        for (json, name) in cases {
            assert_eq!(
                parse_payload(json.as_bytes()),
                Err(InvalidToken::ClaimType(name)),
                "{json}"
            );
        }
    }

    #[test]
    fn rejects_unknown_token_type() {
        let json = r#"{"sub":"u","exp":10,"iat":1,"nbf":1,"type":"id"}"#;
        assert_eq!(parse_payload(json.as_bytes()), Err(InvalidToken::TokenType));
    }

    #[test]
    fn rejects_non_objects_and_trailing_data() {
        for json in [
            "[]",
            "\"x\"",
            "1",
            "null",
            "",
            "{",
            &format!("{{{BASE}}} x"),
        ] {
            assert_eq!(
                parse_payload(json.as_bytes()),
                Err(InvalidToken::Payload),
                "{json}"
            );
        }
        assert_eq!(parse_payload(b"\xff\xfe"), Err(InvalidToken::Payload));
    }

    #[test]
    fn fractional_dates_are_floored() {
        let c =
            parse_payload(br#"{"sub":"u","exp":10.9,"iat":1,"nbf":1,"type":"refresh"}"#).unwrap();
        assert_eq!(c.exp(), 10);
        assert_eq!(c.token_type(), TokenType::Refresh);
    }

    #[test]
    fn audience_string_or_array() {
        let one = parse(r#","aud":"api""#).unwrap();
        assert_eq!(one.audience(), ["api"]);
        let many = parse(r#","aud":["a","b"]"#).unwrap();
        assert_eq!(many.audience(), ["a", "b"]);
    }

    #[test]
    fn header_rules() {
        assert_eq!(
            parse_header(br#"{"alg":"HS256","typ":"JWT"}"#).unwrap().alg,
            "HS256"
        );
        assert_eq!(
            parse_header(br#"{"alg":"HS256","crit":["exp"]}"#).err(),
            Some(InvalidToken::CriticalHeader)
        );
        assert_eq!(
            parse_header(br#"{"alg":"HS256","alg":"none"}"#).err(),
            Some(InvalidToken::Duplicate("alg"))
        );
        assert_eq!(
            parse_header(br#"{"alg":"HS256","kid":"a","kid":"b"}"#).err(),
            Some(InvalidToken::Duplicate("header member"))
        );
        assert_eq!(
            parse_header(br#"{"typ":"JWT"}"#).err(),
            Some(InvalidToken::UnexpectedAlgorithm)
        );
        assert_eq!(
            parse_header(br#"{"alg":1}"#).err(),
            Some(InvalidToken::Header)
        );
        assert_eq!(parse_header(b"[]").err(), Some(InvalidToken::Header));
        assert_eq!(
            parse_header(br#"{"alg":"HS256"}x"#).err(),
            Some(InvalidToken::Header)
        );
    }

    #[test]
    fn non_utf8_inside_skipped_members_is_refused() {
        // serde_json skips an unknown member's value without decoding it; the bytes must be
        // UTF-8 all the same.
        assert_eq!(
            parse_header(b"{\"alg\":\"HS256\",\"kid\":\"\xff\"}").err(),
            Some(InvalidToken::Header)
        );
        assert_eq!(
            parse_header(b"{\"alg\":\"HS256\",\"x\":{\"y\":[\"\xc3\x28\"]}}").err(),
            Some(InvalidToken::Header)
        );
        assert_eq!(
            parse(",\"note\":\"\u{fffd}\"").map(|c| c.custom()["note"].clone()),
            Ok(Value::from("\u{fffd}")),
            "valid UTF-8 (here U+FFFD itself) is fine"
        );
        for payload in [
            &b"{\"sub\":\"u\",\"exp\":10,\"iat\":1,\"nbf\":1,\"type\":\"access\",\"note\":\"\xff\"}"[..],
            b"{\"sub\":\"u\",\"exp\":10,\"iat\":1,\"nbf\":1,\"type\":\"access\",\"x\":{\"y\":[\"\xed\xa0\x80\"]}}",
            b"{\"sub\":\"u\",\"exp\":10,\"iat\":1,\"nbf\":1,\"type\":\"access\",\"\xff\":1}",
        ] {
            assert_eq!(
                parse_payload(payload),
                Err(InvalidToken::Payload),
                "{payload:?}"
            );
        }
    }

    #[test]
    fn refresh_tokens_are_never_fresh() {
        // Whatever a (correctly signed) refresh token's payload says.
        let json = br#"{"sub":"u","exp":10,"iat":1,"nbf":1,"type":"refresh","fresh":true}"#;
        let claims = parse_payload(json).unwrap();
        assert!(!claims.fresh());
        assert_eq!(serde_json::to_value(&claims).unwrap()["fresh"], false);
        let access = parse(r#","fresh":true"#).unwrap();
        assert!(access.fresh());
        assert!(!parse("").unwrap().fresh(), "fresh defaults to false");
    }

    #[test]
    fn custom_as_reads_every_custom_claim_into_one_type() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Custom {
            role: String,
            tenant: u32,
            #[serde(default)]
            tags: Vec<String>,
        }
        let c = parse(r#","role":"admin","tenant":42"#).unwrap();
        assert_eq!(
            c.custom_as::<Custom>().unwrap(),
            Custom {
                role: "admin".into(),
                tenant: 42,
                tags: vec![]
            }
        );
        // Registered claims are not part of the custom map.
        let all: Map<String, Value> = c.custom_as().unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["role", "tenant"]);
        // A claim of the wrong shape, or a missing one, is an error.
        assert!(
            parse(r#","role":"admin","tenant":"42""#)
                .unwrap()
                .custom_as::<Custom>()
                .is_err()
        );
        assert!(
            parse(r#","role":"admin""#)
                .unwrap()
                .custom_as::<Custom>()
                .is_err()
        );
    }

    #[test]
    fn serializes_like_bustapi() {
        let c = parse(r#","jti":"j","fresh":true,"role":"admin""#).unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "identity": "u", "exp": 10, "iat": 1, "nbf": 1, "jti": "j",
                "type": "access", "fresh": true, "role": "admin"
            })
        );
    }
}
