//! Customer updates: `POST …/customers/{id}` and `…/customers/key={key}` with
//! `{version, actions}`, serialized per customer, all or nothing, and the races the issue names.

use std::sync::{Arc, Barrier};

use serde_json::{json, Value};

use crate::support::{sharded, unique, unique_email, App, Reply, StoredMessage};

tests!(updates;
    multi_action_update_applies_in_order,
    an_update_that_changes_nothing_keeps_the_version,
    address_roles_end_to_end,
    change_email_onto_a_taken_email_changes_nothing,
    change_email_frees_the_old_email,
    set_key_and_customer_number_stay_unique,
    store_changes_recheck_the_email,
    stale_version_is_409_with_the_current_version,
    update_by_key_and_in_store,
    update_of_a_deleted_customer_is_404,
    bad_update_bodies_are_400_and_change_nothing,
    failing_action_rolls_back_the_whole_request,
    authentication_mode_switches_drop_and_require_the_password,
    fifty_concurrent_updates_with_one_version_have_one_winner,
    twenty_retrying_writers_all_land,
    change_email_racing_a_create_has_one_owner,
    two_customers_racing_for_one_email_have_one_owner,
    d1_bookmarks_round_trip,
    customer_bookmarks_name_every_database_written,
    ; serial: update_messages_are_stored_with_their_versions,
);

fn update(app: &App, path: &str, version: u64, actions: Value) -> Reply {
    app.post(
        path,
        app.admin(),
        &json!({"version": version, "actions": actions}),
    )
}

#[track_caller]
fn updated(app: &App, path: &str, version: u64, actions: Value) -> Value {
    let reply = update(app, path, version, actions);
    assert_eq!(reply.status, 200, "update: {}", reply.text);
    reply.json
}

fn path_of(customer: &Value) -> String {
    format!("/demo/customers/{}", customer["id"].as_str().unwrap())
}

fn version_of(customer: &Value) -> u64 {
    customer["version"].as_u64().unwrap()
}

fn multi_action_update_applies_in_order(app: &App) {
    app.ensure_type(
        "u-fields",
        &["customer"],
        &[("tier", json!({"name": "String"}))],
    );
    let c = app.create_customer(&json!({"email": unique_email("multi"), "password": "x"}));
    let key = unique("multi");
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([
            {"action": "setFirstName", "firstName": "Ada"},
            {"action": "setLastName", "lastName": "Lovelace"},
            {"action": "setKey", "key": key},
            {"action": "setLocale", "locale": "en-GB"},
            {"action": "setDateOfBirth", "dateOfBirth": "1815-12-10"},
            {"action": "setFirstName", "firstName": "Augusta"},
            {"action": "setCustomType", "type": {"key": "u-fields", "typeId": "type"}, "fields": {"tier": "gold"}},
            {"action": "setCustomField", "name": "tier", "value": "platinum"}
        ]),
    );
    assert_eq!(u["firstName"], "Augusta", "actions apply in order");
    assert_eq!(u["lastName"], "Lovelace");
    assert_eq!(u["key"], key.as_str());
    assert_eq!(u["locale"], "en-GB");
    assert_eq!(u["dateOfBirth"], "1815-12-10");
    assert_eq!(u["custom"]["fields"], json!({"tier": "platinum"}));
    assert_eq!(version_of(&u), 9, "eight changing actions");
    assert_eq!(u["createdAt"], c["createdAt"]);
    assert_ne!(u["lastModifiedAt"], c["lastModifiedAt"]);
    assert_eq!(u["lastModifiedBy"]["clientId"], "demo-admin");
    // What the update returned is what is stored, by id and by the new key.
    assert_eq!(app.get(&path_of(&c), app.admin()).json, u);
    assert_eq!(
        app.get(&format!("/demo/customers/key={key}"), app.admin())
            .json,
        u
    );
}

