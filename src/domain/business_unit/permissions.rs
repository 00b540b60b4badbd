//! What an associate may change in a unit through `/{projectKey}/as-associate/{associateId}/
//! business-units…`: the permission each update action needs (commercetools documents the
//! permissions, not the mapping; ours follows their descriptions), and the 403
//! `AssociateMissingPermission` when the associate's roles (explicit and inherited) lack it.
//!
//! - associates (`addAssociate`, `changeAssociate`, `removeAssociate`, `setAssociates`,
//!   `changeAssociateMode`) → `UpdateAssociates`;
//! - `changeParentUnit` → `UpdateParentUnit` here and `AddChildUnits` in the new parent;
//! - every other action → `UpdateBusinessUnitDetails` (`setUnitType` with a parent also
//!   needs `AddChildUnits` there);
//! - creating a Division → `AddChildUnits` in its parent.

use super::actions::BusinessUnitAction;
use super::associates::RoleAssignmentDraft;
use super::draft::BusinessUnitDraft;
use super::{BusinessUnit, Status};
use crate::domain::associate_role::{AssociateRole, Permission};
use crate::domain::customer::draft::CustomerDraft;
use crate::domain::error::ApiError;
use crate::domain::expand;
use crate::domain::json;
use crate::domain::project::MyUnitSettings;
use crate::domain::refs::ResourceIdentifier;

/// Change a unit's name, addresses, stores, custom fields, ….
pub const UPDATE_DETAILS: &str = "UpdateBusinessUnitDetails";
/// Add, change or remove associates.
pub const UPDATE_ASSOCIATES: &str = "UpdateAssociates";
/// Create Divisions below the unit, or move a unit below it.
pub const ADD_CHILD_UNITS: &str = "AddChildUnits";
/// Move the unit to another parent.
pub const UPDATE_PARENT_UNIT: &str = "UpdateParentUnit";

/// The permission `action` needs in the unit it changes.
pub fn needed(action: &BusinessUnitAction) -> &'static str {
    use BusinessUnitAction::*;
    match action {
        AddAssociate { .. }
        | ChangeAssociate { .. }
        | RemoveAssociate { .. }
        | SetAssociates { .. }
        | ChangeAssociateMode { .. } => UPDATE_ASSOCIATES,
        ChangeParentUnit { .. } => UPDATE_PARENT_UNIT,
        _ => UPDATE_DETAILS,
    }
}

/// The unit an action moves the unit below, which needs `AddChildUnits` there.
pub fn new_parent(action: &BusinessUnitAction) -> Option<&ResourceIdentifier> {
    match action {
        BusinessUnitAction::ChangeParentUnit { parent_unit } => Some(parent_unit),
        BusinessUnitAction::SetUnitType { parent_unit, .. } => parent_unit.as_ref(),
        _ => None,
    }
}

/// The action's name (`changeName`), for error messages.
pub fn action_name(action: &BusinessUnitAction) -> String {
    match serde_json::to_value(action) {
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned(),
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
    .unwrap_or_else(|| "update".into())
}

/// A MyBusinessUnitAssociateDraft (`POST /in-business-unit/key={key}/me/customers`): the
/// unit's expected version, the new customer (a MyCustomerDraft, checked as on `/me/signup`)
/// and at least one role assignment.
pub fn my_associate_draft(
    body: &[u8],
) -> Result<
    (
        crate::domain::version::Version,
        CustomerDraft,
        Vec<RoleAssignmentDraft>,
    ),
    ApiError,
> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Draft {
        version: crate::domain::version::Version,
        customer: serde_json::Map<String, serde_json::Value>,
        associate_role_assignments: Vec<RoleAssignmentDraft>,
    }
    let draft: Draft = json::parse(body)?;
    if draft.associate_role_assignments.is_empty() {
        return Err(json::invalid_shape(
            "associateRoleAssignments",
            "At least one associate role assignment is required.",
        ));
    }
    let customer = serde_json::to_vec(&draft.customer).map_err(|e| ApiError::InvalidJsonInput {
        detail: format!("customer: {e}"),
    })?;
    let customer = crate::domain::customer::me::parse_draft(&customer, None)?;
    Ok((draft.version, customer, draft.associate_role_assignments))
}

