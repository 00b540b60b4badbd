//! Associate roles (`/{projectKey}/associate-roles`): a key (required, unique, immutable), an
//! optional name, whether buyers may assign the role (`buyerAssignable`, default true), a set
//! of [`Permission`]s and custom fields. Business-unit associates hold roles by key; a role an
//! associate holds cannot be deleted (the store guards it). Update actions: `addPermission`,
//! `removePermission`, `setPermissions`, `changeBuyerAssignable`, `setName` (each with its
//! message), `setCustomType` and `setCustomField` (no messages: commercetools documents none).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::domain::custom_actions;
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

/// Most associate roles one project may have (our limit).
pub const MAX_ROLES_PER_PROJECT: usize = 1_000;
/// Longest role name (our limit).
pub const MAX_NAME_LEN: usize = 256;

/// The 47 permissions of the REST API (commercetools' `Permission` enum).
pub const PERMISSIONS: [&str; 47] = [
    "AddChildUnits",
    "UpdateAssociates",
    "UpdateBusinessUnitDetails",
    "UpdateParentUnit",
    "ViewMyCarts",
    "ViewOthersCarts",
    "UpdateMyCarts",
    "UpdateOthersCarts",
    "CreateMyCarts",
    "CreateOthersCarts",
    "DeleteMyCarts",
    "DeleteOthersCarts",
    "ViewMyOrders",
    "ViewOthersOrders",
    "UpdateMyOrders",
    "UpdateOthersOrders",
    "CreateMyOrdersFromMyCarts",
    "CreateMyOrdersFromMyQuotes",
    "CreateOrdersFromOthersCarts",
    "CreateOrdersFromOthersQuotes",
    "ViewMyQuotes",
    "ViewOthersQuotes",
    "AcceptMyQuotes",
    "AcceptOthersQuotes",
    "DeclineMyQuotes",
    "DeclineOthersQuotes",
    "RenegotiateMyQuotes",
    "RenegotiateOthersQuotes",
    "ReassignMyQuotes",
    "ReassignOthersQuotes",
    "ViewMyQuoteRequests",
    "ViewOthersQuoteRequests",
    "UpdateMyQuoteRequests",
    "UpdateOthersQuoteRequests",
    "CreateMyQuoteRequestsFromMyCarts",
    "CreateQuoteRequestsFromOthersCarts",
    "CreateApprovalRules",
    "UpdateApprovalRules",
    "UpdateApprovalFlows",
    "ViewMyShoppingLists",
    "ViewOthersShoppingLists",
    "UpdateMyShoppingLists",
    "UpdateOthersShoppingLists",
    "CreateMyShoppingLists",
    "CreateOthersShoppingLists",
    "DeleteMyShoppingLists",
    "DeleteOthersShoppingLists",
];

/// One of [`PERMISSIONS`]; any other string is refused where it is read (400
/// `InvalidJsonInput` naming the value and its place).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Permission(String);

impl Permission {
    /// The permission called `name`, if there is one.
    pub fn parse(name: &str) -> Option<Permission> {
        PERMISSIONS
            .contains(&name)
            .then(|| Permission(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Permission::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown permission '{}' (one of the 47 documented Permission values is expected)",
                name.chars().take(100).collect::<String>()
            ))
        })
    }
}

/// The permissions in the order given, each once.
fn distinct(permissions: &[Permission]) -> Vec<Permission> {
    let mut out: Vec<Permission> = Vec::new();
    for permission in permissions {
        if !out.contains(permission) {
            out.push(permission.clone());
        }
    }
    out
}

/// The AssociateRole representation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociateRole {
    #[serde(flatten)]
    pub meta: Meta,
    pub key: Key,
    pub buyer_assignable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub permissions: Vec<Permission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
}