fn an_update_that_changes_nothing_keeps_the_version(app: &App) {
    let c = app.create_customer(
        &json!({"email": unique_email("noop"), "password": "x", "firstName": "Jo"}),
    );
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setFirstName", "firstName": "Jo"}, {"action": "setVatId"}]),
    );
    assert_eq!(u, c);
    let u = updated(app, &path_of(&c), 1, json!([]));
    assert_eq!(u, c);
}

fn address_roles_end_to_end(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("roles"), "password": "x"}));
    let path = path_of(&c);
    let u = updated(
        app,
        &path,
        1,
        json!([
            {"action": "addAddress", "address": {"key": "home", "country": "DE", "city": "Berlin"}},
            {"action": "addAddress", "address": {"key": "work", "country": "FR", "city": "Paris"}},
            {"action": "setDefaultShippingAddress", "addressKey": "home"},
            {"action": "addBillingAddressId", "addressKey": "work"},
            {"action": "addShippingAddressId", "addressKey": "work"}
        ]),
    );
    let home = u["addresses"][0]["id"].as_str().unwrap().to_string();
    let work = u["addresses"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(u["defaultShippingAddressId"], home.as_str());
    assert_eq!(u["shippingAddressIds"], json!([home, work]));
    assert_eq!(u["billingAddressIds"], json!([work]));
    let v = version_of(&u);
    // Removing the default shipping id unsets the default; changing an address keeps its id.
    let u = updated(
        app,
        &path,
        v,
        json!([
            {"action": "removeShippingAddressId", "addressId": home},
            {"action": "changeAddress", "addressKey": "work", "address": {"key": "office", "country": "IT", "city": "Rome"}},
            {"action": "setDefaultBillingAddress", "addressKey": "office"}
        ]),
    );
    assert!(u.get("defaultShippingAddressId").is_none());
    assert_eq!(u["shippingAddressIds"], json!([work]));
    assert_eq!(u["addresses"][1]["id"], work.as_str());
    assert_eq!(u["addresses"][1]["key"], "office");
    assert_eq!(u["addresses"][1]["city"], "Rome");
    assert_eq!(u["defaultBillingAddressId"], work.as_str());
    // setDefaultBillingAddress naming no address unsets the default; the role stays.
    let u = updated(
        app,
        &path,
        version_of(&u),
        json!([{"action": "setDefaultBillingAddress"}]),
    );
    assert!(u.get("defaultBillingAddressId").is_none(), "{u}");
    assert_eq!(u["billingAddressIds"], json!([work]));
    let u = updated(
        app,
        &path,
        version_of(&u),
        json!([{"action": "setDefaultBillingAddress", "addressKey": "office"}]),
    );
    // Removing an address removes it from every list and default.
    let u = updated(
        app,
        &path,
        version_of(&u),
        json!([{"action": "removeAddress", "addressKey": "office"}]),
    );
    assert_eq!(u["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(u["shippingAddressIds"], json!([]));
    assert_eq!(u["billingAddressIds"], json!([]));
    assert!(u.get("defaultBillingAddressId").is_none());
    // Address keys stay unique within the customer; unknown addresses are refused.
    let reply = update(
        app,
        &path,
        version_of(&u),
        json!([{"action": "addAddress", "address": {"key": "home", "country": "DE"}}]),
    );
    reply.assert_error(400, "DuplicateField");
    let reply = update(
        app,
        &path,
        version_of(&u),
        json!([{"action": "removeAddress", "addressId": "nope"}]),
    );
    reply.assert_error(400, "InvalidInput");
}

fn change_email_onto_a_taken_email_changes_nothing(app: &App) {
    let taken = unique_email("taken");
    app.create_customer(&json!({"email": taken, "password": "x"}));
    let c = app.create_customer(
        &json!({"email": unique_email("mover"), "password": "x", "isEmailVerified": true}),
    );
    let reply = update(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setFirstName", "firstName": "Changed"}, {"action": "changeEmail", "email": taken.to_uppercase()}]),
    );
    let error = reply.assert_error(400, "DuplicateField");
    assert_eq!(error["field"], "email");
    assert_eq!(error["duplicateValue"], taken.to_uppercase().as_str());
    // Nothing changed: not the first action, not the version.
    assert_eq!(app.get(&path_of(&c), app.admin()).json, c);
}

fn change_email_frees_the_old_email(app: &App) {
    let old = unique_email("old");
    let c = app.create_customer(&json!({"email": old, "password": "x", "isEmailVerified": true}));
    let new = unique_email("new");
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([{"action": "changeEmail", "email": new}]),
    );
    assert_eq!(u["email"], new.as_str());
    assert_eq!(u["isEmailVerified"], false);
    // The old email is free again; the new one is taken (in any case).
    app.create_customer(&json!({"email": old, "password": "x"}));
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": new.to_uppercase(), "password": "x"}),
    );
    reply.assert_error(400, "DuplicateField");
    // A change of case only is still a change of the email.
    let u = updated(
        app,
        &path_of(&c),
        2,
        json!([{"action": "changeEmail", "email": new.to_uppercase()}]),
    );
    assert_eq!(u["email"], new.to_uppercase().as_str());
    assert_eq!(version_of(&u), 3);
}

