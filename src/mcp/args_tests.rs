//! Unit tests of argument checking and of the argument → API call mapping: one tool of each
//! kind, and injection attempts through ids, keys and tokens.

use serde_json::{json, Value};

use super::*;
use crate::mcp::tools::find;

fn call(name: &str, arguments: Value) -> Result<ApiCall, Vec<String>> {
    let tool = find(name).unwrap_or_else(|| panic!("{name} exists"));
    build(
        tool,
        arguments.as_object().expect("arguments are an object"),
    )
}

fn ok(name: &str, arguments: Value) -> ApiCall {
    call(name, arguments).expect("arguments are accepted")
}

fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
    query
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn get_by_id_puts_the_id_in_the_path_and_expand_in_the_query() {
    let api = ok(
        "commercetools_customers_get_by_id",
        json!({"ID": "c-1", "expand": ["customerGroup", "stores[*]"]}),
    );
    assert_eq!(api.method, Method::Get);
    assert_eq!(api.path, "/customers/c-1");
    assert_eq!(
        api.query,
        pairs(&[("expand", "customerGroup"), ("expand", "stores[*]")])
    );
    assert_eq!(api.body, None);
    assert_eq!(
        api.target(),
        "/customers/c-1?expand=customerGroup&expand=stores%5B%2A%5D"
    );
}

#[test]
fn get_by_key_uses_the_key_segment() {
    let api = ok("commercetools_customers_get_by_key", json!({"key": "jo"}));
    assert_eq!(api.path, "/customers/key=jo");
    assert!(api.query.is_empty());
    assert_eq!(api.target(), "/customers/key=jo");
}

#[test]
fn list_puts_every_argument_in_the_query() {
    let api = ok(
        "commercetools_customers_list_customers",
        json!({
            "where": ["email = \"a@b.c\"", "version > 1"],
            "sort": ["createdAt desc"],
            "limit": 20, "offset": 0, "withTotal": false
        }),
    );
    assert_eq!(api.path, "/customers");
    assert_eq!(
        api.query,
        pairs(&[
            ("sort", "createdAt desc"),
            ("limit", "20"),
            ("offset", "0"),
            ("withTotal", "false"),
            ("where", "email = \"a@b.c\""),
            ("where", "version > 1"),
        ])
    );
    assert!(api
        .target()
        .ends_with("&where=email%20%3D%20%22a%40b.c%22&where=version%20%3E%201"));
}

#[test]
fn create_sends_a_body_and_keeps_expand_in_the_query() {
    let api = ok(
        "commercetools_customers_create_customers",
        json!({"email": "jo@example.com", "password": "secret123", "expand": ["customerGroup"],
               "addresses": [{"country": "DE"}], "defaultShippingAddress": 0}),
    );
    assert_eq!(
        (api.method, api.path.as_str()),
        (Method::Post, "/customers")
    );
    assert_eq!(api.query, pairs(&[("expand", "customerGroup")]));
    let body = api.body.unwrap();
    assert_eq!(
        body,
        json!({"addresses": [{"country": "DE"}], "defaultShippingAddress": 0,
               "email": "jo@example.com", "password": "secret123"})
    );
}

#[test]
fn update_by_key_sends_version_and_actions() {
    let actions = json!([{"action": "setFirstName", "firstName": "Jo"}]);
    let api = ok(
        "commercetools_customers_update_customers_by_key",
        json!({"key": "jo", "version": 3, "actions": actions}),
    );
    assert_eq!(
        (api.method, api.path.as_str()),
        (Method::Post, "/customers/key=jo")
    );
    assert_eq!(api.body, Some(json!({"actions": actions, "version": 3})));
    assert!(api.query.is_empty());
}

#[test]
fn delete_puts_version_and_data_erasure_in_the_query() {
    let api = ok(
        "commercetools_customers_delete_by_id",
        json!({"ID": "c-1", "version": 2, "dataErasure": true}),
    );
    assert_eq!(
        (api.method, api.path.as_str()),
        (Method::Delete, "/customers/c-1")
    );
    assert_eq!(
        api.query,
        pairs(&[("dataErasure", "true"), ("version", "2")])
    );
    assert_eq!(api.body, None);
}

#[test]
fn token_lookups_use_the_token_segment() {
    let api = ok(
        "commercetools_customers_list_customers_password_token_password_token",
        json!({"passwordToken": "abc_DEF-123"}),
    );
    assert_eq!(api.path, "/customers/password-token=abc_DEF-123");
    let api = ok(
        "commercetools_customers_list_customers_email_token_email_token",
        json!({"emailToken": "t/1"}),
    );
    assert_eq!(api.path, "/customers/email-token=t%2F1");
}

