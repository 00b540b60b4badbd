//! Custom-field values checked against their type: a field must be defined, its value must
//! match the definition, a required field must be present. Values come back in their canonical
//! form (a Money with its `type` and `fractionDigits`, a date-time in UTC with milliseconds, a
//! Set without duplicates).

use serde_json::{json, Map, Value};

use super::{FieldType, Type};
use crate::domain::error::ApiError;
use crate::domain::predicate::resolve::normalize_datetime;
use crate::domain::time::is_iso_date;

/// The most characters a String field value may have (our limit).
pub const MAX_STRING_LEN: usize = 10_000;

fn invalid(field: &str, value: &Value, message: String) -> ApiError {
    ApiError::InvalidField {
        field: field.into(),
        invalid_value: value.clone(),
        message: Some(message),
    }
}

/// Whether `custom_type` may customize resources of `resource_type_id` (else 400
/// `InvalidOperation`).
pub fn check_serves(custom_type: &Type, resource_type_id: &str) -> Result<(), ApiError> {
    if custom_type
        .resource_type_ids
        .iter()
        .any(|r| r == resource_type_id)
    {
        return Ok(());
    }
    Err(ApiError::InvalidOperation {
        message: format!(
            "The type '{}' is not for resources of type '{resource_type_id}' (it serves: {}).",
            custom_type.key.as_str(),
            custom_type.resource_type_ids.join(", ")
        ),
    })
}

