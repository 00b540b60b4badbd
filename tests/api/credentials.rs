//! Sign-in, password change, password-reset and email-verification tokens, global and
//! in-store. Expiry is tested with the test clock header, which only the harness's Worker
//! honours (`TEST_CLOCK=enabled`), never by waiting.

use std::sync::Barrier;

use edge_customer_api::domain::password;
use serde_json::{json, Value};

use crate::support::{unique, unique_email, App, Reply, Server, StoredMessage, VIEWER};

tests!(credentials;
    sign_in_with_any_case_of_the_email,
    failed_sign_ins_all_look_alike,
    in_store_sign_in,
    sign_in_bodies_are_checked,
    change_password,
    password_reset_flow,
    password_tokens_work_once_and_older_ones_can_be_invalidated,
    password_token_errors,
    email_verification_flow,
    change_email_voids_email_tokens,
    a_new_password_voids_reset_tokens,
    tokens_expire_by_the_clock,
    the_clock_offset_is_ignored_without_the_test_flag,
    other_stores_cannot_reach_a_customer_s_credentials,
    concurrent_resets_with_one_token_have_one_winner,
    ; serial: webcrypto_and_rust_hashes_agree,
    sign_in_rehashes_a_weaker_hash,
    credential_messages_are_stored,
);

const CLOCK: &str = "X-Test-Clock-Offset-Ms";

fn post(app: &App, path: &str, body: Value) -> Reply {
    app.post(path, app.admin(), &body)
}

#[track_caller]
fn ok(app: &App, path: &str, body: Value) -> Value {
    let reply = post(app, path, body);
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.json
}

fn sign_in(app: &App, store: Option<&str>, email: &str, password: &str) -> Reply {
    post(
        app,
        &login_path(store),
        json!({"email": email, "password": password}),
    )
}

fn login_path(store: Option<&str>) -> String {
    match store {
        Some(store) => format!("/demo/in-store/key={store}/login"),
        None => "/demo/login".to_string(),
    }
}

fn customer_with_password(app: &App, password: &str, extra: Value) -> (Value, String) {
    let email = unique_email("cred");
    let mut draft = json!({"email": email, "password": password});
    for (k, v) in extra.as_object().unwrap() {
        draft[k] = v.clone();
    }
    (app.create_customer(&draft), email)
}

fn id_of(customer: &Value) -> String {
    customer["id"].as_str().unwrap().to_string()
}

fn password_token(app: &App, email: &str, extra: Value) -> Value {
    let mut body = json!({"email": email});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    ok(app, "/demo/customers/password-token", body)
}

fn sign_in_with_any_case_of_the_email(app: &App) {
    let (c, email) = customer_with_password(app, "s3cret!", json!({"firstName": "Jo"}));
    for variant in [email.clone(), email.to_uppercase()] {
        let reply = sign_in(app, None, &variant, "s3cret!");
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json["customer"], c);
        assert!(reply.json.get("cart").is_none(), "no cart service here");
    }
    // Only customers with a password-management scope may call it.
    let viewer = app.token(VIEWER, None);
    app.post(
        "/demo/login",
        &viewer,
        &json!({"email": email, "password": "s3cret!"}),
    )
    .assert_error(403, "insufficient_scope");
}

fn failed_sign_ins_all_look_alike(app: &App) {
    let (_, email) = customer_with_password(app, "right", json!({}));
    let external = unique_email("external");
    app.create_customer(&json!({"email": external, "authenticationMode": "ExternalAuth"}));
    let store_email = unique_email("stored");
    let store = unique("st");
    app.create_customer(
        &json!({"email": store_email, "password": "right", "stores": [{"key": store}]}),
    );
    let failures = [
        sign_in(app, None, &email, "wrong"),
        sign_in(app, None, &email, ""),
        sign_in(app, None, &email, "RIGHT"),
        sign_in(app, None, &unique_email("nobody"), "right"),
        sign_in(app, None, &external, "anything"),
        sign_in(app, None, &store_email, "right"),
        sign_in(app, Some("another-store"), &store_email, "right"),
    ];
    let first = &failures[0];
    first.assert_error(400, "InvalidCredentials");
    assert_eq!(
        first.json["message"],
        "Account with the given credentials not found."
    );
    for failure in &failures {
        assert_eq!(failure.status, 400);
        assert_eq!(failure.json, first.json, "every failure answers the same");
    }
}

