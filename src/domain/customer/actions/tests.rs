//! Unit tests of the update actions: each action's success case and each of its errors, the
//! version rule, and all-or-nothing application.

use serde_json::{json, Value};

use super::*;
use crate::domain::draft::{create, CreateContext};
use crate::domain::ids::CountingRandom;

const CREATED_AT: i64 = 1_700_000_000_000;
const LATER: i64 = 1_700_000_060_000;

fn customer(draft: Value) -> StoredCustomer {
    let draft = json::parse(draft.to_string().as_bytes()).expect("draft parses");
    let ctx = CreateContext {
        now_ms: CREATED_AT,
        by: ClientLogging::client("creator"),
        store: None,
        reach: &crate::domain::auth::StoreReach::Project,
    };
    create(draft, ctx, &mut CountingRandom(1), &mut |p| {
        format!("$hash${p}$ABCD")
    })
    .expect("draft is valid")
    .stored
}

fn basic() -> StoredCustomer {
    customer(json!({
        "email": "jo@example.com", "password": "pw", "firstName": "Jo",
        "addresses": [
            {"key": "home", "country": "DE", "city": "Berlin"},
            {"key": "work", "country": "FR", "city": "Paris"}
        ],
        "defaultShippingAddress": 0, "billingAddresses": [1]
    }))
}

fn run(stored: &StoredCustomer, actions: Value) -> ApiResult<Updated> {
    let body = json!({"version": stored.customer.version, "actions": actions});
    let request = parse_request(body.to_string().as_bytes())?;
    let updated = apply(
        stored,
        &request,
        UpdateContext {
            now_ms: LATER,
            by: ClientLogging::client("updater"),
            rng: &mut CountingRandom(100),
        },
    )?;
    Ok(match updated.password_to_hash.clone() {
        Some(plain) => updated.with_password_hash(format!("$new${plain}$WXYZ")),
        None => updated,
    })
}

#[track_caller]
fn ok(stored: &StoredCustomer, actions: Value) -> Updated {
    match run(stored, actions) {
        Ok(updated) => updated,
        Err(e) => panic!("update failed: {e:?}"),
    }
}

#[track_caller]
fn err(stored: &StoredCustomer, actions: Value) -> ApiError {
    run(stored, actions)
        .expect_err("update must fail")
        .0
        .remove(0)
}

fn types(updated: &Updated) -> Vec<String> {
    updated
        .messages
        .iter()
        .map(|m| m.payload.type_name())
        .collect()
}

fn json_of(message: &Message) -> Value {
    serde_json::from_str(&message.to_json_string()).unwrap()
}

fn address_id(stored: &StoredCustomer, key: &str) -> String {
    stored
        .customer
        .addresses
        .iter()
        .find(|a| a.key.as_deref() == Some(key))
        .and_then(|a| a.id.clone())
        .unwrap()
}

// ---- request parsing -------------------------------------------------------------------

#[test]
fn unknown_and_malformed_actions_are_named() {
    let c = basic();
    for (actions, expected) in [
        (
            json!([{"action": "setFirstName"}, {"action": "fly"}]),
            "actions[1]",
        ),
        (
            json!([{"firstName": "x"}]),
            "actions[0] -> action: Missing required value",
        ),
        (
            json!([{"action": "changeEmail"}]),
            "actions[0] -> email: Missing required value",
        ),
        (
            json!([{"action": "setFirstName", "firstName": 7}]),
            "actions[0] -> firstName",
        ),
        (
            json!(["setFirstName"]),
            "actions[0]: An update action must be a JSON object.",
        ),
        (
            json!([{"action": 3}]),
            "actions[0] -> action: expected the name",
        ),
        (
            json!([{"action": "addAddress", "address": {"country": 49}}]),
            "actions[0] -> address -> country: invalid type",
        ),
    ] {
        match err(&c, actions.clone()) {
            ApiError::InvalidJsonInput { detail } => {
                assert!(detail.starts_with(expected), "{actions}: {detail}")
            }
            other => panic!("{actions}: {other:?}"),
        }
    }
}

#[test]
fn request_needs_version_and_actions() {
    for body in [
        json!({"actions": []}),
        json!({"version": 1}),
        json!({"version": "1", "actions": []}),
    ] {
        assert!(matches!(
            parse_request(body.to_string().as_bytes()),
            Err(ApiError::InvalidJsonInput { .. })
        ));
    }
}

