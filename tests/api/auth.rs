//! `POST /oauth/token` (client credentials) and the bearer/scope checks on API routes.

use serde_json::json;

use crate::support::{basic_auth, unique_email, App, ADMIN, OTHER_ADMIN, VIEWER};

tests!(auth;
    client_credentials_issue_a_bearer_token,
    parameters_may_come_in_the_query_string,
    bad_client_credentials_are_invalid_client,
    grant_type_is_required_and_checked,
    requested_scope_narrows_the_token,
    scopes_beyond_the_client_are_invalid_scope,
    api_routes_need_a_valid_bearer,
    reading_needs_view_and_writing_needs_manage,
    a_token_of_one_project_is_refused_on_another,
    store_scoped_tokens_reach_only_their_store,
);

fn client_credentials_issue_a_bearer_token(app: &App) {
    let reply = app.request_token(ADMIN, "grant_type=client_credentials");
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json["access_token"].as_str().unwrap();
    assert!(token.len() >= 43, "at least 32 random bytes");
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], 172800);
    assert_eq!(
        reply.json["scope"],
        "manage_project:demo manage_api_clients:demo"
    );
    // Two tokens are never the same, and the token works.
    assert_ne!(app.token(ADMIN, None), token);
    let created = app.post(
        "/demo/customers",
        token,
        &json!({"email": unique_email("tok"), "password": "pw"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
}

fn parameters_may_come_in_the_query_string(app: &App) {
    let basic = basic_auth(ADMIN.0, ADMIN.1);
    let reply = app.send(
        "POST",
        "/oauth/token?grant_type=client_credentials&scope=view_customers:demo",
        &[("Authorization", &basic)],
        Some(b""),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["scope"], "view_customers:demo");
}

fn bad_client_credentials_are_invalid_client(app: &App) {
    for (id, secret) in [(ADMIN.0, "wrong"), ("nobody", ADMIN.1), ("", "")] {
        let reply = app.request_token((id, secret), "grant_type=client_credentials");
        reply.assert_error(401, "invalid_client");
        assert_eq!(reply.json["error"], "invalid_client");
    }
    let reply = app.send(
        "POST",
        "/oauth/token",
        &[],
        Some(b"grant_type=client_credentials"),
    );
    reply.assert_error(401, "invalid_client");
    let reply = app.send(
        "POST",
        "/oauth/token",
        &[("Authorization", "Basic %%%not-base64")],
        Some(b"grant_type=client_credentials"),
    );
    reply.assert_error(401, "invalid_client");
}

fn grant_type_is_required_and_checked(app: &App) {
    app.request_token(ADMIN, "")
        .assert_error(400, "invalid_request");
    let reply = app.request_token(ADMIN, "grant_type=password&username=a&password=b");
    reply.assert_error(400, "unsupported_grant_type");
    assert_eq!(reply.json["error"], "unsupported_grant_type");
}

fn requested_scope_narrows_the_token(app: &App) {
    let reply = app.request_token(
        ADMIN,
        "grant_type=client_credentials&scope=view_customers:demo",
    );
    assert_eq!(reply.json["scope"], "view_customers:demo");
    let view = reply.json["access_token"].as_str().unwrap().to_string();
    let customer = app.create_customer(&json!({"email": unique_email("narrow"), "password": "pw"}));
    let id = customer["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/demo/customers/{id}"), &view).status, 200);
    let reply = app.post(
        "/demo/customers",
        &view,
        &json!({"email": unique_email("narrow"), "password": "pw"}),
    );
    let error = reply.assert_error(403, "insufficient_scope");
    assert_eq!(reply.json["error"], "insufficient_scope");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("manage_customers:demo"));
    let reply = app.delete(&format!("/demo/customers/{id}?version=1"), &view);
    reply.assert_error(403, "insufficient_scope");
    // Several scopes at once, separated by spaces.
    let reply = app.request_token(
        ADMIN,
        "grant_type=client_credentials&scope=view_customers:demo+manage_customers:demo",
    );
    assert_eq!(
        reply.json["scope"],
        "view_customers:demo manage_customers:demo"
    );
}

