//! Business units (`/{projectKey}/business-units`): a **Company** at the top of a tree of
//! **Divisions** (at most [`MAX_DEPTH`] levels), customers attached as **associates** holding
//! associate roles (by key), stores, addresses and custom fields.
//!
//! - [`draft`]: CompanyDraft and DivisionDraft with their defaults and rules;
//! - [`actions`]: the update actions and their messages;
//! - [`addresses`]: the address book (addresses, shipping and billing roles, defaults);
//! - [`associates`]: associate drafts, and an associate's explicit and inherited roles and
//!   permissions in a unit.
//!
//! References are stored as commercetools answers them: the parent unit, the top-level unit,
//! associate roles and stores as key references (keys are immutable, so they stay true);
//! customers as id references. Which of them exist is checked when they are written, and the
//! store keeps them whole (a referenced customer, role or parent cannot be deleted).

pub mod actions;
pub mod addresses;
pub mod associates;
pub mod draft;
pub mod inherited;
pub mod permissions;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::customer::{Address, CustomerGroupAssignment};
use crate::domain::predicate::schema::{
    field, Field, FieldType, Kind, CLIENT_LOGGING, CUSTOM_FIELDS, REFERENCE, STORE_REFERENCE, STR,
};
use crate::domain::refs::{CustomFields, Reference, StoreKeyReference};
use crate::domain::resource::{Meta, Resource};
use crate::domain::values::Key;

/// Most levels of a tree: the Company and four levels of Divisions (commercetools' limit).
pub const MAX_DEPTH: usize = 5;
/// Most associates one unit may have (commercetools' limit).
pub const MAX_ASSOCIATES: usize = 2_000;
/// Most role assignments one associate may have (commercetools' limit).
pub const MAX_ROLE_ASSIGNMENTS: usize = 5;
/// Most stores one unit may have (our limit, as for customers).
pub const MAX_STORES: usize = 100;
/// Most addresses one unit may have (our limit, as for customers).
pub const MAX_ADDRESSES: usize = 200;
/// Most customer-group assignments one unit may have (our limit, as for customers).
pub const MAX_GROUP_ASSIGNMENTS: usize = 100;
/// Longest unit name (our limit).
pub const MAX_NAME_LEN: usize = 256;

/// `Company` or `Division`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnitType {
    Company,
    Division,
}

/// `Active` or `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Active,
    Inactive,
}

/// Where a unit's stores come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreMode {
    Explicit,
    FromParent,
}

/// Where a unit's associates (and approval rules) come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InheritMode {
    Explicit,
    ExplicitAndFromParent,
}

/// Whether a role assignment passes down to Divisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Inheritance {
    Enabled,
    #[default]
    Disabled,
}

/// `{typeId, key}`: how units refer to units and roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyReference {
    pub type_id: String,
    pub key: String,
}

impl KeyReference {
    pub fn unit(key: &str) -> KeyReference {
        KeyReference {
            type_id: "business-unit".into(),
            key: key.into(),
        }
    }

    pub fn role(key: &str) -> KeyReference {
        KeyReference {
            type_id: "associate-role".into(),
            key: key.into(),
        }
    }
}

/// One role an associate holds in a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub associate_role: KeyReference,
    pub inheritance: Inheritance,
}

/// A customer attached to a unit, with its roles there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Associate {
    pub associate_role_assignments: Vec<RoleAssignment>,
    pub customer: Reference,
}

impl Associate {
    pub fn customer_id(&self) -> &str {
        self.customer.id.as_deref().unwrap_or_default()
    }
}

/// The BusinessUnit representation (Company or Division).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessUnit {
    #[serde(flatten)]
    pub meta: Meta,
    pub key: Key,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stores: Option<Vec<StoreKeyReference>>,
    pub store_mode: StoreMode,
    pub unit_type: UnitType,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFields>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_group_assignments: Vec<CustomerGroupAssignment>,
    pub addresses: Vec<Address>,
    pub shipping_address_ids: Vec<String>,
    pub billing_address_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_shipping_address_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_billing_address_id: Option<String>,
    pub associate_mode: InheritMode,
    pub associates: Vec<Associate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_unit: Option<KeyReference>,
    pub top_level_unit: KeyReference,
    pub approval_rule_mode: InheritMode,
}

impl Resource for BusinessUnit {
    const TYPE_ID: &'static str = "business-unit";

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    fn user_provided_identifiers(&self) -> Option<Value> {
        Some(serde_json::json!({"key": self.key.as_str()}))
    }
}

impl BusinessUnit {
    /// The store keys of the unit (its own; inherited stores are not kept).
    pub fn store_keys(&self) -> Vec<String> {
        self.stores
            .iter()
            .flatten()
            .map(|s| s.key.clone())
            .collect()
    }

    /// The associate that is `customer_id`, if any.
    pub fn associate(&self, customer_id: &str) -> Option<&Associate> {
        self.associates
            .iter()
            .find(|a| a.customer_id() == customer_id)
    }
}

static ROLE_ASSIGNMENT: &[Field] = &[
    field("associateRole", FieldType::Object(STORE_REFERENCE)),
    field("inheritance", STR),
];

static ASSOCIATE: &[Field] = &[
    field(
        "associateRoleAssignments",
        FieldType::ObjectArray(ROLE_ASSIGNMENT),
    ),
    field("customer", FieldType::Object(REFERENCE)),
];

static ADDRESS: &[Field] = &[
    field("id", STR),
    field("key", STR),
    field("country", STR),
    field("firstName", STR),
    field("lastName", STR),
    field("streetName", STR),
    field("streetNumber", STR),
    field("postalCode", STR),
    field("city", STR),
    field("region", STR),
    field("state", STR),
    field("company", STR),
    field("department", STR),
    field("email", STR),
    field("phone", STR),
    field("externalId", STR),
];

/// The fields queries on business units may name.
pub static FIELDS: &[Field] = &[
    field("id", STR),
    field("version", FieldType::Scalar(Kind::Num)),
    field("createdAt", FieldType::Scalar(Kind::DateTime)),
    field("lastModifiedAt", FieldType::Scalar(Kind::DateTime)),
    field("createdBy", FieldType::Object(CLIENT_LOGGING)),
    field("lastModifiedBy", FieldType::Object(CLIENT_LOGGING)),
    field("key", STR),
    field("name", STR),
    field("status", STR),
    field("unitType", STR),
    field("storeMode", STR),
    field("associateMode", STR),
    field("approvalRuleMode", STR),
    field("contactEmail", STR),
    field("stores", FieldType::ObjectArray(STORE_REFERENCE)),
    field("parentUnit", FieldType::Object(STORE_REFERENCE)),
    field("topLevelUnit", FieldType::Object(STORE_REFERENCE)),
    field("associates", FieldType::ObjectArray(ASSOCIATE)),
    field("addresses", FieldType::ObjectArray(ADDRESS)),
    field("shippingAddressIds", FieldType::ScalarArray(Kind::Str)),
    field("billingAddressIds", FieldType::ScalarArray(Kind::Str)),
    field("defaultShippingAddressId", STR),
    field("defaultBillingAddressId", STR),
    field("custom", FieldType::Object(CUSTOM_FIELDS)),
];

#[cfg(test)]
mod tests;
