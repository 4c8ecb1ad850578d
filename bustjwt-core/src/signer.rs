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
            // `verify_slice` compares in constant time (digest's `ct_eq`, from `ctutils`) and
            // rejects a signature of the wrong length without comparing.
            mac.verify_slice(signature).is_ok()
        }
        match self {
            Signer::Hs256(mac) => run(mac, message, signature),
            Signer::Hs384(mac) => run(mac, message, signature),
            Signer::Hs512(mac) => run(mac, message, signature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1In0";

    /// The reference: `MESSAGE`'s MAC computed from scratch with the RustCrypto type.
    fn hmac<M: Mac + KeyInit>(key: &[u8]) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).unwrap();
        mac.update(MESSAGE);
        mac.finalize().into_bytes().to_vec()
    }

    fn signer(algorithm: Algorithm) -> Signer {
        Signer::new(algorithm, &[0x5a; 64][..algorithm.min_key_len()])
    }

    #[test]
    fn signatures_have_the_hash_length_and_match_hmac() {
        for (algorithm, len) in [
            (Algorithm::HS256, 32),
            (Algorithm::HS384, 48),
            (Algorithm::HS512, 64),
        ] {
            let (signature, signature_len) = signer(algorithm).sign(MESSAGE);
            assert_eq!(signature_len, len, "{algorithm}");
            assert!(signature[len..].iter().all(|&b| b == 0), "{algorithm}");
            let key = &[0x5a; 64][..algorithm.min_key_len()];
            let expected = match algorithm {
                Algorithm::HS256 => hmac::<Hmac<Sha256>>(key),
                Algorithm::HS384 => hmac::<Hmac<Sha384>>(key),
                Algorithm::HS512 => hmac::<Hmac<Sha512>>(key),
            };
            assert_eq!(signature[..len], expected[..], "{algorithm}");
        }
    }

    #[test]
    fn verify_rejects_wrong_lengths_and_every_bit_flip() {
        for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let signer = signer(algorithm);
            let (buffer, len) = signer.sign(MESSAGE);
            let good = &buffer[..len];
            assert!(signer.verify(MESSAGE, good), "{algorithm}: the correct one");

            // Every other length: empty, one byte short (a prefix), one byte long (the
            // correct signature plus a byte), and every length up to the largest HMAC's.
            assert!(!signer.verify(MESSAGE, &[]), "{algorithm}: empty");
            assert!(
                !signer.verify(MESSAGE, &good[..len - 1]),
                "{algorithm}: len - 1"
            );
            let mut longer = good.to_vec();
            longer.push(0);
            assert!(!signer.verify(MESSAGE, &longer), "{algorithm}: len + 1");
            for other_len in (0..=MAX_SIGNATURE_LEN + 1).filter(|&n| n != len) {
                let mut wrong = good.to_vec();
                wrong.resize(other_len, 0);
                assert!(
                    !signer.verify(MESSAGE, &wrong),
                    "{algorithm}: {other_len} bytes"
                );
            }

            // Every single-bit flip of the correct signature.
            for bit in 0..len * 8 {
                let mut flipped = good.to_vec();
                flipped[bit / 8] ^= 1 << (bit % 8);
                assert!(!signer.verify(MESSAGE, &flipped), "{algorithm}: bit {bit}");
            }
        }
    }

    #[test]
    fn verify_rejects_another_key_message_or_algorithm() {
        let hs256 = signer(Algorithm::HS256);
        let (buffer, len) = hs256.sign(MESSAGE);
        let good = &buffer[..len];
        assert!(!Signer::new(Algorithm::HS256, &[0x5b; 32]).verify(MESSAGE, good));
        assert!(!hs256.verify(b"another message", good));
        // The HS512 signature of the same message with the same key, cut to 32 bytes.
        let (long, _) = Signer::new(Algorithm::HS512, &[0x5a; 32]).sign(MESSAGE);
        assert!(!hs256.verify(MESSAGE, &long[..32]));
    }

    #[test]
    fn debug_hides_the_keyed_state() {
        assert_eq!(format!("{:?}", signer(Algorithm::HS256)), "Signer(..)");
    }
}