#[test]
fn at_most_500_actions() {
    let c = basic();
    let many: Vec<Value> = (0..501).map(|_| json!({"action": "setVatId"})).collect();
    assert!(matches!(
        err(&c, json!(many)),
        ApiError::InvalidInput { .. }
    ));
    let enough: Vec<Value> = (0..500)
        .map(|i| json!({"action": "setVatId", "vatId": i.to_string()}))
        .collect();
    assert_eq!(ok(&c, json!(enough)).stored.customer.version, 501);
}

// ---- versions ---------------------------------------------------------------------------

#[test]
fn stale_version_is_a_conflict() {
    let c = basic();
    let request = UpdateRequest {
        version: crate::domain::version::Version::new(7).unwrap(),
        actions: vec![],
    };
    let ctx = UpdateContext {
        now_ms: LATER,
        by: ClientLogging::client("u"),
        rng: &mut CountingRandom(0),
    };
    assert_eq!(
        apply(&c, &request, ctx).unwrap_err().0,
        vec![ApiError::ConcurrentModification {
            expected: 7,
            current: Some(1)
        }]
    );
}

#[test]
fn version_rises_once_per_changing_action() {
    let c = basic();
    let updated = ok(
        &c,
        json!([
            {"action": "setFirstName", "firstName": "Ann"},
            {"action": "setFirstName", "firstName": "Ann"},
            {"action": "setMiddleName", "middleName": "M"},
            {"action": "setLastName", "lastName": "Lee"}
        ]),
    );
    let u = &updated.stored.customer;
    assert_eq!(u.version, 4, "three changing actions on version 1");
    assert_eq!(
        types(&updated),
        vec!["CustomerFirstNameSet", "CustomerLastNameSet"]
    );
    let versions: Vec<u64> = updated
        .messages
        .iter()
        .map(|m| m.resource_version)
        .collect();
    assert_eq!(versions, vec![2, 4]);
    let sequence: Vec<u64> = updated.messages.iter().map(|m| m.sequence_number).collect();
    assert_eq!(sequence, vec![2, 3]);
    assert_eq!(u.last_message_sequence_number, 3);
    assert_eq!(u.last_modified_at, "2023-11-14T22:14:20.000Z");
    assert_eq!(u.version_modified_at, u.last_modified_at);
    assert_eq!(u.last_modified_by.client_id.as_deref(), Some("updater"));
    assert_eq!(u.created_at, c.customer.created_at);
    assert!(updated.changed_from(&c));
}

#[test]
fn no_change_keeps_version_and_timestamps() {
    let c = basic();
    for actions in [
        json!([]),
        json!([{"action": "setFirstName", "firstName": "Jo"}, {"action": "setVatId"}]),
    ] {
        let updated = ok(&c, actions);
        assert_eq!(updated.stored, c);
        assert!(updated.messages.is_empty());
        assert!(!updated.changed_from(&c));
    }
}

#[test]
fn all_or_nothing() {
    let c = basic();
    let error = err(
        &c,
        json!([
            {"action": "setFirstName", "firstName": "Ann"},
            {"action": "changeEmail", "email": "not-an-email"}
        ]),
    );
    assert!(matches!(error, ApiError::InvalidField { ref field, .. } if field == "email"));
    // The original is untouched (apply works on a copy).
    assert_eq!(c.customer.first_name.as_deref(), Some("Jo"));
}

// ---- email and plain fields -------------------------------------------------------------

#[test]
fn change_email() {
    let mut c = basic();
    c.customer.is_email_verified = true;
    let updated = ok(
        &c,
        json!([{"action": "changeEmail", "email": "New@Example.com"}]),
    );
    assert_eq!(updated.stored.customer.email, "New@Example.com");
    assert!(!updated.stored.customer.is_email_verified);
    let m = json_of(&updated.messages[0]);
    assert_eq!(m["type"], "CustomerEmailChanged");
    assert_eq!(m["email"], "New@Example.com");
    assert_eq!(m["oldEmail"], "jo@example.com");
    // Same email: nothing changes (verification is kept).
    let same = ok(
        &c,
        json!([{"action": "changeEmail", "email": "jo@example.com"}]),
    );
    assert!(same.stored.customer.is_email_verified);
    assert_eq!(same.stored.customer.version, 1);
    assert!(matches!(
        err(&c, json!([{"action": "changeEmail", "email": "nope"}])),
        ApiError::InvalidField { .. }
    ));
}