fn in_store_sign_in(app: &App) {
    let store = unique("shop");
    let (c, email) = customer_with_password(app, "pw", json!({"stores": [{"key": store}]}));
    let reply = sign_in(app, Some(&store), &email.to_uppercase(), "pw");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["customer"]["id"], c["id"]);
    // A customer without stores may sign in in any store (as it is visible in any store).
    let (global, global_email) = customer_with_password(app, "pw", json!({}));
    let reply = sign_in(app, Some(&store), &global_email, "pw");
    assert_eq!(reply.json["customer"]["id"], global["id"]);
    // A store-scoped token signs in to its own store only.
    let token = app.token(
        crate::support::ADMIN,
        Some(&format!("manage_customers:demo:{store}")),
    );
    let reply = app.post(
        &login_path(Some(&store)),
        &token,
        &json!({"email": email, "password": "pw"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.post(
        "/demo/login",
        &token,
        &json!({"email": email, "password": "pw"}),
    )
    .assert_error(403, "insufficient_scope");
}

fn sign_in_bodies_are_checked(app: &App) {
    let (_, email) = customer_with_password(app, "pw", json!({}));
    for (body, detail) in [
        (json!({"email": email}), "password: Missing required value"),
        (json!({"password": "pw"}), "email: Missing required value"),
        (
            json!({"email": email, "password": 1}),
            "password: invalid type",
        ),
        (
            json!({"email": email, "password": "pw", "anonymousCartSignInMode": "Steal"}),
            "anonymousCartSignInMode: unknown variant",
        ),
    ] {
        let reply = post(app, "/demo/login", body);
        let error = reply.assert_error(400, "InvalidJsonInput");
        assert!(
            error["detailedErrorMessage"]
                .as_str()
                .unwrap()
                .starts_with(detail),
            "{}",
            reply.text
        );
    }
    let reply = app.post_raw("/demo/login", app.admin(), b"{nope");
    reply.assert_error(400, "InvalidJsonInput");
    // The cart fields are accepted (there is no cart service: no cart comes back).
    let reply = post(
        app,
        "/demo/login",
        json!({"email": email, "password": "pw", "anonymousCart": {"id": "c", "typeId": "cart"},
               "anonymousCartSignInMode": "UseAsNewActiveCustomerCart", "anonymousId": "a", "updateProductData": true}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json.get("cart").is_none());
}

fn change_password(app: &App) {
    let (c, email) = customer_with_password(app, "old-pw", json!({}));
    let id = id_of(&c);
    // Wrong current password, stale version: refused, nothing changed.
    let reply = post(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 1, "currentPassword": "nope", "newPassword": "new-pw"}),
    );
    reply.assert_error(400, "InvalidCurrentPassword");
    assert_eq!(
        reply.json["message"],
        "The given current password does not match."
    );
    let reply = post(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 2, "currentPassword": "old-pw", "newPassword": "new-pw"}),
    );
    assert_eq!(
        reply.assert_error(409, "ConcurrentModification")["currentVersion"],
        1
    );
    let reply = post(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 1, "currentPassword": "old-pw", "newPassword": ""}),
    );
    reply.assert_error(400, "InvalidField");
    assert_eq!(sign_in(app, None, &email, "old-pw").status, 200);
    // The right one.
    let changed = ok(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 1, "currentPassword": "old-pw", "newPassword": "new-pw"}),
    );
    assert_eq!(changed["version"], 2);
    assert_ne!(changed["password"], c["password"]);
    assert_eq!(sign_in(app, None, &email, "new-pw").status, 200);
    sign_in(app, None, &email, "old-pw").assert_error(400, "InvalidCredentials");
    // A reset token issued for the old password is void after the change.
    let before = password_token(app, &email, json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 2, "currentPassword": "new-pw", "newPassword": "newer-pw"}),
    );
    app.get(
        &format!("/demo/customers/password-token={before}"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    // Unknown customers, external authentication, missing fields.
    post(app, "/demo/customers/password", json!({"id": "00000000-0000-4000-8000-000000000000", "version": 1, "currentPassword": "a", "newPassword": "b"}))
        .assert_error(404, "ResourceNotFound");
    let external = app.create_customer(
        &json!({"email": unique_email("ext"), "authenticationMode": "ExternalAuth"}),
    );
    post(
        app,
        "/demo/customers/password",
        json!({"id": id_of(&external), "version": 1, "currentPassword": "a", "newPassword": "b"}),
    )
    .assert_error(400, "InvalidOperation");
    post(
        app,
        "/demo/customers/password",
        json!({"id": id, "currentPassword": "a", "newPassword": "b"}),
    )
    .assert_error(400, "InvalidJsonInput");
}

fn password_reset_flow(app: &App) {
    let (c, email) = customer_with_password(app, "forgotten", json!({}));
    let token = password_token(app, &email.to_uppercase(), json!({}));
    let value = token["value"].as_str().unwrap();
    assert!(value.len() >= 43, "at least 256 random bits");
    assert!(
        value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'),
        "URL-safe"
    );
    assert_eq!(token["customerId"], c["id"]);
    assert_eq!(token["invalidateOlderTokens"], false);
    assert!(
        token["id"].is_string()
            && token["createdAt"].is_string()
            && token["lastModifiedAt"].is_string()
    );
    // Default life: 1440 minutes.
    let created = chrono_ms(&token["createdAt"]);
    assert_eq!(chrono_ms(&token["expiresAt"]) - created, 1440 * 60_000);
    // The customer behind the token.
    let by_token = app.get(
        &format!("/demo/customers/password-token={value}"),
        app.admin(),
    );
    assert_eq!(by_token.status, 200, "{}", by_token.text);
    assert_eq!(by_token.json, c);
    let viewer = app.token(VIEWER, None);
    assert_eq!(
        app.get(&format!("/demo/customers/password-token={value}"), &viewer)
            .status,
        200
    );
    assert_eq!(
        app.head(
            &format!("/demo/customers/password-token={value}"),
            app.admin()
        )
        .status,
        200
    );
    // Reset.
    let reset = ok(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": value, "newPassword": "remembered"}),
    );
    assert_eq!(reset["id"], c["id"]);
    assert_eq!(reset["version"], 2);
    assert_eq!(sign_in(app, None, &email, "remembered").status, 200);
    sign_in(app, None, &email, "forgotten").assert_error(400, "InvalidCredentials");
}

/// Milliseconds since the epoch of an ISO date-time.
fn chrono_ms(value: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

fn password_tokens_work_once_and_older_ones_can_be_invalidated(app: &App) {
    let (_, email) = customer_with_password(app, "pw", json!({}));
    let reset = |value: &str, password: &str| {
        post(
            app,
            "/demo/customers/password/reset",
            json!({"tokenValue": value, "newPassword": password}),
        )
    };
    // Once.
    let t = password_token(app, &email, json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(reset(&t, "pw2").status, 200);
    reset(&t, "pw3").assert_error(404, "ResourceNotFound");
    app.get(&format!("/demo/customers/password-token={t}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    // A reset voids every older token.
    let t1 = password_token(app, &email, json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let t2 = password_token(app, &email, json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(reset(&t2, "pw4").status, 200);
    reset(&t1, "pw5").assert_error(404, "ResourceNotFound");
    // invalidateOlderTokens voids the earlier ones at once.
    let t3 = password_token(app, &email, json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let t4 = password_token(app, &email, json!({"invalidateOlderTokens": true}));
    assert_eq!(t4["invalidateOlderTokens"], true);
    app.get(&format!("/demo/customers/password-token={t3}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    assert_eq!(reset(t4["value"].as_str().unwrap(), "pw6").status, 200);
    assert_eq!(sign_in(app, None, &email, "pw6").status, 200);
}

fn password_token_errors(app: &App) {
    let (c, email) = customer_with_password(app, "pw", json!({}));
    post(
        app,
        "/demo/customers/password-token",
        json!({"email": unique_email("nobody")}),
    )
    .assert_error(404, "ResourceNotFound");
    for ttl in [0, -5, 43_201] {
        let reply = post(
            app,
            "/demo/customers/password-token",
            json!({"email": email, "ttlMinutes": ttl}),
        );
        assert_eq!(reply.status, 400, "{ttl}: {}", reply.text);
    }
    post(
        app,
        "/demo/customers/password-token",
        json!({"ttlMinutes": 5}),
    )
    .assert_error(400, "InvalidJsonInput");
    let external = unique_email("ext");
    app.create_customer(&json!({"email": external, "authenticationMode": "ExternalAuth"}));
    post(
        app,
        "/demo/customers/password-token",
        json!({"email": external}),
    )
    .assert_error(400, "InvalidOperation");
    app.get("/demo/customers/password-token=not-a-token", app.admin())
        .assert_error(404, "ResourceNotFound");
    post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": "not-a-token", "newPassword": "x"}),
    )
    .assert_error(404, "ResourceNotFound");
    let t = password_token(app, &email, json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": t, "newPassword": ""}),
    )
    .assert_error(400, "InvalidField");
    post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": t}),
    )
    .assert_error(400, "InvalidJsonInput");
    // A stale version fails the reset and leaves the token usable.
    let reply = post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": t, "newPassword": "x", "version": 9}),
    );
    assert_eq!(
        reply.assert_error(409, "ConcurrentModification")["currentVersion"],
        1
    );
    let reset = ok(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": t, "newPassword": "x", "version": 1}),
    );
    assert_eq!(reset["id"], c["id"]);
    // Tokens of one kind are not tokens of the other.
    let e = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id_of(&c), "ttlMinutes": 10}),
    );
    let value = e["value"].as_str().unwrap();
    app.get(
        &format!("/demo/customers/password-token={value}"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": value, "newPassword": "y"}),
    )
    .assert_error(404, "ResourceNotFound");
}

fn email_verification_flow(app: &App) {
    let (c, _) = customer_with_password(app, "pw", json!({}));
    let id = id_of(&c);
    // ttlMinutes is required; a given version must match.
    post(app, "/demo/customers/email-token", json!({"id": id}))
        .assert_error(400, "InvalidJsonInput");
    let reply = post(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 10, "version": 4}),
    );
    assert_eq!(
        reply.assert_error(409, "ConcurrentModification")["currentVersion"],
        1
    );
    post(
        app,
        "/demo/customers/email-token",
        json!({"id": "00000000-0000-4000-8000-000000000000", "ttlMinutes": 10}),
    )
    .assert_error(404, "ResourceNotFound");
    let token = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 10, "version": 1}),
    );
    let value = token["value"].as_str().unwrap().to_string();
    assert_eq!(
        chrono_ms(&token["expiresAt"]) - chrono_ms(&token["createdAt"]),
        10 * 60_000
    );
    let by_token = app.get(&format!("/demo/customers/email-token={value}"), app.admin());
    assert_eq!(by_token.json, c);
    // A second token; confirming voids both.
    let other = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 10}),
    )["value"]
        .as_str()
        .unwrap()
        .to_string();
    let confirmed = ok(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": value}),
    );
    assert_eq!(confirmed["isEmailVerified"], true);
    assert_eq!(confirmed["version"], 2);
    post(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": value}),
    )
    .assert_error(404, "ResourceNotFound");
    post(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": other}),
    )
    .assert_error(404, "ResourceNotFound");
    app.get(&format!("/demo/customers/email-token={other}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    // A stale version fails the confirmation and keeps the token.
    let third = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 10}),
    )["value"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": third, "version": 1}),
    )
    .assert_error(409, "ConcurrentModification");
    let again = ok(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": third, "version": 2}),
    );
    assert_eq!(again["version"], 2, "already verified: nothing changes");
    post(app, "/demo/customers/email/confirm", json!({})).assert_error(400, "InvalidJsonInput");
}

