//! Associates: the drafts that attach a customer to a unit with roles (the customer and every
//! role must exist), and what an associate may do in a unit — its explicit roles, the roles it
//! inherits from ancestors, and the union of their permissions.
//!
//! **Inheritance.** A Division in `associateMode` `ExplicitAndFromParent` inherits its
//! parent's assignments with `inheritance: Enabled`, and, if the parent is in that mode too,
//! what the parent inherits — up to the first unit in `Explicit` mode (a Company always is).

use serde::{Deserialize, Serialize};

use super::{
    Associate, BusinessUnit, InheritMode, Inheritance, KeyReference, RoleAssignment,
    MAX_ASSOCIATES, MAX_ROLE_ASSIGNMENTS,
};
use crate::domain::associate_role::{AssociateRole, Permission};
use crate::domain::error::ApiError;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::{Reference, ResourceIdentifier};

/// AssociateRoleAssignmentDraft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentDraft {
    pub associate_role: ResourceIdentifier,
    #[serde(default)]
    pub inheritance: Option<Inheritance>,
}

/// AssociateDraft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociateDraft {
    pub customer: ResourceIdentifier,
    pub associate_role_assignments: Vec<RoleAssignmentDraft>,
}

/// The customers and roles the drafts name.
pub fn want(drafts: &[AssociateDraft], wanted: &mut Wanted) {
    for draft in drafts {
        wanted.customer(&draft.customer);
        for assignment in &draft.associate_role_assignments {
            wanted.role(&assignment.associate_role);
        }
    }
}

/// The associate a draft (at `path`) describes: the customer as an id reference, the roles as
/// key references, `inheritance` defaulting to `Disabled`.
pub fn from_draft(
    draft: &AssociateDraft,
    path: &str,
    refs: &Referenced,
) -> Result<Associate, ApiError> {
    let count = draft.associate_role_assignments.len();
    if count == 0 || count > MAX_ROLE_ASSIGNMENTS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "{path}.associateRoleAssignments: an associate holds 1 to {MAX_ROLE_ASSIGNMENTS} roles; {count} were given."
            ),
        });
    }
    let customer = refs.customer(&draft.customer, &format!("{path} -> customer"))?;
    let mut assignments: Vec<RoleAssignment> = Vec::new();
    for (i, assignment) in draft.associate_role_assignments.iter().enumerate() {
        let at = format!("{path} -> associateRoleAssignments[{i}] -> associateRole");
        let role = refs.role(&assignment.associate_role, &at)?;
        let assignment = RoleAssignment {
            associate_role: KeyReference::role(role.key.as_str()),
            inheritance: assignment.inheritance.unwrap_or_default(),
        };
        if assignments
            .iter()
            .any(|a| a.associate_role == assignment.associate_role)
        {
            return Err(ApiError::InvalidInput {
                message: format!("{at}: the role '{}' is assigned twice.", role.key.as_str()),
            });
        }
        assignments.push(assignment);
    }
    Ok(Associate {
        associate_role_assignments: assignments,
        customer,
    })
}

/// The associates the drafts (at `path`) describe; a customer may appear once.
pub fn all_from_drafts(
    drafts: &[AssociateDraft],
    path: &str,
    refs: &Referenced,
) -> Result<Vec<Associate>, ApiError> {
    if drafts.len() > MAX_ASSOCIATES {
        return Err(ApiError::InvalidInput {
            message: format!(
                "A business unit has at most {MAX_ASSOCIATES} associates; {} were given.",
                drafts.len()
            ),
        });
    }
    let mut associates: Vec<Associate> = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let associate = from_draft(draft, &format!("{path}[{i}]"), refs)?;
        if associates
            .iter()
            .any(|a| a.customer_id() == associate.customer_id())
        {
            return Err(duplicate_associate(associate.customer_id()));
        }
        associates.push(associate);
    }
    Ok(associates)
}

/// A customer given twice, or added again.
pub fn duplicate_associate(customer_id: &str) -> ApiError {
    ApiError::DuplicateField {
        field: "associates.customer".into(),
        duplicate_value: customer_id.into(),
        message: Some(format!(
            "The customer '{customer_id}' is already an associate of the business unit."
        )),
    }
}

/// What an associate may do in a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociateAccess {
    pub customer: Reference,
    pub associate_roles: Vec<AssociateRole>,
    pub inherited_associate_roles: Vec<AssociateRole>,
    pub permissions: Vec<Permission>,
}

/// The role keys `customer_id` holds in `unit` itself, and those it inherits (each once),
/// walking up `chain` (the unit's ancestors, found by key); `None` if it is neither.
pub fn role_keys(
    unit: &BusinessUnit,
    customer_id: &str,
    ancestor: &dyn Fn(&str) -> Option<BusinessUnit>,
) -> Option<(Vec<String>, Vec<String>)> {
    let explicit: Vec<String> = unit
        .associate(customer_id)
        .iter()
        .flat_map(|a| &a.associate_role_assignments)
        .map(|r| r.associate_role.key.clone())
        .collect();
    let mut inherited: Vec<String> = Vec::new();
    let mut child = unit.clone();
    for _ in 0..super::MAX_DEPTH {
        if child.associate_mode != InheritMode::ExplicitAndFromParent {
            break;
        }
        let Some(parent) = child.parent_unit.as_ref().and_then(|p| ancestor(&p.key)) else {
            break;
        };
        for assignment in parent
            .associate(customer_id)
            .iter()
            .flat_map(|a| &a.associate_role_assignments)
            .filter(|r| r.inheritance == Inheritance::Enabled)
        {
            if !inherited.contains(&assignment.associate_role.key) {
                inherited.push(assignment.associate_role.key.clone());
            }
        }
        child = parent;
    }
    (!explicit.is_empty() || !inherited.is_empty()).then_some((explicit, inherited))
}

/// The access of an associate with these explicit and inherited roles (roles that no longer
/// exist are left out).
pub fn access(
    customer_id: &str,
    (explicit, inherited): (&[String], &[String]),
    roles: &[AssociateRole],
) -> AssociateAccess {
    let find = |keys: &[String]| -> Vec<AssociateRole> {
        keys.iter()
            .filter_map(|k| roles.iter().find(|r| r.key.as_str() == k).cloned())
            .collect()
    };
    let associate_roles = find(explicit);
    let inherited_associate_roles = find(inherited);
    let mut permissions: Vec<Permission> = Vec::new();
    for role in associate_roles.iter().chain(&inherited_associate_roles) {
        for permission in &role.permissions {
            if !permissions.contains(permission) {
                permissions.push(permission.clone());
            }
        }
    }
    AssociateAccess {
        customer: Reference::to("customer", customer_id),
        associate_roles,
        inherited_associate_roles,
        permissions,
    }
}