#[test]
fn optional_text_setters_set_and_clear() {
    let cases: [(&str, &str, Option<&str>); 10] = [
        ("setFirstName", "firstName", Some("CustomerFirstNameSet")),
        ("setLastName", "lastName", Some("CustomerLastNameSet")),
        ("setMiddleName", "middleName", None),
        ("setTitle", "title", Some("CustomerTitleSet")),
        ("setSalutation", "salutation", None),
        (
            "setCompanyName",
            "companyName",
            Some("CustomerCompanyNameSet"),
        ),
        ("setVatId", "vatId", None),
        ("setExternalId", "externalId", Some("CustomerExternalIdSet")),
        (
            "setDateOfBirth",
            "dateOfBirth",
            Some("CustomerDateOfBirthSet"),
        ),
        ("setLocale", "locale", None),
    ];
    for (action, field, message) in cases {
        let value = match field {
            "dateOfBirth" => "2001-02-03",
            "locale" => "de-AT",
            _ => "Value",
        };
        let c = basic();
        let set = ok(&c, json!([{"action": action, field: value}]));
        let as_json: Value = serde_json::to_value(&set.stored.customer).unwrap();
        assert_eq!(as_json[field], value, "{action}");
        assert_eq!(set.stored.customer.version, 2, "{action}");
        assert_eq!(
            set.messages.len(),
            usize::from(message.is_some()),
            "{action}"
        );
        if let Some(message) = message {
            let m = json_of(&set.messages[0]);
            assert_eq!(m["type"], message);
            assert_eq!(m[field], value, "{action} message payload");
        }
        // Absent and null both clear.
        for clear in [
            json!({"action": action}),
            json!({"action": action, field: null}),
        ] {
            let cleared = ok(&set.stored, json!([clear]));
            let as_json: Value = serde_json::to_value(&cleared.stored.customer).unwrap();
            assert!(as_json.get(field).is_none(), "{action} clears");
            assert_eq!(cleared.stored.customer.version, 3, "{action}");
            if let Some(message) = message {
                let m = json_of(&cleared.messages[0]);
                assert_eq!(m["type"], message);
                assert!(m.get(field).is_none());
            }
        }
        // Setting the same value again changes nothing.
        assert_eq!(
            ok(&set.stored, json!([{"action": action, field: value}]))
                .stored
                .customer
                .version,
            2
        );
    }
}

#[test]
fn empty_strings_are_values_not_absence() {
    let c = basic();
    let updated = ok(&c, json!([{"action": "setTitle", "title": ""}]));
    assert_eq!(updated.stored.customer.title.as_deref(), Some(""));
}

#[test]
fn date_locale_and_key_are_validated() {
    let c = basic();
    for (action, field, bad) in [
        ("setDateOfBirth", "dateOfBirth", "2001-13-01"),
        ("setLocale", "locale", "english"),
        ("setKey", "key", "x"),
        ("setKey", "key", "white space"),
    ] {
        match err(&c, json!([{"action": action, field: bad}])) {
            ApiError::InvalidField { field: f, .. } => assert_eq!(f, field),
            other => panic!("{action}: {other:?}"),
        }
    }
}

#[test]
fn set_key_sets_and_removes() {
    let c = basic();
    let set = ok(&c, json!([{"action": "setKey", "key": "my-key"}]));
    assert_eq!(set.stored.customer.key.as_deref(), Some("my-key"));
    assert!(set.messages.is_empty());
    let removed = ok(&set.stored, json!([{"action": "setKey"}]));
    assert_eq!(removed.stored.customer.key, None);
    assert_eq!(removed.stored.customer.version, 3);
}

#[test]
fn customer_number_can_only_be_set_once() {
    let c = basic();
    let set = ok(
        &c,
        json!([{"action": "setCustomerNumber", "customerNumber": "C-1"}]),
    );
    assert_eq!(set.stored.customer.customer_number.as_deref(), Some("C-1"));
    assert!(set.messages.is_empty());
    assert_eq!(
        ok(
            &set.stored,
            json!([{"action": "setCustomerNumber", "customerNumber": "C-1"}])
        )
        .stored
        .customer
        .version,
        2
    );
    for again in [
        json!({"action": "setCustomerNumber", "customerNumber": "C-2"}),
        json!({"action": "setCustomerNumber"}),
    ] {
        assert!(matches!(
            err(&set.stored, json!([again])),
            ApiError::InvalidOperation { .. }
        ));
    }
    assert_eq!(
        ok(&c, json!([{"action": "setCustomerNumber"}]))
            .stored
            .customer
            .version,
        1
    );
}

// ---- addresses --------------------------------------------------------------------------

