//! Hostile but legitimate input: each test reproduces one defect a hostile client found
//! (a customer made unreadable, a predicate that stalls the database, a store-limited token
//! writing outside its store, out-of-range numbers, documents past what D1 stores, an update
//! that costs hundreds of password derivations, look-alike emails) and checks the fix.

use std::time::Instant;

use serde_json::{json, Value};

use crate::support::{encode, id_of, unique, unique_email, App, ADMIN};

tests!(hardening;
    deep_custom_values_are_refused_so_every_customer_reads_back,
    costly_predicates_are_refused_before_they_run,
    store_limited_tokens_write_only_their_stores,
    versions_beyond_exact_doubles_are_400,
    sort_clauses_are_bounded,
    what_one_customer_holds_is_bounded,
    one_update_derives_at_most_one_password,
    api_client_deletion_dates_are_bounded,
    look_alike_emails_are_one_account,
    ; serial: an_unreadable_customer_can_still_be_deleted,
);

/// A value nested `levels` deep: `[[…[1]…]]`.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!([inner]))
}

fn path_of(customer: &Value) -> String {
    format!("/demo/customers/{}", id_of(customer))
}

fn deep_custom_values_are_refused_so_every_customer_reads_back(app: &App) {
    let string = || json!({"name": "String"});
    let fields = [("x", string()), ("y", string()), ("z", string())];
    app.ensure_type("h-t", &["customer", "address"], &fields);
    let email = unique_email("deep");
    let customer = app.create_customer(&json!({
        "email": email, "password": "pw", "key": unique("deep"),
        "addresses": [{"country": "DE"}]
    }));
    let path = path_of(&customer);
    let address_id = customer["addresses"][0]["id"].as_str().unwrap();
    let typed = app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setAddressCustomType", "addressId": address_id, "type": {"key": "h-t"}}]),
    );
    assert_eq!(typed.status, 200, "{}", typed.text);
    // The reproduction: 124 levels used to be stored, and then nothing could read the customer.
    for levels in [124, 17] {
        let reply = app.update(
            &path,
            app.admin(),
            2,
            json!([{"action": "setAddressCustomField", "addressId": address_id, "name": "x", "value": nested(levels)}]),
        );
        let error = reply.assert_error(400, "InvalidField");
        assert_eq!(error["field"], "address.custom.fields.x", "{}", reply.text);
        assert!(
            error["message"].as_str().unwrap().contains("levels deep"),
            "refused for its depth, before its type is looked at: {}",
            reply.text
        );
    }
    let reply = app.update(
        &path,
        app.admin(),
        2,
        json!([{"action": "setCustomType", "type": {"key": "h-t"}, "fields": {"y": nested(40)}}]),
    );
    assert_eq!(
        reply.assert_error(400, "InvalidField")["field"],
        "custom.fields.y"
    );
    let reply = app.update(
        &path,
        app.admin(),
        2,
        json!([{"action": "setAddressCustomField", "addressId": address_id, "name": "x", "value": "flat"}]),
    );
    assert_eq!(
        reply.status, 200,
        "a value of its type is stored: {}",
        reply.text
    );
    // Drafts: the customer's and an address's custom fields.
    for draft in [
        json!({"email": unique_email("deep"), "password": "pw", "custom": {"type": {"key": "h-t"}, "fields": {"z": nested(60)}}}),
        json!({"email": unique_email("deep"), "password": "pw", "addresses": [{"country": "DE", "custom": {"type": {"key": "h-t"}, "fields": {"z": nested(60)}}}]}),
    ] {
        let reply = app.post("/demo/customers", app.admin(), &draft);
        let field = reply.assert_error(400, "InvalidField")["field"].clone();
        assert!(
            field.as_str().unwrap().ends_with("custom.fields.z"),
            "{field}"
        );
    }
    // Everything still reads, signs in and deletes.
    assert_eq!(app.get(&path, app.admin()).status, 200);
    assert_eq!(
        app.sign_in("/demo/login", &email, "pw", "198.51.100.40")
            .status,
        200
    );
    let deleted = app.delete(&format!("{path}?version=3"), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
}

