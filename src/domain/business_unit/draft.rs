//! BusinessUnitDraft (CompanyDraft and DivisionDraft, told apart by `unitType`) and how a unit
//! is made from it.
//!
//! Defaults: `status` Active; a Company is `Explicit` in every mode with `stores: []`; a
//! Division defaults to `FromParent` stores and `ExplicitAndFromParent` associates and
//! approval rules. Rules (each violation → 400 naming the field; all are reported at once):
//! a Company has no `parentUnit` and only `Explicit` modes; a Division needs a `parentUnit`
//! that exists, at most [`MAX_DEPTH`] levels deep; `stores` only with `storeMode` Explicit;
//! associates' customers and roles must exist; address indexes must be in range.

use serde::Deserialize;

use super::associates::{self, AssociateDraft};
use super::{
    BusinessUnit, InheritMode, KeyReference, Status, StoreMode, UnitType, MAX_ADDRESSES, MAX_DEPTH,
    MAX_GROUP_ASSIGNMENTS, MAX_NAME_LEN, MAX_STORES,
};
use crate::domain::customer::draft::{AddressDraft, CustomerGroupAssignmentDraft};
use crate::domain::customer::CustomerGroupAssignment;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::{new_uuid, Random};
use crate::domain::json::invalid_shape;
use crate::domain::limits;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::{
    ClientLogging, CustomFieldsDraft, ResourceIdentifier, StoreKeyReference,
};
use crate::domain::resource::Meta;
use crate::domain::time::iso_millis;
use crate::domain::validate;
use crate::domain::values::Key;

/// BusinessUnitDraft. Unknown fields are ignored; `null` equals absent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessUnitDraft {
    pub key: String,
    pub unit_type: UnitType,
    pub name: String,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub stores: Option<Vec<ResourceIdentifier>>,
    #[serde(default)]
    pub store_mode: Option<StoreMode>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub associate_mode: Option<InheritMode>,
    #[serde(default)]
    pub associates: Option<Vec<AssociateDraft>>,
    #[serde(default)]
    pub approval_rule_mode: Option<InheritMode>,
    #[serde(default)]
    pub addresses: Option<Vec<AddressDraft>>,
    #[serde(default)]
    pub shipping_addresses: Option<Vec<usize>>,
    #[serde(default)]
    pub billing_addresses: Option<Vec<usize>>,
    #[serde(default)]
    pub default_shipping_address: Option<usize>,
    #[serde(default)]
    pub default_billing_address: Option<usize>,
    #[serde(default)]
    pub custom: Option<CustomFieldsDraft>,
    #[serde(default)]
    pub customer_group_assignments: Option<Vec<CustomerGroupAssignmentDraft>>,
    #[serde(default)]
    pub parent_unit: Option<ResourceIdentifier>,
}

/// The resources a draft refers to.
pub fn wanted(draft: &BusinessUnitDraft) -> Wanted {
    let mut wanted = Wanted::default();
    if let Some(parent) = &draft.parent_unit {
        wanted.unit(parent);
    }
    associates::want(draft.associates.as_deref().unwrap_or_default(), &mut wanted);
    if let Some(custom) = &draft.custom {
        wanted.custom_type(&custom.type_identifier);
    }
    for address in draft.addresses.iter().flatten() {
        if let Some(custom) = &address.custom {
            wanted.custom_type(&(&custom.type_ref).into());
        }
    }
    for assignment in draft.customer_group_assignments.iter().flatten() {
        wanted.group(&assignment.customer_group);
    }
    wanted
}

pub fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ApiError::InvalidField {
            field: "name".into(),
            invalid_value: name.chars().take(MAX_NAME_LEN).collect::<String>().into(),
            message: Some(format!(
                "A business unit's name must be 1 to {MAX_NAME_LEN} characters."
            )),
        });
    }
    Ok(())
}

pub fn check_contact_email(email: &Option<String>) -> Result<(), ApiError> {
    match email {
        Some(email) => validate::email("contactEmail", email),
        None => Ok(()),
    }
}

pub fn check_store_count(count: usize) -> Result<(), ApiError> {
    if count > MAX_STORES {
        return Err(ApiError::InvalidInput {
            message: format!("A business unit has at most {MAX_STORES} stores."),
        });
    }
    Ok(())
}

pub fn check_group_count(count: usize) -> Result<(), ApiError> {
    if count > MAX_GROUP_ASSIGNMENTS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "A business unit has at most {MAX_GROUP_ASSIGNMENTS} customer-group assignments."
            ),
        });
    }
    Ok(())
}

