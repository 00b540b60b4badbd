//! Creating a customer: the CustomerDraft body, its validation (every violation is reported,
//! not only the first), and the new Customer with its `CustomerCreated` message.

use serde::{Deserialize, Serialize};

use super::messages::Payload;
use super::{
    limits, Address, AuthenticationMode, Customer, CustomerGroupAssignment, StoredCustomer,
};
use crate::domain::auth::StoreReach;
use crate::domain::error::{ApiError, ApiResult, Rejection};
use crate::domain::ids::{new_address_id, new_uuid, Random};
use crate::domain::message::Message;
use crate::domain::oauth::MAX_ANONYMOUS_ID_LEN;
use crate::domain::password;
use crate::domain::references::{Referenced, Wanted};
use crate::domain::refs::{
    ClientLogging, CustomFieldsDraft, Reference, ResourceIdentifier, StoreKeyReference,
};
use crate::domain::resource::{self, Meta};
use crate::domain::time::iso_millis;
use crate::domain::validate;
use crate::domain::values::{Email, Key};

/// A BaseAddress as clients send it: the Address shape, where any `id` is replaced by a
/// generated one and `custom` is a CustomFieldsDraft (its `typeId` may be omitted).
pub type AddressDraft = Address;

/// The address a draft describes (without an id), or every rule it breaks. `path` names the
/// draft in errors, e.g. `addresses[0]` or `address`; its custom fields are checked against
/// their type among `refs`.
pub fn address_from_draft(
    draft: &AddressDraft,
    path: &str,
    refs: &Referenced,
) -> Result<Address, Vec<ApiError>> {
    let mut v = Violations::default();
    let mut address = draft.clone();
    address.id = None;
    v.check(validate::country(
        &format!("{path}.country"),
        &address.country,
    ));
    if let Some(key) = &address.key {
        v.check(validate::key(&format!("{path}.key"), key));
    }
    if let Some(custom) = &draft.custom {
        let custom_draft = CustomFieldsDraft {
            type_identifier: (&custom.type_ref).into(),
            fields: Some(custom.fields.clone()),
        };
        match refs.custom_fields(&custom_draft, &format!("{path}.custom"), "address") {
            Ok(checked) => address.custom = Some(checked),
            Err(errors) => v.0.extend(errors),
        }
    }
    if v.0.is_empty() {
        Ok(address)
    } else {
        Err(v.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerGroupAssignmentDraft {
    pub customer_group: ResourceIdentifier,
}

/// The CustomerDraft of the seeds. Unknown fields are ignored; `null` equals absent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDraft {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub customer_number: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    pub email: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub salutation: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub vat_id: Option<String>,
    #[serde(default)]
    pub anonymous_cart: Option<ResourceIdentifier>,
    #[serde(default)]
    pub anonymous_cart_id: Option<String>,
    /// The anonymous session the customer signs up from: recorded (one customer per anonymous
    /// id); there are no anonymous carts or orders here to assign.
    #[serde(default)]
    pub anonymous_id: Option<String>,
    #[serde(default)]
    pub addresses: Option<Vec<AddressDraft>>,
    #[serde(default)]
    pub default_shipping_address: Option<i64>,
    #[serde(default)]
    pub shipping_addresses: Option<Vec<i64>>,
    #[serde(default)]
    pub default_billing_address: Option<i64>,
    #[serde(default)]
    pub billing_addresses: Option<Vec<i64>>,
    #[serde(default)]
    pub is_email_verified: Option<bool>,
    #[serde(default)]
    pub customer_group: Option<ResourceIdentifier>,
    #[serde(default)]
    pub customer_group_assignments: Option<Vec<CustomerGroupAssignmentDraft>>,
    #[serde(default)]
    pub custom: Option<CustomFieldsDraft>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub stores: Option<Vec<ResourceIdentifier>>,
    #[serde(default)]
    pub authentication_mode: Option<AuthenticationMode>,
}

/// Where and by whom a customer is created.
pub struct CreateContext<'a> {
    pub now_ms: i64,
    pub by: ClientLogging,
    /// The store of an in-store endpoint (`/in-store/key={storeKey}/customers`).
    pub store: Option<&'a str>,
    /// Where the caller may create customers.
    pub reach: &'a StoreReach,
    /// The custom types and customer groups the draft refers to (see [`wanted`]).
    pub refs: &'a Referenced,
}

/// The referenced resources a draft needs: its customer groups and custom types.
pub fn wanted(draft: &CustomerDraft) -> Wanted {
    let mut wanted = Wanted::default();
    if let Some(group) = &draft.customer_group {
        wanted.group(group);
    }
    for assignment in draft.customer_group_assignments.iter().flatten() {
        wanted.group(&assignment.customer_group);
    }
    if let Some(custom) = &draft.custom {
        wanted.custom_type(&custom.type_identifier);
    }
    for custom in draft
        .addresses
        .iter()
        .flatten()
        .filter_map(|a| a.custom.as_ref())
    {
        wanted.custom_type(&(&custom.type_ref).into());
    }
    wanted
}

/// A new customer and the message its creation produces.
#[derive(Debug)]
pub struct Created {
    pub stored: StoredCustomer,
    pub message: Message,
    /// The anonymous session it signed up from, recorded with it.
    pub anonymous_id: Option<String>,
}

/// Collects rule violations so one response can list them all.
#[derive(Default)]
struct Violations(Vec<ApiError>);

impl Violations {
    fn check(&mut self, result: Result<(), ApiError>) {
        if let Err(err) = result {
            self.0.push(err);
        }
    }

    fn take<T>(&mut self, result: Result<T, ApiError>) -> Option<T> {
        result.map_err(|err| self.0.push(err)).ok()
    }
}

fn resolve_index(
    violations: &mut Violations,
    field: &str,
    index: i64,
    address_ids: &[String],
) -> Option<String> {
    let found = usize::try_from(index)
        .ok()
        .and_then(|i| address_ids.get(i))
        .cloned();
    if found.is_none() {
        violations.0.push(ApiError::InvalidField {
            field: field.to_string(),
            invalid_value: index.into(),
            message: Some(format!(
                "The value {index} is not valid for field {field}: the draft has {} address(es), so the index must be between 0 and {}.",
                address_ids.len(),
                address_ids.len() as i64 - 1
            )),
        });
    }
    found
}

/// Address keys are unique within a customer.
pub fn duplicate_address_key(key: &str) -> ApiError {
    ApiError::DuplicateField {
        field: "addresses.key".into(),
        duplicate_value: key.into(),
        message: Some(format!(
            "The address key '{key}' is used by more than one address of the customer."
        )),
    }
}

pub fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A valid draft turned into a customer, waiting only for its password hash.
#[derive(Debug)]
pub struct Prepared {
    customer: Customer,
    anonymous_id: Option<String>,
    plain_password: Option<String>,
    by: ClientLogging,
}

impl Prepared {
    /// The password to hash (a `Password`-mode customer's), if any.
    pub fn plain_password(&self) -> Option<&str> {
        self.plain_password.as_deref()
    }

    /// The new customer with its password hash, and its `CustomerCreated` message.
    pub fn finish(self, password_hash: Option<String>, rng: &mut dyn Random) -> Created {
        let mut customer = self.customer;
        customer.password = password_hash.as_deref().map(password::mask);
        let payload = Payload::CustomerCreated {
            customer: serde_json::to_value(&customer).expect("a Customer always serializes"),
        };
        let message = resource::created(&customer, &payload, &self.by, rng);
        Created {
            stored: StoredCustomer::new(customer, password_hash),
            message,
            anonymous_id: self.anonymous_id,
        }
    }
}

/// Validates `draft` and builds the new customer. `hash_password` is called only once the
/// draft is valid, with the plain password of a `Password`-mode customer.
pub fn create(
    draft: CustomerDraft,
    ctx: CreateContext<'_>,
    rng: &mut dyn Random,
    hash_password: &mut dyn FnMut(&str) -> String,
) -> ApiResult<Created> {
    let prepared = prepare(draft, ctx, rng)?;
    let password_hash = prepared.plain_password().map(hash_password);
    Ok(prepared.finish(password_hash, rng))
}

/// Validates `draft` (every violation is reported) and builds the customer, all but its
/// password hash: an adapter that hashes asynchronously hashes between [`prepare`] and
/// [`Prepared::finish`]. A store-limited caller may create customers of its stores only (403).
pub fn prepare(
    draft: CustomerDraft,
    ctx: CreateContext<'_>,
    rng: &mut dyn Random,
) -> ApiResult<Prepared> {
    let mut v = Violations::default();
    let email = v.take(Email::parse("email", &draft.email));
    let key = draft
        .key
        .as_deref()
        .and_then(|k| v.take(Key::parse("key", k)));
    check_values(&mut v, &draft);
    let mode = draft.authentication_mode.unwrap_or_default();
    let plain_password = plain_password(&mut v, mode, draft.password.as_deref());
    check_no_cart(&mut v, &draft);
    let addresses = addresses(&mut v, &draft, ctx.refs, rng);
    let stores = stores(&mut v, &draft, ctx.store);
    let keys: Vec<&str> = stores.iter().map(String::as_str).collect();
    ctx.reach.check_create(&keys)?;
    let (customer_group, assignments) = groups(&mut v, &draft, ctx.refs);
    let custom = match &draft.custom {
        Some(c) => ctx
            .refs
            .custom_fields(c, "custom", "customer")
            .map_err(|errors| v.0.extend(errors))
            .ok(),
        None => None,
    };
    let email = match email {
        Some(email) if v.0.is_empty() => email,
        _ => return Err(Rejection(v.0)),
    };
    let now = iso_millis(ctx.now_ms);
    let customer = Customer {
        meta: Meta::new(new_uuid(rng), &now, &ctx.by),
        key,
        customer_number: draft.customer_number,
        external_id: draft.external_id,
        email,
        first_name: draft.first_name,
        last_name: draft.last_name,
        middle_name: draft.middle_name,
        title: draft.title,
        salutation: draft.salutation,
        date_of_birth: draft.date_of_birth,
        company_name: draft.company_name,
        vat_id: draft.vat_id,
        password: None,
        addresses: addresses.addresses,
        default_shipping_address_id: addresses.default_shipping,
        shipping_address_ids: addresses.shipping,
        default_billing_address_id: addresses.default_billing,
        billing_address_ids: addresses.billing,
        is_email_verified: draft.is_email_verified.unwrap_or(false),
        customer_group,
        customer_group_assignments: assignments,
        custom,
        locale: draft.locale,
        stores: stores.iter().map(|k| StoreKeyReference::new(k)).collect(),
        authentication_mode: mode,
    };
    limits::check_customer(&customer, &customer.to_json_string())?;
    Ok(Prepared {
        customer,
        anonymous_id: draft.anonymous_id,
        plain_password: plain_password.map(str::to_string),
        by: ctx.by,
    })
}

/// The scalar fields with a format besides the email and the key: locale, date of birth.
fn check_values(v: &mut Violations, draft: &CustomerDraft) {
    if let Some(locale) = &draft.locale {
        v.check(validate::locale("locale", locale));
    }
    if let Some(date) = &draft.date_of_birth {
        v.check(validate::date("dateOfBirth", date));
    }
    if let Some(id) = draft
        .anonymous_id
        .as_deref()
        .filter(|id| !(1..=MAX_ANONYMOUS_ID_LEN).contains(&id.len()))
    {
        v.0.push(ApiError::InvalidField {
            field: "anonymousId".into(),
            invalid_value: id.into(),
            message: Some(format!(
                "The anonymousId must be 1 to {MAX_ANONYMOUS_ID_LEN} bytes long."
            )),
        });
    }
}

/// The password a `Password`-mode customer needs (required, not empty); none for
/// `ExternalAuth`.
fn plain_password<'a>(
    v: &mut Violations,
    mode: AuthenticationMode,
    password: Option<&'a str>,
) -> Option<&'a str> {
    match (mode, password) {
        (AuthenticationMode::ExternalAuth, _) => None,
        (AuthenticationMode::Password, None) => {
            v.0.push(ApiError::RequiredField {
                field: "password".into(),
            });
            None
        }
        (AuthenticationMode::Password, Some("")) => {
            v.0.push(ApiError::InvalidField {
                field: "password".into(),
                invalid_value: "".into(),
                message: Some("The password must not be empty.".into()),
            });
            None
        }
        (AuthenticationMode::Password, Some(password)) => Some(password),
    }
}

