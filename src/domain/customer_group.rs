//! Customer groups (`/{projectKey}/customer-groups`): a name (unique in the project), an
//! optional key, custom fields. Customers refer to them (`customerGroup`,
//! `customerGroupAssignments`); a group a customer refers to cannot be deleted. Update actions:
//! `changeName`, `setKey`, `setCustomType`, `setCustomField` — the last two with the group
//! messages; `changeName` and `setKey` produce none.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::custom_actions::{self, CustomChange};
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::{new_uuid, Random};
use crate::domain::limits;
use crate::domain::predicate::schema::{
    field, Field, FieldType, Kind, CLIENT_LOGGING, CUSTOM_FIELDS, STR,
};
use crate::domain::references::{ActionContext, Referenced, Wanted};
use crate::domain::refs::{ClientLogging, CustomFields, CustomFieldsDraft, ResourceIdentifier};
use crate::domain::resource::{Effect, Meta, Resource, Updatable};
use crate::domain::time::iso_millis;
use crate::domain::values::Key;

/// Most customer groups one project may have (commercetools' limit).
pub const MAX_GROUPS_PER_PROJECT: usize = 1_000;
/// Longest group name (our limit).
pub const MAX_NAME_LEN: usize = 256;

/// The CustomerGroup representation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerGroup {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
}

impl Resource for CustomerGroup {
    const TYPE_ID: &'static str = "customer-group";

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    fn user_provided_identifiers(&self) -> Option<Value> {
        self.key
            .as_ref()
            .map(|key| serde_json::json!({"key": key.as_str()}))
    }
}

/// CustomerGroupDraft.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerGroupDraft {
    pub group_name: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub custom: Option<CustomFieldsDraft>,
}

/// The custom type a draft refers to.
pub fn wanted(draft: &CustomerGroupDraft) -> Wanted {
    let mut wanted = Wanted::default();
    if let Some(custom) = &draft.custom {
        wanted.custom_type(&custom.type_identifier);
    }
    wanted
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::InvalidField {
            field: "name".into(),
            invalid_value: name.into(),
            message: Some(format!(
                "A customer group's name must be 1 to {MAX_NAME_LEN} characters."
            )),
        });
    }
    Ok(())
}

/// Validates a draft (every violation is reported) and makes the group.
pub fn create(
    draft: CustomerGroupDraft,
    (now_ms, by): (i64, &ClientLogging),
    refs: &Referenced,
    rng: &mut dyn Random,
) -> ApiResult<CustomerGroup> {
    let mut errors = Vec::new();
    let mut take = |result: Result<(), ApiError>| result.map_err(|e| errors.push(e)).is_ok();
    take(check_name(&draft.group_name));
    let key = draft.key.as_deref().map(|k| Key::parse("key", k));
    let key = match key {
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        Some(Ok(key)) => Some(key),
        None => None,
    };
    let custom = match &draft.custom {
        Some(custom) => refs
            .custom_fields(custom, "custom", CustomerGroup::TYPE_ID)
            .map_err(|e| errors.extend(e))
            .ok(),
        None => None,
    };
    if !errors.is_empty() {
        return Err(Rejection(errors));
    }
    let now = iso_millis(now_ms);
    let group = CustomerGroup {
        meta: Meta::without_messages(new_uuid(rng), &now, by),
        key,
        name: draft.group_name,
        custom,
    };
    limits::check_resource(&group)?;
    Ok(group)
}

/// One update action of a customer group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum CustomerGroupAction {
    ChangeName {
        name: String,
    },
    SetKey {
        #[serde(default)]
        key: Option<String>,
    },
    SetCustomType {
        #[serde(default, rename = "type")]
        type_identifier: Option<ResourceIdentifier>,
        #[serde(default)]
        fields: Option<Map<String, Value>>,
    },
    SetCustomField {
        name: String,
        #[serde(default)]
        value: Option<Value>,
    },
}

/// The customer group's messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Payload {
    CustomerGroupCustomFieldAdded {
        name: String,
        value: Value,
    },
    CustomerGroupCustomFieldChanged {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_value: Option<Value>,
    },
    CustomerGroupCustomFieldRemoved {
        name: String,
    },
    CustomerGroupCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
    },
    CustomerGroupCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
    },
}

impl Updatable for CustomerGroup {
    type Resource = CustomerGroup;
    type Action = CustomerGroupAction;
    type Payload = Payload;

    fn resource(&self) -> &CustomerGroup {
        self
    }

    fn resource_mut(&mut self) -> &mut CustomerGroup {
        self
    }

    fn wants(&self, action: &CustomerGroupAction, wanted: &mut Wanted) {
        match action {
            CustomerGroupAction::SetCustomType {
                type_identifier: Some(t),
                ..
            } => wanted.custom_type(t),
            CustomerGroupAction::SetCustomField { .. } => wanted.custom_of(&self.custom),
            _ => {}
        }
    }

