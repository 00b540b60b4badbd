//! Addresses and their roles: `addAddress`, `changeAddress`, `removeAddress`,
//! `addShippingAddressId`, `removeShippingAddressId`, `setDefaultShippingAddress`,
//! `addBillingAddressId`, `removeBillingAddressId`, `setDefaultBillingAddress`.
//!
//! Actions on an existing address name it by `addressId` or `addressKey` (exactly one; an
//! unknown address or a missing or double selector → 400 `InvalidInput`). Address keys are
//! unique within the customer. A default address is also one of its role's addresses;
//! removing an id from a role unsets the matching default.

use super::{invalid_input, CustomerEffect, Selector};
use crate::domain::customer::draft::{address_from_draft, duplicate_address_key, AddressDraft};
use crate::domain::customer::messages::Payload;
use crate::domain::customer::{Address, Customer};
use crate::domain::error::{ApiResult, Rejection};
use crate::domain::ids::{new_address_id, Random};
use crate::domain::references::Referenced;
use crate::domain::resource::Effect;

/// `addAddress`: a new address with a fresh id. Message: `CustomerAddressAdded`.
pub fn add_address(
    c: &mut Customer,
    draft: &AddressDraft,
    refs: &Referenced,
    rng: &mut dyn Random,
) -> ApiResult<CustomerEffect> {
    let mut address = checked_address(c, draft, None, refs)?;
    address.id = Some(fresh_address_id(c, rng));
    c.addresses.push(address.clone());
    Ok(Effect::Changed(vec![Payload::CustomerAddressAdded {
        address,
    }]))
}

/// `changeAddress`: replaces the address, keeping its id and roles. Message:
/// `CustomerAddressChanged` with the address's roles.
pub fn change_address(
    c: &mut Customer,
    selector: &Selector,
    draft: &AddressDraft,
    refs: &Referenced,
) -> ApiResult<CustomerEffect> {
    let index = find_address(c, selector)?;
    let mut address = checked_address(c, draft, Some(index), refs)?;
    address.id = c.addresses[index].id.clone();
    if c.addresses[index] == address {
        return Ok(Effect::Unchanged);
    }
    c.addresses[index] = address.clone();
    let address_roles = address_roles(c, address.id.as_deref().unwrap_or_default());
    Ok(Effect::Changed(vec![Payload::CustomerAddressChanged {
        address,
        address_roles,
    }]))
}

/// `removeAddress`: removes the address from the customer, from every role and default.
/// Message: `CustomerAddressRemoved` with the roles it had.
pub fn remove_address(c: &mut Customer, selector: &Selector) -> ApiResult<CustomerEffect> {
    let index = find_address(c, selector)?;
    let id = address_id_of(c, index);
    let address_roles = address_roles(c, &id);
    let address = c.addresses.remove(index);
    c.shipping_address_ids.retain(|a| *a != id);
    c.billing_address_ids.retain(|a| *a != id);
    if c.default_shipping_address_id.as_ref() == Some(&id) {
        c.default_shipping_address_id = None;
    }
    if c.default_billing_address_id.as_ref() == Some(&id) {
        c.default_billing_address_id = None;
    }
    Ok(Effect::Changed(vec![Payload::CustomerAddressRemoved {
        address,
        address_roles,
    }]))
}

/// `addShippingAddressId`. Message: `CustomerShippingAddressAdded`.
pub fn add_shipping_address_id(c: &mut Customer, selector: &Selector) -> ApiResult<CustomerEffect> {
    Ok(add_role(c, find_address(c, selector)?, Role::Shipping))
}

/// `removeShippingAddressId` (unsets the default shipping address if it was this one).
/// Message: `CustomerShippingAddressRemoved`.
pub fn remove_shipping_address_id(
    c: &mut Customer,
    selector: &Selector,
) -> ApiResult<CustomerEffect> {
    Ok(remove_role(c, find_address(c, selector)?, Role::Shipping))
}

