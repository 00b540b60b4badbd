//! The Customer resource: its representation ([`Customer`], exactly the response body; the
//! password field holds the masked value, never the hash) and what is stored beside it
//! ([`StoredCustomer`]), on the versioned-resource shape (`domain::resource`).
//!
//! Where its rules live: the draft and creation in [`draft`], one file per group of update
//! actions in [`actions`], deletion in [`delete`], sign-in, passwords and tokens in
//! [`credentials`], the writes its Durable Object serializes in [`writes`], its messages in
//! [`messages`], what it may hold in [`limits`], its query schema in [`schema`], what `/me`
//! may touch in [`me`].

pub mod actions;
pub mod credentials;
pub mod delete;
pub mod draft;
pub mod limits;
pub mod me;
pub mod messages;
pub mod schema;
#[cfg(test)]
pub mod testing;
pub mod writes;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::refs::{ClientLogging, CustomFields, Reference, StoreKeyReference};
use crate::domain::resource::{Meta, Resource};
use crate::domain::values::{Email, Key, PasswordHash};

/// `Password` (default) or `ExternalAuth` (no password).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AuthenticationMode {
    #[default]
    Password,
    ExternalAuth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerGroupAssignment {
    pub customer_group: Reference,
}

/// A postal address. `id` is assigned by the API; everything else is as the client sent it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_street_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apartment: Option<String>,
    #[serde(default, rename = "pOBox", skip_serializing_if = "Option::is_none")]
    pub p_o_box: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_address_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
}

/// The Customer representation, in the key order real responses use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// The masked password (`"****" + last 4 of the hash`), present in `Password` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub addresses: Vec<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_shipping_address_id: Option<String>,
    pub shipping_address_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_billing_address_id: Option<String>,
    pub billing_address_ids: Vec<String>,
    pub is_email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group: Option<Reference>,
    pub customer_group_assignments: Vec<CustomerGroupAssignment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub stores: Vec<StoreKeyReference>,
    pub authentication_mode: AuthenticationMode,
}

impl Resource for Customer {
    const TYPE_ID: &'static str = "customer";

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    /// `{key?, externalId?, customerNumber?}`, if any is set.
    fn user_provided_identifiers(&self) -> Option<Value> {
        let mut ids = Map::new();
        if let Some(key) = &self.key {
            ids.insert("key".into(), key.as_str().into());
        }
        if let Some(external_id) = &self.external_id {
            ids.insert("externalId".into(), external_id.clone().into());
        }
        if let Some(number) = &self.customer_number {
            ids.insert("customerNumber".into(), number.clone().into());
        }
        (!ids.is_empty()).then_some(Value::Object(ids))
    }
}

impl Customer {
    /// The email as uniqueness and sign-in compare it.
    pub fn lowercase_email(&self) -> &str {
        self.email.lowercase()
    }

    /// The store keys of a store-specific customer; empty for a global one.
    pub fn store_keys(&self) -> Vec<&str> {
        self.stores.iter().map(|s| s.key.as_str()).collect()
    }

    /// In-store endpoints see a customer of that store, or one with no stores at all.
    pub fn visible_in_store(&self, store: &str) -> bool {
        self.stores.is_empty() || self.stores.iter().any(|s| s.key == store)
    }

    /// The (lower-case email, store) pairs this customer holds: one `""` scope for a global
    /// customer, one per store for a store customer. Together with the database rule that a
    /// global claim excludes every other claim on the email, this is the uniqueness rule.
    pub fn email_claims(&self) -> Vec<(String, String)> {
        let email = self.lowercase_email().to_string();
        if self.stores.is_empty() {
            vec![(email, String::new())]
        } else {
            self.stores
                .iter()
                .map(|s| (email.clone(), s.key.clone()))
                .collect()
        }
    }

    /// Reads a stored representation. Unlike a request body, whose nesting the JSON reader
    /// limits, a stored document is read whatever its depth: what was stored must read back.
    pub fn from_stored(doc: &str) -> Result<Customer, serde_json::Error> {
        let mut reader = serde_json::Deserializer::from_str(doc);
        reader.disable_recursion_limit();
        let customer = Customer::deserialize(&mut reader)?;
        reader.end()?;
        Ok(customer)
    }

    /// What is known of a customer whose stored document cannot be read at all: the fields
    /// kept in columns beside it. Enough to delete it, nothing more.
    pub fn skeleton(columns: SkeletonColumns) -> Customer {
        Customer {
            meta: Meta {
                id: columns.id,
                version: columns.version,
                version_modified_at: columns.last_modified_at.clone(),
                last_message_sequence_number: columns.last_message_sequence_number,
                created_at: columns.created_at,
                last_modified_at: columns.last_modified_at,
                last_modified_by: ClientLogging::client(""),
                created_by: ClientLogging::client(""),
            },
            key: columns.key.and_then(|k| Key::try_from_str(&k)),
            customer_number: columns.customer_number,
            external_id: columns.external_id,
            email: Email::stored(&columns.email),
            first_name: None,
            last_name: None,
            middle_name: None,
            title: None,
            salutation: None,
            date_of_birth: None,
            company_name: None,
            vat_id: None,
            password: None,
            addresses: Vec::new(),
            default_shipping_address_id: None,
            shipping_address_ids: Vec::new(),
            default_billing_address_id: None,
            billing_address_ids: Vec::new(),
            is_email_verified: false,
            customer_group: None,
            customer_group_assignments: Vec::new(),
            custom: None,
            locale: None,
            stores: columns
                .stores
                .iter()
                .map(|k| StoreKeyReference::new(k))
                .collect(),
            authentication_mode: AuthenticationMode::Password,
        }
    }