/// Ok if `held` contains `permission`; else 403 naming it (`doing` describes the refused
/// action, as commercetools' message does).
pub fn require(
    associate: &str,
    unit_key: &str,
    held: &[Permission],
    permission: &str,
    doing: &str,
) -> Result<(), ApiError> {
    if held.iter().any(|p| p.as_str() == permission) {
        return Ok(());
    }
    Err(ApiError::AssociateMissingPermission {
        associate: associate.into(),
        business_unit: unit_key.into(),
        action: doing.into(),
        permissions: vec![permission.into()],
    })
}

/// Ok if the associate holding `held` in `unit` may apply every one of `actions` there
/// (their new parents are checked separately). An `Inactive` unit can be changed only through
/// the general endpoints (400 `InvalidOperation`).
pub fn check_update(
    associate: &str,
    unit: &BusinessUnit,
    held: &[Permission],
    actions: &[BusinessUnitAction],
) -> Result<(), ApiError> {
    if unit.status == Status::Inactive {
        return Err(ApiError::InvalidOperation {
            message: format!(
                "The business unit '{}' is Inactive; it can be changed only through the business-units endpoints.",
                unit.key.as_str()
            ),
        });
    }
    for action in actions {
        let doing = action_name(action);
        require(associate, unit.key.as_str(), held, needed(action), &doing)?;
    }
    Ok(())
}

/// The roles the actions assign (`addAssociate`, `changeAssociate`, `setAssociates`).
pub fn assigned_roles(actions: &[BusinessUnitAction]) -> Vec<&ResourceIdentifier> {
    use BusinessUnitAction::*;
    let drafts = actions.iter().flat_map(|action| match action {
        AddAssociate { associate } | ChangeAssociate { associate } => {
            std::slice::from_ref(associate)
        }
        SetAssociates {
            associates: Some(all),
        } => all.as_slice(),
        _ => &[],
    });
    drafts
        .flat_map(|d| &d.associate_role_assignments)
        .map(|a| &a.associate_role)
        .collect()
}

/// Ok unless a role is not `buyerAssignable`: buyers (`as-associate`, `/me`) cannot assign
/// it (400 `InvalidOperation`; the error commercetools answers is not documented).
pub fn check_buyer_assignable(roles: &[AssociateRole]) -> Result<(), ApiError> {
    match roles.iter().find(|r| !r.buyer_assignable) {
        None => Ok(()),
        Some(role) => Err(ApiError::InvalidOperation {
            message: format!(
                "The associate role '{}' is not buyerAssignable: only the business-units endpoints can assign it.",
                role.key.as_str()
            ),
        }),
    }
}

/// Whether `action` is one of the 18 MyBusinessUnit update actions `/me/business-units`
/// offers. Every action is listed, so a new one must be placed on one side or the other.
pub fn is_my_action(action: &BusinessUnitAction) -> bool {
    use BusinessUnitAction::*;
    match action {
        AddAddress { .. }
        | AddBillingAddressId { .. }
        | AddShippingAddressId { .. }
        | ChangeAddress { .. }
        | ChangeAssociate { .. }
        | ChangeName { .. }
        | ChangeParentUnit { .. }
        | RemoveAddress { .. }
        | RemoveAssociate { .. }
        | RemoveBillingAddressId { .. }
        | RemoveShippingAddressId { .. }
        | SetAddressCustomField { .. }
        | SetAddressCustomType { .. }
        | SetContactEmail { .. }
        | SetCustomField { .. }
        | SetCustomType { .. }
        | SetDefaultBillingAddress { .. }
        | SetDefaultShippingAddress { .. } => true,
        ChangeStatus { .. }
        | SetStoreMode { .. }
        | SetStores { .. }
        | AddStore { .. }
        | RemoveStore { .. }
        | ChangeAssociateMode { .. }
        | ChangeApprovalRuleMode { .. }
        | AddAssociate { .. }
        | SetAssociates { .. }
        | AddCustomerGroupAssignment { .. }
        | RemoveCustomerGroupAssignment { .. }
        | SetCustomerGroupAssignments { .. }
        | SetUnitType { .. } => false,
    }
}

/// Ok if every action is a MyBusinessUnit action; else 400 naming the first that is not.
pub fn check_my_actions(actions: &[BusinessUnitAction]) -> Result<(), ApiError> {
    match actions.iter().position(|a| !is_my_action(a)) {
        None => Ok(()),
        Some(i) => Err(ApiError::InvalidInput {
            message: format!(
                "actions[{i}] -> action: '{}' is not a MyBusinessUnit update action: it cannot be used on /me/business-units.",
                action_name(&actions[i])
            ),
        }),
    }
}

