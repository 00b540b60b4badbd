//! The authorization server: password, anonymous and refresh flows, introspection, revocation,
//! the api-clients resource, lifetimes, brute-force throttling, and a matrix of every route
//! (customers, credentials, api clients, associate roles, business units) against every kind
//! of token.

use serde_json::{json, Value};

use crate::support::{form, unique, unique_email, App, Reply, Server, ADMIN, OTHER_ADMIN, VIEWER};

tests!(oauth;
    password_flow_issues_customer_tokens,
    password_flow_errors,
    anonymous_flow,
    refresh_tokens_renew_access_and_lapse_after_inactivity,
    a_password_reset_voids_the_customer_s_sessions,
    introspection_of_active_and_inactive_tokens,
    revocation,
    api_clients_resource,
    api_client_lifetimes_and_deletion_date,
    sign_ins_are_throttled_per_email_and_recover,
    sign_ins_are_throttled_per_client_address,
    parallel_sign_ins_cannot_outrun_the_throttle,
    store_clients_sign_in_their_store_s_customers_only,
    every_route_checks_every_kind_of_token,
);

const STOREFRONT: (&str, &str) = ("demo-storefront", "demo-storefront-secret");
const CLOCK: &str = "X-Test-Clock-Offset-Ms";
const DAY_MS: i64 = 86_400_000;

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn password_flow(
    app: &App,
    client: (&str, &str),
    path: &str,
    email: &str,
    password: &str,
    extra: &str,
) -> Reply {
    let body = format!(
        "grant_type=password&username={}&password={}{extra}",
        encode(email),
        encode(password)
    );
    form(app, client, path, &body, &[])
}

fn customer(app: &App, password: &str, extra: Value) -> (Value, String) {
    let email = unique_email("oauth");
    let mut draft = json!({"email": email, "password": password});
    for (k, v) in extra.as_object().unwrap() {
        draft[k] = v.clone();
    }
    (app.create_customer(&draft), email)
}

fn introspect(app: &App, caller: (&str, &str), token: &str, headers: &[(&str, &str)]) -> Value {
    let reply = form(
        app,
        caller,
        "/oauth/introspect",
        &format!("token={}", encode(token)),
        headers,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

fn password_flow_issues_customer_tokens(app: &App) {
    let (c, email) = customer(app, "pw", json!({}));
    let id = c["id"].as_str().unwrap();
    let reply = password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &email.to_uppercase(),
        "pw",
        "",
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], 172800);
    assert_eq!(
        reply.json["scope"],
        format!("manage_my_profile:demo create_anonymous_token:demo customer_id:{id}")
    );
    let access = reply.json["access_token"].as_str().unwrap();
    let refresh = reply.json["refresh_token"].as_str().unwrap();
    assert!(access.len() >= 43 && refresh.len() >= 43 && access != refresh);
    // A narrower scope may be asked for; the customer scope is always added.
    let reply = password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &email,
        "pw",
        "&scope=manage_my_profile:demo",
    );
    assert_eq!(
        reply.json["scope"],
        format!("manage_my_profile:demo customer_id:{id}")
    );
    // A store customer signs in through its store's path only.
    let store = unique("shop");
    let (s, store_email) = customer(app, "pw", json!({"stores": [{"key": store}]}));
    let reply = password_flow(
        app,
        STOREFRONT,
        &format!("/oauth/demo/in-store/key={store}/customers/token"),
        &store_email,
        "pw",
        "",
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["scope"]
        .as_str()
        .unwrap()
        .ends_with(&format!("customer_id:{}", s["id"].as_str().unwrap())));
    password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &store_email,
        "pw",
        "",
    )
    .assert_error(400, "invalid_customer_account_credentials");
    password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/in-store/key=other-store/customers/token",
        &store_email,
        "pw",
        "",
    )
    .assert_error(400, "invalid_customer_account_credentials");
    // A customer token of an admin client carries the client's scopes: it reads customers,
    // as its client could.
    let admin_customer = password_flow(
        app,
        ADMIN,
        "/oauth/demo/customers/token",
        &email,
        "pw",
        "&scope=view_customers:demo",
    );
    let token = admin_customer.json["access_token"].as_str().unwrap();
    assert_eq!(app.get(&format!("/demo/customers/{id}"), token).status, 200);
}

fn password_flow_errors(app: &App) {
    let (_, email) = customer(app, "pw", json!({}));
    let path = "/oauth/demo/customers/token";
    for (user, password) in [(email.as_str(), "wrong"), ("nobody@example.com", "pw")] {
        let reply = password_flow(app, STOREFRONT, path, user, password, "");
        reply.assert_error(400, "invalid_customer_account_credentials");
        assert_eq!(reply.json["error"], "invalid_customer_account_credentials");
        assert_eq!(
            reply.json["message"],
            "Customer account with the given credentials not found."
        );
    }
    let external = unique_email("ext");
    app.create_customer(&json!({"email": external, "authenticationMode": "ExternalAuth"}));
    password_flow(app, STOREFRONT, path, &external, "x", "")
        .assert_error(400, "invalid_customer_account_credentials");
    form(
        app,
        STOREFRONT,
        path,
        &format!("grant_type=password&username={}", encode(&email)),
        &[],
    )
    .assert_error(400, "invalid_request");
    form(
        app,
        STOREFRONT,
        path,
        "grant_type=password&password=pw",
        &[],
    )
    .assert_error(400, "invalid_request");
    form(app, STOREFRONT, path, "username=a&password=b", &[]).assert_error(400, "invalid_request");
    form(app, STOREFRONT, path, "grant_type=client_credentials", &[])
        .assert_error(400, "unsupported_grant_type");
    form(
        app,
        ("demo-storefront", "wrong"),
        path,
        "grant_type=password&username=a&password=b",
        &[],
    )
    .assert_error(401, "invalid_client");
    password_flow(app, OTHER_ADMIN, path, &email, "pw", "").assert_error(401, "invalid_client");
    password_flow(
        app,
        STOREFRONT,
        path,
        &email,
        "pw",
        "&scope=manage_customers:demo",
    )
    .assert_error(400, "invalid_scope");
    password_flow(
        app,
        STOREFRONT,
        path,
        &email,
        "pw",
        "&scope=customer_id:someone-else",
    )
    .assert_error(400, "invalid_scope");
    // /oauth/token does not take the password grant: it needs the project in the path.
    form(
        app,
        STOREFRONT,
        "/oauth/token",
        &format!(
            "grant_type=password&username={}&password=pw",
            encode(&email)
        ),
        &[],
    )
    .assert_error(400, "unsupported_grant_type");
}

