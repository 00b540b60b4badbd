//! The small value types resources share: who made a change (`ClientLogging`), references to
//! other resources and the identifiers clients send for them, and custom fields.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::json::invalid_shape;
use super::validate;

/// Who made or last changed a resource (`createdBy` / `lastModifiedBy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientLogging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// The associate a B2B request acted as (`/as-associate/{id}/…`, `/me/business-units`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associate: Option<Reference>,
    pub is_platform_client: bool,
}

impl ClientLogging {
    /// Logging for a request made with an API client's token.
    pub fn client(client_id: &str) -> Self {
        ClientLogging {
            client_id: Some(client_id.to_string()),
            external_user_id: None,
            customer: None,
            anonymous_id: None,
            associate: None,
            is_platform_client: false,
        }
    }

    /// The same, acting as the associate `customer_id` (and, `me`, with that customer's own
    /// token).
    pub fn as_associate(self, customer_id: &str, me: bool) -> Self {
        let reference = Reference {
            type_id: "customer".into(),
            id: Some(customer_id.to_string()),
            key: None,
        };
        ClientLogging {
            customer: me.then(|| reference.clone()).or(self.customer),
            associate: Some(reference),
            ..self
        }
    }
}

/// A reference to another resource: `{typeId, id}` as stored and answered (`key` is kept only
/// where a resource is known by key, and in references stored before their resource was
/// checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// Drafts may omit it; stored references always carry it.
    #[serde(default)]
    pub type_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// `{typeId: "store", key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreKeyReference {
    pub type_id: String,
    pub key: String,
}

impl StoreKeyReference {
    pub fn new(key: &str) -> Self {
        StoreKeyReference {
            type_id: "store".into(),
            key: key.to_string(),
        }
    }
}

/// Custom fields: a type reference and free-form field values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFields {
    #[serde(rename = "type")]
    pub type_ref: Reference,
    #[serde(default)]
    pub fields: Map<String, Value>,
}

/// A ResourceIdentifier as clients send it: `{typeId?, id?, key?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceIdentifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Reference {
    /// `{typeId, id}`.
    pub fn to(type_id: &str, id: &str) -> Reference {
        Reference {
            type_id: type_id.into(),
            id: Some(id.into()),
            key: None,
        }
    }
}

impl From<&Reference> for ResourceIdentifier {
    /// The identifier a draft's reference gives (its `typeId` may be empty in drafts).
    fn from(given: &Reference) -> Self {
        ResourceIdentifier {
            type_id: (!given.type_id.is_empty()).then(|| given.type_id.clone()),
            id: given.id.clone(),
            key: given.key.clone(),
        }
    }
}

impl ResourceIdentifier {
    /// An identifier by id.
    pub fn by_id(id: &str) -> ResourceIdentifier {
        ResourceIdentifier {
            type_id: None,
            id: Some(id.into()),
            key: None,
        }
    }

    /// Whether it names the resource with this id (and key).
    pub fn names(&self, id: &str, key: Option<&str>) -> bool {
        match (&self.id, &self.key) {
            (Some(wanted), _) => wanted == id,
            (None, Some(wanted)) => key == Some(wanted.as_str()),
            (None, None) => false,
        }
    }

    /// Checks the identifier (a matching `typeId` if given; exactly one of `id` and `key`) and
    /// turns it into a stored reference.
    pub fn resolve(&self, path: &str, type_id: &str) -> Result<Reference, ApiError> {
        if let Some(given) = &self.type_id {
            if given != type_id {
                return Err(invalid_shape(
                    &format!("{path} -> typeId"),
                    &format!("expected \"{type_id}\", found \"{given}\""),
                ));
            }
        }
        match (&self.id, &self.key) {
            (Some(_), Some(_)) => Err(invalid_shape(
                path,
                "Either 'id' or 'key' must be set, not both.",
            )),
            (None, None) => Err(invalid_shape(path, "Either 'id' or 'key' must be set.")),
            (id, key) => Ok(Reference {
                type_id: type_id.to_string(),
                id: id.clone(),
                key: key.clone(),
            }),
        }
    }

    /// Stores are known by key only: an id cannot be mapped to a store key here.
    pub fn store_key(&self, path: &str) -> Result<String, ApiError> {
        let reference = self.resolve(path, "store")?;
        match (reference.key, reference.id) {
            (Some(key), _) => {
                validate::key(&format!("{path}.key"), &key)?;
                Ok(key)
            }
            (None, id) => Err(ApiError::ReferencedResourceNotFound {
                type_id: "store".into(),
                id,
                key: None,
            }),
        }
    }
}

/// CustomFieldsDraft: `{type: TypeResourceIdentifier, fields?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldsDraft {
    #[serde(rename = "type")]
    pub type_identifier: ResourceIdentifier,
    #[serde(default)]
    pub fields: Option<Map<String, Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_identifiers() {
        let both = ResourceIdentifier {
            type_id: None,
            id: Some("1".into()),
            key: Some("k".into()),
        };
        assert!(matches!(
            both.resolve("customerGroup", "customer-group"),
            Err(ApiError::InvalidJsonInput { .. })
        ));
        let wrong_type = ResourceIdentifier {
            type_id: Some("cart".into()),
            id: Some("1".into()),
            key: None,
        };
        assert!(wrong_type
            .resolve("customerGroup", "customer-group")
            .is_err());
        let by_id = ResourceIdentifier {
            type_id: None,
            id: Some("1".into()),
            key: None,
        };
        assert!(matches!(
            by_id.store_key("stores[0]"),
            Err(ApiError::ReferencedResourceNotFound { .. })
        ));
    }
}
