//! Custom fields of the customer and of its addresses: `setCustomType`, `setCustomField`,
//! `setAddressCustomType`, `setAddressCustomField`. The type must exist and serve customers
//! (or addresses); every value is checked against its field definition and stored in its
//! canonical form (`domain::custom_type::fields`).

use serde_json::{Map, Value};

use super::addresses::find_address;
use super::{invalid_operation, CustomerEffect, Selector};
use crate::domain::customer::messages::Payload;
use crate::domain::customer::Customer;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::limits;
use crate::domain::references::Referenced;
use crate::domain::refs::{CustomFields, CustomFieldsDraft, ResourceIdentifier};
use crate::domain::resource::Effect;

/// `setCustomType`: sets the type and its fields, or (no type) removes them. Messages:
/// `CustomerCustomTypeSet` / `CustomerCustomTypeRemoved` with the previous type.
pub fn set_custom_type(
    c: &mut Customer,
    type_identifier: &Option<ResourceIdentifier>,
    fields: &Option<Map<String, Value>>,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let custom = new_custom(("custom", "customer"), type_identifier, fields, refs)?;
    if c.custom == custom {
        return Ok(Effect::Unchanged);
    }
    let previous_type_id = type_id_of(&c.custom);
    c.custom.clone_from(&custom);
    Ok(Effect::Changed(vec![match custom {
        Some(custom_fields) => Payload::CustomerCustomTypeSet {
            custom_fields,
            previous_type_id,
        },
        None => Payload::CustomerCustomTypeRemoved { previous_type_id },
    }]))
}

/// `setCustomField`: sets a field's value, or (no value) removes the field (a field that
/// does not exist → 400 `InvalidOperation`, a required one → 400 `RequiredField`); needs a
/// custom type. Messages: `CustomerCustomFieldAdded` / `…Changed` / `…Removed`.
pub fn set_custom_field(
    c: &mut Customer,
    name: &str,
    value: &Option<Value>,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let change = set_field(&mut c.custom, "custom", (name, value), refs)?;
    let name = name.to_string();
    Ok(match change {
        None => Effect::Unchanged,
        Some(FieldChange::Added(value)) => {
            Effect::Changed(vec![Payload::CustomerCustomFieldAdded { name, value }])
        }
        Some(FieldChange::Changed { value, previous }) => {
            Effect::Changed(vec![Payload::CustomerCustomFieldChanged {
                name,
                value,
                previous_value: Some(previous),
            }])
        }
        Some(FieldChange::Removed) => {
            Effect::Changed(vec![Payload::CustomerCustomFieldRemoved { name }])
        }
    })
}

/// `setAddressCustomType` on the address with `addressId`. Messages:
/// `CustomerAddressCustomTypeSet` / `CustomerAddressCustomTypeRemoved`.
pub fn set_address_custom_type(
    c: &mut Customer,
    address_id: &str,
    type_identifier: &Option<ResourceIdentifier>,
    fields: &Option<Map<String, Value>>,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let index = address_by_id(c, address_id)?;
    let custom = new_custom(("address.custom", "address"), type_identifier, fields, refs)?;
    let address = &mut c.addresses[index];
    if address.custom == custom {
        return Ok(Effect::Unchanged);
    }
    let previous_type_id = type_id_of(&address.custom);
    address.custom.clone_from(&custom);
    let address_id = address_id.to_string();
    Ok(Effect::Changed(vec![match custom {
        Some(custom_fields) => Payload::CustomerAddressCustomTypeSet {
            custom_fields,
            previous_type_id,
            address_id,
        },
        None => Payload::CustomerAddressCustomTypeRemoved {
            previous_type_id,
            address_id,
        },
    }]))
}