impl Resource for AssociateRole {
    const TYPE_ID: &'static str = "associate-role";

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

/// AssociateRoleDraft.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociateRoleDraft {
    pub key: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub buyer_assignable: Option<bool>,
    #[serde(default)]
    pub permissions: Option<Vec<Permission>>,
    #[serde(default)]
    pub custom: Option<CustomFieldsDraft>,
}

/// The custom type a draft refers to.
pub fn wanted(draft: &AssociateRoleDraft) -> Wanted {
    let mut wanted = Wanted::default();
    if let Some(custom) = &draft.custom {
        wanted.custom_type(&custom.type_identifier);
    }
    wanted
}

fn check_name(name: &Option<String>) -> Result<(), ApiError> {
    match name {
        Some(name) if name.chars().count() > MAX_NAME_LEN => Err(ApiError::InvalidField {
            field: "name".into(),
            invalid_value: name.chars().take(MAX_NAME_LEN).collect::<String>().into(),
            message: Some(format!(
                "An associate role's name may have at most {MAX_NAME_LEN} characters."
            )),
        }),
        _ => Ok(()),
    }
}

/// Validates a draft (every violation is reported) and makes the role.
pub fn create(
    draft: AssociateRoleDraft,
    (now_ms, by): (i64, &ClientLogging),
    refs: &Referenced,
    rng: &mut dyn Random,
) -> ApiResult<AssociateRole> {
    let mut errors = Vec::new();
    let key = Key::parse("key", &draft.key)
        .map_err(|e| errors.push(e))
        .ok();
    let _ = check_name(&draft.name).map_err(|e| errors.push(e));
    let custom = match &draft.custom {
        Some(custom) => refs
            .custom_fields(custom, "custom", AssociateRole::TYPE_ID)
            .map_err(|e| errors.extend(e))
            .ok(),
        None => None,
    };
    let Some(key) = key.filter(|_| errors.is_empty()) else {
        return Err(Rejection(errors));
    };
    let role = AssociateRole {
        meta: Meta::new(new_uuid(rng), &iso_millis(now_ms), by),
        key,
        buyer_assignable: draft.buyer_assignable.unwrap_or(true),
        name: draft.name,
        permissions: distinct(&draft.permissions.unwrap_or_default()),
        custom,
    };
    limits::check_resource(&role)?;
    Ok(role)
}

/// One update action of an associate role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum AssociateRoleAction {
    AddPermission {
        permission: Permission,
    },
    RemovePermission {
        permission: Permission,
    },
    SetPermissions {
        #[serde(default)]
        permissions: Option<Vec<Permission>>,
    },
    ChangeBuyerAssignable {
        buyer_assignable: bool,
    },
    SetName {
        #[serde(default)]
        name: Option<String>,
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

/// The associate role's messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Payload {
    AssociateRoleCreated { associate_role: Box<AssociateRole> },
    AssociateRoleDeleted {},
    AssociateRolePermissionAdded { permission: Permission },
    AssociateRolePermissionRemoved { permission: Permission },
    AssociateRolePermissionsSet { permissions: Vec<Permission> },
    AssociateRoleBuyerAssignableChanged { buyer_assignable: bool },
    AssociateRoleNameSet { name: Option<String> },
}

impl Updatable for AssociateRole {
    type Resource = AssociateRole;
    type Action = AssociateRoleAction;
    type Payload = Payload;

    fn resource(&self) -> &AssociateRole {
        self
    }

    fn resource_mut(&mut self) -> &mut AssociateRole {
        self
    }

    fn wants(&self, action: &AssociateRoleAction, wanted: &mut Wanted) {
        match action {
            AssociateRoleAction::SetCustomType {
                type_identifier: Some(t),
                ..
            } => wanted.custom_type(t),
            AssociateRoleAction::SetCustomField { .. } => wanted.custom_of(&self.custom),
            _ => {}
        }
    }