fn set_key_and_customer_number_stay_unique(app: &App) {
    let (key, number) = (unique("k"), unique("n"));
    app.create_customer(&json!({"email": unique_email("holder"), "password": "x", "key": key, "customerNumber": number}));
    let c = app.create_customer(&json!({"email": unique_email("setter"), "password": "x"}));
    let reply = update(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setKey", "key": key}]),
    );
    assert_eq!(reply.assert_error(400, "DuplicateField")["field"], "key");
    let reply = update(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setCustomerNumber", "customerNumber": number}]),
    );
    assert_eq!(
        reply.assert_error(400, "DuplicateField")["field"],
        "customerNumber"
    );
    assert_eq!(app.get(&path_of(&c), app.admin()).json, c);
    // Once set, a customer number cannot change.
    let own = unique("n");
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setCustomerNumber", "customerNumber": own}]),
    );
    let reply = update(
        app,
        &path_of(&c),
        version_of(&u),
        json!([{"action": "setCustomerNumber", "customerNumber": unique("n")}]),
    );
    reply.assert_error(400, "InvalidOperation");
    // A removed key is free for others.
    let u = updated(
        app,
        &path_of(&c),
        version_of(&u),
        json!([{"action": "setKey", "key": unique("k")}]),
    );
    let freed = u["key"].as_str().unwrap().to_string();
    updated(
        app,
        &path_of(&c),
        version_of(&u),
        json!([{"action": "setKey"}]),
    );
    app.create_customer(&json!({"email": unique_email("taker"), "password": "x", "key": freed}));
}

fn store_changes_recheck_the_email(app: &App) {
    let email = unique_email("stores");
    let (a, b, c) = (unique("store-a"), unique("store-b"), unique("store-c"));
    app.create_customer(&json!({"email": email, "password": "x", "stores": [{"key": a}]}));
    let other = app.create_customer(
        &json!({"email": email.to_uppercase(), "password": "x", "stores": [{"key": b}]}),
    );
    let path = path_of(&other);
    // Into a store where the email is taken, or global while a store customer holds it: refused.
    for actions in [
        json!([{"action": "addStore", "store": {"key": a}}]),
        json!([{"action": "setStores", "stores": [{"key": a}, {"key": b}]}]),
        json!([{"action": "setStores", "stores": []}]),
        json!([{"action": "removeStore", "store": {"key": b}}]),
    ] {
        update(app, &path, 1, actions).assert_error(400, "DuplicateField");
    }
    assert_eq!(app.get(&path, app.admin()).json, other);
    // Into a free store: fine, and the old store's claim is released.
    let u = updated(
        app,
        &path,
        1,
        json!([{"action": "setStores", "stores": [{"key": c}]}]),
    );
    assert_eq!(u["stores"], json!([{"typeId": "store", "key": c}]));
    let in_b = app.post(
        &format!("/demo/in-store/key={b}/customers"),
        app.admin(),
        &json!({"email": email, "password": "x"}),
    );
    assert_eq!(in_b.status, 201, "{}", in_b.text);
    // A global customer's email blocks a store customer from taking it by a store change.
    let global = unique_email("global");
    app.create_customer(&json!({"email": global, "password": "x"}));
    let mover = app.create_customer(
        &json!({"email": unique_email("mover"), "password": "x", "stores": [{"key": c}]}),
    );
    update(
        app,
        &path_of(&mover),
        1,
        json!([{"action": "changeEmail", "email": global}]),
    )
    .assert_error(400, "DuplicateField");
}

