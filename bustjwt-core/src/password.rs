//! Password hashing with argon2id, as BustAPI's `bustapi.auth.hash_password` / `verify_password`.
//!
//! Hashing is deliberately slow (tens of milliseconds) and takes 19 MiB of memory, so async code
//! should use [`hash_password_async`] and [`verify_password_async`], which run it on a small
//! pool of low-priority threads, at most one hash per available CPU in flight.

mod pool;

use std::sync::{LazyLock, Mutex, PoisonError};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
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

/// Runs `f` on a memory area of the OWASP size, taken from [`MEMORY`] when it has one and given
/// back afterwards.
fn with_memory<T>(f: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = MEMORY.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut memory = taken.unwrap_or_else(|| vec![Block::new(); params().block_count()]);
    let value = f(&mut memory);
    let mut kept = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() < parallelism() {
        kept.push(memory);
    }
    value
}

/// The raw argon2 output of `password` with `salt`, `output_len` bytes long; `None` when the
/// inputs are out of argon2's ranges or the memory cannot be allocated.
///
/// The OWASP memory size (all that [`hash_password`] makes) runs on a kept memory area; other
/// sizes let argon2 allocate, which fails cleanly when a stored size is absurd.
fn raw_hash(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> Option<Output> {
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..output_len)?;
    if argon2.params().block_count() == params().block_count() {
        with_memory(|memory| argon2.hash_password_into_with_memory(password, salt, out, memory))
    } else {
        argon2.hash_password_into(password, salt, out)
    }
    .ok()?;
    Output::new(out).ok()
}

/// A real hash of a random password, verified against when the stored hash cannot be checked
/// (missing, malformed, another algorithm), so such a check costs as much as a real one (no
/// user enumeration by timing).
static DUMMY_HASH: LazyLock<PasswordHash> = LazyLock::new(|| {
    let mut password = [0u8; 16];
    // A fixed dummy password would do as well: the result of a dummy check is never used.
    let _ = getrandom::fill(&mut password);
    let password: String = password.iter().map(|b| format!("{b:02x}")).collect();
    PasswordHash::new(&hash_password(&password)).expect("hash_password makes valid PHC strings")
});

/// Hashes `password` with argon2id and a random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`).
///
/// ```
/// use bustjwt_core::password::{MAX_PASSWORD_LEN, hash_password, verify_password};
///
/// let hash = hash_password("secret");
/// assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert!(verify_password("secret", &hash));
/// assert!(!verify_password("wrong", &hash));
/// assert!(!verify_password("secret", "")); // an unknown user: false, not an error
///
/// // Refuse over-long passwords when they are set: their hash could never verify.
/// let long = "p".repeat(MAX_PASSWORD_LEN + 1);
/// assert!(!verify_password(&long, &hash_password(&long)));
/// ```
///
/// A password longer than [`MAX_PASSWORD_LEN`] bytes is hashed like any other, but
/// [`verify_password`] refuses every password over that length before hashing, so such a hash
/// can never verify. Check the length where passwords are chosen (a sign-up or
/// password-change form) and tell the user there.
///
/// # Panics
/// If the operating system's random number generator fails (needed for the salt). There is no
/// safe fallback: a predictable salt would weaken every hash made with it.
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

/// Checks `password` against a parsed PHC hash: `Some(matches)` after a real argon2
/// computation, `None` when the hash cannot be checked at all (not argon2, unknown version,
/// bad or missing parameters, salt or hash), in which case no argon2 work was done or it
/// stopped early.
fn check(password: &[u8], target: &PasswordHash) -> Option<bool> {
    let algorithm = Algorithm::try_from(target.algorithm.as_str()).ok()?;
    let version = match target.version {
        Some(version) => Version::try_from(version).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(target).ok()?;
    let (salt, expected) = (target.salt.as_ref()?, target.hash.as_ref()?);
    let argon2 = Argon2::new(algorithm, version, params);
    let computed = raw_hash(&argon2, password, salt.as_ref(), expected.len())?;
    // `Output`'s equality is constant time.
    Some(computed == *expected)
}

/// Whether `password` matches `hash` (a PHC string from [`hash_password`], or any argon2 PHC
/// string).
///
/// Never fails: a wrong password, an empty or malformed hash and a password longer than
/// [`MAX_PASSWORD_LEN`] all give `false`. A hash that cannot be checked (empty, malformed, not
/// argon2, or argon2 without usable parameters, salt or output) is replaced by a check against
/// a dummy hash, so it takes as long as a real check and response time does not reveal
/// whether a user exists. Over-long passwords return at once, whatever the hash: that reveals
/// nothing about the user.
pub fn verify_password(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    let password = password.as_bytes();
    match PasswordHash::new(hash)
        .ok()
        .and_then(|target| check(password, &target))
    {
        Some(matches) => matches,
        None => {
            // The result is irrelevant: only the time it takes matters.
            std::hint::black_box(check(password, &DUMMY_HASH));
            false
        }
    }
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
    use argon2::password_hash::PasswordVerifier;
    use std::time::{Duration, Instant};

    /// Hashes that parse or not, but can never be a real argon2 verification.
    const UNCHECKABLE: [&str; 10] = [
        "",
        "x",
        "\u{0}",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
        "$argon2id$v=99$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        // A salt of 4 bytes (at least 8 are needed).
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=600000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ];

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
        for hash in UNCHECKABLE
            .into_iter()
            .chain(["$argon2id$v=19$m=19456,t=2,p=1$bad$bad"])
        {
            assert!(!verify_password("secret", hash), "{hash:?}");
            assert!(!verify_password("", hash), "{hash:?}");
        }
    }

    #[test]
    fn uncheckable_hashes_parse_or_not_but_never_check() {
        // The list covers both kinds: strings that are not PHC at all, and PHC strings that
        // `check` cannot verify (no salt or hash, bad version or parameters, not argon2).
        let parses = |hash: &str| PasswordHash::new(hash).is_ok();
        assert!(UNCHECKABLE.iter().any(|hash| !parses(hash)));
        assert_eq!(UNCHECKABLE.iter().filter(|hash| parses(hash)).count(), 5);
        for hash in UNCHECKABLE.into_iter().filter(|hash| parses(hash)) {
            let parsed = PasswordHash::new(hash).unwrap();
            assert_eq!(check(b"secret", &parsed), None, "{hash}");
        }
        assert_eq!(check(b"secret", &DUMMY_HASH), Some(false));
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
        // The fastest of a few runs: scheduling noise on a loaded machine only adds time.
        let time = |hash: &str, runs: usize| -> Duration {
            (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    assert!(!verify_password("guess", hash), "{hash:?}");
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let real = time(&hash, 3);
        for odd in UNCHECKABLE {
            let odd_time = time(odd, 2);
            // A lower bound only: each of these does one full argon2 verification (of the
            // dummy hash), while an early return would take microseconds. 0.3 leaves room for
            // a loaded 2-core machine and frequency scaling between the measurements.
            assert!(
                odd_time.as_secs_f64() >= 0.3 * real.as_secs_f64(),
                "{odd:?} took {odd_time:?}, a real verification {real:?}"
            );
        }
    }

    #[tokio::test]
    async fn async_forms_agree() {
        let hash = hash_password_async("secret").await;
        assert!(verify_password_async("secret", &hash).await);
        assert!(!verify_password_async("wrong", &hash).await);
        assert!(!verify_password_async("secret", "").await);
    }
}
