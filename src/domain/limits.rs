//! Limits on free-form JSON that any resource may carry (custom-field values), and the checks
//! that keep every stored document readable: no value and no document nested deeper than the
//! JSON reader can read back. What one resource may hold besides is its own module's business
//! (`customer::limits`).

use serde_json::Value;

use super::error::ApiError;

/// Deepest nesting of a free-form JSON value (a custom-field value): `[[1]]` is 2 levels.
/// The stored document wraps a value in at most seven more levels (message → customer →
/// addresses → address → custom → fields), far below the 128 levels the JSON reader accepts.
pub const MAX_VALUE_DEPTH: usize = 16;
/// Deepest nesting of a stored customer document, whatever made it deep: a last guard that
/// no document is stored that cannot be read back.
pub const MAX_DOCUMENT_DEPTH: usize = 32;
/// Most custom fields on one custom-fields object (the customer's, or an address's).
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// The nesting depth of a JSON value: 0 for a scalar, 1 for `[]` or `{}`, 2 for `[[]]`.
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The nesting depth of a JSON text, counted over its brackets outside strings (no parsing,
/// so it works on any depth).
pub fn text_depth(json: &str) -> usize {
    let (mut deepest, mut level, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for byte in json.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                level += 1;
                deepest = deepest.max(level);
            }
            b']' | b'}' => level = level.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A custom-field value no deeper than [`MAX_VALUE_DEPTH`]; `field` names it in the error.
pub fn check_value(field: &str, value: &Value) -> Result<(), ApiError> {
    let found = depth(value);
    if found <= MAX_VALUE_DEPTH {
        return Ok(());
    }
    Err(ApiError::InvalidField {
        field: field.to_string(),
        invalid_value: Value::String(format!("(a value nested {found} levels deep)")),
        message: Some(format!(
            "The value of field {field} is nested {found} levels deep; at most {MAX_VALUE_DEPTH} levels are allowed."
        )),
    })
}

/// The values of a custom-fields object: at most [`MAX_CUSTOM_FIELDS`], none too deep.
/// `path` names the object (`custom`, `addresses[0].custom`).
pub fn check_custom_fields<'a>(
    path: &str,
    fields: impl ExactSizeIterator<Item = (&'a String, &'a Value)>,
) -> Result<(), ApiError> {
    if fields.len() > MAX_CUSTOM_FIELDS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The custom fields at {path} may hold at most {MAX_CUSTOM_FIELDS} fields; these would hold {}.",
                fields.len()
            ),
        });
    }
    for (name, value) in fields {
        check_value(&format!("{path}.fields.{name}"), value)?;
    }
    Ok(())
}

/// Largest stored document (a resource's JSON representation), in bytes. D1 stores at most
/// 1 000 000 bytes in a row, and a `…Created` message may repeat the whole resource.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A stored document (`json`, the representation of a `what`) no larger than
/// [`MAX_DOCUMENT_BYTES`] and no deeper than [`MAX_DOCUMENT_DEPTH`].
pub fn check_document(what: &str, json: &str) -> Result<(), ApiError> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The {what} would take {} bytes; a {what} may take at most {MAX_DOCUMENT_BYTES} bytes (its JSON representation).",
                json.len()
            ),
        });
    }
    check_document_depth(what, json)
}

/// [`check_document`] for a resource about to be stored.
pub fn check_resource<R: crate::domain::resource::Resource + serde::Serialize>(
    resource: &R,
) -> Result<(), ApiError> {
    let json = serde_json::to_string(resource).expect("a resource always serializes");
    check_document(R::TYPE_ID, &json)
}

/// A stored document no deeper than [`MAX_DOCUMENT_DEPTH`]; `what` names the resource.
pub fn check_document_depth(what: &str, json: &str) -> Result<(), ApiError> {
    let found = text_depth(json);
    if found > MAX_DOCUMENT_DEPTH {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The {what} would be nested {found} levels deep; at most {MAX_DOCUMENT_DEPTH} levels are stored."
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |inner, _| json!([inner]))
    }

    #[test]
    fn depth_counts_containers() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!([])), 1);
        assert_eq!(depth(&json!({"a": [1, {"b": []}]})), 4);
        assert_eq!(depth(&nested(20)), 20);
    }

    #[test]
    fn text_depth_ignores_brackets_in_strings() {
        assert_eq!(text_depth(r#"{"a":"[[[{{{"}"#), 1);
        assert_eq!(text_depth(r#"{"a":"\"[[","b":[[1]]}"#), 3);
        assert_eq!(text_depth(&"[".repeat(500)), 500);
    }

    #[test]
    fn values_deeper_than_the_limit_are_refused_by_name() {
        assert!(check_value("custom.fields.a", &nested(MAX_VALUE_DEPTH)).is_ok());
        let err = check_value("custom.fields.a", &nested(MAX_VALUE_DEPTH + 1)).unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidField { ref field, .. } if field == "custom.fields.a")
        );
        let deep = nested(124);
        let fields = serde_json::Map::from_iter([("x".to_string(), deep)]);
        assert!(check_custom_fields("addresses[0].custom", fields.iter()).is_err());
    }
}
