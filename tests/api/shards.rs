//! Customers spread over several D1 databases (`API_TEST_CONFIG=sharded`, docs/scale.md): a
//! write that fails in its shard leaves no half-written customer (the catalog's claims are
//! undone), and a query merges the shards' answers in order. The merge test runs in both
//! configurations; the failure test needs the sharded one (its failing write is configured
//! there only).

use serde_json::{json, Value};

use crate::support::{sharded, unique, unique_email, App, FAIL_SHARD_WRITE};

tests!(shards;
    a_create_failing_in_its_shard_leaves_no_claims,
    an_update_failing_in_its_shard_changes_nothing,
    a_page_merges_the_shards_in_order,
);

fn a_create_failing_in_its_shard_leaves_no_claims(app: &App) {
    if !sharded() {
        return;
    }
    let email = unique_email("half");
    let key = unique(&format!("{FAIL_SHARD_WRITE}-k"));
    let number = unique("half-n");
    let draft = json!({"email": email, "key": key, "customerNumber": number, "password": "x"});
    let reply = app.post("/demo/customers", app.admin(), &draft);
    assert_eq!(reply.status, 500, "{}", reply.text);
    // No customer anywhere: not by key, not by email.
    assert_eq!(
        app.get(&format!("/demo/customers/key={key}"), app.admin())
            .status,
        404
    );
    let by_email = format!("/demo/customers?where=lowercaseEmail%3D%22{email}%22");
    assert_eq!(app.get(&by_email, app.admin()).json["total"], 0);
    // Its email and customer number are free again.
    let again = json!({"email": email, "customerNumber": number, "password": "x"});
    let reply = app.post("/demo/customers", app.admin(), &again);
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn an_update_failing_in_its_shard_changes_nothing(app: &App) {
    if !sharded() {
        return;
    }
    let (email, key) = (unique_email("kept"), unique("kept"));
    let created = app.create_customer(&json!({"email": email, "key": key, "password": "x"}));
    let id = created["id"].as_str().unwrap().to_string();
    let new_email = unique_email("moved");
    let actions = json!([
        {"action": "changeEmail", "email": new_email},
        {"action": "setKey", "key": unique(&format!("{FAIL_SHARD_WRITE}-k"))},
    ]);
    let reply = app.update(&format!("/demo/customers/{id}"), app.admin(), 1, actions);
    assert_eq!(reply.status, 500, "{}", reply.text);
    let now = app
        .get(&format!("/demo/customers/key={key}"), app.admin())
        .json;
    assert_eq!(
        (now["id"].as_str(), now["version"].as_u64()),
        (Some(&*id), Some(1))
    );
    assert_eq!(now["email"], email.as_str());
    // The new email was not kept; the old one still is.
    let other = json!({"email": new_email, "password": "x"});
    assert_eq!(app.post("/demo/customers", app.admin(), &other).status, 201);
    let same = json!({"email": email, "password": "x"});
    let reply = app.post("/demo/customers", app.admin(), &same);
    reply.assert_error(400, "DuplicateField");
    // And the customer still takes a good update.
    let actions = json!([{"action": "setFirstName", "firstName": "Still"}]);
    let reply = app.update(&format!("/demo/customers/{id}"), app.admin(), 1, actions);
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn a_page_merges_the_shards_in_order(app: &App) {
    let tag = unique("merge");
    let mut ids = Vec::new();
    for i in 0..12 {
        let draft = json!({"email": unique_email("m"), "authenticationMode": "ExternalAuth", "lastName": tag, "firstName": format!("f{:02}", i % 5)});
        ids.push(
            app.create_customer(&draft)["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let page = |params: &str| -> Value {
        let path = format!("/demo/customers?where=lastName%3D%22{tag}%22&{params}");
        let reply = app.get(&path, app.admin());
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json
    };
    let all = page("sort=firstName+desc&limit=12");
    assert_eq!(all["total"], 12);
    let order: Vec<(String, String)> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["firstName"].as_str().unwrap().into(),
                c["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut expected = order.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, expected);
    let window = page("sort=firstName+desc&limit=4&offset=5&withTotal=false");
    let ids_of = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().into())
            .collect()
    };
    let expected: Vec<String> = order[5..9].iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids_of(&window), expected);
    assert!(window.get("total").is_none());
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(ids_of(&page("limit=12")), sorted_ids, "without sort: by id");
}
