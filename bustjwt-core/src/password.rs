//! Password hashing with argon2id, as BustAPI's `bustapi.auth.hash_password` / `verify_password`.
//!
//! Hashing is deliberately slow (tens of milliseconds) and takes 19 MiB of memory, so async code
//! should use [`hash_password_async`] and [`verify_password_async`], which run it on a small
//! pool of low-priority threads, at most one hash per available CPU in flight.

mod pool;

use std::sync::{LazyLock, Mutex, PoisonError};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{
        PasswordVerifier,
        phc::{Output, ParamsString, PasswordHash, Salt},
    },
};

/// Passwords longer than this many bytes are refused before hashing, so a huge password
/// cannot make a login expensive.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// OWASP's argon2id parameters: m = 19 456 KiB, t = 2, p = 1.
fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid")
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// How many hashes may run at once on the async path, and how many memory areas are kept.
fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The 19 MiB memory areas of finished hashes, kept for the next ones: allocating (and page
/// faulting) 19 MiB per hash costs several milliseconds and fragments the allocator's arenas.
/// At most [`parallelism`] areas are kept; hashes beyond that allocate and free their own.
/// A kept area holds the last hash's internal state, like memory freed to the allocator would.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `f` on a memory area of `blocks` blocks, taken from [`MEMORY`] when it has one of that
/// size and given back afterwards (only areas of the OWASP size are kept).
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let pooled = blocks == params().block_count();
    let taken = if pooled {
        MEMORY.lock().unwrap_or_else(PoisonError::into_inner).pop()
    } else {
        None
    };
    let mut memory = taken.unwrap_or_else(|| vec![Block::new(); blocks]);
    let value = f(&mut memory);
    if pooled {
        let mut kept = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < parallelism() {
            kept.push(memory);
        }
    }
    value
}

/// The raw argon2 output of `password` with `salt`, `output_len` bytes long; `None` when the
/// inputs are out of argon2's ranges.
fn raw_hash(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> Option<Output> {
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..output_len)?;
    with_memory(argon2.params().block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, salt, out, memory)
    })
    .ok()?;
    Output::new(out).ok()
}

/// A real hash of a random password, verified against when the stored hash is missing or
/// malformed, so such a check costs as much as a real one (no user enumeration by timing).
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut password = [0u8; 16];
    // A fixed dummy password would do as well: nothing can log in with this hash anyway.
    let _ = getrandom::fill(&mut password);
    let password: String = password.iter().map(|b| format!("{b:02x}")).collect();
    hash_password(&password)
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
    let mut salt = [0u8; argon2::RECOMMENDED_SALT_LEN];
    getrandom::fill(&mut salt).expect("the operating system's random number generator failed");
    let params = params();
    let output = raw_hash(
        &argon2(),
        password.as_bytes(),
        &salt,
        Params::DEFAULT_OUTPUT_LEN,
    )
    .expect("hashing with valid parameters and an OS salt succeeds");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("OWASP parameters fit a PHC string"),
        salt: Some(Salt::new(&salt).expect("a 16-byte salt is valid")),
        hash: Some(output),
    }
    .to_string()
}

/// Checks `password` against a parsed PHC hash. Hashes whose memory size is the OWASP one (all
/// that [`hash_password`] makes) run on a kept memory area; others go through argon2's own
/// verifier, which allocates (and fails cleanly when the stored size is absurd).
fn check(password: &[u8], target: &PasswordHash) -> bool {
    let fast = (|| {
        let params = Params::try_from(target).ok()?;
        if params.block_count() != self::params().block_count() {
            return None;
        }
        let algorithm = Algorithm::try_from(target.algorithm.as_str()).ok()?;
        let version = target
            .version
            .map_or(Ok(Version::default()), Version::try_from);
        let argon2 = Argon2::new(algorithm, version.ok()?, params);
        Some((argon2, target.salt.as_ref()?, target.hash.as_ref()?))
    })();
    match fast {
        Some((argon2, salt, expected)) => {
            // `Output`'s equality is constant time.
            raw_hash(&argon2, password, salt.as_ref(), expected.len())
                .is_some_and(|computed| computed == *expected)
        }
        None => argon2().verify_password(password, target).is_ok(),
    }
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
    let matches = check(password.as_bytes(), &target);
    matches && real
}

/// [`hash_password`] on bustjwt's hashing threads, so it never stalls async workers.
///
/// The hashing threads (one per available CPU, so at most that many hashes in flight) run at a
/// lower scheduling priority than the rest of the process on Linux: while logins keep them
/// busy, other requests still get a CPU as soon as they need one. Works under any executor.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use bustjwt_core::password::{hash_password_async, verify_password_async};
///
/// let hash = hash_password_async("secret").await;
/// assert!(verify_password_async("secret", &hash).await);
/// # });
/// ```
pub async fn hash_password_async(password: &str) -> String {
    let password = password.to_owned();
    pool::run(move || hash_password(&password)).await
}

/// [`verify_password`] on bustjwt's hashing threads, so it never stalls async workers (see
/// [`hash_password_async`]).
///
/// Passwords over [`MAX_PASSWORD_LEN`] are refused without hashing. A caller dropped while
/// waiting for a hashing thread (a client that disconnected) costs no hash.
pub async fn verify_password_async(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    let (password, hash) = (password.to_owned(), hash.to_owned());
    pool::run(move || verify_password(&password, &hash)).await
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
    fn kept_memory_gives_argon2s_own_results() {
        // The second and later hashes run on memory left dirty by earlier ones.
        for password in ["secret", "other", "secret"] {
            let hash = hash_password(password);
            let parsed = PasswordHash::new(&hash).unwrap();
            assert!(
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            );
            assert!(verify_password(password, &hash));
        }
        // A hash made by argon2 itself, with its own allocation, verifies on kept memory.
        use argon2::password_hash::PasswordHasher;
        let theirs = argon2().hash_password(b"secret").unwrap().to_string();
        assert!(verify_password("secret", &theirs));
        assert!(!verify_password("secreT", &theirs));
        assert!(MEMORY.lock().unwrap().len() <= parallelism());
    }

    #[test]
    fn other_parameters_still_verify() {
        use argon2::password_hash::PasswordHasher;
        for (algorithm, m, t) in [
            (Algorithm::Argon2id, 8_192, 1),
            (Algorithm::Argon2i, 19_456, 3),
            (Algorithm::Argon2d, 19_456, 2),
        ] {
            let params = Params::new(m, t, 1, Some(24)).unwrap();
            let hash = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"secret")
                .unwrap()
                .to_string();
            assert!(verify_password("secret", &hash), "{hash}");
            assert!(!verify_password("wrong", &hash), "{hash}");
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
