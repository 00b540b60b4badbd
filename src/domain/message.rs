//! Messages: the change events a write produces, stored in the same D1 batch as the write.
//! Each carries its resource, the resource version it produced and a per-resource sequence
//! number (the resource's `lastMessageSequenceNumber` is the latest one). What a message says
//! besides (its `type` and payload fields) is the resource's own: any `Serialize` value that
//! serializes as `{"type": …, …}`.
//!
//! Messages are read through `GET /{projectKey}/messages`, queried over [`FIELDS`].

use serde::Serialize;
use serde_json::{Map, Value};

use super::ids::{new_uuid, Random};
use super::predicate::resolve::sort_key;
use super::predicate::schema::{field, Field, FieldType, Kind, CLIENT_LOGGING, REFERENCE, STR};
use super::query::Query;
use super::refs::{ClientLogging, Reference};
use super::resource::Resource;

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
    /// `type` and the type-specific fields.
    #[serde(flatten)]
    pub payload: Map<String, Value>,
}

/// What a message says, before it is sent (given an id, a time and an author).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDraft {
    resource: Reference,
    resource_user_provided_identifiers: Option<Value>,
    sequence_number: u64,
    resource_version: u64,
    payload: Map<String, Value>,
}

impl Message {
    /// A message about `resource` (as it is after the change), produced by a change that
    /// brought it to `resource_version`, with the resource's next sequence number.
    pub fn about<R: Resource, P: Serialize>(
        resource: &R,
        sequence_number: u64,
        resource_version: u64,
        payload: &P,
    ) -> MessageDraft {
        MessageDraft {
            resource_user_provided_identifiers: resource.user_provided_identifiers(),
            ..Message::about_reference(
                reference(R::TYPE_ID, &resource.meta().id),
                sequence_number,
                resource_version,
                payload,
            )
        }
    }

    /// A message about whatever `resource` names (e.g. a customer, for its tokens).
    pub fn about_reference<P: Serialize>(
        resource: Reference,
        sequence_number: u64,
        resource_version: u64,
        payload: &P,
    ) -> MessageDraft {
        let payload = match serde_json::to_value(payload) {
            Ok(Value::Object(fields)) => fields,
            _ => panic!("a message payload serializes as an object"),
        };
        MessageDraft {
            resource,
            resource_user_provided_identifiers: None,
            sequence_number,
            resource_version,
            payload,
        }
    }

    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).expect("a Message always serializes")
    }

    /// The message `type`.
    pub fn type_name(&self) -> &str {
        self.payload
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The resource id the message is about.
    pub fn resource_id(&self) -> &str {
        self.resource.id.as_deref().unwrap_or_default()
    }

    /// The customer the message concerns: its resource, or the customer a token is for.
    pub fn customer_id(&self) -> Option<&str> {
        match self.payload.get("customerId").and_then(Value::as_str) {
            Some(id) => Some(id),
            None if self.resource.type_id == "customer" => self.resource.id.as_deref(),
            None => None,
        }
    }
}

impl MessageDraft {
    /// The message, sent at `now` by `by`.
    pub fn sent(self, now: &str, by: &ClientLogging, rng: &mut dyn Random) -> Message {
        Message {
            id: new_uuid(rng),
            version: 1,
            created_at: now.to_string(),
            last_modified_at: now.to_string(),
            created_by: by.clone(),
            last_modified_by: by.clone(),
            sequence_number: self.sequence_number,
            resource: self.resource,
            resource_version: self.resource_version,
            resource_user_provided_identifiers: self.resource_user_provided_identifiers,
            payload: self.payload,
        }
    }
}

/// `resourceUserProvidedIdentifiers`: what the resource's owner named it by.
pub static USER_PROVIDED_IDENTIFIERS: &[Field] = &[
    field("key", STR),
    field("externalId", STR),
    field("customerNumber", STR),
];

