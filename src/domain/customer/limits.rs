//! What one customer may hold, checked on every write after the draft or the actions are
//! applied, so that every stored document can be read back and no single row makes every
//! query slow. Each limit is documented in the README; breaking one is a 400 that names it.

use serde_json::Value;

use super::customer::Customer;
use super::error::ApiError;

/// Deepest nesting of a free-form JSON value (a custom-field value): `[[1]]` is 2 levels.
/// The stored document wraps a value in at most seven more levels (message → customer →
/// addresses → address → custom → fields), far below the 128 levels the JSON reader accepts.
pub const MAX_VALUE_DEPTH: usize = 16;
/// Deepest nesting of a stored customer document, whatever made it deep: a last guard that
/// no document is stored that cannot be read back.
pub const MAX_DOCUMENT_DEPTH: usize = 32;
/// Most addresses one customer may have.
pub const MAX_ADDRESSES: usize = 200;
/// Most stores one customer may belong to.
pub const MAX_STORES: usize = 100;
/// Most customer-group assignments one customer may have.
pub const MAX_GROUP_ASSIGNMENTS: usize = 100;
/// Most custom fields on one custom-fields object (the customer's, or an address's).
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// Largest stored customer document (its JSON representation), in bytes. D1 stores at most
/// 1 000 000 bytes in a row, and the `CustomerCreated` message repeats the whole customer.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

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
        return Err(too_many(
            &format!("{path}.fields"),
            "custom fields",
            fields.len(),
            MAX_CUSTOM_FIELDS,
        ));
    }
    for (name, value) in fields {
        check_value(&format!("{path}.fields.{name}"), value)?;
    }
    Ok(())
}

fn too_many(field: &str, what: &str, count: usize, max: usize) -> ApiError {
    ApiError::InvalidInput {
        message: format!(
            "A customer may have at most {max} {what} (field {field}); this one would have {count}."
        ),
    }
}

/// Checks what a customer holds and the size of its document `json` (its representation, as
/// it will be stored).
pub fn check_customer(customer: &Customer, json: &str) -> Result<(), ApiError> {
    let counts = [
        (
            "addresses",
            "addresses",
            customer.addresses.len(),
            MAX_ADDRESSES,
        ),
        ("stores", "stores", customer.stores.len(), MAX_STORES),
        (
            "customerGroupAssignments",
            "customer-group assignments",
            customer.customer_group_assignments.len(),
            MAX_GROUP_ASSIGNMENTS,
        ),
    ];
    for (field, what, count, max) in counts {
        if count > max {
            return Err(too_many(field, what, count, max));
        }
    }
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The customer would take {} bytes; a customer may take at most {MAX_DOCUMENT_BYTES} bytes (its JSON representation).",
                json.len()
            ),
        });
    }
    let found = text_depth(json);
    if found > MAX_DOCUMENT_DEPTH {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The customer would be nested {found} levels deep; at most {MAX_DOCUMENT_DEPTH} levels are stored."
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