#[test]
fn add_address() {
    let c = basic();
    let updated = ok(
        &c,
        json!([{"action": "addAddress", "address": {"key": "cabin", "country": "NO", "id": "mine"}}]),
    );
    let added = updated.stored.customer.addresses.last().unwrap();
    assert_eq!(added.key.as_deref(), Some("cabin"));
    let id = added.id.as_deref().unwrap();
    assert_ne!(id, "mine");
    assert_eq!(id.len(), 8);
    assert!(c
        .customer
        .addresses
        .iter()
        .all(|a| a.id.as_deref() != Some(id)));
    let m = json_of(&updated.messages[0]);
    assert_eq!(m["type"], "CustomerAddressAdded");
    assert_eq!(m["address"]["id"], id);
    // Key taken, bad country, bad key.
    assert!(matches!(
        err(&c, json!([{"action": "addAddress", "address": {"key": "home", "country": "DE"}}])),
        ApiError::DuplicateField { ref field, .. } if field == "addresses.key"
    ));
    assert!(matches!(
        err(&c, json!([{"action": "addAddress", "address": {"country": "Deutschland"}}])),
        ApiError::InvalidField { ref field, .. } if field == "address.country"
    ));
    assert!(matches!(
        err(&c, json!([{"action": "addAddress", "address": {"country": "DE", "key": "?"}}])),
        ApiError::InvalidField { ref field, .. } if field == "address.key"
    ));
    assert!(matches!(
        err(
            &c,
            json!([{"action": "addAddress", "address": {"city": "x"}}])
        ),
        ApiError::InvalidJsonInput { .. }
    ));
}

#[test]
fn change_address_by_id_or_key() {
    let c = basic();
    let work = address_id(&c, "work");
    let by_id = ok(
        &c,
        json!([{"action": "changeAddress", "addressId": work, "address": {"key": "work", "country": "IT", "city": "Rome"}}]),
    );
    let changed = &by_id.stored.customer.addresses[1];
    assert_eq!(changed.id.as_deref(), Some(work.as_str()), "the id is kept");
    assert_eq!(changed.city.as_deref(), Some("Rome"));
    let m = json_of(&by_id.messages[0]);
    assert_eq!(m["type"], "CustomerAddressChanged");
    assert_eq!(m["addressRoles"], json!(["Billing"]));
    // By key; the new address may rename its key.
    let by_key = ok(
        &c,
        json!([{"action": "changeAddress", "addressKey": "home", "address": {"key": "house", "country": "DE"}}]),
    );
    assert_eq!(
        by_key.stored.customer.addresses[0].key.as_deref(),
        Some("house")
    );
    assert_eq!(
        json_of(&by_key.messages[0])["addressRoles"],
        json!(["Shipping"])
    );
    // Identical content changes nothing.
    let same = ok(
        &c,
        json!([{"action": "changeAddress", "addressKey": "home", "address": {"key": "home", "country": "DE", "city": "Berlin"}}]),
    );
    assert_eq!(same.stored.customer.version, 1);
}

#[test]
fn address_selection_errors() {
    let c = basic();
    let work = address_id(&c, "work");
    let address = json!({"country": "DE"});
    for action in [
        json!({"action": "changeAddress", "address": address}),
        json!({"action": "changeAddress", "addressId": work, "addressKey": "work", "address": address}),
        json!({"action": "changeAddress", "addressId": "nope", "address": address}),
        json!({"action": "removeAddress", "addressKey": "nope"}),
        json!({"action": "removeAddress"}),
        json!({"action": "addShippingAddressId", "addressId": "nope"}),
        json!({"action": "removeShippingAddressId", "addressKey": "nope"}),
        json!({"action": "setDefaultShippingAddress"}),
        json!({"action": "addBillingAddressId", "addressKey": "nope"}),
        json!({"action": "removeBillingAddressId", "addressId": "nope"}),
        json!({"action": "setDefaultBillingAddress", "addressId": "nope"}),
        json!({"action": "setAddressCustomType", "addressId": "nope"}),
        json!({"action": "setAddressCustomField", "addressId": "nope", "name": "x", "value": 1}),
    ] {
        assert!(
            matches!(
                err(&c, json!([action.clone()])),
                ApiError::InvalidInput { .. }
            ),
            "{action}"
        );
    }
    // A changed address may not take another address's key.
    assert!(matches!(
        err(
            &c,
            json!([{"action": "changeAddress", "addressKey": "home", "address": {"key": "work", "country": "DE"}}])
        ),
        ApiError::DuplicateField { .. }
    ));
}