    /// The response body: the representation as JSON text.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).expect("a Customer always serializes")
    }
}

/// The columns stored beside a customer's document (see [`Customer::skeleton`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SkeletonColumns {
    pub id: String,
    pub version: u64,
    pub last_message_sequence_number: u64,
    pub key: Option<String>,
    pub customer_number: Option<String>,
    pub external_id: Option<String>,
    pub email: String,
    pub stores: Vec<String>,
    pub created_at: String,
    pub last_modified_at: String,
}

/// A customer together with what is stored beside it but never shown: the password hash, and
/// from when on password and email tokens and OAuth sessions are valid (ms since the epoch; a
/// token created earlier is void: used, or invalidated by a newer token, a reset or an email
/// change; a session begun before a password reset is void).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCustomer {
    pub customer: Customer,
    pub password_hash: Option<PasswordHash>,
    pub password_tokens_valid_from: i64,
    pub email_tokens_valid_from: i64,
    pub sessions_valid_from: i64,
    /// A password an update set (`setAuthenticationMode` to `Password`), still to be hashed:
    /// the writer derives it once the whole update is applied ([`StoredCustomer::with_password_hash`]).
    /// Never stored.
    pub new_password: Option<String>,
}

impl StoredCustomer {
    /// Voids the password tokens issued up to `now_ms` (marks only ever move forward).
    pub fn void_password_tokens(&mut self, now_ms: i64) {
        self.password_tokens_valid_from = self
            .password_tokens_valid_from
            .max(now_ms.saturating_add(1));
    }

    /// Voids the email tokens issued up to `now_ms`.
    pub fn void_email_tokens(&mut self, now_ms: i64) {
        self.email_tokens_valid_from = self.email_tokens_valid_from.max(now_ms.saturating_add(1));
    }

    /// Voids the OAuth sessions begun up to `now_ms`.
    pub fn void_sessions(&mut self, now_ms: i64) {
        self.sessions_valid_from = self.sessions_valid_from.max(now_ms.saturating_add(1));
    }

    pub fn new(customer: Customer, password_hash: Option<String>) -> Self {
        StoredCustomer {
            customer,
            password_hash: password_hash.map(PasswordHash::new),
            password_tokens_valid_from: 0,
            email_tokens_valid_from: 0,
            sessions_valid_from: 0,
            new_password: None,
        }
    }

    /// Puts in place the hash of a new password (and its mask in the representation).
    pub fn with_password_hash(mut self, hash: String) -> Self {
        self.customer.password = Some(crate::domain::password::mask(&hash));
        self.password_hash = Some(PasswordHash::new(hash));
        self.new_password = None;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::testing::*;

    #[test]
    fn void_marks_only_move_forward() {
        let mut stored = basic();
        stored.void_password_tokens(100);
        stored.void_email_tokens(100);
        stored.void_sessions(100);
        // A write stamped earlier (a clock behind another location's) keeps the later mark.
        stored.void_password_tokens(50);
        stored.void_email_tokens(50);
        stored.void_sessions(50);
        assert_eq!(
            (
                stored.password_tokens_valid_from,
                stored.email_tokens_valid_from,
                stored.sessions_valid_from
            ),
            (101, 101, 101)
        );
        stored.void_sessions(i64::MAX);
        assert_eq!(stored.sessions_valid_from, i64::MAX);
    }

    #[test]
    fn stored_documents_read_back_at_any_depth() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let doc = format!(
            r#"{{"id":"c1","version":3,"versionModifiedAt":"2024-01-01T00:00:00.000Z","lastMessageSequenceNumber":3,"createdAt":"2024-01-01T00:00:00.000Z","lastModifiedAt":"2024-01-01T00:00:00.000Z","lastModifiedBy":{{"isPlatformClient":false}},"createdBy":{{"isPlatformClient":false}},"email":"a@b.c","addresses":[{{"id":"a1","country":"DE","custom":{{"type":{{"typeId":"type","key":"t"}},"fields":{{"deep":{deep}}}}}}}],"shippingAddressIds":[],"billingAddressIds":[],"isEmailVerified":false,"customerGroupAssignments":[],"stores":[],"authenticationMode":"Password"}}"#
        );
        assert!(
            serde_json::from_str::<Customer>(&doc).is_err(),
            "the plain reader stops at 128"
        );
        let customer = Customer::from_stored(&doc).unwrap();
        assert_eq!(customer.meta.version, 3);
        assert!(Customer::from_stored("{not json").is_err());
    }

    #[test]
    fn a_skeleton_keeps_the_columns() {
        let skeleton = Customer::skeleton(SkeletonColumns {
            id: "c1".into(),
            version: 4,
            last_message_sequence_number: 6,
            key: Some("k".into()),
            customer_number: None,
            external_id: None,
            email: "A@b.c".into(),
            stores: vec!["s1".into()],
            created_at: "2024-01-01T00:00:00.000Z".into(),
            last_modified_at: "2024-01-02T00:00:00.000Z".into(),
        });
        assert_eq!(
            (
                skeleton.meta.version,
                skeleton.meta.last_message_sequence_number
            ),
            (4, 6)
        );
        assert_eq!(skeleton.store_keys(), vec!["s1"]);
        assert_eq!(skeleton.lowercase_email(), "a@b.c");
    }
}