#[test]
fn flows_send_their_body_ids_in_the_body() {
    let api = ok(
        "commercetools_customers_create_customers_password",
        json!({"id": "c-1", "version": 1, "currentPassword": "a", "newPassword": "b"}),
    );
    assert_eq!(api.path, "/customers/password");
    assert_eq!(
        api.body,
        Some(json!({"currentPassword": "a", "id": "c-1", "newPassword": "b", "version": 1}))
    );
    let api = ok(
        "commercetools_customers_create_customers_email_token",
        json!({"id": "c-1", "ttlMinutes": 30}),
    );
    assert_eq!(api.path, "/customers/email-token");
    assert_eq!(api.body, Some(json!({"id": "c-1", "ttlMinutes": 30})));
}

#[test]
fn search_sends_everything_in_the_body() {
    let api = ok(
        "commercetools_customers_create_customers_search",
        json!({"query": {"fullText": {"field": "firstName", "value": "jo"}},
               "sort": [{"field": "createdAt", "order": "desc"}], "limit": 5}),
    );
    assert_eq!(
        (api.method, api.path.as_str()),
        (Method::Post, "/customers/search")
    );
    assert!(api.query.is_empty());
    let body = api.body.unwrap();
    assert_eq!(body["limit"], 5);
    assert_eq!(body["sort"][0]["order"], "desc");
    let empty = ok(
        "commercetools_customers_create_business_units_search",
        json!({}),
    );
    assert_eq!(empty.body, Some(json!({})));
}

#[test]
fn status_tools_take_no_arguments() {
    let name = "commercetools_customers_list_customers_search_indexing_status";
    let api = ok(name, json!({}));
    assert_eq!(
        (api.method, api.path.as_str()),
        (Method::Get, "/customers/search/indexing-status")
    );
    let problems = call(name, json!({"limit": 1})).unwrap_err();
    assert_eq!(
        problems,
        ["Unknown argument 'limit': this tool takes no arguments."]
    );
}

#[test]
fn associates_fill_two_segments() {
    let api = ok(
        "commercetools_customers_get_business_units_associates_by_business_unit_id_and_associate_id",
        json!({"businessUnitId": "bu-1", "associateId": "c-9"}),
    );
    assert_eq!(api.path, "/business-units/bu-1/associates/c-9");
    let api = ok(
        "commercetools_customers_get_business_units_associates_by_key_and_associate_id",
        json!({"key": "acme", "associateId": "c-9"}),
    );
    assert_eq!(api.path, "/business-units/key=acme/associates/c-9");
}

#[test]
fn customer_groups_and_associate_roles_map_like_customers() {
    let api = ok(
        "commercetools_customers_delete_customer_groups_by_key",
        json!({"key": "vip", "version": 4}),
    );
    assert_eq!(api.path, "/customer-groups/key=vip");
    assert_eq!(api.query, pairs(&[("version", "4")]));
    let api = ok(
        "commercetools_customers_create_associate_roles",
        json!({"key": "buyer", "permissions": ["CreateMyCarts"]}),
    );
    assert_eq!(api.path, "/associate-roles");
    assert_eq!(
        api.body,
        Some(json!({"key": "buyer", "permissions": ["CreateMyCarts"]}))
    );
}

#[test]
fn missing_and_mistyped_arguments_are_named() {
    let problems = call(
        "commercetools_customers_update_customers_by_id",
        json!({"ID": 7, "actions": [1], "expand": "x"}),
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "Argument 'ID' must be a string, not an integer.",
            "Argument 'expand' must be an array of strings, not a string.",
            "Argument 'actions' must be an array of objects; item 0 is an integer.",
            "Missing required argument 'version' (an integer).",
        ]
    );
    let problems = call(
        "commercetools_customers_delete_by_key",
        json!({"key": "k", "version": 1.5}),
    )
    .unwrap_err();
    assert_eq!(
        problems,
        ["Argument 'version' must be an integer, not a number with a fraction."]
    );
}

#[test]
fn null_counts_as_absent() {
    let api = ok(
        "commercetools_customers_get_by_key",
        json!({"key": "jo", "expand": null}),
    );
    assert!(api.query.is_empty());
    let problems = call("commercetools_customers_get_by_key", json!({"key": null})).unwrap_err();
    assert_eq!(problems, ["Missing required argument 'key' (a string)."]);
}

#[test]
fn unknown_arguments_are_refused_not_forwarded() {
    let problems = call(
        "commercetools_customers_get_by_key",
        json!({"key": "jo", "storeKey": "s1"}),
    )
    .unwrap_err();
    assert_eq!(
        problems,
        ["Unknown argument 'storeKey'. Known arguments: key, expand."]
    );
}

