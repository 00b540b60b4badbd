//! Updating a customer: `{version, actions}`, all 34 update actions of the Customer API.
//!
//! The actions of one request apply in order to one copy of the customer; the first failing
//! action fails the request and nothing changes. **Version rule**: the version rises by one for
//! every action that changes the customer; an action that changes nothing (setting a value the
//! customer already has; adding a store, group assignment or address role it already has;
//! removing one it does not have) leaves the version alone and produces no message. (Removing
//! a custom field that does not exist is an error, as the API documents.) Each message carries the version its action produced. `lastModifiedAt`,
//! `versionModifiedAt` and `lastModifiedBy` move only if the version does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::customer::{
    Address, AuthenticationMode, ClientLogging, CustomFields, Customer, CustomerGroupAssignment,
    Reference, StoreKeyReference, StoredCustomer,
};
use super::draft::{
    address_from_draft, duplicate_address_key, push_unique, AddressDraft, CustomFieldsDraft,
    CustomerGroupAssignmentDraft,
};
use super::error::{ApiError, ApiResult, Rejection};
use super::ids::{new_address_id, Random};
use super::json;
use super::limits;
use super::message::{Message, Payload};
use super::password;
use super::time::iso_millis;
use super::validate::{self, ResourceIdentifier};
use super::version::Version;

/// Most actions one request may carry (commercetools' limit).
pub const MAX_ACTIONS: usize = 500;

/// One update action. Optional values that are absent or `null` clear the field.
///
/// Clients send `{"action": "setFirstName", "firstName": …}`; [`parse_request`] turns that into
/// serde's externally tagged form (`{"setFirstName": {…}}`), so that a wrong or missing field
/// is reported with its path, which serde cannot do for internally tagged enums.
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

/// `{version, actions}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateRequest {
    pub version: Version,
    pub actions: Vec<UpdateAction>,
}

/// Parses an update body. Each action is parsed on its own so errors name it
/// (`actions[2] -> action: …`); more than [`MAX_ACTIONS`] actions is a 400.
pub fn parse_request(body: &[u8]) -> Result<UpdateRequest, ApiError> {
    #[derive(Deserialize)]
    struct Raw {
        version: Version,
        actions: Vec<Value>,
    }
    let raw: Raw = json::parse(body)?;
    if raw.actions.len() > MAX_ACTIONS {
        return Err(ApiError::InvalidInput {
            message: format!(
                "An update may carry at most {MAX_ACTIONS} actions; this one has {}.",
                raw.actions.len()
            ),
        });
    }
    let actions = raw
        .actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| parse_action(action, &format!("actions[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(UpdateRequest {
        version: raw.version,
        actions,
    })
}

/// `{"action": name, …fields}` → the action, with errors under `path`.
fn parse_action(action: Value, path: &str) -> Result<UpdateAction, ApiError> {
    let Value::Object(mut fields) = action else {
        return Err(json::invalid_shape(
            path,
            "An update action must be a JSON object.",
        ));
    };
    let name = match fields.shift_remove("action") {
        Some(Value::String(name)) => name,
        None | Some(Value::Null) => {
            return Err(json::invalid_shape(
                &format!("{path} -> action"),
                "Missing required value",
            ))
        }
        Some(other) => {
            return Err(json::invalid_shape(
                &format!("{path} -> action"),
                &format!("expected the name of an update action, found {other}"),
            ))
        }
    };
    let mut tagged = Map::new();
    tagged.insert(name, Value::Object(fields));
    json::from_value(Value::Object(tagged), path)
}

/// Everything an update needs besides the customer and the request.
pub struct UpdateContext<'a> {
    pub now_ms: i64,
    pub by: ClientLogging,
    pub rng: &'a mut dyn Random,
}

/// The customer after an update, the messages it produced, and whether anything changed.
#[derive(Debug)]
pub struct Updated {
    pub stored: StoredCustomer,
    pub messages: Vec<Message>,
    /// The plain password the update leaves the customer with, when it sets a new one
    /// (`setAuthenticationMode` to `Password`): hash it and give it to
    /// [`Updated::with_password_hash`]. Only the password that survives the whole request is
    /// named here, so one request costs at most one derivation.
    pub password_to_hash: Option<String>,
}

