//! Resource versions as requests carry them. A version travels through JSON and JavaScript
//! (the Worker runtime, D1 bindings) as a double, so only whole numbers up to 2^53 − 1 are
//! exact: larger ones are refused at the edge (400), never carried inward.

use serde::{Deserialize, Deserializer, Serialize};

use super::error::ApiError;

/// The largest version a request may name: `Number.MAX_SAFE_INTEGER`.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// A version a request expects the resource to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Version(u64);

impl Version {
    /// A version within [`MAX_VERSION`].
    pub fn new(value: u64) -> Option<Version> {
        (value <= MAX_VERSION).then_some(Version(value))
    }

    /// A version read from the store: exact, as the store only ever holds versions that
    /// started at 1 and rose by one per change.
    pub fn stored(value: u64) -> Version {
        Version(value)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// A version written in decimal (a query parameter), or why it is not one.
    pub fn parse(text: &str) -> Result<Version, String> {
        text.parse::<u64>()
            .ok()
            .and_then(Version::new)
            .ok_or_else(|| out_of_range(text))
    }
}

fn out_of_range(given: &str) -> String {
    format!("a version must be a whole number between 0 and {MAX_VERSION}, not {given}")
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(deserializer)?;
        Version::new(value)
            .ok_or_else(|| serde::de::Error::custom(out_of_range(&value.to_string())))
    }
}

/// The one version check of every write: the request's `expected` version must be the
/// resource's `current` one, else 409 `ConcurrentModification` naming the current version.
pub fn check(expected: Version, current: u64) -> Result<(), ApiError> {
    if expected.0 == current {
        Ok(())
    } else {
        Err(ApiError::ConcurrentModification {
            expected: expected.0,
            current: Some(current),
        })
    }
}

impl PartialEq<u64> for Version {
    fn eq(&self, other: &u64) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_beyond_the_exact_doubles_are_refused() {
        assert_eq!(Version::parse("7").unwrap().get(), 7);
        assert!(Version::parse(&MAX_VERSION.to_string()).is_ok());
        assert!(Version::parse(&(MAX_VERSION + 1).to_string()).is_err());
        assert!(Version::parse("18446744073709551615").is_err());
        assert!(Version::parse("-1").is_err());
        assert!(serde_json::from_str::<Version>("9007199254740992").is_err());
        assert!(serde_json::from_str::<Version>("1.5").is_err());
        assert_eq!(serde_json::from_str::<Version>("3").unwrap(), 3);
    }
}
