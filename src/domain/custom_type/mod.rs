//! Custom types (`/{projectKey}/types`): the field definitions that `custom` on a customer, an
//! address, a customer group, a business unit or an associate role must follow. A type is a
//! versioned resource ([`Type`]); [`fields`] checks custom-field values against it and turns
//! them into their canonical form.

pub mod actions;
pub mod fields;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::{new_uuid, Random};
use crate::domain::limits;
use crate::domain::predicate::schema::{
    field, Field, FieldType as SchemaType, Kind, CLIENT_LOGGING, STR,
};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{Meta, Resource};
use crate::domain::time::iso_millis;
use crate::domain::values::Key;

/// A localized text: language tag → text.
pub type LocalizedString = std::collections::BTreeMap<String, String>;

/// The resources a type may customize.
pub const RESOURCE_TYPE_IDS: [&str; 5] = [
    "customer",
    "address",
    "customer-group",
    "business-unit",
    "associate-role",
];

/// Most field definitions one type may have.
pub const MAX_FIELD_DEFINITIONS: usize = 100;

/// An Enum value: its key and label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumValue {
    pub key: String,
    pub label: String,
}

/// A LocalizedEnum value: its key and localized label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalizedEnumValue {
    pub key: String,
    pub label: LocalizedString,
}

/// The type of a custom field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all_fields = "camelCase")]
pub enum FieldType {
    Boolean {},
    String {},
    LocalizedString {},
    Enum { values: Vec<EnumValue> },
    LocalizedEnum { values: Vec<LocalizedEnumValue> },
    Number {},
    Money {},
    Date {},
    Time {},
    DateTime {},
    Reference { reference_type_id: String },
    Set { element_type: Box<FieldType> },
}

/// One field a type defines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDefinition {
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub name: String,
    pub label: LocalizedString,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hint: Option<InputHint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputHint {
    SingleLine,
    MultiLine,
}

/// The Type representation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Type {
    #[serde(flatten)]
    pub meta: Meta,
    pub key: Key,
    pub name: LocalizedString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedString>,
    pub resource_type_ids: Vec<String>,
    pub field_definitions: Vec<FieldDefinition>,
}

impl Resource for Type {
    const TYPE_ID: &'static str = "type";

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    fn user_provided_identifiers(&self) -> Option<Value> {
        Some(serde_json::json!({"key": self.key.as_str()}))
    }
}

impl Type {
    pub fn field(&self, name: &str) -> Option<&FieldDefinition> {
        self.field_definitions.iter().find(|f| f.name == name)
    }
}

/// TypeDraft.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeDraft {
    pub key: String,
    pub name: LocalizedString,
    #[serde(default)]
    pub description: Option<LocalizedString>,
    pub resource_type_ids: Vec<String>,
    #[serde(default)]
    pub field_definitions: Vec<FieldDefinition>,
}

/// Validates a draft (every violation is reported) and makes the type.
pub fn create(
    draft: TypeDraft,
    now_ms: i64,
    by: &ClientLogging,
    rng: &mut dyn Random,
) -> ApiResult<Type> {
    let mut errors = Vec::new();
    let key = Key::parse("key", &draft.key)
        .map_err(|e| errors.push(e))
        .ok();
    for (i, id) in draft.resource_type_ids.iter().enumerate() {
        if let Err(e) = check_resource_type_id(&format!("resourceTypeIds[{i}]"), id) {
            errors.push(e);
        }
    }
    if draft.resource_type_ids.is_empty() {
        errors.push(ApiError::RequiredField {
            field: "resourceTypeIds".into(),
        });
    }
    errors.extend(check_definitions(&draft.field_definitions));
    let Some(key) = key.filter(|_| errors.is_empty()) else {
        return Err(Rejection(errors));
    };
    let now = iso_millis(now_ms);
    let created = Type {
        meta: Meta::without_messages(new_uuid(rng), &now, by),
        key,
        name: draft.name,
        description: draft.description,
        resource_type_ids: draft.resource_type_ids,
        field_definitions: draft.field_definitions,
    };
    limits::check_resource(&created)?;
    Ok(created)
}

fn check_resource_type_id(field: &str, id: &str) -> Result<(), ApiError> {
    if RESOURCE_TYPE_IDS.contains(&id) {
        return Ok(());
    }
    Err(ApiError::InvalidField {
        field: field.into(),
        invalid_value: id.into(),
        message: Some(format!(
            "'{id}' is not a resource type custom types serve here; one of: {}.",
            RESOURCE_TYPE_IDS.join(", ")
        )),
    })
}

