//! Business units: Company and Division drafts with their defaults, the tree (parent,
//! top-level unit, five levels, no deletion of a unit with Divisions), get / HEAD / query,
//! associates that must reference existing customers and roles (which then cannot be
//! deleted), the associate lookup with inherited roles and the union of permissions, every
//! update action built (and the two that are not answering 400), bad input, scopes, messages.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use serde_json::{json, Value};

use crate::associate_roles::create_role;
use crate::support::{encode, id_of, unique, unique_email, App, ADMIN};

tests!(business_units;
    company_and_division_defaults,
    the_tree_has_rules,
    associates_reference_customers_and_roles,
    the_associate_lookup_inherits_roles,
    detail_and_mode_actions,
    store_actions,
    associate_actions,
    address_actions,
    custom_and_group_actions,
    bad_input_is_refused_whole,
    scopes_decide_who_reads_and_writes,
    changing_the_parent_moves_the_subtree,
    a_move_racing_updates_of_a_child_keeps_the_tree_whole,
    divisions_created_while_their_tree_moves_keep_its_top_level_unit,
    two_opposite_moves_never_make_a_cycle,
    set_unit_type_turns_units_around,
    inherited_fields_are_computed_when_read,
    ; serial: unit_messages_follow_every_change,
    a_move_says_so_in_messages,
);

/// Creates a unit as admin; panics unless 201.
#[track_caller]
pub(crate) fn create_unit(app: &App, draft: &Value) -> Value {
    let reply = app.post("/demo/business-units", app.admin(), draft);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

pub(crate) fn company(app: &App, prefix: &str) -> Value {
    let key = unique(prefix);
    create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company"}),
    )
}

pub(crate) fn division(app: &App, parent: &Value, extra: Value) -> Value {
    let key = unique("div");
    let mut draft = json!({"key": key, "name": key, "unitType": "Division",
                           "parentUnit": {"key": parent["key"], "typeId": "business-unit"}});
    if let (Some(d), Value::Object(extra)) = (draft.as_object_mut(), extra) {
        d.extend(extra);
    }
    create_unit(app, &draft)
}

pub(crate) fn unit_path(unit: &Value) -> String {
    format!("/demo/business-units/{}", id_of(unit))
}

pub(crate) fn customer(app: &App) -> String {
    let c = app.create_customer(&json!({"email": unique_email("assoc"), "password": "x"}));
    id_of(&c).to_string()
}

pub(crate) fn role(app: &App, permissions: Value) -> String {
    let key = unique("burole");
    create_role(app, &json!({"key": key, "permissions": permissions}));
    key
}

pub(crate) fn associate(customer: &str, roles: &[(&str, &str)]) -> Value {
    let assignments: Vec<Value> = roles
        .iter()
        .map(
            |(key, inheritance)| json!({"associateRole": {"key": key}, "inheritance": inheritance}),
        )
        .collect();
    json!({"customer": {"id": customer}, "associateRoleAssignments": assignments})
}

#[track_caller]
fn step(app: &App, unit: &Value, version: u64, actions: Value) -> Value {
    let reply = app.update(&unit_path(unit), app.admin(), version, actions);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

fn company_and_division_defaults(app: &App) {
    let key = unique("co");
    let co = create_unit(
        app,
        &json!({"key": key, "name": "Acme", "unitType": "Company"}),
    );
    for (field, value) in [
        ("unitType", json!("Company")),
        ("status", json!("Active")),
        ("storeMode", json!("Explicit")),
        ("stores", json!([])),
        ("associateMode", json!("Explicit")),
        ("approvalRuleMode", json!("Explicit")),
        ("associates", json!([])),
        ("addresses", json!([])),
        ("shippingAddressIds", json!([])),
        ("billingAddressIds", json!([])),
        (
            "topLevelUnit",
            json!({"typeId": "business-unit", "key": key}),
        ),
        ("version", json!(1)),
    ] {
        assert_eq!(co[field], value, "{field}: {co}");
    }
    assert!(co.get("parentUnit").is_none());
    let div = division(app, &co, json!({}));
    for (field, value) in [
        ("unitType", json!("Division")),
        ("storeMode", json!("FromParent")),
        ("associateMode", json!("ExplicitAndFromParent")),
        ("approvalRuleMode", json!("ExplicitAndFromParent")),
        ("parentUnit", json!({"typeId": "business-unit", "key": key})),
        (
            "topLevelUnit",
            json!({"typeId": "business-unit", "key": key}),
        ),
    ] {
        assert_eq!(div[field], value, "{field}: {div}");
    }
    assert!(div.get("stores").is_none(), "{div}");
    // A Division below a Division, its parent given by id; explicit modes and stores.
    let sub = create_unit(
        app,
        &json!({"key": unique("sub"), "name": "Sub", "unitType": "Division", "status": "Inactive",
                "parentUnit": {"id": id_of(&div)}, "storeMode": "Explicit", "stores": [{"key": "s1"}, {"key": "s1"}],
                "associateMode": "Explicit", "contactEmail": "b2b@example.com"}),
    );
    assert_eq!(sub["parentUnit"]["key"], div["key"]);
    assert_eq!(sub["topLevelUnit"]["key"], key.as_str());
    assert_eq!(sub["stores"], json!([{"typeId": "store", "key": "s1"}]));
    assert_eq!(sub["status"], "Inactive");
    assert_eq!(sub["contactEmail"], "b2b@example.com");
    // Get and HEAD by id and key; query; HEAD by predicate.
    assert_eq!(app.get(&unit_path(&co), app.admin()).json, co);
    let by_key = app.get(&format!("/demo/business-units/key={key}"), app.admin());
    assert_eq!(by_key.json, co);
    assert_eq!(app.head(&unit_path(&div), app.admin()).status, 200);
    app.get("/demo/business-units/key=no-such-unit", app.admin())
        .assert_error(404, "ResourceNotFound");
    let tree = encode(&format!("topLevelUnit(key = \"{key}\")"));
    let page = app.get(
        &format!("/demo/business-units?where={tree}&sort=createdAt+asc&withTotal=true"),
        app.admin(),
    );
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["total"], 3);
    assert_eq!(page.json["results"], json!([co, div, sub]));
    let divisions = encode(&format!(
        "parentUnit(key = \"{}\") and unitType = \"Division\"",
        div["key"].as_str().unwrap()
    ));
    let page = app.get(
        &format!("/demo/business-units?where={divisions}"),
        app.admin(),
    );
    assert_eq!(page.json["results"], json!([sub]), "{}", page.text);
    assert_eq!(
        app.head(&format!("/demo/business-units?where={tree}"), app.admin())
            .status,
        200
    );
    let none = encode("key = \"no-such-unit\"");
    assert_eq!(
        app.head(&format!("/demo/business-units?where={none}"), app.admin())
            .status,
        404
    );
}

