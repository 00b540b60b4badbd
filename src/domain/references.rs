//! The resources a write refers to — custom types, customer groups, and for business units
//! customers, associate roles and parent units: which ones it needs
//! ([`Wanted`], collected from the draft, the actions and the current state before anything is
//! decided) and those the store loaded ([`Referenced`]). References given by id or key are
//! resolved against them to `{typeId, id}` (one that does not exist → 400
//! `ReferencedResourceNotFound`), and custom fields are checked against their type.
//!
//! That a referenced resource still exists when the write is stored, and that a referenced
//! resource is not deleted, is the store's to guarantee (guards in the same D1 batch).

use serde_json::{Map, Value};

use super::associate_role::AssociateRole;
use super::business_unit::BusinessUnit;
use super::custom_type::{fields, Type};
use super::error::ApiError;
use super::ids::Random;
use super::limits;
use super::refs::{CustomFields, CustomFieldsDraft, Reference, ResourceIdentifier};

/// What an update action may use besides the state: randomness and the referenced resources.
pub struct ActionContext<'a> {
    pub rng: &'a mut dyn Random,
    pub refs: &'a Referenced,
}

/// The referenced resources a write needs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Wanted {
    pub types: Vec<ResourceIdentifier>,
    pub groups: Vec<ResourceIdentifier>,
    pub customers: Vec<ResourceIdentifier>,
    pub roles: Vec<ResourceIdentifier>,
    /// Business units, each with its ancestors.
    pub units: Vec<ResourceIdentifier>,
    /// Business units (by key) whose subtree height is needed.
    pub subtrees: Vec<String>,
}

impl Wanted {
    pub fn custom_type(&mut self, identifier: &ResourceIdentifier) {
        push_new(&mut self.types, identifier.clone());
    }

    /// The type of custom fields the resource holds (their fields are checked against it).
    pub fn custom_of(&mut self, custom: &Option<CustomFields>) {
        if let Some(id) = custom.as_ref().and_then(|c| c.type_ref.id.clone()) {
            self.custom_type(&ResourceIdentifier::by_id(&id));
        }
    }

    pub fn group(&mut self, identifier: &ResourceIdentifier) {
        push_new(&mut self.groups, identifier.clone());
    }

    pub fn customer(&mut self, identifier: &ResourceIdentifier) {
        push_new(&mut self.customers, identifier.clone());
    }

    pub fn role(&mut self, identifier: &ResourceIdentifier) {
        push_new(&mut self.roles, identifier.clone());
    }

    /// A business unit and its ancestors.
    pub fn unit(&mut self, identifier: &ResourceIdentifier) {
        push_new(&mut self.units, identifier.clone());
    }

    /// How many levels lie below the unit with `key`.
    pub fn subtree(&mut self, key: &str) {
        push_new(&mut self.subtrees, key.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.subtrees.is_empty()
            && self.types.is_empty()
            && self.groups.is_empty()
            && self.customers.is_empty()
            && self.roles.is_empty()
            && self.units.is_empty()
    }
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A customer group as references see it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRef {
    pub id: String,
    pub key: Option<String>,
}

/// The referenced resources the store found (a wanted one that is not here does not exist).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Referenced {
    pub types: Vec<Type>,
    pub groups: Vec<GroupRef>,
    /// Customers, as references see them (id and key).
    pub customers: Vec<GroupRef>,
    pub roles: Vec<AssociateRole>,
    /// The wanted business units and their ancestors.
    pub units: Vec<BusinessUnit>,
    /// How many levels lie below the wanted units (by key).
    pub subtree_heights: Vec<(String, usize)>,
}

fn not_found(type_id: &str, identifier: &ResourceIdentifier) -> ApiError {
    ApiError::ReferencedResourceNotFound {
        type_id: type_id.into(),
        id: identifier.id.clone(),
        key: identifier.key.clone(),
    }
}

impl Referenced {
    /// The custom type an identifier names.
    pub fn custom_type(
        &self,
        identifier: &ResourceIdentifier,
        path: &str,
    ) -> Result<&Type, ApiError> {
        identifier.resolve(path, "type")?;
        self.types
            .iter()
            .find(|t| identifier.names(&t.meta.id, Some(t.key.as_str())))
            .ok_or_else(|| not_found("type", identifier))
    }