/// There are no carts here: an anonymous cart cannot be found.
fn check_no_cart(v: &mut Violations, draft: &CustomerDraft) {
    if draft.anonymous_cart.is_none() && draft.anonymous_cart_id.is_none() {
        return;
    }
    let id = draft
        .anonymous_cart
        .as_ref()
        .and_then(|c| c.id.clone())
        .or_else(|| draft.anonymous_cart_id.clone());
    let key = draft.anonymous_cart.as_ref().and_then(|c| c.key.clone());
    v.0.push(ApiError::ReferencedResourceNotFound {
        type_id: "cart".into(),
        id,
        key,
    });
}

/// The addresses of a draft, each with a fresh id, and their roles.
struct DraftAddresses {
    addresses: Vec<Address>,
    default_shipping: Option<String>,
    shipping: Vec<String>,
    default_billing: Option<String>,
    billing: Vec<String>,
}

/// Each address gets a fresh id; keys are unique within the customer; role indices must name
/// an address; a default address is also one of its role's addresses.
fn addresses(
    v: &mut Violations,
    draft: &CustomerDraft,
    refs: &Referenced,
    rng: &mut dyn Random,
) -> DraftAddresses {
    let mut addresses: Vec<Address> = Vec::new();
    for (i, address_draft) in draft.addresses.iter().flatten().enumerate() {
        match address_from_draft(address_draft, &format!("addresses[{i}]"), refs) {
            Ok(mut address) => {
                if let Some(key) = &address.key {
                    if addresses.iter().any(|a| a.key.as_ref() == Some(key)) {
                        v.0.push(duplicate_address_key(key));
                    }
                }
                address.id = Some(new_address_id(rng));
                addresses.push(address);
            }
            Err(errors) => v.0.extend(errors),
        }
    }
    let ids: Vec<String> = addresses.iter().filter_map(|a| a.id.clone()).collect();
    let (default_shipping, shipping) = role(
        v,
        ("defaultShippingAddress", draft.default_shipping_address),
        ("shippingAddresses", draft.shipping_addresses.as_deref()),
        &ids,
    );
    let (default_billing, billing) = role(
        v,
        ("defaultBillingAddress", draft.default_billing_address),
        ("billingAddresses", draft.billing_addresses.as_deref()),
        &ids,
    );
    DraftAddresses {
        addresses,
        default_shipping,
        shipping,
        default_billing,
        billing,
    }
}