/// Store identifiers (by key; stores need not be created first) → key references, each once.
pub fn stores_from(
    stores: &[ResourceIdentifier],
    path: &str,
) -> Result<Vec<StoreKeyReference>, ApiError> {
    check_store_count(stores.len())?;
    let mut keys: Vec<StoreKeyReference> = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let key = StoreKeyReference::new(&store.store_key(&format!("{path}[{i}]"))?);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// One customer-group assignment (the group must exist).
pub fn group_assignment(
    draft: &CustomerGroupAssignmentDraft,
    path: &str,
    refs: &Referenced,
) -> Result<CustomerGroupAssignment, ApiError> {
    let customer_group = refs.group(&draft.customer_group, &format!("{path} -> customerGroup"))?;
    Ok(CustomerGroupAssignment { customer_group })
}

/// Customer-group assignments, each group once.
pub fn group_assignments(
    drafts: &[CustomerGroupAssignmentDraft],
    refs: &Referenced,
) -> Result<Vec<CustomerGroupAssignment>, ApiError> {
    check_group_count(drafts.len())?;
    let mut out: Vec<CustomerGroupAssignment> = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let assignment = group_assignment(draft, &format!("customerGroupAssignments[{i}]"), refs)?;
        if !out.contains(&assignment) {
            out.push(assignment);
        }
    }
    Ok(out)
}

/// The keys of a unit's ancestors among the loaded units, nearest first.
pub fn ancestor_keys(unit: &BusinessUnit, refs: &Referenced) -> Vec<String> {
    let mut keys = Vec::new();
    let mut current = unit;
    while let Some(parent) = current.parent_unit.as_ref() {
        if keys.contains(&parent.key) || keys.len() > MAX_DEPTH {
            break;
        }
        keys.push(parent.key.clone());
        match refs.unit_by_key(&parent.key) {
            Some(next) => current = next,
            None => break,
        }
    }
    keys
}

/// How many levels a unit has above it (0 for a Company), walking the loaded ancestors.
pub fn levels_above(unit: &BusinessUnit, refs: &Referenced) -> usize {
    let mut levels = 0;
    let mut current = unit;
    while let Some(parent) = current.parent_unit.as_ref() {
        levels += 1;
        match refs.unit_by_key(&parent.key) {
            Some(next) if levels <= MAX_DEPTH => current = next,
            _ => break,
        }
    }
    levels
}

/// The parent and top-level unit of a new unit, and the checks of its place in the tree.
fn place(
    draft: &BusinessUnitDraft,
    refs: &Referenced,
) -> Result<(Option<KeyReference>, Option<KeyReference>), ApiError> {
    match (draft.unit_type, &draft.parent_unit) {
        (UnitType::Company, None) => Ok((None, None)),
        (UnitType::Company, Some(_)) => Err(ApiError::InvalidInput {
            message: "A Company is a top-level unit: it cannot have a parentUnit.".into(),
        }),
        (UnitType::Division, None) => Err(invalid_shape("parentUnit", "Missing required value")),
        (UnitType::Division, Some(parent)) => {
            let parent = refs.unit(parent, "parentUnit")?;
            if levels_above(parent, refs) + 2 > MAX_DEPTH {
                return Err(ApiError::InvalidInput {
                    message: format!(
                        "A business-unit tree has at most {MAX_DEPTH} levels; the parent unit '{}' is on the last one.",
                        parent.key.as_str()
                    ),
                });
            }
            Ok((
                Some(KeyReference::unit(parent.key.as_str())),
                Some(parent.top_level_unit.clone()),
            ))
        }
    }
}

/// A unit's store mode, its stores, its associate mode and its approval-rule mode.
type Modes = (
    StoreMode,
    Option<Vec<StoreKeyReference>>,
    InheritMode,
    InheritMode,
);

/// The three modes and the stores, with their defaults and rules.
fn modes(draft: &BusinessUnitDraft) -> Result<Modes, ApiError> {
    let company = draft.unit_type == UnitType::Company;
    let inherit = if company {
        InheritMode::Explicit
    } else {
        InheritMode::ExplicitAndFromParent
    };
    let store_mode = draft.store_mode.unwrap_or(if company {
        StoreMode::Explicit
    } else {
        StoreMode::FromParent
    });
    let associate_mode = draft.associate_mode.unwrap_or(inherit);
    let approval_rule_mode = draft.approval_rule_mode.unwrap_or(inherit);
    let from_parent = store_mode == StoreMode::FromParent
        || associate_mode == InheritMode::ExplicitAndFromParent
        || approval_rule_mode == InheritMode::ExplicitAndFromParent;
    if company && from_parent {
        return Err(ApiError::InvalidInput {
            message: "A Company has storeMode, associateMode and approvalRuleMode Explicit.".into(),
        });
    }
    let stores = match (store_mode, &draft.stores) {
        (StoreMode::FromParent, Some(stores)) if !stores.is_empty() => {
            return Err(ApiError::InvalidInput {
                message: "stores can be given only with storeMode Explicit.".into(),
            })
        }
        (StoreMode::FromParent, _) => None,
        (StoreMode::Explicit, stores) => Some(stores_from(
            stores.as_deref().unwrap_or_default(),
            "stores",
        )?),
    };
    Ok((store_mode, stores, associate_mode, approval_rule_mode))
}

