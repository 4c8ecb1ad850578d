//! HMAC signing with a key that is set up once per configuration.
//!
//! `jsonwebtoken` re-derives the HMAC key schedule on every call; keying once and cloning the
//! keyed state per token saves two hash-block compressions per operation.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

use crate::Algorithm;

/// The largest signature: HMAC-SHA512 gives 64 bytes.
pub(crate) const MAX_SIGNATURE_LEN: usize = 64;

/// A keyed HMAC state for one algorithm.
#[derive(Clone)]
pub(crate) enum Signer {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never show the keyed state: it is equivalent to the key.
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> Self {
        // HMAC accepts keys of any length; the minimum is enforced by the builder.
        match algorithm {
            Algorithm::HS256 => {
                Signer::Hs256(Hmac::new_from_slice(key).expect("HMAC accepts keys of any length"))
            }
            Algorithm::HS384 => {
                Signer::Hs384(Hmac::new_from_slice(key).expect("HMAC accepts keys of any length"))
            }
            Algorithm::HS512 => {
                Signer::Hs512(Hmac::new_from_slice(key).expect("HMAC accepts keys of any length"))
            }
        }
    }

    /// The signature of `message`, in a buffer of which the first `len` bytes are used.
    pub(crate) fn sign(&self, message: &[u8]) -> ([u8; MAX_SIGNATURE_LEN], usize) {
        fn run<M: Mac + Clone>(mac: &M, message: &[u8]) -> ([u8; MAX_SIGNATURE_LEN], usize) {
            let mut mac = mac.clone();
            mac.update(message);
            let tag = mac.finalize().into_bytes();
            let mut out = [0u8; MAX_SIGNATURE_LEN];
            out[..tag.len()].copy_from_slice(&tag);
            (out, tag.len())
        }
        match self {
            Signer::Hs256(mac) => run(mac, message),
            Signer::Hs384(mac) => run(mac, message),
            Signer::Hs512(mac) => run(mac, message),
        }
    }

    /// Checks `signature` against `message` in constant time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        fn run<M: Mac + Clone>(mac: &M, message: &[u8], signature: &[u8]) -> bool {
            let mut mac = mac.clone();
            mac.update(message);
            // `verify_slice` compares with `subtle`'s constant-time equality and rejects a
            // signature of the wrong length without comparing.
            mac.verify_slice(signature).is_ok()
        }
        match self {
            Signer::Hs256(mac) => run(mac, message, signature),
            Signer::Hs384(mac) => run(mac, message, signature),
            Signer::Hs512(mac) => run(mac, message, signature),
        }
    }
}