/// One address role of a draft: its default (an index) and its addresses (indices), as ids.
fn role(
    v: &mut Violations,
    (default_field, default): (&str, Option<i64>),
    (list_field, list): (&str, Option<&[i64]>),
    address_ids: &[String],
) -> (Option<String>, Vec<String>) {
    let default = default.and_then(|i| resolve_index(v, default_field, i, address_ids));
    let mut ids = Vec::new();
    for &i in list.unwrap_or_default() {
        if let Some(id) = resolve_index(v, list_field, i, address_ids) {
            push_unique(&mut ids, id);
        }
    }
    if let Some(id) = &default {
        push_unique(&mut ids, id.clone());
    }
    (default, ids)
}

/// The store keys: the draft's, else the store of the path. An in-store create may not make
/// a customer that its own store cannot see.
fn stores(v: &mut Violations, draft: &CustomerDraft, path_store: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (i, identifier) in draft.stores.iter().flatten().enumerate() {
        if let Some(key) = v.take(identifier.store_key(&format!("stores[{i}]"))) {
            push_unique(&mut keys, key);
        }
    }
    if let Some(path_store) = path_store {
        if keys.is_empty() {
            keys.push(path_store.to_string());
        } else if !keys.iter().any(|k| k == path_store) {
            v.0.push(ApiError::InvalidOperation {
                message: format!(
                    "A customer created in store '{path_store}' must belong to that store, but 'stores' does not contain it."
                ),
            });
        }
    }
    keys
}