    fn apply(
        &mut self,
        action: &AssociateRoleAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Payload>> {
        use AssociateRoleAction as A;
        match action {
            A::AddPermission { permission } => Ok(self.add_permission(permission)),
            A::RemovePermission { permission } => Ok(self.remove_permission(permission)),
            A::SetPermissions { permissions } => {
                Ok(self.set_permissions(permissions.as_deref().unwrap_or_default()))
            }
            A::ChangeBuyerAssignable { buyer_assignable } => {
                let changed = self.buyer_assignable != *buyer_assignable;
                self.buyer_assignable = *buyer_assignable;
                Ok(Effect::with(changed, || {
                    Payload::AssociateRoleBuyerAssignableChanged {
                        buyer_assignable: *buyer_assignable,
                    }
                }))
            }
            A::SetName { name } => {
                check_name(name)?;
                let changed = self.name != *name;
                self.name.clone_from(name);
                Ok(Effect::with(changed, || Payload::AssociateRoleNameSet {
                    name: name.clone(),
                }))
            }
            A::SetCustomType {
                type_identifier,
                fields,
            } => custom_actions::set_type(
                &mut self.custom,
                (type_identifier, fields),
                ("custom", AssociateRole::TYPE_ID),
                ctx.refs,
            )
            .map(|change| Effect::silent(change.is_some())),
            A::SetCustomField { name, value } => {
                custom_actions::set_field(&mut self.custom, (name, value), "custom", ctx.refs)
                    .map(|change| Effect::silent(change.is_some()))
            }
        }
    }

    fn finish(&mut self, _before: &AssociateRole, _now_ms: i64) -> ApiResult<()> {
        Ok(limits::check_resource(self)?)
    }
}

impl AssociateRole {
    /// Adding a permission the role has changes nothing.
    fn add_permission(&mut self, permission: &Permission) -> Effect<Payload> {
        let changed = !self.permissions.contains(permission);
        if changed {
            self.permissions.push(permission.clone());
        }
        Effect::with(changed, || Payload::AssociateRolePermissionAdded {
            permission: permission.clone(),
        })
    }

    /// Removing a permission the role does not have changes nothing.
    fn remove_permission(&mut self, permission: &Permission) -> Effect<Payload> {
        let before = self.permissions.len();
        self.permissions.retain(|p| p != permission);
        Effect::with(before != self.permissions.len(), || {
            Payload::AssociateRolePermissionRemoved {
                permission: permission.clone(),
            }
        })
    }