fn the_tree_has_rules(app: &App) {
    let co = company(app, "rules");
    let post = |draft: Value| app.post("/demo/business-units", app.admin(), &draft);
    let key = || unique("r");
    post(
        json!({"key": key(), "name": "n", "unitType": "Company", "parentUnit": {"key": co["key"]}}),
    )
    .assert_error(400, "InvalidInput");
    let missing = post(json!({"key": key(), "name": "n", "unitType": "Division"}));
    missing.assert_error(400, "InvalidJsonInput");
    assert!(missing.text.contains("parentUnit"), "{}", missing.text);
    let nowhere = post(
        json!({"key": key(), "name": "n", "unitType": "Division", "parentUnit": {"key": "no-such-unit"}}),
    );
    assert_eq!(
        nowhere.assert_error(400, "ReferencedResourceNotFound")["typeId"],
        "business-unit"
    );
    post(json!({"key": key(), "name": "n", "unitType": "Company", "storeMode": "FromParent"}))
        .assert_error(400, "InvalidInput");
    post(json!({"key": key(), "name": "n", "unitType": "Company", "associateMode": "ExplicitAndFromParent"}))
        .assert_error(400, "InvalidInput");
    post(
        json!({"key": key(), "name": "n", "unitType": "Division", "parentUnit": {"key": co["key"]},
                "stores": [{"key": "s1"}]}),
    )
    .assert_error(400, "InvalidInput");
    post(json!({"key": co["key"], "name": "n", "unitType": "Company"}))
        .assert_error(400, "DuplicateField");
    // Five levels, not six.
    let mut chain = vec![co.clone()];
    for _ in 0..4 {
        let next = division(app, chain.last().unwrap(), json!({}));
        assert_eq!(next["topLevelUnit"]["key"], co["key"]);
        chain.push(next);
    }
    let sixth = post(json!({"key": key(), "name": "n", "unitType": "Division",
                            "parentUnit": {"key": chain[4]["key"]}}));
    sixth.assert_error(400, "InvalidInput");
    assert!(sixth.text.contains("5 levels"), "{}", sixth.text);
    // A unit with Divisions cannot be deleted; without them it can.
    let error = app
        .delete(&format!("{}?version=1", unit_path(&chain[3])), app.admin())
        .assert_error(400, "ReferenceExists")
        .clone();
    assert_eq!(error["referencedBy"], "business-unit");
    app.delete(&unit_path(&chain[4]), app.admin())
        .assert_error(400, "InvalidInput");
    app.delete(&format!("{}?version=2", unit_path(&chain[4])), app.admin())
        .assert_error(409, "ConcurrentModification");
    let deleted = app.delete(
        &format!("{}?version=1&dataErasure=true", unit_path(&chain[4])),
        app.admin(),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json, chain[4]);
    let deleted = app.delete(
        &format!(
            "/demo/business-units/key={}?version=1",
            chain[3]["key"].as_str().unwrap()
        ),
        app.admin(),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    app.get(&unit_path(&chain[3]), app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn associates_reference_customers_and_roles(app: &App) {
    let c = customer(app);
    let r = role(app, json!(["ViewMyCarts"]));
    let co = company(app, "assoc");
    let post = |associates: Value| {
        app.post(
            "/demo/business-units",
            app.admin(),
            &json!({"key": unique("a"), "name": "n", "unitType": "Company", "associates": associates}),
        )
    };
    let no_customer = post(json!([associate("no-such-customer", &[(&r, "Enabled")])]));
    assert_eq!(
        no_customer.assert_error(400, "ReferencedResourceNotFound")["typeId"],
        "customer"
    );
    let no_role = post(json!([associate(&c, &[("no-such-role", "Enabled")])]));
    assert_eq!(
        no_role.assert_error(400, "ReferencedResourceNotFound")["typeId"],
        "associate-role"
    );
    post(json!([{"customer": {"id": c}, "associateRoleAssignments": []}]))
        .assert_error(400, "InvalidInput");
    post(json!([
        associate(&c, &[(&r, "Enabled")]),
        associate(&c, &[(&r, "Enabled")])
    ]))
    .assert_error(400, "DuplicateField");
    post(json!([associate(&c, &[(&r, "Sometimes")])])).assert_error(400, "InvalidJsonInput");
    // The role by id; stored as a key reference, inheritance defaulting to Disabled.
    let role_id = app
        .get(&format!("/demo/associate-roles/key={r}"), app.admin())
        .json["id"]
        .clone();
    let unit = step(
        app,
        &co,
        1,
        json!([{"action": "addAssociate", "associate": {"customer": {"id": c, "typeId": "customer"},
                "associateRoleAssignments": [{"associateRole": {"id": role_id, "typeId": "associate-role"}}]}}]),
    );
    assert_eq!(
        unit["associates"],
        json!([{"associateRoleAssignments": [{"associateRole": {"typeId": "associate-role", "key": r}, "inheritance": "Disabled"}],
                "customer": {"typeId": "customer", "id": c}}])
    );
    // Neither the role nor the customer can be deleted while the associate holds them.
    let role_path = format!("/demo/associate-roles/key={r}?version=1");
    let error = app
        .delete(&role_path, app.admin())
        .assert_error(400, "ReferenceExists")
        .clone();
    assert_eq!(error["referencedBy"], "business-unit");
    let error = app
        .delete(&format!("/demo/customers/{c}?version=1"), app.admin())
        .assert_error(400, "ReferenceExists")
        .clone();
    assert_eq!(error["referencedBy"], "business-unit");
    step(
        app,
        &unit,
        2,
        json!([{"action": "removeAssociate", "customer": {"id": c}}]),
    );
    let deleted = app.delete(&role_path, app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let deleted = app.delete(&format!("/demo/customers/{c}?version=1"), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    // And now nobody may refer to them.
    app.update(
        &unit_path(&co),
        app.admin(),
        3,
        json!([{"action": "addAssociate", "associate": associate(&c, &[(&r, "Enabled")])}]),
    )
    .assert_error(400, "ReferencedResourceNotFound");
}

fn the_associate_lookup_inherits_roles(app: &App) {
    let c = customer(app);
    let outsider = customer(app);
    let inherited = role(app, json!(["ViewMyCarts", "AddChildUnits"]));
    let private = role(app, json!(["UpdateAssociates"]));
    let own = role(app, json!(["ViewMyCarts", "UpdateParentUnit"]));
    let key = unique("look");
    let co = create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company",
                "associates": [associate(&c, &[(&inherited, "Enabled"), (&private, "Disabled")])]}),
    );
    let div = division(
        app,
        &co,
        json!({"associates": [associate(&c, &[(&own, "Disabled")])]}),
    );
    let grandchild = division(app, &div, json!({}));
    let explicit_child = division(app, &div, json!({"associateMode": "Explicit"}));
    let look = |unit: &Value, customer: &str| {
        app.get(
            &format!("{}/associates/{customer}", unit_path(unit)),
            app.admin(),
        )
    };
    let keys = |roles: &Value| -> Vec<String> {
        roles
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["key"].as_str().unwrap().to_string())
            .collect()
    };
    let at_company = look(&co, &c);
    assert_eq!(at_company.status, 200, "{}", at_company.text);
    assert_eq!(
        at_company.json["customer"],
        json!({"typeId": "customer", "id": c})
    );
    assert_eq!(
        keys(&at_company.json["associateRoles"]),
        [inherited.as_str(), private.as_str()]
    );
    assert_eq!(at_company.json["inheritedAssociateRoles"], json!([]));
    assert_eq!(
        at_company.json["permissions"],
        json!(["ViewMyCarts", "AddChildUnits", "UpdateAssociates"])
    );
    assert_eq!(
        at_company.json["associateRoles"][0]["permissions"],
        json!(["ViewMyCarts", "AddChildUnits"])
    );
    let at_division = look(&div, &c);
    assert_eq!(keys(&at_division.json["associateRoles"]), [own.as_str()]);
    assert_eq!(
        keys(&at_division.json["inheritedAssociateRoles"]),
        [inherited.as_str()]
    );
    assert_eq!(
        at_division.json["permissions"],
        json!(["ViewMyCarts", "UpdateParentUnit", "AddChildUnits"])
    );
    // Two levels down, with no roles of its own: inherited through the Division.
    let below = app.get(
        &format!(
            "/demo/business-units/key={}/associates/{c}",
            grandchild["key"].as_str().unwrap()
        ),
        app.admin(),
    );
    assert_eq!(below.status, 200, "{}", below.text);
    assert_eq!(below.json["associateRoles"], json!([]));
    assert_eq!(
        keys(&below.json["inheritedAssociateRoles"]),
        [inherited.as_str()]
    );
    // An Explicit Division inherits nothing: the customer is not its associate.
    look(&explicit_child, &c).assert_error(404, "ResourceNotFound");
    look(&co, &outsider).assert_error(404, "ResourceNotFound");
    app.get(
        &format!("/demo/business-units/no-such-unit/associates/{c}"),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    // Switching the Division to Explicit stops the inheritance below it too.
    step(
        app,
        &div,
        1,
        json!([{"action": "changeAssociateMode", "associateMode": "Explicit"}]),
    );
    let after = look(&div, &c);
    assert_eq!(
        after.json["inheritedAssociateRoles"],
        json!([]),
        "{}",
        after.text
    );
    look(&grandchild, &c).assert_error(404, "ResourceNotFound");
    // A view scope suffices; other scopes do not.
    let viewer = app.token(ADMIN, Some("view_business_units:demo"));
    assert_eq!(
        app.get(&format!("{}/associates/{c}", unit_path(&co)), &viewer)
            .status,
        200
    );
    let other = app.token(ADMIN, Some("view_associate_roles:demo"));
    app.get(&format!("{}/associates/{c}", unit_path(&co)), &other)
        .assert_error(403, "insufficient_scope");
    let post = app.post(
        &format!("{}/associates/{c}", unit_path(&co)),
        app.admin(),
        &json!({}),
    );
    assert_eq!(post.status, 405);
}

fn detail_and_mode_actions(app: &App) {
    let co = company(app, "detail");
    let u = step(
        app,
        &co,
        1,
        json!([{"action": "changeName", "name": "New name"},
               {"action": "setContactEmail", "contactEmail": "x@example.com"},
               {"action": "changeStatus", "status": "Inactive"},
               {"action": "changeStatus", "status": "Inactive"},
               {"action": "changeApprovalRuleMode", "approvalRuleMode": "Explicit"},
               {"action": "changeAssociateMode", "associateMode": "Explicit"}]),
    );
    assert_eq!(u["version"], 4);
    assert_eq!(
        (
            u["name"].clone(),
            u["contactEmail"].clone(),
            u["status"].clone()
        ),
        (json!("New name"), json!("x@example.com"), json!("Inactive"))
    );
    let u = step(app, &co, 4, json!([{"action": "setContactEmail"}]));
    assert!(u.get("contactEmail").is_none());
    for actions in [
        json!([{"action": "changeAssociateMode", "associateMode": "ExplicitAndFromParent"}]),
        json!([{"action": "changeApprovalRuleMode", "approvalRuleMode": "ExplicitAndFromParent"}]),
        json!([{"action": "setStoreMode", "storeMode": "FromParent"}]),
    ] {
        app.update(&unit_path(&co), app.admin(), 5, actions)
            .assert_error(400, "InvalidOperation");
    }
    app.update(
        &unit_path(&co),
        app.admin(),
        5,
        json!([{"action": "setContactEmail", "contactEmail": "no at sign"}]),
    )
    .assert_error(400, "InvalidField");
    app.update(
        &unit_path(&co),
        app.admin(),
        5,
        json!([{"action": "changeName", "name": " "}]),
    )
    .assert_error(400, "InvalidField");
    let div = division(app, &co, json!({}));
    let d = step(
        app,
        &div,
        1,
        json!([{"action": "changeApprovalRuleMode", "approvalRuleMode": "Explicit"},
               {"action": "changeAssociateMode", "associateMode": "Explicit", "makeInheritedAssociatesExplicit": true},
               {"action": "changeAssociateMode", "associateMode": "ExplicitAndFromParent"}]),
    );
    assert_eq!(d["version"], 4);
    assert_eq!(d["approvalRuleMode"], "Explicit");
    assert_eq!(d["associateMode"], "ExplicitAndFromParent");
    assert_eq!(app.get(&unit_path(&div), app.admin()).json, d);
}

fn store_actions(app: &App) {
    let co = company(app, "stores");
    let u = step(
        app,
        &co,
        1,
        json!([{"action": "addStore", "store": {"key": "s1"}},
               {"action": "addStore", "store": {"key": "s1", "typeId": "store"}},
               {"action": "addStore", "store": {"key": "s2"}},
               {"action": "removeStore", "store": {"key": "s1"}},
               {"action": "removeStore", "store": {"key": "s9"}}]),
    );
    assert_eq!(u["version"], 4);
    assert_eq!(u["stores"], json!([{"typeId": "store", "key": "s2"}]));
    let u = step(
        app,
        &co,
        4,
        json!([{"action": "setStores", "stores": [{"key": "a1"}, {"key": "b1"}]},
               {"action": "setStores", "stores": [{"key": "b1"}, {"key": "a1"}]}]),
    );
    assert_eq!(u["version"], 5);
    app.update(
        &unit_path(&co),
        app.admin(),
        5,
        json!([{"action": "addStore", "store": {"id": "x"}}]),
    )
    .assert_error(400, "ReferencedResourceNotFound");
    let div = division(app, &co, json!({}));
    app.update(
        &unit_path(&div),
        app.admin(),
        1,
        json!([{"action": "addStore", "store": {"key": "s1"}}]),
    )
    .assert_error(400, "InvalidOperation");
    let d = step(
        app,
        &div,
        1,
        json!([{"action": "setStoreMode", "storeMode": "Explicit", "stores": [{"key": "s3"}]}]),
    );
    assert_eq!(
        (d["storeMode"].clone(), d["stores"].clone()),
        (json!("Explicit"), json!([{"typeId": "store", "key": "s3"}]))
    );
    app.update(
        &unit_path(&div),
        app.admin(),
        2,
        json!([{"action": "setStoreMode", "storeMode": "FromParent", "stores": [{"key": "s3"}]}]),
    )
    .assert_error(400, "InvalidInput");
    let d = step(
        app,
        &div,
        2,
        json!([{"action": "setStoreMode", "storeMode": "FromParent"}]),
    );
    assert_eq!(d["storeMode"], "FromParent");
    assert!(d.get("stores").is_none(), "{d}");
}

fn associate_actions(app: &App) {
    let (c1, c2) = (customer(app), customer(app));
    let (r1, r2) = (role(app, json!([])), role(app, json!([])));
    let co = company(app, "assocact");
    let u = step(
        app,
        &co,
        1,
        json!([{"action": "addAssociate", "associate": associate(&c1, &[(&r1, "Enabled")])},
               {"action": "addAssociate", "associate": associate(&c2, &[(&r1, "Disabled")])},
               {"action": "changeAssociate", "associate": associate(&c1, &[(&r2, "Disabled"), (&r1, "Enabled")])},
               {"action": "changeAssociate", "associate": associate(&c1, &[(&r2, "Disabled"), (&r1, "Enabled")])}]),
    );
    assert_eq!(u["version"], 4);
    assert_eq!(
        u["associates"][0]["associateRoleAssignments"][0]["associateRole"]["key"],
        r2.as_str()
    );
    assert_eq!(u["associates"].as_array().unwrap().len(), 2);
    let path = unit_path(&co);
    app.update(
        &path,
        app.admin(),
        4,
        json!([{"action": "addAssociate", "associate": associate(&c1, &[(&r1, "Enabled")])}]),
    )
    .assert_error(400, "DuplicateField");
    let stranger = customer(app);
    app.update(&path, app.admin(), 4, json!([{"action": "changeAssociate", "associate": associate(&stranger, &[(&r1, "Enabled")])}]))
        .assert_error(400, "InvalidOperation");
    app.update(
        &path,
        app.admin(),
        4,
        json!([{"action": "removeAssociate", "customer": {"id": stranger}}]),
    )
    .assert_error(400, "InvalidOperation");
    let six: Vec<(&str, &str)> = vec![(r1.as_str(), "Enabled"); 6];
    app.update(
        &path,
        app.admin(),
        4,
        json!([{"action": "setAssociates", "associates": [associate(&c1, &six)]}]),
    )
    .assert_error(400, "InvalidInput");
    let u = step(
        app,
        &co,
        4,
        json!([{"action": "removeAssociate", "customer": {"id": c2}},
               {"action": "setAssociates", "associates": [associate(&c2, &[(&r2, "Enabled")])]}]),
    );
    assert_eq!(u["version"], 6);
    assert_eq!(u["associates"][0]["customer"]["id"], c2.as_str());
    let u = step(app, &co, 6, json!([{"action": "setAssociates"}]));
    assert_eq!(u["associates"], json!([]));
}

fn address_actions(app: &App) {
    let key = unique("addr");
    let co = create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company",
                "addresses": [{"country": "DE", "key": "hq", "city": "Berlin"}, {"country": "FR", "key": "depot"}],
                "shippingAddresses": [1], "defaultBillingAddress": 0}),
    );
    let hq = co["addresses"][0]["id"].as_str().unwrap().to_string();
    let depot = co["addresses"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(co["shippingAddressIds"], json!([depot]));
    assert_eq!(co["billingAddressIds"], json!([hq]));
    assert_eq!(co["defaultBillingAddressId"], hq.as_str());
    let bad = app.post(
        "/demo/business-units",
        app.admin(),
        &json!({"key": unique("a"), "name": "n", "unitType": "Company",
                "addresses": [{"country": "DE"}], "shippingAddresses": [3]}),
    );
    bad.assert_error(400, "InvalidField");
    let u = step(
        app,
        &co,
        1,
        json!([{"action": "addAddress", "address": {"country": "NL", "key": "new"}},
               {"action": "changeAddress", "addressKey": "hq", "address": {"country": "DE", "key": "hq", "city": "Munich"}},
               {"action": "addShippingAddressId", "addressKey": "hq"},
               {"action": "setDefaultShippingAddress", "addressKey": "hq"},
               {"action": "addBillingAddressId", "addressKey": "new"},
               {"action": "removeBillingAddressId", "addressId": hq},
               {"action": "removeShippingAddressId", "addressId": depot},
               {"action": "setDefaultBillingAddress", "addressKey": "new"},
               {"action": "removeAddress", "addressKey": "depot"}]),
    );
    assert_eq!(u["version"], 10);
    assert_eq!(u["addresses"].as_array().unwrap().len(), 2);
    assert_eq!(u["addresses"][0]["city"], "Munich");
    assert_eq!(u["addresses"][0]["id"], hq.as_str());
    let new_id = u["addresses"][1]["id"].clone();
    assert_eq!(u["shippingAddressIds"], json!([hq]));
    assert_eq!(u["defaultShippingAddressId"], hq.as_str());
    assert_eq!(u["billingAddressIds"], json!([new_id]));
    assert_eq!(u["defaultBillingAddressId"], new_id);
    let u = step(
        app,
        &co,
        10,
        json!([{"action": "setDefaultShippingAddress"}]),
    );
    assert!(u.get("defaultShippingAddressId").is_none(), "{u}");
    let path = unit_path(&co);
    for (actions, code) in [
        (
            json!([{"action": "removeAddress", "addressKey": "nope"}]),
            "InvalidInput",
        ),
        (json!([{"action": "removeAddress"}]), "InvalidInput"),
        (
            json!([{"action": "addAddress", "address": {"country": "DE", "key": "hq"}}]),
            "DuplicateField",
        ),
        (
            json!([{"action": "addAddress", "address": {"country": "Germany"}}]),
            "InvalidField",
        ),
        (
            json!([{"action": "addAddress", "address": {}}]),
            "InvalidJsonInput",
        ),
    ] {
        app.update(&path, app.admin(), 11, actions)
            .assert_error(400, code);
    }
    // Address custom fields.
    app.ensure_type(
        "bu-addr",
        &["address"],
        &[("floor", json!({"name": "Number"}))],
    );
    let u = step(
        app,
        &co,
        11,
        json!([{"action": "setAddressCustomType", "addressId": hq, "type": {"key": "bu-addr"}, "fields": {"floor": 1}},
               {"action": "setAddressCustomField", "addressId": hq, "name": "floor", "value": 2}]),
    );
    assert_eq!(u["addresses"][0]["custom"]["fields"], json!({"floor": 2}));
    app.update(&path, app.admin(), 13, json!([{"action": "setAddressCustomField", "addressId": hq, "name": "floor", "value": "high"}]))
        .assert_error(400, "InvalidField");
    let u = step(
        app,
        &co,
        13,
        json!([{"action": "setAddressCustomType", "addressId": hq}]),
    );
    assert!(u["addresses"][0].get("custom").is_none());
}