#[test]
fn remove_address_clears_every_role() {
    let c = ok(
        &basic(),
        json!([{"action": "setDefaultBillingAddress", "addressKey": "home"}]),
    )
    .stored;
    let home = address_id(&c, "home");
    assert_eq!(
        c.customer.default_billing_address_id.as_deref(),
        Some(home.as_str())
    );
    let updated = ok(&c, json!([{"action": "removeAddress", "addressId": home}]));
    let u = &updated.stored.customer;
    assert_eq!(u.addresses.len(), 1);
    assert!(!u.shipping_address_ids.contains(&home));
    assert!(!u.billing_address_ids.contains(&home));
    assert_eq!(u.default_shipping_address_id, None);
    assert_eq!(u.default_billing_address_id, None);
    let m = json_of(&updated.messages[0]);
    assert_eq!(m["type"], "CustomerAddressRemoved");
    assert_eq!(m["address"]["id"], home);
    assert_eq!(m["addressRoles"], json!(["Shipping", "Billing"]));
}

#[test]
fn shipping_and_billing_roles() {
    let c = basic();
    let (home, work) = (address_id(&c, "home"), address_id(&c, "work"));
    // Add, then adding again changes nothing.
    let added = ok(
        &c,
        json!([{"action": "addShippingAddressId", "addressKey": "work"}]),
    );
    assert_eq!(
        added.stored.customer.shipping_address_ids,
        vec![home.clone(), work.clone()]
    );
    assert_eq!(types(&added), vec!["CustomerShippingAddressAdded"]);
    assert_eq!(
        ok(
            &added.stored,
            json!([{"action": "addShippingAddressId", "addressId": work}])
        )
        .stored
        .customer
        .version,
        2
    );
    // Removing the default unsets the default.
    let removed = ok(
        &c,
        json!([{"action": "removeShippingAddressId", "addressId": home}]),
    );
    assert!(removed.stored.customer.shipping_address_ids.is_empty());
    assert_eq!(removed.stored.customer.default_shipping_address_id, None);
    assert_eq!(types(&removed), vec!["CustomerShippingAddressRemoved"]);
    // Removing what is not there changes nothing.
    assert_eq!(
        ok(
            &c,
            json!([{"action": "removeShippingAddressId", "addressId": work}])
        )
        .stored
        .customer
        .version,
        1
    );
    // setDefault adds the id to the list.
    let default = ok(
        &c,
        json!([{"action": "setDefaultBillingAddress", "addressKey": "home"}]),
    );
    let u = &default.stored.customer;
    assert_eq!(u.default_billing_address_id.as_deref(), Some(home.as_str()));
    assert_eq!(u.billing_address_ids, vec![work.clone(), home.clone()]);
    let m = json_of(&default.messages[0]);
    assert_eq!(m["type"], "CustomerDefaultBillingAddressSet");
    assert_eq!(m["address"]["id"], home);
    assert_eq!(
        ok(
            &default.stored,
            json!([{"action": "setDefaultBillingAddress", "addressId": home}])
        )
        .stored
        .customer
        .version,
        2
    );
    let billing = ok(
        &c,
        json!([{"action": "addBillingAddressId", "addressKey": "home"}, {"action": "removeBillingAddressId", "addressKey": "work"}]),
    );
    assert_eq!(
        billing.stored.customer.billing_address_ids,
        vec![home.clone()]
    );
    assert_eq!(
        types(&billing),
        vec![
            "CustomerBillingAddressAdded",
            "CustomerBillingAddressRemoved"
        ]
    );
    let shipping_default = ok(
        &c,
        json!([{"action": "setDefaultShippingAddress", "addressKey": "work"}]),
    );
    assert_eq!(
        shipping_default
            .stored
            .customer
            .default_shipping_address_id
            .as_deref(),
        Some(work.as_str())
    );
    assert_eq!(
        types(&shipping_default),
        vec!["CustomerDefaultShippingAddressSet"]
    );
}

// ---- groups and stores --------------------------------------------------------------------