/// `setDefaultShippingAddress` (also adds the id to the shipping addresses); with neither
/// `addressId` nor `addressKey` it unsets the default. Message:
/// `CustomerDefaultShippingAddressSet`.
pub fn set_default_shipping_address(
    c: &mut Customer,
    selector: &Selector,
) -> ApiResult<CustomerEffect> {
    let index = optional_address(c, selector)?;
    Ok(set_default_role(c, index, Role::Shipping))
}

/// `addBillingAddressId`. Message: `CustomerBillingAddressAdded`.
pub fn add_billing_address_id(c: &mut Customer, selector: &Selector) -> ApiResult<CustomerEffect> {
    Ok(add_role(c, find_address(c, selector)?, Role::Billing))
}

/// `removeBillingAddressId` (unsets the default billing address if it was this one).
/// Message: `CustomerBillingAddressRemoved`.
pub fn remove_billing_address_id(
    c: &mut Customer,
    selector: &Selector,
) -> ApiResult<CustomerEffect> {
    Ok(remove_role(c, find_address(c, selector)?, Role::Billing))
}

/// `setDefaultBillingAddress` (also adds the id to the billing addresses); with neither
/// `addressId` nor `addressKey` it unsets the default. Message:
/// `CustomerDefaultBillingAddressSet`.
pub fn set_default_billing_address(
    c: &mut Customer,
    selector: &Selector,
) -> ApiResult<CustomerEffect> {
    let index = optional_address(c, selector)?;
    Ok(set_default_role(c, index, Role::Billing))
}

/// The index of the address the selector names.
pub(super) fn find_address(c: &Customer, selector: &Selector) -> ApiResult<usize> {
    let found = match (selector.id, selector.key) {
        (Some(_), Some(_)) => {
            return Err(invalid_input(
                "Either addressId or addressKey must be given, not both.".into(),
            )
            .into())
        }
        (None, None) => {
            return Err(invalid_input("Either addressId or addressKey is required.".into()).into())
        }
        (Some(id), None) => c
            .addresses
            .iter()
            .position(|a| a.id.as_ref() == Some(id))
            .ok_or_else(|| format!("The customer has no address with ID '{id}'.")),
        (None, Some(key)) => c
            .addresses
            .iter()
            .position(|a| a.key.as_ref() == Some(key))
            .ok_or_else(|| format!("The customer has no address with key '{key}'.")),
    };
    found.map_err(|message| invalid_input(message).into())
}

fn address_id_of(c: &Customer, index: usize) -> String {
    c.addresses[index].id.clone().unwrap_or_default()
}

/// `Shipping` / `Billing`, as far as the address plays those roles.
fn address_roles(c: &Customer, id: &str) -> Vec<&'static str> {
    let mut roles = Vec::new();
    if c.shipping_address_ids.iter().any(|a| a == id) {
        roles.push("Shipping");
    }
    if c.billing_address_ids.iter().any(|a| a == id) {
        roles.push("Billing");
    }
    roles
}

/// Checks an address draft against the customer's other addresses (key unique).
fn checked_address(
    c: &Customer,
    draft: &AddressDraft,
    except_index: Option<usize>,
    refs: &Referenced,
) -> ApiResult<Address> {
    let address = address_from_draft(draft, "address", refs).map_err(Rejection)?;
    if let Some(key) = &address.key {
        let taken = c
            .addresses
            .iter()
            .enumerate()
            .any(|(i, a)| Some(i) != except_index && a.key.as_ref() == Some(key));
        if taken {
            return Err(duplicate_address_key(key).into());
        }
    }
    Ok(address)
}

/// A fresh address id that no address of the customer has.
fn fresh_address_id(c: &Customer, rng: &mut dyn Random) -> String {
    loop {
        let id = new_address_id(rng);
        if !c
            .addresses
            .iter()
            .any(|a| a.id.as_deref() == Some(id.as_str()))
        {
            return id;
        }
    }
}

/// Which address-role list an address-id action works on.
#[derive(Clone, Copy)]
enum Role {
    Shipping,
    Billing,
}