/// Stands for a password hash until the adapter has derived it.
const PENDING_HASH: &str = "$pending$";

impl Updated {
    /// True if anything stored changed (the customer, its password, its token marks).
    pub fn changed_from(&self, before: &StoredCustomer) -> bool {
        self.stored != *before
    }

    /// Puts the hash of [`Updated::password_to_hash`] in place.
    pub fn with_password_hash(mut self, hash: String) -> Self {
        self.stored.customer.password = Some(password::mask(&hash));
        self.stored.password_hash = Some(hash);
        self.password_to_hash = None;
        self
    }
}

/// What one action did.
enum Effect {
    Unchanged,
    Changed(Vec<Payload>),
}

use Effect::{Changed, Unchanged};

/// Applies `request` to `current` (all or nothing). A stale `version` is a 409.
pub fn apply(
    current: &StoredCustomer,
    request: &UpdateRequest,
    ctx: UpdateContext<'_>,
) -> ApiResult<Updated> {
    if request.version != current.customer.version {
        return Err(ApiError::ConcurrentModification {
            expected: request.version.get(),
            current: Some(current.customer.version),
        }
        .into());
    }
    let now = iso_millis(ctx.now_ms);
    let mut work = current.clone();
    let mut version = current.customer.version;
    let mut sequence = current.customer.last_message_sequence_number;
    let mut messages = Vec::new();
    let mut new_password = None;
    for action in &request.actions {
        if let Changed(payloads) = apply_action(&mut work, action, ctx.rng, &mut new_password)? {
            version += 1;
            for payload in payloads {
                sequence += 1;
                messages.push(Message::about(
                    &work.customer,
                    sequence,
                    version,
                    payload,
                    &now,
                    &ctx.by,
                    ctx.rng,
                ));
            }
        }
    }
    if version != current.customer.version {
        let c = &mut work.customer;
        c.version = version;
        c.last_message_sequence_number = sequence;
        c.last_modified_at = now.clone();
        c.version_modified_at = now;
        c.last_modified_by = ctx.by;
        // Message payloads that embed the customer's state were taken before these fields
        // moved; that matches what each action produced.
    }
    if work.customer.email != current.customer.email {
        // Email tokens were sent to the old address: they are void now.
        work.void_email_tokens(ctx.now_ms);
    }
    if work.password_hash != current.password_hash {
        // A password set or removed by setAuthenticationMode: reset tokens and sessions that
        // belonged to the old password are void, as after a reset.
        work.void_password_tokens(ctx.now_ms);
        work.void_sessions(ctx.now_ms);
    }
    limits::check_customer(&work.customer, &work.customer.to_json_string())?;
    let password_to_hash =
        new_password.filter(|_| work.password_hash.as_deref() == Some(PENDING_HASH));
    Ok(Updated {
        stored: work,
        messages,
        password_to_hash,
    })
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

/// `Changed` with the message `payload` if `changed`, else `Unchanged`.
fn changed_with(changed: bool, payload: impl FnOnce() -> Payload) -> Effect {
    if changed {
        Changed(vec![payload()])
    } else {
        Unchanged
    }
}

fn changed_silently(changed: bool) -> Effect {
    if changed {
        Changed(Vec::new())
    } else {
        Unchanged
    }
}

fn invalid_input(message: String) -> Rejection {
    ApiError::InvalidInput { message }.into()
}

fn invalid_operation(message: String) -> Rejection {
    ApiError::InvalidOperation { message }.into()
}

/// The index of the address named by `addressId` or `addressKey` (exactly one of them).
fn find_address(c: &Customer, id: &Option<String>, key: &Option<String>) -> ApiResult<usize> {
    let found = match (id, key) {
        (Some(_), Some(_)) => {
            return Err(invalid_input(
                "Either addressId or addressKey must be given, not both.".into(),
            ))
        }
        (None, None) => {
            return Err(invalid_input(
                "Either addressId or addressKey is required.".into(),
            ))
        }
        (Some(id), None) => c
            .addresses
            .iter()
            .position(|a| a.id.as_ref() == Some(id))
            .ok_or_else(|| format!("The customer has no address with ID '{id}'.")),
        (None, Some(key)) => c
            .addresses
            .iter()
            .position(|a| a.key.as_ref() == Some(key))
            .ok_or_else(|| format!("The customer has no address with key '{key}'.")),
    };
    found.map_err(invalid_input)
}

fn address_id_of(c: &Customer, index: usize) -> String {
    c.addresses[index].id.clone().unwrap_or_default()
}

/// `Shipping` / `Billing`, as far as the address plays those roles.
fn address_roles(c: &Customer, id: &str) -> Vec<&'static str> {
    let mut roles = Vec::new();
    if c.shipping_address_ids.iter().any(|a| a == id) {
        roles.push("Shipping");
    }
    if c.billing_address_ids.iter().any(|a| a == id) {
        roles.push("Billing");
    }
    roles
}