/// Hostile values for a whole-segment id: each must be refused or stay one encoded segment.
const HOSTILE: &[&str] = &[
    "a/b",
    "../admin",
    "..",
    ".",
    "a?x",
    "a#frag",
    "a%2Fb",
    "%2e%2e",
    "a b",
    "a\nb",
    "key=jo",
    "password-token=t",
    "email-token=t",
    "password",
    "search",
    "in-store",
    "a&version=1",
    "\\..\\",
    "ü/é",
];

/// Checks that `path` has the template's shape: same segment count, same fixed segments,
/// and every filled segment free of `/`, `?`, `#` and raw `..`.
fn assert_shape(template: &str, path: &str) {
    let fixed: Vec<&str> = template.split('/').collect();
    let built: Vec<&str> = path.split('/').collect();
    assert_eq!(
        fixed.len(),
        built.len(),
        "{path} keeps the shape of {template}"
    );
    for (want, got) in fixed.iter().zip(&built) {
        match want.find('{') {
            None => assert_eq!(want, got),
            Some(open) => {
                assert!(got.starts_with(&want[..open]), "{got} keeps its prefix");
                let filled = &got[open..];
                assert!(
                    !filled.contains(['?', '#', '=', ' ']),
                    "{filled} is encoded"
                );
                assert!(*got != "." && *got != "..", "{got} is no dot segment");
            }
        }
    }
}

#[test]
fn hostile_ids_never_change_the_path_shape() {
    for tool in TOOLS {
        let Some(segment) = tool.params.iter().find(|p| in_path(tool, p.name)) else {
            continue;
        };
        for evil in HOSTILE {
            let mut arguments = serde_json::Map::new();
            for param in tool.params.iter().filter(|p| p.required) {
                let value = match param.ty {
                    Type::Integer => json!(1),
                    Type::ObjectArray => json!([]),
                    _ => json!("ok"),
                };
                arguments.insert(param.name.to_string(), value);
            }
            arguments.insert(segment.name.to_string(), json!(evil));
            if let Ok(api) = build(tool, &arguments) {
                assert_shape(tool.path, &api.path);
            }
        }
    }
}

#[test]
fn ids_that_would_address_another_endpoint_are_refused() {
    for evil in [
        "..",
        ".",
        "key=jo",
        "password",
        "search",
        "email-token=t",
        "",
    ] {
        let problems = call(
            "commercetools_customers_update_customers_by_id",
            json!({"ID": evil, "version": 1, "actions": []}),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1, "{evil:?} is refused once");
        assert!(problems[0].starts_with("Argument 'ID'"), "{problems:?}");
    }
    let problems = call(
        "commercetools_customers_get_business_units_associates_by_business_unit_id_and_associate_id",
        json!({"businessUnitId": "key=acme", "associateId": ".."}),
    )
    .unwrap_err();
    assert_eq!(problems.len(), 2);
}

#[test]
fn slashes_and_query_characters_are_encoded_inside_one_segment() {
    let api = ok(
        "commercetools_customers_get_by_id",
        json!({"ID": "a/../b?x#y"}),
    );
    assert_eq!(api.path, "/customers/a%2F..%2Fb%3Fx%23y");
    let api = ok(
        "commercetools_customers_get_by_key",
        json!({"key": "../../oauth/token"}),
    );
    assert_eq!(api.path, "/customers/key=..%2F..%2Foauth%2Ftoken");
    let api = ok(
        "commercetools_customers_get_by_key",
        json!({"key": "a=b&c"}),
    );
    assert_eq!(api.path, "/customers/key=a%3Db%26c");
    let api = ok("commercetools_customers_get_by_id", json!({"ID": "%2F"}));
    assert_eq!(api.path, "/customers/%252F");
}

#[test]
fn keys_decode_back_to_the_argument_through_the_router() {
    use crate::http::route::{match_path, Route, Target};
    for key in ["a/b", "..", "key=x", "ü é", "%41"] {
        let api = ok("commercetools_customers_get_by_key", json!({"key": key}));
        let route = match_path(&format!("/p{}", api.path));
        let Some(Route::Customer { target, .. }) = route else {
            panic!("{key:?} routes to one customer: {route:?}");
        };
        assert_eq!(target, Target::Key(key.to_string()));
    }
    let api = ok("commercetools_customers_get_by_id", json!({"ID": "a/b c"}));
    let route = match_path(&format!("/p{}", api.path));
    assert!(matches!(route, Some(Route::Customer { target: Target::Id(id), .. }) if id == "a/b c"));
}

#[test]
fn query_values_with_separators_stay_one_value() {
    let api = ok(
        "commercetools_customers_list_customers",
        json!({"where": ["a=1&limit=500"]}),
    );
    assert_eq!(api.target(), "/customers?where=a%3D1%26limit%3D500");
}