    fn apply(
        &mut self,
        action: &CustomerGroupAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Payload>> {
        match action {
            CustomerGroupAction::ChangeName { name } => {
                check_name(name)?;
                let changed = self.name != *name;
                self.name.clone_from(name);
                Ok(Effect::silent(changed))
            }
            CustomerGroupAction::SetKey { key } => {
                let key = match key {
                    Some(key) => Some(Key::parse("key", key)?),
                    None => None,
                };
                let changed = self.key != key;
                self.key = key;
                Ok(Effect::silent(changed))
            }
            CustomerGroupAction::SetCustomType {
                type_identifier,
                fields,
            } => Ok(custom_effect(custom_actions::set_type(
                &mut self.custom,
                (type_identifier, fields),
                ("custom", CustomerGroup::TYPE_ID),
                ctx.refs,
            )?)),
            CustomerGroupAction::SetCustomField { name, value } => Ok(custom_effect(
                custom_actions::set_field(&mut self.custom, (name, value), "custom", ctx.refs)?,
            )),
        }
    }

    fn finish(&mut self, _before: &CustomerGroup, _now_ms: i64) -> ApiResult<()> {
        Ok(limits::check_resource(self)?)
    }
}

/// A change of the group's custom fields as the group's message (none if nothing changed).
fn custom_effect(change: Option<CustomChange>) -> Effect<Payload> {
    let Some(change) = change else {
        return Effect::Unchanged;
    };
    Effect::Changed(vec![match change {
        CustomChange::TypeSet {
            custom_fields,
            old_type_id,
        } => Payload::CustomerGroupCustomTypeSet {
            custom_fields,
            old_type_id,
        },
        CustomChange::TypeRemoved { old_type_id } => {
            Payload::CustomerGroupCustomTypeRemoved { old_type_id }
        }
        CustomChange::FieldAdded { name, value } => {
            Payload::CustomerGroupCustomFieldAdded { name, value }
        }
        CustomChange::FieldChanged {
            name,
            value,
            old_value,
        } => Payload::CustomerGroupCustomFieldChanged {
            name,
            value,
            old_value: Some(old_value),
        },
        CustomChange::FieldRemoved { name } => Payload::CustomerGroupCustomFieldRemoved { name },
    }])
}

/// The fields queries on customer groups may name.
pub static FIELDS: &[Field] = &[
    field("id", STR),
    field("version", FieldType::Scalar(Kind::Num)),
    field("createdAt", FieldType::Scalar(Kind::DateTime)),
    field("lastModifiedAt", FieldType::Scalar(Kind::DateTime)),
    field("createdBy", FieldType::Object(CLIENT_LOGGING)),
    field("lastModifiedBy", FieldType::Object(CLIENT_LOGGING)),
    field("key", STR),
    field("name", STR),
    field("custom", FieldType::Object(CUSTOM_FIELDS)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::testing::{refs, CREATED_AT};
    use crate::domain::ids::CountingRandom;
    use crate::domain::json;
    use crate::domain::resource::{parse_request, update, UpdateContext};
    use serde_json::json;

    fn group(body: Value) -> ApiResult<CustomerGroup> {
        let draft: CustomerGroupDraft = json::parse(body.to_string().as_bytes())?;
        let by = ClientLogging::client("c");
        create(draft, (CREATED_AT, &by), refs(), &mut CountingRandom(3))
    }

    fn run(
        g: &CustomerGroup,
        actions: Value,
    ) -> ApiResult<crate::domain::resource::Updated<CustomerGroup>> {
        let body = json!({"version": g.meta.version, "actions": actions});
        let request = parse_request(body.to_string().as_bytes())?;
        let ctx = UpdateContext {
            now_ms: CREATED_AT + 1,
            by: ClientLogging::client("u"),
            rng: &mut CountingRandom(9),
            refs: refs(),
        };
        update(g, &request, ctx)
    }

    #[test]
    fn a_group_starts_without_messages_so_its_first_is_number_one() {
        let g = group(json!({"groupName": "Gold"})).unwrap();
        assert_eq!(g.meta.last_message_sequence_number, 0);
    }

    #[test]
    fn a_draft_makes_a_group() {
        let g = group(json!({"groupName": "Gold", "key": "gold"})).unwrap();
        assert_eq!((g.name.as_str(), g.meta.version), ("Gold", 1));
        let errors = group(json!({"groupName": "", "key": "x"})).unwrap_err().0;
        assert_eq!(errors.len(), 2);
        let no_type = group(json!({"groupName": "G", "custom": {"type": {"key": "nope"}}}));
        assert!(matches!(
            no_type.unwrap_err().0[0],
            ApiError::ReferencedResourceNotFound { .. }
        ));
        let wrong_resource = group(json!({"groupName": "G", "custom": {"type": {"key": "t1"}}}));
        assert!(matches!(
            wrong_resource.unwrap_err().0[0],
            ApiError::InvalidOperation { .. }
        ));
    }

    #[test]
    fn name_and_key_change_without_messages() {
        let g = group(json!({"groupName": "Gold"})).unwrap();
        let u = run(&g, json!([{"action": "changeName", "name": "Platinum"}, {"action": "setKey", "key": "plat"}])).unwrap();
        assert_eq!(u.state.meta.version, 3);
        assert!(u.messages.is_empty());
        let same = run(&g, json!([{"action": "changeName", "name": "Gold"}])).unwrap();
        assert_eq!(same.state.meta.version, 1);
    }

    #[test]
    fn no_message_so_far_so_the_first_is_number_one() {
        let g = group(json!({"groupName": "Gold", "key": "gold"})).unwrap();
        assert_eq!(g.meta.last_message_sequence_number, 0);
    }
}