/// Checks an address draft against the customer's other addresses (key unique).
fn checked_address(
    c: &Customer,
    draft: &AddressDraft,
    except_index: Option<usize>,
) -> ApiResult<Address> {
    let address = address_from_draft(draft, "address").map_err(Rejection)?;
    if let Some(key) = &address.key {
        let taken = c
            .addresses
            .iter()
            .enumerate()
            .any(|(i, a)| Some(i) != except_index && a.key.as_ref() == Some(key));
        if taken {
            return Err(duplicate_address_key(key).into());
        }
    }
    Ok(address)
}

/// A fresh address id that no address of the customer has.
fn fresh_address_id(c: &Customer, rng: &mut dyn Random) -> String {
    loop {
        let id = new_address_id(rng);
        if !c
            .addresses
            .iter()
            .any(|a| a.id.as_deref() == Some(id.as_str()))
        {
            return id;
        }
    }
}

/// The id (or, failing that, the key) a custom-type reference names, for `previousTypeId`.
fn type_id_of(custom: &Option<CustomFields>) -> Option<String> {
    custom
        .as_ref()
        .and_then(|c| c.type_ref.id.clone().or_else(|| c.type_ref.key.clone()))
}

/// Which address-role list an address-id action works on.
#[derive(Clone, Copy)]
enum Role {
    Shipping,
    Billing,
}

fn role_ids(c: &mut Customer, role: Role) -> (&mut Vec<String>, &mut Option<String>) {
    match role {
        Role::Shipping => (
            &mut c.shipping_address_ids,
            &mut c.default_shipping_address_id,
        ),
        Role::Billing => (
            &mut c.billing_address_ids,
            &mut c.default_billing_address_id,
        ),
    }
}

fn add_role(c: &mut Customer, index: usize, role: Role) -> Effect {
    let id = address_id_of(c, index);
    let (ids, _) = role_ids(c, role);
    if ids.contains(&id) {
        return Unchanged;
    }
    ids.push(id);
    let address = c.addresses[index].clone();
    Changed(vec![match role {
        Role::Shipping => Payload::CustomerShippingAddressAdded { address },
        Role::Billing => Payload::CustomerBillingAddressAdded { address },
    }])
}

fn remove_role(c: &mut Customer, index: usize, role: Role) -> Effect {
    let id = address_id_of(c, index);
    let (ids, default) = role_ids(c, role);
    if !ids.contains(&id) {
        return Unchanged;
    }
    ids.retain(|a| *a != id);
    if default.as_ref() == Some(&id) {
        *default = None;
    }
    let address = c.addresses[index].clone();
    Changed(vec![match role {
        Role::Shipping => Payload::CustomerShippingAddressRemoved { address },
        Role::Billing => Payload::CustomerBillingAddressRemoved { address },
    }])
}

