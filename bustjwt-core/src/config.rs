//! Building a [`Jwt`]: the seed's `JWT(app, secret_key=.., algorithm=.., ...)`, validated once.

use std::{fmt, time::Duration};

use crate::{Algorithm, ConfigError, Jwt};

/// Lifetimes longer than this are refused: they could not be added to a Unix timestamp safely,
/// and no token should live for a century.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A new 64-byte secret key from the operating system's random number generator: long enough
/// for every algorithm (RFC 7518 §3.2).
///
/// Tokens signed with it stop verifying when the process restarts, so persistent deployments
/// should load a stored key instead (for example `openssl rand -base64 64` into `SECRET_KEY`).
///
/// ```
/// use bustjwt_core::{Jwt, random_secret_key};
///
/// let jwt = Jwt::builder().secret_key(random_secret_key()).algorithm("HS512").build()?;
/// assert!(jwt.verify_token(&jwt.create_access_token("ada")));
/// # Ok::<(), bustjwt_core::ConfigError>(())
/// ```
///
/// # Panics
/// If the operating system's random number generator fails.
pub fn random_secret_key() -> [u8; 64] {
    let mut key = [0u8; 64];
    getrandom::fill(&mut key).expect("the operating system's random number generator failed");
    key
}

/// Something that owns a [`Jwt`], such as the web app: it may provide the secret key and it keeps
/// the configuration so that guarded handlers can verify tokens.
///
/// This is how `Jwt::new(&mut app)` mirrors BustAPI's `JWT(app)`.
pub trait JwtHost {
    /// The host's own secret key, used when the builder sets none.
    fn host_secret_key(&self) -> Option<&[u8]>;
    /// Stores the configuration, for guards and handlers.
    fn set_jwt(&mut self, jwt: Jwt);
}

/// Configures a [`Jwt`]. Every setting is checked by [`build`](Self::build) (or
/// [`init`](Self::init)), so a bad configuration fails at startup, never on a request.
///
/// ```
/// use std::time::Duration;
/// use bustjwt_core::{ConfigError, Jwt};
///
/// let jwt = Jwt::builder()
///     .secret_key("a-secret-key-of-at-least-48-bytes-for-hs384-signing!")
///     .algorithm("hs384")
///     .access_expires(Duration::from_secs(600))
///     .refresh_expires(Duration::from_secs(7 * 24 * 3600))
///     .leeway(Duration::from_secs(30)) // tolerate 30 s of clock skew on `exp` and `nbf`
///     .issuer("https://auth.example.com")
///     .audience("https://api.example.com")
///     .build()?;
/// assert_eq!(jwt.algorithm().name(), "HS384");
///
/// // Tokens carry the issuer and audience, and decoding requires both.
/// let claims = jwt.decode_token(&jwt.create_access_token("ada")).unwrap();
/// assert_eq!(claims.issuer(), Some("https://auth.example.com"));
/// assert_eq!(claims.audience(), ["https://api.example.com"]);
///
/// let short = Jwt::builder().secret_key("too short").build();
/// assert!(matches!(short, Err(ConfigError::SecretKeyTooShort { minimum: 32, .. })));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until `build` or `init` is called"]
pub struct JwtBuilder {
    pub(crate) secret_key: Option<Vec<u8>>,
    pub(crate) algorithm: Result<Algorithm, ConfigError>,
    pub(crate) access_expires: Duration,
    pub(crate) refresh_expires: Duration,
    pub(crate) leeway: Duration,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
}

impl fmt::Debug for JwtBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBuilder")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("algorithm", &self.algorithm)
            .field("access_expires", &self.access_expires)
            .field("refresh_expires", &self.refresh_expires)
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Default for JwtBuilder {
    fn default() -> Self {
        JwtBuilder {
            secret_key: None,
            algorithm: Ok(Algorithm::HS256),
            access_expires: Duration::from_secs(900),
            refresh_expires: Duration::from_secs(2_592_000),
            leeway: Duration::ZERO,
            issuer: None,
            audience: None,
        }
    }
}

impl JwtBuilder {
    /// A builder with the defaults: HS256, 15-minute access tokens, 30-day refresh tokens, no
    /// leeway, no issuer or audience, and no secret key.
    pub fn new() -> Self {
        Self::default()
    }

