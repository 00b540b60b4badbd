//! Emporix addresses onto commercetools addresses, and their tags and `isDefault` onto the
//! customer's address roles. Writes become the existing address actions (`addAddress`,
//! `changeAddress`, `removeAddress`, `add/removeShipping/BillingAddressId`,
//! `setDefaultShipping/BillingAddress`).
//!
//! Fields: `contactName` ↔ `firstName` + `lastName` (split at the last space), `companyName`
//! ↔ `company`, `street` ↔ `streetName`, `streetNumber`, `streetAppendix` ↔
//! `additionalStreetInfo`, `extraLine1..4` ↔ `additionalAddressInfo`, `department`,
//! `building`, `apartment`, `zipCode` ↔ `postalCode`, `city`, `country`, `state`,
//! `contactPhone` ↔ `phone`. Tags: `SHIPPING` ↔ a shipping address, `BILLING` ↔ a billing
//! address (other tags are refused: there is nowhere to keep them). `isDefault` ↔ the default
//! shipping or billing address.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::customer::actions::UpdateAction;
use crate::domain::customer::{Address, Customer};
use crate::domain::error::ApiError;
use crate::domain::json;
use crate::domain::version::Version;

/// `metadata` of an Emporix body: the version it expects (the customer's version here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixins: Option<Map<String, Value>>,
}

/// An Emporix address (AddressCreateDto / AddressUpdateDto / AddressDto).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmporixAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_appendix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_line3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_line4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixins: Option<Map<String, Value>>,
}

/// The roles an address holds (or should hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    pub billing: bool,
    pub shipping: bool,
}

impl Roles {
    /// Emporix tags (case-insensitive); any other tag is a 400 naming it.
    pub fn from_tags<S: AsRef<str>>(tags: &[S]) -> Result<Roles, ApiError> {
        let mut roles = Roles::default();
        for tag in tags {
            match tag.as_ref().to_ascii_uppercase().as_str() {
                "BILLING" => roles.billing = true,
                "SHIPPING" => roles.shipping = true,
                _ => return Err(unknown_tag(tag.as_ref())),
            }
        }
        Ok(roles)
    }

    fn tags(self) -> Vec<String> {
        let mut tags = Vec::new();
        if self.billing {
            tags.push("BILLING".to_string());
        }
        if self.shipping {
            tags.push("SHIPPING".to_string());
        }
        tags
    }

    fn any(self) -> bool {
        self.billing || self.shipping
    }
}

fn unknown_tag(tag: &str) -> ApiError {
    ApiError::InvalidField {
        field: "tags".into(),
        invalid_value: tag.into(),
        message: Some(format!(
            "The tag '{tag}' is not supported: an address holds the tags BILLING and SHIPPING only."
        )),
    }
}

/// `tags=BILLING,SHIPPING` of the tag endpoints (required, at least one tag).
pub fn roles_of_query(tags: Option<&str>) -> Result<Roles, ApiError> {
    let tags: Vec<&str> = tags
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() {
        return Err(ApiError::RequiredField {
            field: "tags".into(),
        });
    }
    Roles::from_tags(&tags)
}

fn roles_of(c: &Customer, id: &str) -> Roles {
    Roles {
        billing: c.billing_address_ids.iter().any(|a| a == id),
        shipping: c.shipping_address_ids.iter().any(|a| a == id),
    }
}

fn is_default(c: &Customer, id: &str) -> bool {
    c.default_shipping_address_id.as_deref() == Some(id)
        || c.default_billing_address_id.as_deref() == Some(id)
}

