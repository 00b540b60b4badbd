//! The update actions of a business unit and their messages: all 31 of commercetools' (see
//! [`BusinessUnitAction`]).
//!
//! `changeParentUnit` moves a Division and its subtree under another unit (not below itself,
//! and the tree stays within [`super::MAX_DEPTH`] levels), `setUnitType` turns a Division into
//! the Company of its subtree or a Company into a Division below another unit; if the
//! top-level unit changes, the store moves the whole subtree's `topLevelUnit` in the same batch.
//!
//! Rules: only Divisions may take `FromParent` / `ExplicitAndFromParent` modes; stores are
//! set only in `Explicit` store mode, and switching to `FromParent` empties them; an
//! associate's customer and roles must exist; a customer is an associate once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::addresses::Role;
use super::associates::{self, duplicate_associate, AssociateDraft};
use super::draft::{self, group_assignment, stores_from};
use super::{Associate, BusinessUnit, InheritMode, KeyReference, Status, StoreMode, UnitType};
use crate::domain::custom_actions::{self, CustomChange};
use crate::domain::customer::draft::{AddressDraft, CustomerGroupAssignmentDraft};
use crate::domain::customer::{Address, CustomerGroupAssignment};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::json;
use crate::domain::limits;
use crate::domain::references::{ActionContext, Referenced, Wanted};
use crate::domain::refs::{CustomFields, ResourceIdentifier, StoreKeyReference};
use crate::domain::resource::{Effect, Updatable};