#[test]
fn customer_group() {
    let c = basic();
    let set = ok(
        &c,
        json!([{"action": "setCustomerGroup", "customerGroup": {"typeId": "customer-group", "id": "g1"}}]),
    );
    assert_eq!(
        set.stored
            .customer
            .customer_group
            .as_ref()
            .unwrap()
            .id
            .as_deref(),
        Some("g1")
    );
    let m = json_of(&set.messages[0]);
    assert_eq!(m["type"], "CustomerGroupSet");
    assert_eq!(
        m["customerGroup"],
        json!({"typeId": "customer-group", "id": "g1"})
    );
    let unset = ok(&set.stored, json!([{"action": "setCustomerGroup"}]));
    assert_eq!(unset.stored.customer.customer_group, None);
    assert!(json_of(&unset.messages[0]).get("customerGroup").is_none());
    assert_eq!(
        ok(&c, json!([{"action": "setCustomerGroup"}]))
            .stored
            .customer
            .version,
        1
    );
    assert!(matches!(
        err(
            &c,
            json!([{"action": "setCustomerGroup", "customerGroup": {"id": "g", "key": "g"}}])
        ),
        ApiError::InvalidJsonInput { .. }
    ));
}

#[test]
fn customer_group_assignments() {
    let c = basic();
    let set = ok(
        &c,
        json!([{"action": "setCustomerGroupAssignments", "customerGroupAssignments": [
            {"customerGroup": {"key": "a"}}, {"customerGroup": {"key": "a"}}, {"customerGroup": {"id": "b"}}
        ]}]),
    );
    assert_eq!(set.stored.customer.customer_group_assignments.len(), 2);
    let m = json_of(&set.messages[0]);
    assert_eq!(m["type"], "CustomerGroupAssignmentsSet");
    assert_eq!(m["oldCustomerGroupAssignments"], json!([]));
    let added = ok(
        &set.stored,
        json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"key": "c"}}}]),
    );
    assert_eq!(added.stored.customer.customer_group_assignments.len(), 3);
    assert_eq!(types(&added), vec!["CustomerGroupAssignmentAdded"]);
    let again = ok(
        &added.stored,
        json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"key": "c"}}}]),
    );
    assert_eq!(again.stored.customer.version, added.stored.customer.version);
    let removed = ok(
        &added.stored,
        json!([{"action": "removeCustomerGroupAssignment", "customerGroup": {"key": "a"}}]),
    );
    assert_eq!(removed.stored.customer.customer_group_assignments.len(), 2);
    assert_eq!(
        json_of(&removed.messages[0])["customerGroupAssignment"],
        json!({"customerGroup": {"typeId": "customer-group", "key": "a"}})
    );
    assert_eq!(
        ok(
            &c,
            json!([{"action": "removeCustomerGroupAssignment", "customerGroup": {"key": "zzz"}}])
        )
        .stored
        .customer
        .version,
        1
    );
    assert!(matches!(
        err(
            &c,
            json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {}}}])
        ),
        ApiError::InvalidJsonInput { .. }
    ));
}

#[test]
fn stores() {
    let c = basic();
    let set = ok(
        &c,
        json!([{"action": "setStores", "stores": [{"key": "s1"}, {"key": "s2"}, {"key": "s1"}]}]),
    );
    assert_eq!(set.stored.customer.store_keys(), vec!["s1", "s2"]);
    let m = json_of(&set.messages[0]);
    assert_eq!(m["type"], "CustomerStoresSet");
    assert_eq!(m["oldStores"], json!([]));
    assert_eq!(
        m["stores"],
        json!([{"typeId": "store", "key": "s1"}, {"typeId": "store", "key": "s2"}])
    );
    let added = ok(
        &set.stored,
        json!([{"action": "addStore", "store": {"key": "s3", "typeId": "store"}}]),
    );
    assert_eq!(added.stored.customer.store_keys(), vec!["s1", "s2", "s3"]);
    assert!(added.messages.is_empty());
    assert_eq!(
        ok(
            &added.stored,
            json!([{"action": "addStore", "store": {"key": "s3"}}])
        )
        .stored
        .customer
        .version,
        3
    );
    let removed = ok(
        &added.stored,
        json!([{"action": "removeStore", "store": {"key": "s1"}}]),
    );
    assert_eq!(removed.stored.customer.store_keys(), vec!["s2", "s3"]);
    assert_eq!(
        ok(
            &added.stored,
            json!([{"action": "removeStore", "store": {"key": "zz"}}])
        )
        .stored
        .customer
        .version,
        3
    );
    let reordered = ok(
        &set.stored,
        json!([{"action": "setStores", "stores": [{"key": "s2"}, {"key": "s1"}]}]),
    );
    assert_eq!(
        reordered.stored.customer.version, 2,
        "the same stores in another order change nothing"
    );
    let global = ok(&set.stored, json!([{"action": "setStores", "stores": []}]));
    assert!(global.stored.customer.stores.is_empty());
    assert!(matches!(
        err(&c, json!([{"action": "addStore", "store": {"id": "x"}}])),
        ApiError::ReferencedResourceNotFound { .. }
    ));
    assert!(matches!(
        err(
            &c,
            json!([{"action": "setStores", "stores": [{"key": "!"}]}])
        ),
        ApiError::InvalidField { .. }
    ));
}