fn anonymous_flow(app: &App) {
    let reply = form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[],
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let scope = reply.json["scope"].as_str().unwrap();
    let generated = scope
        .split(' ')
        .find_map(|s| s.strip_prefix("anonymous_id:"))
        .expect("an anonymous_id scope");
    assert_eq!(generated.len(), 36, "a generated id is a UUID");
    assert!(reply.json["refresh_token"].is_string());
    let reply = form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials&anonymous_id=my-session-1&scope=manage_my_profile:demo",
        &[],
    );
    assert_eq!(
        reply.json["scope"],
        "manage_my_profile:demo anonymous_id:my-session-1"
    );
    let introspected = introspect(
        app,
        STOREFRONT,
        reply.json["access_token"].as_str().unwrap(),
        &[],
    );
    assert_eq!(introspected["active"], true);
    // Only clients with create_anonymous_token (or manage_project) may open sessions.
    form(
        app,
        VIEWER,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[],
    )
    .assert_error(400, "invalid_scope");
    assert_eq!(
        form(
            app,
            ADMIN,
            "/oauth/demo/anonymous/token",
            "grant_type=client_credentials",
            &[]
        )
        .status,
        200
    );
    form(
        app,
        OTHER_ADMIN,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[],
    )
    .assert_error(401, "invalid_client");
    form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=password",
        &[],
    )
    .assert_error(400, "unsupported_grant_type");
    form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials&anonymous_id=x+manage_project:demo",
        &[],
    )
    .assert_error(400, "invalid_request");
    let long = "x".repeat(300);
    form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        &format!("grant_type=client_credentials&anonymous_id={long}"),
        &[],
    )
    .assert_error(400, "invalid_request");
}

fn refresh_tokens_renew_access_and_lapse_after_inactivity(app: &App) {
    let (c, email) = customer(app, "pw", json!({}));
    let issued = password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &email,
        "pw",
        "",
    );
    let refresh = issued.json["refresh_token"].as_str().unwrap().to_string();
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        encode(&refresh)
    );
    let renewed = form(app, STOREFRONT, "/oauth/token", &body, &[]);
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    assert_ne!(renewed.json["access_token"], issued.json["access_token"]);
    assert_eq!(renewed.json["scope"], issued.json["scope"]);
    assert_eq!(renewed.json["expires_in"], 172800);
    assert!(
        renewed.json.get("refresh_token").is_none(),
        "no new refresh token"
    );
    assert_eq!(
        introspect(
            app,
            STOREFRONT,
            renewed.json["access_token"].as_str().unwrap(),
            &[]
        )["active"],
        true
    );
    // Another client's, unknown or missing refresh tokens.
    form(app, ADMIN, "/oauth/token", &body, &[]).assert_error(400, "invalid_grant");
    form(
        app,
        STOREFRONT,
        "/oauth/token",
        "grant_type=refresh_token&refresh_token=nope",
        &[],
    )
    .assert_error(400, "invalid_grant");
    form(
        app,
        STOREFRONT,
        "/oauth/token",
        "grant_type=refresh_token",
        &[],
    )
    .assert_error(400, "invalid_request");
    // 200 days of inactivity, restarted by every use.
    let at = |days: i64| (days * DAY_MS).to_string();
    assert_eq!(
        form(app, STOREFRONT, "/oauth/token", &body, &[(CLOCK, &at(150))]).status,
        200
    );
    assert_eq!(
        form(app, STOREFRONT, "/oauth/token", &body, &[(CLOCK, &at(300))]).status,
        200,
        "restarted at day 150"
    );
    form(app, STOREFRONT, "/oauth/token", &body, &[(CLOCK, &at(501))])
        .assert_error(400, "invalid_grant");
    // Anonymous sessions refresh too.
    let anonymous = form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials&anonymous_id=refresh-me",
        &[],
    );
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        encode(anonymous.json["refresh_token"].as_str().unwrap())
    );
    assert_eq!(
        form(app, STOREFRONT, "/oauth/token", &body, &[]).json["scope"],
        anonymous.json["scope"]
    );
    let _ = c;
}

