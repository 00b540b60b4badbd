//! The 34 customer update actions. Each is one documented function named after the API
//! action, grouped by what it changes:
//!
//! | file | actions |
//! |---|---|
//! | [`email`] | `changeEmail` |
//! | [`names`] | `setFirstName`, `setLastName`, `setMiddleName`, `setTitle`, `setSalutation`, `setCompanyName`, `setDateOfBirth`, `setVatId`, `setLocale` |
//! | [`identifiers`] | `setKey`, `setCustomerNumber`, `setExternalId` |
//! | [`addresses`] | `addAddress`, `changeAddress`, `removeAddress`, `add/removeShippingAddressId`, `add/removeBillingAddressId`, `setDefaultShippingAddress`, `setDefaultBillingAddress` |
//! | [`groups`] | `setCustomerGroup`, `setCustomerGroupAssignments`, `addCustomerGroupAssignment`, `removeCustomerGroupAssignment` |
//! | [`stores`] | `setStores`, `addStore`, `removeStore` |
//! | [`custom`] | `setCustomType`, `setCustomField`, `setAddressCustomType`, `setAddressCustomField` |
//! | [`auth_mode`] | `setAuthenticationMode` |
//!
//! An action returns [`Effect::Unchanged`] when it changes nothing (no new version, no
//! message) or the payloads of its messages; the versioned-resource engine
//! (`domain::resource::update`) applies a request's actions all or nothing under the version
//! rule. What follows from an update as a whole (tokens a new email or password voids, what a
//! customer may hold) is [`StoredCustomer::finish`].

mod addresses;
mod auth_mode;
mod custom;
mod email;
mod groups;
mod identifiers;
mod names;
mod stores;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::draft::{AddressDraft, CustomerGroupAssignmentDraft};
use super::messages::Payload;
use super::{limits, AuthenticationMode, Customer, StoredCustomer};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::references::{ActionContext, Wanted};
use crate::domain::refs::ResourceIdentifier;
use crate::domain::resource::{Effect, Updatable};

/// What an action did to a customer.
pub type CustomerEffect = Effect<Payload>;