/// The BusinessUnitDraft fields MyBusinessUnitDraft lacks.
const NOT_MY_DRAFT_FIELDS: &[&str] = &[
    "status",
    "stores",
    "storeMode",
    "associateMode",
    "associates",
    "approvalRuleMode",
    "customerGroupAssignments",
];

/// `POST /me/business-units`: a MyBusinessUnitDraft (the fields it lacks → 400
/// `InvalidJsonInput` naming them) made a unit draft with the project's settings — the status
/// of units created there, and the token's customer `me` as its associate with the project's
/// role (`inheritance: Enabled`, our choice). No role configured → 400 `InvalidOperation`, as
/// commercetools answers.
pub fn my_draft(
    body: &[u8],
    me: &str,
    settings: &MyUnitSettings,
) -> Result<BusinessUnitDraft, ApiError> {
    let mut draft: serde_json::Value = json::parse(body)?;
    if let Some(field) = NOT_MY_DRAFT_FIELDS
        .iter()
        .find(|f| draft.get(**f).is_some())
    {
        return Err(ApiError::InvalidJsonInput {
            detail: format!("{field}: not a field of MyBusinessUnitDraft"),
        });
    }
    let Some(role) = &settings.role else {
        return Err(ApiError::InvalidOperation {
            message: "No myBusinessUnitAssociateRoleOnCreation is configured for the project."
                .into(),
        });
    };
    draft["status"] = settings.status.clone().into();
    draft["associates"] = serde_json::json!([{
        "customer": {"typeId": "customer", "id": me},
        "associateRoleAssignments": [{
            "associateRole": {"typeId": "associate-role", "key": role},
            "inheritance": "Enabled"
        }]
    }]);
    json::parse(draft.to_string().as_bytes())
}

/// `/me/business-units` does not expand customers (`expand=associates[*].customer` or
/// `inheritedAssociates[*].customer`): 401 `Unauthorized`, as commercetools answers.
pub fn check_my_expansion(expand: &[String]) -> Result<(), ApiError> {
    let customers = expand::paths(expand).iter().any(|p| {
        p.reaches_each("associates", "customer")
            || p.reaches_each("inheritedAssociates", "customer")
    });
    if customers {
        return Err(ApiError::Unauthorized {
            message: "Customer reference expansion not permitted on my business unit".into(),
        });
    }
    Ok(())
}

