//! `/me…`, global and in-store: the storefront's own account. Every endpoint's success path
//! and documented errors, the token kinds and scopes it takes, MyCustomer's limits on drafts
//! and actions, store boundaries, deleted customers, and the API-wide fixes of the same issue
//! (correlation ids, boolean query parameters, a bad token on an unknown path).

use serde_json::{json, Value};

use crate::support::{encode, form, id_of, unique, unique_email, App, Reply, VIEWER};

tests!(me;
    the_storefront_journey_globally,
    signup_refuses_what_a_shopper_may_not_set,
    signup_records_the_anonymous_session,
    updates_take_my_customer_actions_only,
    bad_input_changes_nothing,
    concurrent_updates_with_one_version_have_one_winner,
    tokens_without_a_customer_are_refused,
    view_my_profile_reads_but_does_not_write,
    a_customer_token_reaches_only_its_own_customer,
    password_change_ends_sessions,
    password_change_is_throttled,
    password_reset_and_email_confirmation,
    delete_needs_the_version,
    in_store_signup_makes_a_store_customer_kept_in_its_store,
    store_scoped_profile_scopes_open_only_their_store,
    expand_works_on_me,
    every_response_carries_a_correlation_id,
    an_unknown_path_checks_a_bad_token_first,
    boolean_query_parameters_in_any_case,
);

const STOREFRONT: (&str, &str) = ("demo-storefront", "demo-storefront-secret");

fn access_token(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "token: {}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_string()
}

/// An anonymous session of the storefront client.
fn anonymous(app: &App) -> String {
    let reply = form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[],
    );
    access_token(&reply)
}

/// A customer's token through the password flow (`store`: the in-store flow), with `scope`.
fn customer_token_with(
    app: &App,
    client: (&str, &str),
    store: Option<&str>,
    (email, password): (&str, &str),
    scope: &str,
) -> Reply {
    let path = match store {
        Some(store) => format!("/oauth/demo/in-store/key={store}/customers/token"),
        None => "/oauth/demo/customers/token".into(),
    };
    let body = format!(
        "grant_type=password&username={}&password={}{scope}",
        encode(email),
        encode(password)
    );
    form(app, client, &path, &body, &[])
}

fn customer_token(app: &App, store: Option<&str>, email: &str, password: &str) -> String {
    access_token(&customer_token_with(
        app,
        STOREFRONT,
        store,
        (email, password),
        "",
    ))
}

/// Signs up a new shopper globally with an anonymous session; (customer, email, token).
fn shopper(app: &App, password: &str) -> (Value, String, String) {
    let email = unique_email("me");
    let reply = app.post(
        "/demo/me/signup",
        &anonymous(app),
        &json!({"email": email, "password": password, "firstName": "Sam"}),
    );
    assert_eq!(reply.status, 201, "signup: {}", reply.text);
    let token = customer_token(app, None, &email, password);
    (reply.json["customer"].clone(), email, token)
}

/// The customer as the back office sees it.
fn current(app: &App, id: &str) -> Reply {
    app.get(&format!("/demo/customers/{id}"), app.admin())
}

/// How many customers have this email (the back office's view).
fn count_with_email(app: &App, email: &str) -> u64 {
    let predicate = encode(&format!("lowercaseEmail = \"{}\"", email.to_lowercase()));
    let reply = app.get(&format!("/demo/customers?where={predicate}"), app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["count"].as_u64().unwrap()
}

fn the_storefront_journey_globally(app: &App) {
    let email = unique_email("journey");
    let signed_up = app.post(
        "/demo/me/signup",
        &anonymous(app),
        &json!({"email": email, "password": "pw-1", "firstName": "Jo",
                "addresses": [{"country": "DE", "city": "Berlin"}], "defaultShippingAddress": 0}),
    );
    assert_eq!(signed_up.status, 201, "{}", signed_up.text);
    let customer = &signed_up.json["customer"];
    let id = id_of(customer).to_string();
    assert_eq!(customer["version"], 1);
    assert_eq!(customer["stores"], json!([]));
    assert_eq!(customer["isEmailVerified"], false);
    assert!(customer.get("key").is_none());
    let token = customer_token(app, None, &email, "pw-1");
    let me = app.get("/demo/me", &token);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json, *customer);
    let updated = app.update(
        "/demo/me",
        &token,
        1,
        json!([{"action": "setLastName", "lastName": "Doe"},
               {"action": "addAddress", "address": {"country": "FR", "city": "Paris"}}]),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    // One new version per action that changed something, as on /customers.
    assert_eq!(updated.json["version"], 3);
    assert_eq!(updated.json["lastName"], "Doe");
    assert_eq!(updated.json["addresses"].as_array().unwrap().len(), 2);
    let login = app.post(
        "/demo/me/login",
        &app.token(STOREFRONT, None),
        &json!({"email": email.to_uppercase(), "password": "pw-1"}),
    );
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.json["customer"]["id"], id);
    assert_eq!(login.json["customer"]["version"], 3);
    app.post(
        "/demo/me/login",
        &token,
        &json!({"email": email, "password": "wrong"}),
    )
    .assert_error(400, "InvalidCredentials");
    let deleted = app.delete("/demo/me?version=3", &token);
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["id"], id);
    current(app, &id).assert_error(404, "ResourceNotFound");
    // A deleted customer's token reads and writes nothing.
    app.get("/demo/me", &token)
        .assert_error(401, "invalid_token");
    app.update("/demo/me", &token, 3, json!([]))
        .assert_error(401, "invalid_token");
    app.delete("/demo/me?version=3", &token)
        .assert_error(401, "invalid_token");
}