fn role_ids(c: &mut Customer, role: Role) -> (&mut Vec<String>, &mut Option<String>) {
    match role {
        Role::Shipping => (
            &mut c.shipping_address_ids,
            &mut c.default_shipping_address_id,
        ),
        Role::Billing => (
            &mut c.billing_address_ids,
            &mut c.default_billing_address_id,
        ),
    }
}

fn add_role(c: &mut Customer, index: usize, role: Role) -> CustomerEffect {
    let id = address_id_of(c, index);
    let (ids, _) = role_ids(c, role);
    if ids.contains(&id) {
        return Effect::Unchanged;
    }
    ids.push(id);
    let address = c.addresses[index].clone();
    Effect::Changed(vec![match role {
        Role::Shipping => Payload::CustomerShippingAddressAdded { address },
        Role::Billing => Payload::CustomerBillingAddressAdded { address },
    }])
}

fn remove_role(c: &mut Customer, index: usize, role: Role) -> CustomerEffect {
    let id = address_id_of(c, index);
    let (ids, default) = role_ids(c, role);
    if !ids.contains(&id) {
        return Effect::Unchanged;
    }
    ids.retain(|a| *a != id);
    if default.as_ref() == Some(&id) {
        *default = None;
    }
    let address = c.addresses[index].clone();
    Effect::Changed(vec![match role {
        Role::Shipping => Payload::CustomerShippingAddressRemoved { address },
        Role::Billing => Payload::CustomerBillingAddressRemoved { address },
    }])
}

fn set_default_role(c: &mut Customer, index: Option<usize>, role: Role) -> CustomerEffect {
    let id = index.map(|i| address_id_of(c, i));
    let (ids, default) = role_ids(c, role);
    let mut changed = false;
    if let Some(id) = &id {
        if !ids.contains(id) {
            ids.push(id.clone());
            changed = true;
        }
    }
    if *default != id {
        *default = id;
        changed = true;
    }
    let address = index.map(|i| c.addresses[i].clone());
    Effect::with(changed, || match role {
        Role::Shipping => Payload::CustomerDefaultShippingAddressSet { address },
        Role::Billing => Payload::CustomerDefaultBillingAddressSet { address },
    })
}