fn custom_and_group_actions(app: &App) {
    app.ensure_type(
        "bu-fields",
        &["business-unit"],
        &[("tier", json!({"name": "Number"}))],
    );
    let group_key = unique("bugrp");
    let group_id = app.ensure_group(&group_key);
    let other_group = unique("bugrp2");
    app.ensure_group(&other_group);
    let key = unique("cust");
    let co = create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company",
                "custom": {"type": {"key": "bu-fields"}, "fields": {"tier": 1}},
                "customerGroupAssignments": [{"customerGroup": {"key": group_key}}]}),
    );
    assert_eq!(co["custom"]["fields"], json!({"tier": 1}));
    assert_eq!(
        co["customerGroupAssignments"],
        json!([{"customerGroup": {"typeId": "customer-group", "id": group_id}}])
    );
    let u = step(
        app,
        &co,
        1,
        json!([{"action": "setCustomField", "name": "tier", "value": 2},
               {"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"key": other_group}}},
               {"action": "removeCustomerGroupAssignment", "customerGroup": {"id": group_id}},
               {"action": "setCustomerGroupAssignments", "customerGroupAssignments": [{"customerGroup": {"id": group_id}}]},
               {"action": "setCustomType"}]),
    );
    assert_eq!(u["version"], 6);
    assert!(u.get("custom").is_none());
    assert_eq!(
        u["customerGroupAssignments"][0]["customerGroup"]["id"],
        group_id.as_str()
    );
    let path = unit_path(&co);
    app.update(
        &path,
        app.admin(),
        6,
        json!([{"action": "setCustomField", "name": "tier", "value": 1}]),
    )
    .assert_error(400, "InvalidOperation");
    app.update(
        &path,
        app.admin(),
        6,
        json!([{"action": "setCustomType", "type": {"key": "bu-fields"}, "fields": {"tier": "x"}}]),
    )
    .assert_error(400, "InvalidField");
    app.update(&path, app.admin(), 6, json!([{"action": "addCustomerGroupAssignment", "customerGroupAssignment": {"customerGroup": {"key": "no-such-group"}}}]))
        .assert_error(400, "ReferencedResourceNotFound");
    // A group a unit is assigned to cannot be deleted.
    app.delete(
        &format!("/demo/customer-groups/{group_id}?version=1"),
        app.admin(),
    )
    .assert_error(400, "ReferenceExists");
}