/// One update action. Optional values that are absent or `null` clear the field.
///
/// Clients send `{"action": "setFirstName", "firstName": …}`, parsed by
/// [`crate::domain::resource::parse_request`]. Each variant's behaviour is the function of the
/// same name in this module's files (see the table in [`StoredCustomer::apply`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum UpdateAction {
    ChangeEmail {
        email: String,
    },
    SetFirstName {
        #[serde(default)]
        first_name: Option<String>,
    },
    SetLastName {
        #[serde(default)]
        last_name: Option<String>,
    },
    SetMiddleName {
        #[serde(default)]
        middle_name: Option<String>,
    },
    SetTitle {
        #[serde(default)]
        title: Option<String>,
    },
    SetSalutation {
        #[serde(default)]
        salutation: Option<String>,
    },
    SetCompanyName {
        #[serde(default)]
        company_name: Option<String>,
    },
    SetDateOfBirth {
        #[serde(default)]
        date_of_birth: Option<String>,
    },
    SetVatId {
        #[serde(default)]
        vat_id: Option<String>,
    },
    SetExternalId {
        #[serde(default)]
        external_id: Option<String>,
    },
    SetLocale {
        #[serde(default)]
        locale: Option<String>,
    },
    SetKey {
        #[serde(default)]
        key: Option<String>,
    },
    SetCustomerNumber {
        #[serde(default)]
        customer_number: Option<String>,
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
    SetDefaultShippingAddress {
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
    SetDefaultBillingAddress {
        #[serde(default)]
        address_id: Option<String>,
        #[serde(default)]
        address_key: Option<String>,
    },
    SetCustomerGroup {
        #[serde(default)]
        customer_group: Option<ResourceIdentifier>,
    },
    SetCustomerGroupAssignments {
        customer_group_assignments: Vec<CustomerGroupAssignmentDraft>,
    },
    AddCustomerGroupAssignment {
        customer_group_assignment: CustomerGroupAssignmentDraft,
    },
    RemoveCustomerGroupAssignment {
        customer_group: ResourceIdentifier,
    },
    SetStores {
        #[serde(default)]
        stores: Vec<ResourceIdentifier>,
    },
    AddStore {
        store: ResourceIdentifier,
    },
    RemoveStore {
        store: ResourceIdentifier,
    },
    SetAuthenticationMode {
        auth_mode: AuthenticationMode,
        #[serde(default)]
        password: Option<String>,
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
}

impl Updatable for StoredCustomer {
    type Resource = Customer;
    type Action = UpdateAction;
    type Payload = Payload;

    fn resource(&self) -> &Customer {
        &self.customer
    }

    fn resource_mut(&mut self) -> &mut Customer {
        &mut self.customer
    }

    /// The referenced resources an action resolves or checks against: the groups it names, the
    /// custom type it sets, or the type of the custom fields it changes.
    fn wants(&self, action: &UpdateAction, wanted: &mut Wanted) {
        use UpdateAction as A;
        match action {
            A::SetCustomerGroup {
                customer_group: Some(group),
            }
            | A::RemoveCustomerGroupAssignment {
                customer_group: group,
            } => wanted.group(group),
            A::AddCustomerGroupAssignment {
                customer_group_assignment,
            } => wanted.group(&customer_group_assignment.customer_group),
            A::SetCustomerGroupAssignments {
                customer_group_assignments,
            } => customer_group_assignments
                .iter()
                .for_each(|a| wanted.group(&a.customer_group)),
            A::SetCustomType {
                type_identifier: Some(t),
                ..
            }
            | A::SetAddressCustomType {
                type_identifier: Some(t),
                ..
            } => wanted.custom_type(t),
            A::AddAddress { address } | A::ChangeAddress { address, .. } => {
                if let Some(custom) = &address.custom {
                    wanted.custom_type(&(&custom.type_ref).into());
                }
            }
            A::SetCustomField { .. } => wanted.custom_of(&self.customer.custom),
            A::SetAddressCustomField { address_id, .. } => {
                let addresses = &self.customer.addresses;
                if let Some(address) = addresses.iter().find(|a| a.id.as_ref() == Some(address_id))
                {
                    wanted.custom_of(&address.custom);
                }
            }
            _ => {}
        }
    }

    /// The table from an action to the function that carries it out.
    fn apply(
        &mut self,
        action: &UpdateAction,
        ctx: &mut ActionContext<'_>,
    ) -> ApiResult<CustomerEffect> {
        use UpdateAction as A;
        let (rng, refs) = (&mut *ctx.rng, ctx.refs);
        let c = &mut self.customer;
        match action {
            A::ChangeEmail { email } => email::change_email(c, email),
            A::SetFirstName { first_name } => Ok(names::set_first_name(c, first_name)),
            A::SetLastName { last_name } => Ok(names::set_last_name(c, last_name)),
            A::SetMiddleName { middle_name } => Ok(names::set_middle_name(c, middle_name)),
            A::SetTitle { title } => Ok(names::set_title(c, title)),
            A::SetSalutation { salutation } => Ok(names::set_salutation(c, salutation)),
            A::SetCompanyName { company_name } => Ok(names::set_company_name(c, company_name)),
            A::SetDateOfBirth { date_of_birth } => names::set_date_of_birth(c, date_of_birth),
            A::SetVatId { vat_id } => Ok(names::set_vat_id(c, vat_id)),
            A::SetLocale { locale } => names::set_locale(c, locale),
            A::SetExternalId { external_id } => Ok(identifiers::set_external_id(c, external_id)),
            A::SetKey { key } => identifiers::set_key(c, key),
            A::SetCustomerNumber { customer_number } => {
                identifiers::set_customer_number(c, customer_number)
            }
            A::AddAddress { address } => addresses::add_address(c, address, refs, rng),
            A::ChangeAddress {
                address_id,
                address_key,
                address,
            } => {
                addresses::change_address(c, &Selector::new(address_id, address_key), address, refs)
            }
            A::RemoveAddress {
                address_id,
                address_key,
            } => addresses::remove_address(c, &Selector::new(address_id, address_key)),
            A::AddShippingAddressId {
                address_id,
                address_key,
            } => addresses::add_shipping_address_id(c, &Selector::new(address_id, address_key)),
            A::RemoveShippingAddressId {
                address_id,
                address_key,
            } => addresses::remove_shipping_address_id(c, &Selector::new(address_id, address_key)),
            A::SetDefaultShippingAddress {
                address_id,
                address_key,
            } => {
                addresses::set_default_shipping_address(c, &Selector::new(address_id, address_key))
            }
            A::AddBillingAddressId {
                address_id,
                address_key,
            } => addresses::add_billing_address_id(c, &Selector::new(address_id, address_key)),
            A::RemoveBillingAddressId {
                address_id,
                address_key,
            } => addresses::remove_billing_address_id(c, &Selector::new(address_id, address_key)),
            A::SetDefaultBillingAddress {
                address_id,
                address_key,
            } => addresses::set_default_billing_address(c, &Selector::new(address_id, address_key)),
            A::SetCustomerGroup { customer_group } => {
                groups::set_customer_group(c, customer_group, refs)
            }
            A::SetCustomerGroupAssignments {
                customer_group_assignments,
            } => groups::set_customer_group_assignments(c, customer_group_assignments, refs),
            A::AddCustomerGroupAssignment {
                customer_group_assignment,
            } => groups::add_customer_group_assignment(c, customer_group_assignment, refs),
            A::RemoveCustomerGroupAssignment { customer_group } => {
                groups::remove_customer_group_assignment(c, customer_group, refs)
            }
            A::SetStores { stores } => stores::set_stores(c, stores),
            A::AddStore { store } => stores::add_store(c, store),
            A::RemoveStore { store } => stores::remove_store(c, store),
            A::SetAuthenticationMode {
                auth_mode,
                password,
            } => auth_mode::set_authentication_mode(self, *auth_mode, password),
            A::SetCustomType {
                type_identifier,
                fields,
            } => custom::set_custom_type(c, type_identifier, fields, refs),
            A::SetCustomField { name, value } => custom::set_custom_field(c, name, value, refs),
            A::SetAddressCustomType {
                address_id,
                type_identifier,
                fields,
            } => custom::set_address_custom_type(c, address_id, type_identifier, fields, refs),
            A::SetAddressCustomField {
                address_id,
                name,
                value,
            } => custom::set_address_custom_field(c, address_id, name, value, refs),
        }
    }

    /// A new email voids the email tokens sent to the old one; a new or removed password
    /// voids the password-reset tokens and sessions of the old one, as after a reset. Then
    /// the customer must be within what a customer may hold.
    fn finish(&mut self, before: &StoredCustomer, now_ms: i64) -> ApiResult<()> {
        if self.customer.email != before.customer.email {
            self.void_email_tokens(now_ms);
        }
        if self.password_hash != before.password_hash || self.new_password.is_some() {
            self.void_password_tokens(now_ms);
            self.void_sessions(now_ms);
        }
        limits::check_customer(&self.customer, &self.customer.to_json_string())?;
        Ok(())
    }
}

/// The `addressId` or `addressKey` of an address action (exactly one of them).
pub struct Selector<'a> {
    id: &'a Option<String>,
    key: &'a Option<String>,
}

impl<'a> Selector<'a> {
    fn new(id: &'a Option<String>, key: &'a Option<String>) -> Self {
        Selector { id, key }
    }
}

/// Sets an optional text field; tells whether it changed.
fn set_text(field: &mut Option<String>, value: &Option<String>) -> bool {
    if field == value {
        false
    } else {
        field.clone_from(value);
        true
    }
}

fn invalid_input(message: String) -> ApiError {
    ApiError::InvalidInput { message }
}

fn invalid_operation(message: String) -> ApiError {
    ApiError::InvalidOperation { message }
}

#[cfg(test)]
mod tests {
    use super::UpdateAction;
    use crate::domain::ids::CountingRandom;
    use crate::domain::refs::ClientLogging;
    use crate::domain::resource::parse_request;
    use crate::domain::resource::update;
    use crate::domain::resource::UpdateContext;
    use crate::domain::resource::UpdateRequest;
    use crate::domain::version::Version;
    use serde_json::json;
    use serde_json::Value;

    use crate::domain::customer::testing::*;
    use crate::domain::error::ApiError;

    #[test]
    fn unknown_and_malformed_actions_are_named() {
        let c = basic();
        for (actions, expected) in [
            (
                json!([{"action": "setFirstName"}, {"action": "fly"}]),
                "actions[1]",
            ),
            (
                json!([{"firstName": "x"}]),
                "actions[0] -> action: Missing required value",
            ),
            (
                json!([{"action": "changeEmail"}]),
                "actions[0] -> email: Missing required value",
            ),
            (
                json!([{"action": "setFirstName", "firstName": 7}]),
                "actions[0] -> firstName",
            ),
            (
                json!(["setFirstName"]),
                "actions[0]: An update action must be a JSON object.",
            ),
            (
                json!([{"action": 3}]),
                "actions[0] -> action: expected the name",
            ),
            (
                json!([{"action": "addAddress", "address": {"country": 49}}]),
                "actions[0] -> address -> country: invalid type",
            ),
        ] {
            match err(&c, actions.clone()) {
                ApiError::InvalidJsonInput { detail } => {
                    assert!(detail.starts_with(expected), "{actions}: {detail}")
                }
                other => panic!("{actions}: {other:?}"),
            }
        }
    }

    #[test]
    fn request_needs_version_and_actions() {
        for body in [
            json!({"actions": []}),
            json!({"version": 1}),
            json!({"version": "1", "actions": []}),
        ] {
            assert!(matches!(
                parse_request::<UpdateAction>(body.to_string().as_bytes()),
                Err(ApiError::InvalidJsonInput { .. })
            ));
        }
    }

    #[test]
    fn at_most_500_actions() {
        let c = basic();
        let many: Vec<Value> = (0..501).map(|_| json!({"action": "setVatId"})).collect();
        assert!(matches!(
            err(&c, json!(many)),
            ApiError::InvalidInput { .. }
        ));
        let enough: Vec<Value> = (0..500)
            .map(|i| json!({"action": "setVatId", "vatId": i.to_string()}))
            .collect();
        assert_eq!(ok(&c, json!(enough)).state.customer.meta.version, 501);
    }

    #[test]
    fn stale_version_is_a_conflict() {
        let c = basic();
        let request: UpdateRequest<UpdateAction> = UpdateRequest {
            version: Version::new(7).unwrap(),
            actions: vec![],
        };
        let ctx = UpdateContext {
            now_ms: LATER,
            by: ClientLogging::client("u"),
            rng: &mut CountingRandom(0),
            refs: refs(),
        };
        assert_eq!(
            update(&c, &request, ctx).unwrap_err().0,
            vec![ApiError::ConcurrentModification {
                expected: 7,
                current: Some(1)
            }]
        );
    }

    #[test]
    fn version_rises_once_per_changing_action() {
        let c = basic();
        let updated = ok(
            &c,
            json!([
                {"action": "setFirstName", "firstName": "Ann"},
                {"action": "setFirstName", "firstName": "Ann"},
                {"action": "setMiddleName", "middleName": "M"},
                {"action": "setLastName", "lastName": "Lee"}
            ]),
        );
        let u = &updated.state.customer;
        assert_eq!(u.meta.version, 4, "three changing actions on version 1");
        assert_eq!(
            types(&updated),
            vec!["CustomerFirstNameSet", "CustomerLastNameSet"]
        );
        let versions: Vec<u64> = updated
            .messages
            .iter()
            .map(|m| m.resource_version)
            .collect();
        assert_eq!(versions, vec![2, 4]);
        let sequence: Vec<u64> = updated.messages.iter().map(|m| m.sequence_number).collect();
        assert_eq!(sequence, vec![2, 3]);
        assert_eq!(u.meta.last_message_sequence_number, 3);
        assert_eq!(u.meta.last_modified_at, "2023-11-14T22:14:20.000Z");
        assert_eq!(u.meta.version_modified_at, u.meta.last_modified_at);
        assert_eq!(
            u.meta.last_modified_by.client_id.as_deref(),
            Some("updater")
        );
        assert_eq!(u.meta.created_at, c.customer.meta.created_at);
        assert!(updated.changed_from(&c));
    }

    #[test]
    fn no_change_keeps_version_and_timestamps() {
        let c = basic();
        for actions in [
            json!([]),
            json!([{"action": "setFirstName", "firstName": "Jo"}, {"action": "setVatId"}]),
        ] {
            let updated = ok(&c, actions);
            assert_eq!(updated.state, c);
            assert!(updated.messages.is_empty());
            assert!(!updated.changed_from(&c));
        }
    }

    #[test]
    fn all_or_nothing() {
        let c = basic();
        let error = err(
            &c,
            json!([
                {"action": "setFirstName", "firstName": "Ann"},
                {"action": "changeEmail", "email": "not-an-email"}
            ]),
        );
        assert!(matches!(error, ApiError::InvalidField { ref field, .. } if field == "email"));
        // The original is untouched (apply works on a copy).
        assert_eq!(c.customer.first_name.as_deref(), Some("Jo"));
    }

    #[test]
    fn messages_name_the_customer_and_its_identifiers() {
        let c = customer(json!({"email": "a@b.c", "password": "p", "key": "k-1"}));
        let updated = ok(
            &c,
            json!([{"action": "setKey", "key": "k-2"}, {"action": "setFirstName", "firstName": "A"}]),
        );
        let m = json_of(&updated.messages[0]);
        assert_eq!(
            m["resource"],
            json!({"typeId": "customer", "id": c.customer.meta.id})
        );
        assert_eq!(m["resourceUserProvidedIdentifiers"], json!({"key": "k-2"}));
        assert_eq!(m["createdBy"]["clientId"], "updater");
        assert_eq!(m["createdAt"], "2023-11-14T22:14:20.000Z");
        assert_eq!(m["resourceVersion"], 3);
    }
}
