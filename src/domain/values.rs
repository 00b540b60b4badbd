//! Values that have rules, parsed once at the edge and carried as their own types from then on:
//! an [`Email`] (which keeps the form uniqueness and sign-in compare), a resource [`Key`], a
//! [`StoreKey`], a [`ProjectKey`] and a [`PasswordHash`]. A value of one of these types has
//! passed its rule (or was read back from storage, which only ever held checked values).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ApiError;
use super::validate;

/// An email address as a customer gave it, with the form it is compared in (Unicode NFC,
/// lower case; see [`validate::lowercase_email`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    text: String,
    lowercase: String,
}

impl Email {
    /// An email from a request: it must pass [`validate::email`]; `field` names it in the error.
    pub fn parse(field: &str, text: &str) -> Result<Email, ApiError> {
        validate::email(field, text)?;
        Ok(Email::stored(text))
    }

    /// An email read back from storage (checked when it was written).
    pub fn stored(text: &str) -> Email {
        Email {
            text: text.to_string(),
            lowercase: validate::lowercase_email(text),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The form uniqueness and sign-in compare.
    pub fn lowercase(&self) -> &str {
        &self.lowercase
    }
}

impl PartialEq<str> for Email {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Email {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Read back from a stored document without checking (see [`Email::stored`]).
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Email::stored(&String::deserialize(deserializer)?))
    }
}

/// Declares a string newtype whose values pass `validate::is_valid_key`.
macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A key from a request: `^[A-Za-z0-9_-]+$`, 2–256 characters; `field` names it.
            pub fn parse(field: &str, text: &str) -> Result<$name, ApiError> {
                validate::key(field, text)?;
                Ok($name(text.to_string()))
            }

            /// The key if it is one (no error to report).
            pub fn try_from_str(text: &str) -> Option<$name> {
                validate::is_valid_key(text).then(|| $name(text.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }
    };
}

key_type!(
    /// A resource's user-given key (a customer's, an address's).
    Key
);

key_type!(
    /// The key of a store (stores are known by key).
    StoreKey
);

/// The project a request is about (the first path segment). commercetools project keys are
/// lower-case letters, digits and `-`; here any non-empty segment names a project, and a
/// project nobody holds scopes for is simply empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectKey(String);

impl ProjectKey {
    pub fn new(text: &str) -> ProjectKey {
        ProjectKey(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for ProjectKey {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// A stored password hash (`$pbkdf2-sha256$i=…$salt$hash`); never shown, only masked.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// A hash as the password module formats it, or as read back from storage.
    pub fn new(text: String) -> PasswordHash {
        PasswordHash(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What responses show: `****` and the last four characters.
    pub fn mask(&self) -> String {
        super::password::mask(&self.0)
    }
}

impl std::ops::Deref for PasswordHash {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Never printed, even in debug output.
impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_keeps_its_comparison_form() {
        let email = Email::parse("email", "Jo\u{e9}@Example.COM").unwrap();
        assert_eq!(email.as_str(), "Jo\u{e9}@Example.COM");
        assert_eq!(email.lowercase(), "jo\u{e9}@example.com");
        assert!(Email::parse("email", "no-at-sign").is_err());
        let json = serde_json::to_string(&email).unwrap();
        assert_eq!(json, "\"Jo\u{e9}@Example.COM\"");
        assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), email);
    }

    #[test]
    fn keys_follow_the_key_rule() {
        assert!(Key::parse("key", "ab").is_ok());
        assert!(Key::parse("key", "a b").is_err());
        assert_eq!(StoreKey::try_from_str("s1").unwrap().as_str(), "s1");
        assert!(StoreKey::try_from_str("").is_none());
    }

    #[test]
    fn password_hashes_are_not_printed() {
        let hash = PasswordHash::new("$pbkdf2-sha256$i=1$c2FsdA$aGFzaA".into());
        assert_eq!(format!("{hash:?}"), "PasswordHash(…)");
        assert_eq!(hash.mask(), "****aGFzaA".replace("aGFzaA", "FzaA"));
    }
}
