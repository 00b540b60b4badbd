//! Messages: the change events a write produces, stored in the same D1 batch as the write.
//! Each carries its resource, the resource version it produced and a per-resource sequence
//! number (the customer's `lastMessageSequenceNumber` is the latest one).

use serde::Serialize;
use serde_json::Value;

use super::customer::{
    Address, ClientLogging, CustomFields, Customer, CustomerGroupAssignment, Reference,
    StoreKeyReference,
};
use super::ids::{new_uuid, Random};

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

impl Payload {
    /// The message `type`.
    pub fn type_name(&self) -> String {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub version: u64,
    pub created_at: String,
    pub last_modified_at: String,
    pub created_by: ClientLogging,
    pub last_modified_by: ClientLogging,
    pub sequence_number: u64,
    pub resource: Reference,
    pub resource_version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_user_provided_identifiers: Option<Value>,
    #[serde(flatten)]
    pub payload: Payload,
}

impl Message {
    /// A message about `customer` (as it is after the change), produced by a change that
    /// brought it to `resource_version`, with the given per-customer sequence number.
    pub fn about(
        customer: &Customer,
        sequence_number: u64,
        resource_version: u64,
        payload: Payload,
        now: &str,
        by: &ClientLogging,
        rng: &mut dyn Random,
    ) -> Message {
        Message {
            resource_user_provided_identifiers: customer.user_provided_identifiers(),
            ..Message::about_resource(
                customer_reference(&customer.id),
                sequence_number,
                resource_version,
                payload,
                now,
                by,
                rng,
            )
        }
    }

    /// A message about any resource (e.g. a customer token).
    pub fn about_resource(
        resource: Reference,
        sequence_number: u64,
        resource_version: u64,
        payload: Payload,
        now: &str,
        by: &ClientLogging,
        rng: &mut dyn Random,
    ) -> Message {
        Message {
            id: new_uuid(rng),
            version: 1,
            created_at: now.to_string(),
            last_modified_at: now.to_string(),
            created_by: by.clone(),
            last_modified_by: by.clone(),
            sequence_number,
            resource,
            resource_version,
            resource_user_provided_identifiers: None,
            payload,
        }
    }

    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).expect("a Message always serializes")
    }

    /// The resource id the message is about.
    pub fn resource_id(&self) -> &str {
        self.resource.id.as_deref().unwrap_or_default()
    }

    /// The customer the message concerns: its resource, or the customer a token is for.
    pub fn customer_id(&self) -> Option<&str> {
        match &self.payload {
            Payload::CustomerPasswordTokenCreated { customer_id, .. }
            | Payload::CustomerEmailTokenCreated { customer_id, .. } => Some(customer_id),
            _ if self.resource.type_id == "customer" => self.resource.id.as_deref(),
            _ => None,
        }
    }
}

/// `{typeId: "customer", id}`.
pub fn customer_reference(id: &str) -> Reference {
    Reference {
        type_id: "customer".into(),
        id: Some(id.to_string()),
        key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CountingRandom;

    #[test]
    fn payload_is_flattened_with_its_type() {
        let customer: Customer = serde_json::from_value(serde_json::json!({
            "id": "x", "version": 3, "versionModifiedAt": "t", "lastMessageSequenceNumber": 1,
            "createdAt": "t", "lastModifiedAt": "t",
            "createdBy": {"isPlatformClient": false}, "lastModifiedBy": {"isPlatformClient": false},
            "email": "a@b.c", "addresses": [], "shippingAddressIds": [], "billingAddressIds": [],
            "isEmailVerified": false, "customerGroupAssignments": [], "stores": [],
            "authenticationMode": "Password"
        }))
        .unwrap();
        let message = Message::about(
            &customer,
            2,
            3,
            Payload::CustomerDeleted {
                email: Some("a@b.c".into()),
            },
            "t",
            &ClientLogging::client("c"),
            &mut CountingRandom(0),
        );
        let json: Value = serde_json::from_str(&message.to_json_string()).unwrap();
        assert_eq!(json["type"], "CustomerDeleted");
        assert_eq!(json["email"], "a@b.c");
        assert_eq!(json["sequenceNumber"], 2);
        assert_eq!(json["resourceVersion"], 3);
        assert_eq!(json["resource"]["typeId"], "customer");
        assert!(json.get("resourceUserProvidedIdentifiers").is_none());
    }

    #[test]
    fn payload_fields_are_camel_case() {
        let payload = Payload::CustomerEmailChanged {
            email: "n@x".into(),
            old_email: "o@x".into(),
        };
        assert_eq!(
            serde_json::to_value(&payload).unwrap(),
            serde_json::json!({"type": "CustomerEmailChanged", "email": "n@x", "oldEmail": "o@x"})
        );
        assert_eq!(payload.type_name(), "CustomerEmailChanged");
    }
}
