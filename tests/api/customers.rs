//! Customers: create (global and in-store), get and HEAD by id and key, delete, uniqueness
//! of email / key / customer number, store visibility, and the messages written with them.

use std::sync::{Arc, Barrier};

use serde_json::{json, Value};

use crate::support::{unique, unique_email, App, StoredMessage};

tests!(customers;
    create_minimal_customer,
    create_full_draft,
    password_is_hashed_and_masked_never_returned,
    external_auth_customers_have_no_password,
    password_mode_requires_a_password,
    draft_rule_violations_are_400_with_the_right_code,
    hostile_values_are_stored_verbatim_or_refused,
    references_that_cannot_resolve_are_refused,
    email_is_unique_case_insensitively,
    key_and_customer_number_are_unique,
    email_scopes_global_versus_store,
    concurrent_creates_with_one_email_have_one_winner,
    get_and_head_by_id_and_key,
    in_store_create_defaults_stores_to_the_path_store,
    in_store_visibility,
    invalid_store_key_in_path_is_404,
    delete_by_id_checks_the_version,
    delete_by_key_and_frees_unique_values,
    delete_in_store_of_another_store_is_404,
    delete_query_parameters_are_validated,
    ; serial: password_hash_is_pbkdf2_and_only_its_tail_is_shown,
    created_and_deleted_messages_are_stored,
);

fn id_of(customer: &Value) -> String {
    customer["id"].as_str().expect("id").to_string()
}

fn is_iso_millis(value: &Value) -> bool {
    let s = value.as_str().unwrap_or_default();
    s.len() == 24 && s.ends_with('Z') && &s[10..11] == "T" && &s[19..20] == "."
}

fn create_minimal_customer(app: &App) {
    let email = unique_email("Min");
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "password": "secret123", "firstName": "Jo"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let c = &reply.json["customer"];
    let id = id_of(c);
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4", "UUID v4");
    assert_eq!(c["version"], 1);
    assert_eq!(c["email"], email.as_str(), "case is preserved");
    assert_eq!(c["firstName"], "Jo");
    assert!(is_iso_millis(&c["createdAt"]), "{}", c["createdAt"]);
    assert_eq!(c["createdAt"], c["lastModifiedAt"]);
    assert_eq!(
        c["createdBy"],
        json!({"clientId": "demo-admin", "isPlatformClient": false})
    );
    assert_eq!(c["lastModifiedBy"], c["createdBy"]);
    assert_eq!(c["isEmailVerified"], false);
    assert_eq!(c["authenticationMode"], "Password");
    for array in [
        "addresses",
        "shippingAddressIds",
        "billingAddressIds",
        "stores",
        "customerGroupAssignments",
    ] {
        assert_eq!(c[array], json!([]), "{array}");
    }
    // What was returned is what is stored.
    let fetched = app.get(&format!("/demo/customers/{id}"), app.admin());
    assert_eq!(fetched.status, 200);
    assert_eq!(&fetched.json, c);
}

