//! The D1 bookmark a client may carry between requests (`x-d1-bookmark`), so that with read
//! replication on it still reads its own writes. Pure: which header values are taken.

/// The request and response header.
pub const HEADER: &str = "x-d1-bookmark";

/// Longest bookmark taken (D1's are about 60 characters).
const MAX_LEN: usize = 256;

/// The bookmark a request brought, if it looks like one (letters, digits and `-`, at most
/// [`MAX_LEN`]); anything else is ignored and the request reads as if it brought none.
pub fn accepted(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let plausible = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plausible.then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmarks_are_taken_as_given() {
        let d1 = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";
        assert_eq!(accepted(Some(d1)), Some(d1));
        assert_eq!(accepted(Some(" first-primary ")), Some("first-primary"));
    }

    #[test]
    fn anything_else_is_ignored() {
        for value in ["", " ", "a b", "x\u{e9}", "a;b", "a\"b"] {
            assert_eq!(accepted(Some(value)), None, "{value:?}");
        }
        assert_eq!(accepted(Some(&"a".repeat(257))), None);
        assert_eq!(accepted(None), None);
    }
}