/// `setAddressCustomField` on the address with `addressId`. Messages:
/// `CustomerAddressCustomFieldAdded` / `…Changed` / `…Removed`.
pub fn set_address_custom_field(
    c: &mut Customer,
    address_id: &str,
    name: &str,
    value: &Option<Value>,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let index = address_by_id(c, address_id)?;
    let custom = &mut c.addresses[index].custom;
    let change = set_field(custom, "address.custom", (name, value), refs)?;
    let (name, address_id) = (name.to_string(), address_id.to_string());
    Ok(match change {
        None => Effect::Unchanged,
        Some(FieldChange::Added(value)) => {
            Effect::Changed(vec![Payload::CustomerAddressCustomFieldAdded {
                name,
                value,
                address_id,
            }])
        }
        Some(FieldChange::Changed { value, previous }) => {
            Effect::Changed(vec![Payload::CustomerAddressCustomFieldChanged {
                name,
                value,
                previous_value: Some(previous),
                address_id,
            }])
        }
        Some(FieldChange::Removed) => {
            Effect::Changed(vec![Payload::CustomerAddressCustomFieldRemoved {
                name,
                address_id,
            }])
        }
    })
}

fn address_by_id(c: &Customer, address_id: &str) -> ApiResult<usize> {
    let (id, no_key) = (Some(address_id.to_string()), None);
    find_address(c, &Selector::new(&id, &no_key))
}

/// The id a custom-type reference names, for `previousTypeId`.
fn type_id_of(custom: &Option<CustomFields>) -> Option<String> {
    custom
        .as_ref()
        .and_then(|c| c.type_ref.id.clone().or_else(|| c.type_ref.key.clone()))
}

/// The custom fields a `set…CustomType` sets (none without a type), at `path` of a resource
/// of `resource_type_id`.
fn new_custom(
    (path, resource_type_id): (&str, &str),
    type_identifier: &Option<ResourceIdentifier>,
    fields: &Option<Map<String, Value>>,
    refs: &Referenced,
) -> ApiResult<Option<CustomFields>> {
    let Some(identifier) = type_identifier else {
        return Ok(None);
    };
    let draft = CustomFieldsDraft {
        type_identifier: identifier.clone(),
        fields: fields.clone(),
    };
    let custom = refs
        .custom_fields(&draft, path, resource_type_id)
        .map_err(Rejection)?;
    Ok(Some(custom))
}

/// What a `set…CustomField` did to the custom fields.
enum FieldChange {
    Added(Value),
    Changed { value: Value, previous: Value },
    Removed,
}