fn create_full_draft(app: &App) {
    let key = unique("full");
    let number = unique("N");
    let address_type = app.ensure_type(
        "c-address",
        &["address"],
        &[("floor", json!({"name": "Number"}))],
    );
    let customer_type = app.ensure_type(
        "c-customer",
        &["customer"],
        &[
            ("newsletter", json!({"name": "Boolean"})),
            ("nick", json!({"name": "String"})),
        ],
    );
    let gold = app.ensure_group("c-gold");
    let vip = app.ensure_group("c-vip");
    let draft = json!({
        "key": key, "customerNumber": number, "externalId": "crm-1",
        "email": unique_email("full"), "password": "pw",
        "firstName": "Ada", "lastName": "Lovelace", "middleName": "King", "title": "Dr.",
        "salutation": "", "dateOfBirth": "1815-12-10", "companyName": "Engines Ltd", "vatId": "GB1",
        "addresses": [
            {"key": "home", "country": "GB", "city": "London", "streetName": "St James's Square", "id": "ignored"},
            {"key": "work", "country": "DE", "postalCode": "10115", "custom": {"type": {"key": "c-address"}, "fields": {"floor": 3}}}
        ],
        "defaultShippingAddress": 0, "shippingAddresses": [1],
        "defaultBillingAddress": 1, "billingAddresses": [1, 1],
        "isEmailVerified": true,
        "customerGroup": {"typeId": "customer-group", "id": gold},
        "customerGroupAssignments": [{"customerGroup": {"key": "c-vip"}}],
        "custom": {"type": {"typeId": "type", "id": customer_type}, "fields": {"newsletter": true, "nick": "ada"}},
        "locale": "en-GB",
        "stores": [{"typeId": "store", "key": "london"}],
        "anonymousId": "anon-1",
        "authenticationMode": "Password"
    });
    let c = app.create_customer(&draft);
    assert_eq!(c["key"], key.as_str());
    assert_eq!(c["customerNumber"], number.as_str());
    assert_eq!(c["externalId"], "crm-1");
    assert_eq!(c["salutation"], "", "empty strings are kept");
    assert_eq!(c["dateOfBirth"], "1815-12-10");
    let addresses = c["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), 2);
    let home = addresses[0]["id"].as_str().unwrap();
    let work = addresses[1]["id"].as_str().unwrap();
    assert_ne!(home, "ignored", "address ids are generated");
    assert_ne!(home, work);
    assert_eq!(addresses[0]["key"], "home");
    assert_eq!(addresses[0]["streetName"], "St James's Square");
    assert_eq!(
        addresses[1]["custom"],
        json!({"type": {"typeId": "type", "id": address_type}, "fields": {"floor": 3}}),
        "a type given by key is stored by id"
    );
    assert_eq!(c["defaultShippingAddressId"], home);
    assert_eq!(c["shippingAddressIds"], json!([work, home]));
    assert_eq!(c["defaultBillingAddressId"], work);
    assert_eq!(c["billingAddressIds"], json!([work]));
    assert_eq!(c["isEmailVerified"], true);
    assert_eq!(
        c["customerGroup"],
        json!({"typeId": "customer-group", "id": gold})
    );
    assert_eq!(
        c["customerGroupAssignments"],
        json!([{"customerGroup": {"typeId": "customer-group", "id": vip}}])
    );
    assert_eq!(
        c["custom"],
        json!({"type": {"typeId": "type", "id": customer_type}, "fields": {"newsletter": true, "nick": "ada"}})
    );
    assert_eq!(c["locale"], "en-GB");
    assert_eq!(c["stores"], json!([{"typeId": "store", "key": "london"}]));
    assert!(c.get("anonymousId").is_none());
    let by_key = app.get(&format!("/demo/customers/key={key}"), app.admin());
    assert_eq!(by_key.json, c);
}

fn password_is_hashed_and_masked_never_returned(app: &App) {
    let c =
        app.create_customer(&json!({"email": unique_email("pw"), "password": "my-plain-secret"}));
    let masked = c["password"].as_str().unwrap();
    assert_eq!(masked.len(), 8);
    assert!(masked.starts_with("****"));
    let fetched = app.get(&format!("/demo/customers/{}", id_of(&c)), app.admin());
    assert!(!fetched.text.contains("my-plain-secret"));
    assert!(!fetched.text.contains("pbkdf2"));
    // One password, many customers: the hashes (whose tails the masks show) differ, because
    // every hash has its own random salt.
    let masks: std::collections::HashSet<String> = (0..4)
        .map(|_| {
            let twin = app.create_customer(
                &json!({"email": unique_email("pw"), "password": "my-plain-secret"}),
            );
            twin["password"].as_str().unwrap().to_string()
        })
        .chain([masked.to_string()])
        .collect();
    assert!(masks.len() >= 4, "salted hashes differ: {masks:?}");
}

fn password_hash_is_pbkdf2_and_only_its_tail_is_shown(app: &App) {
    let c =
        app.create_customer(&json!({"email": unique_email("pw"), "password": "my-plain-secret"}));
    let masked = c["password"].as_str().unwrap();
    let rows = app.d1_query(&format!(
        "SELECT password_hash, doc FROM customers WHERE id = '{}'",
        id_of(&c)
    ));
    let hash = rows[0]["password_hash"].as_str().unwrap();
    assert!(hash.starts_with("$pbkdf2-sha256$i=100000$"), "{hash}");
    assert!(!hash.contains("my-plain-secret"));
    assert!(hash.ends_with(&masked[4..]));
    let doc = rows[0]["doc"].as_str().unwrap();
    assert!(
        !doc.contains("pbkdf2") && !doc.contains(hash),
        "the stored document holds no hash"
    );
}

fn external_auth_customers_have_no_password(app: &App) {
    let c = app.create_customer(
        &json!({"email": unique_email("ext"), "authenticationMode": "ExternalAuth"}),
    );
    assert_eq!(c["authenticationMode"], "ExternalAuth");
    assert!(c.get("password").is_none());
    let c = app.create_customer(&json!({"email": unique_email("ext"), "authenticationMode": "ExternalAuth", "password": "given"}));
    assert!(
        c.get("password").is_none(),
        "a password is not kept for ExternalAuth"
    );
}

fn password_mode_requires_a_password(app: &App) {
    let email = unique_email("nopw");
    let reply = app.post("/demo/customers", app.admin(), &json!({"email": email}));
    let error = reply.assert_error(400, "RequiredField");
    assert_eq!(error["field"], "password");
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "authenticationMode": "Password", "password": ""}),
    );
    reply.assert_error(400, "InvalidField");
    app.create_customer(&json!({"email": email, "password": "now-given"}));
}

