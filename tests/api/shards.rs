//! Customers spread over several D1 databases (`API_TEST_CONFIG=sharded`, docs/scale.md): a
//! write that fails in its shard leaves no half-written customer (the catalog's claims are
//! undone), and a query merges the shards' answers in order. The merge test runs in both
//! configurations; the failure tests need the sharded one (their failing write is configured
//! there only), as does the orphan sweep's (a write whose Worker died between its parts).

use serde_json::{json, Value};

use crate::support::{sharded, unique, unique_email, App, FAIL_SHARD_WRITE, LOSE_SHARD_WRITE};

tests!(shards;
    a_create_failing_in_its_shard_leaves_no_claims,
    an_update_failing_in_its_shard_changes_nothing,
    a_page_merges_the_shards_in_order,
    the_sweep_repairs_writes_abandoned_between_their_parts,
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

/// An hour ago on the Worker's test clock: older than the sweep's age (15 minutes), so the
/// writes of the tests running beside this one (at the present time) are never swept.
const AN_HOUR_AGO: &str = "-3600000";

/// A POST an hour ago, as admin.
fn post_an_hour_ago(app: &App, path: &str, body: &Value) -> crate::support::Reply {
    let auth = format!("Bearer {}", app.admin());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("X-Test-Clock-Offset-Ms", AN_HOUR_AGO),
    ];
    app.send("POST", path, &headers, Some(body.to_string().as_bytes()))
}

fn the_sweep_repairs_writes_abandoned_between_their_parts(app: &App) {
    if !sharded() {
        return;
    }
    // A create whose shard part is lost (its Worker "died"): the email stays taken, by nobody.
    let (lost_email, lost_key) = (
        unique_email("orphan"),
        unique(&format!("{LOSE_SHARD_WRITE}-k")),
    );
    let draft = json!({"email": lost_email, "key": lost_key, "password": "x"});
    assert_eq!(post_an_hour_ago(app, "/demo/customers", &draft).status, 500);
    let same = json!({"email": lost_email, "password": "x"});
    app.post("/demo/customers", app.admin(), &same)
        .assert_error(400, "DuplicateField");
    let by_key = format!("/demo/customers/key={lost_key}");
    assert_eq!(app.get(&by_key, app.admin()).status, 404);

    // An update changing email and key whose shard part is lost: the catalog says the new
    // values, the customer (its shard row) still has the old ones.
    let (old_email, old_key) = (unique_email("stale"), unique("stale"));
    let created = post_an_hour_ago(
        app,
        "/demo/customers",
        &json!({"email": old_email, "key": old_key, "password": "x"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["customer"]["id"].as_str().unwrap().to_string();
    let new_email = unique_email("stale-new");
    let actions = json!([
        {"action": "changeEmail", "email": new_email},
        {"action": "setKey", "key": unique(&format!("{LOSE_SHARD_WRITE}-k"))},
    ]);
    let update = json!({"version": 1, "actions": actions});
    let path = format!("/demo/customers/{id}");
    assert_eq!(post_an_hour_ago(app, &path, &update).status, 500);
    let taken = json!({"email": new_email, "password": "x"});
    app.post("/demo/customers", app.admin(), &taken)
        .assert_error(400, "DuplicateField");
    assert_eq!(
        app.get(&format!("/demo/customers/key={old_key}"), app.admin())
            .status,
        404
    );
    // What the update released stays held for the customer meanwhile: no other customer takes
    // its old email or key (else its catalog could never be given back).
    let old_values = json!({"email": old_email, "password": "x"});
    app.post("/demo/customers", app.admin(), &old_values)
        .assert_error(400, "DuplicateField");
    let old_key_taken = json!({"email": unique_email("other"), "key": old_key, "password": "x"});
    app.post("/demo/customers", app.admin(), &old_key_taken)
        .assert_error(400, "DuplicateField");

    let ran = app.send("GET", "/__scheduled?cron=17+*+*+*+*", &[], None);
    assert_eq!(ran.status, 200, "{}", ran.text);

    // The orphan is gone: its email is free again, its key unknown.
    assert_eq!(app.post("/demo/customers", app.admin(), &same).status, 201);
    assert_eq!(app.get(&by_key, app.admin()).status, 404);
    // The stale catalog follows the customer again: the new email is free, the old one and the
    // old key are the customer's.
    assert_eq!(app.post("/demo/customers", app.admin(), &taken).status, 201);
    let again = json!({"email": old_email, "password": "x"});
    app.post("/demo/customers", app.admin(), &again)
        .assert_error(400, "DuplicateField");
    let now = app.get(&format!("/demo/customers/key={old_key}"), app.admin());
    assert_eq!(now.status, 200, "{}", now.text);
    assert_eq!(
        (now.json["id"].as_str(), now.json["version"].as_u64()),
        (Some(&*id), Some(1))
    );
}