fn scopes_beyond_the_client_are_invalid_scope(app: &App) {
    for scope in [
        "manage_project:other",
        "view_customers:demo",
        "customer_id:abc",
        "nonsense",
    ] {
        let reply = app.request_token(
            VIEWER,
            &format!("grant_type=client_credentials&scope={scope}"),
        );
        if scope == "view_customers:demo" {
            assert_eq!(reply.status, 200, "{}", reply.text);
        } else {
            reply.assert_error(400, "invalid_scope");
        }
    }
}

fn api_routes_need_a_valid_bearer(app: &App) {
    let reply = app.send("GET", "/demo/customers/some-id", &[], None);
    reply.assert_error(401, "invalid_token");
    assert_eq!(reply.json["error"], "invalid_token");
    assert!(reply
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    app.get("/demo/customers/some-id", "not-a-token")
        .assert_error(401, "invalid_token");
    let basic = basic_auth(ADMIN.0, ADMIN.1);
    app.send(
        "GET",
        "/demo/customers/some-id",
        &[("Authorization", &basic)],
        None,
    )
    .assert_error(401, "invalid_token");
    app.send("POST", "/demo/customers", &[], Some(b"{}"))
        .assert_error(401, "invalid_token");
    // Authentication comes before the body is looked at.
    app.send("POST", "/demo/customers", &[], Some(b"not json"))
        .assert_error(401, "invalid_token");
}

fn reading_needs_view_and_writing_needs_manage(app: &App) {
    let viewer = app.token(VIEWER, None);
    let customer = app.create_customer(&json!({"email": unique_email("view"), "password": "pw", "key": crate::support::unique("view")}));
    let id = customer["id"].as_str().unwrap();
    let key = customer["key"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), &viewer).status,
        200
    );
    assert_eq!(
        app.head(&format!("/demo/customers/key={key}"), &viewer)
            .status,
        200
    );
    app.post(
        "/demo/customers",
        &viewer,
        &json!({"email": unique_email("view"), "password": "pw"}),
    )
    .assert_error(403, "insufficient_scope");
    app.delete(&format!("/demo/customers/{id}?version=1"), &viewer)
        .assert_error(403, "insufficient_scope");
    // Still there.
    assert_eq!(
        app.get(&format!("/demo/customers/{id}"), &viewer).status,
        200
    );
}

fn a_token_of_one_project_is_refused_on_another(app: &App) {
    let other = app.token(OTHER_ADMIN, None);
    let customer = app.create_customer(&json!({"email": unique_email("proj"), "password": "pw"}));
    let id = customer["id"].as_str().unwrap();
    app.get(&format!("/demo/customers/{id}"), &other)
        .assert_error(403, "insufficient_scope");
    app.post(
        "/demo/customers",
        &other,
        &json!({"email": unique_email("proj"), "password": "pw"}),
    )
    .assert_error(403, "insufficient_scope");
    // The other project is a separate world: the customer does not exist there.
    app.get(&format!("/other/customers/{id}"), &other)
        .assert_error(404, "ResourceNotFound");
    app.get(&format!("/other/customers/{id}"), app.admin())
        .assert_error(403, "insufficient_scope");
}

fn store_scoped_tokens_reach_only_their_store(app: &App) {
    let store_token = app.token(ADMIN, Some("manage_customers:demo:berlin"));
    let email = unique_email("scoped");
    let reply = app.post(
        "/demo/in-store/key=berlin/customers",
        &store_token,
        &json!({"email": email, "password": "pw"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json["customer"]["id"].as_str().unwrap();
    assert_eq!(
        app.get(
            &format!("/demo/in-store/key=berlin/customers/{id}"),
            &store_token
        )
        .status,
        200
    );
    app.get(
        &format!("/demo/in-store/key=munich/customers/{id}"),
        &store_token,
    )
    .assert_error(403, "insufficient_scope");
    app.get(&format!("/demo/customers/{id}"), &store_token)
        .assert_error(403, "insufficient_scope");
    app.post(
        "/demo/customers",
        &store_token,
        &json!({"email": unique_email("scoped"), "password": "pw"}),
    )
    .assert_error(403, "insufficient_scope");
}