fn set_default_role(c: &mut Customer, index: usize, role: Role) -> Effect {
    let id = address_id_of(c, index);
    let (ids, default) = role_ids(c, role);
    let mut changed = false;
    if !ids.contains(&id) {
        ids.push(id.clone());
        changed = true;
    }
    if default.as_ref() != Some(&id) {
        *default = Some(id);
        changed = true;
    }
    let address = Some(c.addresses[index].clone());
    changed_with(changed, || match role {
        Role::Shipping => Payload::CustomerDefaultShippingAddressSet { address },
        Role::Billing => Payload::CustomerDefaultBillingAddressSet { address },
    })
}

/// setCustomType on the customer or one of its addresses: the new custom fields, if any.
fn new_custom(
    path: &str,
    type_identifier: &Option<ResourceIdentifier>,
    fields: &Option<Map<String, Value>>,
) -> ApiResult<Option<CustomFields>> {
    match type_identifier {
        None => Ok(None),
        Some(identifier) => {
            let draft = CustomFieldsDraft {
                type_identifier: identifier.clone(),
                fields: fields.clone(),
            };
            Ok(Some(draft.resolve(path)?))
        }
    }
}

/// The outcome of setCustomField on some custom fields.
enum FieldChange {
    Added(Value),
    Changed { value: Value, previous: Value },
    Removed,
}

/// setCustomField on the custom fields at `path` (`custom`, `address.custom`).
fn set_field(
    custom: &mut Option<CustomFields>,
    path: &str,
    name: &str,
    value: &Option<Value>,
) -> ApiResult<Option<FieldChange>> {
    if let Some(value) = value {
        limits::check_value(&format!("{path}.fields.{name}"), value)?;
    }
    let Some(custom) = custom.as_mut() else {
        return Err(invalid_operation(
            "There is no custom type set: set one with setCustomType before setting custom fields."
                .into(),
        ));
    };
    match value {
        None => match custom.fields.shift_remove(name) {
            Some(_) => Ok(Some(FieldChange::Removed)),
            None => Err(invalid_operation(format!(
                "The custom field '{name}' cannot be removed: it does not exist."
            ))),
        },
        Some(_)
            if !custom.fields.contains_key(name)
                && custom.fields.len() >= limits::MAX_CUSTOM_FIELDS =>
        {
            Err(ApiError::InvalidInput {
                message: format!(
                    "The custom fields at {path} may hold at most {} fields.",
                    limits::MAX_CUSTOM_FIELDS
                ),
            }
            .into())
        }
        Some(value) => match custom.fields.insert(name.to_string(), value.clone()) {
            None => Ok(Some(FieldChange::Added(value.clone()))),
            Some(previous) if previous == *value => Ok(None),
            Some(previous) => Ok(Some(FieldChange::Changed {
                value: value.clone(),
                previous,
            })),
        },
    }
}

fn resolve_group(identifier: &ResourceIdentifier, path: &str) -> ApiResult<Reference> {
    Ok(identifier.resolve(path, "customer-group")?)
}

fn resolve_assignments(
    drafts: &[CustomerGroupAssignmentDraft],
) -> ApiResult<Vec<CustomerGroupAssignment>> {
    let mut assignments = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let path = format!("customerGroupAssignments[{i}] -> customerGroup");
        push_unique(
            &mut assignments,
            CustomerGroupAssignment {
                customer_group: resolve_group(&draft.customer_group, &path)?,
            },
        );
    }
    Ok(assignments)
}

fn store_ref(identifier: &ResourceIdentifier, path: &str) -> ApiResult<StoreKeyReference> {
    Ok(StoreKeyReference::new(&identifier.store_key(path)?))
}

/// The password of a `setAuthenticationMode` to `Password`: required and not empty.
fn new_password(password: &Option<String>) -> ApiResult<String> {
    match password.as_deref() {
        None => Err(ApiError::RequiredField {
            field: "password".into(),
        }
        .into()),
        Some("") => Err(ApiError::InvalidField {
            field: "password".into(),
            invalid_value: "".into(),
            message: Some("The password must not be empty.".into()),
        }
        .into()),
        Some(plain) => Ok(plain.to_string()),
    }
}

