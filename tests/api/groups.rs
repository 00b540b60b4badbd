//! Customer groups: create, get / HEAD by id and key, query, the four update actions, delete
//! with the version; unique names and keys; custom fields checked against their type; the
//! reference from a customer that keeps a group from being deleted (also while both race);
//! `expand` of the groups a customer points at; the per-project limit.

use std::sync::{Arc, Barrier};

use serde_json::{json, Value};

use crate::support::{encode, id_of, unique, unique_email, App, OTHER_ADMIN};

tests!(groups;
    create_get_head_query_and_delete,
    names_and_keys_are_unique,
    bad_drafts_and_updates_are_refused_whole,
    custom_fields_follow_their_type,
    a_group_in_use_cannot_be_deleted,
    a_customer_and_the_deletion_of_its_group_race_without_a_dangling_reference,
    customers_expand_their_groups_and_types,
    group_scopes_are_their_own,
    ; serial: group_messages_are_the_custom_field_ones,
    at_most_1000_groups_per_project,
);

fn create_group(app: &App, draft: &Value) -> Value {
    let reply = app.post("/demo/customer-groups", app.admin(), draft);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

fn group_path(group: &Value) -> String {
    format!("/demo/customer-groups/{}", id_of(group))
}

fn create_get_head_query_and_delete(app: &App) {
    let key = unique("grp");
    let name = format!("Gold {key}");
    let group = create_group(app, &json!({"groupName": name, "key": key}));
    assert_eq!(group["name"], name.as_str());
    assert_eq!(group["key"], key.as_str());
    assert_eq!(group["version"], 1);
    assert_eq!(group["createdAt"], group["lastModifiedAt"]);
    assert_eq!(group["createdBy"]["clientId"], "demo-admin");
    assert!(group.get("groupName").is_none(), "{group}");
    let by_id = app.get(&group_path(&group), app.admin());
    assert_eq!(by_id.json, group);
    let by_key = app.get(&format!("/demo/customer-groups/key={key}"), app.admin());
    assert_eq!(by_key.json, group);
    assert_eq!(app.head(&group_path(&group), app.admin()).status, 200);
    let missing = app.get("/demo/customer-groups/key=no-such-group", app.admin());
    missing.assert_error(404, "ResourceNotFound");
    assert_eq!(
        app.head("/demo/customer-groups/no-such-id", app.admin())
            .status,
        404
    );
    // Query by name, HEAD by predicate.
    let where_ = encode(&format!("name = \"{name}\""));
    let page = app.get(
        &format!("/demo/customer-groups?where={where_}&withTotal=true"),
        app.admin(),
    );
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["count"], 1);
    assert_eq!(page.json["total"], 1);
    assert_eq!(page.json["results"][0], group);
    let head = app.head(
        &format!("/demo/customer-groups?where={where_}"),
        app.admin(),
    );
    assert_eq!(head.status, 200);
    let nobody = encode(&format!("name = \"{name}-nobody\""));
    let head = app.head(
        &format!("/demo/customer-groups?where={nobody}"),
        app.admin(),
    );
    assert_eq!(head.status, 404);
    // Update: changeName and setKey.
    let new_key = unique("grp2");
    let updated = app.update(
        &group_path(&group),
        app.admin(),
        1,
        json!([
            {"action": "changeName", "name": format!("{name} Plus")},
            {"action": "setKey", "key": new_key}
        ]),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["version"], 3);
    assert_eq!(updated.json["name"], format!("{name} Plus"));
    let by_new_key = app.get(&format!("/demo/customer-groups/key={new_key}"), app.admin());
    assert_eq!(by_new_key.json, updated.json);
    app.get(&format!("/demo/customer-groups/key={key}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    // setKey without a key removes it.
    let unkeyed = app.update(
        &group_path(&group),
        app.admin(),
        3,
        json!([{"action": "setKey"}]),
    );
    assert_eq!(unkeyed.status, 200, "{}", unkeyed.text);
    assert!(unkeyed.json.get("key").is_none());
    // Delete: the version is required and checked; the answer is the deleted group.
    app.delete(&group_path(&group), app.admin())
        .assert_error(400, "InvalidInput");
    app.delete(&format!("{}?version=1", group_path(&group)), app.admin())
        .assert_error(409, "ConcurrentModification");
    let deleted = app.delete(&format!("{}?version=4", group_path(&group)), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json, unkeyed.json);
    app.get(&group_path(&group), app.admin())
        .assert_error(404, "ResourceNotFound");
    // Delete by key.
    let other_key = unique("grp3");
    create_group(app, &json!({"groupName": other_key, "key": other_key}));
    let deleted = app.delete(
        &format!("/demo/customer-groups/key={other_key}?version=1"),
        app.admin(),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text);
}

fn names_and_keys_are_unique(app: &App) {
    let key = unique("dupgrp");
    let group = create_group(app, &json!({"groupName": key, "key": key}));
    let same_name = app.post(
        "/demo/customer-groups",
        app.admin(),
        &json!({"groupName": key}),
    );
    let error = same_name.assert_error(400, "DuplicateField");
    assert_eq!(error["field"], "name");
    assert_eq!(error["duplicateValue"], key.as_str());
    let same_key = app.post(
        "/demo/customer-groups",
        app.admin(),
        &json!({"groupName": format!("{key}-b"), "key": key}),
    );
    assert_eq!(same_key.assert_error(400, "DuplicateField")["field"], "key");
    // Renaming another group onto the name is refused too.
    let other = create_group(app, &json!({"groupName": format!("{key}-c")}));
    app.update(
        &group_path(&other),
        app.admin(),
        1,
        json!([{"action": "changeName", "name": key}]),
    )
    .assert_error(400, "DuplicateField");
    // Names of another project are another matter.
    let other_token = app.token(OTHER_ADMIN, None);
    let reply = app.post(
        "/other/customer-groups",
        &other_token,
        &json!({"groupName": key, "key": key}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    // A token of one project cannot see another's groups.
    app.get(&group_path(&group), &other_token)
        .assert_error(403, "insufficient_scope");
}

fn bad_drafts_and_updates_are_refused_whole(app: &App) {
    let post = |body: &[u8]| app.post_raw("/demo/customer-groups", app.admin(), body);
    post(b"{").assert_error(400, "InvalidJsonInput");
    post(b"{}").assert_error(400, "InvalidJsonInput");
    post(br#"{"groupName": 7}"#).assert_error(400, "InvalidJsonInput");
    post(br#"{"groupName": "   "}"#).assert_error(400, "InvalidField");
    let long = json!({"groupName": "n".repeat(257)}).to_string();
    post(long.as_bytes()).assert_error(400, "InvalidField");
    post(br#"{"groupName": "ok name", "key": "no spaces"}"#).assert_error(400, "InvalidField");
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let deep = format!(r#"{{"groupName": "x", "key": {deep}}}"#);
    post(deep.as_bytes()).assert_error(400, "InvalidJsonInput");
    let key = unique("badgrp");
    let group = create_group(app, &json!({"groupName": key, "key": key}));
    let path = group_path(&group);
    let cases = [
        (
            json!([{"action": "changeName", "name": "x"}, {"action": "fly"}]),
            "InvalidJsonInput",
        ),
        (json!([{"action": "changeName"}]), "InvalidJsonInput"),
        (
            json!([{"action": "changeName", "name": "x"}, {"action": "setKey", "key": "!"}]),
            "InvalidField",
        ),
        (
            json!([{"action": "setCustomField", "name": "f", "value": 1}]),
            "InvalidOperation",
        ),
    ];
    for (actions, code) in cases {
        app.update(&path, app.admin(), 1, actions)
            .assert_error(400, code);
    }
    app.update(&path, app.admin(), 7, json!([]))
        .assert_error(409, "ConcurrentModification");
    app.post_raw(&path, app.admin(), b"[]")
        .assert_error(400, "InvalidJsonInput");
    assert_eq!(
        app.get(&path, app.admin()).json,
        group,
        "nothing was written"
    );
}

fn custom_fields_follow_their_type(app: &App) {
    let type_key = "g-fields";
    app.ensure_type(
        type_key,
        &["customer-group"],
        &[
            ("tier", json!({"name": "Number"})),
            ("since", json!({"name": "DateTime"})),
        ],
    );
    app.ensure_type("g-customer-only", &["customer"], &[]);
    let key = unique("cfgrp");
    let create = |custom: Value| {
        app.post(
            "/demo/customer-groups",
            app.admin(),
            &json!({"groupName": unique("cf"), "custom": custom}),
        )
    };
    let wrong = create(json!({"type": {"key": type_key}, "fields": {"tier": "high"}}));
    assert_eq!(
        wrong.assert_error(400, "InvalidField")["field"],
        "custom.fields.tier"
    );
    create(json!({"type": {"key": "g-customer-only"}})).assert_error(400, "InvalidOperation");
    create(json!({"type": {"key": "g-no-such-type"}}))
        .assert_error(400, "ReferencedResourceNotFound");
    let group = create_group(
        app,
        &json!({"groupName": key, "key": key,
                "custom": {"type": {"key": type_key, "typeId": "type"},
                           "fields": {"tier": 2, "since": "2026-01-02T03:04:05+01:00"}}}),
    );
    let type_id = app
        .get(&format!("/demo/types/key={type_key}"), app.admin())
        .json["id"]
        .clone();
    assert_eq!(
        group["custom"]["type"],
        json!({"typeId": "type", "id": type_id})
    );
    assert_eq!(
        group["custom"]["fields"]["since"],
        "2026-01-02T02:04:05.000Z"
    );
    let path = group_path(&group);
    app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setCustomField", "name": "nope", "value": 1}]),
    )
    .assert_error(400, "InvalidField");
    let updated = app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setCustomField", "name": "tier", "value": 3},
               {"action": "setCustomField", "name": "since"}]),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["custom"]["fields"], json!({"tier": 3}));
    let cleared = app.update(&path, app.admin(), 3, json!([{"action": "setCustomType"}]));
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(cleared.json.get("custom").is_none());
}

fn a_group_in_use_cannot_be_deleted(app: &App) {
    let key = unique("inuse");
    let group = create_group(app, &json!({"groupName": key, "key": key}));
    let customer = app.create_customer(&json!({
        "email": unique_email("inuse"), "password": "x",
        "customerGroup": {"key": key, "typeId": "customer-group"}
    }));
    assert_eq!(
        customer["customerGroup"],
        json!({"typeId": "customer-group", "id": id_of(&group)})
    );
    let path = format!("{}?version=1", group_path(&group));
    app.delete(&path, app.admin())
        .assert_error(400, "ReferenceExists");
    // The customer lets go of the group as its group but keeps it as an assignment.
    let customer_path = format!("/demo/customers/{}", id_of(&customer));
    let reply = app.update(
        &customer_path,
        app.admin(),
        1,
        json!([
            {"action": "setCustomerGroup"},
            {"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"id": id_of(&group)}}}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.delete(&path, app.admin())
        .assert_error(400, "ReferenceExists");
    let reply = app.update(
        &customer_path,
        app.admin(),
        3,
        json!([{"action": "setCustomerGroupAssignments", "customerGroupAssignments": []}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let deleted = app.delete(&path, app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    // A deleted customer holds nothing either.
    let key = unique("inuse2");
    let group = create_group(app, &json!({"groupName": key, "key": key}));
    let customer = app.create_customer(&json!({
        "email": unique_email("inuse2"), "password": "x",
        "customerGroupAssignments": [{"customerGroup": {"key": key}}]
    }));
    let reply = app.delete(
        &format!("/demo/customers/{}?version=1", id_of(&customer)),
        app.admin(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let deleted = app.delete(&format!("{}?version=1", group_path(&group)), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    // Nobody may point at it now.
    let reply = app.post(
        "/demo/customers",
        app.admin(),
        &json!({"email": unique_email("late"), "password": "x", "customerGroup": {"id": id_of(&group)}}),
    );
    assert_eq!(
        reply.assert_error(400, "ReferencedResourceNotFound")["typeId"],
        "customer-group"
    );
}

/// A customer created with group G while G is deleted: either the customer exists and G
/// too (the delete was refused), or G is gone and the create was refused — never a customer
/// pointing at nothing.
fn a_customer_and_the_deletion_of_its_group_race_without_a_dangling_reference(app: &App) {
    let mut outcomes = (0, 0);
    for round in 0..12 {
        let key = unique(&format!("race{round}"));
        let group = create_group(app, &json!({"groupName": key, "key": key}));
        let barrier = Arc::new(Barrier::new(2));
        let (customer, deletion) = std::thread::scope(|s| {
            let b = Arc::clone(&barrier);
            let email = unique_email("race");
            let group_id = id_of(&group).to_string();
            let create = s.spawn(move || {
                b.wait();
                app.post(
                    "/demo/customers",
                    app.admin(),
                    &json!({"email": email, "password": "x", "customerGroup": {"id": group_id}}),
                )
            });
            let b = Arc::clone(&barrier);
            let path = format!("{}?version=1", group_path(&group));
            let delete = s.spawn(move || {
                b.wait();
                app.delete(&path, app.admin())
            });
            (create.join().unwrap(), delete.join().unwrap())
        });
        let group_exists = app.get(&group_path(&group), app.admin()).status == 200;
        match (customer.status, deletion.status) {
            (201, 400) => {
                deletion.assert_error(400, "ReferenceExists");
                assert!(group_exists);
                let stored = app.get(
                    &format!("/demo/customers/{}", id_of(&customer.json["customer"])),
                    app.admin(),
                );
                assert_eq!(stored.json["customerGroup"]["id"], id_of(&group));
                outcomes.0 += 1;
            }
            (400, 200) => {
                customer.assert_error(400, "ReferencedResourceNotFound");
                assert!(!group_exists);
                outcomes.1 += 1;
            }
            other => panic!(
                "round {round}: {other:?}: {} / {}",
                customer.text, deletion.text
            ),
        }
    }
    eprintln!("race outcomes (customer first, deletion first): {outcomes:?}");
}

fn customers_expand_their_groups_and_types(app: &App) {
    let type_id = app.ensure_type(
        "g-expand",
        &["customer"],
        &[("n", json!({"name": "Number"}))],
    );
    let key = unique("exp");
    let gold = create_group(app, &json!({"groupName": key, "key": key}));
    let vip_key = unique("expvip");
    let vip = create_group(app, &json!({"groupName": vip_key, "key": vip_key}));
    let marker = unique("expand");
    let draft = json!({
        "email": unique_email("expand"), "password": "x", "companyName": marker,
        "customerGroup": {"id": id_of(&gold)},
        "customerGroupAssignments": [{"customerGroup": {"key": vip_key}}],
        "custom": {"type": {"key": "g-expand"}, "fields": {"n": 1}}
    });
    let created = app.post(
        "/demo/customers?expand=customerGroup&expand=custom.type",
        app.admin(),
        &draft,
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let c = &created.json["customer"];
    assert_eq!(c["customerGroup"]["obj"], gold);
    assert_eq!(c["custom"]["type"]["obj"]["key"], "g-expand");
    assert_eq!(c["custom"]["type"]["id"], type_id.as_str());
    assert!(c["customerGroupAssignments"][0]["customerGroup"]
        .get("obj")
        .is_none());
    let path = format!("/demo/customers/{}", id_of(c));
    // Plain reads do not expand; every path asked for is; a path that leads nowhere is ignored.
    let plain = app.get(&path, app.admin());
    assert!(plain.json["customerGroup"].get("obj").is_none());
    let expand_all = "expand=customerGroup&expand=customerGroupAssignments%5B*%5D.customerGroup&expand=custom.type&expand=nothing.here&expand=%5B%5D";
    let got = app.get(&format!("{path}?{expand_all}"), app.admin());
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["customerGroup"]["obj"], gold);
    assert_eq!(
        got.json["customerGroupAssignments"][0]["customerGroup"]["obj"],
        vip
    );
    assert_eq!(got.json["custom"]["type"]["obj"]["id"], type_id.as_str());
    // Query, update and delete answers expand too.
    let where_ = encode(&format!("companyName = \"{marker}\""));
    let page = app.get(
        &format!("/demo/customers?where={where_}&{expand_all}"),
        app.admin(),
    );
    assert_eq!(page.json["results"][0], got.json);
    let updated = app.post(
        &format!("{path}?expand=customerGroup"),
        app.admin(),
        &json!({"version": 1, "actions": [{"action": "setFirstName", "firstName": "E"}]}),
    );
    assert_eq!(updated.json["customerGroup"]["obj"], gold);
    let deleted = app.delete(
        &format!("{path}?version=2&expand=customerGroup"),
        app.admin(),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["customerGroup"]["obj"], gold);
    // Groups expand their own custom type.
    let group = app.get(
        &format!("{}?expand=custom.type", group_path(&gold)),
        app.admin(),
    );
    assert!(group.json.get("custom").is_none());
    assert_eq!(group.json, gold);
}

fn group_messages_are_the_custom_field_ones(app: &App) {
    app.ensure_type(
        "g-msg",
        &["customer-group"],
        &[("a", json!({"name": "String"}))],
    );
    let key = unique("msg");
    let group = create_group(app, &json!({"groupName": key, "key": key}));
    let reply = app.update(
        &group_path(&group),
        app.admin(),
        1,
        json!([
            {"action": "changeName", "name": format!("{key}-renamed")},
            {"action": "setKey", "key": format!("{key}-rekeyed")},
            {"action": "setCustomType", "type": {"key": "g-msg"}, "fields": {"a": "1"}},
            {"action": "setCustomField", "name": "a", "value": "2"},
            {"action": "setCustomField", "name": "a"},
            {"action": "setCustomField", "name": "a", "value": "3"},
            {"action": "setCustomType"}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let messages = app.messages_of(id_of(&group));
    let kinds: Vec<&str> = messages.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "CustomerGroupCustomTypeSet",
            "CustomerGroupCustomFieldChanged",
            "CustomerGroupCustomFieldRemoved",
            "CustomerGroupCustomFieldAdded",
            "CustomerGroupCustomTypeRemoved",
        ]
    );
    let changed = &messages[1].doc;
    assert_eq!(changed["name"], "a");
    assert_eq!(changed["value"], "2");
    assert_eq!(changed["oldValue"], "1");
    assert_eq!(changed["resource"]["typeId"], "customer-group");
    assert_eq!(messages[0].doc["customFields"]["fields"]["a"], "1");
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m.sequence, i as i64 + 1);
        // The version rule: each message carries the version its action produced
        // (changeName → 2, setKey → 3, then one per message-making action).
        assert_eq!(m.resource_version, i as i64 + 4, "{:?}", m.doc);
    }
}

/// The 1001st group of a project is refused. The project `other` is filled up to the limit in
/// D1 directly (1000 creates over HTTP would only slow the suite), then emptied again.
fn at_most_1000_groups_per_project(app: &App) {
    let existing = app
        .d1_query("SELECT COUNT(*) AS n FROM customer_groups WHERE project = 'other'")[0]["n"]
        .as_u64()
        .unwrap();
    app.d1_query(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         INSERT INTO customer_groups (project, id, version, key, name, created_at, last_modified_at, doc) \
         SELECT 'other', 'filler-' || i, 1, 'filler-' || i, 'filler-' || i, \
                '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{{}}' FROM n",
        1000 - existing
    ));
    let token = app.token(OTHER_ADMIN, None);
    let reply = app.post(
        "/other/customer-groups",
        &token,
        &json!({"groupName": unique("one-too-many")}),
    );
    let error = reply.assert_error(400, "MaxResourceLimitExceeded");
    assert_eq!(error["exceededResource"], "customer-group");
    assert!(
        reply.json["message"].as_str().unwrap().contains("1000"),
        "{}",
        reply.text
    );
    app.d1_query("DELETE FROM customer_groups WHERE project = 'other' AND id LIKE 'filler-%'");
    let reply = app.post(
        "/other/customer-groups",
        &token,
        &json!({"groupName": unique("fits")}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn group_scopes_are_their_own(app: &App) {
    let key = unique("scoped");
    let group = create_group(app, &json!({"groupName": key, "key": key}));
    let path = group_path(&group);
    let viewer = app.token(crate::support::ADMIN, Some("view_customer_groups:demo"));
    assert_eq!(app.get(&path, &viewer).status, 200);
    assert_eq!(
        app.get("/demo/customer-groups?limit=1", &viewer).status,
        200
    );
    app.update(&path, &viewer, 1, json!([]))
        .assert_error(403, "insufficient_scope");
    app.post(
        "/demo/customer-groups",
        &viewer,
        &json!({"groupName": unique("v")}),
    )
    .assert_error(403, "insufficient_scope");
    // As in commercetools, customer scopes reach customer groups too; type scopes do not.
    let customer_viewer = app.token(crate::support::ADMIN, Some("view_customers:demo"));
    assert_eq!(app.get(&path, &customer_viewer).status, 200);
    app.post(
        "/demo/customer-groups",
        &customer_viewer,
        &json!({"groupName": unique("cv")}),
    )
    .assert_error(403, "insufficient_scope");
    let types_only = app.token(crate::support::ADMIN, Some("manage_types:demo"));
    app.get(&path, &types_only)
        .assert_error(403, "insufficient_scope");
    let manager = app.token(crate::support::ADMIN, Some("manage_customer_groups:demo"));
    let renamed = unique("renamed");
    let reply = app.update(
        &path,
        &manager,
        1,
        json!([{"action": "changeName", "name": renamed}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["name"], renamed.as_str());
    app.get("/demo/types", &manager)
        .assert_error(403, "insufficient_scope");
    let reply = app.delete(&format!("{path}?version=2"), &manager);
    assert_eq!(reply.status, 200, "{}", reply.text);
}