/// One update action of a business unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum BusinessUnitAction {
    ChangeName {
        name: String,
    },
    SetContactEmail {
        #[serde(default)]
        contact_email: Option<String>,
    },
    ChangeStatus {
        status: Status,
    },
    SetStoreMode {
        store_mode: StoreMode,
        #[serde(default)]
        stores: Option<Vec<ResourceIdentifier>>,
    },
    SetStores {
        #[serde(default)]
        stores: Option<Vec<ResourceIdentifier>>,
    },
    AddStore {
        store: ResourceIdentifier,
    },
    RemoveStore {
        store: ResourceIdentifier,
    },
    ChangeAssociateMode {
        associate_mode: InheritMode,
        #[serde(default)]
        make_inherited_associates_explicit: Option<bool>,
    },
    ChangeApprovalRuleMode {
        approval_rule_mode: InheritMode,
    },
    AddAssociate {
        associate: AssociateDraft,
    },
    ChangeAssociate {
        associate: AssociateDraft,
    },
    RemoveAssociate {
        customer: ResourceIdentifier,
    },
    SetAssociates {
        #[serde(default)]
        associates: Option<Vec<AssociateDraft>>,
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
    AddCustomerGroupAssignment {
        customer_group_assignment: CustomerGroupAssignmentDraft,
    },
    RemoveCustomerGroupAssignment {
        customer_group: ResourceIdentifier,
    },
    SetCustomerGroupAssignments {
        #[serde(default)]
        customer_group_assignments: Option<Vec<CustomerGroupAssignmentDraft>>,
    },
    AddAddress {
        address: AddressDraft,
    },
    ChangeAddress {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
        address: AddressDraft,
    },
    RemoveAddress {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    AddShippingAddressId {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    RemoveShippingAddressId {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    AddBillingAddressId {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    RemoveBillingAddressId {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    SetDefaultShippingAddress {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    SetDefaultBillingAddress {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    SetAddressCustomType {
        address_id: String,
        #[serde(default, rename = "type")]
        type_identifier: Option<ResourceIdentifier>,
        #[serde(default)]
        fields: Option<Map<String, Value>>,
    },
    SetAddressCustomField {
        address_id: String,
        name: String,
        #[serde(default)]
        value: Option<Value>,
    },
    ChangeParentUnit {
        parent_unit: ResourceIdentifier,
    },
    SetUnitType {
        unit_type: UnitType,
        #[serde(default)]
        parent_unit: Option<ResourceIdentifier>,
    },
}

/// The business unit's messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Payload {
    BusinessUnitCreated {
        business_unit: Box<BusinessUnit>,
    },
    BusinessUnitDeleted {},
    BusinessUnitParentChanged {
        #[serde(skip_serializing_if = "Option::is_none")]
        old_parent_unit: Option<KeyReference>,
        #[serde(skip_serializing_if = "Option::is_none")]
        new_parent_unit: Option<KeyReference>,
    },
    BusinessUnitTypeSet {
        unit_type: UnitType,
        old_unit_type: UnitType,
        #[serde(skip_serializing_if = "Option::is_none")]
        parent_unit: Option<KeyReference>,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_parent_unit: Option<KeyReference>,
    },
    BusinessUnitTopLevelUnitSet {
        top_level_unit: KeyReference,
        old_top_level_unit: KeyReference,
    },
    BusinessUnitNameChanged {
        name: String,
    },
    BusinessUnitContactEmailSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        contact_email: Option<String>,
    },
    BusinessUnitStatusChanged {
        active: Status,
    },
    BusinessUnitStoreModeChanged {
        store_mode: StoreMode,
        stores: Vec<StoreKeyReference>,
        old_store_mode: StoreMode,
        old_stores: Vec<StoreKeyReference>,
    },
    BusinessUnitStoresSet {
        stores: Vec<StoreKeyReference>,
    },
    BusinessUnitStoreAdded {
        store: StoreKeyReference,
    },
    BusinessUnitStoreRemoved {
        store: StoreKeyReference,
    },
    BusinessUnitAssociateModeChanged {
        associate_mode: InheritMode,
        old_associate_mode: InheritMode,
    },
    BusinessUnitApprovalRuleModeChanged {
        approval_rule_mode: InheritMode,
        old_approval_rule_mode: InheritMode,
    },
    BusinessUnitAssociateAdded {
        associate: Associate,
    },
    BusinessUnitAssociateChanged {
        associate: Associate,
    },
    BusinessUnitAssociateRemoved {
        associate: Associate,
    },
    BusinessUnitAssociatesSet {
        associates: Vec<Associate>,
    },
    BusinessUnitCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
    },
    BusinessUnitCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
    },
    BusinessUnitCustomFieldAdded {
        name: String,
        value: Value,
    },
    BusinessUnitCustomFieldChanged {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_value: Option<Value>,
    },
    BusinessUnitCustomFieldRemoved {
        name: String,
    },
    BusinessUnitCustomerGroupAssignmentAdded {
        customer_group_assignment: CustomerGroupAssignment,
    },
    BusinessUnitCustomerGroupAssignmentRemoved {
        customer_group_assignment: CustomerGroupAssignment,
    },
    BusinessUnitCustomerGroupAssignmentsSet {
        customer_group_assignments: Vec<CustomerGroupAssignment>,
        old_customer_group_assignments: Vec<CustomerGroupAssignment>,
    },
    BusinessUnitAddressAdded {
        address: Address,
    },
    BusinessUnitAddressChanged {
        address: Address,
        address_roles: Vec<&'static str>,
    },
    BusinessUnitAddressRemoved {
        address: Address,
        address_roles: Vec<&'static str>,
    },
    BusinessUnitShippingAddressAdded {
        address: Address,
    },
    BusinessUnitShippingAddressRemoved {
        address: Address,
    },
    BusinessUnitBillingAddressAdded {
        address: Address,
    },
    BusinessUnitBillingAddressRemoved {
        address: Address,
    },
    BusinessUnitDefaultShippingAddressSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
    },
    BusinessUnitDefaultBillingAddressSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
    },
    BusinessUnitAddressCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        address_id: Option<String>,
    },
    BusinessUnitAddressCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        old_type_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        address_id: Option<String>,
    },
    BusinessUnitAddressCustomFieldAdded {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        address_id: Option<String>,
    },
    BusinessUnitAddressCustomFieldChanged {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        old_value: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        address_id: Option<String>,
    },
    BusinessUnitAddressCustomFieldRemoved {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        address_id: Option<String>,
    },
}

