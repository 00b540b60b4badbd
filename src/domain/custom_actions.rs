//! `setCustomType` and `setCustomField`, written once for the resources that hold custom
//! fields (customer groups, associate roles, business units and their addresses): what they change and what
//! changed ([`CustomChange`]), which each resource turns into its own messages (or none).

use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult, Rejection};
use super::references::Referenced;
use super::refs::{CustomFields, CustomFieldsDraft, ResourceIdentifier};

/// What a custom-fields action changed.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomChange {
    TypeSet {
        custom_fields: CustomFields,
        old_type_id: Option<String>,
    },
    TypeRemoved {
        old_type_id: Option<String>,
    },
    FieldAdded {
        name: String,
        value: Value,
    },
    FieldChanged {
        name: String,
        value: Value,
        old_value: Value,
    },
    FieldRemoved {
        name: String,
    },
}

/// `setCustomType`: a type (checked, with its fields) or none; `None` if nothing changed.
/// `resource_type_id` is what the type must serve; `path` names the fields in errors.
pub fn set_type(
    custom: &mut Option<CustomFields>,
    (type_identifier, fields): (&Option<ResourceIdentifier>, &Option<Map<String, Value>>),
    (path, resource_type_id): (&str, &str),
    refs: &Referenced,
) -> ApiResult<Option<CustomChange>> {
    let new = match type_identifier {
        Some(identifier) => {
            let draft = CustomFieldsDraft {
                type_identifier: identifier.clone(),
                fields: fields.clone(),
            };
            Some(
                refs.custom_fields(&draft, path, resource_type_id)
                    .map_err(Rejection)?,
            )
        }
        None => None,
    };
    if *custom == new {
        return Ok(None);
    }
    let old_type_id = custom.as_ref().and_then(|c| c.type_ref.id.clone());
    custom.clone_from(&new);
    Ok(Some(match new {
        Some(custom_fields) => CustomChange::TypeSet {
            custom_fields,
            old_type_id,
        },
        None => CustomChange::TypeRemoved { old_type_id },
    }))
}

/// `setCustomField`: sets (checked against the type) or, without a value, removes one field;
/// `None` if nothing changed. No type set, or removing a field that does not exist → 400
/// `InvalidOperation`.
pub fn set_field(
    custom: &mut Option<CustomFields>,
    (name, value): (&str, &Option<Value>),
    path: &str,
    refs: &Referenced,
) -> ApiResult<Option<CustomChange>> {
    let Some(custom) = custom.as_mut() else {
        return Err(ApiError::InvalidOperation {
            message: "There is no custom type set: set one with setCustomType first.".into(),
        }
        .into());
    };
    let Some(value) = value else {
        refs.removable(custom, path, name)?;
        return match custom.fields.shift_remove(name) {
            Some(_) => Ok(Some(CustomChange::FieldRemoved { name: name.into() })),
            None => Err(ApiError::InvalidOperation {
                message: format!("The custom field '{name}' cannot be removed: it does not exist."),
            }
            .into()),
        };
    };
    let value = refs.custom_field(custom, path, name, value)?;
    Ok(
        match custom.fields.insert(name.to_string(), value.clone()) {
            None => Some(CustomChange::FieldAdded {
                name: name.into(),
                value,
            }),
            Some(previous) if previous == value => None,
            Some(old_value) => Some(CustomChange::FieldChanged {
                name: name.into(),
                value,
                old_value,
            }),
        },
    )
}