    /// The HMAC secret key. It must be at least as long as the hash output: 32 bytes for HS256,
    /// 48 for HS384, 64 for HS512 (RFC 7518 §3.2). Overrides the host's key in
    /// [`init`](Self::init). Defaults to none.
    pub fn secret_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.secret_key = Some(key.as_ref().to_vec());
        self
    }

    /// The signing algorithm by name (`"HS256"`, `"hs512"`, ...) or as an [`Algorithm`].
    /// Names are case-insensitive; `none` and non-HMAC algorithms are refused at build time.
    /// Defaults to `HS256`.
    pub fn algorithm(mut self, algorithm: impl AsRef<str>) -> Self {
        self.algorithm = algorithm.as_ref().parse();
        self
    }

    /// How long access tokens live. Defaults to 900 seconds (15 minutes).
    pub fn access_expires(mut self, lifetime: Duration) -> Self {
        self.access_expires = lifetime;
        self
    }

    /// How long refresh tokens live. Defaults to 2 592 000 seconds (30 days).
    pub fn refresh_expires(mut self, lifetime: Duration) -> Self {
        self.refresh_expires = lifetime;
        self
    }

    /// Clock skew tolerated when checking `exp` and `nbf`. Defaults to zero.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Sets `iss` on new tokens and requires it on decoded ones. Defaults to none.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets `aud` on new tokens and requires it on decoded ones. Defaults to none, in which case
    /// a token carrying `aud` is refused (it was meant for a specific recipient).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Checks the configuration and builds the [`Jwt`].
    pub fn build(self) -> Result<Jwt, ConfigError> {
        let algorithm = self.algorithm.clone()?;
        let key = self
            .secret_key
            .as_deref()
            .ok_or(ConfigError::MissingSecretKey)?;
        if key.len() < algorithm.min_key_len() {
            return Err(ConfigError::SecretKeyTooShort {
                algorithm,
                actual: key.len(),
                minimum: algorithm.min_key_len(),
            });
        }
        for (setting, lifetime) in [
            ("access_expires", self.access_expires),
            ("refresh_expires", self.refresh_expires),
        ] {
            if lifetime < Duration::from_secs(1) || lifetime > MAX_LIFETIME {
                return Err(ConfigError::InvalidLifetime { setting });
            }
        }
        if self.leeway > MAX_LIFETIME {
            return Err(ConfigError::InvalidLifetime { setting: "leeway" });
        }
        Ok(Jwt::from_config(algorithm, key, &self))
    }

    /// Builds the [`Jwt`] with the host's secret key (unless one was set here) and stores it in
    /// the host, as BustAPI's `JWT(app)` does.
    pub fn init(mut self, host: &mut impl JwtHost) -> Result<Jwt, ConfigError> {
        if self.secret_key.is_none() {
            self.secret_key = host.host_secret_key().map(<[u8]>::to_vec);
        }
        let jwt = self.build()?;
        host.set_jwt(jwt.clone());
        Ok(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_minimum_per_algorithm() {
        for (alg, min) in [("HS256", 32), ("HS384", 48), ("HS512", 64)] {
            let short = Jwt::builder()
                .algorithm(alg)
                .secret_key(vec![1; min - 1])
                .build();
            let err = short.unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("at least {min} bytes")), "{msg}");
            assert!(msg.contains("openssl rand"), "{msg}");
            assert!(
                Jwt::builder()
                    .algorithm(alg)
                    .secret_key(vec![1; min])
                    .build()
                    .is_ok()
            );
        }
    }

    #[test]
    fn missing_key_and_bad_algorithm_are_errors() {
        assert_eq!(
            Jwt::builder().build().unwrap_err(),
            ConfigError::MissingSecretKey
        );
        let err = Jwt::builder()
            .secret_key([0; 64])
            .algorithm("none")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("HS256, HS384 and HS512"));
    }

    #[test]
    fn lifetimes_are_bounded() {
        let zero = Jwt::builder()
            .secret_key([0; 32])
            .access_expires(Duration::ZERO)
            .build();
        assert_eq!(
            zero.unwrap_err(),
            ConfigError::InvalidLifetime {
                setting: "access_expires"
            }
        );
        let huge = Jwt::builder()
            .secret_key([0; 32])
            .refresh_expires(Duration::MAX)
            .build();
        assert_eq!(
            huge.unwrap_err(),
            ConfigError::InvalidLifetime {
                setting: "refresh_expires"
            }
        );
    }

    #[test]
    fn debug_redacts_the_key() {
        let builder = Jwt::builder().secret_key("super-secret-value-0123456789abcdef");
        assert!(!format!("{builder:?}").contains("super-secret"));
        let jwt = builder.build().unwrap();
        assert!(!format!("{jwt:?}").contains("super-secret"));
    }

    struct App {
        key: Option<Vec<u8>>,
        jwt: Option<Jwt>,
    }

    impl JwtHost for App {
        fn host_secret_key(&self) -> Option<&[u8]> {
            self.key.as_deref()
        }
        fn set_jwt(&mut self, jwt: Jwt) {
            self.jwt = Some(jwt);
        }
    }

    #[test]
    fn init_uses_and_overrides_the_host_key() {
        let mut app = App {
            key: Some(vec![3; 32]),
            jwt: None,
        };
        let jwt = Jwt::new(&mut app).unwrap();
        let token = jwt.create_access_token("u");
        assert!(app.jwt.as_ref().unwrap().verify_token(&token));

        let other = Jwt::builder().secret_key([4; 32]).init(&mut app).unwrap();
        assert!(
            !other.verify_token(&token),
            "the builder's key overrides the app's"
        );

        let mut keyless = App {
            key: None,
            jwt: None,
        };
        assert_eq!(
            Jwt::new(&mut keyless).unwrap_err(),
            ConfigError::MissingSecretKey
        );
        assert!(keyless.jwt.is_none());
    }
}