impl Updatable for BusinessUnit {
    type Resource = BusinessUnit;
    type Action = BusinessUnitAction;
    type Payload = Payload;

    fn resource(&self) -> &BusinessUnit {
        self
    }

    fn resource_mut(&mut self) -> &mut BusinessUnit {
        self
    }

    fn wants(&self, action: &BusinessUnitAction, wanted: &mut Wanted) {
        use BusinessUnitAction as A;
        match action {
            A::AddAssociate { associate } | A::ChangeAssociate { associate } => {
                associates::want(std::slice::from_ref(associate), wanted)
            }
            A::SetAssociates {
                associates: Some(list),
            } => associates::want(list, wanted),
            A::SetCustomType {
                type_identifier: Some(t),
                ..
            }
            | A::SetAddressCustomType {
                type_identifier: Some(t),
                ..
            } => wanted.custom_type(t),
            A::SetCustomField { .. } => wanted.custom_of(&self.custom),
            A::SetAddressCustomField { address_id, .. } => {
                let address = self
                    .addresses
                    .iter()
                    .find(|a| a.id.as_ref() == Some(address_id));
                wanted.custom_of(&address.and_then(|a| a.custom.clone()));
            }
            A::AddAddress { address } | A::ChangeAddress { address, .. } => {
                if let Some(custom) = &address.custom {
                    wanted.custom_type(&(&custom.type_ref).into());
                }
            }
            A::AddCustomerGroupAssignment {
                customer_group_assignment: a,
            } => wanted.group(&a.customer_group),
            A::RemoveCustomerGroupAssignment { customer_group } => wanted.group(customer_group),
            A::ChangeParentUnit { parent_unit } => {
                wanted.unit(parent_unit);
                wanted.subtree(self.key.as_str());
            }
            A::SetUnitType {
                parent_unit: Some(parent_unit),
                ..
            } => {
                wanted.unit(parent_unit);
                wanted.subtree(self.key.as_str());
            }
            A::SetCustomerGroupAssignments {
                customer_group_assignments: Some(list),
            } => list.iter().for_each(|a| wanted.group(&a.customer_group)),
            _ => {}
        }
    }