/// The customer group and the group assignments.
fn groups(
    v: &mut Violations,
    draft: &CustomerDraft,
    refs: &Referenced,
) -> (Option<Reference>, Vec<CustomerGroupAssignment>) {
    let customer_group = draft
        .customer_group
        .as_ref()
        .and_then(|g| v.take(refs.group(g, "customerGroup")));
    let mut assignments = Vec::new();
    let drafts = draft.customer_group_assignments.iter().flatten();
    for (i, a) in drafts.enumerate() {
        let path = format!("customerGroupAssignments[{i}] -> customerGroup");
        if let Some(customer_group) = v.take(refs.group(&a.customer_group, &path)) {
            push_unique(&mut assignments, CustomerGroupAssignment { customer_group });
        }
    }
    (customer_group, assignments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CountingRandom;
    use crate::domain::json;
    use serde_json::{json, Value};

    fn draft(value: Value) -> CustomerDraft {
        json::parse(value.to_string().as_bytes()).expect("draft parses")
    }

    fn ctx(store: Option<&str>) -> CreateContext<'_> {
        CreateContext {
            now_ms: 1_663_598_075_843,
            by: ClientLogging::client("client-1"),
            store,
            reach: &StoreReach::Project,
            refs: crate::domain::customer::testing::refs(),
        }
    }

    fn build(value: Value, store: Option<&str>) -> ApiResult<Created> {
        create(draft(value), ctx(store), &mut CountingRandom(1), &mut |p| {
            format!("$test${p}$HASH")
        })
    }

    fn errors(value: Value, store: Option<&str>) -> Vec<ApiError> {
        build(value, store).expect_err("draft must be rejected").0
    }

    #[test]
    fn minimal_draft_builds_version_1_customer() {
        let created = build(
            json!({"email": "Jo@Example.com", "password": "secret123"}),
            None,
        )
        .unwrap();
        let c = &created.stored.customer;
        assert_eq!(c.meta.version, 1);
        assert_eq!(c.email, "Jo@Example.com");
        assert_eq!(c.lowercase_email(), "jo@example.com");
        assert_eq!(c.meta.created_at, "2022-09-19T14:34:35.843Z");
        assert_eq!(c.meta.created_at, c.meta.last_modified_at);
        assert_eq!(c.meta.created_by.client_id.as_deref(), Some("client-1"));
        assert_eq!(c.authentication_mode, AuthenticationMode::Password);
        assert_eq!(
            created.stored.password_hash.as_deref(),
            Some("$test$secret123$HASH")
        );
        assert_eq!(c.password.as_deref(), Some("****HASH"));
        assert!(!c.is_email_verified);
        assert_eq!(c.meta.last_message_sequence_number, 1);
        // Arrays are always present in the representation.
        let json: Value = serde_json::from_str(&c.to_json_string()).unwrap();
        for field in [
            "addresses",
            "shippingAddressIds",
            "billingAddressIds",
            "stores",
            "customerGroupAssignments",
        ] {
            assert!(json[field].is_array(), "{field}");
        }
        assert_eq!(
            json["createdBy"],
            json!({"clientId": "client-1", "isPlatformClient": false})
        );
        assert!(json.get("key").is_none());
    }

    #[test]
    fn full_draft_maps_every_field() {
        let created = build(
            json!({
                "key": "cust-1", "customerNumber": "N-1", "externalId": "ext",
                "email": "a@b.c", "password": "pw",
                "firstName": "F", "lastName": "L", "middleName": "M", "title": "Dr.",
                "salutation": "", "dateOfBirth": "1990-01-31", "companyName": "Co", "vatId": "V",
                "addresses": [
                    {"key": "home", "country": "DE", "city": "Berlin", "id": "ignored"},
                    {"country": "US", "custom": {"type": {"key": "addr-type"}, "fields": {"a": 1}}}
                ],
                "defaultShippingAddress": 0, "shippingAddresses": [1, 1],
                "defaultBillingAddress": 1, "billingAddresses": [],
                "isEmailVerified": true,
                "customerGroup": {"typeId": "customer-group", "id": "g1"},
                "customerGroupAssignments": [{"customerGroup": {"key": "g2"}}],
                "custom": {"type": {"id": "t1", "typeId": "type"}, "fields": {"x": "y"}},
                "locale": "de-DE",
                "stores": [{"key": "s1", "typeId": "store"}, {"key": "s1"}],
                "authenticationMode": "Password"
            }),
            None,
        )
        .unwrap();
        let c = created.stored.customer;
        assert_eq!(c.key.as_deref(), Some("cust-1"));
        assert_eq!(c.salutation.as_deref(), Some(""));
        assert_eq!(c.addresses.len(), 2);
        let (a0, a1) = (
            c.addresses[0].id.clone().unwrap(),
            c.addresses[1].id.clone().unwrap(),
        );
        assert_ne!(a0, "ignored");
        assert_ne!(a0, a1);
        assert_eq!(c.default_shipping_address_id.as_deref(), Some(a0.as_str()));
        assert_eq!(c.shipping_address_ids, vec![a1.clone(), a0.clone()]);
        assert_eq!(c.default_billing_address_id.as_deref(), Some(a1.as_str()));
        assert_eq!(c.billing_address_ids, vec![a1]);
        assert!(c.is_email_verified);
        assert_eq!(c.customer_group.as_ref().unwrap().id.as_deref(), Some("g1"));
        assert_eq!(
            c.customer_group_assignments[0].customer_group.id.as_deref(),
            Some("group-g2"),
            "a group given by key is stored by id"
        );
        assert_eq!(c.custom.as_ref().unwrap().fields["x"], "y");
        assert_eq!(
            c.addresses[1]
                .custom
                .as_ref()
                .unwrap()
                .type_ref
                .id
                .as_deref(),
            Some("addr-type")
        );
        assert_eq!(c.store_keys(), vec!["s1"]);
        assert_eq!(created.message.type_name(), "CustomerCreated");
        assert_eq!(
            created.message.resource_user_provided_identifiers,
            Some(json!({"key": "cust-1", "externalId": "ext", "customerNumber": "N-1"}))
        );
    }

    #[test]
    fn external_auth_needs_no_password_and_stores_none() {
        let created = build(
            json!({"email": "a@b.c", "authenticationMode": "ExternalAuth", "password": "ignored"}),
            None,
        )
        .unwrap();
        assert_eq!(created.stored.password_hash, None);
        assert_eq!(created.stored.customer.password, None);
    }

    #[test]
    fn password_mode_requires_a_password() {
        assert_eq!(
            errors(json!({"email": "a@b.c"}), None),
            vec![ApiError::RequiredField {
                field: "password".into()
            }]
        );
        assert!(matches!(
            errors(json!({"email": "a@b.c", "password": ""}), None)[0],
            ApiError::InvalidField { .. }
        ));
    }

    #[test]
    fn the_password_is_hashed_only_for_valid_drafts() {
        let mut calls = 0;
        let result = create(
            draft(json!({"email": "bad", "password": "pw"})),
            ctx(None),
            &mut CountingRandom(0),
            &mut |_| {
                calls += 1;
                String::new()
            },
        );
        assert!(result.is_err());
        assert_eq!(calls, 0);
    }

    #[test]
    fn every_violation_is_reported() {
        let errs = errors(
            json!({
                "email": "not-an-email", "password": "pw", "key": "x",
                "locale": "english", "dateOfBirth": "1990-13-01",
                "addresses": [{"country": "Germany"}],
                "defaultShippingAddress": 1, "billingAddresses": [-1]
            }),
            None,
        );
        let fields: Vec<String> = errs
            .iter()
            .map(|e| match e {
                ApiError::InvalidField { field, .. } => field.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                "email",
                "key",
                "locale",
                "dateOfBirth",
                "addresses[0].country",
                "defaultShippingAddress",
                "billingAddresses"
            ]
        );
    }

    #[test]
    fn duplicate_address_keys_are_rejected() {
        let errs = errors(
            json!({"email": "a@b.c", "password": "p", "addresses": [{"country": "DE", "key": "k1"}, {"country": "FR", "key": "k1"}]}),
            None,
        );
        assert!(
            matches!(&errs[0], ApiError::DuplicateField { field, .. } if field == "addresses.key")
        );
    }

    #[test]
    fn identifiers_with_id_and_key_are_invalid_json() {
        let errs = errors(
            json!({"email": "a@b.c", "password": "p", "customerGroup": {"id": "1", "key": "k"}}),
            None,
        );
        assert!(
            matches!(&errs[0], ApiError::InvalidJsonInput { detail } if detail.starts_with("customerGroup"))
        );
    }

    #[test]
    fn stores_by_id_cannot_be_resolved() {
        let errs = errors(
            json!({"email": "a@b.c", "password": "p", "stores": [{"id": "x"}]}),
            None,
        );
        assert!(
            matches!(&errs[0], ApiError::ReferencedResourceNotFound { type_id, .. } if type_id == "store")
        );
    }

    #[test]
    fn anonymous_carts_do_not_exist_here() {
        let errs = errors(
            json!({"email": "a@b.c", "password": "p", "anonymousCart": {"id": "c1", "typeId": "cart"}}),
            None,
        );
        assert!(
            matches!(&errs[0], ApiError::ReferencedResourceNotFound { type_id, .. } if type_id == "cart")
        );
        // anonymousId alone is accepted (and recorded with the customer): there is nothing to
        // assign.
        let created = build(
            json!({"email": "a@b.c", "password": "p", "anonymousId": "anon"}),
            None,
        )
        .unwrap();
        assert_eq!(created.anonymous_id.as_deref(), Some("anon"));
        for bad in [String::new(), "a".repeat(MAX_ANONYMOUS_ID_LEN + 1)] {
            let errs = errors(
                json!({"email": "a@b.c", "password": "p", "anonymousId": bad}),
                None,
            );
            assert!(
                matches!(&errs[0], ApiError::InvalidField { field, .. } if field == "anonymousId")
            );
        }
    }

    #[test]
    fn in_store_create_defaults_to_the_path_store() {
        let created = build(json!({"email": "a@b.c", "password": "p"}), Some("berlin")).unwrap();
        assert_eq!(created.stored.customer.store_keys(), vec!["berlin"]);
        let created = build(
            json!({"email": "a@b.c", "password": "p", "stores": []}),
            Some("berlin"),
        )
        .unwrap();
        assert_eq!(created.stored.customer.store_keys(), vec!["berlin"]);
        let created = build(
            json!({"email": "a@b.c", "password": "p", "stores": [{"key": "munich"}, {"key": "berlin"}]}),
            Some("berlin"),
        )
        .unwrap();
        assert_eq!(
            created.stored.customer.store_keys(),
            vec!["munich", "berlin"]
        );
        let errs = errors(
            json!({"email": "a@b.c", "password": "p", "stores": [{"key": "munich"}]}),
            Some("berlin"),
        );
        assert!(matches!(errs[0], ApiError::InvalidOperation { .. }));
    }

    #[test]
    fn email_claims_follow_the_store_scope() {
        let global = build(json!({"email": "A@B.c", "password": "p"}), None).unwrap();
        assert_eq!(
            global.stored.customer.email_claims(),
            vec![("a@b.c".to_string(), String::new())]
        );
        let stores = build(
            json!({"email": "A@B.c", "password": "p", "stores": [{"key": "s1"}, {"key": "s2"}]}),
            None,
        )
        .unwrap();
        assert_eq!(
            stores.stored.customer.email_claims(),
            vec![
                ("a@b.c".to_string(), "s1".to_string()),
                ("a@b.c".to_string(), "s2".to_string())
            ]
        );
        assert!(stores.stored.customer.visible_in_store("s2"));
        assert!(!stores.stored.customer.visible_in_store("s3"));
        assert!(global.stored.customer.visible_in_store("s3"));
    }

    #[test]
    fn wrong_types_and_unknown_enum_values_are_invalid_json() {
        for body in [
            json!({"email": "a@b.c", "password": "p", "authenticationMode": "Magic"}),
            json!({"email": "a@b.c", "password": "p", "addresses": {"country": "DE"}}),
            json!({"email": "a@b.c", "password": "p", "defaultShippingAddress": "0"}),
            json!({"email": "a@b.c", "password": "p", "isEmailVerified": "yes"}),
            json!({"email": ["a@b.c"], "password": "p"}),
        ] {
            let err = json::parse::<CustomerDraft>(body.to_string().as_bytes()).unwrap_err();
            assert!(matches!(err, ApiError::InvalidJsonInput { .. }), "{body}");
        }
    }
}