/// The address a selector names, or none when it names none (the unset of `setDefault*`).
fn optional_address(c: &Customer, selector: &Selector) -> ApiResult<Option<usize>> {
    match (selector.id, selector.key) {
        (None, None) => Ok(None),
        _ => find_address(c, selector).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn add_address() {
        let c = basic();
        let updated = ok(
            &c,
            json!([{"action": "addAddress", "address": {"key": "cabin", "country": "NO", "id": "mine"}}]),
        );
        let added = updated.state.customer.addresses.last().unwrap();
        assert_eq!(added.key.as_deref(), Some("cabin"));
        let id = added.id.as_deref().unwrap();
        assert_ne!(id, "mine");
        assert_eq!(id.len(), 8);
        assert!(c
            .customer
            .addresses
            .iter()
            .all(|a| a.id.as_deref() != Some(id)));
        let m = json_of(&updated.messages[0]);
        assert_eq!(m["type"], "CustomerAddressAdded");
        assert_eq!(m["address"]["id"], id);
        // Key taken, bad country, bad key.
        assert!(matches!(
            err(&c, json!([{"action": "addAddress", "address": {"key": "home", "country": "DE"}}])),
            ApiError::DuplicateField { ref field, .. } if field == "addresses.key"
        ));
        assert!(matches!(
            err(&c, json!([{"action": "addAddress", "address": {"country": "Deutschland"}}])),
            ApiError::InvalidField { ref field, .. } if field == "address.country"
        ));
        assert!(matches!(
            err(&c, json!([{"action": "addAddress", "address": {"country": "DE", "key": "?"}}])),
            ApiError::InvalidField { ref field, .. } if field == "address.key"
        ));
        assert!(matches!(
            err(
                &c,
                json!([{"action": "addAddress", "address": {"city": "x"}}])
            ),
            ApiError::InvalidJsonInput { .. }
        ));
    }

    #[test]
    fn change_address_by_id_or_key() {
        let c = basic();
        let work = address_id(&c, "work");
        let by_id = ok(
            &c,
            json!([{"action": "changeAddress", "addressId": work, "address": {"key": "work", "country": "IT", "city": "Rome"}}]),
        );
        let changed = &by_id.state.customer.addresses[1];
        assert_eq!(changed.id.as_deref(), Some(work.as_str()), "the id is kept");
        assert_eq!(changed.city.as_deref(), Some("Rome"));
        let m = json_of(&by_id.messages[0]);
        assert_eq!(m["type"], "CustomerAddressChanged");
        assert_eq!(m["addressRoles"], json!(["Billing"]));
        // By key; the new address may rename its key.
        let by_key = ok(
            &c,
            json!([{"action": "changeAddress", "addressKey": "home", "address": {"key": "house", "country": "DE"}}]),
        );
        assert_eq!(
            by_key.state.customer.addresses[0].key.as_deref(),
            Some("house")
        );
        assert_eq!(
            json_of(&by_key.messages[0])["addressRoles"],
            json!(["Shipping"])
        );
        // Identical content changes nothing.
        let same = ok(
            &c,
            json!([{"action": "changeAddress", "addressKey": "home", "address": {"key": "home", "country": "DE", "city": "Berlin"}}]),
        );
        assert_eq!(same.state.customer.meta.version, 1);
    }

    #[test]
    fn address_selection_errors() {
        let c = basic();
        let work = address_id(&c, "work");
        let address = json!({"country": "DE"});
        for action in [
            json!({"action": "changeAddress", "address": address}),
            json!({"action": "changeAddress", "addressId": work, "addressKey": "work", "address": address}),
            json!({"action": "changeAddress", "addressId": "nope", "address": address}),
            json!({"action": "removeAddress", "addressKey": "nope"}),
            json!({"action": "removeAddress"}),
            json!({"action": "addShippingAddressId", "addressId": "nope"}),
            json!({"action": "removeShippingAddressId", "addressKey": "nope"}),
            json!({"action": "addBillingAddressId", "addressKey": "nope"}),
            json!({"action": "removeBillingAddressId", "addressId": "nope"}),
            json!({"action": "setDefaultBillingAddress", "addressId": "nope"}),
            json!({"action": "setAddressCustomType", "addressId": "nope"}),
            json!({"action": "setAddressCustomField", "addressId": "nope", "name": "x", "value": 1}),
        ] {
            assert!(
                matches!(
                    err(&c, json!([action.clone()])),
                    ApiError::InvalidInput { .. }
                ),
                "{action}"
            );
        }
        // A changed address may not take another address's key.
        assert!(matches!(
            err(
                &c,
                json!([{"action": "changeAddress", "addressKey": "home", "address": {"key": "work", "country": "DE"}}])
            ),
            ApiError::DuplicateField { .. }
        ));
    }

    #[test]
    fn remove_address_clears_every_role() {
        let c = ok(
            &basic(),
            json!([{"action": "setDefaultBillingAddress", "addressKey": "home"}]),
        )
        .state;
        let home = address_id(&c, "home");
        assert_eq!(
            c.customer.default_billing_address_id.as_deref(),
            Some(home.as_str())
        );
        let updated = ok(&c, json!([{"action": "removeAddress", "addressId": home}]));
        let u = &updated.state.customer;
        assert_eq!(u.addresses.len(), 1);
        assert!(!u.shipping_address_ids.contains(&home));
        assert!(!u.billing_address_ids.contains(&home));
        assert_eq!(u.default_shipping_address_id, None);
        assert_eq!(u.default_billing_address_id, None);
        let m = json_of(&updated.messages[0]);
        assert_eq!(m["type"], "CustomerAddressRemoved");
        assert_eq!(m["address"]["id"], home);
        assert_eq!(m["addressRoles"], json!(["Shipping", "Billing"]));
    }

    #[test]
    fn shipping_and_billing_roles() {
        let c = basic();
        let (home, work) = (address_id(&c, "home"), address_id(&c, "work"));
        // Add, then adding again changes nothing.
        let added = ok(
            &c,
            json!([{"action": "addShippingAddressId", "addressKey": "work"}]),
        );
        assert_eq!(
            added.state.customer.shipping_address_ids,
            vec![home.clone(), work.clone()]
        );
        assert_eq!(types(&added), vec!["CustomerShippingAddressAdded"]);
        assert_eq!(
            ok(
                &added.state,
                json!([{"action": "addShippingAddressId", "addressId": work}])
            )
            .state
            .customer
            .meta
            .version,
            2
        );
        // Removing the default unsets the default.
        let removed = ok(
            &c,
            json!([{"action": "removeShippingAddressId", "addressId": home}]),
        );
        assert!(removed.state.customer.shipping_address_ids.is_empty());
        assert_eq!(removed.state.customer.default_shipping_address_id, None);
        assert_eq!(types(&removed), vec!["CustomerShippingAddressRemoved"]);
        // Removing what is not there changes nothing.
        assert_eq!(
            ok(
                &c,
                json!([{"action": "removeShippingAddressId", "addressId": work}])
            )
            .state
            .customer
            .meta
            .version,
            1
        );
        // setDefault adds the id to the list.
        let default = ok(
            &c,
            json!([{"action": "setDefaultBillingAddress", "addressKey": "home"}]),
        );
        let u = &default.state.customer;
        assert_eq!(u.default_billing_address_id.as_deref(), Some(home.as_str()));
        assert_eq!(u.billing_address_ids, vec![work.clone(), home.clone()]);
        let m = json_of(&default.messages[0]);
        assert_eq!(m["type"], "CustomerDefaultBillingAddressSet");
        assert_eq!(m["address"]["id"], home);
        assert_eq!(
            ok(
                &default.state,
                json!([{"action": "setDefaultBillingAddress", "addressId": home}])
            )
            .state
            .customer
            .meta
            .version,
            2
        );
        let billing = ok(
            &c,
            json!([{"action": "addBillingAddressId", "addressKey": "home"}, {"action": "removeBillingAddressId", "addressKey": "work"}]),
        );
        assert_eq!(
            billing.state.customer.billing_address_ids,
            vec![home.clone()]
        );
        assert_eq!(
            types(&billing),
            vec![
                "CustomerBillingAddressAdded",
                "CustomerBillingAddressRemoved"
            ]
        );
        let shipping_default = ok(
            &c,
            json!([{"action": "setDefaultShippingAddress", "addressKey": "work"}]),
        );
        assert_eq!(
            shipping_default
                .state
                .customer
                .default_shipping_address_id
                .as_deref(),
            Some(work.as_str())
        );
        assert_eq!(
            types(&shipping_default),
            vec!["CustomerDefaultShippingAddressSet"]
        );
    }

    #[test]
    fn set_default_without_an_address_unsets_it() {
        let c = basic();
        let work = address_id(&c, "work");
        let set = json!({"action": "setDefaultBillingAddress", "addressId": work});
        let unset = json!({"action": "setDefaultBillingAddress"});
        let updated = ok(&c, json!([set, unset]));
        let customer = &updated.state.customer;
        assert_eq!(customer.default_billing_address_id, None);
        assert_eq!(customer.billing_address_ids, vec![work]);
        let messages = &updated.messages;
        assert_eq!(messages.len(), 2, "{messages:?}");
        let unchanged = ok(&c, json!([{"action": "setDefaultBillingAddress"}]));
        assert!(types(&unchanged).is_empty());
        let shipping = ok(&c, json!([{"action": "setDefaultShippingAddress"}]));
        assert_eq!(shipping.state.customer.default_shipping_address_id, None);
        assert_eq!(types(&shipping), vec!["CustomerDefaultShippingAddressSet"]);
    }
}