fn stale_version_is_409_with_the_current_version(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("stale"), "password": "x"}));
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setFirstName", "firstName": "A"}]),
    );
    for stale in [1, 3, 99] {
        let reply = update(
            app,
            &path_of(&c),
            stale,
            json!([{"action": "setFirstName", "firstName": "B"}]),
        );
        let error = reply.assert_error(409, "ConcurrentModification");
        assert_eq!(error["currentVersion"], 2);
    }
    assert_eq!(app.get(&path_of(&c), app.admin()).json, u);
}

fn update_by_key_and_in_store(app: &App) {
    let key = unique("bykey");
    let store = unique("st");
    let c = app.create_customer(&json!({"email": unique_email("bykey"), "password": "x", "key": key, "stores": [{"key": store}]}));
    let u = updated(
        app,
        &format!("/demo/customers/key={key}"),
        1,
        json!([{"action": "setTitle", "title": "Dr."}]),
    );
    assert_eq!(u["title"], "Dr.");
    let u = updated(
        app,
        &format!("/demo/in-store/key={store}/customers/key={key}"),
        2,
        json!([{"action": "setTitle", "title": "Prof."}]),
    );
    assert_eq!(u["title"], "Prof.");
    let id = c["id"].as_str().unwrap();
    let u = updated(
        app,
        &format!("/demo/in-store/key={store}/customers/{id}"),
        3,
        json!([{"action": "setSalutation", "salutation": "Hi"}]),
    );
    assert_eq!(version_of(&u), 4);
    // Another store does not see it.
    update(
        app,
        &format!("/demo/in-store/key=elsewhere/customers/{id}"),
        4,
        json!([{"action": "setTitle"}]),
    )
    .assert_error(404, "ResourceNotFound");
    update(
        app,
        &format!("/demo/in-store/key=elsewhere/customers/key={key}"),
        4,
        json!([{"action": "setTitle"}]),
    )
    .assert_error(404, "ResourceNotFound");
    update(app, "/demo/customers/key=no-such-key", 1, json!([]))
        .assert_error(404, "ResourceNotFound");
    // Reading scope cannot update.
    let view = app.token(crate::support::VIEWER, None);
    app.post(&path_of(&c), &view, &json!({"version": 4, "actions": []}))
        .assert_error(403, "insufficient_scope");
}

fn update_of_a_deleted_customer_is_404(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("gone"), "password": "x"}));
    assert_eq!(
        app.delete(&format!("{}?version=1", path_of(&c)), app.admin())
            .status,
        200
    );
    let reply = update(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setFirstName", "firstName": "Ghost"}]),
    );
    reply.assert_error(404, "ResourceNotFound");
    update(
        app,
        "/demo/customers/00000000-0000-4000-8000-000000000000",
        1,
        json!([]),
    )
    .assert_error(404, "ResourceNotFound");
}

