//! Messages: the change events a write produces, stored in the same D1 batch as the write.
//! Each carries its resource, the resource version it produced and a per-resource sequence
//! number (the customer's `lastMessageSequenceNumber` is the latest one).

use serde::Serialize;
use serde_json::Value;

use super::customer::{ClientLogging, Reference};

/// The type-specific part of a message (its `type` and payload fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Payload {
    CustomerCreated {
        customer: Value,
    },
    CustomerDeleted {
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<String>,
    },
}

impl Payload {
    pub fn type_name(&self) -> &'static str {
        match self {
            Payload::CustomerCreated { .. } => "CustomerCreated",
            Payload::CustomerDeleted { .. } => "CustomerDeleted",
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
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).expect("a Message always serializes")
    }

    /// The resource id the message is about.
    pub fn resource_id(&self) -> &str {
        self.resource.id.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_flattened_with_its_type() {
        let message = Message {
            id: "m".into(),
            version: 1,
            created_at: "t".into(),
            last_modified_at: "t".into(),
            created_by: ClientLogging::client("c"),
            last_modified_by: ClientLogging::client("c"),
            sequence_number: 2,
            resource: Reference {
                type_id: "customer".into(),
                id: Some("x".into()),
                key: None,
            },
            resource_version: 3,
            resource_user_provided_identifiers: None,
            payload: Payload::CustomerDeleted {
                email: Some("a@b.c".into()),
            },
        };
        let json: Value = serde_json::from_str(&message.to_json_string()).unwrap();
        assert_eq!(json["type"], "CustomerDeleted");
        assert_eq!(json["email"], "a@b.c");
        assert_eq!(json["sequenceNumber"], 2);
        assert_eq!(json["resource"]["typeId"], "customer");
        assert!(json.get("resourceUserProvidedIdentifiers").is_none());
    }
}