    /// Replaces the set (compared as a set: another order of the same permissions changes
    /// nothing).
    fn set_permissions(&mut self, permissions: &[Permission]) -> Effect<Payload> {
        let new = distinct(permissions);
        let same =
            new.len() == self.permissions.len() && new.iter().all(|p| self.permissions.contains(p));
        if !same {
            self.permissions.clone_from(&new);
        }
        Effect::with(!same, || Payload::AssociateRolePermissionsSet {
            permissions: new,
        })
    }
}

/// The fields queries on associate roles may name.
pub static FIELDS: &[Field] = &[
    field("id", STR),
    field("version", FieldType::Scalar(Kind::Num)),
    field("createdAt", FieldType::Scalar(Kind::DateTime)),
    field("lastModifiedAt", FieldType::Scalar(Kind::DateTime)),
    field("createdBy", FieldType::Object(CLIENT_LOGGING)),
    field("lastModifiedBy", FieldType::Object(CLIENT_LOGGING)),
    field("key", STR),
    field("name", STR),
    field("buyerAssignable", FieldType::Scalar(Kind::Bool)),
    field("permissions", FieldType::ScalarArray(Kind::Str)),
    field("custom", FieldType::Object(CUSTOM_FIELDS)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::testing::{refs, CREATED_AT};
    use crate::domain::ids::CountingRandom;
    use crate::domain::json;
    use crate::domain::resource::{parse_request, update, UpdateContext, Updated};
    use serde_json::json;

    fn role(body: Value) -> ApiResult<AssociateRole> {
        let draft: AssociateRoleDraft = json::parse(body.to_string().as_bytes())?;
        let by = ClientLogging::client("c");
        create(draft, (CREATED_AT, &by), refs(), &mut CountingRandom(3))
    }

    fn run(r: &AssociateRole, actions: Value) -> ApiResult<Updated<AssociateRole>> {
        let body = json!({"version": r.meta.version, "actions": actions});
        let request = parse_request(body.to_string().as_bytes())?;
        let ctx = UpdateContext {
            now_ms: CREATED_AT + 1,
            by: ClientLogging::client("u"),
            rng: &mut CountingRandom(9),
            refs: refs(),
        };
        update(r, &request, ctx)
    }

    fn types(u: &Updated<AssociateRole>) -> Vec<&str> {
        u.messages.iter().map(|m| m.type_name()).collect()
    }

    #[test]
    fn a_draft_makes_a_role_with_defaults() {
        let r = role(json!({"key": "buyer"})).unwrap();
        assert!(r.buyer_assignable);
        assert!(r.permissions.is_empty());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["permissions"], json!([]));
        assert!(json.get("name").is_none());
        let r = role(json!({"key": "b2", "buyerAssignable": false,
            "permissions": ["ViewMyCarts", "ViewMyCarts", "AddChildUnits"]}))
        .unwrap();
        assert!(!r.buyer_assignable);
        assert_eq!(r.permissions.len(), 2);
    }

    #[test]
    fn bad_drafts_name_what_is_wrong() {
        let unknown = role(json!({"key": "k1", "permissions": ["ViewMyCarts", "Fly"]}));
        let error = &unknown.unwrap_err().0[0];
        let ApiError::InvalidJsonInput { detail } = error else {
            panic!("{error:?}")
        };
        assert!(
            detail.contains("permissions[1]") && detail.contains("Fly"),
            "{detail}"
        );
        let both = role(json!({"key": "!", "name": "n".repeat(300)})).unwrap_err();
        assert_eq!(both.0.len(), 2);
        assert!(role(json!({"name": "no key"})).is_err());
    }

    #[test]
    fn every_action_changes_with_its_message() {
        let r = role(json!({"key": "r1", "permissions": ["ViewMyCarts"]})).unwrap();
        let u = run(
            &r,
            json!([
                {"action": "addPermission", "permission": "UpdateAssociates"},
                {"action": "addPermission", "permission": "UpdateAssociates"},
                {"action": "removePermission", "permission": "ViewMyCarts"},
                {"action": "removePermission", "permission": "ViewMyCarts"},
                {"action": "setPermissions", "permissions": ["AddChildUnits"]},
                {"action": "changeBuyerAssignable", "buyerAssignable": false},
                {"action": "setName", "name": "Buyer"},
                {"action": "setName", "name": "Buyer"}
            ]),
        )
        .unwrap();
        assert_eq!(
            types(&u),
            [
                "AssociateRolePermissionAdded",
                "AssociateRolePermissionRemoved",
                "AssociateRolePermissionsSet",
                "AssociateRoleBuyerAssignableChanged",
                "AssociateRoleNameSet"
            ]
        );
        assert_eq!(u.state.meta.version, 6);
        let same_set = run(
            &u.state,
            json!([{"action": "setPermissions", "permissions": ["AddChildUnits"]}]),
        )
        .unwrap();
        assert_eq!(same_set.state.meta.version, 6);
        let cleared = run(
            &u.state,
            json!([{"action": "setPermissions"}, {"action": "setName"}]),
        )
        .unwrap();
        assert!(cleared.state.permissions.is_empty() && cleared.state.name.is_none());
        let no_type = run(
            &r,
            json!([{"action": "setCustomField", "name": "a", "value": 1}]),
        );
        assert!(matches!(
            no_type.unwrap_err().0[0],
            ApiError::InvalidOperation { .. }
        ));
    }
}