fn draft_rule_violations_are_400_with_the_right_code(app: &App) {
    let email = unique_email("rules");
    let cases = [
        (json!({"key": "a"}), "InvalidField", "key"),
        (json!({"key": "has space"}), "InvalidField", "key"),
        (json!({"locale": "english"}), "InvalidField", "locale"),
        (
            json!({"dateOfBirth": "1990-02-30"}),
            "InvalidField",
            "dateOfBirth",
        ),
        (
            json!({"dateOfBirth": "10.02.1990"}),
            "InvalidField",
            "dateOfBirth",
        ),
        (
            json!({"addresses": [{"country": "Germany"}]}),
            "InvalidField",
            "addresses[0].country",
        ),
        (
            json!({"addresses": [{"country": "de"}]}),
            "InvalidField",
            "addresses[0].country",
        ),
        (
            json!({"addresses": [{"country": "DE", "key": "x"}]}),
            "InvalidField",
            "addresses[0].key",
        ),
        (
            json!({"addresses": [{"country": "DE"}], "defaultShippingAddress": 1}),
            "InvalidField",
            "defaultShippingAddress",
        ),
        (
            json!({"addresses": [], "defaultBillingAddress": 0}),
            "InvalidField",
            "defaultBillingAddress",
        ),
        (
            json!({"addresses": [{"country": "DE"}], "shippingAddresses": [0, 2]}),
            "InvalidField",
            "shippingAddresses",
        ),
        (
            json!({"addresses": [{"country": "DE"}], "billingAddresses": [-1]}),
            "InvalidField",
            "billingAddresses",
        ),
        (
            json!({"addresses": [{"country": "DE", "key": "k1"}, {"country": "FR", "key": "k1"}]}),
            "DuplicateField",
            "addresses.key",
        ),
    ];
    for (extra, code, field) in cases {
        let mut draft = json!({"email": email, "password": "pw"});
        for (k, v) in extra.as_object().unwrap() {
            draft[k] = v.clone();
        }
        let reply = app.post("/demo/customers", app.admin(), &draft);
        let error = reply.assert_error(400, code);
        assert_eq!(error["field"], field, "{}", reply.text);
    }
    // Several violations are reported together.
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "password": "pw", "key": "!", "locale": "xx_YY"}),
    );
    reply.assert_error(400, "InvalidField");
    assert_eq!(reply.json["errors"].as_array().unwrap().len(), 2);
    // Email format.
    for bad in ["plain", "a b@c.d", "@nolocal", ""] {
        let reply = app.post(
            "/demo/customers",
            app.admin(),
            &json!({"email": bad, "password": "pw"}),
        );
        assert_eq!(reply.assert_error(400, "InvalidField")["field"], "email");
    }
    // None of the rejected drafts wrote anything: the email is still free.
    app.create_customer(&json!({"email": email, "password": "pw"}));
}

