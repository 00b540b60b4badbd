//! The Emporix storefront dialect (`/customerlogin/…`, `/customer/{tenant}/…`), written from
//! the Emporix fact sheet: the whole storefront journey, every endpoint's documented errors
//! and bad input (always an Emporix shape, never a 500), the same customers seen through the
//! commercetools API and the reverse, the scopes, and concurrent `PATCH /me`.

use serde_json::{json, Value};

use crate::support::{encode, form, id_of, unique, unique_email, App, Reply};

tests!(emporix;
    the_storefront_journey,
    the_session_id_survives_refresh_and_login,
    tenants_paths_and_methods,
    bad_tokens_get_the_gateway_fault,
    missing_scopes_are_403,
    bad_input_gets_emporix_errors,
    signup_errors_and_messages,
    a_commercetools_customer_logs_in_through_emporix,
    an_emporix_customer_is_a_commercetools_customer,
    concurrent_patches_with_one_version_have_one_winner,
    addresses_tags_and_defaults,
    address_errors,
    delete_me_takes_two_steps,
    double_opt_in,
    password_reset_answers_the_same_for_unknown_emails,
    the_saas_token_is_verified,
    logout_revokes_only_the_customers_own_token_and_its_refresh_token,
    sign_ins_are_throttled,
);

const CLIENT: &str = "demo-storefront";
const CLOCK: &str = "X-Test-Clock-Offset-Ms";

/// A request with an optional bearer token and JSON body.
fn call(app: &App, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth.as_str()));
    }
    let bytes = body.map(|b| b.to_string().into_bytes());
    app.send(method, path, &headers, bytes.as_deref())
}

fn get(app: &App, path: &str, token: &str) -> Reply {
    call(app, "GET", path, Some(token), None)
}

fn post(app: &App, path: &str, token: &str, body: &Value) -> Reply {
    call(app, "POST", path, Some(token), Some(body))
}

fn patch(app: &App, path: &str, token: &str, body: &Value) -> Reply {
    call(app, "PATCH", path, Some(token), Some(body))
}

fn delete(app: &App, path: &str, token: &str) -> Reply {
    call(app, "DELETE", path, Some(token), None)
}

/// Asserts Emporix's service error `{status, type, message}` with this status and type.
#[track_caller]
fn assert_error(reply: &Reply, status: u16, kind: &str) {
    assert_eq!(reply.status, status, "status; body: {}", reply.text);
    assert_eq!(reply.json["status"], status, "body: {}", reply.text);
    assert_eq!(reply.json["type"], kind, "body: {}", reply.text);
    assert!(reply.json["message"].is_string(), "body: {}", reply.text);
}

/// Asserts the gateway's 401 `{fault: {faultstring, detail: {errorcode}}}`.
#[track_caller]
fn assert_fault(reply: &Reply, errorcode: &str) {
    assert_eq!(reply.status, 401, "body: {}", reply.text);
    assert!(
        reply.json["fault"]["faultstring"].is_string(),
        "{}",
        reply.text
    );
    assert_eq!(
        reply.json["fault"]["detail"]["errorcode"], errorcode,
        "{}",
        reply.text
    );
}

/// An anonymous session of the storefront client: the whole token answer.
fn anonymous_session(app: &App, tenant: &str) -> Value {
    let path = format!("/customerlogin/auth/anonymous/login?tenant={tenant}&client_id={CLIENT}");
    let reply = app.send("GET", &path, &[], None);
    assert_eq!(reply.status, 200, "anonymous login: {}", reply.text);
    reply.json
}