fn apply_action(
    stored: &mut StoredCustomer,
    action: &UpdateAction,
    rng: &mut dyn Random,
    new_plain_password: &mut Option<String>,
) -> ApiResult<Effect> {
    use UpdateAction as A;
    let c = &mut stored.customer;
    Ok(match action {
        A::ChangeEmail { email } => {
            validate::email("email", email)?;
            if c.email == *email {
                Unchanged
            } else {
                let old_email = std::mem::replace(&mut c.email, email.clone());
                c.is_email_verified = false;
                Changed(vec![Payload::CustomerEmailChanged {
                    email: email.clone(),
                    old_email,
                }])
            }
        }
        A::SetFirstName { first_name } => {
            changed_with(set_text(&mut c.first_name, first_name), || {
                Payload::CustomerFirstNameSet {
                    first_name: first_name.clone(),
                }
            })
        }
        A::SetLastName { last_name } => changed_with(set_text(&mut c.last_name, last_name), || {
            Payload::CustomerLastNameSet {
                last_name: last_name.clone(),
            }
        }),
        A::SetMiddleName { middle_name } => {
            changed_silently(set_text(&mut c.middle_name, middle_name))
        }
        A::SetTitle { title } => changed_with(set_text(&mut c.title, title), || {
            Payload::CustomerTitleSet {
                title: title.clone(),
            }
        }),
        A::SetSalutation { salutation } => {
            changed_silently(set_text(&mut c.salutation, salutation))
        }
        A::SetCompanyName { company_name } => {
            changed_with(set_text(&mut c.company_name, company_name), || {
                Payload::CustomerCompanyNameSet {
                    company_name: company_name.clone(),
                }
            })
        }
        A::SetDateOfBirth { date_of_birth } => {
            if let Some(date) = date_of_birth {
                validate::date("dateOfBirth", date)?;
            }
            changed_with(set_text(&mut c.date_of_birth, date_of_birth), || {
                Payload::CustomerDateOfBirthSet {
                    date_of_birth: date_of_birth.clone(),
                }
            })
        }
        A::SetVatId { vat_id } => changed_silently(set_text(&mut c.vat_id, vat_id)),
        A::SetExternalId { external_id } => {
            changed_with(set_text(&mut c.external_id, external_id), || {
                Payload::CustomerExternalIdSet {
                    external_id: external_id.clone(),
                }
            })
        }
        A::SetLocale { locale } => {
            if let Some(locale) = locale {
                validate::locale("locale", locale)?;
            }
            changed_silently(set_text(&mut c.locale, locale))
        }
        A::SetKey { key } => {
            if let Some(key) = key {
                validate::key("key", key)?;
            }
            changed_silently(set_text(&mut c.key, key))
        }
        A::SetCustomerNumber { customer_number } => match (&c.customer_number, customer_number) {
            (Some(current), Some(new)) if current == new => Unchanged,
            (Some(_), _) => {
                return Err(invalid_operation(
                    "A customer number already exists and cannot be set again.".into(),
                ))
            }
            (None, None) => Unchanged,
            (None, Some(new)) => {
                c.customer_number = Some(new.clone());
                Changed(Vec::new())
            }
        },
        A::AddAddress { address } => {
            let mut address = checked_address(c, address, None)?;
            address.id = Some(fresh_address_id(c, rng));
            c.addresses.push(address.clone());
            Changed(vec![Payload::CustomerAddressAdded { address }])
        }
        A::ChangeAddress {
            address_id,
            address_key,
            address,
        } => {
            let index = find_address(c, address_id, address_key)?;
            let mut address = checked_address(c, address, Some(index))?;
            address.id = c.addresses[index].id.clone();
            if c.addresses[index] == address {
                Unchanged
            } else {
                c.addresses[index] = address.clone();
                let address_roles = address_roles(c, address.id.as_deref().unwrap_or_default());
                Changed(vec![Payload::CustomerAddressChanged {
                    address,
                    address_roles,
                }])
            }
        }
        A::RemoveAddress {
            address_id,
            address_key,
        } => {
            let index = find_address(c, address_id, address_key)?;
            let id = address_id_of(c, index);
            let address_roles = address_roles(c, &id);
            let address = c.addresses.remove(index);
            c.shipping_address_ids.retain(|a| *a != id);
            c.billing_address_ids.retain(|a| *a != id);
            if c.default_shipping_address_id.as_ref() == Some(&id) {
                c.default_shipping_address_id = None;
            }
            if c.default_billing_address_id.as_ref() == Some(&id) {
                c.default_billing_address_id = None;
            }
            Changed(vec![Payload::CustomerAddressRemoved {
                address,
                address_roles,
            }])
        }
        A::AddShippingAddressId {
            address_id,
            address_key,
        } => add_role(c, find_address(c, address_id, address_key)?, Role::Shipping),
        A::RemoveShippingAddressId {
            address_id,
            address_key,
        } => remove_role(c, find_address(c, address_id, address_key)?, Role::Shipping),
        A::SetDefaultShippingAddress {
            address_id,
            address_key,
        } => set_default_role(c, find_address(c, address_id, address_key)?, Role::Shipping),
        A::AddBillingAddressId {
            address_id,
            address_key,
        } => add_role(c, find_address(c, address_id, address_key)?, Role::Billing),
        A::RemoveBillingAddressId {
            address_id,
            address_key,
        } => remove_role(c, find_address(c, address_id, address_key)?, Role::Billing),
        A::SetDefaultBillingAddress {
            address_id,
            address_key,
        } => set_default_role(c, find_address(c, address_id, address_key)?, Role::Billing),
        A::SetCustomerGroup { customer_group } => {
            let group = match customer_group {
                Some(identifier) => Some(resolve_group(identifier, "customerGroup")?),
                None => None,
            };
            let changed = c.customer_group != group;
            c.customer_group.clone_from(&group);
            changed_with(changed, || Payload::CustomerGroupSet {
                customer_group: group,
            })
        }
        A::SetCustomerGroupAssignments {
            customer_group_assignments,
        } => {
            let assignments = resolve_assignments(customer_group_assignments)?;
            if c.customer_group_assignments == assignments {
                Unchanged
            } else {
                let old = std::mem::replace(&mut c.customer_group_assignments, assignments.clone());
                Changed(vec![Payload::CustomerGroupAssignmentsSet {
                    customer_group_assignments: assignments,
                    old_customer_group_assignments: old,
                }])
            }
        }
        A::AddCustomerGroupAssignment {
            customer_group_assignment,
        } => {
            let assignment = CustomerGroupAssignment {
                customer_group: resolve_group(
                    &customer_group_assignment.customer_group,
                    "customerGroupAssignment -> customerGroup",
                )?,
            };
            if c.customer_group_assignments.contains(&assignment) {
                Unchanged
            } else {
                c.customer_group_assignments.push(assignment.clone());
                Changed(vec![Payload::CustomerGroupAssignmentAdded {
                    customer_group_assignment: assignment,
                }])
            }
        }
        A::RemoveCustomerGroupAssignment { customer_group } => {
            let group = resolve_group(customer_group, "customerGroup")?;
            match c
                .customer_group_assignments
                .iter()
                .position(|a| a.customer_group == group)
            {
                None => Unchanged,
                Some(index) => {
                    let assignment = c.customer_group_assignments.remove(index);
                    Changed(vec![Payload::CustomerGroupAssignmentRemoved {
                        customer_group_assignment: assignment,
                    }])
                }
            }
        }
        A::SetStores { stores } => {
            let mut new_stores = Vec::new();
            for (i, identifier) in stores.iter().enumerate() {
                push_unique(
                    &mut new_stores,
                    store_ref(identifier, &format!("stores[{i}]"))?,
                );
            }
            // Stores are a set: the same stores in another order change nothing.
            let same_set = c.stores.len() == new_stores.len()
                && new_stores.iter().all(|s| c.stores.contains(s));
            if same_set {
                Unchanged
            } else {
                let old_stores = std::mem::replace(&mut c.stores, new_stores.clone());
                Changed(vec![Payload::CustomerStoresSet {
                    stores: new_stores,
                    old_stores,
                }])
            }
        }
        A::AddStore { store } => {
            let store = store_ref(store, "store")?;
            if c.stores.contains(&store) {
                Unchanged
            } else {
                c.stores.push(store);
                Changed(Vec::new())
            }
        }
        A::RemoveStore { store } => {
            let store = store_ref(store, "store")?;
            let before = c.stores.len();
            c.stores.retain(|s| *s != store);
            changed_silently(c.stores.len() != before)
        }
        A::SetAuthenticationMode {
            auth_mode,
            password,
        } => {
            if c.authentication_mode == *auth_mode {
                Unchanged
            } else {
                match auth_mode {
                    AuthenticationMode::Password => {
                        // Hashed once, after the last action (see `Updated`).
                        *new_plain_password = Some(new_password(password)?);
                        c.password = Some(password::mask(PENDING_HASH));
                        stored.password_hash = Some(PENDING_HASH.into());
                    }
                    AuthenticationMode::ExternalAuth => {
                        c.password = None;
                        stored.password_hash = None;
                    }
                }
                c.authentication_mode = *auth_mode;
                Changed(Vec::new())
            }
        }
        A::SetCustomType {
            type_identifier,
            fields,
        } => {
            let custom = new_custom("custom", type_identifier, fields)?;
            if c.custom == custom {
                Unchanged
            } else {
                let previous_type_id = type_id_of(&c.custom);
                c.custom.clone_from(&custom);
                Changed(vec![match custom {
                    Some(custom_fields) => Payload::CustomerCustomTypeSet {
                        custom_fields,
                        previous_type_id,
                    },
                    None => Payload::CustomerCustomTypeRemoved { previous_type_id },
                }])
            }
        }
        A::SetCustomField { name, value } => match set_field(&mut c.custom, "custom", name, value)?
        {
            None => Unchanged,
            Some(FieldChange::Added(value)) => Changed(vec![Payload::CustomerCustomFieldAdded {
                name: name.clone(),
                value,
            }]),
            Some(FieldChange::Changed { value, previous }) => {
                Changed(vec![Payload::CustomerCustomFieldChanged {
                    name: name.clone(),
                    value,
                    previous_value: Some(previous),
                }])
            }
            Some(FieldChange::Removed) => Changed(vec![Payload::CustomerCustomFieldRemoved {
                name: name.clone(),
            }]),
        },
        A::SetAddressCustomType {
            address_id,
            type_identifier,
            fields,
        } => {
            let index = find_address(c, &Some(address_id.clone()), &None)?;
            let custom = new_custom("address.custom", type_identifier, fields)?;
            let address = &mut c.addresses[index];
            if address.custom == custom {
                Unchanged
            } else {
                let previous_type_id = type_id_of(&address.custom);
                address.custom.clone_from(&custom);
                let address_id = address_id.clone();
                Changed(vec![match custom {
                    Some(custom_fields) => Payload::CustomerAddressCustomTypeSet {
                        custom_fields,
                        previous_type_id,
                        address_id,
                    },
                    None => Payload::CustomerAddressCustomTypeRemoved {
                        previous_type_id,
                        address_id,
                    },
                }])
            }
        }
        A::SetAddressCustomField {
            address_id,
            name,
            value,
        } => {
            let index = find_address(c, &Some(address_id.clone()), &None)?;
            let name = name.clone();
            let address_id = address_id.clone();
            match set_field(
                &mut c.addresses[index].custom,
                "address.custom",
                &name,
                value,
            )? {
                None => Unchanged,
                Some(FieldChange::Added(value)) => {
                    Changed(vec![Payload::CustomerAddressCustomFieldAdded {
                        name,
                        value,
                        address_id,
                    }])
                }
                Some(FieldChange::Changed { value, previous }) => {
                    Changed(vec![Payload::CustomerAddressCustomFieldChanged {
                        name,
                        value,
                        previous_value: Some(previous),
                        address_id,
                    }])
                }
                Some(FieldChange::Removed) => {
                    Changed(vec![Payload::CustomerAddressCustomFieldRemoved {
                        name,
                        address_id,
                    }])
                }
            }
        }
    })
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
