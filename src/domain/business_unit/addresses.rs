//! A business unit's address book: `addAddress`, `changeAddress`, `removeAddress`,
//! `add/removeShippingAddressId`, `add/removeBillingAddressId`, `setDefaultShipping/BillingAddress`,
//! `setAddressCustomType`, `setAddressCustomField`, and the draft's addresses.
//!
//! Address actions name an address by `addressId` or `addressKey` (exactly one; an unknown
//! address or a missing or double selector → 400 `InvalidInput`, as for customers). Address
//! keys are unique within the unit. A default address is also one of its role's addresses;
//! removing an id from a role unsets the matching default; removing an address removes it
//! from every role and default.

use super::actions::Payload;
use super::BusinessUnit;
use crate::domain::custom_actions::{self, CustomChange};
use crate::domain::customer::draft::{address_from_draft, duplicate_address_key, AddressDraft};
use crate::domain::customer::Address;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::{new_address_id, Random};
use crate::domain::references::Referenced;
use crate::domain::refs::ResourceIdentifier;
use crate::domain::resource::Effect;
use serde_json::{Map, Value};

/// Which address-role list an action works on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    Shipping,
    Billing,
}

/// `addressId` / `addressKey` of an action.
pub type Selector<'a> = (&'a Option<String>, &'a Option<String>);

fn invalid(message: String) -> ApiError {
    ApiError::InvalidInput { message }
}

impl BusinessUnit {
    /// The index of the address the selector names.
    fn find_address(&self, (id, key): Selector) -> ApiResult<usize> {
        let found = match (id, key) {
            (Some(_), Some(_)) => {
                Err("Either addressId or addressKey must be given, not both.".into())
            }
            (None, None) => Err("Either addressId or addressKey is required.".into()),
            (Some(id), None) => self
                .addresses
                .iter()
                .position(|a| a.id.as_ref() == Some(id))
                .ok_or_else(|| format!("The business unit has no address with ID '{id}'.")),
            (None, Some(key)) => self
                .addresses
                .iter()
                .position(|a| a.key.as_ref() == Some(key))
                .ok_or_else(|| format!("The business unit has no address with key '{key}'.")),
        };
        found.map_err(|message| invalid(message).into())
    }

    fn address_id(&self, index: usize) -> String {
        self.addresses[index].id.clone().unwrap_or_default()
    }