fn anonymous(app: &App) -> String {
    anonymous_session(app, "demo")["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Signs up through Emporix: the customer number.
fn sign_up(app: &App, tenant: &str, anon: &str, email: &str, password: &str) -> String {
    let body = json!({"email": email, "password": password,
                      "customerDetails": {"firstName": "John", "lastName": "Doe"}});
    let reply = post(app, &format!("/customer/{tenant}/signup"), anon, &body);
    assert_eq!(reply.status, 201, "signup: {}", reply.text);
    reply.json["id"]
        .as_str()
        .expect("the customer number")
        .to_string()
}

fn login_reply(app: &App, tenant: &str, anon: &str, email: &str, password: &str) -> Reply {
    let body = json!({"email": email, "password": password});
    post(app, &format!("/customer/{tenant}/login"), anon, &body)
}

/// Logs in through Emporix: the CustomerToken answer.
fn login(app: &App, anon: &str, email: &str, password: &str) -> Value {
    let reply = login_reply(app, "demo", anon, email, password);
    assert_eq!(reply.status, 200, "login: {}", reply.text);
    reply.json
}

fn token_of(body: &Value) -> String {
    body["access_token"].as_str().unwrap().to_string()
}

/// A new shopper signed up and logged in: (number, email, customer token).
fn shopper(app: &App) -> (String, String, String) {
    let email = unique_email("emporix");
    let anon = anonymous(app);
    let number = sign_up(app, "demo", &anon, &email, "secret-1");
    let token = token_of(&login(app, &anon, &email, "secret-1"));
    (number, email, token)
}

/// The commercetools customer with this customer number (the back office's view).
fn by_number(app: &App, number: &str) -> Value {
    let predicate = encode(&format!("customerNumber = \"{number}\""));
    let reply = app.get(&format!("/demo/customers?where={predicate}"), app.admin());
    assert_eq!(reply.json["count"], 1, "{}", reply.text);
    reply.json["results"][0].clone()
}

/// The value of the newest `{kind}TokenCreated` message about the customer's tokens (the
/// mailer's view: tokens of an hour carry their value).
fn token_from_messages(app: &App, kind: &str, customer_id: &str) -> String {
    let predicate = encode(&format!("type = \"{kind}\""));
    let path = format!("/demo/messages?where={predicate}&sort=createdAt+desc&limit=500");
    let reply = app.get(&path, app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["customerId"] == customer_id)
        .unwrap_or_else(|| panic!("no {kind} for {customer_id}"));
    found["value"]
        .as_str()
        .expect("the token value")
        .to_string()
}

/// The message types of a customer, in order.
fn message_types(app: &App, customer_id: &str) -> Vec<String> {
    let predicate = encode(&format!("resource(id = \"{customer_id}\")"));
    let path = format!("/demo/messages?where={predicate}&sort=sequenceNumber+asc&limit=500");
    let reply = app.get(&path, app.admin());
    reply.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap().to_string())
        .collect()
}

fn the_storefront_journey(app: &App) {
    // Anonymous login → signup → login.
    let session = anonymous_session(app, "demo");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 3599);
    assert_eq!(session["scope"], "tenant=demo");
    let anon = token_of(&session);
    let email = unique_email("journey");
    let number = sign_up(app, "demo", &anon, &email, "secret-1");
    let token_body = login(app, &anon, &email, "secret-1");
    assert_eq!(token_body["session_id"], session["sessionId"]);
    assert_eq!(token_body["accessToken"], token_body["access_token"]);
    assert_eq!(token_body["expires_in"], 2_591_999);
    assert!(
        token_body["saas_token"]
            .as_str()
            .unwrap()
            .split('.')
            .count()
            == 3
    );
    let token = token_of(&token_body);
    // GET /me → PATCH /me.
    let me = get(app, "/customer/demo/me", &token);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["id"], number.as_str());
    assert_eq!(me.json["customerNumber"], number.as_str());
    assert_eq!(me.json["accounts"], json!([{"id": email}]));
    assert_eq!(me.json["firstName"], "John");
    let version = me.json["metadata"]["version"].as_u64().unwrap();
    let patched = patch(
        app,
        "/customer/demo/me",
        &token,
        &json!({"firstName": "Jon", "company": "Emporix", "preferredLanguage": "de_DE",
                "metadata": {"version": version}}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.json["firstName"], "Jon");
    assert_eq!(patched.json["preferredLanguage"], "de_DE");
    // Two addresses; tag one SHIPPING and make it the default.
    let home = json!({"contactName": "Jon Doe", "street": "Platz der Republik", "streetNumber": "1",
                      "zipCode": "11011", "city": "Berlin", "country": "DE", "tags": ["BILLING"]});
    let first = post(app, "/customer/demo/me/addresses", &token, &home);
    assert_eq!(first.status, 201, "{}", first.text);
    let work = json!({"contactName": "Jon Doe", "city": "Paris", "country": "FR"});
    let second = post(app, "/customer/demo/me/addresses", &token, &work);
    assert_eq!(second.status, 201, "{}", second.text);
    let work_id = second.json["id"].as_str().unwrap();
    let tagged = post(
        app,
        &format!("/customer/demo/me/addresses/{work_id}/tags?tags=SHIPPING"),
        &token,
        &json!({}),
    );
    assert_eq!(tagged.status, 204, "{}", tagged.text);
    let defaulted = patch(
        app,
        &format!("/customer/demo/me/addresses/{work_id}"),
        &token,
        &json!({"isDefault": true}),
    );
    assert_eq!(defaulted.status, 200, "{}", defaulted.text);
    assert_eq!(defaulted.json["isDefault"], true);
    assert_eq!(defaulted.json["tags"], json!(["SHIPPING"]));
    let me = get(app, "/customer/demo/me?expand=addresses", &token);
    assert_eq!(me.json["addresses"].as_array().unwrap().len(), 2);
    assert_eq!(me.json["defaultAddress"]["id"], work_id);
    let ct = by_number(app, &number);
    assert_eq!(ct["defaultShippingAddressId"], work_id);
    // Change the password → logout → the old token is refused.
    let changed = post(
        app,
        "/customer/demo/password/change",
        &token,
        &json!({"currentPassword": "secret-1", "newPassword": "secret-2"}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    let out = get(
        app,
        &format!("/customer/demo/logout?accessToken={token}"),
        &token,
    );
    assert_eq!(out.status, 204, "{}", out.text);
    assert_fault(
        &get(app, "/customer/demo/me", &token),
        "oauth.v2.InvalidAccessToken",
    );
    // Password reset → login with the new password → refresh.
    let reset = post(
        app,
        "/customer/demo/password/reset",
        &anon,
        &json!({"email": email}),
    );
    assert_eq!(reset.status, 204, "{}", reset.text);
    let customer_id = id_of(&ct).to_string();
    let reset_token = token_from_messages(app, "CustomerPasswordTokenCreated", &customer_id);
    let updated = post(
        app,
        "/customer/demo/password/reset/update",
        &anon,
        &json!({"token": reset_token, "password": "secret-3"}),
    );
    assert_eq!(updated.status, 204, "{}", updated.text);
    assert_error(
        &login_reply(app, "demo", &anon, &email, "secret-2"),
        401,
        "unauthorized",
    );
    let again = login(app, &anon, &email, "secret-3");
    let token = token_of(&again);
    let refresh_token = again["refresh_token"].as_str().unwrap();
    let refreshed = get(
        app,
        &format!("/customer/demo/refreshauthtoken?refreshToken={refresh_token}"),
        &anon,
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(refreshed.json["refresh_token"], refresh_token);
    assert!(refreshed.json.get("saas_token").is_none());
    let fresh = token_of(&refreshed.json);
    assert_eq!(get(app, "/customer/demo/me", &fresh).status, 200);
    // Email change and confirmation.
    let new_email = unique_email("changed");
    let asked = post(
        app,
        "/customer/demo/me/accounts/internal/email/change",
        &token,
        &json!({"email": email, "password": "secret-3", "newEmail": new_email}),
    );
    assert_eq!(asked.status, 204, "{}", asked.text);
    let email_token = token_from_messages(app, "CustomerEmailTokenCreated", &customer_id);
    let confirm_path = "/customer/demo/me/accounts/internal/email/change/confirm";
    let confirmed = post(app, confirm_path, &anon, &json!({"token": email_token}));
    assert_eq!(confirmed.status, 204, "{}", confirmed.text);
    assert_eq!(
        get(app, "/customer/demo/me", &fresh).json["contactEmail"],
        new_email
    );
    // The token worked once.
    let twice = post(app, confirm_path, &anon, &json!({"token": email_token}));
    assert_error(&twice, 404, "resource_not_found");
    login(app, &anon, &new_email, "secret-3");
}

fn the_session_id_survives_refresh_and_login(app: &App) {
    let session = anonymous_session(app, "demo");
    let session_id = session["sessionId"].as_str().unwrap();
    let refresh_token = session["refresh_token"].as_str().unwrap();
    let path = format!(
        "/customerlogin/auth/anonymous/refresh?tenant=demo&client_id={CLIENT}&refresh_token={refresh_token}"
    );
    let refreshed = app.send("GET", &path, &[], None);
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(refreshed.json["sessionId"], session_id);
    assert_ne!(refreshed.json["access_token"], session["access_token"]);
    let anon = token_of(&refreshed.json);
    let email = unique_email("session");
    sign_up(app, "demo", &anon, &email, "secret-1");
    let logged_in = login(app, &anon, &email, "secret-1");
    assert_eq!(logged_in["session_id"], session_id);
    let token = token_of(&logged_in);
    let valid = get(app, "/customer/demo/validateauthtoken", &token);
    assert_eq!(valid.status, 200, "{}", valid.text);
    assert_eq!(valid.json["sessionId"], session_id);
    assert_eq!(valid.json["email"], email);
    assert!(valid.json["scope"]
        .as_str()
        .unwrap()
        .contains("customer.customer_manage_own"));
    let refresh_token = logged_in["refresh_token"].as_str().unwrap();
    let refreshed = get(
        app,
        &format!("/customer/demo/refreshauthtoken?refreshToken={refresh_token}"),
        &token,
    );
    assert_eq!(
        refreshed.json["session_id"], session_id,
        "{}",
        refreshed.text
    );
    // Errors of the anonymous endpoints.
    for (path, status) in [
        ("/customerlogin/auth/anonymous/login?client_id=demo-storefront", 400),
        ("/customerlogin/auth/anonymous/login?tenant=demo", 400),
        ("/customerlogin/auth/anonymous/login?tenant=demo&client_id=nobody", 400),
        ("/customerlogin/auth/anonymous/login?tenant=demo&client_id=demo-viewer", 400),
        ("/customerlogin/auth/anonymous/login?tenant=BAD&client_id=demo-storefront", 400),
        ("/customerlogin/auth/anonymous/refresh?tenant=demo&client_id=demo-storefront", 400),
        (
            "/customerlogin/auth/anonymous/refresh?tenant=demo&client_id=demo-storefront&refresh_token=nope",
            400,
        ),
        ("/customerlogin/auth/nothing", 404),
    ] {
        assert_error(&app.send("GET", path, &[], None), status, if status == 400 { "bad_request" } else { "resource_not_found" });
    }
    // A customer's refresh token is not an anonymous one.
    let path = format!(
        "/customerlogin/auth/anonymous/refresh?tenant=demo&client_id={CLIENT}&refresh_token={refresh_token}"
    );
    assert_error(&app.send("GET", &path, &[], None), 400, "bad_request");
    let bad = get(
        app,
        "/customer/demo/refreshauthtoken?refreshToken=nope",
        &anon,
    );
    assert_error(&bad, 400, "bad_request");
    let missing = get(app, "/customer/demo/refreshauthtoken", &anon);
    assert_error(&missing, 400, "bad_request");
}

fn tenants_paths_and_methods(app: &App) {
    let anon = anonymous(app);
    for tenant in ["BAD", "ab", "x-y-z", "unknowntenant", "abcdefghijklmnopq"] {
        let reply = get(app, &format!("/customer/{tenant}/me"), &anon);
        assert_error(&reply, 400, "bad_request");
        assert_eq!(
            reply.json["message"],
            "The tenant information provided with the request is not valid."
        );
    }
    assert_error(
        &get(app, "/customer/demo/nothing", &anon),
        404,
        "resource_not_found",
    );
    assert_error(
        &get(app, "/customer/demo/me/addresses/a/b/c", &anon),
        404,
        "resource_not_found",
    );
    assert_error(
        &call(app, "PUT", "/customer/demo/me", Some(&anon), None),
        405,
        "method_not_allowed",
    );
    assert_error(
        &get(app, "/customer/demo/signup", &anon),
        405,
        "method_not_allowed",
    );
    // The anonymous placeholder.
    let me = get(app, "/customer/demo/me", &anon);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["customerNumber"], "00000000");
    assert_eq!(me.json["firstName"], "Anonymous");
    // A CORS preflight allows PATCH.
    let preflight = app.send(
        "OPTIONS",
        "/customer/demo/me",
        &[
            ("Origin", "http://shop.local"),
            ("Access-Control-Request-Method", "PATCH"),
        ],
        None,
    );
    assert_eq!(preflight.status, 204);
    let allowed = preflight
        .header("Access-Control-Allow-Methods")
        .unwrap_or_default();
    assert!(allowed.contains("PATCH"), "{allowed}");
}

fn bad_tokens_get_the_gateway_fault(app: &App) {
    let (_, _, token) = shopper(app);
    let invalid = "oauth.v2.InvalidAccessToken";
    assert_fault(&call(app, "GET", "/customer/demo/me", None, None), invalid);
    assert_fault(&get(app, "/customer/demo/me", "not-a-token"), invalid);
    assert_fault(
        &post(app, "/customer/demo/signup", "nope", &json!({})),
        invalid,
    );
    // A back-office token is no storefront token; a token of another project is not this
    // tenant's.
    assert_fault(&get(app, "/customer/demo/me", app.admin()), invalid);
    let other = app.token(crate::support::OTHER_ADMIN, None);
    assert_fault(&get(app, "/customer/demo/me", &other), invalid);
    // Expired (the test clock moves 31 days on).
    let later = (31u64 * 86_400_000).to_string();
    let expired = app.send(
        "GET",
        "/customer/demo/me",
        &[
            ("Authorization", &format!("Bearer {token}")),
            (CLOCK, &later),
        ],
        None,
    );
    assert_fault(&expired, "keymanagement.service.access_token_expired");
    // An anonymous token on a customer endpoint.
    let anon = anonymous(app);
    assert_error(
        &patch(app, "/customer/demo/me", &anon, &json!({})),
        403,
        "Forbidden",
    );
    assert_error(
        &get(app, "/customer/demo/me/addresses", &anon),
        403,
        "Forbidden",
    );
    assert_fault(
        &get(app, "/customer/demo/validateauthtoken", &anon),
        invalid,
    );
}

fn missing_scopes_are_403(app: &App) {
    // A storefront client that may only read profiles.
    let client = json!({"name": unique("reader"),
                        "scope": "view_my_profile:demo create_anonymous_token:demo"});
    let created = app.post("/demo/api-clients", app.admin(), &client);
    assert_eq!(created.status, 201, "{}", created.text);
    let client_id = created.json["id"].as_str().unwrap();
    let path = format!("/customerlogin/auth/anonymous/login?tenant=demo&client_id={client_id}");
    let session = app.send("GET", &path, &[], None);
    assert_eq!(session.status, 200, "{}", session.text);
    let anon = token_of(&session.json);
    let email = unique_email("reader");
    // A shopper who signed up elsewhere logs in with the reading client.
    sign_up(app, "demo", &anonymous(app), &email, "secret-1");
    let token = token_of(&login(app, &anon, &email, "secret-1"));
    assert_eq!(get(app, "/customer/demo/me", &token).status, 200);
    assert_eq!(get(app, "/customer/demo/me/addresses", &token).status, 200);
    for reply in [
        patch(app, "/customer/demo/me", &token, &json!({"firstName": "X"})),
        post(
            app,
            "/customer/demo/me/addresses",
            &token,
            &json!({"country": "DE"}),
        ),
        post(
            app,
            "/customer/demo/password/change",
            &token,
            &json!({"currentPassword": "secret-1", "newPassword": "x"}),
        ),
        post(
            app,
            "/customer/demo/me/accounts/internal/email/change",
            &token,
            &json!({"email": email, "password": "secret-1", "newEmail": "n@example.com"}),
        ),
    ] {
        assert_error(&reply, 403, "Forbidden");
        assert!(reply.json["details"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("missing scope: customer."));
    }
    let valid = get(app, "/customer/demo/validateauthtoken", &token);
    assert_eq!(
        valid.json["scope"],
        "tenant=demo customer.customer_read_own customer.customerprofile_view"
    );
}

/// Bodies no endpoint takes, and one with wrong types for the endpoint's own fields.
fn hostile_bodies(wrong_types: &str) -> Vec<Vec<u8>> {
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let deep_object = format!("{}{}", "{\"a\":".repeat(3_000), "}".repeat(3_000));
    vec![
        b"{".to_vec(),
        b"not json".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        wrong_types.as_bytes().to_vec(),
        deep.into_bytes(),
        deep_object.into_bytes(),
        format!("{{\"email\": \"{}\"}}", "x".repeat(600_000)).into_bytes(),
        vec![0xff, 0xfe, 0x00],
    ]
}

fn bad_input_gets_emporix_errors(app: &App) {
    let (_, _, token) = shopper(app);
    let anon = anonymous(app);
    let address = post(
        app,
        "/customer/demo/me/addresses",
        &token,
        &json!({"country": "DE"}),
    );
    let address_id = address.json["id"].as_str().unwrap().to_string();
    let endpoints: Vec<(&str, String, &str, &str)> = vec![
        (
            "POST",
            "/customer/demo/signup".into(),
            &anon,
            r#"{"email": 1, "password": []}"#,
        ),
        (
            "POST",
            "/customer/demo/login".into(),
            &anon,
            r#"{"email": "a@b.c", "password": 1}"#,
        ),
        (
            "PATCH",
            "/customer/demo/me".into(),
            &token,
            r#"{"firstName": 1}"#,
        ),
        (
            "POST",
            "/customer/demo/me/addresses".into(),
            &token,
            r#"{"country": 1}"#,
        ),
        (
            "PATCH",
            format!("/customer/demo/me/addresses/{address_id}"),
            &token,
            r#"{"city": [], "isDefault": "yes"}"#,
        ),
        (
            "POST",
            "/customer/demo/password/change".into(),
            &token,
            r#"{"currentPassword": null, "newPassword": 2}"#,
        ),
        (
            "POST",
            "/customer/demo/password/reset".into(),
            &anon,
            r#"{"site": "main"}"#,
        ),
        (
            "POST",
            "/customer/demo/password/reset/update".into(),
            &anon,
            r#"{"token": {"a": 1}, "password": 2}"#,
        ),
        (
            "POST",
            "/customer/demo/me/accounts/internal/email/change".into(),
            &token,
            r#"{"email": "a@b.c", "password": "x"}"#,
        ),
        (
            "POST",
            "/customer/demo/me/accounts/internal/email/change/confirm".into(),
            &anon,
            r#"{"token": 5}"#,
        ),
    ];
    for (method, path, bearer, wrong_types) in &endpoints {
        for body in hostile_bodies(wrong_types) {
            let auth = format!("Bearer {bearer}");
            let reply = app.send(
                method,
                path,
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                Some(&body),
            );
            let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).to_string();
            assert!(
                matches!(reply.status, 400 | 413),
                "{method} {path} {shown}: {} {}",
                reply.status,
                reply.text
            );
            assert_eq!(
                reply.json["status"], reply.status,
                "{method} {path}: {}",
                reply.text
            );
            assert!(
                reply.json["type"].is_string(),
                "{method} {path}: {}",
                reply.text
            );
        }
    }
    // Missing fields name the field.
    let reply = post(
        app,
        "/customer/demo/signup",
        &anon,
        &json!({"email": "a@example.com"}),
    );
    assert_error(&reply, 400, "bad_request");
    assert_eq!(
        reply.json["details"][0]["field"], "password",
        "{}",
        reply.text
    );
    let reply = post(
        app,
        "/customer/demo/me/addresses",
        &token,
        &json!({"city": "Berlin"}),
    );
    assert_error(&reply, 400, "bad_request");
    let reply = patch(
        app,
        "/customer/demo/me",
        &token,
        &json!({"preferredLanguage": "german"}),
    );
    assert_error(&reply, 400, "bad_request");
    let reply = patch(
        app,
        "/customer/demo/me",
        &token,
        &json!({"contactEmail": null}),
    );
    assert_error(&reply, 400, "bad_request");
}

fn signup_errors_and_messages(app: &App) {
    let anon = anonymous(app);
    let email = unique_email("dup");
    let body = json!({"email": email, "password": "secret-1",
        "customerDetails": {"contactEmail": email, "contactPhone": "1", "preferredCurrency": "EUR",
                            "preferredLanguage": "en_US", "b2b": {"companyRegistrationId": "1"}},
        "customerAddress": {"contactName": "John Doe", "street": "Main", "city": "Berlin",
                            "country": "DE", "tags": ["BILLING", "SHIPPING"]}});
    let created = post(app, "/customer/demo/signup", &anon, &body);
    assert_eq!(created.status, 201, "{}", created.text);
    let number = created.json["id"].as_str().unwrap();
    assert!(number.chars().all(|c| c.is_ascii_digit()), "{number}");
    let ct = by_number(app, number);
    assert_eq!(ct["locale"], "en-US");
    assert_eq!(ct["defaultShippingAddressId"], ct["addresses"][0]["id"]);
    assert_eq!(ct["defaultBillingAddressId"], ct["addresses"][0]["id"]);
    assert_eq!(ct["addresses"][0]["firstName"], "John");
    let duplicate = post(app, "/customer/demo/signup", &anon, &body);
    assert_error(&duplicate, 409, "conflict_resource");
    assert_eq!(
        duplicate.json["message"],
        format!("Duplicate account '{email}' for tenant 'demo'.")
    );
    let upper = json!({"email": email.to_uppercase(), "password": "x"});
    assert_error(
        &post(app, "/customer/demo/signup", &anon, &upper),
        409,
        "conflict_resource",
    );
    let other_contact = json!({"email": unique_email("c"), "password": "x",
                               "customerDetails": {"contactEmail": "else@example.com"}});
    assert_error(
        &post(app, "/customer/demo/signup", &anon, &other_contact),
        400,
        "bad_request",
    );
    let gift = json!({"email": unique_email("c"), "password": "x",
                      "customerAddress": {"country": "DE", "tags": ["GIFT"]}});
    assert_error(
        &post(app, "/customer/demo/signup", &anon, &gift),
        400,
        "bad_request",
    );
    // The Emporix writes leave the shared messages.
    let token = token_of(&login(app, &anon, &email, "secret-1"));
    let added = post(
        app,
        "/customer/demo/me/addresses",
        &token,
        &json!({"country": "FR"}),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let types = message_types(app, id_of(&ct));
    assert_eq!(
        types.first().map(String::as_str),
        Some("CustomerCreated"),
        "{types:?}"
    );
    assert!(
        types.iter().any(|t| t == "CustomerAddressAdded"),
        "{types:?}"
    );
}

fn a_commercetools_customer_logs_in_through_emporix(app: &App) {
    let email = unique_email("ct");
    let customer = app.create_customer(&json!({"email": email, "password": "secret-1",
        "firstName": "Ann", "addresses": [{"country": "DE", "city": "Bonn", "firstName": "Ann"}],
        "defaultBillingAddress": 0}));
    assert!(customer.get("customerNumber").is_none());
    let anon = anonymous(app);
    let token = token_of(&login(app, &anon, &email, "secret-1"));
    let me = get(app, "/customer/demo/me?expand=addresses", &token);
    assert_eq!(me.status, 200, "{}", me.text);
    let number = me.json["id"].as_str().unwrap().to_string();
    assert_eq!(me.json["firstName"], "Ann");
    assert_eq!(me.json["addresses"][0]["city"], "Bonn");
    assert_eq!(me.json["addresses"][0]["tags"], json!(["BILLING"]));
    assert_eq!(me.json["addresses"][0]["isDefault"], true);
    // The number is the customer's for good: commercetools shows it too.
    let ct = app.get(
        &format!("/demo/customers/{}", id_of(&customer)),
        app.admin(),
    );
    assert_eq!(ct.json["customerNumber"], number.as_str());
    let me_again = get(app, "/customer/demo/me", &token);
    assert_eq!(me_again.json["id"], number.as_str());
    // An address added through Emporix is seen through commercetools, and the reverse.
    let added = post(
        app,
        "/customer/demo/me/addresses",
        &token,
        &json!({"contactName": "Ann Lee", "city": "Köln", "country": "DE", "tags": ["SHIPPING"]}),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let ct = app
        .get(
            &format!("/demo/customers/{}", id_of(&customer)),
            app.admin(),
        )
        .json;
    let address = ct["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == added.json["id"])
        .expect("the Emporix address");
    assert_eq!(address["city"], "Köln");
    assert_eq!(address["lastName"], "Lee");
    assert!(ct["shippingAddressIds"]
        .as_array()
        .unwrap()
        .contains(&added.json["id"]));
    let version = ct["version"].as_u64().unwrap();
    let updated = app.update(
        &format!("/demo/customers/{}", id_of(&customer)),
        app.admin(),
        version,
        json!([{"action": "addAddress", "address": {"country": "AT", "city": "Wien"}}]),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    let list = get(app, "/customer/demo/me/addresses", &token);
    assert!(
        list.json
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["city"] == "Wien"),
        "{}",
        list.text
    );
}

fn an_emporix_customer_is_a_commercetools_customer(app: &App) {
    let (number, email, token) = shopper(app);
    // An Emporix customer token is a token of the commercetools /me too.
    let own = app.get("/demo/me", &token);
    assert_eq!(own.json["customerNumber"], number.as_str(), "{}", own.text);
    let ct = by_number(app, &number);
    assert_eq!(ct["email"], email.as_str());
    assert_eq!(ct["firstName"], "John");
    // The commercetools password flow and /me work for the same customer.
    let reply = form(
        app,
        ("demo-storefront", "demo-storefront-secret"),
        "/oauth/demo/customers/token",
        &format!(
            "grant_type=password&username={}&password=secret-1",
            encode(&email)
        ),
        &[],
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let me = app.get("/demo/me", reply.json["access_token"].as_str().unwrap());
    assert_eq!(me.json["customerNumber"], number.as_str());
}

fn concurrent_patches_with_one_version_have_one_winner(app: &App) {
    let (_, _, token) = shopper(app);
    let version = get(app, "/customer/demo/me", &token).json["metadata"]["version"]
        .as_u64()
        .unwrap();
    let barrier = std::sync::Barrier::new(6);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (barrier, token) = (&barrier, &token);
                s.spawn(move || {
                    barrier.wait();
                    let body =
                        json!({"firstName": format!("N{i}"), "metadata": {"version": version}});
                    patch(app, "/customer/demo/me", token, &body).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won = statuses.iter().filter(|&&s| s == 200).count();
    let lost = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!((won, lost), (1, 5), "{statuses:?}");
    let me = get(app, "/customer/demo/me", &token);
    assert_eq!(me.json["metadata"]["version"], version + 1);
    let stale = patch(
        app,
        "/customer/demo/me",
        &token,
        &json!({"firstName": "Late", "metadata": {"version": version}}),
    );
    assert_error(&stale, 409, "conflict");
}

fn addresses_tags_and_defaults(app: &App) {
    let (number, _, token) = shopper(app);
    let created = post(
        app,
        "/customer/demo/me/addresses",
        &token,
        &json!({"contactName": "A B", "country": "DE", "tags": ["BILLING", "SHIPPING"]}),
    );
    let id = created.json["id"].as_str().unwrap().to_string();
    let path = format!("/customer/demo/me/addresses/{id}");
    let address = get(app, &path, &token);
    assert_eq!(address.json["tags"], json!(["BILLING", "SHIPPING"]));
    assert_eq!(address.json["isDefault"], false);
    let removed = delete(app, &format!("{path}/tags?tags=BILLING"), &token);
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(get(app, &path, &token).json["tags"], json!(["SHIPPING"]));
    let default = patch(
        app,
        &path,
        &token,
        &json!({"isDefault": true, "city": "Ulm"}),
    );
    assert_eq!(default.json["isDefault"], true, "{}", default.text);
    assert_eq!(default.json["city"], "Ulm");
    let ct = by_number(app, &number);
    assert_eq!(ct["defaultShippingAddressId"], id.as_str());
    assert!(ct["billingAddressIds"].as_array().unwrap().is_empty());
    let undefault = patch(app, &path, &token, &json!({"isDefault": false}));
    assert_eq!(undefault.json["isDefault"], false, "{}", undefault.text);
    assert_eq!(undefault.json["tags"], json!(["SHIPPING"]));
    let deleted = delete(app, &path, &token);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_error(&get(app, &path, &token), 404, "resource_not_found");
    assert!(get(app, "/customer/demo/me/addresses", &token)
        .json
        .as_array()
        .unwrap()
        .is_empty());
}

fn address_errors(app: &App) {
    let (number, _, token) = shopper(app);
    let missing = get(app, "/customer/demo/me/addresses/nope", &token);
    assert_error(&missing, 404, "resource_not_found");
    assert_eq!(
        missing.json["message"],
        format!("Address nope of customer {number} not found.")
    );
    for reply in [
        patch(
            app,
            "/customer/demo/me/addresses/nope",
            &token,
            &json!({"city": "X"}),
        ),
        delete(app, "/customer/demo/me/addresses/nope", &token),
        post(
            app,
            "/customer/demo/me/addresses/nope/tags?tags=BILLING",
            &token,
            &json!({}),
        ),
    ] {
        assert_error(&reply, 404, "resource_not_found");
    }
    let created = post(
        app,
        "/customer/demo/me/addresses",
        &token,
        &json!({"country": "DE"}),
    );
    let id = created.json["id"].as_str().unwrap();
    let tags = format!("/customer/demo/me/addresses/{id}/tags");
    assert_error(&post(app, &tags, &token, &json!({})), 400, "bad_request");
    assert_error(
        &post(app, &format!("{tags}?tags=GIFT"), &token, &json!({})),
        400,
        "bad_request",
    );
    let path = format!("/customer/demo/me/addresses/{id}");
    assert_error(
        &patch(app, &path, &token, &json!({"country": "Germany"})),
        400,
        "bad_request",
    );
    assert_error(
        &patch(app, &path, &token, &json!({"tags": "BILLING"})),
        400,
        "bad_request",
    );
    let stale = patch(
        app,
        &path,
        &token,
        &json!({"city": "X", "metadata": {"version": 1}}),
    );
    assert_error(&stale, 409, "conflict");
}

fn delete_me_takes_two_steps(app: &App) {
    let (number, _, token) = shopper(app);
    let id = id_of(&by_number(app, &number)).to_string();
    let asked = delete(app, "/customer/demo/me", &token);
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_error(
        &delete(app, "/customer/demo/me?token=wrong", &token),
        404,
        "resource_not_found",
    );
    let confirm = token_from_messages(app, "CustomerEmailTokenCreated", &id);
    let deleted = delete(app, &format!("/customer/demo/me?token={confirm}"), &token);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), app.admin())
            .status,
        404
    );
    assert_fault(
        &get(app, "/customer/demo/me", &token),
        "oauth.v2.InvalidAccessToken",
    );
}

fn double_opt_in(app: &App) {
    let session = anonymous_session(app, "demooptin");
    let anon = token_of(&session);
    let email = unique_email("optin");
    let number = sign_up(app, "demooptin", &anon, &email, "secret-1");
    let refused = login_reply(app, "demooptin", &anon, &email, "secret-1");
    assert_error(&refused, 403, "Forbidden");
    let id = id_of(&by_number(app, &number)).to_string();
    let resent = post(
        app,
        "/customer/demooptin/signup/optin/refresh_token",
        &anon,
        &json!({"email": email}),
    );
    assert_eq!(resent.status, 202, "{}", resent.text);
    let token = token_from_messages(app, "CustomerEmailTokenCreated", &id);
    let activated = get(
        app,
        &format!("/customer/demooptin/signup/optin/{token}"),
        &anon,
    );
    assert_eq!(activated.status, 200, "{}", activated.text);
    assert_eq!(activated.json["session_id"], session["sessionId"]);
    assert_eq!(
        get(app, "/customer/demooptin/me", &token_of(&activated.json)).status,
        200
    );
    assert_eq!(
        login_reply(app, "demooptin", &anon, &email, "secret-1").status,
        200
    );
    let again = get(
        app,
        &format!("/customer/demooptin/signup/optin/{token}"),
        &anon,
    );
    assert_error(&again, 404, "resource_not_found");
    // Tenants without double opt-in do not serve it.
    assert_error(
        &get(app, "/customer/demo/signup/optin/x", &anonymous(app)),
        404,
        "resource_not_found",
    );
}

fn password_reset_answers_the_same_for_unknown_emails(app: &App) {
    let anon = anonymous(app);
    let unknown = post(
        app,
        "/customer/demo/password/reset",
        &anon,
        &json!({"email": unique_email("nobody"), "site": "main"}),
    );
    assert_eq!(unknown.status, 204, "{}", unknown.text);
    assert_eq!(unknown.text, "");
    let bad = post(
        app,
        "/customer/demo/password/reset/update",
        &anon,
        &json!({"token": "nope", "password": "x"}),
    );
    assert_error(&bad, 404, "resource_not_found");
    let (_, email, token) = shopper(app);
    let wrong = post(
        app,
        "/customer/demo/password/change",
        &token,
        &json!({"currentPassword": "wrong", "newPassword": "x"}),
    );
    assert_error(&wrong, 400, "bad_request");
    let empty = post(
        app,
        "/customer/demo/password/change",
        &token,
        &json!({"currentPassword": "secret-1", "newPassword": ""}),
    );
    assert_error(&empty, 400, "bad_request");
    let wrong_email = post(
        app,
        "/customer/demo/me/accounts/internal/email/change",
        &token,
        &json!({"email": email, "password": "wrong", "newEmail": unique_email("n")}),
    );
    assert_error(&wrong_email, 401, "unauthorized");
    let bad_new = post(
        app,
        "/customer/demo/me/accounts/internal/email/change",
        &token,
        &json!({"email": email, "password": "secret-1", "newEmail": "not an email"}),
    );
    assert_error(&bad_new, 400, "bad_request");
}

fn the_saas_token_is_verified(app: &App) {
    let anon = anonymous(app);
    let email = unique_email("saas");
    sign_up(app, "demo", &anon, &email, "secret-1");
    let body = login(app, &anon, &email, "secret-1");
    let token = token_of(&body);
    let saas = body["saas_token"].as_str().unwrap();
    assert_eq!(body["saasToken"], saas);
    let validate = |saas: &str| {
        app.send(
            "GET",
            "/customer/demo/validateauthtoken",
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("saas-token", saas),
            ],
            None,
        )
    };
    assert_eq!(validate(saas).status, 200);
    let mut forged = saas.to_string();
    forged.pop();
    forged.push(if saas.ends_with('A') { 'B' } else { 'A' });
    assert_fault(&validate(&forged), "oauth.v2.InvalidAccessToken");
    assert_fault(&validate("a.b.c"), "oauth.v2.InvalidAccessToken");
    // Another customer's saas token does not pass with this token.
    let other = unique_email("saas2");
    sign_up(app, "demo", &anon, &other, "secret-1");
    let other_saas = login(app, &anon, &other, "secret-1")["saas_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_fault(&validate(&other_saas), "oauth.v2.InvalidAccessToken");
}

fn logout_revokes_only_the_customers_own_token_and_its_refresh_token(app: &App) {
    let (_, _, token) = shopper(app);
    let (_, _, other) = shopper(app);
    let refused = get(
        app,
        &format!("/customer/demo/logout?accessToken={other}"),
        &token,
    );
    assert_error(&refused, 403, "Forbidden");
    assert_eq!(get(app, "/customer/demo/me", &other).status, 200);
    assert_error(
        &get(app, "/customer/demo/logout", &token),
        400,
        "bad_request",
    );
    let unknown = get(app, "/customer/demo/logout?accessToken=unknown", &token);
    assert_eq!(unknown.status, 204);
    assert_eq!(get(app, "/customer/demo/me", &token).status, 200);
    // A logout ends the refresh token the access token came with, also after a refresh.
    let anon = anonymous(app);
    let email = unique_email("logout");
    sign_up(app, "demo", &anon, &email, "secret-1");
    let session = login(app, &anon, &email, "secret-1");
    let refresh_token = session["refresh_token"].as_str().unwrap();
    let refresh_path = format!("/customer/demo/refreshauthtoken?refreshToken={refresh_token}");
    let refreshed = get(app, &refresh_path, &anon);
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let fresh = token_of(&refreshed.json);
    let out = get(
        app,
        &format!("/customer/demo/logout?accessToken={fresh}"),
        &fresh,
    );
    assert_eq!(out.status, 204, "{}", out.text);
    assert_error(&get(app, &refresh_path, &anon), 400, "bad_request");
    // The first access token of that session was not the one logged out.
    assert_eq!(
        get(app, "/customer/demo/me", &token_of(&session)).status,
        200
    );
}

fn sign_ins_are_throttled(app: &App) {
    let anon = anonymous(app);
    let email = unique_email("throttled");
    sign_up(app, "demo", &anon, &email, "secret-1");
    let address = format!("198.51.100.{}", std::process::id() % 250);
    let attempt = |password: &str| {
        let body = json!({"email": email, "password": password}).to_string();
        app.send(
            "POST",
            "/customer/demo/login",
            &[
                ("Authorization", &format!("Bearer {anon}")),
                ("Content-Type", "application/json"),
                ("CF-Connecting-IP", &address),
            ],
            Some(body.as_bytes()),
        )
    };
    let statuses: Vec<u16> = (0..11).map(|_| attempt("wrong").status).collect();
    assert_eq!(statuses[..10], [401; 10], "{statuses:?}");
    let throttled = attempt("secret-1");
    assert_error(&throttled, 429, "too_many_requests");
}