fn hostile_values_are_stored_verbatim_or_refused(app: &App) {
    let sneaky = "'; DROP TABLE customers; -- \u{0} <script>alert(1)</script> 🙂";
    let c = app.create_customer(&json!({"email": unique_email("hostile"), "password": sneaky, "firstName": sneaky, "externalId": sneaky}));
    assert_eq!(c["firstName"], sneaky);
    let fetched = app.get(&format!("/demo/customers/{}", id_of(&c)), app.admin());
    assert_eq!(fetched.json["firstName"], sneaky);
    assert_eq!(fetched.json["externalId"], sneaky);
    // Keys may not carry it.
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("hostile"), "password": "x", "key": sneaky}),
    );
    reply.assert_error(400, "InvalidField");
    // A key in the path that matches nothing is a plain 404.
    app.get(
        "/demo/customers/key=%27%3B%20DROP%20TABLE%20customers",
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    // An overlong email is refused.
    let long = format!("{}@example.com", "a".repeat(300));
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": long, "password": "x"}),
    );
    assert_eq!(reply.assert_error(400, "InvalidField")["field"], "email");
    // Many addresses, up to the documented limit of 200 per customer, are fine.
    let addresses: Vec<Value> = (0..200)
        .map(|i| json!({"country": "DE", "key": format!("a{i}")}))
        .collect();
    let c = app.create_customer(
        &json!({"email": unique_email("many"), "password": "x", "addresses": addresses}),
    );
    assert_eq!(c["addresses"].as_array().unwrap().len(), 200);
}

fn references_that_cannot_resolve_are_refused(app: &App) {
    let email = unique_email("refs");
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "password": "x", "stores": [{"typeId": "store", "id": "some-id"}]}),
    );
    assert_eq!(
        reply.assert_error(400, "ReferencedResourceNotFound")["typeId"],
        "store"
    );
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "password": "x", "anonymousCart": {"typeId": "cart", "id": "c-1"}}),
    );
    assert_eq!(
        reply.assert_error(400, "ReferencedResourceNotFound")["typeId"],
        "cart"
    );
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "password": "x", "customerGroup": {"id": "g", "key": "g"}}),
    );
    reply.assert_error(400, "InvalidJsonInput");
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": email, "password": "x", "customerGroup": {"typeId": "cart", "id": "g"}}),
    );
    reply.assert_error(400, "InvalidJsonInput");
    app.create_customer(&json!({"email": email, "password": "x"}));
}

fn email_is_unique_case_insensitively(app: &App) {
    let email = unique_email("Dup");
    let first = app.create_customer(&json!({"email": email, "password": "x"}));
    let shouted = email.to_uppercase();
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": shouted, "password": "x"}),
    );
    let error = reply.assert_error(400, "DuplicateField");
    assert_eq!(error["field"], "email");
    assert_eq!(error["duplicateValue"], shouted.as_str());
    assert_eq!(
        reply.json["message"],
        "There is already an existing customer with the provided email."
    );
    // The first customer is untouched.
    let fetched = app.get(&format!("/demo/customers/{}", id_of(&first)), app.admin());
    assert_eq!(fetched.json, first);
}

fn key_and_customer_number_are_unique(app: &App) {
    let key = unique("k");
    let number = unique("n");
    app.create_customer(
        &json!({"email": unique_email("u"), "password": "x", "key": key, "customerNumber": number}),
    );
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("u"), "password": "x", "key": key}),
    );
    let error = reply.assert_error(400, "DuplicateField");
    assert_eq!(error["field"], "key");
    assert_eq!(error["duplicateValue"], key.as_str());
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("u"), "password": "x", "customerNumber": number}),
    );
    let error = reply.assert_error(400, "DuplicateField");
    assert_eq!(error["field"], "customerNumber");
    assert_eq!(error["duplicateValue"], number.as_str());
}