/// Validates a draft (every violation is reported) and makes the unit.
pub fn create(
    draft: BusinessUnitDraft,
    (now_ms, by): (i64, &ClientLogging),
    refs: &Referenced,
    rng: &mut dyn Random,
) -> ApiResult<BusinessUnit> {
    let mut errors = Vec::new();
    let mut take = |result: Result<(), ApiError>| result.map_err(|e| errors.push(e)).is_ok();
    let key = Key::parse("key", &draft.key);
    take(key.as_ref().map(|_| ()).map_err(Clone::clone));
    take(check_name(&draft.name));
    take(check_contact_email(&draft.contact_email));
    let place = place(&draft, refs);
    take(place.as_ref().map(|_| ()).map_err(Clone::clone));
    let modes = modes(&draft);
    take(modes.as_ref().map(|_| ()).map_err(Clone::clone));
    let associates = associates::all_from_drafts(
        draft.associates.as_deref().unwrap_or_default(),
        "associates",
        refs,
    );
    take(associates.as_ref().map(|_| ()).map_err(Clone::clone));
    let groups = group_assignments(
        draft
            .customer_group_assignments
            .as_deref()
            .unwrap_or_default(),
        refs,
    );
    take(groups.as_ref().map(|_| ()).map_err(Clone::clone));
    let custom = match &draft.custom {
        Some(custom) => refs
            .custom_fields(custom, "custom", "business-unit")
            .map_err(|e| errors.extend(e))
            .ok(),
        None => None,
    };
    let (Ok(key), Ok((parent_unit, top)), Ok(modes), Ok(associates), Ok(groups), true) =
        (key, place, modes, associates, groups, errors.is_empty())
    else {
        return Err(Rejection(errors));
    };
    let (store_mode, stores, associate_mode, approval_rule_mode) = modes;
    let mut unit = BusinessUnit {
        meta: Meta::new(new_uuid(rng), &iso_millis(now_ms), by),
        top_level_unit: top.unwrap_or_else(|| KeyReference::unit(key.as_str())),
        key,
        status: draft.status.unwrap_or(Status::Active),
        stores,
        store_mode,
        unit_type: draft.unit_type,
        name: draft.name.clone(),
        contact_email: draft.contact_email.clone(),
        custom,
        customer_group_assignments: groups,
        addresses: Vec::new(),
        shipping_address_ids: Vec::new(),
        billing_address_ids: Vec::new(),
        default_shipping_address_id: None,
        default_billing_address_id: None,
        associate_mode,
        associates,
        parent_unit,
        approval_rule_mode,
    };
    add_addresses(&mut unit, &draft, refs, rng)?;
    limits::check_resource(&unit)?;
    Ok(unit)
}

/// The draft's addresses (with fresh ids) and their roles by index.
fn add_addresses(
    unit: &mut BusinessUnit,
    draft: &BusinessUnitDraft,
    refs: &Referenced,
    rng: &mut dyn Random,
) -> ApiResult<()> {
    let drafts = draft.addresses.as_deref().unwrap_or_default();
    if drafts.len() > MAX_ADDRESSES {
        return Err(ApiError::InvalidInput {
            message: format!("A business unit has at most {MAX_ADDRESSES} addresses."),
        }
        .into());
    }
    let mut ids = Vec::new();
    for (i, address) in drafts.iter().enumerate() {
        let address = unit.checked_address(address, (&format!("addresses[{i}]"), None), refs)?;
        ids.push(unit.push_address(address, rng).id.unwrap_or_default());
    }
    let id_at = |field: &str, index: usize| {
        ids.get(index)
            .cloned()
            .ok_or_else(|| ApiError::InvalidField {
                field: field.into(),
                invalid_value: index.into(),
                message: Some(format!(
                    "{field}: the index {index} is out of range: the draft has {} addresses.",
                    ids.len()
                )),
            })
    };
    for (field, indexes, list) in [
        (
            "shippingAddresses",
            &draft.shipping_addresses,
            &mut unit.shipping_address_ids,
        ),
        (
            "billingAddresses",
            &draft.billing_addresses,
            &mut unit.billing_address_ids,
        ),
    ] {
        for index in indexes.iter().flatten() {
            let id = id_at(field, *index)?;
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }
    for (field, index, list, default) in [
        (
            "defaultShippingAddress",
            draft.default_shipping_address,
            &mut unit.shipping_address_ids,
            &mut unit.default_shipping_address_id,
        ),
        (
            "defaultBillingAddress",
            draft.default_billing_address,
            &mut unit.billing_address_ids,
            &mut unit.default_billing_address_id,
        ),
    ] {
        if let Some(index) = index {
            let id = id_at(field, index)?;
            if !list.contains(&id) {
                list.push(id.clone());
            }
            *default = Some(id);
        }
    }
    Ok(())
}