fn bad_update_bodies_are_400_and_change_nothing(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("bad"), "password": "x"}));
    let path = path_of(&c);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"version\":1,\"actions\":[".to_vec(), "Malformed JSON"),
        (json!({"actions": []}).to_string().into_bytes(), "version: Missing required value"),
        (json!({"version": 1}).to_string().into_bytes(), "actions: Missing required value"),
        (json!({"version": "1", "actions": []}).to_string().into_bytes(), "version: invalid type"),
        (json!({"version": -1, "actions": []}).to_string().into_bytes(), "version: invalid value"),
        (json!({"version": 1, "actions": {}}).to_string().into_bytes(), "actions: invalid type"),
        (json!({"version": 1, "actions": [{"action": "teleport"}]}).to_string().into_bytes(), "actions[0]: unknown variant `teleport`"),
        (json!({"version": 1, "actions": [{"firstName": "x"}]}).to_string().into_bytes(), "actions[0] -> action: Missing required value"),
        (json!({"version": 1, "actions": [{"action": "setFirstName"}, {"action": "changeEmail", "email": 5}]}).to_string().into_bytes(), "actions[1] -> email: invalid type"),
        (json!({"version": 1, "actions": [{"action": "addAddress", "address": {"city": "x"}}]}).to_string().into_bytes(), "actions[0] -> address -> country: Missing required value"),
    ];
    for (body, detail) in cases {
        let reply = app.post_raw(&path, app.admin(), &body);
        let error = reply.assert_error(400, "InvalidJsonInput");
        let got = error["detailedErrorMessage"].as_str().unwrap();
        assert!(got.starts_with(detail), "{got} should start with {detail}");
    }
    let many: Vec<Value> = (0..501)
        .map(|i| json!({"action": "setVatId", "vatId": i.to_string()}))
        .collect();
    update(app, &path, 1, json!(many)).assert_error(400, "InvalidInput");
    let huge = json!({"version": 1, "actions": [{"action": "setFirstName", "firstName": "x".repeat(600 * 1024)}]});
    app.post(&path, app.admin(), &huge)
        .assert_error(413, "ContentTooLarge");
    assert_eq!(app.get(&path, app.admin()).json, c, "nothing was written");
    // 500 actions are fine.
    let enough: Vec<Value> = (0..500)
        .map(|i| json!({"action": "setVatId", "vatId": i.to_string()}))
        .collect();
    assert_eq!(version_of(&updated(app, &path, 1, json!(enough))), 501);
}

fn failing_action_rolls_back_the_whole_request(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("atomic"), "password": "x"}));
    let path = path_of(&c);
    let cases = [
        (
            json!([{"action": "setFirstName", "firstName": "A"}, {"action": "setCustomField", "name": "f", "value": 1}]),
            "InvalidOperation",
        ),
        (
            json!([{"action": "setFirstName", "firstName": "A"}, {"action": "setKey", "key": "!"}]),
            "InvalidField",
        ),
        (
            json!([{"action": "addAddress", "address": {"country": "DE"}}, {"action": "changeAddress", "addressId": "missing", "address": {"country": "DE"}}]),
            "InvalidInput",
        ),
        (
            json!([{"action": "setFirstName", "firstName": "A"}, {"action": "setAuthenticationMode", "authMode": "ExternalAuth"}, {"action": "setAuthenticationMode", "authMode": "Password"}]),
            "RequiredField",
        ),
        (
            json!([{"action": "addStore", "store": {"id": "by-id"}}]),
            "ReferencedResourceNotFound",
        ),
    ];
    for (actions, code) in cases {
        update(app, &path, 1, actions).assert_error(400, code);
    }
    assert_eq!(app.get(&path, app.admin()).json, c);
}

fn authentication_mode_switches_drop_and_require_the_password(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("auth"), "password": "x"}));
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([{"action": "setAuthenticationMode", "authMode": "ExternalAuth"}]),
    );
    assert_eq!(u["authenticationMode"], "ExternalAuth");
    assert!(u.get("password").is_none());
    let u = updated(
        app,
        &path_of(&c),
        2,
        json!([{"action": "setAuthenticationMode", "authMode": "Password", "password": "new-secret"}]),
    );
    assert_eq!(u["authenticationMode"], "Password");
    let masked = u["password"].as_str().unwrap();
    assert!(masked.starts_with("****") && masked.len() == 8);
    assert!(!u.to_string().contains("new-secret"));
}