/// `firstName lastName`, or whichever is set.
fn contact_name(a: &Address) -> Option<String> {
    let parts: Vec<&str> = [&a.first_name, &a.last_name]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `"John Doe"` → (`John`, `Doe`); one word is a first name.
fn split_name(name: &str) -> (Option<String>, Option<String>) {
    match name.rsplit_once(' ') {
        Some((first, last)) => (Some(first.to_string()), Some(last.to_string())),
        None => (Some(name.to_string()), None),
    }
}

/// The Emporix view of one of the customer's addresses.
pub fn view(c: &Customer, a: &Address) -> EmporixAddress {
    let id = a.id.clone().unwrap_or_default();
    EmporixAddress {
        contact_name: contact_name(a),
        company_name: a.company.clone(),
        street: a.street_name.clone(),
        street_number: a.street_number.clone(),
        street_appendix: a.additional_street_info.clone(),
        extra_line1: a.additional_address_info.clone(),
        extra_line2: a.department.clone(),
        extra_line3: a.building.clone(),
        extra_line4: a.apartment.clone(),
        zip_code: a.postal_code.clone(),
        city: a.city.clone(),
        country: Some(a.country.clone()),
        state: a.state.clone(),
        contact_phone: a.phone.clone(),
        tags: Some(roles_of(c, &id).tags()),
        is_default: Some(is_default(c, &id)),
        id: Some(id),
        metadata: None,
        mixins: None,
    }
}

/// Every address of the customer, Emporix-style.
pub fn list(c: &Customer) -> Vec<EmporixAddress> {
    c.addresses.iter().map(|a| view(c, a)).collect()
}

/// The address Emporix calls the default: the default shipping address, else the default
/// billing address.
pub fn default_address(c: &Customer) -> Option<EmporixAddress> {
    let id = c
        .default_shipping_address_id
        .as_ref()
        .or(c.default_billing_address_id.as_ref())?;
    let a = c.addresses.iter().find(|a| a.id.as_ref() == Some(id))?;
    Some(view(c, a))
}

/// The commercetools address (draft) for an Emporix address; `base` keeps what Emporix does
/// not show (key, title, custom fields, …) of the address it replaces. A missing country is
/// left empty, for the address rules to refuse.
pub fn to_draft(e: &EmporixAddress, base: Option<&Address>) -> Address {
    let mut a = base.cloned().unwrap_or_default();
    a.id = None;
    (a.first_name, a.last_name) = match &e.contact_name {
        Some(name) => split_name(name),
        None => (None, None),
    };
    a.company = e.company_name.clone();
    a.street_name = e.street.clone();
    a.street_number = e.street_number.clone();
    a.additional_street_info = e.street_appendix.clone();
    a.additional_address_info = e.extra_line1.clone();
    a.department = e.extra_line2.clone();
    a.building = e.extra_line3.clone();
    a.apartment = e.extra_line4.clone();
    a.postal_code = e.zip_code.clone();
    a.city = e.city.clone();
    a.country = e.country.clone().unwrap_or_default();
    a.state = e.state.clone();
    a.phone = e.contact_phone.clone();
    a
}

/// The roles (tags) an Emporix address asks for.
pub fn wanted_roles(e: &EmporixAddress) -> Result<Roles, ApiError> {
    Roles::from_tags(e.tags.as_deref().unwrap_or_default())
}

/// A body as an Emporix address (400 naming the field for a wrong shape).
pub fn parse(body: &[u8]) -> Result<EmporixAddress, ApiError> {
    json::parse(body)
}

fn sel(id: &str) -> (Option<String>, Option<String>) {
    (Some(id.to_string()), None)
}

fn add_role(id: &str, shipping: bool) -> UpdateAction {
    let (address_id, address_key) = sel(id);
    if shipping {
        UpdateAction::AddShippingAddressId {
            address_id,
            address_key,
        }
    } else {
        UpdateAction::AddBillingAddressId {
            address_id,
            address_key,
        }
    }
}

fn remove_role(id: &str, shipping: bool) -> UpdateAction {
    let (address_id, address_key) = sel(id);
    if shipping {
        UpdateAction::RemoveShippingAddressId {
            address_id,
            address_key,
        }
    } else {
        UpdateAction::RemoveBillingAddressId {
            address_id,
            address_key,
        }
    }
}

/// `setDefault{Shipping,Billing}Address` for address `id`, or, with none, unsetting the default.
fn set_default(id: Option<&str>, shipping: bool) -> UpdateAction {
    let (address_id, address_key) = (id.map(str::to_string), None);
    if shipping {
        UpdateAction::SetDefaultShippingAddress {
            address_id,
            address_key,
        }
    } else {
        UpdateAction::SetDefaultBillingAddress {
            address_id,
            address_key,
        }
    }
}

/// The actions that give address `id` the roles `wanted` and, if `default` is given, make it
/// the default (for each of its roles; an address without roles becomes the default shipping
/// address) or not (its roles stay, their defaults are unset).
pub fn role_actions(
    c: &Customer,
    id: &str,
    wanted: Roles,
    default: Option<bool>,
) -> Vec<UpdateAction> {
    let have = roles_of(c, id);
    let mut actions = Vec::new();
    for (shipping, want, has) in [
        (false, wanted.billing, have.billing),
        (true, wanted.shipping, have.shipping),
    ] {
        match (want, has) {
            (true, false) => actions.push(add_role(id, shipping)),
            (false, true) => actions.push(remove_role(id, shipping)),
            _ => {}
        }
    }
    match default {
        Some(true) if !wanted.any() => actions.push(set_default(Some(id), true)),
        Some(true) => {
            for (shipping, want) in [(false, wanted.billing), (true, wanted.shipping)] {
                if want {
                    actions.push(set_default(Some(id), shipping));
                }
            }
        }
        Some(false) => {
            let defaults = [
                (false, wanted.billing, &c.default_billing_address_id),
                (true, wanted.shipping, &c.default_shipping_address_id),
            ];
            for (shipping, want, current) in defaults {
                if want && current.as_deref() == Some(id) {
                    actions.push(set_default(None, shipping));
                }
            }
        }
        None => {}
    }
    actions
}

/// The actions of `PATCH /me/addresses/{id}`: a merge patch of the Emporix view of the address
/// (absent: unchanged, `null`: removed), then `changeAddress` and the role actions. The
/// version is `metadata.version` if the patch gives one.
pub fn patch_actions(
    c: &Customer,
    address: &Address,
    patch: Map<String, Value>,
) -> Result<(Option<Version>, Vec<UpdateAction>), ApiError> {
    let id = address.id.clone().unwrap_or_default();
    let mut merged = match serde_json::to_value(view(c, address)) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let explicit_default = patch.get("isDefault").and_then(Value::as_bool);
    for (field, value) in patch {
        if value.is_null() {
            merged.remove(&field);
        } else {
            merged.insert(field, value);
        }
    }
    let wanted: EmporixAddress = json::from_value(Value::Object(merged), "")?;
    let roles = wanted_roles(&wanted)?;
    let version = wanted.metadata.as_ref().and_then(|m| m.version);
    let mut actions = vec![UpdateAction::ChangeAddress {
        address_id: Some(id.clone()),
        address_key: None,
        address: to_draft(&wanted, Some(address)),
    }];
    actions.extend(role_actions(c, &id, roles, explicit_default));
    Ok((version, actions))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::customer::testing::customer;

    fn with_addresses() -> Customer {
        customer(json!({"email": "a@b.c", "password": "p",
            "addresses": [
                {"id": "x", "country": "DE", "firstName": "John", "lastName": "Doe", "key": "home",
                 "streetName": "Platz der Republik", "streetNumber": "1", "postalCode": "11011",
                 "city": "Berlin", "phone": "123"},
                {"country": "FR", "city": "Paris"}],
            "shippingAddresses": [0], "defaultShippingAddress": 0}))
        .customer
    }

    fn id(c: &Customer, i: usize) -> String {
        c.addresses[i].id.clone().unwrap()
    }

    #[test]
    fn addresses_show_their_roles_as_tags() {
        let c = with_addresses();
        let first = view(&c, &c.addresses[0]);
        assert_eq!(first.contact_name.as_deref(), Some("John Doe"));
        assert_eq!(first.street.as_deref(), Some("Platz der Republik"));
        assert_eq!(first.zip_code.as_deref(), Some("11011"));
        assert_eq!(first.contact_phone.as_deref(), Some("123"));
        assert_eq!(first.tags, Some(vec!["SHIPPING".to_string()]));
        assert_eq!(first.is_default, Some(true));
        let second = view(&c, &c.addresses[1]);
        assert_eq!(second.tags, Some(vec![]));
        assert_eq!(second.is_default, Some(false));
        assert_eq!(default_address(&c).unwrap().id, Some(id(&c, 0)));
    }

    #[test]
    fn an_emporix_address_round_trips() {
        let e: EmporixAddress = serde_json::from_value(json!({
            "contactName": "Mary Ann Smith", "companyName": "Emporix", "street": "Main",
            "streetNumber": "1", "streetAppendix": "", "extraLine1": "a", "extraLine2": "b",
            "extraLine3": "c", "extraLine4": "d", "zipCode": "1", "city": "X", "country": "DE",
            "state": "S", "contactPhone": "9"}))
        .unwrap();
        let draft = to_draft(&e, None);
        assert_eq!(draft.first_name.as_deref(), Some("Mary Ann"));
        assert_eq!(draft.last_name.as_deref(), Some("Smith"));
        let mut c = with_addresses();
        let mut stored = draft.clone();
        stored.id = Some("new".into());
        c.addresses.push(stored);
        let back = view(&c, c.addresses.last().unwrap());
        assert_eq!(
            EmporixAddress {
                id: None,
                tags: None,
                is_default: None,
                ..back
            },
            e
        );
        // What Emporix does not show survives a replacement.
        let replaced = to_draft(&e, Some(&c.addresses[0]));
        assert_eq!(replaced.key.as_deref(), Some("home"));
    }

    #[test]
    fn tags_are_billing_and_shipping_only() {
        assert_eq!(
            Roles::from_tags(&["billing", "SHIPPING"]).unwrap(),
            Roles {
                billing: true,
                shipping: true
            }
        );
        assert_eq!(
            Roles::from_tags(&["GIFT"]).unwrap_err().code(),
            "InvalidField"
        );
        assert!(roles_of_query(None).is_err());
        assert!(roles_of_query(Some(" , ")).is_err());
        assert!(roles_of_query(Some("BILLING")).unwrap().billing);
    }

    #[test]
    fn roles_and_defaults_become_address_actions() {
        let c = with_addresses();
        let second = id(&c, 1);
        let shipping = Roles {
            shipping: true,
            billing: false,
        };
        let actions = role_actions(&c, &second, shipping, Some(true));
        assert!(
            matches!(&actions[0], UpdateAction::AddShippingAddressId { address_id: Some(a), .. } if *a == second)
        );
        assert!(matches!(
            &actions[1],
            UpdateAction::SetDefaultShippingAddress { .. }
        ));
        // No tags: the default shipping address.
        let actions = role_actions(&c, &second, Roles::default(), Some(true));
        assert!(matches!(
            &actions[..],
            [UpdateAction::SetDefaultShippingAddress { .. }]
        ));
        // Not the default any more, but still a shipping address.
        let first = id(&c, 0);
        let actions = role_actions(&c, &first, shipping, Some(false));
        assert!(matches!(
            &actions[..],
            [UpdateAction::SetDefaultShippingAddress {
                address_id: None,
                address_key: None
            }]
        ));
        // Dropping a tag drops the role (and its default with it).
        let actions = role_actions(&c, &first, Roles::default(), None);
        assert!(matches!(
            &actions[..],
            [UpdateAction::RemoveShippingAddressId { .. }]
        ));
    }

    #[test]
    fn a_patch_merges_into_the_address() {
        let c = with_addresses();
        let patch = json!({"city": "Bonn", "contactPhone": null, "tags": ["BILLING", "SHIPPING"],
                           "metadata": {"version": 3}});
        let (version, actions) =
            patch_actions(&c, &c.addresses[0], patch.as_object().unwrap().clone()).unwrap();
        assert_eq!(version.map(Version::get), Some(3));
        let UpdateAction::ChangeAddress { address, .. } = &actions[0] else {
            panic!("{actions:?}")
        };
        assert_eq!(address.city.as_deref(), Some("Bonn"));
        assert_eq!(address.street_name.as_deref(), Some("Platz der Republik"));
        assert_eq!(address.phone, None);
        assert_eq!(address.key.as_deref(), Some("home"));
        assert!(matches!(
            &actions[1],
            UpdateAction::AddBillingAddressId { .. }
        ));
        let bad = json!({"tags": "SHIPPING"});
        let err = patch_actions(&c, &c.addresses[0], bad.as_object().unwrap().clone()).unwrap_err();
        assert_eq!(err.code(), "InvalidJsonInput");
    }
}