/// A `/me` move keeps the unit in its tree: the new parent must have the unit's top-level
/// unit (400 `InvalidOperation` otherwise).
pub fn check_my_move(unit: &BusinessUnit, new_parent: &BusinessUnit) -> Result<(), ApiError> {
    if new_parent.top_level_unit.key == unit.top_level_unit.key {
        return Ok(());
    }
    Err(ApiError::InvalidOperation {
        message: format!(
            "The new parent unit '{}' is not in the tree of '{}' (top-level unit '{}').",
            new_parent.key.as_str(),
            unit.key.as_str(),
            unit.top_level_unit.key
        ),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn my_drafts_lack_stores_modes_associates_and_status() {
        use crate::domain::project::MyUnitSettings;
        let settings = MyUnitSettings {
            status: "Inactive".into(),
            role: Some("buyer".into()),
        };
        let body = br#"{"key":"k1","name":"n","unitType":"Company"}"#;
        let draft = super::my_draft(body, "c1", &settings).unwrap();
        let associates = draft.associates.unwrap();
        assert_eq!(associates[0].customer.id.as_deref(), Some("c1"));
        assert_eq!(
            associates[0].associate_role_assignments[0]
                .associate_role
                .key
                .as_deref(),
            Some("buyer")
        );
        assert_eq!(draft.status, Some(super::super::Status::Inactive));
        let refused = super::my_draft(
            br#"{"key":"k1","name":"n","unitType":"Company","stores":[]}"#,
            "c1",
            &settings,
        );
        assert_eq!(refused.unwrap_err().code(), "InvalidJsonInput");
        let none = super::my_draft(body, "c1", &MyUnitSettings::default());
        assert_eq!(none.unwrap_err().code(), "InvalidOperation");
    }

    #[test]
    fn my_units_expand_no_customers() {
        let refused = |p: &str| super::check_my_expansion(&[p.to_string()]).is_err();
        assert!(refused("associates[*].customer"));
        assert!(refused("inheritedAssociates[*].customer"));
        assert!(refused("associates[*].customer.customerGroup"));
        assert!(!refused(
            "associates[*].associateRoleAssignments[*].associateRole"
        ));
        assert!(!refused("custom.type"));
        assert!(!refused("customer"));
    }

    use super::*;

    fn action(json: &str) -> BusinessUnitAction {
        let request = format!(r#"{{"version":1,"actions":[{json}]}}"#);
        let mut parsed =
            crate::domain::resource::parse_request::<BusinessUnitAction>(request.as_bytes())
                .unwrap();
        parsed.actions.remove(0)
    }

    #[test]
    fn actions_map_to_their_permission() {
        let name = action(r#"{"action":"changeName","name":"n"}"#);
        assert_eq!(needed(&name), UPDATE_DETAILS);
        assert_eq!(action_name(&name), "changeName");
        let remove = action(r#"{"action":"removeAssociate","customer":{"id":"c"}}"#);
        assert_eq!(needed(&remove), UPDATE_ASSOCIATES);
        let moved = action(r#"{"action":"changeParentUnit","parentUnit":{"key":"p"}}"#);
        assert_eq!(needed(&moved), UPDATE_PARENT_UNIT);
        assert_eq!(new_parent(&moved).and_then(|p| p.key.as_deref()), Some("p"));
        assert!(new_parent(&name).is_none());
    }

    #[test]
    fn assigned_roles_are_found_in_every_associate_action() {
        let add = action(
            r#"{"action":"addAssociate","associate":{"customer":{"id":"c"},"associateRoleAssignments":[{"associateRole":{"key":"r1"}}]}}"#,
        );
        let set = action(
            r#"{"action":"setAssociates","associates":[{"customer":{"id":"c"},"associateRoleAssignments":[{"associateRole":{"key":"r2"}}]}]}"#,
        );
        let name = action(r#"{"action":"changeName","name":"n"}"#);
        let keys: Vec<_> = assigned_roles(&[add, name, set])
            .iter()
            .map(|r| r.key.clone().unwrap())
            .collect();
        assert_eq!(keys, ["r1", "r2"]);
    }

    #[test]
    fn my_actions_are_a_subset() {
        let name = action(r#"{"action":"changeName","name":"n"}"#);
        let status = action(r#"{"action":"changeStatus","status":"Inactive"}"#);
        assert!(check_my_actions(std::slice::from_ref(&name)).is_ok());
        let err = check_my_actions(&[name, status]).unwrap_err();
        assert!(err.message().contains("actions[1]"), "{}", err.message());
        assert!(err.message().contains("changeStatus"));
    }

    #[test]
    fn associate_drafts_need_a_role_and_a_customer() {
        let ok = br#"{"version":3,"customer":{"email":"a@b.c","password":"x"},
            "associateRoleAssignments":[{"associateRole":{"key":"buyer"}}]}"#;
        let (version, customer, roles) = my_associate_draft(ok).unwrap();
        assert_eq!(version.get(), 3);
        assert_eq!(customer.email, "a@b.c");
        assert_eq!(roles.len(), 1);
        for bad in [
            &br#"{"version":3,"customer":{"email":"a@b.c"},"associateRoleAssignments":[]}"#[..],
            br#"{"version":3,"customer":{"email":"a@b.c"}}"#,
            br#"{"version":"3","customer":{"email":"a@b.c"},"associateRoleAssignments":[{"associateRole":{"key":"r"}}]}"#,
            br#"{"version":3,"customer":[],"associateRoleAssignments":[{"associateRole":{"key":"r"}}]}"#,
            br#"{"version":3,"customer":{"email":"a@b.c","key":"k"},"associateRoleAssignments":[{"associateRole":{"key":"r"}}]}"#,
            br#"{"version":3,"#,
        ] {
            let e = my_associate_draft(bad).unwrap_err();
            assert_eq!(e.status(), 400, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_missing_permission_is_named() {
        let held = vec![Permission::parse(UPDATE_ASSOCIATES).unwrap()];
        assert!(require("c1", "bu", &held, UPDATE_ASSOCIATES, "x").is_ok());
        let err = require("c1", "bu", &held, UPDATE_DETAILS, "changeName").unwrap_err();
        assert_eq!(err.status(), 403);
        assert_eq!(err.code(), "AssociateMissingPermission");
        assert!(err.message().contains("Needs 'UpdateBusinessUnitDetails'"));
    }
}