fn change_email_voids_email_tokens(app: &App) {
    let (c, _) = customer_with_password(app, "pw", json!({}));
    let id = id_of(&c);
    let value = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 30}),
    )["value"]
        .as_str()
        .unwrap()
        .to_string();
    let password_value = password_token(app, c["email"].as_str().unwrap(), json!({}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let updated = post(
        app,
        &format!("/demo/customers/{id}"),
        json!({"version": 1, "actions": [{"action": "changeEmail", "email": unique_email("moved")}]}),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    app.get(&format!("/demo/customers/email-token={value}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    post(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": value}),
    )
    .assert_error(404, "ResourceNotFound");
    // Password tokens are not email tokens: they still work.
    assert_eq!(
        app.get(
            &format!("/demo/customers/password-token={password_value}"),
            app.admin()
        )
        .status,
        200
    );
}

/// A password change, and a password set through `setAuthenticationMode`, void the reset
/// tokens issued before it (email tokens stay valid).
fn a_new_password_voids_reset_tokens(app: &App) {
    let token_value = |token: Value| token["value"].as_str().unwrap().to_string();
    let (c, email) = customer_with_password(app, "pw", json!({}));
    let id = id_of(&c);
    let reset_token = token_value(password_token(app, &email, json!({})));
    let email_token = token_value(ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 30}),
    ));
    ok(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 1, "currentPassword": "pw", "newPassword": "new-pw"}),
    );
    app.get(
        &format!("/demo/customers/password-token={reset_token}"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": reset_token, "newPassword": "stolen"}),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(sign_in(app, None, &email, "new-pw").status, 200);
    assert_eq!(
        app.get(
            &format!("/demo/customers/email-token={email_token}"),
            app.admin()
        )
        .status,
        200
    );
    // Through the update action: ExternalAuth and back with a new password.
    let later_token = token_value(password_token(app, &email, json!({})));
    let updated = ok(
        app,
        &format!("/demo/customers/{id}"),
        json!({"version": 2, "actions": [
            {"action": "setAuthenticationMode", "authMode": "ExternalAuth"},
            {"action": "setAuthenticationMode", "authMode": "Password", "password": "third-pw"}
        ]}),
    );
    assert_eq!(updated["version"], 4);
    post(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": later_token, "newPassword": "stolen"}),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(sign_in(app, None, &email, "third-pw").status, 200);
}

fn tokens_expire_by_the_clock(app: &App) {
    let (c, email) = customer_with_password(app, "pw", json!({}));
    let value = password_token(app, &email, json!({"ttlMinutes": 1}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {}", app.admin());
    let later = |offset: &str, method: &str, path: &str, body: Option<Value>| {
        let body = body.map(|b| b.to_string());
        app.send(
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                (CLOCK, offset),
            ],
            body.as_deref().map(str::as_bytes),
        )
    };
    let path = format!("/demo/customers/password-token={value}");
    assert_eq!(
        later("59000", "GET", &path, None).status,
        200,
        "still alive just before the minute"
    );
    let reply = later("60000", "GET", &path, None);
    reply.assert_error(400, "ExpiredCustomerPasswordToken");
    assert_eq!(
        reply.json["message"],
        "The given password token has expired."
    );
    later(
        "3600000",
        "POST",
        "/demo/customers/password/reset",
        Some(json!({"tokenValue": value, "newPassword": "x"})),
    )
    .assert_error(400, "ExpiredCustomerPasswordToken");
    // Without the offset it is still good.
    assert_eq!(app.get(&path, app.admin()).status, 200);
    let email_value = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id_of(&c), "ttlMinutes": 1}),
    )["value"]
        .as_str()
        .unwrap()
        .to_string();
    later(
        "61000",
        "GET",
        &format!("/demo/customers/email-token={email_value}"),
        None,
    )
    .assert_error(400, "ExpiredCustomerEmailToken");
    later(
        "61000",
        "POST",
        "/demo/customers/email/confirm",
        Some(json!({"tokenValue": email_value})),
    )
    .assert_error(400, "ExpiredCustomerEmailToken");
    assert_eq!(
        ok(
            app,
            "/demo/customers/email/confirm",
            json!({"tokenValue": email_value})
        )["isEmailVerified"],
        true
    );
}