// ---- authentication mode ----------------------------------------------------------------

#[test]
fn authentication_mode() {
    let c = basic();
    let external = ok(
        &c,
        json!([{"action": "setAuthenticationMode", "authMode": "ExternalAuth"}]),
    );
    assert_eq!(
        external.stored.customer.authentication_mode,
        AuthenticationMode::ExternalAuth
    );
    assert_eq!(external.stored.customer.password, None);
    assert_eq!(external.stored.password_hash, None);
    assert!(external.messages.is_empty());
    assert_eq!(external.stored.customer.version, 2);
    // Back to Password needs a password.
    assert_eq!(
        err(
            &external.stored,
            json!([{"action": "setAuthenticationMode", "authMode": "Password"}])
        ),
        ApiError::RequiredField {
            field: "password".into()
        }
    );
    assert!(matches!(
        err(
            &external.stored,
            json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": ""}])
        ),
        ApiError::InvalidField { .. }
    ));
    let back = ok(
        &external.stored,
        json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "s3cret"}]),
    );
    assert_eq!(
        back.stored.password_hash.as_deref(),
        Some("$new$s3cret$WXYZ")
    );
    assert_eq!(back.stored.customer.password.as_deref(), Some("****WXYZ"));
    // Dropping or replacing the password voids reset tokens and OAuth sessions.
    let unmarked = StoredCustomer {
        password_tokens_valid_from: 0,
        sessions_valid_from: 0,
        ..external.stored.clone()
    };
    let new_password = ok(
        &unmarked,
        json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "s3cret"}]),
    );
    for changed in [&external.stored, &new_password.stored] {
        assert_eq!(changed.password_tokens_valid_from, LATER + 1);
        assert_eq!(changed.sessions_valid_from, LATER + 1);
        assert_eq!(changed.email_tokens_valid_from, 0);
    }
    // The same mode changes nothing (and does not touch the password).
    let same = ok(
        &c,
        json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "other"}]),
    );
    assert_eq!(same.stored, c);
    assert!(matches!(
        err(
            &c,
            json!([{"action": "setAuthenticationMode", "authMode": "Sso"}])
        ),
        ApiError::InvalidJsonInput { .. }
    ));
}

// ---- custom fields ----------------------------------------------------------------------

#[test]
fn custom_type_and_fields() {
    let c = basic();
    assert!(matches!(
        err(
            &c,
            json!([{"action": "setCustomField", "name": "a", "value": 1}])
        ),
        ApiError::InvalidOperation { .. }
    ));
    let typed = ok(
        &c,
        json!([{"action": "setCustomType", "type": {"key": "t1", "typeId": "type"}, "fields": {"a": 1}}]),
    );
    let m = json_of(&typed.messages[0]);
    assert_eq!(m["type"], "CustomerCustomTypeSet");
    assert_eq!(
        m["customFields"],
        json!({"type": {"typeId": "type", "key": "t1"}, "fields": {"a": 1}})
    );
    assert!(m.get("previousTypeId").is_none());
    let c2 = typed.stored;
    let added = ok(
        &c2,
        json!([{"action": "setCustomField", "name": "b", "value": [1, 2]}]),
    );
    assert_eq!(
        json_of(&added.messages[0])["type"],
        "CustomerCustomFieldAdded"
    );
    assert_eq!(json_of(&added.messages[0])["value"], json!([1, 2]));
    let changed = ok(
        &c2,
        json!([{"action": "setCustomField", "name": "a", "value": 2}]),
    );
    let m = json_of(&changed.messages[0]);
    assert_eq!(m["type"], "CustomerCustomFieldChanged");
    assert_eq!(m["previousValue"], 1);
    assert_eq!(
        ok(
            &c2,
            json!([{"action": "setCustomField", "name": "a", "value": 1}])
        )
        .stored
        .customer
        .version,
        2
    );
    let removed = ok(
        &c2,
        json!([{"action": "setCustomField", "name": "a", "value": null}]),
    );
    assert_eq!(types(&removed), vec!["CustomerCustomFieldRemoved"]);
    assert!(removed
        .stored
        .customer
        .custom
        .as_ref()
        .unwrap()
        .fields
        .is_empty());
    assert!(matches!(
        err(
            &c2,
            json!([{"action": "setCustomField", "name": "missing"}])
        ),
        ApiError::InvalidOperation { .. }
    ));
    let retyped = ok(
        &c2,
        json!([{"action": "setCustomType", "type": {"id": "t2"}}]),
    );
    let m = json_of(&retyped.messages[0]);
    assert_eq!(m["previousTypeId"], "t1");
    assert_eq!(m["customFields"]["fields"], json!({}));
    let untyped = ok(&c2, json!([{"action": "setCustomType"}]));
    assert_eq!(untyped.stored.customer.custom, None);
    let m = json_of(&untyped.messages[0]);
    assert_eq!(m["type"], "CustomerCustomTypeRemoved");
    assert_eq!(m["previousTypeId"], "t1");
    assert_eq!(
        ok(&c, json!([{"action": "setCustomType"}]))
            .stored
            .customer
            .version,
        1
    );
}