fn a_password_reset_voids_the_customer_s_sessions(app: &App) {
    let (c, email) = customer(app, "pw", json!({}));
    let id = c["id"].as_str().unwrap();
    let session = password_flow(
        app,
        ADMIN,
        "/oauth/demo/customers/token",
        &email,
        "pw",
        "&scope=view_customers:demo",
    );
    let access = session.json["access_token"].as_str().unwrap().to_string();
    let refresh = session.json["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), &access).status,
        200
    );
    let token = app.post(
        "/demo/customers/password-token",
        app.admin(),
        &json!({"email": email}),
    );
    let reset = app.post(
        "/demo/customers/password/reset",
        app.admin(),
        &json!({"tokenValue": token.json["value"], "newPassword": "pw2"}),
    );
    assert_eq!(reset.status, 200, "{}", reset.text);
    app.get(&format!("/demo/customers/{id}"), &access)
        .assert_error(401, "invalid_token");
    assert_eq!(introspect(app, ADMIN, &access, &[])["active"], false);
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        encode(&refresh)
    );
    form(app, ADMIN, "/oauth/token", &body, &[]).assert_error(400, "invalid_grant");
    // A new sign-in with the new password starts a new session.
    let fresh = password_flow(
        app,
        ADMIN,
        "/oauth/demo/customers/token",
        &email,
        "pw2",
        "&scope=view_customers:demo",
    );
    assert_eq!(
        app.get(
            &format!("/demo/customers/{id}"),
            fresh.json["access_token"].as_str().unwrap()
        )
        .status,
        200
    );
    // A password change (not a reset) keeps sessions.
    let changed = app.post(
        "/demo/customers/password",
        app.admin(),
        &json!({"id": id, "version": 2, "currentPassword": "pw2", "newPassword": "pw3"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        app.get(
            &format!("/demo/customers/{id}"),
            fresh.json["access_token"].as_str().unwrap()
        )
        .status,
        200
    );
}

fn introspection_of_active_and_inactive_tokens(app: &App) {
    let viewer_token = app.token(VIEWER, None);
    // Its own token.
    let own = introspect(app, VIEWER, &viewer_token, &[]);
    assert_eq!(own["active"], true);
    assert_eq!(own["scope"], "view_customers:demo");
    assert_eq!(own["client_id"], "demo-viewer");
    assert!(own["exp"].as_i64().unwrap() > 1_700_000_000);
    // Another client's token: only with introspect_oauth_tokens (implied by manage_project).
    assert_eq!(introspect(app, ADMIN, &viewer_token, &[])["active"], true);
    let admin_token = app.token(ADMIN, None);
    assert_eq!(
        introspect(app, VIEWER, &admin_token, &[]),
        json!({"active": false})
    );
    // Unknown, expired, revoked.
    assert_eq!(
        introspect(app, VIEWER, "no-such-token", &[]),
        json!({"active": false})
    );
    let later = (172_801_000i64).to_string();
    assert_eq!(
        introspect(app, VIEWER, &viewer_token, &[(CLOCK, &later)]),
        json!({"active": false})
    );
    let revoked = app.token(VIEWER, None);
    assert_eq!(
        form(
            app,
            VIEWER,
            "/oauth/token/revoke",
            &format!("token={revoked}"),
            &[]
        )
        .status,
        200
    );
    assert_eq!(
        introspect(app, VIEWER, &revoked, &[]),
        json!({"active": false})
    );
    // Errors.
    form(app, VIEWER, "/oauth/introspect", "", &[]).assert_error(400, "invalid_request");
    form(
        app,
        ("demo-viewer", "wrong"),
        "/oauth/introspect",
        "token=x",
        &[],
    )
    .assert_error(401, "invalid_client");
}

fn revocation(app: &App) {
    let token = app.token(ADMIN, None);
    assert_eq!(app.get("/demo/customers?limit=1", &token).status, 200);
    let reply = form(
        app,
        ADMIN,
        "/oauth/token/revoke",
        &format!("token={token}&token_type_hint=access_token"),
        &[],
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.get("/demo/customers?limit=1", &token)
        .assert_error(401, "invalid_token");
    // Refresh tokens.
    let (_, email) = customer(app, "pw", json!({}));
    let session = password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &email,
        "pw",
        "",
    );
    let refresh = session.json["refresh_token"].as_str().unwrap();
    assert_eq!(
        form(
            app,
            STOREFRONT,
            "/oauth/token/revoke",
            &format!("token={refresh}&token_type_hint=refresh_token"),
            &[]
        )
        .status,
        200
    );
    form(
        app,
        STOREFRONT,
        "/oauth/token",
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        &[],
    )
    .assert_error(400, "invalid_grant");
    // Another client's token is not touched; unknown tokens are fine.
    let viewer_token = app.token(VIEWER, None);
    assert_eq!(
        form(
            app,
            ADMIN,
            "/oauth/token/revoke",
            &format!("token={viewer_token}"),
            &[]
        )
        .status,
        200
    );
    assert_eq!(
        app.get("/demo/customers?limit=1", &viewer_token).status,
        200
    );
    assert_eq!(
        form(app, ADMIN, "/oauth/token/revoke", "token=never-issued", &[]).status,
        200
    );
    // Errors.
    form(app, ADMIN, "/oauth/token/revoke", "", &[]).assert_error(400, "invalid_request");
    form(
        app,
        ADMIN,
        "/oauth/token/revoke",
        "token=x&token_type_hint=id_token",
        &[],
    )
    .assert_error(400, "invalid_request");
    form(
        app,
        ("demo-admin", "wrong"),
        "/oauth/token/revoke",
        "token=x",
        &[],
    )
    .assert_error(401, "invalid_client");
}

fn api_clients_resource(app: &App) {
    let name = unique("client");
    let created = app.post(
        "/demo/api-clients",
        app.admin(),
        &json!({"name": name, "scope": "view_customers:demo manage_customers:demo"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    let secret = created.json["secret"].as_str().unwrap().to_string();
    assert_eq!(
        created.json["scope"],
        "view_customers:demo manage_customers:demo"
    );
    assert!(created.json["createdAt"].is_string());
    // The new client works, with its own scopes.
    let reply = app.request_token((&id, &secret), "grant_type=client_credentials");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["scope"],
        "view_customers:demo manage_customers:demo"
    );
    app.request_token(
        (&id, &secret),
        "grant_type=client_credentials&scope=manage_project:demo",
    )
    .assert_error(400, "invalid_scope");
    // Listed and readable, without the secret.
    let fetched = app.get(&format!("/demo/api-clients/{id}"), app.admin());
    assert_eq!(fetched.status, 200);
    assert!(fetched.json.get("secret").is_none());
    assert_eq!(fetched.json["name"], name.as_str());
    let list = app.get("/demo/api-clients?limit=500", app.admin());
    assert!(list.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id.as_str()));
    assert!(!list.text.contains(&secret));
    assert_eq!(
        app.head(&format!("/demo/api-clients/{id}"), app.admin())
            .status,
        200
    );
    // Other projects do not see it; bad drafts; scopes.
    let other = app.token(OTHER_ADMIN, None);
    app.get(&format!("/other/api-clients/{id}"), &other)
        .assert_error(403, "insufficient_scope");
    for draft in [
        json!({"name": "x", "scope": "manage_customers:other"}),
        json!({"name": "", "scope": "view_customers:demo"}),
        json!({"name": "x", "scope": ""}),
        json!({"name": "x", "scope": "view_customers:demo", "accessTokenValiditySeconds": 10}),
        json!({"name": "x", "scope": "view_customers:demo", "deleteDaysAfterCreation": 0}),
    ] {
        let reply = app.post("/demo/api-clients", app.admin(), &draft);
        assert_eq!(reply.status, 400, "{draft}: {}", reply.text);
    }
    app.post(
        "/demo/api-clients",
        app.admin(),
        &json!({"scope": "view_customers:demo"}),
    )
    .assert_error(400, "InvalidJsonInput");
    let manage_project_only = app.token(ADMIN, Some("manage_project:demo"));
    app.get("/demo/api-clients", &manage_project_only)
        .assert_error(403, "insufficient_scope");
    app.post("/demo/api-clients", &app.token(VIEWER, None), &json!({}))
        .assert_error(403, "insufficient_scope");
    app.get("/demo/api-clients?where=name%3D%22x%22", app.admin())
        .assert_error(400, "InvalidInput");
    // Deleted: gone, its credentials no longer work, nor do the tokens it got.
    let issued = app.token((&id, &secret), None);
    assert_eq!(app.get("/demo/customers?limit=1", &issued).status, 200);
    let deleted = app.delete(&format!("/demo/api-clients/{id}"), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["id"], id.as_str());
    app.get(&format!("/demo/api-clients/{id}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    app.delete(&format!("/demo/api-clients/{id}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    app.request_token((&id, &secret), "grant_type=client_credentials")
        .assert_error(401, "invalid_client");
    // The bootstrap clients of the configuration are not in the resource.
    app.get("/demo/api-clients/demo-admin", app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn api_client_lifetimes_and_deletion_date(app: &App) {
    let created = app.post(
        "/demo/api-clients",
        app.admin(),
        &json!({"name": unique("short"), "scope": "manage_my_profile:demo create_anonymous_token:demo",
                "accessTokenValiditySeconds": 3600, "refreshTokenValiditySeconds": 600, "deleteDaysAfterCreation": 1}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.json["deleteAt"].is_string());
    assert_eq!(created.json["accessTokenValiditySeconds"], 3600);
    let client = (
        created.json["id"].as_str().unwrap().to_string(),
        created.json["secret"].as_str().unwrap().to_string(),
    );
    let client = (client.0.as_str(), client.1.as_str());
    let session = form(
        app,
        client,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[],
    );
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(session.json["expires_in"], 3600);
    let access = session.json["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(app, client, access, &[(CLOCK, "3599000")])["active"],
        true
    );
    assert_eq!(
        introspect(app, client, access, &[(CLOCK, "3600000")])["active"],
        false
    );
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        encode(session.json["refresh_token"].as_str().unwrap())
    );
    assert_eq!(
        form(app, client, "/oauth/token", &body, &[(CLOCK, "599000")]).status,
        200
    );
    form(app, client, "/oauth/token", &body, &[(CLOCK, "1200000")])
        .assert_error(400, "invalid_grant");
    // After its deletion date the client cannot authenticate.
    let a_day = DAY_MS.to_string();
    form(
        app,
        client,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[(CLOCK, &a_day)],
    )
    .assert_error(401, "invalid_client");
}

fn sign_in_once(
    app: &App,
    email: &str,
    password: &str,
    address: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let auth = format!("Bearer {}", app.admin());
    let mut all = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("CF-Connecting-IP", address),
    ];
    all.extend_from_slice(headers);
    let body = json!({"email": email, "password": password}).to_string();
    app.send("POST", "/demo/login", &all, Some(body.as_bytes()))
}

fn sign_ins_are_throttled_per_email_and_recover(app: &App) {
    let (_, email) = customer(app, "right", json!({}));
    let address = "192.0.2.10";
    // A success clears the count: four failures, a success, then nine more are still allowed.
    for _ in 0..4 {
        sign_in_once(app, &email, "wrong", address, &[]).assert_error(400, "InvalidCredentials");
    }
    assert_eq!(sign_in_once(app, &email, "right", address, &[]).status, 200);
    for _ in 0..5 {
        sign_in_once(app, &email, "wrong", address, &[]).assert_error(400, "InvalidCredentials");
    }
    // The password flow counts against the same email.
    for _ in 0..5 {
        let reply = password_flow(
            app,
            STOREFRONT,
            "/oauth/demo/customers/token",
            &email,
            "wrong",
            "",
        );
        reply.assert_error(400, "invalid_customer_account_credentials");
    }
    // Ten failures in the window: refused, even with the right password, with Retry-After.
    let refused = sign_in_once(app, &email, "right", address, &[]);
    refused.assert_error(429, "TooManyRequests");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &email,
        "right",
        "",
    )
    .assert_error(429, "TooManyRequests");
    // Another email from the same address is not affected.
    let (_, other) = customer(app, "pw", json!({}));
    assert_eq!(sign_in_once(app, &other, "pw", address, &[]).status, 200);
    // Once the window has passed, the right person gets in again.
    let later = (15 * 60 * 1000 + 1000).to_string();
    assert_eq!(
        sign_in_once(app, &email, "right", address, &[(CLOCK, &later)]).status,
        200
    );
    assert_eq!(
        sign_in_once(app, &email, "right", address, &[]).status,
        200,
        "the success cleared the count"
    );
}

fn sign_ins_are_throttled_per_client_address(_app: &App) {
    // A Worker with a small per-address limit, so the test stays short.
    let server = Server::start_with(&[
        "--var",
        "TEST_CLOCK:enabled",
        "--var",
        "THROTTLE_MAX_FAILURES_PER_ADDRESS:4",
    ]);
    let app = App::new(server.base_url.clone(), None);
    let address = "198.51.100.7";
    for i in 0..4 {
        let reply = sign_in_once(&app, &format!("nobody-{i}@example.com"), "x", address, &[]);
        reply.assert_error(400, "InvalidCredentials");
    }
    let (_, email) = customer(&app, "right", json!({}));
    sign_in_once(&app, &email, "right", address, &[]).assert_error(429, "TooManyRequests");
    assert_eq!(
        sign_in_once(&app, &email, "right", "198.51.100.8", &[]).status,
        200,
        "other addresses are not affected"
    );
    let later = (15 * 60 * 1000 + 1000).to_string();
    assert_eq!(
        sign_in_once(&app, &email, "right", address, &[(CLOCK, &later)]).status,
        200
    );
}

/// A named token and the extra headers to send it with.
type TokenCase<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

/// What a request with a given token must get: through (any answer but 401/403), 401 or 403.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Through,
    Unauthorized,
    Forbidden,
}

fn every_route_checks_every_kind_of_token(app: &App) {
    use Expect::{Forbidden as F, Through as T, Unauthorized as U};
    let (_, email) = customer(app, "pw", json!({}));
    let token = |client: (&str, &str), scope: &str| app.token(client, Some(scope));
    let customer_token = password_flow(
        app,
        STOREFRONT,
        "/oauth/demo/customers/token",
        &email,
        "pw",
        "",
    )
    .json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let anonymous_token = form(
        app,
        STOREFRONT,
        "/oauth/demo/anonymous/token",
        "grant_type=client_credentials",
        &[],
    )
    .json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = token(ADMIN, "manage_project:demo");
    assert_eq!(
        form(
            app,
            ADMIN,
            "/oauth/token/revoke",
            &format!("token={revoked}"),
            &[]
        )
        .status,
        200
    );
    let tokens: Vec<TokenCase> = vec![
        ("view", token(ADMIN, "view_customers:demo"), vec![]),
        ("manage", token(ADMIN, "manage_customers:demo"), vec![]),
        ("project", token(ADMIN, "manage_project:demo"), vec![]),
        (
            "store A",
            token(ADMIN, "manage_customers:demo:store-a"),
            vec![],
        ),
        (
            "store B",
            token(ADMIN, "manage_customers:demo:store-b"),
            vec![],
        ),
        (
            "api clients",
            token(ADMIN, "manage_api_clients:demo"),
            vec![],
        ),
        ("customer", customer_token, vec![]),
        ("anonymous", anonymous_token, vec![]),
        ("other project", app.token(OTHER_ADMIN, None), vec![]),
        (
            "expired",
            token(ADMIN, "manage_project:demo"),
            vec![(CLOCK, "172801000")],
        ),
        ("revoked", revoked, vec![]),
    ];
    let missing = "00000000-0000-4000-8000-000000000000";
    // A customer without stores: visible in every store, written only with project-wide scopes.
    let (global, global_email) = customer(app, "pw", json!({}));
    let global = global["id"].as_str().unwrap().to_string();
    let token_body = format!(r#"{{"email": "{global_email}", "ttlMinutes": 1}}"#);
    //                                                                  view manage proj  A  B  api  cust anon other exp rev
    let routes: Vec<(&str, String, &str, [Expect; 11])> = vec![
        (
            "GET",
            "/demo/customers".into(),
            "",
            [T, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "HEAD",
            "/demo/customers".into(),
            "",
            [T, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/customers".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "GET",
            format!("/demo/customers/{missing}"),
            "",
            [T, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            format!("/demo/customers/{missing}"),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "DELETE",
            format!("/demo/customers/{missing}?version=1"),
            "",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "GET",
            "/demo/in-store/key=store-a/customers".into(),
            "",
            [T, T, T, T, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-a/customers".into(),
            "{}",
            [F, T, T, T, F, F, F, F, F, U, U],
        ),
        (
            "GET",
            format!("/demo/in-store/key=store-b/customers/{missing}"),
            "",
            [T, T, T, F, T, F, F, F, F, U, U],
        ),
        (
            "DELETE",
            format!("/demo/in-store/key=store-b/customers/{missing}?version=1"),
            "",
            [F, T, T, F, T, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/login".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-a/login".into(),
            "{}",
            [F, T, T, T, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/customers/password".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/customers/password-token".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "GET",
            "/demo/customers/password-token=nothing".into(),
            "",
            [T, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/customers/password/reset".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-b/customers/email-token".into(),
            "{}",
            [F, T, T, F, T, F, F, F, F, U, U],
        ),
        (
            "GET",
            "/demo/customers/email-token=nothing".into(),
            "",
            [T, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/customers/email/confirm".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        // A store-limited token writes only its store's customers (README, "Store-limited
        // tokens"): not a global customer, not its tokens, not a customer of two stores.
        (
            "POST",
            format!("/demo/in-store/key=store-a/customers/{global}"),
            r#"{"version": 1, "actions": []}"#,
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "DELETE",
            format!("/demo/in-store/key=store-a/customers/{global}?version=0"),
            "",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-a/customers/password-token".into(),
            &token_body,
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-a/customers".into(),
            r#"{"email": "not-an-email", "stores": [{"key": "store-a"}, {"key": "store-b"}]}"#,
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        // The storefront's own account: the customer endpoints need a customer's token;
        // signup, login, reset and confirmation any token with manage_my_profile (implied by
        // manage_project). 403 for a token without a customer comes after the scope check.
        (
            "GET",
            "/demo/me".into(),
            "",
            [F, F, F, F, F, F, T, F, F, U, U],
        ),
        (
            "POST",
            "/demo/me".into(),
            "{}",
            [F, F, F, F, F, F, T, F, F, U, U],
        ),
        (
            "DELETE",
            "/demo/me?version=99".into(),
            "",
            [F, F, F, F, F, F, T, F, F, U, U],
        ),
        (
            "POST",
            "/demo/me/password".into(),
            "{}",
            [F, F, F, F, F, F, T, F, F, U, U],
        ),
        (
            "GET",
            "/demo/in-store/key=store-a/me".into(),
            "",
            [F, F, F, F, F, F, T, F, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-b/me".into(),
            "{}",
            [F, F, F, F, F, F, T, F, F, U, U],
        ),
        (
            "POST",
            "/demo/me/signup".into(),
            "{}",
            [F, F, T, F, F, F, T, T, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-a/me/signup".into(),
            "{}",
            [F, F, T, F, F, F, T, T, F, U, U],
        ),
        (
            "POST",
            "/demo/me/login".into(),
            "{}",
            [F, F, T, F, F, F, T, T, F, U, U],
        ),
        (
            "POST",
            "/demo/in-store/key=store-b/me/login".into(),
            "{}",
            [F, F, T, F, F, F, T, T, F, U, U],
        ),
        (
            "POST",
            "/demo/me/password/reset".into(),
            "{}",
            [F, F, T, F, F, F, T, T, F, U, U],
        ),
        (
            "POST",
            "/demo/me/email/confirm".into(),
            "{}",
            [F, F, T, F, F, F, T, T, F, U, U],
        ),
        // Customer groups: their own scopes or the customer scopes (as commercetools).
        (
            "GET",
            "/demo/customer-groups".into(),
            "",
            [T, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/customer-groups".into(),
            "{}",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        (
            "DELETE",
            format!("/demo/customer-groups/{missing}?version=1"),
            "",
            [F, T, T, F, F, F, F, F, F, U, U],
        ),
        // Types have scopes of their own: customer scopes do not reach them.
        (
            "GET",
            format!("/demo/types/{missing}"),
            "",
            [F, F, T, F, F, F, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/types".into(),
            "{}",
            [F, F, T, F, F, F, F, F, F, U, U],
        ),
        (
            "GET",
            "/demo/api-clients".into(),
            "",
            [F, F, F, F, F, T, F, F, F, U, U],
        ),
        (
            "POST",
            "/demo/api-clients".into(),
            "{}",
            [F, F, F, F, F, T, F, F, F, U, U],
        ),
        (
            "GET",
            "/demo/api-clients/nothing".into(),
            "",
            [F, F, F, F, F, T, F, F, F, U, U],
        ),
        (
            "DELETE",
            "/demo/api-clients/nothing".into(),
            "",
            [F, F, F, F, F, T, F, F, F, U, U],
        ),
        // Messages need view_messages (manage_project implies it), not a customer scope.
        (
            "GET",
            "/demo/messages".into(),
            "",
            [F, F, T, F, F, F, F, F, F, U, U],
        ),
        (
            "HEAD",
            "/demo/messages?where=type%3D%22X%22".into(),
            "",
            [F, F, T, F, F, F, F, F, F, U, U],
        ),
        (
            "GET",
            format!("/demo/messages/{missing}"),
            "",
            [F, F, T, F, F, F, F, F, F, U, U],
        ),
    ];
    let mut routes = routes;
    let tool_rows = mcp_tool_rows(missing);
    routes.extend(
        tool_rows
            .iter()
            .map(|(method, tool, args, expect)| (*method, tool.clone(), args.as_str(), *expect)),
    );
    // B2B: only the project-wide token holds the associate-role and business-unit scopes.
    let only_project = [F, F, T, F, F, F, F, F, F, U, U];
    for (method, path, body) in [
        ("GET", "/demo/associate-roles".to_string(), ""),
        ("HEAD", "/demo/associate-roles".to_string(), ""),
        ("POST", "/demo/associate-roles".to_string(), "{}"),
        ("GET", format!("/demo/associate-roles/{missing}"), ""),
        (
            "POST",
            "/demo/associate-roles/key=nothing".to_string(),
            "{}",
        ),
        (
            "DELETE",
            format!("/demo/associate-roles/{missing}?version=1"),
            "",
        ),
        ("GET", "/demo/business-units".to_string(), ""),
        ("POST", "/demo/business-units".to_string(), "{}"),
        ("GET", "/demo/business-units/key=nothing".to_string(), ""),
        ("POST", format!("/demo/business-units/{missing}"), "{}"),
        (
            "DELETE",
            format!("/demo/business-units/{missing}?version=1"),
            "",
        ),
        (
            "GET",
            format!("/demo/business-units/{missing}/associates/{missing}"),
            "",
        ),
        (
            "GET",
            "/demo/in-store/key=store-a/business-units".into(),
            "",
        ),
        (
            "GET",
            format!("/demo/in-store/key=store-a/business-units/{missing}/associates/{missing}"),
            "",
        ),
        (
            "GET",
            format!("/demo/in-store/key=store-a/business-units/key=nothing/associates/{missing}"),
            "",
        ),
        (
            "POST",
            "/demo/in-store/key=store-a/business-units".into(),
            "{}",
        ),
        (
            "GET",
            "/demo/in-store/key=store-a/business-units/key=nothing".into(),
            "",
        ),
        (
            "POST",
            format!("/demo/in-store/key=store-a/business-units/{missing}"),
            "{}",
        ),
        (
            "DELETE",
            format!("/demo/in-store/key=store-a/business-units/{missing}?version=1"),
            "",
        ),
        (
            "GET",
            format!("/demo/as-associate/{missing}/business-units"),
            "",
        ),
        (
            "POST",
            format!("/demo/as-associate/{missing}/business-units"),
            "{}",
        ),
        (
            "GET",
            format!("/demo/as-associate/{missing}/business-units/key=nothing"),
            "",
        ),
        (
            "POST",
            format!("/demo/as-associate/{missing}/business-units/{missing}"),
            "{}",
        ),
    ] {
        routes.push((method, path, body, only_project));
    }
    // /me/business-units needs manage_my_business_units and a customer in the token: the
    // storefront's customer token lacks the scope and the project token the customer (the
    // allowed case is as_associate::my_business_units).
    let nobody = [F, F, F, F, F, F, F, F, F, U, U];
    for (method, path, body) in [
        ("GET", "/demo/me/business-units".to_string(), ""),
        ("POST", "/demo/me/business-units".to_string(), "{}"),
        ("GET", format!("/demo/me/business-units/{missing}"), ""),
        (
            "POST",
            "/demo/me/business-units/key=nothing".to_string(),
            "{}",
        ),
        (
            "POST",
            "/demo/in-business-unit/key=nothing/me/customers".to_string(),
            "{}",
        ),
    ] {
        routes.push((method, path, body, nobody));
    }
    // The Emporix dialect takes storefront tokens only (a customer's or an anonymous
    // session's): a back-office token is the gateway's 401; an anonymous session on a customer
    // endpoint is 403 (`validateauthtoken`: 401).
    let customer_only = [U, U, U, U, U, U, T, F, U, U, U];
    let storefront = [U, U, U, U, U, U, T, T, U, U, U];
    for (method, path, body, expected) in [
        ("GET", "/customer/demo/me", "", storefront),
        ("PATCH", "/customer/demo/me", "{}", customer_only),
        ("GET", "/customer/demo/me/addresses", "", customer_only),
        ("POST", "/customer/demo/me/addresses", "{}", customer_only),
        (
            "POST",
            "/customer/demo/password/change",
            "{}",
            customer_only,
        ),
        ("POST", "/customer/demo/signup", "{}", storefront),
        ("POST", "/customer/demo/login", "{}", storefront),
        ("POST", "/customer/demo/password/reset", "{}", storefront),
        ("GET", "/customer/demo/refreshauthtoken", "", storefront),
        (
            "GET",
            "/customer/demo/validateauthtoken",
            "",
            [U, U, U, U, U, U, T, U, U, U, U],
        ),
    ] {
        routes.push((method, path.to_string(), body, expected));
    }
    let mut mismatches = Vec::new();
    for (method, path, body, expected) in &routes {
        for ((name, token, extra), expect) in tokens.iter().zip(expected) {
            let auth = format!("Bearer {token}");
            let mut headers = vec![
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ];
            headers.extend_from_slice(extra);
            let (reply, got) = match *method {
                "MCP" => call_tool(app, &headers, path, body),
                _ => {
                    let body = (!body.is_empty()).then_some(body.as_bytes());
                    let reply = app.send(method, path, &headers, body);
                    let got = match reply.status {
                        401 => U,
                        403 => F,
                        _ => T,
                    };
                    (reply, got)
                }
            };
            if got != *expect || (got == T && reply.status >= 500) {
                mismatches.push(format!(
                    "{method} {path} with {name}: expected {expect:?}, got {} {}",
                    reply.status, reply.text
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // And with no token at all, every route is 401.
    for (method, path, body, _) in &routes {
        let status = match *method {
            "MCP" => call_tool(app, &[], path, body).0.status,
            _ => {
                let body = (!body.is_empty()).then_some(body.as_bytes());
                app.send(method, path, &[], body).status
            }
        };
        assert_eq!(status, 401, "{method} {path}");
    }
}

/// A matrix row per MCP tool served (`MCP`, tool name, arguments): a tool needs the scope of
/// its endpoint. Reads need a view scope, writes a manage scope; a store-limited token reaches
/// none of them (they act on the project's resources).
fn mcp_tool_rows(missing: &str) -> Vec<(&'static str, String, String, [Expect; 11])> {
    use Expect::{Forbidden as F, Through as T, Unauthorized as U};
    const READ: [Expect; 11] = [T, T, T, F, F, F, F, F, F, U, U];
    const WRITE: [Expect; 11] = [F, T, T, F, F, F, F, F, F, U, U];
    // Scopes of their own (business units, associate roles, project settings): neither
    // customer scope reaches them.
    const OWN: [Expect; 11] = [F, F, T, F, F, F, F, F, F, U, U];
    let id = json!(missing);
    let rows = [
        ("get_by_id", json!({"ID": id}), READ),
        ("get_by_key", json!({"key": "nobody"}), READ),
        ("list_customers", json!({}), READ),
        (
            "list_customers_password_token_password_token",
            json!({"passwordToken": "x"}),
            READ,
        ),
        (
            "list_customers_email_token_email_token",
            json!({"emailToken": "x"}),
            READ,
        ),
        ("get_customer_groups_by_id", json!({"ID": id}), READ),
        (
            "get_customer_groups_by_key",
            json!({"key": "nothing"}),
            READ,
        ),
        ("list_customer_groups", json!({}), READ),
        ("create_customers", json!({"email": "not-an-email"}), WRITE),
        (
            "update_customers_by_id",
            json!({"ID": id, "version": 1, "actions": []}),
            WRITE,
        ),
        (
            "update_customers_by_key",
            json!({"key": "nobody", "version": 1, "actions": []}),
            WRITE,
        ),
        ("delete_by_id", json!({"ID": id, "version": 1}), WRITE),
        (
            "delete_by_key",
            json!({"key": "nobody", "version": 1}),
            WRITE,
        ),
        (
            "create_customers_password",
            json!({"id": id, "version": 1, "currentPassword": "a", "newPassword": "b"}),
            WRITE,
        ),
        (
            "create_customers_password_token",
            json!({"email": "nobody@example.com"}),
            WRITE,
        ),
        (
            "create_customers_password_reset",
            json!({"tokenValue": "x", "newPassword": "y"}),
            WRITE,
        ),
        (
            "create_customers_email_token",
            json!({"id": id, "ttlMinutes": 1}),
            WRITE,
        ),
        (
            "create_customers_email_confirm",
            json!({"tokenValue": "x"}),
            WRITE,
        ),
        ("create_customer_groups", json!({"groupName": ""}), WRITE),
        (
            "update_customer_groups_by_id",
            json!({"ID": id, "version": 1, "actions": []}),
            WRITE,
        ),
        (
            "update_customer_groups_by_key",
            json!({"key": "nothing", "version": 1, "actions": []}),
            WRITE,
        ),
        (
            "delete_customer_groups_by_id",
            json!({"ID": id, "version": 1}),
            WRITE,
        ),
        (
            "delete_customer_groups_by_key",
            json!({"key": "nothing", "version": 1}),
            WRITE,
        ),
        // Customer search needs view_customers; its indexing status view_project_settings.
        ("create_customers_search", json!({"limit": 1}), READ),
        ("list_customers_search_indexing_status", json!({}), OWN),
        // Business unit search needs view_business_units; its indexing status
        // view_project_settings.
        ("create_business_units_search", json!({"limit": 1}), OWN),
        ("list_business_units_search_indexing_status", json!({}), OWN),
        // Business units and associate roles: their own scopes (or manage_project).
        ("get_business_units_by_id", json!({"ID": id}), OWN),
        ("get_business_units_by_key", json!({"key": "nothing"}), OWN),
        ("list_business_units", json!({}), OWN),
        (
            "create_business_units",
            json!({"key": "x", "name": "x", "unitType": "Company"}),
            OWN,
        ),
        (
            "update_business_units_by_id",
            json!({"ID": id, "version": 1, "actions": []}),
            OWN,
        ),
        (
            "update_business_units_by_key",
            json!({"key": "nothing", "version": 1, "actions": []}),
            OWN,
        ),
        (
            "delete_business_units_by_id",
            json!({"ID": id, "version": 1}),
            OWN,
        ),
        (
            "delete_business_units_by_key",
            json!({"key": "nothing", "version": 1}),
            OWN,
        ),
        (
            "get_business_units_associates_by_business_unit_id_and_associate_id",
            json!({"businessUnitId": id, "associateId": id}),
            OWN,
        ),
        (
            "get_business_units_associates_by_key_and_associate_id",
            json!({"key": "nothing", "associateId": id}),
            OWN,
        ),
        ("get_associate_roles_by_id", json!({"ID": id}), OWN),
        ("get_associate_roles_by_key", json!({"key": "nothing"}), OWN),
        ("list_associate_roles", json!({}), OWN),
        ("create_associate_roles", json!({"key": ""}), OWN),
        (
            "update_associate_roles_by_id",
            json!({"ID": id, "version": 1, "actions": []}),
            OWN,
        ),
        (
            "update_associate_roles_by_key",
            json!({"key": "nothing", "version": 1, "actions": []}),
            OWN,
        ),
        (
            "delete_associate_roles_by_id",
            json!({"ID": id, "version": 1}),
            OWN,
        ),
        (
            "delete_associate_roles_by_key",
            json!({"key": "nothing", "version": 1}),
            OWN,
        ),
    ];
    rows.into_iter()
        .map(|(tool, args, expect)| {
            let name = format!("commercetools_customers_{tool}");
            ("MCP", name, args.to_string(), expect)
        })
        .collect()
}

/// Calls an MCP tool at `/demo/mcp`: 401 and 403 from the endpoint, or an `isError` result
/// with `insufficient_scope` from the tool's own endpoint, are the refusals.
fn call_tool(app: &App, headers: &[(&str, &str)], tool: &str, args: &str) -> (Reply, Expect) {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{tool}","arguments":{args}}}}}"#
    );
    let mut headers = headers.to_vec();
    headers.push(("MCP-Protocol-Version", "2025-11-25"));
    let reply = app.send("POST", "/demo/mcp", &headers, Some(body.as_bytes()));
    let refused_by_tool = reply.json["result"]["isError"] == true
        && reply.json["result"]["structuredContent"]["errors"][0]["code"] == "insufficient_scope";
    let inner_status = &reply.json["result"]["structuredContent"]["statusCode"];
    assert!(
        inner_status.as_u64().unwrap_or_default() < 500,
        "{tool}: {}",
        reply.text
    );
    let got = match reply.status {
        401 => Expect::Unauthorized,
        403 => Expect::Forbidden,
        200 if refused_by_tool => Expect::Forbidden,
        _ => Expect::Through,
    };
    (reply, got)
}

fn parallel_sign_ins_cannot_outrun_the_throttle(app: &App) {
    let (_, email) = customer(app, "right", json!({}));
    let address = "192.0.2.99";
    let barrier = std::sync::Barrier::new(16);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (barrier, email) = (&barrier, &email);
                s.spawn(move || {
                    barrier.wait();
                    sign_in_once(app, email, "wrong", address, &[]).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let judged = statuses.iter().filter(|&&s| s == 400).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(
        (judged, refused),
        (10, 6),
        "only ten guesses per window: {statuses:?}"
    );
}

fn store_clients_sign_in_their_store_s_customers_only(app: &App) {
    let store = unique("own");
    let created = app.post(
        "/demo/api-clients",
        app.admin(),
        &json!({"name": unique("store-client"), "scope": format!("manage_my_profile:demo:{store}")}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let client = (
        created.json["id"].as_str().unwrap().to_string(),
        created.json["secret"].as_str().unwrap().to_string(),
    );
    let client = (client.0.as_str(), client.1.as_str());
    let (_, email) = customer(
        app,
        "pw",
        json!({"stores": [{"key": store}, {"key": "elsewhere"}]}),
    );
    let own = password_flow(
        app,
        client,
        &format!("/oauth/demo/in-store/key={store}/customers/token"),
        &email,
        "pw",
        "",
    );
    assert_eq!(own.status, 200, "{}", own.text);
    password_flow(
        app,
        client,
        "/oauth/demo/in-store/key=elsewhere/customers/token",
        &email,
        "pw",
        "",
    )
    .assert_error(400, "invalid_scope");
}