fn email_scopes_global_versus_store(app: &App) {
    let create_in = |store: Option<&str>, email: &str| {
        let path = match store {
            Some(s) => format!("/demo/in-store/key={s}/customers"),
            None => "/demo/customers".to_string(),
        };
        app.post(
            &path,
            app.admin(),
            &json!({"email": email, "password": "x"}),
        )
    };
    // One email in two stores: two store customers.
    let shared = unique_email("stores");
    assert_eq!(create_in(Some("store-a"), &shared).status, 201);
    assert_eq!(
        create_in(Some("store-b"), &shared.to_uppercase()).status,
        201
    );
    // Twice in one store: refused.
    assert_eq!(
        create_in(Some("store-a"), &shared).assert_error(400, "DuplicateField")["field"],
        "email"
    );
    // A store customer's email cannot become a global customer's.
    create_in(None, &shared).assert_error(400, "DuplicateField");
    // A global customer's email cannot be reused in a store.
    let global = unique_email("global");
    assert_eq!(create_in(None, &global).status, 201);
    create_in(Some("store-c"), &global).assert_error(400, "DuplicateField");
    // A customer in several stores holds the email in each of them.
    let multi = unique_email("multi");
    let reply = app.post("/demo/customers", app.admin(), &json!({"email": multi, "password": "x", "stores": [{"key": "store-d"}, {"key": "store-e"}]}));
    assert_eq!(reply.status, 201, "{}", reply.text);
    create_in(Some("store-e"), &multi).assert_error(400, "DuplicateField");
    assert_eq!(create_in(Some("store-f"), &multi).status, 201);
}