#[test]
fn address_custom_type_and_fields() {
    let c = basic();
    let home = address_id(&c, "home");
    assert!(matches!(
        err(
            &c,
            json!([{"action": "setAddressCustomField", "addressId": home, "name": "a", "value": 1}])
        ),
        ApiError::InvalidOperation { .. }
    ));
    let typed = ok(
        &c,
        json!([{"action": "setAddressCustomType", "addressId": home, "type": {"id": "at"}}]),
    );
    let m = json_of(&typed.messages[0]);
    assert_eq!(m["type"], "CustomerAddressCustomTypeSet");
    assert_eq!(m["addressId"], home);
    let added = ok(
        &typed.stored,
        json!([{"action": "setAddressCustomField", "addressId": home, "name": "door", "value": "red"}]),
    );
    let m = json_of(&added.messages[0]);
    assert_eq!(m["type"], "CustomerAddressCustomFieldAdded");
    assert_eq!(m["addressId"], home);
    assert_eq!(
        added.stored.customer.addresses[0]
            .custom
            .as_ref()
            .unwrap()
            .fields["door"],
        "red"
    );
    let changed = ok(
        &added.stored,
        json!([{"action": "setAddressCustomField", "addressId": home, "name": "door", "value": "blue"}]),
    );
    assert_eq!(json_of(&changed.messages[0])["previousValue"], "red");
    let removed = ok(
        &added.stored,
        json!([{"action": "setAddressCustomField", "addressId": home, "name": "door"}]),
    );
    assert_eq!(types(&removed), vec!["CustomerAddressCustomFieldRemoved"]);
    assert!(matches!(
        err(
            &typed.stored,
            json!([{"action": "setAddressCustomField", "addressId": home, "name": "door"}])
        ),
        ApiError::InvalidOperation { .. }
    ));
    let untyped = ok(
        &added.stored,
        json!([{"action": "setAddressCustomType", "addressId": home}]),
    );
    let m = json_of(&untyped.messages[0]);
    assert_eq!(m["type"], "CustomerAddressCustomTypeRemoved");
    assert_eq!(m["previousTypeId"], "at");
}

#[test]
fn messages_name_the_customer_and_its_identifiers() {
    let c = customer(json!({"email": "a@b.c", "password": "p", "key": "k-1"}));
    let updated = ok(
        &c,
        json!([{"action": "setKey", "key": "k-2"}, {"action": "setFirstName", "firstName": "A"}]),
    );
    let m = json_of(&updated.messages[0]);
    assert_eq!(
        m["resource"],
        json!({"typeId": "customer", "id": c.customer.id})
    );
    assert_eq!(m["resourceUserProvidedIdentifiers"], json!({"key": "k-2"}));
    assert_eq!(m["createdBy"]["clientId"], "updater");
    assert_eq!(m["createdAt"], "2023-11-14T22:14:20.000Z");
    assert_eq!(m["resourceVersion"], 3);
}

#[test]
fn change_email_voids_email_tokens() {
    let c = basic();
    let updated = ok(
        &c,
        json!([{"action": "changeEmail", "email": "new@example.com"}]),
    );
    assert_eq!(updated.stored.email_tokens_valid_from, LATER + 1);
    assert_eq!(updated.stored.password_tokens_valid_from, 0);
    let other = ok(
        &c,
        json!([{"action": "setFirstName", "firstName": "Other"}]),
    );
    assert_eq!(other.stored.email_tokens_valid_from, 0);
}

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