/// Sets or removes field `name` of the custom fields at `path` (`custom`, `address.custom`).
fn set_field(
    custom: &mut Option<CustomFields>,
    path: &str,
    (name, value): (&str, &Option<Value>),
    refs: &Referenced,
) -> ApiResult<Option<FieldChange>> {
    let Some(custom) = custom.as_mut() else {
        return Err(invalid_operation(
            "There is no custom type set: set one with setCustomType before setting custom fields."
                .into(),
        )
        .into());
    };
    let Some(value) = value else {
        refs.removable(custom, path, name)?;
        return match custom.fields.shift_remove(name) {
            Some(_) => Ok(Some(FieldChange::Removed)),
            None => Err(invalid_operation(format!(
                "The custom field '{name}' cannot be removed: it does not exist."
            ))
            .into()),
        };
    };
    let value = refs.custom_field(custom, path, name, value)?;
    if !custom.fields.contains_key(name) && custom.fields.len() >= limits::MAX_CUSTOM_FIELDS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "The custom fields at {path} may hold at most {} fields.",
                limits::MAX_CUSTOM_FIELDS
            ),
        }
        .into());
    }
    Ok(
        match custom.fields.insert(name.to_string(), value.clone()) {
            None => Some(FieldChange::Added(value)),
            Some(previous) if previous == value => None,
            Some(previous) => Some(FieldChange::Changed { value, previous }),
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn custom_type_and_fields() {
        let c = basic();
        assert!(matches!(
            err(
                &c,
                json!([{"action": "setCustomField", "name": "a", "value": 1}])
            ),
            ApiError::InvalidOperation { .. }
        ));
        let typed = ok(
            &c,
            json!([{"action": "setCustomType", "type": {"key": "t1", "typeId": "type"}, "fields": {"a": 1}}]),
        );
        let m = json_of(&typed.messages[0]);
        assert_eq!(m["type"], "CustomerCustomTypeSet");
        assert_eq!(
            m["customFields"],
            json!({"type": {"typeId": "type", "id": "t1"}, "fields": {"a": 1}})
        );
        assert!(m.get("previousTypeId").is_none());
        let c2 = typed.state;
        let added = ok(
            &c2,
            json!([{"action": "setCustomField", "name": "b", "value": [1, 2]}]),
        );
        assert_eq!(
            json_of(&added.messages[0])["type"],
            "CustomerCustomFieldAdded"
        );
        assert_eq!(json_of(&added.messages[0])["value"], json!([1, 2]));
        let changed = ok(
            &c2,
            json!([{"action": "setCustomField", "name": "a", "value": 2}]),
        );
        let m = json_of(&changed.messages[0]);
        assert_eq!(m["type"], "CustomerCustomFieldChanged");
        assert_eq!(m["previousValue"], 1);
        assert_eq!(
            ok(
                &c2,
                json!([{"action": "setCustomField", "name": "a", "value": 1}])
            )
            .state
            .customer
            .meta
            .version,
            2
        );
        let removed = ok(
            &c2,
            json!([{"action": "setCustomField", "name": "a", "value": null}]),
        );
        assert_eq!(types(&removed), vec!["CustomerCustomFieldRemoved"]);
        assert!(removed
            .state
            .customer
            .custom
            .as_ref()
            .unwrap()
            .fields
            .is_empty());
        assert!(matches!(
            err(
                &c2,
                json!([{"action": "setCustomField", "name": "missing"}])
            ),
            ApiError::InvalidOperation { .. }
        ));
        let retyped = ok(
            &c2,
            json!([{"action": "setCustomType", "type": {"id": "t2"}}]),
        );
        let m = json_of(&retyped.messages[0]);
        assert_eq!(m["previousTypeId"], "t1");
        assert_eq!(m["customFields"]["fields"], json!({}));
        let untyped = ok(&c2, json!([{"action": "setCustomType"}]));
        assert_eq!(untyped.state.customer.custom, None);
        let m = json_of(&untyped.messages[0]);
        assert_eq!(m["type"], "CustomerCustomTypeRemoved");
        assert_eq!(m["previousTypeId"], "t1");
        assert_eq!(
            ok(&c, json!([{"action": "setCustomType"}]))
                .state
                .customer
                .meta
                .version,
            1
        );
    }

    #[test]
    fn address_custom_type_and_fields() {
        let c = basic();
        let home = address_id(&c, "home");
        assert!(matches!(
            err(
                &c,
                json!([{"action": "setAddressCustomField", "addressId": home, "name": "a", "value": 1}])
            ),
            ApiError::InvalidOperation { .. }
        ));
        let typed = ok(
            &c,
            json!([{"action": "setAddressCustomType", "addressId": home, "type": {"id": "at"}}]),
        );
        let m = json_of(&typed.messages[0]);
        assert_eq!(m["type"], "CustomerAddressCustomTypeSet");
        assert_eq!(m["addressId"], home);
        let added = ok(
            &typed.state,
            json!([{"action": "setAddressCustomField", "addressId": home, "name": "door", "value": "red"}]),
        );
        let m = json_of(&added.messages[0]);
        assert_eq!(m["type"], "CustomerAddressCustomFieldAdded");
        assert_eq!(m["addressId"], home);
        assert_eq!(
            added.state.customer.addresses[0]
                .custom
                .as_ref()
                .unwrap()
                .fields["door"],
            "red"
        );
        let changed = ok(
            &added.state,
            json!([{"action": "setAddressCustomField", "addressId": home, "name": "door", "value": "blue"}]),
        );
        assert_eq!(json_of(&changed.messages[0])["previousValue"], "red");
        let removed = ok(
            &added.state,
            json!([{"action": "setAddressCustomField", "addressId": home, "name": "door"}]),
        );
        assert_eq!(types(&removed), vec!["CustomerAddressCustomFieldRemoved"]);
        assert!(matches!(
            err(
                &typed.state,
                json!([{"action": "setAddressCustomField", "addressId": home, "name": "door"}])
            ),
            ApiError::InvalidOperation { .. }
        ));
        let untyped = ok(
            &added.state,
            json!([{"action": "setAddressCustomType", "addressId": home}]),
        );
        let m = json_of(&untyped.messages[0]);
        assert_eq!(m["type"], "CustomerAddressCustomTypeRemoved");
        assert_eq!(m["previousTypeId"], "at");
    }
}
