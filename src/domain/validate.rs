//! Value rules of the Customer API: key, locale, country, date and email formats, and
//! ResourceIdentifier resolution. Each check returns the commercetools error for its field.

use super::error::ApiError;
use super::time::is_iso_date;

/// Longest email accepted (RFC 5321's path limit). Our choice: commercetools documents none.
pub const MAX_EMAIL_LEN: usize = 254;

fn invalid(field: &str, value: &str, message: Option<String>) -> ApiError {
    ApiError::InvalidField {
        field: field.to_string(),
        invalid_value: value.into(),
        message,
    }
}

/// `^[A-Za-z0-9_-]+$`, 2 to 256 characters: keys of customers, addresses, stores, groups.
pub fn is_valid_key(value: &str) -> bool {
    (2..=256).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn key(field: &str, value: &str) -> Result<(), ApiError> {
    if is_valid_key(value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            Some(format!(
                "The value '{value}' is not valid for field {field}. It must match ^[A-Za-z0-9_-]+$ and be 2 to 256 characters long."
            )),
        ))
    }
}

/// `^[A-Z]{2}$` (ISO 3166-1 alpha-2).
pub fn country(field: &str, value: &str) -> Result<(), ApiError> {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            Some(format!(
                "The value '{value}' is not valid for field {field}. It must be a two-letter upper-case ISO 3166-1 country code."
            )),
        ))
    }
}

/// `^[a-z]{2}(-[A-Z]{2})?$`. (Whether it is one of the project's languages is not checked:
/// projects have no language settings here yet.)
pub fn locale(field: &str, value: &str) -> Result<(), ApiError> {
    let b = value.as_bytes();
    let language_ok = b.len() >= 2 && b[..2].iter().all(u8::is_ascii_lowercase);
    let ok = language_ok
        && match b.len() {
            2 => true,
            5 => b[2] == b'-' && b[3..].iter().all(u8::is_ascii_uppercase),
            _ => false,
        };
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            Some(format!(
                "The value '{value}' is not valid for field {field}. It must match ^[a-z]{{2}}(-[A-Z]{{2}})?$."
            )),
        ))
    }
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn date(field: &str, value: &str) -> Result<(), ApiError> {
    if is_iso_date(value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            Some(format!(
                "The value '{value}' is not valid for field {field}. It must be a date in the format YYYY-MM-DD."
            )),
        ))
    }
}

/// A plausible email: one `@` with text on both sides, at most [`MAX_EMAIL_LEN`] bytes, and no
/// character that cannot be seen: whitespace, control and formatting characters (zero-width
/// spaces and joiners, bidirectional overrides, soft hyphens), private-use, unassigned and
/// surrogate code points. commercetools does not document its rule; this is ours. Without the
/// invisible characters, two addresses that look alike compare alike (see [`lowercase_email`]).
pub fn email(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = value.len() <= MAX_EMAIL_LEN
        && !value.chars().any(is_invisible)
        && matches!(value.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            Some(format!(
                "The value '{value}' is not valid for field {field}. It must be an email address of at most {MAX_EMAIL_LEN} characters, without spaces or invisible characters."
            )),
        ))
    }
}

/// Characters that render as nothing (or as space) and so would let two different addresses
/// look the same.
fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    c.is_whitespace()
        || matches!(
            c.general_category(),
            G::Control
                | G::Format
                | G::Surrogate
                | G::PrivateUse
                | G::Unassigned
                | G::SpaceSeparator
                | G::LineSeparator
                | G::ParagraphSeparator
        )
}

/// The form of an email that uniqueness and sign-in compare: Unicode NFC (so a precomposed
/// `é` and `e` + combining accent are one letter), then lower case.
pub fn lowercase_email(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lower = email.nfc().collect::<String>().to_lowercase();
    // Lower-casing can leave a string that is no longer composed.
    lower.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(is_valid_key("ab"));
        assert!(is_valid_key("A-b_9"));
        assert!(!is_valid_key("a"));
        assert!(!is_valid_key("has space"));
        assert!(!is_valid_key("ümlaut"));
        assert!(!is_valid_key(&"a".repeat(257)));
        assert!(is_valid_key(&"a".repeat(256)));
    }

    #[test]
    fn countries() {
        assert!(country("c", "DE").is_ok());
        for bad in ["de", "DEU", "D", "", "D1"] {
            assert!(country("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales() {
        for good in ["en", "en-US", "de-DE"] {
            assert!(locale("l", good).is_ok(), "{good}");
        }
        for bad in ["EN", "en-us", "en_US", "eng", "en-USA", "", "zh-Hans-SG"] {
            assert!(locale("l", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for good in ["a@b", "John.Doe+x@Example.COM"] {
            assert!(email("email", good).is_ok(), "{good}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "plain",
            "@b",
            "a@",
            "a b@c",
            "a@b@c",
            "a\n@b",
            long.as_str(),
            "jo\u{200B}@example.com",
            "jo@exam\u{202E}ple.com",
            "jo\u{00AD}@example.com",
            "\u{FEFF}jo@example.com",
            "jo\u{2066}@example.com",
            "jo\u{E000}@example.com",
        ] {
            assert!(email("email", bad).is_err(), "{bad:?}");
        }
        assert!(email("email", "jö@exämple.com").is_ok());
    }

    #[test]
    fn emails_compare_in_nfc_lower_case() {
        let composed = "J\u{00D6}@example.com";
        let decomposed = "jo\u{0308}@EXAMPLE.com";
        assert_ne!(composed.to_lowercase(), decomposed.to_lowercase());
        assert_eq!(lowercase_email(composed), lowercase_email(decomposed));
        assert_eq!(lowercase_email(composed), "j\u{00F6}@example.com");
        assert_eq!(lowercase_email("A@B.C"), "a@b.c");
    }
}
