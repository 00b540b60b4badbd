//! Unit tests of business units: drafts, the tree rules, actions, and inheritance.

use serde_json::{json, Value};

use super::associates::{access, role_keys};
use super::draft::{create, BusinessUnitDraft};
use super::*;
use crate::domain::associate_role::{self, AssociateRole, AssociateRoleDraft};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::ids::CountingRandom;
use crate::domain::json;
use crate::domain::references::{GroupRef, Referenced};
use crate::domain::refs::ClientLogging;
use crate::domain::resource::{parse_request, update, UpdateContext, Updated};

const NOW: i64 = 1_700_000_000_000;

fn role(key: &str, permissions: Value) -> AssociateRole {
    let draft: AssociateRoleDraft = json::parse(
        json!({"key": key, "permissions": permissions})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    associate_role::create(
        draft,
        (NOW, &ClientLogging::client("c")),
        &Referenced::default(),
        &mut CountingRandom(1),
    )
    .unwrap()
}

fn refs_with(units: Vec<BusinessUnit>) -> Referenced {
    Referenced {
        customers: vec![GroupRef {
            id: "c1".into(),
            key: None,
        }],
        roles: vec![
            role("buyer", json!(["ViewMyCarts"])),
            role("admin", json!(["UpdateAssociates", "ViewMyCarts"])),
        ],
        units,
        ..Referenced::default()
    }
}

fn unit(body: Value, refs: &Referenced) -> ApiResult<BusinessUnit> {
    let draft: BusinessUnitDraft = json::parse(body.to_string().as_bytes())?;
    create(
        draft,
        (NOW, &ClientLogging::client("c")),
        refs,
        &mut CountingRandom(7),
    )
}

fn run(u: &BusinessUnit, actions: Value, refs: &Referenced) -> ApiResult<Updated<BusinessUnit>> {
    let body = json!({"version": u.meta.version, "actions": actions});
    let request = parse_request(body.to_string().as_bytes())?;
    let ctx = UpdateContext {
        now_ms: NOW + 1,
        by: ClientLogging::client("u"),
        rng: &mut CountingRandom(9),
        refs,
    };
    update(u, &request, ctx)
}

/// A Company `co` and a chain of Divisions below it, `d1` … `d{n}`.
fn chain(n: usize) -> Vec<BusinessUnit> {
    let mut units = vec![unit(
        json!({"key": "co", "name": "Co", "unitType": "Company",
               "associates": [{"customer": {"id": "c1"}, "associateRoleAssignments": [
                   {"associateRole": {"key": "admin"}, "inheritance": "Enabled"},
                   {"associateRole": {"key": "buyer"}}]}]}),
        &refs_with(Vec::new()),
    )
    .unwrap()];
    for i in 1..=n {
        let parent = units.last().unwrap().key.to_string();
        let next = unit(
            json!({"key": format!("d{i}"), "name": "D", "unitType": "Division",
                   "parentUnit": {"key": parent}}),
            &refs_with(units.clone()),
        )
        .unwrap();
        units.push(next);
    }
    units
}

#[test]
fn a_company_and_a_division_get_their_defaults() {
    let units = chain(1);
    let (co, d1) = (&units[0], &units[1]);
    let co_json = serde_json::to_value(co).unwrap();
    assert_eq!(co_json["stores"], json!([]));
    assert_eq!(
        co_json["topLevelUnit"],
        json!({"typeId": "business-unit", "key": "co"})
    );
    assert_eq!(
        co_json["associates"][0]["associateRoleAssignments"][1],
        json!({"associateRole": {"typeId": "associate-role", "key": "buyer"}, "inheritance": "Disabled"})
    );
    assert_eq!(co.status, Status::Active);
    assert_eq!(d1.store_mode, StoreMode::FromParent);
    assert_eq!(d1.associate_mode, InheritMode::ExplicitAndFromParent);
    assert!(d1.stores.is_none());
    assert_eq!(d1.top_level_unit.key, "co");
    assert_eq!(d1.parent_unit.as_ref().unwrap().key, "co");
}

#[test]
fn the_tree_has_five_levels_and_companies_no_parent() {
    let units = chain(4);
    let refs = refs_with(units.clone());
    let sixth = unit(
        json!({"key": "d5", "name": "D", "unitType": "Division", "parentUnit": {"key": "d4"}}),
        &refs,
    );
    assert!(matches!(
        sixth.unwrap_err().0[0],
        ApiError::InvalidInput { .. }
    ));
    let fifth = unit(
        json!({"key": "x5", "name": "D", "unitType": "Division", "parentUnit": {"key": "d3"}}),
        &refs,
    );
    assert!(fifth.is_ok());
    let errors = unit(
        json!({"key": "!", "name": "", "unitType": "Company", "parentUnit": {"key": "co"},
               "associates": [{"customer": {"id": "nobody"}, "associateRoleAssignments": [{"associateRole": {"key": "buyer"}}]}]}),
        &refs,
    )
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 4, "{errors:?}");
}