fn the_clock_offset_is_ignored_without_the_test_flag(_app: &App) {
    let server = Server::start_with(&[]);
    let plain = App::new(server.base_url.clone(), None);
    let (_, email) = customer_with_password(&plain, "pw", json!({}));
    let value = password_token(&plain, &email, json!({"ttlMinutes": 1}))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {}", plain.admin());
    let reply = plain.send(
        "GET",
        &format!("/demo/customers/password-token={value}"),
        &[("Authorization", &auth), (CLOCK, "86400000")],
        None,
    );
    assert_eq!(
        reply.status, 200,
        "a Worker without TEST_CLOCK ignores the header: {}",
        reply.text
    );
}

fn other_stores_cannot_reach_a_customer_s_credentials(app: &App) {
    let store = unique("home");
    let (c, email) = customer_with_password(app, "pw", json!({"stores": [{"key": store}]}));
    let id = id_of(&c);
    let mine = |rest: &str| format!("/demo/in-store/key={store}/{rest}");
    let theirs = |rest: &str| format!("/demo/in-store/key=elsewhere/{rest}");
    // A password token in the customer's store works; in another store the email is unknown.
    post(
        app,
        &theirs("customers/password-token"),
        json!({"email": email}),
    )
    .assert_error(404, "ResourceNotFound");
    post(
        app,
        "/demo/customers/password-token",
        json!({"email": email}),
    )
    .assert_error(404, "ResourceNotFound");
    let value = ok(
        app,
        &mine("customers/password-token"),
        json!({"email": email}),
    )["value"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(
        &theirs(&format!("customers/password-token={value}")),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(
        app.get(
            &mine(&format!("customers/password-token={value}")),
            app.admin()
        )
        .status,
        200
    );
    post(
        app,
        &theirs("customers/password/reset"),
        json!({"tokenValue": value, "newPassword": "x"}),
    )
    .assert_error(404, "ResourceNotFound");
    post(
        app,
        &theirs("customers/email-token"),
        json!({"id": id, "ttlMinutes": 5}),
    )
    .assert_error(404, "ResourceNotFound");
    post(
        app,
        &theirs("customers/password"),
        json!({"id": id, "version": 1, "currentPassword": "pw", "newPassword": "x"}),
    )
    .assert_error(404, "ResourceNotFound");
    sign_in(app, Some("elsewhere"), &email, "pw").assert_error(400, "InvalidCredentials");
    // In its own store everything works.
    assert_eq!(
        ok(
            app,
            &mine("customers/password/reset"),
            json!({"tokenValue": value, "newPassword": "x"})
        )["version"],
        2
    );
    let e = ok(
        app,
        &mine("customers/email-token"),
        json!({"id": id, "ttlMinutes": 5}),
    )["value"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        app,
        &theirs("customers/email/confirm"),
        json!({"tokenValue": e}),
    )
    .assert_error(404, "ResourceNotFound");
    assert_eq!(
        ok(
            app,
            &mine("customers/email/confirm"),
            json!({"tokenValue": e})
        )["isEmailVerified"],
        true
    );
    assert_eq!(
        ok(
            app,
            &mine("customers/password"),
            json!({"id": id, "version": 3, "currentPassword": "x", "newPassword": "y"})
        )["version"],
        4
    );
    assert_eq!(sign_in(app, Some(&store), &email, "y").status, 200);
}

fn concurrent_resets_with_one_token_have_one_winner(app: &App) {
    for round in 0..3 {
        let (_, email) = customer_with_password(app, "pw", json!({}));
        let value = password_token(app, &email, json!({}))["value"]
            .as_str()
            .unwrap()
            .to_string();
        let barrier = Barrier::new(5);
        let replies: Vec<(String, Reply)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..5)
                .map(|i| {
                    let (barrier, value) = (&barrier, &value);
                    s.spawn(move || {
                        let password = format!("racer-{i}");
                        barrier.wait();
                        let reply = post(
                            app,
                            "/demo/customers/password/reset",
                            json!({"tokenValue": value, "newPassword": password}),
                        );
                        (password, reply)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<&String> = replies
            .iter()
            .filter(|(_, r)| r.status == 200)
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: {:?}",
            replies.iter().map(|(_, r)| r.status).collect::<Vec<_>>()
        );
        for (_, reply) in &replies {
            if reply.status != 200 {
                reply.assert_error(404, "ResourceNotFound");
            }
        }
        assert_eq!(
            sign_in(app, None, &email, winners[0]).status,
            200,
            "the winner's password holds"
        );
    }
}

fn webcrypto_and_rust_hashes_agree(app: &App) {
    // The Worker hashes with WebCrypto; the Rust code of the domain core must accept it, and
    // derive the very same bytes from the same salt and iterations.
    let (c, email) = customer_with_password(app, "correct horse 🐎", json!({}));
    let rows = app.d1_query(&format!(
        "SELECT password_hash FROM customers WHERE id = '{}'",
        id_of(&c)
    ));
    let stored = rows[0]["password_hash"].as_str().unwrap();
    assert!(password::verify("correct horse 🐎", stored), "{stored}");
    assert!(!password::verify("correct horse", stored));
    let parsed = password::parse(stored).unwrap();
    assert_eq!(parsed.iterations, 100_000);
    assert_eq!(
        password::format(
            &parsed.salt,
            parsed.iterations,
            &password::derive("correct horse 🐎", &parsed.salt, parsed.iterations)
        ),
        stored
    );
    // And a hash made by the Rust code signs in through the Worker: see the rehash test.
    assert_eq!(sign_in(app, None, &email, "correct horse 🐎").status, 200);
}

fn sign_in_rehashes_a_weaker_hash(app: &App) {
    let (c, email) = customer_with_password(app, "pw", json!({}));
    let id = id_of(&c);
    // Give it a hash made with fewer iterations, by the Rust code (no request is in flight).
    let weak = password::hash("pw", &[3; password::SALT_LEN], 1_000);
    app.d1_query(&format!(
        "UPDATE customers SET password_hash = '{weak}' WHERE id = '{id}'"
    ));
    let reply = sign_in(app, None, &email, "pw");
    assert_eq!(reply.status, 200, "{}", reply.text);
    let rows = app.d1_query(&format!(
        "SELECT password_hash, version FROM customers WHERE id = '{id}'"
    ));
    let stronger = rows[0]["password_hash"].as_str().unwrap();
    assert!(
        stronger.starts_with("$pbkdf2-sha256$i=100000$"),
        "{stronger}"
    );
    assert!(password::verify("pw", stronger));
    assert_eq!(
        rows[0]["version"], 1,
        "a re-hash is not a change of the customer"
    );
    assert!(stronger.ends_with(&reply.json["customer"]["password"].as_str().unwrap()[4..]));
    assert_eq!(sign_in(app, None, &email, "pw").status, 200);
}

fn credential_messages_are_stored(app: &App) {
    let (c, email) = customer_with_password(app, "pw", json!({}));
    let id = id_of(&c);
    let short = password_token(app, &email, json!({"ttlMinutes": 60}));
    let long = password_token(app, &email, json!({"ttlMinutes": 61}));
    let e = ok(
        app,
        "/demo/customers/email-token",
        json!({"id": id, "ttlMinutes": 30}),
    );
    ok(
        app,
        "/demo/customers/email/confirm",
        json!({"tokenValue": e["value"]}),
    );
    ok(
        app,
        "/demo/customers/password/reset",
        json!({"tokenValue": short["value"], "newPassword": "pw2"}),
    );
    ok(
        app,
        "/demo/customers/password",
        json!({"id": id, "version": 3, "currentPassword": "pw2", "newPassword": "pw3"}),
    );
    let customer_messages = app.messages_of(&id);
    assert_eq!(
        StoredMessage::summary(&customer_messages),
        vec![
            ("CustomerCreated", 1, 1),
            ("CustomerEmailVerified", 2, 2),
            ("CustomerPasswordUpdated", 3, 3),
            ("CustomerPasswordUpdated", 4, 4),
        ]
    );
    assert_eq!(customer_messages[2].doc["reset"], true);
    assert_eq!(customer_messages[3].doc["reset"], false);
    let token_message = |token: &Value| -> Value {
        app.messages_of(token["id"].as_str().unwrap())[0]
            .doc
            .clone()
    };
    let m = token_message(&short);
    assert_eq!(m["type"], "CustomerPasswordTokenCreated");
    assert_eq!(
        m["resource"],
        json!({"typeId": "customer-password-token", "id": short["id"]})
    );
    assert_eq!(m["customerId"], id.as_str());
    assert_eq!(
        m["value"], short["value"],
        "a token of 60 minutes shows its value"
    );
    assert_eq!(m["expiresAt"], short["expiresAt"]);
    assert!(
        token_message(&long).get("value").is_none(),
        "longer tokens do not"
    );
    let m = token_message(&e);
    assert_eq!(m["type"], "CustomerEmailTokenCreated");
    assert_eq!(m["value"], e["value"]);
}
