//! Associate roles: create (defaults, permissions as a set), get / HEAD by id and key, query
//! and HEAD by predicate, the seven update actions and their messages, delete with the
//! version (and its message), unique keys, bad input of every kind, and the scopes
//! `view_associate_roles` / `manage_associate_roles`.

use serde_json::{json, Value};

use crate::support::{encode, id_of, unique, App, ADMIN, OTHER_ADMIN, VIEWER};

tests!(associate_roles;
    create_get_head_query_and_delete,
    every_update_action,
    keys_are_unique_and_immutable,
    bad_input_is_refused_whole,
    custom_fields_follow_their_type,
    scopes_decide_who_reads_and_writes,
    ; serial: role_messages_follow_every_change,
);

/// Creates a role as admin; panics unless 201.
#[track_caller]
pub fn create_role(app: &App, draft: &Value) -> Value {
    let reply = app.post("/demo/associate-roles", app.admin(), draft);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

fn role_path(role: &Value) -> String {
    format!("/demo/associate-roles/{}", id_of(role))
}

fn create_get_head_query_and_delete(app: &App) {
    let key = unique("role");
    let role = create_role(app, &json!({"key": key}));
    assert_eq!(role["key"], key.as_str());
    assert_eq!(role["version"], 1);
    assert_eq!(role["buyerAssignable"], true, "the default");
    assert_eq!(role["permissions"], json!([]));
    assert!(role.get("name").is_none(), "{role}");
    assert_eq!(role["createdBy"]["clientId"], "demo-admin");
    let full = create_role(
        app,
        &json!({"key": format!("{key}-full"), "name": "Buyer", "buyerAssignable": false,
                "permissions": ["ViewMyCarts", "CreateMyCarts", "ViewMyCarts"]}),
    );
    assert_eq!(full["buyerAssignable"], false);
    assert_eq!(full["name"], "Buyer");
    assert_eq!(
        full["permissions"],
        json!(["ViewMyCarts", "CreateMyCarts"]),
        "a set"
    );
    assert_eq!(app.get(&role_path(&role), app.admin()).json, role);
    let by_key = app.get(&format!("/demo/associate-roles/key={key}"), app.admin());
    assert_eq!(by_key.json, role);
    assert_eq!(app.head(&role_path(&role), app.admin()).status, 200);
    let head_key = app.head(&format!("/demo/associate-roles/key={key}"), app.admin());
    assert_eq!(head_key.status, 200);
    app.get("/demo/associate-roles/key=no-such-role", app.admin())
        .assert_error(404, "ResourceNotFound");
    assert_eq!(
        app.head("/demo/associate-roles/no-such-id", app.admin())
            .status,
        404
    );
    // Queries: by key, by permission, sorted, paged; HEAD by predicate.
    let where_ = encode(&format!("key = \"{key}\" or key = \"{key}-full\""));
    let page = app.get(
        &format!("/demo/associate-roles?where={where_}&sort=key+desc&withTotal=true"),
        app.admin(),
    );
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["total"], 2);
    assert_eq!(page.json["results"][0], full);
    assert_eq!(page.json["results"][1], role);
    let paged = app.get(
        &format!(
            "/demo/associate-roles?where={where_}&sort=key+asc&limit=1&offset=1&withTotal=false"
        ),
        app.admin(),
    );
    assert_eq!(paged.json["count"], 1);
    assert!(paged.json.get("total").is_none());
    assert_eq!(paged.json["results"][0], full);
    let by_var = app.get(
        &format!(
            "/demo/associate-roles?where={}&var.k={key}-full",
            encode("key = :k and permissions contains any (\"CreateMyCarts\") and buyerAssignable = false")
        ),
        app.admin(),
    );
    assert_eq!(by_var.json["results"], json!([full]), "{}", by_var.text);
    let head = app.head(
        &format!("/demo/associate-roles?where={where_}"),
        app.admin(),
    );
    assert_eq!(head.status, 200);
    let nobody = encode(&format!("key = \"{key}-nobody\""));
    let head = app.head(
        &format!("/demo/associate-roles?where={nobody}"),
        app.admin(),
    );
    assert_eq!(head.status, 404);
    app.get(
        &format!("/demo/associate-roles?where={}", encode("colour = \"red\"")),
        app.admin(),
    )
    .assert_error(400, "InvalidInput");
    // Delete: version required and checked; the answer is the deleted role; by key too.
    app.delete(&role_path(&role), app.admin())
        .assert_error(400, "InvalidInput");
    app.delete(&format!("{}?version=2", role_path(&role)), app.admin())
        .assert_error(409, "ConcurrentModification");
    let deleted = app.delete(&format!("{}?version=1", role_path(&role)), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json, role);
    app.get(&role_path(&role), app.admin())
        .assert_error(404, "ResourceNotFound");
    let deleted = app.delete(
        &format!("/demo/associate-roles/key={key}-full?version=1"),
        app.admin(),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    app.delete(
        &format!("/demo/associate-roles/key={key}-full?version=1"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
}

fn every_update_action(app: &App) {
    let key = unique("act");
    let role = create_role(app, &json!({"key": key, "permissions": ["ViewMyCarts"]}));
    let path = role_path(&role);
    let step = |version: u64, actions: Value| {
        let reply = app.update(&path, app.admin(), version, actions);
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json
    };
    let r = step(
        1,
        json!([{"action": "addPermission", "permission": "UpdateAssociates"}]),
    );
    assert_eq!(r["version"], 2);
    assert_eq!(r["permissions"], json!(["ViewMyCarts", "UpdateAssociates"]));
    // Adding what is there, removing what is not: no change, no new version.
    let r = step(
        2,
        json!([{"action": "addPermission", "permission": "UpdateAssociates"},
               {"action": "removePermission", "permission": "AddChildUnits"}]),
    );
    assert_eq!(r["version"], 2);
    let r = step(
        2,
        json!([{"action": "removePermission", "permission": "ViewMyCarts"}]),
    );
    assert_eq!(
        (r["version"].clone(), r["permissions"].clone()),
        (json!(3), json!(["UpdateAssociates"]))
    );
    let r = step(
        3,
        json!([{"action": "setPermissions", "permissions": ["AddChildUnits", "UpdateParentUnit", "AddChildUnits"]}]),
    );
    assert_eq!(
        r["permissions"],
        json!(["AddChildUnits", "UpdateParentUnit"])
    );
    let r = step(4, json!([{"action": "setPermissions"}]));
    assert_eq!(r["permissions"], json!([]));
    let r = step(
        5,
        json!([{"action": "changeBuyerAssignable", "buyerAssignable": false}]),
    );
    assert_eq!(r["buyerAssignable"], false);
    let r = step(6, json!([{"action": "setName", "name": "Approver"}]));
    assert_eq!(
        (r["name"].clone(), r["version"].clone()),
        (json!("Approver"), json!(7))
    );
    let r = step(7, json!([{"action": "setName"}]));
    assert!(r.get("name").is_none(), "{r}");
    // By key, several actions in one request, one version each.
    let r = app.update(
        &format!("/demo/associate-roles/key={key}"),
        app.admin(),
        8,
        json!([{"action": "setName", "name": "A"}, {"action": "changeBuyerAssignable", "buyerAssignable": true}]),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["version"], 10);
    assert_eq!(app.get(&path, app.admin()).json, r.json);
    app.update(&path, app.admin(), 9, json!([]))
        .assert_error(409, "ConcurrentModification");
    app.update(
        "/demo/associate-roles/key=no-such-role",
        app.admin(),
        1,
        json!([]),
    )
    .assert_error(404, "ResourceNotFound");
}

fn keys_are_unique_and_immutable(app: &App) {
    let key = unique("dup");
    let role = create_role(app, &json!({"key": key}));
    let again = app.post("/demo/associate-roles", app.admin(), &json!({"key": key}));
    let error = again.assert_error(400, "DuplicateField");
    assert_eq!(error["field"], "key");
    assert_eq!(error["duplicateValue"], key.as_str());
    // There is no setKey action.
    let reply = app.update(
        &role_path(&role),
        app.admin(),
        1,
        json!([{"action": "setKey", "key": "other"}]),
    );
    reply.assert_error(400, "InvalidJsonInput");
    // Another project may use the key.
    let other = app.token(OTHER_ADMIN, None);
    let reply = app.post("/other/associate-roles", &other, &json!({"key": key}));
    assert_eq!(reply.status, 201, "{}", reply.text);
    app.get(&role_path(&role), &other)
        .assert_error(403, "insufficient_scope");
    app.get(&format!("/other/associate-roles/{}", id_of(&role)), &other)
        .assert_error(404, "ResourceNotFound");
}

fn detail(reply: &crate::support::Reply) -> String {
    reply.json["errors"][0]["detailedErrorMessage"]
        .as_str()
        .or(reply.json["errors"][0]["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn bad_input_is_refused_whole(app: &App) {
    let post = |body: &[u8]| app.post_raw("/demo/associate-roles", app.admin(), body);
    post(b"{").assert_error(400, "InvalidJsonInput");
    post(b"[]").assert_error(400, "InvalidJsonInput");
    let missing = post(b"{}");
    missing.assert_error(400, "InvalidJsonInput");
    assert!(detail(&missing).contains("key"), "{}", missing.text);
    post(br#"{"key": 7}"#).assert_error(400, "InvalidJsonInput");
    post(br#"{"key": "k-ok", "buyerAssignable": "yes"}"#).assert_error(400, "InvalidJsonInput");
    post(br#"{"key": "k-ok", "permissions": "ViewMyCarts"}"#).assert_error(400, "InvalidJsonInput");
    let unknown = post(br#"{"key": "k-ok", "permissions": ["ViewMyCarts", "LaunchRockets"]}"#);
    unknown.assert_error(400, "InvalidJsonInput");
    let text = detail(&unknown);
    assert!(
        text.contains("LaunchRockets") && text.contains("permissions[1]"),
        "{}",
        unknown.text
    );
    post(br#"{"key": "no spaces"}"#).assert_error(400, "InvalidField");
    post(br#"{"key": "x"}"#).assert_error(400, "InvalidField");
    let long_key = json!({"key": "k".repeat(257)}).to_string();
    post(long_key.as_bytes()).assert_error(400, "InvalidField");
    let long_name = json!({"key": unique("ln"), "name": "n".repeat(257)}).to_string();
    post(long_name.as_bytes()).assert_error(400, "InvalidField");
    let many =
        json!({"key": unique("many"), "permissions": vec!["ViewMyCarts"; 20_000]}).to_string();
    let reply = post(many.as_bytes());
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["permissions"], json!(["ViewMyCarts"]));
    let huge = json!({"key": unique("huge"), "name": "n".repeat(600 * 1024)}).to_string();
    post(huge.as_bytes()).assert_error(413, "ContentTooLarge");
    let deep = format!(
        r#"{{"key": "kk", "name": {}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    post(deep.as_bytes()).assert_error(400, "InvalidJsonInput");
    // Updates: unknown and malformed actions, unknown permissions; nothing is written.
    let key = unique("badupd");
    let role = create_role(app, &json!({"key": key, "permissions": ["ViewMyCarts"]}));
    let path = role_path(&role);
    let cases = [
        json!([{"action": "setName", "name": "x"}, {"action": "fly"}]),
        json!([{"action": "addPermission"}]),
        json!([{"action": "addPermission", "permission": "Fly"}]),
        json!([{"action": "setPermissions", "permissions": ["ViewMyCarts", 3]}]),
        json!([{"action": "changeBuyerAssignable"}]),
        json!([{"action": "changeBuyerAssignable", "buyerAssignable": "no"}]),
        json!([{"action": "setName", "name": 5}]),
        json!([{"permission": "ViewMyCarts"}]),
        json!(["addPermission"]),
    ];
    for actions in cases {
        app.update(&path, app.admin(), 1, actions.clone())
            .assert_error(400, "InvalidJsonInput");
    }
    let fly = app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setName", "name": "ok"}, {"action": "addPermission", "permission": "Fly"}]),
    );
    assert!(
        detail(&fly).contains("actions[1]") && detail(&fly).contains("Fly"),
        "{}",
        fly.text
    );
    app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setName", "name": "n".repeat(300)}]),
    )
    .assert_error(400, "InvalidField");
    app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setCustomField", "name": "a", "value": 1}]),
    )
    .assert_error(400, "InvalidOperation");
    let too_many: Vec<Value> = (0..501)
        .map(|_| json!({"action": "setName", "name": "x"}))
        .collect();
    app.update(&path, app.admin(), 1, json!(too_many))
        .assert_error(400, "InvalidInput");
    app.post_raw(&path, app.admin(), b"{\"version\": 1}")
        .assert_error(400, "InvalidJsonInput");
    app.post_raw(&path, app.admin(), b"{\"version\": -1, \"actions\": []}")
        .assert_error(400, "InvalidJsonInput");
    assert_eq!(
        app.get(&path, app.admin()).json,
        role,
        "nothing was written"
    );
    app.delete(&format!("{path}?version=abc"), app.admin())
        .assert_error(400, "InvalidInput");
    let put = app.send(
        "PUT",
        &path,
        &[("Authorization", &format!("Bearer {}", app.admin()))],
        None,
    );
    assert_eq!(put.status, 405);
}

fn custom_fields_follow_their_type(app: &App) {
    app.ensure_type(
        "ar-fields",
        &["associate-role"],
        &[("level", json!({"name": "Number"}))],
    );
    app.ensure_type("ar-customer-only", &["customer"], &[]);
    let post = |custom: Value| {
        app.post(
            "/demo/associate-roles",
            app.admin(),
            &json!({"key": unique("cf"), "custom": custom}),
        )
    };
    let wrong = post(json!({"type": {"key": "ar-fields"}, "fields": {"level": "high"}}));
    assert_eq!(
        wrong.assert_error(400, "InvalidField")["field"],
        "custom.fields.level"
    );
    post(json!({"type": {"key": "ar-customer-only"}})).assert_error(400, "InvalidOperation");
    post(json!({"type": {"key": "ar-no-such-type"}}))
        .assert_error(400, "ReferencedResourceNotFound");
    let role = create_role(
        app,
        &json!({"key": unique("cf"), "custom": {"type": {"key": "ar-fields"}, "fields": {"level": 1}}}),
    );
    let path = role_path(&role);
    let updated = app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setCustomField", "name": "level", "value": 2}]),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["custom"]["fields"], json!({"level": 2}));
    app.update(
        &path,
        app.admin(),
        2,
        json!([{"action": "setCustomField", "name": "nope", "value": 1}]),
    )
    .assert_error(400, "InvalidField");
    let expanded = app.get(&format!("{path}?expand=custom.type"), app.admin());
    assert_eq!(expanded.json["custom"]["type"]["obj"]["key"], "ar-fields");
    let cleared = app.update(&path, app.admin(), 2, json!([{"action": "setCustomType"}]));
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(cleared.json.get("custom").is_none());
    let set = app.update(
        &path,
        app.admin(),
        3,
        json!([{"action": "setCustomType", "type": {"key": "ar-fields"}, "fields": {"level": 5}}]),
    );
    assert_eq!(set.json["custom"]["fields"]["level"], 5, "{}", set.text);
}

fn scopes_decide_who_reads_and_writes(app: &App) {
    let key = unique("scoped");
    let role = create_role(app, &json!({"key": key}));
    let path = role_path(&role);
    let viewer = app.token(ADMIN, Some("view_associate_roles:demo"));
    assert_eq!(app.get(&path, &viewer).status, 200);
    assert_eq!(app.get("/demo/associate-roles", &viewer).status, 200);
    app.post(
        "/demo/associate-roles",
        &viewer,
        &json!({"key": unique("v")}),
    )
    .assert_error(403, "insufficient_scope");
    app.update(
        &path,
        &viewer,
        1,
        json!([{"action": "setName", "name": "x"}]),
    )
    .assert_error(403, "insufficient_scope");
    app.delete(&format!("{path}?version=1"), &viewer)
        .assert_error(403, "insufficient_scope");
    let manager = app.token(ADMIN, Some("manage_associate_roles:demo"));
    assert_eq!(app.get(&path, &manager).status, 200, "manage implies view");
    let reply = app.update(
        &path,
        &manager,
        1,
        json!([{"action": "setName", "name": "x"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Other scopes open nothing here.
    for token in [
        app.token(VIEWER, None),
        app.token(ADMIN, Some("manage_customers:demo")),
        app.token(ADMIN, Some("view_business_units:demo")),
    ] {
        app.get(&path, &token)
            .assert_error(403, "insufficient_scope");
        app.get("/demo/associate-roles", &token)
            .assert_error(403, "insufficient_scope");
    }
    app.get(&path, "not-a-token")
        .assert_error(401, "invalid_token");
    // There are no in-store associate roles.
    app.get("/demo/in-store/key=s1/associate-roles", app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn role_messages_follow_every_change(app: &App) {
    let key = unique("msg");
    let role = create_role(app, &json!({"key": key}));
    let path = role_path(&role);
    let reply = app.update(
        &path,
        app.admin(),
        1,
        json!([
            {"action": "addPermission", "permission": "ViewMyCarts"},
            {"action": "removePermission", "permission": "ViewMyCarts"},
            {"action": "setPermissions", "permissions": ["AddChildUnits"]},
            {"action": "changeBuyerAssignable", "buyerAssignable": false},
            {"action": "setName", "name": "N"},
            {"action": "setName", "name": "N"}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let deleted = app.delete(&format!("{path}?version=6"), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let messages = app.messages_of(id_of(&role));
    assert_eq!(
        crate::support::StoredMessage::summary(&messages),
        [
            ("AssociateRoleCreated", 1, 1),
            ("AssociateRolePermissionAdded", 2, 2),
            ("AssociateRolePermissionRemoved", 3, 3),
            ("AssociateRolePermissionsSet", 4, 4),
            ("AssociateRoleBuyerAssignableChanged", 5, 5),
            ("AssociateRoleNameSet", 6, 6),
            ("AssociateRoleDeleted", 7, 7),
        ]
    );
    assert_eq!(messages[0].doc["associateRole"]["key"], key.as_str());
    assert_eq!(messages[0].doc["resource"]["typeId"], "associate-role");
    assert_eq!(
        messages[0].doc["resourceUserProvidedIdentifiers"]["key"],
        key.as_str()
    );
    assert_eq!(messages[1].doc["permission"], "ViewMyCarts");
    assert_eq!(messages[3].doc["permissions"], json!(["AddChildUnits"]));
    assert_eq!(messages[4].doc["buyerAssignable"], false);
    assert_eq!(messages[5].doc["name"], "N");
}