fn signup_refuses_what_a_shopper_may_not_set(app: &App) {
    let token = app.token(STOREFRONT, None);
    let group = app.ensure_group("me-vip");
    for (field, value) in [
        ("key", json!("my-key")),
        ("customerNumber", json!("n-1")),
        ("externalId", json!("x-1")),
        ("isEmailVerified", json!(true)),
        (
            "customerGroup",
            json!({"typeId": "customer-group", "id": group}),
        ),
        (
            "customerGroupAssignments",
            json!([{"customerGroup": {"typeId": "customer-group", "id": group}}]),
        ),
        ("authenticationMode", json!("ExternalAuth")),
        ("anonymousId", json!("someone-else")),
        ("anonymousCart", json!({"typeId": "cart", "id": "c"})),
        ("anonymousCartId", json!("c")),
        ("shippingAddresses", json!([0])),
        ("billingAddresses", json!([0])),
    ] {
        let email = unique_email("refused");
        let mut draft = json!({"email": email, "password": "pw",
                               "addresses": [{"country": "DE"}]});
        draft[field] = value;
        let reply = app.post("/demo/me/signup", &token, &draft);
        let error = reply.assert_error(400, "InvalidJsonInput");
        let detail = error["detailedErrorMessage"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("{field}: ")),
            "{field}: {detail}"
        );
        assert_eq!(count_with_email(app, &email), 0, "{field}");
    }
    // MyCustomerDraft's own rules are the CustomerDraft's: a password is required.
    let email = unique_email("refused");
    app.post("/demo/me/signup", &token, &json!({"email": email}))
        .assert_error(400, "RequiredField");
    app.post(
        "/demo/me/signup",
        &token,
        &json!({"email": "no-at-sign", "password": "pw"}),
    )
    .assert_error(400, "InvalidField");
    app.post(
        "/demo/me/signup",
        &token,
        &json!({"email": 7, "password": "pw"}),
    )
    .assert_error(400, "InvalidJsonInput");
    app.post_raw("/demo/me/signup", &token, b"{\"email\":")
        .assert_error(400, "InvalidJsonInput");
    // A taken email is a duplicate, as on /customers.
    let (_, taken, _) = shopper(app, "pw");
    let duplicate = app.post(
        "/demo/me/signup",
        &token,
        &json!({"email": taken, "password": "pw"}),
    );
    assert_eq!(
        duplicate.assert_error(400, "DuplicateField")["field"],
        "email"
    );
}