fn an_unreadable_customer_can_still_be_deleted(app: &App) {
    let email = unique_email("unreadable");
    let customer = app.create_customer(&json!({"email": email, "password": "pw"}));
    let id = id_of(&customer);
    // However it came to be (a bug, a manual edit): a document that is not JSON.
    app.d1_query(&format!(
        "UPDATE customers SET doc = '{{\"broken' WHERE id = '{id}'"
    ));
    let sign_in = app.sign_in("/demo/login", &email, "pw", "198.51.100.41");
    sign_in.assert_error(400, "InvalidCredentials");
    let deleted = app.delete(&format!("/demo/customers/{id}?version=1"), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["id"], id);
    app.get(&format!("/demo/customers/{id}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    let messages = app.messages_of(id);
    assert_eq!(
        messages.last().map(|m| m.kind.as_str()),
        Some("CustomerDeleted")
    );
    assert_eq!(messages.last().unwrap().sequence, 2);
    // The email is free again.
    app.create_customer(&json!({"email": email, "password": "pw"}));
}

fn query(app: &App, token: &str, predicate: &str) -> crate::support::Reply {
    app.get(
        &format!(
            "/demo/customers?where={}&withTotal=false",
            encode(predicate)
        ),
        token,
    )
}

fn costly_predicates_are_refused_before_they_run(app: &App) {
    let viewer = app.token(crate::support::VIEWER, None);
    let join = |n: usize, clause: &dyn Fn(usize) -> String| {
        (0..n).map(clause).collect::<Vec<_>>().join(" or ")
    };
    // The reproduction: 90 array sub-queries, sent with a read-only token.
    let arrays = join(90, &|i| format!("addresses(city = \"c{i}\")"));
    let reply = query(app, &viewer, &arrays);
    let message = reply.assert_error(400, "InvalidInput")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("too expensive"), "{message}");
    assert!(message.contains("at most 8"), "{message}");
    // HEAD by predicate is bounded the same way.
    let head = app.head(
        &format!("/demo/customers?where={}", encode(&arrays)),
        &viewer,
    );
    assert_eq!(head.status, 400);
    let terms = join(51, &|i| format!("firstName = \"f{i}\""));
    query(app, &viewer, &terms).assert_error(400, "InvalidInput");
    let list: Vec<String> = (0..1001).map(|i| format!("\"k{i}\"")).collect();
    query(app, &viewer, &format!("key in ({})", list.join(","))).assert_error(400, "InvalidInput");
    // Within the limits, the same shapes run.
    let reply = query(
        app,
        &viewer,
        &join(8, &|i| format!("addresses(city = \"c{i}\")")),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = query(
        app,
        &viewer,
        &join(50, &|i| format!("firstName = \"f{i}\"")),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = query(
        app,
        &viewer,
        &format!("addresses(city in ({}))", list[..90].join(",")),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn store_limited_tokens_write_only_their_stores(app: &App) {
    let (s1, s2) = (unique("s1"), unique("s2"));
    let token = app.token(ADMIN, Some(&format!("manage_customers:demo:{s1}")));
    let in_s1 = |rest: &str| format!("/demo/in-store/key={s1}/{rest}");
    let global = app.create_customer(&json!({"email": unique_email("glob"), "password": "pw"}));
    let own = app.create_customer(
        &json!({"email": unique_email("own"), "password": "pw", "stores": [{"key": s1}]}),
    );
    let shared = app.create_customer(&json!({
        "email": unique_email("shared"), "password": "pw", "stores": [{"key": s1}, {"key": s2}]
    }));
    let customer_path = |c: &Value| in_s1(&format!("customers/{}", id_of(c)));

    // The reproductions: each is refused, and nothing changes.
    let refused = [
        (
            in_s1("customers/password-token"),
            json!({"email": global["email"]}),
        ),
        (
            in_s1("customers/email-token"),
            json!({"id": id_of(&global), "ttlMinutes": 10}),
        ),
        (
            customer_path(&global),
            json!({"version": 1, "actions": [{"action": "addStore", "store": {"key": s2}}]}),
        ),
        (
            customer_path(&global),
            json!({"version": 1, "actions": [{"action": "setFirstName", "firstName": "X"}]}),
        ),
        (
            customer_path(&own),
            json!({"version": 1, "actions": [{"action": "setStores", "stores": []}]}),
        ),
        (
            customer_path(&own),
            json!({"version": 1, "actions": [{"action": "addStore", "store": {"key": s2}}]}),
        ),
        (
            customer_path(&shared),
            json!({"version": 1, "actions": [{"action": "removeStore", "store": {"key": s2}}]}),
        ),
        (
            in_s1("customers/password"),
            json!({"id": id_of(&global), "version": 1, "currentPassword": "pw", "newPassword": "new"}),
        ),
    ];
    for (path, body) in &refused {
        let reply = app.post(path, &token, body);
        reply.assert_error(403, "insufficient_scope");
        assert!(
            reply.json["message"].as_str().unwrap().contains(&s1),
            "{path}: {}",
            reply.text
        );
    }
    let email = unique_email("two-stores");
    let reply = app.post(
        &in_s1("customers"),
        &token,
        &json!({"email": email, "password": "pw", "stores": [{"key": s1}, {"key": s2}]}),
    );
    reply.assert_error(403, "insufficient_scope");
    let found = app.get(
        &format!(
            "/demo/customers?where={}",
            encode(&format!("email = \"{email}\""))
        ),
        app.admin(),
    );
    assert_eq!(found.json["total"], 0, "nothing was created");
    app.delete(&format!("{}?version=1", customer_path(&global)), &token)
        .assert_error(403, "insufficient_scope");
    for customer in [&global, &own, &shared] {
        let now = app.get(&path_of(customer), app.admin());
        assert_eq!(now.json["version"], 1, "unchanged: {}", now.text);
    }

    // What the store token may do: read what its store sees, write its store's customers.
    assert_eq!(app.get(&customer_path(&global), &token).status, 200);
    for customer in [&own, &shared] {
        let reply = app.update(
            &customer_path(customer),
            &token,
            1,
            json!([{"action": "setFirstName", "firstName": "Store"}]),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let created = app.post(
        &in_s1("customers"),
        &token,
        &json!({"email": unique_email("in-s1"), "password": "pw"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let reply = app.post(
        &in_s1("customers/password-token"),
        &token,
        &json!({"email": own["email"]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    // A project-wide token may do all of it through the same paths.
    let reply = app.update(
        &customer_path(&global),
        app.admin(),
        1,
        json!([{"action": "addStore", "store": {"key": s2}}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn versions_beyond_exact_doubles_are_400(app: &App) {
    let customer = app.create_customer(&json!({"email": unique_email("ver"), "password": "pw"}));
    let path = path_of(&customer);
    let id = id_of(&customer);
    let huge = ["9007199254740992", "18446744073709551615"];
    for version in huge {
        let body = format!(r#"{{"version": {version}, "actions": []}}"#);
        let reply = app.post_raw(&path, app.admin(), body.as_bytes());
        reply.assert_error(400, "InvalidJsonInput");
        let reply = app.delete(&format!("{path}?version={version}"), app.admin());
        reply.assert_error(400, "InvalidInput");
        let bodies = [
            (
                "/demo/customers/password",
                format!(
                    r#"{{"id":"{id}","version":{version},"currentPassword":"pw","newPassword":"x"}}"#
                ),
            ),
            (
                "/demo/customers/email-token",
                format!(r#"{{"id":"{id}","version":{version},"ttlMinutes":5}}"#),
            ),
            (
                "/demo/customers/password/reset",
                format!(r#"{{"tokenValue":"t","version":{version},"newPassword":"x"}}"#),
            ),
            (
                "/demo/customers/email/confirm",
                format!(r#"{{"tokenValue":"t","version":{version}}}"#),
            ),
        ];
        for (endpoint, body) in bodies {
            let reply = app.post_raw(endpoint, app.admin(), body.as_bytes());
            reply.assert_error(400, "InvalidJsonInput");
        }
    }
    // The largest exact version is a version like any other: here a stale one.
    let reply = app.update(&path, app.admin(), 9_007_199_254_740_991, json!([]));
    assert_eq!(
        reply.assert_error(409, "ConcurrentModification")["currentVersion"],
        1
    );
    assert_eq!(
        app.delete(&format!("{path}?version=9007199254740991"), app.admin())
            .status,
        409
    );
}

fn sort_clauses_are_bounded(app: &App) {
    let sorts = |n: usize| vec!["sort=key+asc"; n].join("&");
    let reply = app.get(&format!("/demo/customers?{}", sorts(100)), app.admin());
    let message = reply.assert_error(400, "InvalidInput")["message"].clone();
    assert!(
        message.as_str().unwrap().contains("at most 10"),
        "{message}"
    );
    let reply = app.get(&format!("/demo/customers?{}", sorts(10)), app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn what_one_customer_holds_is_bounded(app: &App) {
    let addresses = |n: usize| vec![json!({"country": "DE", "city": "Berlin"}); n];
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("many"), "password": "pw", "addresses": addresses(201)}),
    );
    let message = reply.assert_error(400, "InvalidInput")["message"].clone();
    assert!(
        message.as_str().unwrap().contains("200 addresses"),
        "{message}"
    );
    let stores: Vec<Value> = (0..101)
        .map(|i| json!({"key": format!("st-{i}")}))
        .collect();
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("many"), "password": "pw", "stores": stores}),
    );
    reply.assert_error(400, "InvalidInput");
    // A document past the size limit, though the body is within the body limit.
    let big = "x".repeat(300 * 1024);
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("big"), "password": "pw", "firstName": big}),
    );
    let message = reply.assert_error(400, "InvalidInput")["message"].clone();
    assert!(
        message.as_str().unwrap().contains("262144 bytes"),
        "{message}"
    );

    // Growth by updates: the update that would cross a limit changes nothing.
    let customer = app.create_customer(
        &json!({"email": unique_email("grow"), "password": "pw", "addresses": addresses(150)}),
    );
    let path = path_of(&customer);
    let add: Vec<Value> = (0..500)
        .map(|_| json!({"action": "addAddress", "address": {"country": "FR"}}))
        .collect();
    app.update(&path, app.admin(), 1, json!(add))
        .assert_error(400, "InvalidInput");
    let reply = app.update(&path, app.admin(), 1, json!(add[..50]));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["addresses"].as_array().unwrap().len(), 200);
    app.update(&path, app.admin(), 51, json!(add[..1]))
        .assert_error(400, "InvalidInput");
    let reply = app.update(
        &path,
        app.admin(),
        51,
        json!([{"action": "setLastName", "lastName": "y".repeat(300 * 1024)}]),
    );
    reply.assert_error(400, "InvalidInput");
    let now = app.get(&path, app.admin());
    assert_eq!(now.json["version"], 51);
    assert!(now.json.get("lastName").is_none());
}

/// `n` actions that switch the authentication mode back and forth, each `Password` switch
/// with a new password; the last one sets `last`.
fn mode_switches(n: usize, last: &str) -> Value {
    let actions: Vec<Value> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                json!({"action": "setAuthenticationMode", "authMode": "ExternalAuth"})
            } else if i + 1 == n {
                json!({"action": "setAuthenticationMode", "authMode": "Password", "password": last})
            } else {
                json!({"action": "setAuthenticationMode", "authMode": "Password", "password": format!("pw-{i}")})
            }
        })
        .collect();
    json!(actions)
}

fn one_update_derives_at_most_one_password(app: &App) {
    let timed = |actions: Value| {
        let email = unique_email("modes");
        let customer = app.create_customer(&json!({"email": email, "password": "first"}));
        let started = Instant::now();
        let reply = app.update(&path_of(&customer), app.admin(), 1, actions);
        let elapsed = started.elapsed();
        assert_eq!(reply.status, 200, "{}", reply.text);
        (email, reply, elapsed)
    };
    // A reference in the same run: one switch, which derives one password.
    let (_, _, one) = timed(mode_switches(2, "only"));
    // The reproduction: 500 actions, 250 different passwords.
    let (email, reply, many) = timed(mode_switches(500, "the-last"));
    assert_eq!(reply.json["authenticationMode"], "Password");
    assert_eq!(reply.json["version"], 501);
    // Only the surviving password works.
    let address = "198.51.100.42";
    assert_eq!(
        app.sign_in("/demo/login", &email, "the-last", address)
            .status,
        200
    );
    app.sign_in("/demo/login", &email, "pw-3", address)
        .assert_error(400, "InvalidCredentials");
    // 250 derivations took 5 s of CPU; one derivation and 500 cheap actions stay within a
    // small multiple of the one-switch request measured just before.
    assert!(
        many < one * 20 + std::time::Duration::from_millis(500),
        "500 actions took {many:?}; one switch took {one:?}"
    );
}

fn api_client_deletion_dates_are_bounded(app: &App) {
    let token = app.admin();
    let reply = app.post(
        "/demo/api-clients",
        token,
        &json!({"name": unique("far"), "scope": "view_customers:demo", "deleteDaysAfterCreation": 4_294_967_295u64}),
    );
    let error = reply.assert_error(400, "InvalidField");
    assert_eq!(error["field"], "deleteDaysAfterCreation");
    let reply = app.post(
        "/demo/api-clients",
        token,
        &json!({"name": unique("far"), "scope": "view_customers:demo", "deleteDaysAfterCreation": 36_500}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let delete_at = reply.json["deleteAt"].as_str().unwrap();
    assert!(delete_at.starts_with("21"), "a century on: {delete_at}");
    let id = reply.json["id"].as_str().unwrap().to_string();
    let secret = reply.json["secret"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/demo/api-clients/{id}"), token).status,
        200
    );
    assert_eq!(app.get("/demo/api-clients?limit=500", token).status, 200);
    app.token((&id, &secret), None);
}

fn look_alike_emails_are_one_account(app: &App) {
    let local = unique("jose").replace('-', "");
    let composed = format!("{local}\u{e9}@example.com");
    let decomposed = format!("{local}e\u{301}@EXAMPLE.com");
    app.create_customer(&json!({"email": composed, "password": "pw"}));
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": decomposed, "password": "pw"}),
    );
    reply.assert_error(400, "DuplicateField");
    // Sign-in compares the same way.
    assert_eq!(
        app.sign_in("/demo/login", &decomposed, "pw", "198.51.100.43")
            .status,
        200
    );
    for invisible in ["\u{200B}", "\u{202E}", "\u{2066}", "\u{FEFF}", "\u{AD}"] {
        let email = format!("{local}{invisible}\u{e9}@example.com");
        let reply = app.post(
            "/demo/customers",
            app.admin(),
            &json!({"email": email, "password": "pw"}),
        );
        assert_eq!(
            reply.assert_error(400, "InvalidField")["field"],
            "email",
            "{invisible:?}"
        );
    }
    let customer = app.create_customer(&json!({"email": unique_email("plain"), "password": "pw"}));
    let reply = app.update(
        &path_of(&customer),
        app.admin(),
        1,
        json!([{"action": "changeEmail", "email": format!("a\u{200D}{}", unique_email("zwj"))}]),
    );
    reply.assert_error(400, "InvalidField");
}