/// The queryable fields of a message: the envelope every message has. The type-specific
/// fields differ from type to type and are not queryable (our choice; an unknown field is a
/// 400).
pub static FIELDS: &[Field] = &[
    field("id", STR),
    field("version", FieldType::Scalar(Kind::Num)),
    field("createdAt", FieldType::Scalar(Kind::DateTime)),
    field("lastModifiedAt", FieldType::Scalar(Kind::DateTime)),
    field("createdBy", FieldType::Object(CLIENT_LOGGING)),
    field("lastModifiedBy", FieldType::Object(CLIENT_LOGGING)),
    field("sequenceNumber", FieldType::Scalar(Kind::Num)),
    field("resource", FieldType::Object(REFERENCE)),
    field("resourceVersion", FieldType::Scalar(Kind::Num)),
    field("type", STR),
    field(
        "resourceUserProvidedIdentifiers",
        FieldType::Object(USER_PROVIDED_IDENTIFIERS),
    ),
];

/// A message query without `sort` lists the messages in the order they were created (then by
/// id): the order a reader follows, and the order of the `(type, createdAt)` and `createdAt`
/// indexes.
pub fn in_creation_order(query: &mut Query) {
    if query.sort.is_empty() {
        query
            .sort
            .push(sort_key("createdAt asc", FIELDS).expect("createdAt is a message field"));
    }
}

/// `{typeId, id}`.
pub fn reference(type_id: &str, id: &str) -> Reference {
    Reference {
        type_id: type_id.into(),
        id: Some(id.to_string()),
        key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CountingRandom;
    use crate::domain::resource::Meta;
    use serde_json::json;

    struct Thing(Meta);

    impl Resource for Thing {
        const TYPE_ID: &'static str = "thing";
        fn meta(&self) -> &Meta {
            &self.0
        }
        fn meta_mut(&mut self) -> &mut Meta {
            &mut self.0
        }
        fn user_provided_identifiers(&self) -> Option<Value> {
            Some(json!({"key": "k"}))
        }
    }

    #[derive(Serialize)]
    #[serde(tag = "type", rename_all_fields = "camelCase")]
    enum Said {
        ThingRenamed { new_name: String },
    }

    #[test]
    fn payload_is_flattened_with_its_type() {
        let thing = Thing(Meta::new("x".into(), "t", &ClientLogging::client("c")));
        let message = Message::about(
            &thing,
            2,
            3,
            &Said::ThingRenamed {
                new_name: "n".into(),
            },
        )
        .sent("now", &ClientLogging::client("c"), &mut CountingRandom(0));
        let json: Value = serde_json::from_str(&message.to_json_string()).unwrap();
        assert_eq!(json["type"], "ThingRenamed");
        assert_eq!(json["newName"], "n");
        assert_eq!(json["sequenceNumber"], 2);
        assert_eq!(json["resourceVersion"], 3);
        assert_eq!(json["resource"], json!({"typeId": "thing", "id": "x"}));
        assert_eq!(json["resourceUserProvidedIdentifiers"], json!({"key": "k"}));
        assert_eq!(json["createdAt"], "now");
        assert_eq!(message.type_name(), "ThingRenamed");
        assert_eq!(message.customer_id(), None);
    }

    #[test]
    fn unsorted_queries_follow_creation_order() {
        let mut query = crate::domain::query::from_params(&[], FIELDS).unwrap();
        in_creation_order(&mut query);
        assert_eq!(query.sort.len(), 1);
        assert_eq!(query.sort[0].path.keys, vec!["createdAt".to_string()]);
        assert!(!query.sort[0].descending);
        let params = vec![("sort".to_string(), "sequenceNumber desc".to_string())];
        let mut sorted = crate::domain::query::from_params(&params, FIELDS).unwrap();
        in_creation_order(&mut sorted);
        assert_eq!(sorted.sort.len(), 1);
        assert!(sorted.sort[0].descending);
    }

    #[test]
    fn token_messages_concern_their_customer() {
        let message = Message::about_reference(
            reference("customer", "c1"),
            1,
            1,
            &json!({"type": "CustomerPasswordTokenCreated", "customerId": "c1"}),
        )
        .sent("now", &ClientLogging::client("c"), &mut CountingRandom(0));
        assert_eq!(message.customer_id(), Some("c1"));
    }
}