fn bad_input_is_refused_whole(app: &App) {
    let post = |body: &[u8]| app.post_raw("/demo/business-units", app.admin(), body);
    post(b"{").assert_error(400, "InvalidJsonInput");
    post(b"{}").assert_error(400, "InvalidJsonInput");
    post(br#"{"key": "k-ok", "name": "n"}"#).assert_error(400, "InvalidJsonInput");
    post(br#"{"key": "k-ok", "name": "n", "unitType": "Team"}"#)
        .assert_error(400, "InvalidJsonInput");
    post(br#"{"key": "k-ok", "name": 5, "unitType": "Company"}"#)
        .assert_error(400, "InvalidJsonInput");
    post(br#"{"key": "k-ok", "name": "n", "unitType": "Company", "status": "Sleeping"}"#)
        .assert_error(400, "InvalidJsonInput");
    let both = post(br#"{"key": "no spaces", "name": " ", "unitType": "Company"}"#);
    both.assert_error(400, "InvalidField");
    assert_eq!(
        both.json["errors"].as_array().unwrap().len(),
        2,
        "{}",
        both.text
    );
    let many: Vec<Value> = (0..2001)
        .map(|i| associate(&format!("c{i}"), &[("r1", "Enabled")]))
        .collect();
    let body =
        json!({"key": unique("many"), "name": "n", "unitType": "Company", "associates": many});
    post(body.to_string().as_bytes()).assert_error(400, "InvalidInput");
    let stores: Vec<Value> = (0..101).map(|i| json!({"key": format!("s{i}")})).collect();
    let body = json!({"key": unique("st"), "name": "n", "unitType": "Company", "stores": stores});
    post(body.to_string().as_bytes()).assert_error(400, "InvalidInput");
    let huge =
        json!({"key": unique("huge"), "name": "n".repeat(600 * 1024), "unitType": "Company"});
    post(huge.to_string().as_bytes()).assert_error(413, "ContentTooLarge");
    let co = company(app, "bad");
    let path = unit_path(&co);
    for actions in [
        json!([{"action": "changeName", "name": "x"}, {"action": "fly"}]),
        json!([{"action": "changeName"}]),
        json!([{"action": "changeStatus", "status": "Asleep"}]),
        json!([{"action": "addStore"}]),
        json!([{"action": "addAssociate", "associate": {"customer": {"id": "x"}}}]),
        json!([{"action": "setKey", "key": "other"}]),
    ] {
        app.update(&path, app.admin(), 1, actions)
            .assert_error(400, "InvalidJsonInput");
    }
    app.update(&path, app.admin(), 2, json!([]))
        .assert_error(409, "ConcurrentModification");
    assert_eq!(app.get(&path, app.admin()).json, co, "nothing was written");
}

fn scopes_decide_who_reads_and_writes(app: &App) {
    let co = company(app, "scoped");
    let path = unit_path(&co);
    let viewer = app.token(ADMIN, Some("view_business_units:demo"));
    assert_eq!(app.get(&path, &viewer).status, 200);
    assert_eq!(app.get("/demo/business-units", &viewer).status, 200);
    app.post(
        "/demo/business-units",
        &viewer,
        &json!({"key": unique("v"), "name": "n", "unitType": "Company"}),
    )
    .assert_error(403, "insufficient_scope");
    app.update(
        &path,
        &viewer,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    )
    .assert_error(403, "insufficient_scope");
    app.delete(&format!("{path}?version=1"), &viewer)
        .assert_error(403, "insufficient_scope");
    let manager = app.token(ADMIN, Some("manage_business_units:demo"));
    let reply = app.update(
        &path,
        &manager,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    for scope in [
        "view_associate_roles:demo",
        "manage_customers:demo",
        "manage_business_units:demo:s1",
    ] {
        let token = app.token(ADMIN, Some(scope));
        app.get(&path, &token)
            .assert_error(403, "insufficient_scope");
    }
}

fn unit_messages_follow_every_change(app: &App) {
    let c = customer(app);
    let r = role(app, json!([]));
    let co = company(app, "msg");
    let reply = app.update(
        &unit_path(&co),
        app.admin(),
        1,
        json!([
            {"action": "changeName", "name": "M"},
            {"action": "setContactEmail", "contactEmail": "m@example.com"},
            {"action": "changeStatus", "status": "Inactive"},
            {"action": "addStore", "store": {"key": "s1"}},
            {"action": "addAssociate", "associate": associate(&c, &[(&r, "Enabled")])},
            {"action": "addAddress", "address": {"country": "DE", "key": "k1"}},
            {"action": "changeName", "name": "M"}
        ]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let deleted = app.delete(&format!("{}?version=7", unit_path(&co)), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let messages = app.messages_of(id_of(&co));
    assert_eq!(
        crate::support::StoredMessage::summary(&messages),
        [
            ("BusinessUnitCreated", 1, 1),
            ("BusinessUnitNameChanged", 2, 2),
            ("BusinessUnitContactEmailSet", 3, 3),
            ("BusinessUnitStatusChanged", 4, 4),
            ("BusinessUnitStoreAdded", 5, 5),
            ("BusinessUnitAssociateAdded", 6, 6),
            ("BusinessUnitAddressAdded", 7, 7),
            ("BusinessUnitDeleted", 8, 8),
        ]
    );
    assert_eq!(messages[0].doc["businessUnit"]["key"], co["key"]);
    assert_eq!(messages[3].doc["active"], "Inactive");
    assert_eq!(
        messages[4].doc["store"],
        json!({"typeId": "store", "key": "s1"})
    );
    assert_eq!(messages[5].doc["associate"]["customer"]["id"], c.as_str());
    assert_eq!(messages[6].doc["address"]["key"], "k1");
    assert_eq!(
        messages[1].doc["resourceUserProvidedIdentifiers"]["key"],
        co["key"]
    );
}

fn get(app: &App, unit: &Value) -> Value {
    app.get(&unit_path(unit), app.admin()).json
}

fn changing_the_parent_moves_the_subtree(app: &App) {
    let c = customer(app);
    let r = role(app, json!(["AddChildUnits"]));
    let co1 = company(app, "from");
    let co2 = create_unit(
        app,
        &json!({"key": unique("to"), "name": "To", "unitType": "Company",
                "associates": [associate(&c, &[(&r, "Enabled")])]}),
    );
    let d1 = division(app, &co1, json!({}));
    let d2 = division(app, &d1, json!({}));
    let d3 = division(app, &d2, json!({}));
    // Below itself or below its own descendant: refused.
    for target in [&d1, &d3] {
        app.update(
            &unit_path(&d1),
            app.admin(),
            1,
            json!([{"action": "changeParentUnit", "parentUnit": {"key": target["key"]}}]),
        )
        .assert_error(400, "InvalidInput");
    }
    app.update(
        &unit_path(&co1),
        app.admin(),
        1,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": co2["key"]}}]),
    )
    .assert_error(400, "InvalidOperation");
    app.update(
        &unit_path(&d1),
        app.admin(),
        1,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": "no-such-unit"}}]),
    )
    .assert_error(400, "ReferencedResourceNotFound");
    // Too deep: d1 has two levels below it; below a third-level unit it would make six.
    let deep = {
        let mut chain = vec![co2.clone()];
        for _ in 0..3 {
            let next = division(app, chain.last().unwrap(), json!({}));
            chain.push(next);
        }
        chain
    };
    let too_deep = app.update(
        &unit_path(&d1),
        app.admin(),
        1,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": deep[2]["key"]}}]),
    );
    too_deep.assert_error(400, "InvalidInput");
    assert!(too_deep.text.contains("5 levels"), "{}", too_deep.text);
    // Under the other Company, by id: the whole subtree follows.
    let moved = step(
        app,
        &d1,
        1,
        json!([{"action": "changeParentUnit", "parentUnit": {"id": id_of(&co2), "typeId": "business-unit"}}]),
    );
    assert_eq!(moved["version"], 2);
    assert_eq!(
        moved["parentUnit"],
        json!({"typeId": "business-unit", "key": co2["key"]})
    );
    assert_eq!(
        moved["topLevelUnit"],
        json!({"typeId": "business-unit", "key": co2["key"]})
    );
    for (unit, version) in [(&d2, 2), (&d3, 2)] {
        let now = get(app, unit);
        assert_eq!(now["topLevelUnit"]["key"], co2["key"], "{now}");
        assert_eq!(now["version"], version, "{now}");
    }
    let tree = encode(&format!(
        "topLevelUnit(key = \"{}\")",
        co2["key"].as_str().unwrap()
    ));
    let page = app.get(
        &format!("/demo/business-units?where={tree}&withTotal=true"),
        app.admin(),
    );
    assert_eq!(page.json["total"], 7, "{}", page.text);
    // The new ancestors' roles are inherited now.
    let look = app.get(&format!("{}/associates/{c}", unit_path(&d3)), app.admin());
    assert_eq!(look.status, 200, "{}", look.text);
    assert_eq!(look.json["permissions"], json!(["AddChildUnits"]));
    // The old Company has no Divisions left and can be deleted; the new one cannot.
    let deleted = app.delete(&format!("{}?version=1", unit_path(&co1)), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    app.delete(&format!("{}?version=1", unit_path(&co2)), app.admin())
        .assert_error(400, "ReferenceExists");
    // Within the tree, to a sibling: the top stays, so the descendants keep their versions.
    let sibling = division(app, &co2, json!({}));
    let moved = step(
        app,
        &d2,
        2,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": sibling["key"]}},
               {"action": "changeParentUnit", "parentUnit": {"key": sibling["key"]}}]),
    );
    assert_eq!(moved["version"], 3);
    assert_eq!(get(app, &d3)["version"], 2);
    // A child written with a version from before the move is refused, then succeeds.
    app.update(
        &unit_path(&d3),
        app.admin(),
        1,
        json!([{"action": "changeName", "name": "x"}]),
    )
    .assert_error(409, "ConcurrentModification");
    step(app, &d3, 2, json!([{"action": "changeName", "name": "x"}]));
}

/// A subtree moves back and forth between two Companies while a client renames a unit two
/// levels down: every rename lands (on a fresh read when the move got there first), and the
/// unit always ends with the top-level unit of the tree it is in.
fn a_move_racing_updates_of_a_child_keeps_the_tree_whole(app: &App) {
    let (a, b) = (company(app, "racea"), company(app, "raceb"));
    let mover = division(app, &a, json!({}));
    let child = division(app, &mover, json!({}));
    let grandchild = division(app, &child, json!({}));
    for round in 0..8 {
        let target = if round % 2 == 0 { &b } else { &a };
        let barrier = Arc::new(Barrier::new(2));
        let (move_reply, rename) = std::thread::scope(|s| {
            let bar = Arc::clone(&barrier);
            let mover_version = get(app, &mover)["version"].as_u64().unwrap();
            let move_path = unit_path(&mover);
            let target_key = target["key"].clone();
            let moving = s.spawn(move || {
                bar.wait();
                app.update(
                    &move_path,
                    app.admin(),
                    mover_version,
                    json!([{"action": "changeParentUnit", "parentUnit": {"key": target_key}}]),
                )
            });
            let bar = Arc::clone(&barrier);
            let grandchild = &grandchild;
            let renaming = s.spawn(move || {
                bar.wait();
                // Retry on a conflict, as a client would.
                for _ in 0..5 {
                    let current = get(app, grandchild);
                    let reply = app.update(
                        &unit_path(grandchild),
                        app.admin(),
                        current["version"].as_u64().unwrap(),
                        json!([{"action": "changeName", "name": format!("round {round}")}]),
                    );
                    if reply.status != 409 {
                        return reply;
                    }
                }
                panic!("five conflicts in a row");
            });
            (moving.join().unwrap(), renaming.join().unwrap())
        });
        assert_eq!(move_reply.status, 200, "{}", move_reply.text);
        assert_eq!(rename.status, 200, "{}", rename.text);
        for unit in [&mover, &child, &grandchild] {
            let now = get(app, unit);
            assert_eq!(
                now["topLevelUnit"]["key"], target["key"],
                "round {round}: {now}"
            );
        }
        assert_eq!(get(app, &grandchild)["name"], format!("round {round}"));
    }
}

/// Creates race moves of their parent's subtree between two Companies: in each of six rounds
/// eight clients create Divisions below a unit (and below its child) for as long as a ninth
/// takes to move that unit to the other Company. After each round every unit of the subtree has the top-level
/// unit of the tree it is in (a Division created on a stale read of its parent would keep the
/// old one until the next move).
fn divisions_created_while_their_tree_moves_keep_its_top_level_unit(app: &App) {
    let (a, b) = (company(app, "cracea"), company(app, "craceb"));
    let mover = division(app, &a, json!({}));
    let child = division(app, &mover, json!({}));
    let mut created: Vec<Value> = Vec::new();
    for round in 0..6 {
        let target = if round % 2 == 0 { &b } else { &a };
        let barrier = Arc::new(Barrier::new(9));
        let version = get(app, &mover)["version"].as_u64().unwrap();
        let moving = AtomicBool::new(true);
        created.extend(std::thread::scope(|s| {
            let bar = Arc::clone(&barrier);
            let (mover, moving) = (&mover, &moving);
            let mover_thread = s.spawn(move || {
                bar.wait();
                let reply = app.update(
                    &unit_path(mover),
                    app.admin(),
                    version,
                    json!([{"action": "changeParentUnit", "parentUnit": {"key": target["key"]}}]),
                );
                moving.store(false, Ordering::SeqCst);
                reply
            });
            // Each client creates until the move has answered (and once more).
            let creating: Vec<_> = (0..8)
                .map(|n| {
                    let bar = Arc::clone(&barrier);
                    let parent = if n % 2 == 0 { mover } else { &child };
                    s.spawn(move || {
                        bar.wait();
                        let mut made = vec![division(app, parent, json!({}))];
                        while moving.load(Ordering::SeqCst) && made.len() < 20 {
                            made.push(division(app, parent, json!({})));
                        }
                        made
                    })
                })
                .collect();
            let moved = mover_thread.join().unwrap();
            assert_eq!(moved.status, 200, "round {round}: {}", moved.text);
            creating
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        }));
        for unit in created.iter().chain([&mover, &child]) {
            let now = get(app, unit);
            assert_eq!(
                now["topLevelUnit"]["key"], target["key"],
                "round {round}: {now}"
            );
        }
    }
    let listed = app.get(
        &format!(
            "/demo/business-units?where={}&limit=0",
            encode(&format!(
                "topLevelUnit(key = \"{}\")",
                a["key"].as_str().unwrap()
            ))
        ),
        app.admin(),
    );
    assert_eq!(listed.json["total"], created.len() + 3, "{}", listed.text);
}

fn a_move_says_so_in_messages(app: &App) {
    let (a, b) = (company(app, "msga"), company(app, "msgb"));
    let d = division(app, &a, json!({}));
    let sibling = division(app, &b, json!({}));
    step(
        app,
        &d,
        1,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": b["key"]}},
               {"action": "changeParentUnit", "parentUnit": {"key": sibling["key"]}}]),
    );
    let messages = app.messages_of(id_of(&d));
    assert_eq!(
        crate::support::StoredMessage::summary(&messages),
        [
            ("BusinessUnitCreated", 1, 1),
            ("BusinessUnitParentChanged", 2, 2),
            ("BusinessUnitTopLevelUnitSet", 3, 2),
            ("BusinessUnitParentChanged", 4, 3),
        ]
    );
    assert_eq!(messages[1].doc["oldParentUnit"]["key"], a["key"]);
    assert_eq!(messages[1].doc["newParentUnit"]["key"], b["key"]);
    assert_eq!(messages[2].doc["oldTopLevelUnit"]["key"], a["key"]);
    assert_eq!(messages[2].doc["topLevelUnit"]["key"], b["key"]);
    assert_eq!(messages[3].doc["newParentUnit"]["key"], sibling["key"]);
}

/// X below Y and Y below X at the same time: one move wins, the other is refused (it would make
/// a cycle on a fresh read), and both units still lead up to the Company.
fn two_opposite_moves_never_make_a_cycle(app: &App) {
    let co = company(app, "cycle");
    for round in 0..8 {
        let x = division(app, &co, json!({}));
        let y = division(app, &co, json!({}));
        let barrier = Arc::new(Barrier::new(2));
        let replies: Vec<_> = std::thread::scope(|s| {
            [(&x, &y), (&y, &x)]
                .map(|(unit, parent)| {
                    let bar = Arc::clone(&barrier);
                    let path = unit_path(unit);
                    let parent_key = parent["key"].clone();
                    s.spawn(move || {
                        bar.wait();
                        app.update(
                            &path,
                            app.admin(),
                            1,
                            json!([{"action": "changeParentUnit", "parentUnit": {"key": parent_key}}]),
                        )
                    })
                })
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect()
        });
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {} / {}",
            replies[0].text,
            replies[1].text
        );
        for reply in replies.iter().filter(|r| r.status != 200) {
            assert!(matches!(reply.status, 400 | 409), "{}", reply.text);
        }
        let (x, y) = (get(app, &x), get(app, &y));
        let parents = [
            x["parentUnit"]["key"].clone(),
            y["parentUnit"]["key"].clone(),
        ];
        assert!(
            parents.contains(&co["key"]),
            "round {round}: a cycle: {x} / {y}"
        );
    }
}

fn set_unit_type_turns_units_around(app: &App) {
    let (co, co2) = (company(app, "type1"), company(app, "type2"));
    let d1 = division(app, &co, json!({}));
    let d2 = division(app, &d1, json!({}));
    let path = unit_path(&d1);
    let refuse = |version: u64, actions: Value, code: &str| {
        app.update(&path, app.admin(), version, actions)
            .assert_error(400, code);
    };
    refuse(
        1,
        json!([{"action": "setUnitType", "unitType": "Company"}]),
        "InvalidOperation",
    );
    refuse(
        1,
        json!([{"action": "setUnitType", "unitType": "Division", "parentUnit": {"key": co2["key"]}}]),
        "InvalidOperation",
    );
    refuse(
        1,
        json!([{"action": "setUnitType", "unitType": "Company", "parentUnit": {"key": co2["key"]}}]),
        "InvalidInput",
    );
    refuse(
        1,
        json!([{"action": "setUnitType", "unitType": "Team"}]),
        "InvalidJsonInput",
    );
    // A Division with every mode Explicit becomes the Company of its subtree.
    let company = step(
        app,
        &d1,
        1,
        json!([{"action": "setStoreMode", "storeMode": "Explicit"},
               {"action": "changeAssociateMode", "associateMode": "Explicit"},
               {"action": "changeApprovalRuleMode", "approvalRuleMode": "Explicit"},
               {"action": "setUnitType", "unitType": "Company"},
               {"action": "setUnitType", "unitType": "Company"}]),
    );
    assert_eq!(company["version"], 5);
    assert_eq!(company["unitType"], "Company");
    assert!(company.get("parentUnit").is_none(), "{company}");
    assert_eq!(company["topLevelUnit"]["key"], d1["key"]);
    assert_eq!(company["stores"], json!([]));
    assert_eq!(get(app, &d2)["topLevelUnit"]["key"], d1["key"]);
    let deleted = app.delete(&format!("{}?version=1", unit_path(&co)), app.admin());
    assert_eq!(
        deleted.status, 200,
        "the old Company has no Divisions now: {}",
        deleted.text
    );
    // A Company becomes a Division: not below its own Division, and without a parent not at all.
    refuse(
        5,
        json!([{"action": "setUnitType", "unitType": "Division"}]),
        "InvalidJsonInput",
    );
    refuse(
        5,
        json!([{"action": "setUnitType", "unitType": "Division", "parentUnit": {"key": d2["key"]}}]),
        "InvalidInput",
    );
    let division = step(
        app,
        &d1,
        5,
        json!([{"action": "setUnitType", "unitType": "Division", "parentUnit": {"id": id_of(&co2)}}]),
    );
    assert_eq!(division["unitType"], "Division");
    assert_eq!(division["parentUnit"]["key"], co2["key"]);
    assert_eq!(division["topLevelUnit"]["key"], co2["key"]);
    assert_eq!(get(app, &d2)["topLevelUnit"]["key"], co2["key"]);
    app.delete(&format!("{}?version=1", unit_path(&co2)), app.admin())
        .assert_error(400, "ReferenceExists");
}

fn inherited_fields_are_computed_when_read(app: &App) {
    let c = customer(app);
    let (shared, own) = (
        role(app, json!(["ViewMyCarts"])),
        role(app, json!(["ViewMyOrders"])),
    );
    let store = unique("inh");
    let key = unique("inh");
    let co = create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company", "stores": [{"key": store}],
                "associates": [associate(&c, &[(&shared, "Enabled"), (&own, "Disabled")])]}),
    );
    assert!(co.get("inheritedStores").is_none(), "{co}");
    assert!(co.get("inheritedAssociates").is_none(), "{co}");
    let div = division(app, &co, json!({}));
    let leaf = division(app, &div, json!({}));
    let expected_associates = json!([{
        "associateRoleAssignments": [{
            "associateRole": {"typeId": "associate-role", "key": shared},
            "source": {"typeId": "business-unit", "key": co["key"]}
        }],
        "customer": {"typeId": "customer", "id": c}
    }]);
    let stores = json!([{"typeId": "store", "key": store}]);
    for unit in [&div, &leaf] {
        assert_eq!(unit["inheritedStores"], stores, "{unit}");
        let got = get(app, unit);
        assert_eq!(got["inheritedStores"], stores);
        assert_eq!(got["inheritedAssociates"], expected_associates);
    }
    let page = app.get(
        &format!(
            "/demo/business-units?where=key%3D%22{}%22",
            leaf["key"].as_str().unwrap()
        ),
        app.admin(),
    );
    assert_eq!(
        page.json["results"][0]["inheritedAssociates"],
        expected_associates
    );
    // A mode switch in the middle cuts the leaf off; the reply of the update shows it too.
    let changed = step(
        app,
        &div,
        1,
        json!([
            {"action": "changeAssociateMode", "associateMode": "Explicit"},
            {"action": "setStoreMode", "storeMode": "Explicit", "stores": []}
        ]),
    );
    assert!(changed.get("inheritedAssociates").is_none(), "{changed}");
    assert!(changed.get("inheritedStores").is_none(), "{changed}");
    let got = get(app, &leaf);
    assert_eq!(got["inheritedAssociates"], json!([]));
    // The nearest ancestor *with* stores: the Company, past the storeless Division.
    assert_eq!(got["inheritedStores"], stores);
}