    fn apply(
        &mut self,
        action: &BusinessUnitAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Payload>> {
        use BusinessUnitAction as A;
        match action {
            A::ChangeName { .. }
            | A::SetContactEmail { .. }
            | A::ChangeStatus { .. }
            | A::ChangeAssociateMode { .. }
            | A::ChangeApprovalRuleMode { .. } => self.apply_detail(action),
            A::SetStoreMode { .. }
            | A::SetStores { .. }
            | A::AddStore { .. }
            | A::RemoveStore { .. } => self.apply_store(action),
            A::AddAssociate { .. }
            | A::ChangeAssociate { .. }
            | A::RemoveAssociate { .. }
            | A::SetAssociates { .. } => self.apply_associate(action, ctx),
            A::SetCustomType { .. }
            | A::SetCustomField { .. }
            | A::AddCustomerGroupAssignment { .. }
            | A::RemoveCustomerGroupAssignment { .. }
            | A::SetCustomerGroupAssignments { .. } => self.apply_custom(action, ctx),
            A::ChangeParentUnit { parent_unit } => self.change_parent(parent_unit, ctx.refs),
            A::SetUnitType {
                unit_type,
                parent_unit,
            } => self.set_unit_type(*unit_type, parent_unit, ctx.refs),
            _ => self.apply_address(action, ctx),
        }
    }

    fn finish(&mut self, _before: &BusinessUnit, _now_ms: i64) -> ApiResult<()> {
        Ok(limits::check_resource(self)?)
    }
}

fn division_only(what: &str) -> ApiError {
    ApiError::InvalidOperation {
        message: format!("Only a Division can have {what}; a Company is always Explicit."),
    }
}

impl BusinessUnit {
    /// Name, contact email, status and the associate and approval-rule modes.
    fn apply_detail(&mut self, action: &BusinessUnitAction) -> ApiResult<Effect<Payload>> {
        use BusinessUnitAction as A;
        Ok(match action {
            A::ChangeName { name } => {
                draft::check_name(name)?;
                let changed = self.name != *name;
                self.name.clone_from(name);
                Effect::with(changed, || Payload::BusinessUnitNameChanged {
                    name: name.clone(),
                })
            }
            A::SetContactEmail { contact_email } => {
                draft::check_contact_email(contact_email)?;
                let changed = self.contact_email != *contact_email;
                self.contact_email.clone_from(contact_email);
                Effect::with(changed, || Payload::BusinessUnitContactEmailSet {
                    contact_email: contact_email.clone(),
                })
            }
            A::ChangeStatus { status } => {
                let changed = self.status != *status;
                self.status = *status;
                Effect::with(changed, || Payload::BusinessUnitStatusChanged {
                    active: *status,
                })
            }
            A::ChangeAssociateMode {
                associate_mode,
                make_inherited_associates_explicit,
            } => {
                self.change_associate_mode(*associate_mode, *make_inherited_associates_explicit)?
            }
            A::ChangeApprovalRuleMode { approval_rule_mode } => {
                self.check_mode(
                    *approval_rule_mode,
                    "approvalRuleMode ExplicitAndFromParent",
                )?;
                let old = self.approval_rule_mode;
                self.approval_rule_mode = *approval_rule_mode;
                Effect::with(old != *approval_rule_mode, || {
                    Payload::BusinessUnitApprovalRuleModeChanged {
                        approval_rule_mode: *approval_rule_mode,
                        old_approval_rule_mode: old,
                    }
                })
            }
            _ => Effect::Unchanged,
        })
    }

    /// `changeParentUnit`: messages `BusinessUnitParentChanged`, and
    /// `BusinessUnitTopLevelUnitSet` if the top-level unit changes.
    fn change_parent(
        &mut self,
        identifier: &ResourceIdentifier,
        refs: &Referenced,
    ) -> ApiResult<Effect<Payload>> {
        if self.unit_type == UnitType::Company {
            return Err(ApiError::InvalidOperation {
                message: "A Company is a top-level unit: it has no parent unit to change.".into(),
            }
            .into());
        }
        let parent = self.new_parent(identifier, refs)?;
        let new_parent = KeyReference::unit(parent.key.as_str());
        if self.parent_unit.as_ref() == Some(&new_parent) {
            return Ok(Effect::Unchanged);
        }
        let old_parent_unit = self.parent_unit.replace(new_parent.clone());
        let mut payloads = vec![Payload::BusinessUnitParentChanged {
            old_parent_unit,
            new_parent_unit: Some(new_parent),
        }];
        if parent.top_level_unit != self.top_level_unit {
            let old_top_level_unit =
                std::mem::replace(&mut self.top_level_unit, parent.top_level_unit.clone());
            payloads.push(Payload::BusinessUnitTopLevelUnitSet {
                top_level_unit: self.top_level_unit.clone(),
                old_top_level_unit,
            });
        }
        Ok(Effect::Changed(payloads))
    }

