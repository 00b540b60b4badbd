//! The error envelope for routing and body mistakes: unknown routes, wrong methods,
//! malformed or mistyped JSON, oversized bodies. A client mistake is never a 500.

use serde_json::json;

use crate::support::{unique_email, App};

tests!(errors;
    unknown_routes_answer_404_in_the_envelope,
    wrong_methods_answer_405_with_allow,
    malformed_json_is_invalid_json_input,
    missing_required_field_is_named,
    wrong_types_are_named,
    non_object_bodies_are_rejected,
    oversized_body_is_413_and_nothing_is_written,
    deeply_nested_json_is_a_clean_400,
    browsers_may_call_from_any_origin,
);

fn unknown_routes_answer_404_in_the_envelope(app: &App) {
    for path in [
        "/",
        "/demo/nothing",
        "/demo/carts",
        "/demo/customers/a/b",
        "/oauth/nothing",
        "/demo/in-store/customers",
    ] {
        let reply = app.send("GET", path, &[], None);
        reply.assert_error(404, "ResourceNotFound");
        assert!(reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
    }
    // An unknown route is 404 whatever the token.
    app.get("/demo/orders", app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn wrong_methods_answer_405_with_allow(app: &App) {
    let reply = app.send("PUT", "/demo/customers", &[], Some(b"{}"));
    reply.assert_error(405, "MethodNotAllowed");
    assert_eq!(reply.header("allow"), Some("GET, HEAD, POST"));
    let reply = app.send("PATCH", "/demo/customers/some-id", &[], Some(b"{}"));
    reply.assert_error(405, "MethodNotAllowed");
    assert_eq!(reply.header("allow"), Some("GET, HEAD, POST, DELETE"));
    let reply = app.send("GET", "/oauth/token", &[], None);
    reply.assert_error(405, "MethodNotAllowed");
    assert_eq!(reply.header("allow"), Some("POST"));
}

fn malformed_json_is_invalid_json_input(app: &App) {
    for body in [
        &b"{\"email\": "[..],
        b"not json",
        b"{\"email\":\"a@b.c\",}",
        b"",
        b"{\"email\":\"a@b.c\"} {}",
    ] {
        let reply = app.post_raw("/demo/customers", app.admin(), body);
        let error = reply.assert_error(400, "InvalidJsonInput");
        assert_eq!(
            reply.json["message"],
            "Request body does not contain valid JSON."
        );
        assert!(
            error["detailedErrorMessage"]
                .as_str()
                .unwrap()
                .starts_with("Malformed JSON"),
            "{}",
            reply.text
        );
    }
}

fn missing_required_field_is_named(app: &App) {
    let reply = app.post("/demo/customers", app.admin(), &json!({"password": "x"}));
    let error = reply.assert_error(400, "InvalidJsonInput");
    assert_eq!(
        error["detailedErrorMessage"],
        "email: Missing required value"
    );
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("nested"), "password": "x", "addresses": [{"city": "Berlin"}]}),
    );
    let error = reply.assert_error(400, "InvalidJsonInput");
    assert_eq!(
        error["detailedErrorMessage"],
        "addresses[0] -> country: Missing required value"
    );
}

fn wrong_types_are_named(app: &App) {
    let cases = [
        (json!({"email": 42, "password": "x"}), "email: "),
        (json!({"email": "a@b.c", "password": true}), "password: "),
        (
            json!({"email": "a@b.c", "password": "x", "addresses": "none"}),
            "addresses: ",
        ),
        (
            json!({"email": "a@b.c", "password": "x", "defaultShippingAddress": "0"}),
            "defaultShippingAddress: ",
        ),
        (
            json!({"email": "a@b.c", "password": "x", "authenticationMode": "Magic"}),
            "authenticationMode: ",
        ),
        (
            json!({"email": "a@b.c", "password": "x", "isEmailVerified": "yes"}),
            "isEmailVerified: ",
        ),
        (
            json!({"email": "a@b.c", "password": "x", "stores": [{"key": 5}]}),
            "stores[0] -> key: ",
        ),
    ];
    for (body, prefix) in cases {
        let reply = app.post("/demo/customers", app.admin(), &body);
        let error = reply.assert_error(400, "InvalidJsonInput");
        let detail = error["detailedErrorMessage"].as_str().unwrap();
        assert!(
            detail.starts_with(prefix),
            "{detail} should start with {prefix}"
        );
    }
}

fn non_object_bodies_are_rejected(app: &App) {
    for body in ["[]", "null", "\"text\"", "42"] {
        app.post_raw("/demo/customers", app.admin(), body.as_bytes())
            .assert_error(400, "InvalidJsonInput");
    }
}

fn oversized_body_is_413_and_nothing_is_written(app: &App) {
    let email = unique_email("huge");
    let body = json!({"email": email, "password": "x", "firstName": "a".repeat(600 * 1024)});
    let reply = app.post("/demo/customers", app.admin(), &body);
    reply.assert_error(413, "ContentTooLarge");
    // The email is still free: nothing was written.
    app.create_customer(&json!({"email": email, "password": "x"}));
}

fn deeply_nested_json_is_a_clean_400(app: &App) {
    let mut body = String::from("{\"email\":\"a@b.c\",\"password\":\"x\",\"custom\":{\"type\":{\"key\":\"t\"},\"fields\":{\"f\":");
    body.push_str(&"[".repeat(10_000));
    body.push_str(&"]".repeat(10_000));
    body.push_str("}}}");
    app.post_raw("/demo/customers", app.admin(), body.as_bytes())
        .assert_error(400, "InvalidJsonInput");
}

fn browsers_may_call_from_any_origin(app: &App) {
    let preflight = app.send(
        "OPTIONS",
        "/demo/customers",
        &[
            ("Origin", "https://shop.example"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
        None,
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    let methods = preflight.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = preflight
        .header("access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    // Ordinary answers, errors included, carry the origin header too.
    let reply = app.send(
        "GET",
        "/demo/customers/x",
        &[("Origin", "https://shop.example")],
        None,
    );
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
}