/// Field names (`^[A-Za-z0-9_-]{1,36}$`, unique — commercetools documents the pattern; the
/// length is ours), enum keys unique, at most [`MAX_FIELD_DEFINITIONS`].
pub fn check_definitions(definitions: &[FieldDefinition]) -> Vec<ApiError> {
    let mut errors = Vec::new();
    if definitions.len() > MAX_FIELD_DEFINITIONS {
        errors.push(ApiError::InvalidInput {
            message: format!("A type may define at most {MAX_FIELD_DEFINITIONS} fields."),
        });
    }
    for (i, definition) in definitions.iter().enumerate() {
        let path = format!("fieldDefinitions[{i}].name");
        let name_ok = (1..=36).contains(&definition.name.len())
            && definition
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            errors.push(ApiError::InvalidField {
                field: path.clone(),
                invalid_value: definition.name.clone().into(),
                message: Some(format!(
                    "The field name '{}' must match ^[A-Za-z0-9_-]+$ and be 1 to 36 characters long.",
                    definition.name
                )),
            });
        }
        if definitions[..i].iter().any(|d| d.name == definition.name) {
            errors.push(ApiError::DuplicateField {
                field: path,
                duplicate_value: definition.name.clone().into(),
                message: None,
            });
        }
        if let Err(e) = check_enum_keys(&definition.field_type) {
            errors.push(e);
        }
    }
    errors
}

/// The keys of an Enum or LocalizedEnum (also inside a Set) are unique.
fn check_enum_keys(field_type: &FieldType) -> Result<(), ApiError> {
    let keys: Vec<&str> = match field_type {
        FieldType::Enum { values } => values.iter().map(|v| v.key.as_str()).collect(),
        FieldType::LocalizedEnum { values } => values.iter().map(|v| v.key.as_str()).collect(),
        FieldType::Set { element_type } => return check_enum_keys(element_type),
        _ => return Ok(()),
    };
    for (i, key) in keys.iter().enumerate() {
        if keys[..i].contains(key) {
            return Err(ApiError::DuplicateField {
                field: "values.key".into(),
                duplicate_value: (*key).into(),
                message: Some(format!("The enum key '{key}' is defined twice.")),
            });
        }
    }
    Ok(())
}

/// The fields queries on types may name.
pub static FIELDS: &[Field] = &[
    field("id", STR),
    field("version", SchemaType::Scalar(Kind::Num)),
    field("createdAt", SchemaType::Scalar(Kind::DateTime)),
    field("lastModifiedAt", SchemaType::Scalar(Kind::DateTime)),
    field("createdBy", SchemaType::Object(CLIENT_LOGGING)),
    field("lastModifiedBy", SchemaType::Object(CLIENT_LOGGING)),
    field("key", STR),
    field("name", SchemaType::Free),
    field("description", SchemaType::Free),
    field("resourceTypeIds", SchemaType::ScalarArray(Kind::Str)),
    field(
        "fieldDefinitions",
        SchemaType::ObjectArray(FIELD_DEFINITION),
    ),
];

static FIELD_DEFINITION: &[Field] = &[
    field("name", STR),
    field("required", SchemaType::Scalar(Kind::Bool)),
    field("label", SchemaType::Free),
    field("type", SchemaType::Free),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CountingRandom;
    use crate::domain::json;

    pub fn draft(body: serde_json::Value) -> TypeDraft {
        json::parse(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_draft_makes_a_type() {
        let t = create(
            draft(serde_json::json!({
                "key": "profile", "name": {"en": "Profile"}, "resourceTypeIds": ["customer"],
                "fieldDefinitions": [
                    {"name": "tier", "label": {"en": "Tier"}, "required": false, "type": {"name": "Enum", "values": [{"key": "gold", "label": "Gold"}]}},
                    {"name": "tags", "label": {"en": "Tags"}, "required": false, "type": {"name": "Set", "elementType": {"name": "String"}}}
                ]
            })),
            0,
            &ClientLogging::client("c"),
            &mut CountingRandom(0),
        )
        .unwrap();
        assert_eq!(t.key.as_str(), "profile");
        assert_eq!(t.meta.version, 1);
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(
            json["fieldDefinitions"][1]["type"]["elementType"]["name"],
            "String"
        );
    }

    #[test]
    fn a_type_too_large_to_store_is_refused() {
        let with_labels = |label_len: usize| {
            let label = "l".repeat(label_len);
            let fields: Vec<serde_json::Value> = (0..MAX_FIELD_DEFINITIONS)
                .map(|i| serde_json::json!({"name": format!("f{i}"), "label": {"en": label}, "required": false, "type": {"name": "String"}}))
                .collect();
            let body = serde_json::json!({"key": "big", "name": {"en": "Big"}, "resourceTypeIds": ["customer"], "fieldDefinitions": fields});
            create(
                draft(body),
                0,
                &ClientLogging::client("c"),
                &mut CountingRandom(0),
            )
        };
        assert!(with_labels(1_000).is_ok());
        let err = with_labels(limits::MAX_DOCUMENT_BYTES / MAX_FIELD_DEFINITIONS).unwrap_err();
        let message = err.to_json()["message"].to_string();
        assert!(message.contains("bytes"), "{message}");
    }

    #[test]
    fn every_violation_of_a_draft_is_reported() {
        let err = create(
            draft(serde_json::json!({
                "key": "x", "name": {"en": "X"}, "resourceTypeIds": ["order"],
                "fieldDefinitions": [
                    {"name": "a b", "label": {}, "required": false, "type": {"name": "String"}},
                    {"name": "dup", "label": {}, "required": false, "type": {"name": "String"}},
                    {"name": "dup", "label": {}, "required": false, "type": {"name": "Number"}}
                ]
            })),
            0,
            &ClientLogging::client("c"),
            &mut CountingRandom(0),
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 4, "{err:?}");
    }
}
