//! Password hashing with argon2id, as BustAPI's `bustapi.auth.hash_password` / `verify_password`.
//!
//! Hashing is deliberately slow (tens of milliseconds) and takes 19 MiB of memory, so async code
//! should use [`hash_password_async`] and [`verify_password_async`], which run it on tokio's
//! blocking pool with at most one hash per available CPU in flight.

use std::sync::LazyLock;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use tokio::sync::Semaphore;

/// Passwords longer than this many bytes are refused before hashing, so a huge password
/// cannot make a login expensive.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// OWASP's argon2id parameters: m = 19 456 KiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash of a random password, verified against when the stored hash is missing or
/// malformed, so such a check costs as much as a real one (no user enumeration by timing).
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut password = [0u8; 16];
    // A fixed dummy password would do as well: nothing can log in with this hash anyway.
    let _ = getrandom::fill(&mut password);
    argon2()
        .hash_password(&password)
        .expect("hashing with valid parameters succeeds")
        .to_string()
});

/// Hashes `password` with argon2id and a random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`).
///
/// ```
/// use bustjwt_core::password::{hash_password, verify_password};
///
/// let hash = hash_password("secret");
/// assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert!(verify_password("secret", &hash));
/// assert!(!verify_password("wrong", &hash));
/// assert!(!verify_password("secret", "")); // an unknown user: false, not an error
/// ```
///
/// # Panics
/// If the operating system's random number generator fails (needed for the salt).
pub fn hash_password(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes())
        .expect("hashing with valid parameters and an OS salt succeeds")
        .to_string()
}

/// Whether `password` matches `hash` (a PHC string from [`hash_password`]).
///
/// Never fails: a wrong password, an empty or malformed hash and a password longer than
/// [`MAX_PASSWORD_LEN`] all give `false`. An empty or malformed hash is checked against a dummy
/// hash first, so it takes as long as a real check.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let parsed = PasswordHash::new(hash).ok();
    let (target, real) = match &parsed {
        Some(parsed) => (parsed.clone(), true),
        None => (
            PasswordHash::new(&DUMMY_HASH).expect("the dummy hash is a valid PHC string"),
            false,
        ),
    };
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    let matches = argon2()
        .verify_password(password.as_bytes(), &target)
        .is_ok();
    matches && real
}

/// Bounds the hashes in flight: each takes 19 MiB and a whole core, so more than one per core
/// only adds memory and latency.
static HASH_PERMITS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())));

async fn on_blocking_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = HASH_PERMITS
        .acquire()
        .await
        .expect("the hashing semaphore is never closed");
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
    }
}

/// [`hash_password`] on tokio's blocking pool, so it never stalls async workers.
///
/// Must be called from within a tokio runtime.
pub async fn hash_password_async(password: &str) -> String {
    let password = password.to_owned();
    on_blocking_pool(move || hash_password(&password)).await
}

/// [`verify_password`] on tokio's blocking pool, so it never stalls async workers.
///
/// Must be called from within a tokio runtime. Passwords over [`MAX_PASSWORD_LEN`] are refused
/// without hashing.
pub async fn verify_password_async(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    let (password, hash) = (password.to_owned(), hash.to_owned());
    on_blocking_pool(move || verify_password(&password, &hash)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn round_trip_and_owasp_parameters() {
        let hash = hash_password("secret");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("secret", &hash));
        assert!(!verify_password("Secret", &hash));
        assert!(!verify_password("", &hash));
        assert_ne!(hash, hash_password("secret"), "salts are random");
    }

    #[test]
    fn malformed_hashes_are_false_not_errors() {
        for hash in [
            "",
            "x",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$bad$bad",
            "\u{0}",
        ] {
            assert!(!verify_password("secret", hash), "{hash:?}");
        }
    }

    #[test]
    fn the_dummy_hash_never_matches() {
        assert!(!verify_password("", ""));
    }

    #[test]
    fn long_passwords_are_refused() {
        let long = "a".repeat(MAX_PASSWORD_LEN + 1);
        let hash = hash_password(&long);
        assert!(!verify_password(&long, &hash));
        let max = "a".repeat(MAX_PASSWORD_LEN);
        assert!(verify_password(&max, &hash_password(&max)));
    }

    #[test]
    fn unknown_user_check_costs_like_a_real_one() {
        let hash = hash_password("secret");
        LazyLock::force(&DUMMY_HASH);
        // Compare the minimum of a few runs of each, which is robust to scheduling noise.
        let time = |hash: &str| {
            (0..3)
                .map(|_| {
                    let start = Instant::now();
                    verify_password("guess", hash);
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let (real, missing) = (time(&hash), time(""));
        assert!(
            missing * 2 > real && real * 2 > missing,
            "real {real:?} vs missing {missing:?}"
        );
    }

    #[tokio::test]
    async fn async_forms_agree() {
        let hash = hash_password_async("secret").await;
        assert!(verify_password_async("secret", &hash).await);
        assert!(!verify_password_async("wrong", &hash).await);
        assert!(!verify_password_async("secret", "").await);
    }
}