#[test]
fn roles_are_inherited_while_units_take_them_from_their_parent() {
    let mut units = chain(2);
    let ancestor = |units: &[BusinessUnit]| {
        let units = units.to_vec();
        move |key: &str| units.iter().find(|u| u.key.as_str() == key).cloned()
    };
    let lookup = ancestor(&units);
    let (explicit, inherited) = role_keys(&units[2], "c1", &lookup).unwrap();
    assert!(explicit.is_empty());
    assert_eq!(inherited, ["admin"]);
    let answer = access("c1", (&explicit, &inherited), &refs_with(Vec::new()).roles);
    assert_eq!(answer.inherited_associate_roles[0].key.as_str(), "admin");
    let permissions: Vec<&str> = answer.permissions.iter().map(|p| p.as_str()).collect();
    assert_eq!(permissions, ["UpdateAssociates", "ViewMyCarts"]);
    assert!(role_keys(&units[0], "someone", &lookup).is_none());
    // An Explicit unit in between stops the inheritance.
    units[1].associate_mode = InheritMode::Explicit;
    assert!(role_keys(&units[2], "c1", &ancestor(&units)).is_none());
}

#[test]
fn actions_change_with_their_messages_and_companies_keep_explicit_modes() {
    let units = chain(1);
    let refs = refs_with(units.clone());
    let co = &units[0];
    let u = run(
        co,
        json!([{"action": "changeName", "name": "New"},
               {"action": "addStore", "store": {"key": "s1"}},
               {"action": "setStores", "stores": [{"key": "s1"}]},
               {"action": "removeAssociate", "customer": {"id": "c1"}}]),
        &refs,
    )
    .unwrap();
    let types: Vec<&str> = u.messages.iter().map(|m| m.type_name()).collect();
    assert_eq!(
        types,
        [
            "BusinessUnitNameChanged",
            "BusinessUnitStoreAdded",
            "BusinessUnitAssociateRemoved"
        ]
    );
    let refused = run(
        co,
        json!([{"action": "changeAssociateMode", "associateMode": "ExplicitAndFromParent"}]),
        &refs,
    );
    assert!(matches!(
        refused.unwrap_err().0[0],
        ApiError::InvalidOperation { .. }
    ));
    let no_parent = run(
        co,
        json!([{"action": "setUnitType", "unitType": "Division"}]),
        &refs,
    );
    assert!(matches!(
        no_parent.unwrap_err().0[0],
        ApiError::InvalidJsonInput { .. }
    ));
    // A Division becomes a Company only with every mode Explicit.
    let d1 = &units[1];
    let inheriting = run(
        d1,
        json!([{"action": "setUnitType", "unitType": "Company"}]),
        &refs,
    );
    assert!(matches!(
        inheriting.unwrap_err().0[0],
        ApiError::InvalidOperation { .. }
    ));
    let company = run(
        d1,
        json!([{"action": "setStoreMode", "storeMode": "Explicit"},
               {"action": "changeAssociateMode", "associateMode": "Explicit"},
               {"action": "changeApprovalRuleMode", "approvalRuleMode": "Explicit"},
               {"action": "setUnitType", "unitType": "Company"}]),
        &refs,
    )
    .unwrap();
    assert_eq!(company.state.unit_type, UnitType::Company);
    assert!(company.state.parent_unit.is_none());
    assert_eq!(company.state.top_level_unit.key, "d1");
    let types: Vec<&str> = company.messages.iter().map(|m| m.type_name()).collect();
    assert_eq!(
        &types[3..],
        ["BusinessUnitTypeSet", "BusinessUnitTopLevelUnitSet"]
    );
}

#[test]
fn a_division_moves_but_not_below_itself_nor_too_deep() {
    let mut units = chain(3);
    let other = unit(
        json!({"key": "co2", "name": "Co2", "unitType": "Company"}),
        &refs_with(Vec::new()),
    )
    .unwrap();
    units.push(other);
    let mut refs = refs_with(units.clone());
    refs.subtree_heights = vec![("d1".into(), 2)];
    let d1 = &units[1];
    let move_to = |key: &str| {
        run(
            d1,
            json!([{"action": "changeParentUnit", "parentUnit": {"key": key}}]),
            &refs,
        )
    };
    for below_itself in ["d1", "d3"] {
        assert!(matches!(
            move_to(below_itself).unwrap_err().0[0],
            ApiError::InvalidInput { .. }
        ));
    }
    let moved = move_to("co2").unwrap();
    assert_eq!(moved.state.top_level_unit.key, "co2");
    let types: Vec<&str> = moved.messages.iter().map(|m| m.type_name()).collect();
    assert_eq!(
        types,
        ["BusinessUnitParentChanged", "BusinessUnitTopLevelUnitSet"]
    );
    refs.subtree_heights = vec![("d1".into(), 4)];
    let too_deep = run(
        d1,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": "co2"}}]),
        &refs,
    );
    assert!(matches!(
        too_deep.unwrap_err().0[0],
        ApiError::InvalidInput { .. }
    ));
}