fn signup_records_the_anonymous_session(app: &App) {
    let session = anonymous(app);
    let first = unique_email("anon");
    let reply = app.post(
        "/demo/me/signup",
        &session,
        &json!({"email": first, "password": "pw"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = id_of(&reply.json["customer"]).to_string();
    let second = unique_email("anon");
    app.post(
        "/demo/me/signup",
        &session,
        &json!({"email": second, "password": "pw"}),
    )
    .assert_error(400, "AnonymousIdAlreadyInUse");
    assert_eq!(count_with_email(app, &second), 0);
    // The back office's CustomerDraft names the same session: the same rule.
    let introspected = form(
        app,
        STOREFRONT,
        "/oauth/introspect",
        &format!("token={}", encode(&session)),
        &[],
    );
    let anonymous_id = introspected.json["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .find_map(|s| s.strip_prefix("anonymous_id:"))
        .unwrap()
        .to_string();
    app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": second, "password": "pw", "anonymousId": anonymous_id}),
    )
    .assert_error(400, "AnonymousIdAlreadyInUse");
    // Once that customer is gone, the session may sign up again.
    assert_eq!(
        app.delete(&format!("/demo/customers/{id}?version=1"), app.admin())
            .status,
        200
    );
    let again = app.post(
        "/demo/me/signup",
        &session,
        &json!({"email": second, "password": "pw"}),
    );
    assert_eq!(again.status, 201, "{}", again.text);
    // Without an anonymous session there is nothing to record: two sign-ups, one token.
    let plain = app.token(STOREFRONT, None);
    for _ in 0..2 {
        let email = unique_email("anon");
        let reply = app.post(
            "/demo/me/signup",
            &plain,
            &json!({"email": email, "password": "pw"}),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}

fn updates_take_my_customer_actions_only(app: &App) {
    let (customer, _, token) = shopper(app, "pw");
    let id = id_of(&customer);
    let group = app.ensure_group("me-vip");
    for action in [
        json!({"action": "setKey", "key": "mine"}),
        json!({"action": "setCustomerNumber", "customerNumber": "1"}),
        json!({"action": "setExternalId", "externalId": "x"}),
        json!({"action": "setCustomerGroup", "customerGroup": {"typeId": "customer-group", "id": group}}),
        json!({"action": "setCustomerGroupAssignments", "customerGroupAssignments": []}),
        json!({"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"typeId": "customer-group", "id": group}}}),
        json!({"action": "removeCustomerGroupAssignment", "customerGroup": {"typeId": "customer-group", "id": group}}),
        json!({"action": "setStores", "stores": [{"key": "s1"}]}),
        json!({"action": "addStore", "store": {"key": "s1"}}),
        json!({"action": "removeStore", "store": {"key": "s1"}}),
        json!({"action": "setAuthenticationMode", "authMode": "ExternalAuth"}),
        json!({"action": "setAddressCustomType", "addressId": "a"}),
        json!({"action": "setAddressCustomField", "addressId": "a", "name": "n"}),
    ] {
        let name = action["action"].as_str().unwrap().to_string();
        let actions = json!([{"action": "setFirstName", "firstName": "Changed"}, action]);
        let reply = app.update("/demo/me", &token, 1, actions);
        let error = reply.assert_error(400, "InvalidJsonInput");
        let detail = error["detailedErrorMessage"].as_str().unwrap();
        assert!(detail.contains("actions[1] -> action"), "{detail}");
        assert!(detail.contains(&name), "{detail}");
    }
    let unchanged = current(app, id);
    assert_eq!(unchanged.json["version"], 1);
    assert_eq!(unchanged.json["firstName"], "Sam");
    // All 21 MyCustomer actions are taken, with the customer actions' rules and messages.
    let type_id = app.ensure_type(
        "me-profile",
        &["customer"],
        &[("newsletter", json!({"name": "Boolean"}))],
    );
    let email = unique_email("me-changed");
    let reply = app.update(
        "/demo/me",
        &token,
        1,
        json!([
            {"action": "changeEmail", "email": email},
            {"action": "setFirstName", "firstName": "A"},
            {"action": "setLastName", "lastName": "B"},
            {"action": "setMiddleName", "middleName": "C"},
            {"action": "setTitle", "title": "Dr"},
            {"action": "setSalutation", "salutation": "Hi"},
            {"action": "setCompanyName", "companyName": "Co"},
            {"action": "setDateOfBirth", "dateOfBirth": "1990-01-02"},
            {"action": "setVatId", "vatId": "DE1"},
            {"action": "setLocale", "locale": "de-DE"},
            {"action": "addAddress", "address": {"key": "home", "country": "DE"}},
            {"action": "addAddress", "address": {"key": "work", "country": "AT"}},
            {"action": "changeAddress", "addressKey": "work", "address": {"key": "work", "country": "CH"}},
            {"action": "addShippingAddressId", "addressKey": "home"},
            {"action": "removeShippingAddressId", "addressKey": "home"},
            {"action": "setDefaultShippingAddress", "addressKey": "home"},
            {"action": "addBillingAddressId", "addressKey": "work"},
            {"action": "removeBillingAddressId", "addressKey": "work"},
            {"action": "setDefaultBillingAddress", "addressKey": "work"},
            {"action": "setCustomType", "type": {"typeId": "type", "id": type_id}},
            {"action": "setCustomField", "name": "newsletter", "value": true},
            {"action": "removeAddress", "addressKey": "work"}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let c = &reply.json;
    let version = c["version"].as_u64().unwrap();
    assert!(version > 2, "{version}");
    assert_eq!(c["email"], email);
    assert_eq!(c["dateOfBirth"], "1990-01-02");
    assert_eq!(c["custom"]["fields"]["newsletter"], true);
    assert_eq!(c["addresses"].as_array().unwrap().len(), 1);
    assert!(c.get("defaultBillingAddressId").is_none());
    // The customer actions' own rules hold on /me too.
    app.update(
        "/demo/me",
        &token,
        version,
        json!([{"action": "setDateOfBirth", "dateOfBirth": "yesterday"}]),
    )
    .assert_error(400, "InvalidField");
    // The no-op rule: nothing changed, no new version.
    let same = app.update(
        "/demo/me",
        &token,
        version,
        json!([{"action": "setFirstName", "firstName": "A"}]),
    );
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.json["version"], version);
}

fn bad_input_changes_nothing(app: &App) {
    let (customer, _, token) = shopper(app, "pw");
    let id = id_of(&customer);
    for body in [
        &b"{\"version\": 1, \"actions\": ["[..],
        b"not json",
        b"[]",
        b"{\"version\": \"one\", \"actions\": []}",
        b"{\"version\": 1}",
        b"{\"version\": 1, \"actions\": {}}",
        b"{\"version\": 1, \"actions\": [{\"action\": \"noSuchAction\"}]}",
        b"{\"version\": 1, \"actions\": [{\"firstName\": \"no action name\"}]}",
        b"{\"version\": 1, \"actions\": [{\"action\": \"setFirstName\", \"firstName\": 5}]}",
        b"{\"version\": -1, \"actions\": []}",
    ] {
        let reply = app.post_raw("/demo/me", &token, body);
        assert_eq!(
            reply.status,
            400,
            "{}: {}",
            String::from_utf8_lossy(body),
            reply.text
        );
        assert_eq!(reply.error_code(), "InvalidJsonInput", "{}", reply.text);
    }
    let stale = app.update(
        "/demo/me",
        &token,
        7,
        json!([{"action": "setFirstName", "firstName": "X"}]),
    );
    assert_eq!(
        stale.assert_error(409, "ConcurrentModification")["currentVersion"],
        1
    );
    for path in [
        "/demo/me/password",
        "/demo/me/password/reset",
        "/demo/me/email/confirm",
    ] {
        for body in [&b"{"[..], b"{}", b"{\"version\": true}", b"7"] {
            let reply = app.post_raw(path, &token, body);
            assert_eq!(reply.status, 400, "{path}: {}", reply.text);
            assert_eq!(
                reply.error_code(),
                "InvalidJsonInput",
                "{path}: {}",
                reply.text
            );
        }
    }
    app.post_raw("/demo/me/login", &token, b"{\"email\": 1}")
        .assert_error(400, "InvalidJsonInput");
    // Wrong methods are 405.
    let reply = app.send("PUT", "/demo/me", &[], Some(b"{}"));
    reply.assert_error(405, "MethodNotAllowed");
    assert_eq!(reply.header("allow"), Some("GET, POST, DELETE"));
    app.get("/demo/me/signup", &token)
        .assert_error(405, "MethodNotAllowed");
    let after = current(app, id);
    assert_eq!(after.json["version"], 1);
    assert_eq!(after.json, customer);
}

fn concurrent_updates_with_one_version_have_one_winner(app: &App) {
    let (customer, _, token) = shopper(app, "pw");
    let barrier = std::sync::Barrier::new(6);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (barrier, token) = (&barrier, &token);
                s.spawn(move || {
                    barrier.wait();
                    let actions = json!([{"action": "setFirstName", "firstName": format!("N{i}")}]);
                    app.update("/demo/me", token, 1, actions).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won = statuses.iter().filter(|&&s| s == 200).count();
    let lost = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!((won, lost), (1, 5), "{statuses:?}");
    assert_eq!(current(app, id_of(&customer)).json["version"], 2);
}

fn tokens_without_a_customer_are_refused(app: &App) {
    let (customer, _, _) = shopper(app, "pw");
    let id = id_of(&customer);
    let storefront = app.token(STOREFRONT, None);
    let session = anonymous(app);
    for (name, token) in [
        ("storefront client", storefront.as_str()),
        ("anonymous session", session.as_str()),
        ("admin", app.admin()),
    ] {
        for reply in [
            app.get("/demo/me", token),
            app.update("/demo/me", token, 1, json!([])),
            app.delete("/demo/me?version=1", token),
            app.post(
                "/demo/me/password",
                token,
                &json!({"version": 1, "currentPassword": "pw", "newPassword": "x"}),
            ),
            app.get("/demo/in-store/key=anywhere/me", token),
        ] {
            let error = reply.assert_error(403, "insufficient_scope");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains("customer_id"), "{name}: {message}");
        }
    }
    // Tokens without a profile scope are refused before anything else.
    let viewer = app.token(VIEWER, None);
    app.get("/demo/me", &viewer)
        .assert_error(403, "insufficient_scope");
    app.post(
        "/demo/me/signup",
        &viewer,
        &json!({"email": unique_email("viewer"), "password": "pw"}),
    )
    .assert_error(403, "insufficient_scope");
    app.post(
        "/demo/me/login",
        &viewer,
        &json!({"email": "a@b.c", "password": "x"}),
    )
    .assert_error(403, "insufficient_scope");
    // A token of another project.
    let other = app.token(crate::support::OTHER_ADMIN, None);
    app.post(
        "/demo/me/signup",
        &other,
        &json!({"email": unique_email("other"), "password": "pw"}),
    )
    .assert_error(403, "insufficient_scope");
    app.get("/demo/me", "not-a-token")
        .assert_error(401, "invalid_token");
    app.send("GET", "/demo/me", &[], None)
        .assert_error(401, "invalid_token");
    assert_eq!(current(app, id).json["version"], 1);
}

fn view_my_profile_reads_but_does_not_write(app: &App) {
    let (customer, email, _) = shopper(app, "pw");
    let reply = customer_token_with(
        app,
        STOREFRONT,
        None,
        (&email, "pw"),
        "&scope=view_my_profile:demo",
    );
    assert_eq!(
        reply.json["scope"],
        format!("view_my_profile:demo customer_id:{}", id_of(&customer))
    );
    let token = access_token(&reply);
    assert_eq!(app.get("/demo/me", &token).status, 200);
    app.update("/demo/me", &token, 1, json!([]))
        .assert_error(403, "insufficient_scope");
    app.delete("/demo/me?version=1", &token)
        .assert_error(403, "insufficient_scope");
    app.post(
        "/demo/me/password",
        &token,
        &json!({"version": 1, "currentPassword": "pw", "newPassword": "x"}),
    )
    .assert_error(403, "insufficient_scope");
    assert_eq!(current(app, id_of(&customer)).json["version"], 1);
}

fn a_customer_token_reaches_only_its_own_customer(app: &App) {
    let (a, _, token_a) = shopper(app, "pw-a");
    let (b, _, _) = shopper(app, "pw-b");
    let (a_id, b_id) = (id_of(&a), id_of(&b));
    // Whatever the query or body names, /me is the token's customer.
    let me = app.get(
        &format!("/demo/me?id={b_id}&where=id%3D%22{b_id}%22"),
        &token_a,
    );
    assert_eq!(me.json["id"], a_id);
    app.post(
        "/demo/me/password",
        &token_a,
        &json!({"id": b_id, "version": 1, "currentPassword": "pw-b", "newPassword": "stolen"}),
    )
    .assert_error(400, "InvalidCurrentPassword");
    let updated = app.post(
        "/demo/me",
        &token_a,
        &json!({"id": b_id, "version": 1, "actions": [{"action": "setFirstName", "firstName": "A"}]}),
    );
    assert_eq!(updated.json["id"], a_id);
    // The customer endpoints stay closed to a customer token.
    app.get(&format!("/demo/customers/{b_id}"), &token_a)
        .assert_error(403, "insufficient_scope");
    app.delete(&format!("/demo/customers/{b_id}?version=1"), &token_a)
        .assert_error(403, "insufficient_scope");
    app.update(&format!("/demo/customers/{b_id}"), &token_a, 1, json!([]))
        .assert_error(403, "insufficient_scope");
    let b_now = current(app, b_id);
    assert_eq!(b_now.json, b);
}

fn password_change_ends_sessions(app: &App) {
    let (customer, email, first) = shopper(app, "old-pw");
    let second = customer_token(app, None, &email, "old-pw");
    let path = "/demo/me/password";
    app.post(
        path,
        &first,
        &json!({"version": 1, "currentPassword": "wrong", "newPassword": "new-pw"}),
    )
    .assert_error(400, "InvalidCurrentPassword");
    app.post(
        path,
        &first,
        &json!({"version": 5, "currentPassword": "old-pw", "newPassword": "new-pw"}),
    )
    .assert_error(409, "ConcurrentModification");
    app.post(
        path,
        &first,
        &json!({"version": 1, "currentPassword": "old-pw", "newPassword": ""}),
    )
    .assert_error(400, "InvalidField");
    let changed = app.post(
        path,
        &first,
        &json!({"version": 1, "currentPassword": "old-pw", "newPassword": "new-pw"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json["version"], 2);
    assert_eq!(changed.json["id"], customer["id"]);
    // Every session begun before the change is over, this one included.
    for token in [&first, &second] {
        app.get("/demo/me", token)
            .assert_error(401, "invalid_token");
    }
    customer_token_with(app, STOREFRONT, None, (&email, "old-pw"), "")
        .assert_error(400, "invalid_customer_account_credentials");
    let fresh = customer_token(app, None, &email, "new-pw");
    assert_eq!(app.get("/demo/me", &fresh).json["version"], 2);
}

fn password_change_is_throttled(app: &App) {
    let (_, email, token) = shopper(app, "right");
    let address = "203.0.113.77";
    let attempt = |current: &str| {
        let auth = format!("Bearer {token}");
        let body = json!({"version": 1, "currentPassword": current, "newPassword": "next"});
        app.send(
            "POST",
            "/demo/me/password",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                ("CF-Connecting-IP", address),
            ],
            Some(body.to_string().as_bytes()),
        )
    };
    for _ in 0..10 {
        attempt("wrong").assert_error(400, "InvalidCurrentPassword");
    }
    let refused = attempt("right");
    refused.assert_error(429, "TooManyRequests");
    assert!(refused.header("retry-after").is_some());
    // The same count as sign-ins: the email is throttled there too.
    app.sign_in("/demo/login", &email, "right", "203.0.113.78")
        .assert_error(429, "TooManyRequests");
}

fn password_reset_and_email_confirmation(app: &App) {
    let (customer, email, _) = shopper(app, "pw");
    let id = id_of(&customer);
    let storefront = app.token(STOREFRONT, None);
    let issued = app.post(
        "/demo/customers/password-token",
        app.admin(),
        &json!({"email": email}),
    );
    assert_eq!(issued.status, 200, "{}", issued.text);
    let value = issued.json["value"].as_str().unwrap().to_string();
    let path = "/demo/me/password/reset";
    app.post(
        path,
        &storefront,
        &json!({"tokenValue": value, "newPassword": ""}),
    )
    .assert_error(400, "InvalidField");
    app.post(
        path,
        &storefront,
        &json!({"tokenValue": "unknown", "newPassword": "pw2"}),
    )
    .assert_error(404, "ResourceNotFound");
    app.post(
        path,
        &app.token(VIEWER, None),
        &json!({"tokenValue": value, "newPassword": "pw2"}),
    )
    .assert_error(403, "insufficient_scope");
    let reset = app.post(
        path,
        &storefront,
        &json!({"tokenValue": value, "newPassword": "pw2"}),
    );
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.json["id"], id);
    assert_eq!(reset.json["version"], 2);
    app.post(
        path,
        &storefront,
        &json!({"tokenValue": value, "newPassword": "pw3"}),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(
        app.get("/demo/me", &customer_token(app, None, &email, "pw2"))
            .status,
        200
    );
    // Email verification: the token comes from the back office, the shopper redeems it.
    let issued = app.post(
        "/demo/customers/email-token",
        app.admin(),
        &json!({"id": id, "ttlMinutes": 10}),
    );
    assert_eq!(issued.status, 200, "{}", issued.text);
    let value = issued.json["value"].as_str().unwrap().to_string();
    let confirm = "/demo/me/email/confirm";
    app.post(confirm, &storefront, &json!({"tokenValue": "unknown"}))
        .assert_error(404, "ResourceNotFound");
    let confirmed = app.post(confirm, &anonymous(app), &json!({"tokenValue": value}));
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.json["isEmailVerified"], true);
    assert_eq!(confirmed.json["version"], 3);
    app.post(confirm, &storefront, &json!({"tokenValue": value}))
        .assert_error(404, "ResourceNotFound");
}

fn delete_needs_the_version(app: &App) {
    let (customer, _, token) = shopper(app, "pw");
    app.delete("/demo/me", &token)
        .assert_error(400, "InvalidInput");
    app.delete("/demo/me?version=abc", &token)
        .assert_error(400, "InvalidInput");
    let stale = app.delete("/demo/me?version=3", &token);
    assert_eq!(
        stale.assert_error(409, "ConcurrentModification")["currentVersion"],
        1
    );
    assert_eq!(current(app, id_of(&customer)).status, 200);
    let deleted = app.delete("/demo/me?version=1&dataErasure=true", &token);
    assert_eq!(deleted.status, 200, "{}", deleted.text);
}

fn in_store_signup_makes_a_store_customer_kept_in_its_store(app: &App) {
    let store = unique("me-store");
    let other = unique("me-other");
    let email = unique_email("me-store");
    let signed_up = app.post(
        &format!("/demo/in-store/key={store}/me/signup"),
        &anonymous(app),
        &json!({"email": email, "password": "pw"}),
    );
    assert_eq!(signed_up.status, 201, "{}", signed_up.text);
    let customer = &signed_up.json["customer"];
    let id = id_of(customer).to_string();
    assert_eq!(
        customer["stores"],
        json!([{"typeId": "store", "key": store}])
    );
    // A store customer signs in through its store only.
    customer_token_with(app, STOREFRONT, None, (&email, "pw"), "")
        .assert_error(400, "invalid_customer_account_credentials");
    let token = customer_token(app, Some(&store), &email, "pw");
    let own = format!("/demo/in-store/key={store}/me");
    let elsewhere = format!("/demo/in-store/key={other}/me");
    assert_eq!(app.get(&own, &token).json["id"], id);
    app.get(&elsewhere, &token)
        .assert_error(404, "ResourceNotFound");
    app.get("/demo/me", &token)
        .assert_error(404, "ResourceNotFound");
    let rename = json!([{"action": "setFirstName", "firstName": "Elsewhere"}]);
    app.update(&elsewhere, &token, 1, rename.clone())
        .assert_error(404, "ResourceNotFound");
    app.update("/demo/me", &token, 1, rename.clone())
        .assert_error(404, "ResourceNotFound");
    app.delete(&format!("{elsewhere}?version=1"), &token)
        .assert_error(404, "ResourceNotFound");
    app.delete("/demo/me?version=1", &token)
        .assert_error(404, "ResourceNotFound");
    app.post(
        &format!("{elsewhere}/password"),
        &token,
        &json!({"version": 1, "currentPassword": "pw", "newPassword": "x"}),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(current(app, &id).json["version"], 1);
    let renamed = app.update(&own, &token, 1, rename);
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json["firstName"], "Elsewhere");
    // Login: in its store, not in another one, not globally.
    let storefront = app.token(STOREFRONT, None);
    let credentials = json!({"email": email, "password": "pw"});
    let login = app.post(&format!("{own}/login"), &storefront, &credentials);
    assert_eq!(login.status, 200, "{}", login.text);
    app.post(&format!("{elsewhere}/login"), &storefront, &credentials)
        .assert_error(400, "InvalidCredentials");
    app.post("/demo/me/login", &storefront, &credentials)
        .assert_error(400, "InvalidCredentials");
    // A password reset through another store's /me leads nowhere.
    let issued = app.post(
        &format!("/demo/in-store/key={store}/customers/password-token"),
        app.admin(),
        &json!({"email": email}),
    );
    let value = issued.json["value"].as_str().unwrap().to_string();
    let reset = json!({"tokenValue": value, "newPassword": "pw2"});
    app.post(&format!("{elsewhere}/password/reset"), &storefront, &reset)
        .assert_error(404, "ResourceNotFound");
    app.post("/demo/me/password/reset", &storefront, &reset)
        .assert_error(404, "ResourceNotFound");
    let done = app.post(&format!("{own}/password/reset"), &storefront, &reset);
    assert_eq!(done.status, 200, "{}", done.text);
    // The same email may sign up in another store (uniqueness per store), not globally.
    let again = json!({"email": email, "password": "pw"});
    let there = app.post(&format!("{elsewhere}/signup"), &storefront, &again);
    assert_eq!(there.status, 201, "{}", there.text);
    app.post("/demo/me/signup", &storefront, &again)
        .assert_error(400, "DuplicateField");
    // A global customer is seen by every store's /me.
    let (global, global_email, _) = shopper(app, "pw");
    let global_token = customer_token(app, Some(&store), &global_email, "pw");
    assert_eq!(app.get(&own, &global_token).json["id"], global["id"]);
    assert_eq!(app.get(&elsewhere, &global_token).json["id"], global["id"]);
}

fn store_scoped_profile_scopes_open_only_their_store(app: &App) {
    let store = unique("me-scoped");
    let other = unique("me-scoped-other");
    let created = app.post(
        "/demo/api-clients",
        app.admin(),
        &json!({"name": unique("me-store-client"),
                "scope": format!("manage_my_profile:demo:{store} create_anonymous_token:demo")}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let client = (
        created.json["id"].as_str().unwrap(),
        created.json["secret"].as_str().unwrap(),
    );
    let token = access_token(&form(
        app,
        client,
        "/oauth/token",
        "grant_type=client_credentials",
        &[],
    ));
    let email = unique_email("me-scoped");
    let draft = json!({"email": email, "password": "pw"});
    app.post("/demo/me/signup", &token, &draft)
        .assert_error(403, "insufficient_scope");
    app.post(
        &format!("/demo/in-store/key={other}/me/signup"),
        &token,
        &draft,
    )
    .assert_error(403, "insufficient_scope");
    // Its sign-ups stay within its stores.
    let two_stores = json!({"email": email, "password": "pw",
                            "stores": [{"key": store}, {"key": other}]});
    app.post(
        &format!("/demo/in-store/key={store}/me/signup"),
        &token,
        &two_stores,
    )
    .assert_error(403, "insufficient_scope");
    let reply = app.post(
        &format!("/demo/in-store/key={store}/me/signup"),
        &token,
        &draft,
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let customer_token = access_token(&customer_token_with(
        app,
        client,
        Some(&store),
        (&email, "pw"),
        "",
    ));
    let own = format!("/demo/in-store/key={store}/me");
    assert_eq!(app.get(&own, &customer_token).status, 200);
    app.get("/demo/me", &customer_token)
        .assert_error(403, "insufficient_scope");
    app.get(&format!("/demo/in-store/key={other}/me"), &customer_token)
        .assert_error(403, "insufficient_scope");
    let updated = app.update(
        &own,
        &customer_token,
        1,
        json!([{"action": "setFirstName", "firstName": "Scoped"}]),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
}

fn expand_works_on_me(app: &App) {
    let group = app.ensure_group("me-expand");
    let email = unique_email("me-expand");
    let customer = app.create_customer(&json!({"email": email, "password": "pw",
        "customerGroup": {"typeId": "customer-group", "id": group}}));
    let token = customer_token(app, None, &email, "pw");
    let plain = app.get("/demo/me", &token);
    assert!(plain.json["customerGroup"].get("obj").is_none());
    let expanded = app.get("/demo/me?expand=customerGroup", &token);
    assert_eq!(expanded.status, 200, "{}", expanded.text);
    assert_eq!(expanded.json["customerGroup"]["obj"]["key"], "me-expand");
    let updated = app.update(
        "/demo/me?expand=customerGroup",
        &token,
        1,
        json!([{"action": "setFirstName", "firstName": "E"}]),
    );
    assert_eq!(updated.json["customerGroup"]["obj"]["id"], group);
    let login = app.post(
        "/demo/me/login?expand=customerGroup",
        &token,
        &json!({"email": email, "password": "pw"}),
    );
    assert_eq!(login.json["customer"]["customerGroup"]["obj"]["id"], group);
    assert_eq!(login.json["customer"]["id"], customer["id"]);
}

fn every_response_carries_a_correlation_id(app: &App) {
    let (_, _, token) = shopper(app, "pw");
    let auth = format!("Bearer {token}");
    for (method, path, headers) in [
        ("GET", "/demo/me", vec![("Authorization", auth.as_str())]),
        ("GET", "/demo/me", vec![]),
        ("GET", "/demo/nowhere/at/all", vec![]),
        ("PUT", "/demo/me", vec![]),
        ("OPTIONS", "/demo/me", vec![]),
        ("POST", "/oauth/token", vec![]),
    ] {
        let generated = app.send(method, path, &headers, None);
        let id = generated.header("x-correlation-id").unwrap_or_default();
        assert_eq!(id.len(), 36, "{method} {path}: {id:?}");
        let mut with = headers.clone();
        with.push(("X-Correlation-ID", "shop-7f3a/req-42"));
        let echoed = app.send(method, path, &with, None);
        assert_eq!(
            echoed.header("x-correlation-id"),
            Some("shop-7f3a/req-42"),
            "{method} {path}"
        );
    }
    // An unusable id (too long) is replaced.
    let long = "x".repeat(300);
    let reply = app.send("GET", "/demo/me", &[("X-Correlation-ID", &long)], None);
    assert_eq!(reply.header("x-correlation-id").unwrap().len(), 36);
}

fn an_unknown_path_checks_a_bad_token_first(app: &App) {
    for path in [
        "/demo/orders",
        "/demo/carts/some-id",
        "/demo/customers/a/b",
        "/nowhere/at/all",
    ] {
        app.get(path, "not-a-token")
            .assert_error(401, "invalid_token");
        app.get(path, app.admin())
            .assert_error(404, "ResourceNotFound");
        app.send("GET", path, &[], None)
            .assert_error(404, "ResourceNotFound");
    }
}

fn boolean_query_parameters_in_any_case(app: &App) {
    let customer = app.create_customer(&json!({"email": unique_email("bool"), "password": "pw"}));
    let id = id_of(&customer);
    let page = app.get("/demo/customers?limit=1&withTotal=False", app.admin());
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.json.get("total").is_none());
    let page = app.get("/demo/customers?limit=1&withTotal=TRUE", app.admin());
    assert!(page.json["total"].as_u64().is_some());
    app.get("/demo/customers?withTotal=yes", app.admin())
        .assert_error(400, "InvalidInput");
    let deleted = app.delete(
        &format!("/demo/customers/{id}?version=1&dataErasure=True"),
        app.admin(),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text);
}