    /// `{typeId: "customer-group", id}` for the group an identifier names.
    pub fn group(
        &self,
        identifier: &ResourceIdentifier,
        path: &str,
    ) -> Result<Reference, ApiError> {
        identifier.resolve(path, "customer-group")?;
        self.groups
            .iter()
            .find(|g| identifier.names(&g.id, g.key.as_deref()))
            .map(|g| Reference::to("customer-group", &g.id))
            .ok_or_else(|| not_found("customer-group", identifier))
    }

    /// `{typeId: "customer", id}` for the customer an identifier names.
    pub fn customer(
        &self,
        identifier: &ResourceIdentifier,
        path: &str,
    ) -> Result<Reference, ApiError> {
        identifier.resolve(path, "customer")?;
        self.customers
            .iter()
            .find(|c| identifier.names(&c.id, c.key.as_deref()))
            .map(|c| Reference::to("customer", &c.id))
            .ok_or_else(|| not_found("customer", identifier))
    }

    /// The associate role an identifier names.
    pub fn role(
        &self,
        identifier: &ResourceIdentifier,
        path: &str,
    ) -> Result<&AssociateRole, ApiError> {
        identifier.resolve(path, "associate-role")?;
        self.roles
            .iter()
            .find(|r| identifier.names(&r.meta.id, Some(r.key.as_str())))
            .ok_or_else(|| not_found("associate-role", identifier))
    }

    /// The business unit an identifier names.
    pub fn unit(
        &self,
        identifier: &ResourceIdentifier,
        path: &str,
    ) -> Result<&BusinessUnit, ApiError> {
        identifier.resolve(path, "business-unit")?;
        self.units
            .iter()
            .find(|u| identifier.names(&u.meta.id, Some(u.key.as_str())))
            .ok_or_else(|| not_found("business-unit", identifier))
    }

    /// How many levels lie below the unit with `key` (0 for a leaf, or if unknown).
    pub fn subtree_height(&self, key: &str) -> usize {
        self.subtree_heights
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, h)| *h)
    }

    /// The business unit with `key`, among the loaded ones.
    pub fn unit_by_key(&self, key: &str) -> Option<&BusinessUnit> {
        self.units.iter().find(|u| u.key.as_str() == key)
    }

    /// The custom fields a draft gives a resource of `resource_type_id`, at `path`: their type
    /// must exist and serve that resource type; every value is checked against it.
    pub fn custom_fields(
        &self,
        draft: &CustomFieldsDraft,
        path: &str,
        resource_type_id: &str,
    ) -> Result<CustomFields, Vec<ApiError>> {
        let type_path = format!("{path} -> type");
        let custom_type = self
            .custom_type(&draft.type_identifier, &type_path)
            .map_err(|e| vec![e])?;
        fields::check_serves(custom_type, resource_type_id).map_err(|e| vec![e])?;
        let given = draft.fields.clone().unwrap_or_default();
        limits::check_custom_fields(path, given.iter()).map_err(|e| vec![e])?;
        let fields = fields::check_all(custom_type, path, &given)?;
        Ok(CustomFields {
            type_ref: Reference::to("type", &custom_type.meta.id),
            fields,
        })
    }

    /// Whether field `name` of the custom fields `custom` may be removed: not a required one.
    pub fn removable(&self, custom: &CustomFields, path: &str, name: &str) -> Result<(), ApiError> {
        let required = self
            .type_of(custom)?
            .field(name)
            .is_some_and(|definition| definition.required);
        if required {
            return Err(ApiError::RequiredField {
                field: format!("{path}.fields.{name}"),
            });
        }
        Ok(())
    }

    fn type_of(&self, custom: &CustomFields) -> Result<&Type, ApiError> {
        let type_id = custom.type_ref.id.as_deref().unwrap_or_default();
        self.types
            .iter()
            .find(|t| t.meta.id == type_id)
            .ok_or_else(|| ApiError::ReferencedResourceNotFound {
                type_id: "type".into(),
                id: Some(type_id.to_string()),
                key: None,
            })
    }

    /// One value of the custom fields `custom` (at `path`), checked against their type.
    pub fn custom_field(
        &self,
        custom: &CustomFields,
        path: &str,
        name: &str,
        value: &Value,
    ) -> Result<Value, ApiError> {
        limits::check_value(&format!("{path}.fields.{name}"), value)?;
        fields::check_one(self.type_of(custom)?, path, name, value)
    }
}

/// A set of field names and values, as drafts and actions give them.
pub type FieldValues = Map<String, Value>;
