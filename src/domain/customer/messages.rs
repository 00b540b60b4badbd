//! The customer's messages: the `type` and payload fields of each (the message envelope is
//! `domain::message`).

use serde::Serialize;
use serde_json::Value;

use super::{Address, CustomerGroupAssignment};
use crate::domain::refs::{CustomFields, Reference, StoreKeyReference};

/// The type-specific part of a message: its `type` and payload fields (fact sheet §8).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Payload {
    CustomerCreated {
        customer: Value,
    },
    CustomerDeleted {
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<String>,
    },
    CustomerEmailChanged {
        email: String,
        old_email: String,
    },
    CustomerFirstNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        first_name: Option<String>,
    },
    CustomerLastNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        last_name: Option<String>,
    },
    CustomerTitleSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    CustomerCompanyNameSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        company_name: Option<String>,
    },
    CustomerDateOfBirthSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        date_of_birth: Option<String>,
    },
    CustomerExternalIdSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
    },
    CustomerAddressAdded {
        address: Address,
    },
    CustomerAddressChanged {
        address: Address,
        address_roles: Vec<&'static str>,
    },
    CustomerAddressRemoved {
        address: Address,
        address_roles: Vec<&'static str>,
    },
    CustomerShippingAddressAdded {
        address: Address,
    },
    CustomerShippingAddressRemoved {
        address: Address,
    },
    CustomerBillingAddressAdded {
        address: Address,
    },
    CustomerBillingAddressRemoved {
        address: Address,
    },
    CustomerDefaultShippingAddressSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
    },
    CustomerDefaultBillingAddressSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
    },
    CustomerGroupSet {
        #[serde(skip_serializing_if = "Option::is_none")]
        customer_group: Option<Reference>,
    },
    CustomerGroupAssignmentAdded {
        customer_group_assignment: CustomerGroupAssignment,
    },
    CustomerGroupAssignmentRemoved {
        customer_group_assignment: CustomerGroupAssignment,
    },
    CustomerGroupAssignmentsSet {
        customer_group_assignments: Vec<CustomerGroupAssignment>,
        old_customer_group_assignments: Vec<CustomerGroupAssignment>,
    },
    CustomerStoresSet {
        stores: Vec<StoreKeyReference>,
        old_stores: Vec<StoreKeyReference>,
    },
    CustomerCustomFieldAdded {
        name: String,
        value: Value,
    },
    CustomerCustomFieldChanged {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_value: Option<Value>,
    },
    CustomerCustomFieldRemoved {
        name: String,
    },
    CustomerCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_type_id: Option<String>,
    },
    CustomerCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_type_id: Option<String>,
    },
    CustomerAddressCustomFieldAdded {
        name: String,
        value: Value,
        address_id: String,
    },
    CustomerAddressCustomFieldChanged {
        name: String,
        value: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_value: Option<Value>,
        address_id: String,
    },
    CustomerAddressCustomFieldRemoved {
        name: String,
        address_id: String,
    },
    CustomerAddressCustomTypeSet {
        custom_fields: CustomFields,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_type_id: Option<String>,
        address_id: String,
    },
    CustomerAddressCustomTypeRemoved {
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_type_id: Option<String>,
        address_id: String,
    },
    CustomerPasswordUpdated {
        reset: bool,
    },
    CustomerEmailVerified {},
    CustomerPasswordTokenCreated {
        customer_id: String,
        expires_at: String,
        /// Only for tokens that live at most 60 minutes.
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        invalidate_older_tokens: bool,
    },
    CustomerEmailTokenCreated {
        customer_id: String,
        expires_at: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        invalidate_older_tokens: bool,
    },
}