fn concurrent_creates_with_one_email_have_one_winner(app: &App) {
    for round in 0..5 {
        let email = unique_email("race");
        // Each racer also carries its own key, so afterwards we can tell whose write landed.
        let racers = [
            (email.clone(), unique("racer")),
            (email.to_uppercase(), unique("racer")),
        ];
        let barrier = Arc::new(Barrier::new(racers.len()));
        let outcomes: Vec<(u16, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = racers
                .iter()
                .map(|(variant, key)| {
                    let barrier = Arc::clone(&barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let draft = json!({"email": variant, "password": "x", "key": key});
                        let reply = app.post("/demo/customers", app.admin(), &draft);
                        (reply.status, reply.error_code().to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners = outcomes.iter().filter(|(status, _)| *status == 201).count();
        assert_eq!(winners, 1, "round {round}: {outcomes:?}");
        for (status, code) in &outcomes {
            if *status != 201 {
                assert!(
                    (*status == 400 && code == "DuplicateField")
                        || (*status == 409 && code == "LockedField"),
                    "round {round}: {outcomes:?}"
                );
            }
        }
        // Exactly the winner's customer exists; the loser wrote nothing.
        for ((_, key), (status, _)) in racers.iter().zip(&outcomes) {
            let expected = if *status == 201 { 200 } else { 404 };
            let found = app.get(&format!("/demo/customers/key={key}"), app.admin());
            assert_eq!(found.status, expected, "round {round}: {}", found.text);
        }
    }
}

fn get_and_head_by_id_and_key(app: &App) {
    let key = unique("get");
    let c =
        app.create_customer(&json!({"email": unique_email("get"), "password": "x", "key": key}));
    let id = id_of(&c);
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin()).json,
        c
    );
    assert_eq!(
        app.get(&format!("/demo/customers/key={key}"), app.admin())
            .json,
        c
    );
    for path in [
        format!("/demo/customers/{id}"),
        format!("/demo/customers/key={key}"),
    ] {
        let head = app.head(&path, app.admin());
        assert_eq!(head.status, 200);
        assert!(head.text.is_empty());
    }
    let missing_id = "00000000-0000-4000-8000-000000000000";
    let reply = app.get(&format!("/demo/customers/{missing_id}"), app.admin());
    reply.assert_error(404, "ResourceNotFound");
    assert!(reply.json["message"].as_str().unwrap().contains(missing_id));
    app.get("/demo/customers/key=no-such-key", app.admin())
        .assert_error(404, "ResourceNotFound");
    let head = app.head(&format!("/demo/customers/{missing_id}"), app.admin());
    assert_eq!(head.status, 404);
    assert!(head.text.is_empty());
    assert_eq!(
        app.head("/demo/customers/key=no-such-key", app.admin())
            .status,
        404
    );
    // HEAD checks the token too.
    assert_eq!(
        app.head(&format!("/demo/customers/{id}"), "bad-token")
            .status,
        401
    );
}

fn in_store_create_defaults_stores_to_the_path_store(app: &App) {
    let reply = app.post(
        "/demo/in-store/key=paris/customers",
        app.admin(),
        &json!({"email": unique_email("paris"), "password": "x"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.json["customer"]["stores"],
        json!([{"typeId": "store", "key": "paris"}])
    );
    let reply = app.post(
        "/demo/in-store/key=paris/customers",
        app.admin(),
        &json!({"email": unique_email("paris"), "password": "x", "stores": [{"key": "lyon"}, {"key": "paris"}]}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.json["customer"]["stores"],
        json!([{"typeId": "store", "key": "lyon"}, {"typeId": "store", "key": "paris"}])
    );
    // A customer the path's store could not see is refused.
    let reply = app.post(
        "/demo/in-store/key=paris/customers",
        app.admin(),
        &json!({"email": unique_email("paris"), "password": "x", "stores": [{"key": "lyon"}]}),
    );
    reply.assert_error(400, "InvalidOperation");
}

fn in_store_visibility(app: &App) {
    let key = unique("vis");
    let store_customer = app.create_customer(&json!({"email": unique_email("vis"), "password": "x", "key": key, "stores": [{"key": "rome"}]}));
    let id = id_of(&store_customer);
    let global = app.create_customer(&json!({"email": unique_email("vis"), "password": "x"}));
    let global_id = id_of(&global);
    // Its own store sees it, by id and key; another store does not.
    assert_eq!(
        app.get(
            &format!("/demo/in-store/key=rome/customers/{id}"),
            app.admin()
        )
        .json,
        store_customer
    );
    assert_eq!(
        app.get(
            &format!("/demo/in-store/key=rome/customers/key={key}"),
            app.admin()
        )
        .json,
        store_customer
    );
    app.get(
        &format!("/demo/in-store/key=milan/customers/{id}"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    app.get(
        &format!("/demo/in-store/key=milan/customers/key={key}"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(
        app.head(
            &format!("/demo/in-store/key=milan/customers/{id}"),
            app.admin()
        )
        .status,
        404
    );
    // A customer without stores is visible in every store; the global endpoint sees all.
    assert_eq!(
        app.get(
            &format!("/demo/in-store/key=milan/customers/{global_id}"),
            app.admin()
        )
        .json,
        global
    );
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin()).json,
        store_customer
    );
}

fn invalid_store_key_in_path_is_404(app: &App) {
    app.get("/demo/in-store/key=x/customers/some-id", app.admin())
        .assert_error(404, "ResourceNotFound");
    app.post(
        "/demo/in-store/key=bad%20key/customers",
        app.admin(),
        &json!({"email": unique_email("x"), "password": "x"}),
    )
    .assert_error(404, "ResourceNotFound");
}

fn delete_by_id_checks_the_version(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("del"), "password": "x"}));
    let id = id_of(&c);
    let reply = app.delete(&format!("/demo/customers/{id}?version=2"), app.admin());
    let error = reply.assert_error(409, "ConcurrentModification");
    assert_eq!(error["currentVersion"], 1);
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin())
            .status,
        200,
        "still there"
    );
    let reply = app.delete(&format!("/demo/customers/{id}?version=1"), app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json, c, "the deleted customer is returned");
    app.get(&format!("/demo/customers/{id}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    app.delete(&format!("/demo/customers/{id}?version=1"), app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn delete_by_key_and_frees_unique_values(app: &App) {
    let (email, key, number) = (unique_email("free"), unique("free"), unique("free"));
    let draft = json!({"email": email, "password": "x", "key": key, "customerNumber": number});
    let c = app.create_customer(&draft);
    let reply = app.delete(
        &format!("/demo/customers/key={key}?version=1&dataErasure=true"),
        app.admin(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["id"], c["id"]);
    app.get(&format!("/demo/customers/key={key}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    app.delete(&format!("/demo/customers/key={key}?version=1"), app.admin())
        .assert_error(404, "ResourceNotFound");
    // Email, key and customer number are free again.
    let again = app.create_customer(&draft);
    assert_ne!(again["id"], c["id"]);
}

fn delete_in_store_of_another_store_is_404(app: &App) {
    let c = app.create_customer(
        &json!({"email": unique_email("ds"), "password": "x", "stores": [{"key": "oslo"}]}),
    );
    let id = id_of(&c);
    app.delete(
        &format!("/demo/in-store/key=bergen/customers/{id}?version=1"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin())
            .status,
        200
    );
    let reply = app.delete(
        &format!("/demo/in-store/key=oslo/customers/{id}?version=1"),
        app.admin(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn delete_query_parameters_are_validated(app: &App) {
    let c = app.create_customer(&json!({"email": unique_email("dq"), "password": "x"}));
    let id = id_of(&c);
    for query in [
        "",
        "?dataErasure=true",
        "?version=abc",
        "?version=-1",
        "?version=1.5",
        "?version=1&dataErasure=maybe",
    ] {
        let reply = app.delete(&format!("/demo/customers/{id}{query}"), app.admin());
        reply.assert_error(400, "InvalidInput");
    }
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin())
            .status,
        200
    );
}

fn created_and_deleted_messages_are_stored(app: &App) {
    let key = unique("msg");
    let c =
        app.create_customer(&json!({"email": unique_email("msg"), "password": "x", "key": key}));
    let id = id_of(&c);
    assert_eq!(c["lastMessageSequenceNumber"], 1);
    assert_eq!(
        app.delete(&format!("/demo/customers/{id}?version=1"), app.admin())
            .status,
        200
    );
    let erased = app.create_customer(&json!({"email": unique_email("msg"), "password": "x"}));
    let erased_id = id_of(&erased);
    let token = app.post(
        "/demo/customers/email-token",
        app.admin(),
        &json!({"id": erased_id, "ttlMinutes": 30}),
    );
    assert_eq!(token.status, 200, "{}", token.text);
    let token_id = token.json["id"].as_str().unwrap().to_string();
    let reply = app.delete(
        &format!("/demo/customers/{erased_id}?version=1&dataErasure=true"),
        app.admin(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);

    let kept = app.messages_of(&id);
    let erased_messages = app.messages_of(&erased_id);
    assert_eq!(
        StoredMessage::summary(&kept),
        vec![("CustomerCreated", 1, 1), ("CustomerDeleted", 2, 2)]
    );
    assert_eq!(
        StoredMessage::summary(&erased_messages),
        vec![("CustomerDeleted", 2, 2)],
        "data erasure drops earlier messages"
    );
    assert!(
        app.messages_of(&token_id).is_empty(),
        "token messages about the customer go too"
    );
    let created = &kept[0].doc;
    assert_eq!(created["type"], "CustomerCreated");
    assert_eq!(created["resource"], json!({"typeId": "customer", "id": id}));
    assert_eq!(created["resourceVersion"], 1);
    assert_eq!(created["customer"], c);
    assert_eq!(
        created["resourceUserProvidedIdentifiers"],
        json!({"key": key})
    );
    assert_eq!(kept[1].doc["email"], c["email"]);
    let erased_msg = &erased_messages[0].doc;
    assert!(
        erased_msg.get("email").is_none(),
        "no personal data after erasure"
    );
}
