//! Identifiers and secrets made from randomness the caller supplies: customer ids (UUID v4),
//! address ids, token values, and the SHA-256 digests tokens are stored under.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A source of random bytes. The Worker passes the platform CSPRNG; tests pass a fixed sequence.
pub trait Random {
    fn fill(&mut self, dest: &mut [u8]);
}

/// A random UUID v4 in its hyphenated lower-case form.
pub fn new_uuid(rng: &mut dyn Random) -> String {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Longest `X-Correlation-ID` a request may bring (ours; commercetools documents none).
pub const MAX_CORRELATION_ID_LEN: usize = 256;

/// The `X-Correlation-ID` of a response: the request's own if it sent a usable one (1 to
/// [`MAX_CORRELATION_ID_LEN`] visible ASCII characters, so it can go back into a header and a
/// log line unchanged), else a new UUID.
pub fn correlation_id(given: Option<&str>, rng: &mut dyn Random) -> String {
    match given.map(str::trim) {
        Some(id)
            if !id.is_empty()
                && id.len() <= MAX_CORRELATION_ID_LEN
                && id.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            id.to_string()
        }
        _ => new_uuid(rng),
    }
}

const ADDRESS_ID_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A short random address id like commercetools' (`G6cbqTeY`): 8 characters of [A-Za-z0-9].
pub fn new_address_id(rng: &mut dyn Random) -> String {
    alphanumeric(rng, 8)
}

/// `len` random characters of [A-Za-z0-9], each equally likely.
pub fn alphanumeric(rng: &mut dyn Random, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut byte = [0u8; 1];
    while out.len() < len {
        rng.fill(&mut byte);
        // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
        if byte[0] < 248 {
            out.push(ADDRESS_ID_ALPHABET[usize::from(byte[0]) % 62] as char);
        }
    }
    out
}

/// An unguessable token value: 32 random bytes, base64url without padding (43 characters).
pub fn new_token(rng: &mut dyn Random) -> String {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex SHA-256 of `value`: the form secrets and tokens are stored and compared in.
pub fn sha256_hex(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Deterministic randomness for unit tests: bytes count up from a seed.
#[cfg(test)]
pub struct CountingRandom(pub u8);

#[cfg(test)]
impl Random for CountingRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        for byte in dest {
            *byte = self.0;
            self.0 = self.0.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_version_4() {
        let id = new_uuid(&mut CountingRandom(0));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn correlation_ids_are_kept_when_usable() {
        let rng = &mut CountingRandom(0);
        assert_eq!(correlation_id(Some("shop-42/abc"), rng), "shop-42/abc");
        for bad in [None, Some(""), Some("a b"), Some("é"), Some("x\u{7f}")] {
            assert_eq!(correlation_id(bad, rng).len(), 36, "{bad:?}");
        }
        let long = "a".repeat(MAX_CORRELATION_ID_LEN + 1);
        assert_eq!(correlation_id(Some(&long), rng).len(), 36);
    }

    #[test]
    fn address_ids_are_eight_alphanumerics() {
        let id = new_address_id(&mut CountingRandom(240));
        assert_eq!(id.len(), 8);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn tokens_carry_32_bytes() {
        let token = new_token(&mut CountingRandom(7));
        assert_eq!(token.len(), 43);
        assert_ne!(token, new_token(&mut CountingRandom(8)));
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