    /// The parent a unit may move below: it exists, is not the unit or below it, and the tree
    /// stays within five levels.
    fn new_parent<'r>(
        &self,
        identifier: &ResourceIdentifier,
        refs: &'r Referenced,
    ) -> ApiResult<&'r BusinessUnit> {
        let parent = refs.unit(identifier, "parentUnit")?;
        let own_key = self.key.as_str();
        if parent.key.as_str() == own_key
            || draft::ancestor_keys(parent, refs).contains(&own_key.to_string())
        {
            return Err(ApiError::InvalidInput {
                message: format!(
                    "The business unit '{own_key}' cannot be moved below '{}': it would become its own ancestor.",
                    parent.key.as_str()
                ),
            }
            .into());
        }
        let levels = draft::levels_above(parent, refs) + 2 + refs.subtree_height(own_key);
        if levels > super::MAX_DEPTH {
            return Err(ApiError::InvalidInput {
                message: format!(
                    "A business-unit tree has at most {} levels; moving '{own_key}' below '{}' would make {levels}.",
                    super::MAX_DEPTH,
                    parent.key.as_str()
                ),
            }
            .into());
        }
        Ok(parent)
    }

    /// `setUnitType`: a Division becomes a Company (all modes must be `Explicit`; it leaves its
    /// parent and heads its subtree) or a Company becomes a Division below `parentUnit`.
    /// Messages `BusinessUnitTypeSet` and `BusinessUnitTopLevelUnitSet`.
    fn set_unit_type(
        &mut self,
        unit_type: UnitType,
        parent: &Option<ResourceIdentifier>,
        refs: &Referenced,
    ) -> ApiResult<Effect<Payload>> {
        let old_unit_type = self.unit_type;
        let old_parent_unit = self.parent_unit.clone();
        let new_top = match (unit_type, parent) {
            (UnitType::Company, Some(_)) => {
                return Err(ApiError::InvalidInput {
                    message: "A Company is a top-level unit: it cannot have a parentUnit.".into(),
                }
                .into())
            }
            (UnitType::Company, None) if old_unit_type == UnitType::Company => {
                return Ok(Effect::Unchanged)
            }
            (UnitType::Company, None) => {
                self.check_may_head_a_tree()?;
                self.parent_unit = None;
                KeyReference::unit(self.key.as_str())
            }
            (UnitType::Division, None) => {
                return Err(json::invalid_shape("parentUnit", "Missing required value").into())
            }
            (UnitType::Division, Some(_)) if old_unit_type == UnitType::Division => {
                return Err(ApiError::InvalidOperation {
                    message:
                        "The business unit is a Division already: move it with changeParentUnit."
                            .into(),
                }
                .into())
            }
            (UnitType::Division, Some(identifier)) => {
                let parent = self.new_parent(identifier, refs)?;
                self.parent_unit = Some(KeyReference::unit(parent.key.as_str()));
                parent.top_level_unit.clone()
            }
        };
        self.unit_type = unit_type;
        let old_top_level_unit = std::mem::replace(&mut self.top_level_unit, new_top);
        let mut payloads = vec![Payload::BusinessUnitTypeSet {
            unit_type,
            old_unit_type,
            parent_unit: self.parent_unit.clone(),
            old_parent_unit,
        }];
        if old_top_level_unit != self.top_level_unit {
            payloads.push(Payload::BusinessUnitTopLevelUnitSet {
                top_level_unit: self.top_level_unit.clone(),
                old_top_level_unit,
            });
        }
        Ok(Effect::Changed(payloads))
    }

    /// A Company is `Explicit` in every mode.
    fn check_may_head_a_tree(&self) -> Result<(), ApiError> {
        let explicit = self.store_mode == StoreMode::Explicit
            && self.associate_mode == InheritMode::Explicit
            && self.approval_rule_mode == InheritMode::Explicit;
        if explicit {
            return Ok(());
        }
        Err(ApiError::InvalidOperation {
            message: "A Division becomes a Company only with storeMode, associateMode and approvalRuleMode Explicit.".into(),
        })
    }

    fn check_mode(&self, mode: InheritMode, what: &str) -> Result<(), ApiError> {
        if mode == InheritMode::ExplicitAndFromParent && self.unit_type == UnitType::Company {
            return Err(division_only(what));
        }
        Ok(())
    }

    /// `makeInheritedAssociatesExplicit` is accepted; inherited associates are not kept in
    /// the unit (see the README), so there is nothing to copy.
    fn change_associate_mode(
        &mut self,
        mode: InheritMode,
        _make_explicit: Option<bool>,
    ) -> ApiResult<Effect<Payload>> {
        self.check_mode(mode, "associateMode ExplicitAndFromParent")?;
        let old = self.associate_mode;
        self.associate_mode = mode;
        Ok(Effect::with(old != mode, || {
            Payload::BusinessUnitAssociateModeChanged {
                associate_mode: mode,
                old_associate_mode: old,
            }
        }))
    }

    /// The store actions.
    fn apply_store(&mut self, action: &BusinessUnitAction) -> ApiResult<Effect<Payload>> {
        use BusinessUnitAction as A;
        match action {
            A::SetStoreMode { store_mode, stores } => self.set_store_mode(*store_mode, stores),
            A::SetStores { stores } => {
                let new = stores_from(stores.as_deref().unwrap_or_default(), "stores")?;
                let old = self.explicit_stores("setStores")?;
                let same = old.len() == new.len() && new.iter().all(|s| old.contains(s));
                if !same {
                    old.clone_from(&new);
                }
                Ok(Effect::with(!same, || Payload::BusinessUnitStoresSet {
                    stores: new,
                }))
            }
            A::AddStore { store } => {
                let key = StoreKeyReference::new(&store.store_key("store")?);
                let stores = self.explicit_stores("addStore")?;
                let changed = !stores.contains(&key);
                if changed {
                    stores.push(key.clone());
                    draft::check_store_count(stores.len())?;
                }
                Ok(Effect::with(changed, || Payload::BusinessUnitStoreAdded {
                    store: key,
                }))
            }
            A::RemoveStore { store } => {
                let key = StoreKeyReference::new(&store.store_key("store")?);
                let stores = self.explicit_stores("removeStore")?;
                let before = stores.len();
                stores.retain(|s| *s != key);
                let changed = before != stores.len();
                Ok(Effect::with(changed, || {
                    Payload::BusinessUnitStoreRemoved { store: key }
                }))
            }
            _ => Ok(Effect::Unchanged),
        }
    }

    /// The unit's own stores; refused in `FromParent` mode.
    fn explicit_stores(&mut self, action: &str) -> Result<&mut Vec<StoreKeyReference>, ApiError> {
        if self.store_mode != StoreMode::Explicit {
            return Err(ApiError::InvalidOperation {
                message: format!(
                    "'{action}' needs storeMode Explicit; this business unit takes its stores from its parent."
                ),
            });
        }
        Ok(self.stores.get_or_insert_with(Vec::new))
    }

    fn set_store_mode(
        &mut self,
        mode: StoreMode,
        stores: &Option<Vec<ResourceIdentifier>>,
    ) -> ApiResult<Effect<Payload>> {
        if mode == StoreMode::FromParent && self.unit_type == UnitType::Company {
            return Err(division_only("storeMode FromParent").into());
        }
        if mode == StoreMode::FromParent && stores.as_ref().is_some_and(|s| !s.is_empty()) {
            return Err(ApiError::InvalidInput {
                message: "stores can be given only with storeMode Explicit.".into(),
            }
            .into());
        }
        let new = match mode {
            StoreMode::Explicit => Some(stores_from(
                stores.as_deref().unwrap_or_default(),
                "stores",
            )?),
            StoreMode::FromParent => None,
        };
        let old_stores = self.store_keys_refs();
        let old_store_mode = self.store_mode;
        if old_store_mode == mode && self.stores == new {
            return Ok(Effect::Unchanged);
        }
        self.store_mode = mode;
        self.stores = new;
        Ok(Effect::Changed(vec![
            Payload::BusinessUnitStoreModeChanged {
                store_mode: mode,
                stores: self.store_keys_refs(),
                old_store_mode,
                old_stores,
            },
        ]))
    }

    fn store_keys_refs(&self) -> Vec<StoreKeyReference> {
        self.stores.clone().unwrap_or_default()
    }

    /// The associate actions.
    fn apply_associate(
        &mut self,
        action: &BusinessUnitAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Payload>> {
        use BusinessUnitAction as A;
        let refs = ctx.refs;
        match action {
            A::AddAssociate { associate } => {
                let associate = associates::from_draft(associate, "associate", refs)?;
                if self.associate(associate.customer_id()).is_some() {
                    return Err(duplicate_associate(associate.customer_id()).into());
                }
                if self.associates.len() >= super::MAX_ASSOCIATES {
                    return Err(ApiError::InvalidInput {
                        message: format!(
                            "A business unit has at most {} associates.",
                            super::MAX_ASSOCIATES
                        ),
                    }
                    .into());
                }
                self.associates.push(associate.clone());
                Ok(Effect::Changed(vec![Payload::BusinessUnitAssociateAdded {
                    associate,
                }]))
            }
            A::ChangeAssociate { associate } => {
                let associate = associates::from_draft(associate, "associate", refs)?;
                let index = self.associate_index(associate.customer_id())?;
                let changed = self.associates[index] != associate;
                self.associates[index] = associate.clone();
                Ok(Effect::with(changed, || {
                    Payload::BusinessUnitAssociateChanged { associate }
                }))
            }
            A::RemoveAssociate { customer } => {
                customer.resolve("customer", "customer")?;
                let index = match (&customer.id, &customer.key) {
                    (Some(id), _) => self.associate_index(id)?,
                    _ => {
                        let found = refs.customer(customer, "customer")?;
                        self.associate_index(found.id.as_deref().unwrap_or_default())?
                    }
                };
                let associate = self.associates.remove(index);
                Ok(Effect::Changed(vec![
                    Payload::BusinessUnitAssociateRemoved { associate },
                ]))
            }
            A::SetAssociates { associates: list } => {
                let new = associates::all_from_drafts(
                    list.as_deref().unwrap_or_default(),
                    "associates",
                    refs,
                )?;
                let changed = self.associates != new;
                self.associates.clone_from(&new);
                Ok(Effect::with(changed, || {
                    Payload::BusinessUnitAssociatesSet { associates: new }
                }))
            }
            _ => Ok(Effect::Unchanged),
        }
    }

    fn associate_index(&self, customer_id: &str) -> Result<usize, ApiError> {
        self.associates
            .iter()
            .position(|a| a.customer_id() == customer_id)
            .ok_or_else(|| ApiError::InvalidOperation {
                message: format!(
                    "The customer '{customer_id}' is not an associate of the business unit."
                ),
            })
    }

    /// Custom fields and customer-group assignments.
    fn apply_custom(
        &mut self,
        action: &BusinessUnitAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Payload>> {
        use BusinessUnitAction as A;
        let refs = ctx.refs;
        match action {
            A::SetCustomType {
                type_identifier,
                fields,
            } => {
                let change = custom_actions::set_type(
                    &mut self.custom,
                    (type_identifier, fields),
                    ("custom", "business-unit"),
                    refs,
                )?;
                Ok(custom_effect(change))
            }
            A::SetCustomField { name, value } => {
                let change =
                    custom_actions::set_field(&mut self.custom, (name, value), "custom", refs)?;
                Ok(custom_effect(change))
            }
            A::AddCustomerGroupAssignment {
                customer_group_assignment,
            } => {
                let assignment =
                    group_assignment(customer_group_assignment, "customerGroupAssignment", refs)?;
                if self.customer_group_assignments.contains(&assignment) {
                    return Ok(Effect::Unchanged);
                }
                self.customer_group_assignments.push(assignment.clone());
                draft::check_group_count(self.customer_group_assignments.len())?;
                Ok(Effect::Changed(vec![
                    Payload::BusinessUnitCustomerGroupAssignmentAdded {
                        customer_group_assignment: assignment,
                    },
                ]))
            }
            A::RemoveCustomerGroupAssignment { customer_group } => {
                let group = refs.group(customer_group, "customerGroup")?;
                let Some(index) = self
                    .customer_group_assignments
                    .iter()
                    .position(|a| a.customer_group == group)
                else {
                    return Ok(Effect::Unchanged);
                };
                let removed = self.customer_group_assignments.remove(index);
                Ok(Effect::Changed(vec![
                    Payload::BusinessUnitCustomerGroupAssignmentRemoved {
                        customer_group_assignment: removed,
                    },
                ]))
            }
            A::SetCustomerGroupAssignments {
                customer_group_assignments,
            } => {
                let new = draft::group_assignments(
                    customer_group_assignments.as_deref().unwrap_or_default(),
                    refs,
                )?;
                let old = std::mem::replace(&mut self.customer_group_assignments, new.clone());
                Ok(Effect::with(old != new, || {
                    Payload::BusinessUnitCustomerGroupAssignmentsSet {
                        customer_group_assignments: new,
                        old_customer_group_assignments: old,
                    }
                }))
            }
            _ => Ok(Effect::Unchanged),
        }
    }

    /// The address actions.
    fn apply_address(
        &mut self,
        action: &BusinessUnitAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<Effect<Payload>> {
        use BusinessUnitAction as A;
        let refs = ctx.refs;
        match action {
            A::AddAddress { address } => self.add_address(address, refs, ctx.rng),
            A::ChangeAddress {
                address_id,
                address_key,
                address,
            } => self.change_address((address_id, address_key), address, refs),
            A::RemoveAddress {
                address_id,
                address_key,
            } => self.remove_address((address_id, address_key)),
            A::AddShippingAddressId {
                address_id,
                address_key,
            } => self.add_role((address_id, address_key), Role::Shipping),
            A::RemoveShippingAddressId {
                address_id,
                address_key,
            } => self.remove_role((address_id, address_key), Role::Shipping),
            A::AddBillingAddressId {
                address_id,
                address_key,
            } => self.add_role((address_id, address_key), Role::Billing),
            A::RemoveBillingAddressId {
                address_id,
                address_key,
            } => self.remove_role((address_id, address_key), Role::Billing),
            A::SetDefaultShippingAddress {
                address_id,
                address_key,
            } => self.set_default((address_id, address_key), Role::Shipping),
            A::SetDefaultBillingAddress {
                address_id,
                address_key,
            } => self.set_default((address_id, address_key), Role::Billing),
            A::SetAddressCustomType {
                address_id,
                type_identifier,
                fields,
            } => self.set_address_custom_type(address_id, (type_identifier, fields), refs),
            A::SetAddressCustomField {
                address_id,
                name,
                value,
            } => self.set_address_custom_field(address_id, (name, value), refs),
            _ => Ok(Effect::Unchanged),
        }
    }
}

/// The message of a change to the unit's custom fields.
fn custom_effect(change: Option<CustomChange>) -> Effect<Payload> {
    let Some(change) = change else {
        return Effect::Unchanged;
    };
    Effect::Changed(vec![match change {
        CustomChange::TypeSet {
            custom_fields,
            old_type_id,
        } => Payload::BusinessUnitCustomTypeSet {
            custom_fields,
            old_type_id,
        },
        CustomChange::TypeRemoved { old_type_id } => {
            Payload::BusinessUnitCustomTypeRemoved { old_type_id }
        }
        CustomChange::FieldAdded { name, value } => {
            Payload::BusinessUnitCustomFieldAdded { name, value }
        }
        CustomChange::FieldChanged {
            name,
            value,
            old_value,
        } => Payload::BusinessUnitCustomFieldChanged {
            name,
            value,
            old_value: Some(old_value),
        },
        CustomChange::FieldRemoved { name } => Payload::BusinessUnitCustomFieldRemoved { name },
    }])
}
