//! Typed JSON bodies with errors that name the offending field.
//!
//! A body that is not JSON at all, or whose values have the wrong shape, becomes a 400
//! `InvalidJsonInput` whose `detailedErrorMessage` starts with the field path in commercetools
//! style (`addresses[0] -> country: Missing required value`).

use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Parses `bytes` as one JSON document of type `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = render_path(err.path());
        invalid_json(&path, err.into_inner())
    })?;
    de.end().map_err(|err| invalid_json("", err))?;
    Ok(value)
}

/// Parses an already-decoded JSON value (e.g. one update action) as `T`; `prefix` is the
/// path of `value` inside the body, used in error messages.
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let inner = render_path(err.path());
        let path = join_path(prefix, &inner);
        invalid_json(&path, err.into_inner())
    })
}

/// The error for a value that has the right JSON type but an impossible combination, e.g. a
/// ResourceIdentifier with both `id` and `key`.
pub fn invalid_shape(path: &str, message: &str) -> ApiError {
    ApiError::InvalidJsonInput {
        detail: if path.is_empty() {
            message.to_string()
        } else {
            format!("{path}: {message}")
        },
    }
}

fn invalid_json(path: &str, err: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::InvalidJsonInput {
            detail: format!("Malformed JSON: {err}"),
        },
        Category::Data => {
            let text = strip_position(&err.to_string());
            // serde reports a missing field at its parent; commercetools names the field itself.
            if let Some(field) = text
                .strip_prefix("missing field `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                invalid_shape(&join_path(path, field), "Missing required value")
            } else {
                invalid_shape(path, &text)
            }
        }
    }
}

/// serde_json appends " at line 1 column 7" to data errors; the path already says where.
fn strip_position(text: &str) -> String {
    match text.rfind(" at line ") {
        Some(pos) => text[..pos].to_string(),
        None => text.to_string(),
    }
}

fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push_str(" -> ");
                }
                out.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn join_path(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) if rest.starts_with('[') => format!("{prefix}{rest}"),
        (false, false) => format!("{prefix} -> {rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        country: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        email: String,
        #[serde(default)]
        addresses: Vec<Inner>,
    }

    fn detail(err: ApiError) -> String {
        match err {
            ApiError::InvalidJsonInput { detail } => detail,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse::<Outer>(br#"{"addresses":[]}"#).unwrap_err();
        assert_eq!(detail(err), "email: Missing required value");
    }

    #[test]
    fn nested_missing_field_is_named_with_its_path() {
        let err =
            parse::<Outer>(br#"{"email":"a@b.c","addresses":[{}, {"city":"x"}]}"#).unwrap_err();
        assert_eq!(
            detail(err),
            "addresses[0] -> country: Missing required value"
        );
    }

    #[test]
    fn wrong_type_is_named() {
        let err = parse::<Outer>(br#"{"email": 5}"#).unwrap_err();
        let d = detail(err);
        assert!(d.starts_with("email: invalid type: integer `5`"), "{d}");
    }

    #[test]
    fn malformed_json_is_reported() {
        let err = parse::<Outer>(br#"{"email": "#).unwrap_err();
        assert!(detail(err).starts_with("Malformed JSON"));
        let err = parse::<Outer>(br#"{"email":"a"} trailing"#).unwrap_err();
        assert!(detail(err).starts_with("Malformed JSON"));
    }

    #[test]
    fn non_object_body_is_rejected() {
        assert!(parse::<Outer>(b"[]").is_err());
        assert!(parse::<Outer>(b"null").is_err());
        assert!(parse::<Outer>(b"").is_err());
    }

    #[test]
    fn deep_nesting_is_a_clean_error() {
        let body = "[".repeat(100_000);
        assert!(parse::<Outer>(body.as_bytes()).is_err());
    }

    #[test]
    fn from_value_prefixes_the_path() {
        let err = from_value::<Inner>(serde_json::json!({}), "actions[2]").unwrap_err();
        assert_eq!(detail(err), "actions[2] -> country: Missing required value");
    }
}