    /// `Shipping` / `Billing`, as far as the address plays those roles.
    fn address_roles(&self, id: &str) -> Vec<&'static str> {
        let mut roles = Vec::new();
        if self.shipping_address_ids.iter().any(|a| a == id) {
            roles.push("Shipping");
        }
        if self.billing_address_ids.iter().any(|a| a == id) {
            roles.push("Billing");
        }
        roles
    }

    /// An address draft checked (at `path`) against the unit's other addresses (key unique).
    pub(super) fn checked_address(
        &self,
        draft: &AddressDraft,
        (path, except): (&str, Option<usize>),
        refs: &Referenced,
    ) -> ApiResult<Address> {
        let address = address_from_draft(draft, path, refs).map_err(Rejection)?;
        if let Some(key) = &address.key {
            let taken = self
                .addresses
                .iter()
                .enumerate()
                .any(|(i, a)| Some(i) != except && a.key.as_ref() == Some(key));
            if taken {
                return Err(duplicate_address_key(key).into());
            }
        }
        if except.is_none() && self.addresses.len() >= super::MAX_ADDRESSES {
            return Err(invalid(format!(
                "A business unit has at most {} addresses.",
                super::MAX_ADDRESSES
            ))
            .into());
        }
        Ok(address)
    }

    /// Adds a checked address with a fresh id; returns it.
    pub(super) fn push_address(&mut self, mut address: Address, rng: &mut dyn Random) -> Address {
        address.id = Some(loop {
            let id = new_address_id(rng);
            if !self.addresses.iter().any(|a| a.id.as_ref() == Some(&id)) {
                break id;
            }
        });
        self.addresses.push(address.clone());
        address
    }

    pub(super) fn add_address(
        &mut self,
        draft: &AddressDraft,
        refs: &Referenced,
        rng: &mut dyn Random,
    ) -> ApiResult<Effect<Payload>> {
        let address = self.checked_address(draft, ("address", None), refs)?;
        let address = self.push_address(address, rng);
        Ok(Effect::Changed(vec![Payload::BusinessUnitAddressAdded {
            address,
        }]))
    }

    pub(super) fn change_address(
        &mut self,
        selector: Selector,
        draft: &AddressDraft,
        refs: &Referenced,
    ) -> ApiResult<Effect<Payload>> {
        let index = self.find_address(selector)?;
        let mut address = self.checked_address(draft, ("address", Some(index)), refs)?;
        address.id = self.addresses[index].id.clone();
        if self.addresses[index] == address {
            return Ok(Effect::Unchanged);
        }
        self.addresses[index] = address.clone();
        let address_roles = self.address_roles(address.id.as_deref().unwrap_or_default());
        Ok(Effect::Changed(vec![Payload::BusinessUnitAddressChanged {
            address,
            address_roles,
        }]))
    }

    pub(super) fn remove_address(&mut self, selector: Selector) -> ApiResult<Effect<Payload>> {
        let index = self.find_address(selector)?;
        let id = self.address_id(index);
        let address_roles = self.address_roles(&id);
        let address = self.addresses.remove(index);
        self.shipping_address_ids.retain(|a| *a != id);
        self.billing_address_ids.retain(|a| *a != id);
        for default in [
            &mut self.default_shipping_address_id,
            &mut self.default_billing_address_id,
        ] {
            if default.as_ref() == Some(&id) {
                *default = None;
            }
        }
        Ok(Effect::Changed(vec![Payload::BusinessUnitAddressRemoved {
            address,
            address_roles,
        }]))
    }

    fn role_ids(&mut self, role: Role) -> (&mut Vec<String>, &mut Option<String>) {
        match role {
            Role::Shipping => (
                &mut self.shipping_address_ids,
                &mut self.default_shipping_address_id,
            ),
            Role::Billing => (
                &mut self.billing_address_ids,
                &mut self.default_billing_address_id,
            ),
        }
    }

    /// `addShippingAddressId` / `addBillingAddressId`.
    pub(super) fn add_role(
        &mut self,
        selector: Selector,
        role: Role,
    ) -> ApiResult<Effect<Payload>> {
        let index = self.find_address(selector)?;
        let id = self.address_id(index);
        let (ids, _) = self.role_ids(role);
        if ids.contains(&id) {
            return Ok(Effect::Unchanged);
        }
        ids.push(id);
        let address = self.addresses[index].clone();
        Ok(Effect::Changed(vec![match role {
            Role::Shipping => Payload::BusinessUnitShippingAddressAdded { address },
            Role::Billing => Payload::BusinessUnitBillingAddressAdded { address },
        }]))
    }

    /// `removeShippingAddressId` / `removeBillingAddressId` (unsets the default if it was it).
    pub(super) fn remove_role(
        &mut self,
        selector: Selector,
        role: Role,
    ) -> ApiResult<Effect<Payload>> {
        let index = self.find_address(selector)?;
        let id = self.address_id(index);
        let (ids, default) = self.role_ids(role);
        if !ids.contains(&id) {
            return Ok(Effect::Unchanged);
        }
        ids.retain(|a| *a != id);
        if default.as_ref() == Some(&id) {
            *default = None;
        }
        let address = self.addresses[index].clone();
        Ok(Effect::Changed(vec![match role {
            Role::Shipping => Payload::BusinessUnitShippingAddressRemoved { address },
            Role::Billing => Payload::BusinessUnitBillingAddressRemoved { address },
        }]))
    }

    /// `setDefaultShippingAddress` / `setDefaultBillingAddress`: an address (also added to the
    /// role's list) or, with neither selector, none.
    pub(super) fn set_default(
        &mut self,
        selector: Selector,
        role: Role,
    ) -> ApiResult<Effect<Payload>> {
        let address = match selector {
            (None, None) => None,
            selector => Some(self.find_address(selector)?),
        };
        let id = address.map(|i| self.address_id(i));
        let (ids, default) = self.role_ids(role);
        if *default == id {
            return Ok(Effect::Unchanged);
        }
        default.clone_from(&id);
        if let Some(id) = id {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let address = address.map(|i| self.addresses[i].clone());
        Ok(Effect::Changed(vec![match role {
            Role::Shipping => Payload::BusinessUnitDefaultShippingAddressSet { address },
            Role::Billing => Payload::BusinessUnitDefaultBillingAddressSet { address },
        }]))
    }

    /// `setAddressCustomType`.
    pub(super) fn set_address_custom_type(
        &mut self,
        address_id: &str,
        custom: (&Option<ResourceIdentifier>, &Option<Map<String, Value>>),
        refs: &Referenced,
    ) -> ApiResult<Effect<Payload>> {
        let index = self.find_address((&Some(address_id.to_string()), &None))?;
        let change = custom_actions::set_type(
            &mut self.addresses[index].custom,
            custom,
            ("address.custom", "address"),
            refs,
        )?;
        Ok(address_effect(change, address_id))
    }

    /// `setAddressCustomField`.
    pub(super) fn set_address_custom_field(
        &mut self,
        address_id: &str,
        field: (&str, &Option<Value>),
        refs: &Referenced,
    ) -> ApiResult<Effect<Payload>> {
        let index = self.find_address((&Some(address_id.to_string()), &None))?;
        let change = custom_actions::set_field(
            &mut self.addresses[index].custom,
            field,
            "address.custom",
            refs,
        )?;
        Ok(address_effect(change, address_id))
    }
}

/// The message of a change to an address's custom fields.
fn address_effect(change: Option<CustomChange>, address_id: &str) -> Effect<Payload> {
    let address_id = Some(address_id.to_string());
    let Some(change) = change else {
        return Effect::Unchanged;
    };
    Effect::Changed(vec![match change {
        CustomChange::TypeSet {
            custom_fields,
            old_type_id,
        } => Payload::BusinessUnitAddressCustomTypeSet {
            custom_fields,
            old_type_id,
            address_id,
        },
        CustomChange::TypeRemoved { old_type_id } => {
            Payload::BusinessUnitAddressCustomTypeRemoved {
                old_type_id,
                address_id,
            }
        }
        CustomChange::FieldAdded { name, value } => Payload::BusinessUnitAddressCustomFieldAdded {
            name,
            value,
            address_id,
        },
        CustomChange::FieldChanged {
            name,
            value,
            old_value,
        } => Payload::BusinessUnitAddressCustomFieldChanged {
            name,
            value,
            old_value: Some(old_value),
            address_id,
        },
        CustomChange::FieldRemoved { name } => {
            Payload::BusinessUnitAddressCustomFieldRemoved { name, address_id }
        }
    }])
}