/// All the fields of a custom-fields object at `path` (`custom`, `addresses[0].custom`), in
/// their canonical form, or every problem: an unknown field, a wrong value, a missing
/// required field.
pub fn check_all(
    custom_type: &Type,
    path: &str,
    fields: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<ApiError>> {
    let mut errors = Vec::new();
    let mut canonical = Map::new();
    for (name, value) in fields {
        match check_one(custom_type, path, name, value) {
            Ok(value) => {
                canonical.insert(name.clone(), value);
            }
            Err(e) => errors.push(e),
        }
    }
    for definition in custom_type.field_definitions.iter().filter(|d| d.required) {
        if !fields.contains_key(&definition.name) {
            errors.push(ApiError::RequiredField {
                field: format!("{path}.fields.{}", definition.name),
            });
        }
    }
    if errors.is_empty() {
        Ok(canonical)
    } else {
        Err(errors)
    }
}

/// One field's value, canonical; the field must be defined by the type.
pub fn check_one(
    custom_type: &Type,
    path: &str,
    name: &str,
    value: &Value,
) -> Result<Value, ApiError> {
    let field = format!("{path}.fields.{name}");
    let definition = custom_type.field(name).ok_or_else(|| {
        invalid(
            &field,
            value,
            format!(
                "The type '{}' defines no field '{name}'.",
                custom_type.key.as_str()
            ),
        )
    })?;
    check_value(&definition.field_type, &field, value)
}

/// A value of `field_type`, canonical.
pub fn check_value(field_type: &FieldType, field: &str, value: &Value) -> Result<Value, ApiError> {
    let wrong = |what: &str| {
        Err(invalid(
            field,
            value,
            format!("The field {field} takes {what}."),
        ))
    };
    match (field_type, value) {
        (FieldType::Boolean {}, Value::Bool(_)) | (FieldType::Number {}, Value::Number(_)) => {
            Ok(value.clone())
        }
        (FieldType::String {}, Value::String(s)) if s.chars().count() <= MAX_STRING_LEN => {
            Ok(value.clone())
        }
        (FieldType::LocalizedString {}, Value::Object(map))
            if map.values().all(Value::is_string) =>
        {
            Ok(value.clone())
        }
        (FieldType::Enum { values }, Value::String(key))
            if values.iter().any(|v| v.key == *key) =>
        {
            Ok(value.clone())
        }
        (FieldType::LocalizedEnum { values }, Value::String(key))
            if values.iter().any(|v| v.key == *key) =>
        {
            Ok(value.clone())
        }
        (FieldType::Date {}, Value::String(s)) if is_iso_date(s) => Ok(value.clone()),
        (FieldType::Time {}, Value::String(s)) if is_time(s) => Ok(value.clone()),
        (FieldType::DateTime {}, Value::String(s)) => match normalize_datetime(s) {
            Some(normalized) => Ok(Value::String(normalized)),
            None => wrong("an ISO-8601 date-time"),
        },
        (FieldType::Money {}, Value::Object(_)) => money(value)
            .ok_or(())
            .or_else(|()| wrong("a Money {currencyCode (ISO 4217), centAmount (whole number)}")),
        (FieldType::Reference { reference_type_id }, Value::Object(map)) => {
            reference(reference_type_id, map).ok_or(()).or_else(|()| {
                wrong(&format!(
                    "a reference {{typeId: \"{reference_type_id}\", id}}"
                ))
            })
        }
        (FieldType::Set { element_type }, Value::Array(items)) => set(element_type, field, items),
        (field_type, _) => wrong(&describe(field_type)),
    }
}

fn describe(field_type: &FieldType) -> String {
    match field_type {
        FieldType::Boolean {} => "true or false".into(),
        FieldType::String {} => format!("a string of at most {MAX_STRING_LEN} characters"),
        FieldType::LocalizedString {} => "a localized string {\"en\": \"…\", …}".into(),
        FieldType::Enum { values } => format!(
            "one of the keys {}",
            values
                .iter()
                .map(|v| v.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FieldType::LocalizedEnum { values } => format!(
            "one of the keys {}",
            values
                .iter()
                .map(|v| v.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FieldType::Number {} => "a number".into(),
        FieldType::Date {} => "a date YYYY-MM-DD".into(),
        FieldType::Time {} => "a time HH:MM:SS(.sss)".into(),
        FieldType::DateTime {} => "an ISO-8601 date-time".into(),
        FieldType::Money {} => "a Money".into(),
        FieldType::Reference { reference_type_id } => format!("a {reference_type_id} reference"),
        FieldType::Set { element_type } => format!("a set of {}", describe(element_type)),
    }
}

/// A Set: every element of the element type, duplicates dropped.
fn set(element_type: &FieldType, field: &str, items: &[Value]) -> Result<Value, ApiError> {
    let mut out: Vec<Value> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let value = check_value(element_type, &format!("{field}[{i}]"), item)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(Value::Array(out))
}

/// `HH:MM:SS` or `HH:MM:SS.sss`.
fn is_time(text: &str) -> bool {
    chrono::NaiveTime::parse_from_str(text, "%H:%M:%S%.f").is_ok() && text.len() >= 8
}

/// Currencies without minor units (the rest have two).
const ZERO_DIGIT_CURRENCIES: [&str; 6] = ["JPY", "KRW", "CLP", "ISK", "VND", "XAF"];

/// `{currencyCode, centAmount}` → a centPrecision Money.
fn money(value: &Value) -> Option<Value> {
    let currency = value.get("currencyCode")?.as_str()?;
    let cents = value.get("centAmount")?.as_i64()?;
    let valid_currency = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
    if !valid_currency {
        return None;
    }
    let digits = if ZERO_DIGIT_CURRENCIES.contains(&currency) {
        0
    } else {
        2
    };
    Some(json!({
        "type": "centPrecision",
        "currencyCode": currency,
        "centAmount": cents,
        "fractionDigits": digits
    }))
}

/// `{typeId?, id}` → `{typeId, id}` of the expected type.
fn reference(reference_type_id: &str, map: &Map<String, Value>) -> Option<Value> {
    let id = map.get("id")?.as_str().filter(|id| !id.is_empty())?;
    let type_ok = map
        .get("typeId")
        .is_none_or(|t| t.as_str() == Some(reference_type_id));
    type_ok.then(|| json!({"typeId": reference_type_id, "id": id}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::custom_type::{create, TypeDraft};
    use crate::domain::ids::CountingRandom;
    use crate::domain::json;
    use crate::domain::refs::ClientLogging;

    fn profile() -> Type {
        let draft: TypeDraft = json::parse(
            json!({
                "key": "profile", "name": {"en": "P"}, "resourceTypeIds": ["customer"],
                "fieldDefinitions": [
                    {"name": "vip", "label": {}, "required": false, "type": {"name": "Boolean"}},
                    {"name": "nick", "label": {}, "required": true, "type": {"name": "String"}},
                    {"name": "tier", "label": {}, "required": false, "type": {"name": "Enum", "values": [{"key": "gold", "label": "Gold"}]}},
                    {"name": "budget", "label": {}, "required": false, "type": {"name": "Money"}},
                    {"name": "since", "label": {}, "required": false, "type": {"name": "DateTime"}},
                    {"name": "tags", "label": {}, "required": false, "type": {"name": "Set", "elementType": {"name": "String"}}},
                    {"name": "friend", "label": {}, "required": false, "type": {"name": "Reference", "referenceTypeId": "customer"}}
                ]
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        create(
            draft,
            0,
            &ClientLogging::client("c"),
            &mut CountingRandom(0),
        )
        .unwrap()
    }

    #[test]
    fn values_match_their_definitions_in_canonical_form() {
        let fields = json!({
            "vip": true, "nick": "ada", "tier": "gold",
            "budget": {"currencyCode": "EUR", "centAmount": 1250},
            "since": "2024-01-02T03:04:05+01:00", "tags": ["a", "b", "a"],
            "friend": {"id": "c-1"}
        });
        let canonical = check_all(&profile(), "custom", fields.as_object().unwrap()).unwrap();
        assert_eq!(canonical["budget"]["fractionDigits"], 2);
        assert_eq!(canonical["budget"]["type"], "centPrecision");
        assert_eq!(canonical["since"], "2024-01-02T02:04:05.000Z");
        assert_eq!(canonical["tags"], json!(["a", "b"]));
        assert_eq!(
            canonical["friend"],
            json!({"typeId": "customer", "id": "c-1"})
        );
    }

    #[test]
    fn wrong_unknown_and_missing_fields_are_named() {
        let fields = json!({"vip": "yes", "tier": "silver", "nope": 1});
        let errors = check_all(&profile(), "custom", fields.as_object().unwrap()).unwrap_err();
        let named: Vec<String> = errors
            .iter()
            .map(|e| match e {
                ApiError::InvalidField { field, .. } | ApiError::RequiredField { field } => {
                    field.clone()
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            named,
            vec![
                "custom.fields.vip",
                "custom.fields.tier",
                "custom.fields.nope",
                "custom.fields.nick"
            ]
        );
    }

    #[test]
    fn a_type_serves_only_its_resource_types() {
        assert!(check_serves(&profile(), "customer").is_ok());
        assert!(matches!(
            check_serves(&profile(), "address"),
            Err(ApiError::InvalidOperation { .. })
        ));
    }
}
