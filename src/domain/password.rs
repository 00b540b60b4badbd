//! Password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt, stored as
//! `$pbkdf2-sha256$i=<iterations>$<salt base64>$<hash base64>` so the iteration count can be
//! raised later (old hashes stay verifiable and can be re-hashed on sign-in).
//! Responses never show a hash: only `"****"` plus its last four characters.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::Sha256;

use super::ids::constant_time_eq;

const SCHEME: &str = "pbkdf2-sha256";
/// Length of the salt the caller must provide.
pub const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
/// Bounds for the configured iteration count (production WebCrypto caps PBKDF2 at 100,000).
pub const MIN_ITERATIONS: u32 = 1_000;
pub const MAX_ITERATIONS: u32 = 10_000_000;
pub const DEFAULT_ITERATIONS: u32 = 100_000;

/// Length of a derived key.
pub const DERIVED_LEN: usize = HASH_LEN;

/// PBKDF2-HMAC-SHA256 in Rust. (The Worker derives through WebCrypto, which gives the same
/// bytes faster; tests prove the two agree.)
pub fn derive(password: &str, salt: &[u8], iterations: u32) -> [u8; DERIVED_LEN] {
    let mut out = [0u8; HASH_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out
}

/// The stored form of a derived key.
pub fn format(salt: &[u8], iterations: u32, derived: &[u8; DERIVED_LEN]) -> String {
    format!(
        "${SCHEME}$i={iterations}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(derived)
    )
}

/// Hashes `password` with the given salt and iteration count.
pub fn hash(password: &str, salt: &[u8; SALT_LEN], iterations: u32) -> String {
    format(salt, iterations, &derive(password, salt, iterations))
}

/// A stored hash, parsed: what to derive with, and what the result must be.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub iterations: u32,
    pub salt: Vec<u8>,
    hash: String,
}

impl Parsed {
    /// True if `derived` (from the candidate password, this salt and these iterations) is
    /// the stored key. Compared in constant time.
    pub fn matches(&self, derived: &[u8; DERIVED_LEN]) -> bool {
        constant_time_eq(&STANDARD.encode(derived), &self.hash)
    }
}

/// Parses a stored hash; `None` if it is not one of ours.
pub fn parse(stored: &str) -> Option<Parsed> {
    let mut parts = stored.split('$');
    let (empty, scheme, params, salt, hash) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if !empty.is_empty() || scheme != SCHEME || parts.next().is_some() {
        return None;
    }
    let iterations: u32 = params.strip_prefix("i=")?.parse().ok()?;
    if iterations == 0 {
        return None;
    }
    Some(Parsed {
        iterations,
        salt: STANDARD.decode(salt).ok()?,
        hash: hash.to_string(),
    })
}

/// True if `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Some(parsed) = parse(stored) else {
        return false;
    };
    let mut out = [0u8; HASH_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(
        password.as_bytes(),
        &parsed.salt,
        parsed.iterations,
        &mut out,
    );
    constant_time_eq(&STANDARD.encode(out), &parsed.hash)
}

/// True if `stored` was made with fewer iterations than `iterations` (re-hash on next sign-in).
pub fn needs_rehash(stored: &str, iterations: u32) -> bool {
    parse(stored).is_none_or(|p| p.iterations < iterations)
}

/// What responses show instead of the password: `"****"` + the last 4 characters of the hash.
pub fn mask(stored: &str) -> String {
    let tail: String = stored
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

/// Clamps a configured iteration count into the supported range.
pub fn clamp_iterations(configured: Option<u32>) -> u32 {
    configured
        .unwrap_or(DEFAULT_ITERATIONS)
        .clamp(MIN_ITERATIONS, MAX_ITERATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; SALT_LEN] = [7; SALT_LEN];

    #[test]
    fn hash_embeds_parameters_and_verifies() {
        let stored = hash("secret123", &SALT, 1_000);
        assert!(stored.starts_with("$pbkdf2-sha256$i=1000$"));
        assert!(verify("secret123", &stored));
        assert!(!verify("secret124", &stored));
        assert!(!verify("", &stored));
    }

    #[test]
    fn known_vector_matches_rfc_7914_style_derivation() {
        // PBKDF2-HMAC-SHA256("password", "salt", 1) from RFC 7914 §11, first 32 bytes.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"password", b"salt", 1, &mut out);
        assert_eq!(
            STANDARD.encode(out),
            STANDARD.encode([
                0x12, 0x0f, 0xb6, 0xcf, 0xfc, 0xf8, 0xb3, 0x2c, 0x43, 0xe7, 0x22, 0x52, 0x56, 0xc4,
                0xf8, 0x37, 0xa8, 0x65, 0x48, 0xc9, 0x2c, 0xcc, 0x35, 0x48, 0x08, 0x05, 0x98, 0x7c,
                0xb7, 0x0b, 0xe1, 0x7b
            ])
        );
    }

    #[test]
    fn same_password_different_salt_differs() {
        assert_ne!(hash("pw", &SALT, 1_000), hash("pw", &[8; SALT_LEN], 1_000));
    }

    #[test]
    fn malformed_hashes_never_verify() {
        for stored in [
            "",
            "plain",
            "$pbkdf2-sha256$i=0$AAAA$BBBB",
            "$md5$i=1$a$b",
            "$pbkdf2-sha256$i=1$a$b$c",
        ] {
            assert!(!verify("x", stored), "{stored}");
        }
    }

    #[test]
    fn mask_shows_only_the_last_four_characters() {
        let stored = hash("pw", &SALT, 1_000);
        let masked = mask(&stored);
        assert_eq!(masked.len(), 8);
        assert!(masked.starts_with("****"));
        assert!(stored.ends_with(&masked[4..]));
    }

    #[test]
    fn rehash_when_iterations_rise() {
        let stored = hash("pw", &SALT, 1_000);
        assert!(!needs_rehash(&stored, 1_000));
        assert!(needs_rehash(&stored, 2_000));
    }

    #[test]
    fn iterations_are_clamped() {
        assert_eq!(clamp_iterations(None), DEFAULT_ITERATIONS);
        assert_eq!(clamp_iterations(Some(1)), MIN_ITERATIONS);
        assert_eq!(clamp_iterations(Some(u32::MAX)), MAX_ITERATIONS);
    }
}