fn fifty_concurrent_updates_with_one_version_have_one_winner(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("fifty"), "password": "x"}));
    let path = path_of(&c);
    let barrier = Arc::new(Barrier::new(50));
    let outcomes: Vec<(u16, String, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (barrier, path) = (Arc::clone(&barrier), path.clone());
                s.spawn(move || {
                    barrier.wait();
                    let reply = update(
                        app,
                        &path,
                        1,
                        json!([{"action": "setFirstName", "firstName": format!("writer-{i}")}]),
                    );
                    let current = reply.json["errors"][0]["currentVersion"].clone();
                    (reply.status, reply.error_code().to_string(), current)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = outcomes
        .iter()
        .filter(|(status, _, _)| *status == 200)
        .count();
    let conflicts = outcomes
        .iter()
        .filter(|(status, code, current)| {
            *status == 409 && code == "ConcurrentModification" && *current == 2
        })
        .count();
    assert_eq!((ok, conflicts), (1, 49), "{outcomes:?}");
    let after = app.get(&path, app.admin()).json;
    assert_eq!(version_of(&after), 2);
    assert!(after["firstName"].as_str().unwrap().starts_with("writer-"));
}

fn twenty_retrying_writers_all_land(app: &App) {
    let writers: Vec<(String, Value)> = (0..20)
        .map(|i| (format!("writer{i}"), json!({"name": "Number"})))
        .collect();
    let fields: Vec<(&str, Value)> = writers
        .iter()
        .map(|(n, t)| (n.as_str(), t.clone()))
        .collect();
    app.ensure_type("u-counters", &["customer"], &fields);
    let c = app.create_customer(&json!({
        "email": unique_email("twenty"), "password": "x",
        "custom": {"type": {"key": "u-counters", "typeId": "type"}, "fields": {}}
    }));
    let path = path_of(&c);
    let barrier = Arc::new(Barrier::new(20));
    let attempts: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let (barrier, path) = (Arc::clone(&barrier), path.clone());
                s.spawn(move || {
                    barrier.wait();
                    let mut version = 1;
                    for attempt in 1..=200 {
                        let actions = json!([
                            {"action": "setCustomField", "name": format!("writer{i}"), "value": i},
                            {"action": "addAddress", "address": {"key": format!("a{i}"), "country": "DE"}}
                        ]);
                        let reply = update(app, &path, version, actions);
                        match reply.status {
                            200 => return attempt,
                            409 => version = reply.json["errors"][0]["currentVersion"].as_u64().expect("currentVersion"),
                            other => panic!("writer {i}: unexpected {other}: {}", reply.text),
                        }
                    }
                    panic!("writer {i} never landed");
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let after = app.get(&path, app.admin()).json;
    let fields = after["custom"]["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 20, "every writer's change is there: {after}");
    for i in 0..20 {
        assert_eq!(fields[&format!("writer{i}")], i);
    }
    assert_eq!(after["addresses"].as_array().unwrap().len(), 20);
    assert_eq!(
        version_of(&after),
        1 + 2 * 20,
        "two changing actions per writer"
    );
    assert!(
        attempts.iter().any(|&a| a > 1),
        "the writers did race: {attempts:?}"
    );
}

fn change_email_racing_a_create_has_one_owner(app: &App) {
    for round in 0..5 {
        let c = app.create_customer(&json!({"email": unique_email("racer"), "password": "x"}));
        let contested = unique_email("contested");
        let key = unique("newcomer");
        let barrier = Barrier::new(2);
        let (change, create) = std::thread::scope(|s| {
            let change = s.spawn(|| {
                barrier.wait();
                update(
                    app,
                    &path_of(&c),
                    1,
                    json!([{"action": "changeEmail", "email": contested}]),
                )
            });
            let create = s.spawn(|| {
                barrier.wait();
                app.post(
                    "/demo/customers",
                    app.admin(),
                    &json!({"email": contested.to_uppercase(), "password": "x", "key": key}),
                )
            });
            (change.join().unwrap(), create.join().unwrap())
        });
        let winners = usize::from(change.status == 200) + usize::from(create.status == 201);
        assert_eq!(
            winners, 1,
            "round {round}: change {} / create {}",
            change.text, create.text
        );
        for loser in [&change, &create] {
            if loser.status != 200 && loser.status != 201 {
                assert!(
                    matches!(
                        (loser.status, loser.error_code()),
                        (400, "DuplicateField") | (409, "LockedField")
                    ),
                    "round {round}: {}",
                    loser.text
                );
            }
        }
        // The stored state agrees with the answers.
        let now = app.get(&path_of(&c), app.admin()).json;
        let created = app.get(&format!("/demo/customers/key={key}"), app.admin());
        assert_eq!(
            now["email"] == contested.as_str(),
            change.status == 200,
            "round {round}"
        );
        assert_eq!(created.status == 200, create.status == 201, "round {round}");
    }
}

fn two_customers_racing_for_one_email_have_one_owner(app: &App) {
    for round in 0..5 {
        let a = app.create_customer(&json!({"email": unique_email("a"), "password": "x"}));
        let b = app.create_customer(&json!({"email": unique_email("b"), "password": "x"}));
        let contested = unique_email("both");
        let barrier = Arc::new(Barrier::new(2));
        let replies: Vec<Reply> = std::thread::scope(|s| {
            let handles: Vec<_> = [&a, &b]
                .into_iter()
                .enumerate()
                .map(|(i, customer)| {
                    let barrier = Arc::clone(&barrier);
                    let email = if i == 0 {
                        contested.clone()
                    } else {
                        contested.to_uppercase()
                    };
                    s.spawn(move || {
                        barrier.wait();
                        update(
                            app,
                            &path_of(customer),
                            1,
                            json!([{"action": "changeEmail", "email": email}]),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(
            winners,
            1,
            "round {round}: {:?}",
            replies.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        let holders = [&a, &b]
            .iter()
            .filter(|c| {
                let now = app.get(&path_of(c), app.admin()).json;
                now["email"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(&contested)
            })
            .count();
        assert_eq!(holders, 1, "round {round}");
    }
}

fn update_messages_are_stored_with_their_versions(app: &App) {
    let c = app.create_customer(
        &json!({"email": unique_email("msgs"), "password": "x", "key": unique("msgs")}),
    );
    let new_email = unique_email("msgs-new");
    let u = updated(
        app,
        &path_of(&c),
        1,
        json!([
            {"action": "setFirstName", "firstName": "A"},
            {"action": "setMiddleName", "middleName": "silent"},
            {"action": "changeEmail", "email": new_email},
            {"action": "addAddress", "address": {"country": "DE", "key": "home"}},
            {"action": "setDefaultShippingAddress", "addressKey": "home"}
        ]),
    );
    assert_eq!(version_of(&u), 6);
    assert_eq!(u["lastMessageSequenceNumber"], 5);
    let id = c["id"].as_str().unwrap();
    let messages = app.messages_of(id);
    assert_eq!(
        StoredMessage::summary(&messages),
        vec![
            ("CustomerCreated", 1, 1),
            ("CustomerFirstNameSet", 2, 2),
            ("CustomerEmailChanged", 3, 4),
            ("CustomerAddressAdded", 4, 5),
            ("CustomerDefaultShippingAddressSet", 5, 6),
        ]
    );
    let changed = &messages[2].doc;
    assert_eq!(changed["email"], new_email.as_str());
    assert_eq!(changed["oldEmail"], c["email"]);
    assert_eq!(changed["resource"], json!({"typeId": "customer", "id": id}));
}

/// The D1 Sessions bookmark (`x-d1-bookmark`): a write answers with one, a read brought it back
/// sees the write and answers with one, and a value that is no bookmark is ignored. (Locally
/// every statement runs on the primary, so this checks the plumbing, not a replica.) A customer
/// group, which lives in the catalog.
fn d1_bookmarks_round_trip(app: &App) {
    let key = unique_email("bookmark").replace(['@', '.'], "-");
    let id = app.ensure_group(&key);
    let path = format!("/demo/customer-groups/{id}");
    let written = update(
        app,
        &path,
        1,
        json!([{"action": "changeName", "name": "B"}]),
    );
    assert_eq!(written.status, 200, "{}", written.text);
    let bookmark = written
        .header("x-d1-bookmark")
        .expect("a write answers with its bookmark")
        .to_string();
    let bearer = format!("Bearer {}", app.admin());
    for brought in [bookmark.as_str(), "not a bookmark;", ""] {
        let read = app.send(
            "GET",
            &path,
            &[("Authorization", &bearer), ("x-d1-bookmark", brought)],
            None,
        );
        assert_eq!(read.status, 200, "{brought:?}: {}", read.text);
        assert_eq!(read.json["name"], "B", "{brought:?}");
        assert_eq!(read.json["version"], 2, "{brought:?}");
        assert!(read.header("x-d1-bookmark").is_some(), "{brought:?}");
    }
    let preflight = app.send(
        "OPTIONS",
        &path,
        &[
            ("Origin", "https://shop.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-d1-bookmark"),
        ],
        None,
    );
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(
        allowed.to_ascii_lowercase().contains("x-d1-bookmark"),
        "{allowed}"
    );
}

/// A customer's writes answer with the bookmarks of the databases they wrote: with one
/// database its bookmark; with customers over several, one per database, the customer's shard
/// named (`CUSTOMERS_n=…`). Sent back, a read by id, by key and a query (which reads every
/// shard) see the write and answer with bookmarks that still name that shard.
fn customer_bookmarks_name_every_database_written(app: &App) {
    let key = unique("bmc");
    let draft = json!({"email": unique_email("bmc"), "key": key, "password": "x"});
    let created = app.post("/demo/customers", app.admin(), &draft);
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created.header("x-d1-bookmark").is_some(),
        "a create answers with bookmarks"
    );
    let id = created.json["customer"]["id"].as_str().unwrap().to_string();
    let actions = json!([{"action": "setFirstName", "firstName": "Bo"}]);
    let written = update(app, &format!("/demo/customers/{id}"), 1, actions);
    assert_eq!(written.status, 200, "{}", written.text);
    let bookmark = written
        .header("x-d1-bookmark")
        .expect("an update answers with bookmarks")
        .to_string();
    let shard = bookmark
        .split(',')
        .find_map(|entry| entry.split_once('='))
        .map(|(name, _)| name.to_string());
    assert_eq!(shard.is_some(), sharded(), "{bookmark}");
    let bearer = format!("Bearer {}", app.admin());
    let by_key = format!(
        "/demo/customers?where={}",
        crate::support::encode(&format!("key = \"{key}\""))
    );
    for path in [
        format!("/demo/customers/{id}"),
        format!("/demo/customers/key={key}"),
        by_key,
    ] {
        let read = app.send(
            "GET",
            &path,
            &[("Authorization", &bearer), ("x-d1-bookmark", &bookmark)],
            None,
        );
        assert_eq!(read.status, 200, "{path}: {}", read.text);
        let customer = read.json.get("results").map_or(&read.json, |r| &r[0]);
        assert_eq!(customer["firstName"], "Bo", "{path}: {}", read.text);
        assert_eq!(customer["version"], 2, "{path}");
        let answered = read
            .header("x-d1-bookmark")
            .expect("a read answers with bookmarks");
        if let Some(shard) = &shard {
            assert!(
                answered.contains(&format!("{shard}=")),
                "{path}: {answered}"
            );
        }
    }
}
