//! Customer groups: `setCustomerGroup`, `setCustomerGroupAssignments`,
//! `addCustomerGroupAssignment`, `removeCustomerGroupAssignment`. Groups are referenced by id or
//! key, must exist, and are stored as `{typeId, id}`; assignments are a set (adding one the customer has, or removing one it has not,
//! changes nothing).

use super::{CustomerEffect, CustomerGroupAssignmentDraft};
use crate::domain::customer::draft::push_unique;
use crate::domain::customer::messages::Payload;
use crate::domain::customer::{Customer, CustomerGroupAssignment};
use crate::domain::error::ApiResult;
use crate::domain::references::Referenced;
use crate::domain::refs::ResourceIdentifier;
use crate::domain::resource::Effect;

/// `setCustomerGroup`: sets or (absent) removes the group. Message: `CustomerGroupSet`.
pub fn set_customer_group(
    c: &mut Customer,
    customer_group: &Option<ResourceIdentifier>,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let group = match customer_group {
        Some(identifier) => Some(refs.group(identifier, "customerGroup")?),
        None => None,
    };
    let changed = c.customer_group != group;
    c.customer_group.clone_from(&group);
    Ok(Effect::with(changed, || Payload::CustomerGroupSet {
        customer_group: group,
    }))
}

/// `setCustomerGroupAssignments`: replaces the assignments. Message:
/// `CustomerGroupAssignmentsSet` with the old ones.
pub fn set_customer_group_assignments(
    c: &mut Customer,
    drafts: &[CustomerGroupAssignmentDraft],
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let mut assignments = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let path = format!("customerGroupAssignments[{i}] -> customerGroup");
        let customer_group = refs.group(&draft.customer_group, &path)?;
        push_unique(&mut assignments, CustomerGroupAssignment { customer_group });
    }
    if c.customer_group_assignments == assignments {
        return Ok(Effect::Unchanged);
    }
    let old = std::mem::replace(&mut c.customer_group_assignments, assignments.clone());
    Ok(Effect::Changed(vec![
        Payload::CustomerGroupAssignmentsSet {
            customer_group_assignments: assignments,
            old_customer_group_assignments: old,
        },
    ]))
}

/// `addCustomerGroupAssignment`. Message: `CustomerGroupAssignmentAdded`.
pub fn add_customer_group_assignment(
    c: &mut Customer,
    draft: &CustomerGroupAssignmentDraft,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let path = "customerGroupAssignment -> customerGroup";
    let assignment = CustomerGroupAssignment {
        customer_group: refs.group(&draft.customer_group, path)?,
    };
    if c.customer_group_assignments.contains(&assignment) {
        return Ok(Effect::Unchanged);
    }
    c.customer_group_assignments.push(assignment.clone());
    Ok(Effect::Changed(vec![
        Payload::CustomerGroupAssignmentAdded {
            customer_group_assignment: assignment,
        },
    ]))
}

/// `removeCustomerGroupAssignment`. Message: `CustomerGroupAssignmentRemoved`.
pub fn remove_customer_group_assignment(
    c: &mut Customer,
    customer_group: &ResourceIdentifier,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let group = refs.group(customer_group, "customerGroup")?;
    let found = c
        .customer_group_assignments
        .iter()
        .position(|a| a.customer_group == group);
    Ok(match found {
        None => Effect::Unchanged,
        Some(index) => {
            let assignment = c.customer_group_assignments.remove(index);
            Effect::Changed(vec![Payload::CustomerGroupAssignmentRemoved {
                customer_group_assignment: assignment,
            }])
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn customer_group() {
        let c = basic();
        let set = ok(
            &c,
            json!([{"action": "setCustomerGroup", "customerGroup": {"typeId": "customer-group", "id": "g1"}}]),
        );
        assert_eq!(
            set.state
                .customer
                .customer_group
                .as_ref()
                .unwrap()
                .id
                .as_deref(),
            Some("g1")
        );
        let m = json_of(&set.messages[0]);
        assert_eq!(m["type"], "CustomerGroupSet");
        assert_eq!(
            m["customerGroup"],
            json!({"typeId": "customer-group", "id": "g1"})
        );
        let unset = ok(&set.state, json!([{"action": "setCustomerGroup"}]));
        assert_eq!(unset.state.customer.customer_group, None);
        assert!(json_of(&unset.messages[0]).get("customerGroup").is_none());
        assert_eq!(
            ok(&c, json!([{"action": "setCustomerGroup"}]))
                .state
                .customer
                .meta
                .version,
            1
        );
        assert!(matches!(
            err(
                &c,
                json!([{"action": "setCustomerGroup", "customerGroup": {"id": "g", "key": "g"}}])
            ),
            ApiError::InvalidJsonInput { .. }
        ));
    }

    #[test]
    fn customer_group_assignments() {
        let c = basic();
        let set = ok(
            &c,
            json!([{"action": "setCustomerGroupAssignments", "customerGroupAssignments": [
                {"customerGroup": {"key": "a"}}, {"customerGroup": {"key": "a"}}, {"customerGroup": {"id": "b"}}
            ]}]),
        );
        assert_eq!(set.state.customer.customer_group_assignments.len(), 2);
        let m = json_of(&set.messages[0]);
        assert_eq!(m["type"], "CustomerGroupAssignmentsSet");
        assert_eq!(m["oldCustomerGroupAssignments"], json!([]));
        let added = ok(
            &set.state,
            json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"key": "c"}}}]),
        );
        assert_eq!(added.state.customer.customer_group_assignments.len(), 3);
        assert_eq!(types(&added), vec!["CustomerGroupAssignmentAdded"]);
        let again = ok(
            &added.state,
            json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"key": "c"}}}]),
        );
        assert_eq!(
            again.state.customer.meta.version,
            added.state.customer.meta.version
        );
        let removed = ok(
            &added.state,
            json!([{"action": "removeCustomerGroupAssignment", "customerGroup": {"key": "a"}}]),
        );
        assert_eq!(removed.state.customer.customer_group_assignments.len(), 2);
        assert_eq!(
            json_of(&removed.messages[0])["customerGroupAssignment"],
            json!({"customerGroup": {"typeId": "customer-group", "id": "group-a"}})
        );
        // A group that does not exist cannot be named, not even to remove it.
        assert!(matches!(
            err(
                &c,
                json!([{"action": "removeCustomerGroupAssignment", "customerGroup": {"key": "zzz"}}])
            ),
            ApiError::ReferencedResourceNotFound { .. }
        ));
        assert!(matches!(
            err(
                &c,
                json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {}}}])
            ),
            ApiError::InvalidJsonInput { .. }
        ));
    }
}
