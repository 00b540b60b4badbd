//! `/{projectKey}/as-associate/{associateId}/business-units…`: the associate's permissions in
//! the unit (explicit and inherited roles) decide every write — allowed and refused
//! (`AssociateMissingPermission` naming the permission) on get, query, update and create;
//! `/{projectKey}/me/business-units…`, the same for the customer of the token, with the
//! MyBusinessUnit actions only.

use serde_json::{json, Value};

use crate::business_units::{associate, create_unit, customer, division, role};
use crate::support::{form, id_of, unique, unique_email, App, ADMIN};

tests!(as_associate;
    reads_need_membership,
    updates_need_the_action_permission,
    creating_and_moving_need_add_child_units,
    scopes_and_methods,
    my_business_units,
    creating_my_business_units_follows_the_project_settings,
    signing_up_an_associate_in_my_business_unit,
);

fn base(associate: &str) -> String {
    format!("/demo/as-associate/{associate}/business-units")
}

/// A Company where `members` are associates with the given roles.
fn company_with(app: &App, members: &[(&str, &[(&str, &str)])]) -> Value {
    let key = unique("aa");
    let associates: Vec<Value> = members.iter().map(|(c, r)| associate(c, r)).collect();
    create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company", "associates": associates}),
    )
}

#[track_caller]
fn refused(reply: &crate::support::Reply, associate: &str, unit: &Value, permission: &str) {
    let error = reply.assert_error(403, "AssociateMissingPermission");
    assert_eq!(error["permissions"], json!([permission]), "{}", reply.text);
    assert_eq!(
        error["associate"],
        json!({"typeId": "customer", "id": associate})
    );
    if !unit.is_null() {
        assert_eq!(error["businessUnit"]["key"], unit["key"]);
    }
    assert!(
        error["message"].as_str().unwrap().contains(permission),
        "{}",
        reply.text
    );
}

fn reads_need_membership(app: &App) {
    let (boss, outsider) = (customer(app), customer(app));
    let viewer = role(app, json!(["ViewMyCarts"]));
    let co = company_with(app, &[(&boss, &[(&viewer, "Enabled")])]);
    let div = division(app, &co, json!({}));
    let path = |c: &str, unit: &Value| format!("{}/{}", base(c), id_of(unit));
    for unit in [&co, &div] {
        let reply = app.get(&path(&boss, unit), app.admin());
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json["key"], unit["key"]);
        app.get(&path(&outsider, unit), app.admin())
            .assert_error(404, "ResourceNotFound");
    }
    let by_key = format!("{}/key={}", base(&boss), div["key"].as_str().unwrap());
    assert_eq!(app.get(&by_key, app.admin()).status, 200);
    assert_eq!(app.head(&by_key, app.admin()).status, 200);
    let by_key = format!("{}/key={}", base(&outsider), div["key"].as_str().unwrap());
    assert_eq!(app.head(&by_key, app.admin()).status, 404);
    // The query lists the units the customer belongs to explicitly or by inheritance (the
    // Division inherits the Company's Enabled assignment; an Explicit-mode Division, and
    // anything below a Disabled assignment, does not).
    let explicit = division(app, &co, json!({"associateMode": "Explicit"}));
    let below = division(app, &div, json!({}));
    let page = app.get(
        &format!("{}?withTotal=true&sort=createdAt+asc", base(&boss)),
        app.admin(),
    );
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["total"], 3, "{}", page.text);
    let listed: Vec<&Value> = page.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["key"])
        .collect();
    assert_eq!(listed, [&co["key"], &div["key"], &below["key"]]);
    let disabled_member = customer(app);
    let step = app.update(
        &format!("/demo/business-units/{}", id_of(&explicit)),
        app.admin(),
        1,
        json!([{"action": "addAssociate", "associate": associate(&disabled_member, &[(&viewer, "Disabled")])}]),
    );
    assert_eq!(step.status, 200, "{}", step.text);
    let _below_disabled = division(app, &explicit, json!({}));
    let page = app.get(&base(&disabled_member), app.admin());
    assert_eq!(page.json["count"], 1, "{}", page.text);
    // A variable of the request's own cannot widen the inherited units.
    let sneaky = format!(
        "{}?var.asAssociateInheritedUnits={}",
        base(&boss),
        explicit["key"].as_str().unwrap()
    );
    assert_eq!(app.get(&sneaky, app.admin()).json["count"], 3);
    let filtered = format!("{}?where=key%3D%22nothing%22", base(&boss));
    assert_eq!(app.get(&filtered, app.admin()).json["count"], 0);
    assert_eq!(app.get(&base(&outsider), app.admin()).json["count"], 0);
    assert_eq!(app.head(&base(&outsider), app.admin()).status, 404);
    assert_eq!(app.head(&base(&boss), app.admin()).status, 200);
}

fn updates_need_the_action_permission(app: &App) {
    let (editor, hr, clerk, newcomer) =
        (customer(app), customer(app), customer(app), customer(app));
    let details = role(app, json!(["UpdateBusinessUnitDetails"]));
    let people = role(app, json!(["UpdateAssociates"]));
    let carts = role(app, json!(["ViewMyCarts"]));
    let co = company_with(
        app,
        &[
            (&editor, &[(&details, "Enabled")]),
            (&hr, &[(&people, "Disabled")]),
            (&clerk, &[(&carts, "Enabled")]),
        ],
    );
    let div = division(app, &co, json!({}));
    let update = |c: &str, unit: &Value, version: u64, actions: Value| {
        app.update(
            &format!("{}/{}", base(c), id_of(unit)),
            app.admin(),
            version,
            actions,
        )
    };
    let rename = json!([{"action": "changeName", "name": "renamed"}]);
    let reply = update(&editor, &co, 1, rename.clone());
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["name"], "renamed");
    refused(
        &update(&clerk, &co, 2, rename.clone()),
        &clerk,
        &co,
        "UpdateBusinessUnitDetails",
    );
    refused(
        &update(&hr, &co, 2, rename.clone()),
        &hr,
        &co,
        "UpdateBusinessUnitDetails",
    );
    // Inherited: the editor's role passes down; hr's does not (inheritance Disabled).
    let reply = update(&editor, &div, 1, rename.clone());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let add = json!([{"action": "addAssociate", "associate": associate(&newcomer, &[(&carts, "Disabled")])}]);
    refused(
        &update(&editor, &co, 2, add.clone()),
        &editor,
        &co,
        "UpdateAssociates",
    );
    // A role that is not buyerAssignable cannot be given here.
    let admin_only = unique("adminonly");
    crate::associate_roles::create_role(
        app,
        &json!({"key": admin_only, "buyerAssignable": false, "permissions": []}),
    );
    let privileged = json!([{"action": "addAssociate",
                             "associate": associate(&newcomer, &[(&admin_only, "Disabled")])}]);
    update(&hr, &co, 2, privileged).assert_error(400, "InvalidOperation");
    let reply = update(&hr, &co, 2, add);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mode = json!([{"action": "changeAssociateMode", "associateMode": "Explicit"}]);
    refused(
        &update(&editor, &div, 2, mode),
        &editor,
        &div,
        "UpdateAssociates",
    );
    // A mixed update is refused whole.
    let mixed = json!([{"action": "changeName", "name": "n"},
                       {"action": "removeAssociate", "customer": {"id": newcomer}}]);
    refused(
        &update(&editor, &co, 3, mixed),
        &editor,
        &co,
        "UpdateAssociates",
    );
    assert_eq!(
        app.get(&format!("/demo/business-units/{}", id_of(&co)), app.admin())
            .json["version"],
        3
    );
    // By key, and an Inactive unit is changed only through the general endpoints.
    let key_path = format!("{}/key={}", base(&editor), co["key"].as_str().unwrap());
    let reply = app.update(
        &key_path,
        app.admin(),
        3,
        json!([{"action": "setContactEmail", "contactEmail": "a@b.c"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let inactive = division(app, &co, json!({"status": "Inactive"}));
    update(&editor, &inactive, 1, rename).assert_error(400, "InvalidOperation");
    // Not an associate at all: 404.
    update(
        &newcomer,
        &div,
        2,
        json!([{"action": "changeName", "name": "x"}]),
    )
    .assert_error(404, "ResourceNotFound");
}

fn creating_and_moving_need_add_child_units(app: &App) {
    let (founder, clerk, mover, lonely) =
        (customer(app), customer(app), customer(app), customer(app));
    let children = role(app, json!(["AddChildUnits"]));
    let carts = role(app, json!(["ViewMyCarts"]));
    let moves = role(app, json!(["UpdateParentUnit", "AddChildUnits"]));
    let moves_only = role(app, json!(["UpdateParentUnit"]));
    let co = company_with(
        app,
        &[
            (&founder, &[(&children, "Enabled")]),
            (&clerk, &[(&carts, "Enabled")]),
            (&mover, &[(&moves, "Enabled")]),
            (&lonely, &[(&moves_only, "Enabled")]),
        ],
    );
    let draft = |parent: &Value| {
        let key = unique("aadiv");
        json!({"key": key, "name": key, "unitType": "Division",
               "parentUnit": {"key": parent["key"], "typeId": "business-unit"}})
    };
    let reply = app.post(&base(&founder), app.admin(), &draft(&co));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let child = reply.json;
    // Who created it says as which associate (`createdBy.associate`).
    let founder_ref = json!({"typeId": "customer", "id": founder});
    assert_eq!(child["createdBy"]["associate"], founder_ref, "{child}");
    assert_eq!(child["createdBy"]["clientId"], "demo-admin");
    // Inherited AddChildUnits lets the founder create below the Division too.
    let reply = app.post(&base(&founder), app.admin(), &draft(&child));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let grandchild = reply.json;
    refused(
        &app.post(&base(&clerk), app.admin(), &draft(&co)),
        &clerk,
        &co,
        "AddChildUnits",
    );
    let company_draft = json!({"key": unique("aaco"), "name": "n", "unitType": "Company"});
    app.post(&base(&founder), app.admin(), &company_draft)
        .assert_error(400, "InvalidOperation");
    // Moving: UpdateParentUnit in the unit, AddChildUnits in the new parent.
    let other = division(app, &co, json!({}));
    let move_to = |parent: &Value| json!([{"action": "changeParentUnit", "parentUnit": {"key": parent["key"]}}]);
    let path = |c: &str| format!("{}/{}", base(c), id_of(&grandchild));
    let version = grandchild["version"].as_u64().unwrap();
    refused(
        &app.update(&path(&founder), app.admin(), version, move_to(&other)),
        &founder,
        &grandchild,
        "UpdateParentUnit",
    );
    refused(
        &app.update(&path(&lonely), app.admin(), version, move_to(&other)),
        &lonely,
        &other,
        "AddChildUnits",
    );
    let reply = app.update(&path(&mover), app.admin(), version, move_to(&other));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["parentUnit"]["key"], other["key"]);
}

fn scopes_and_methods(app: &App) {
    let boss = customer(app);
    let all = role(app, json!(["UpdateBusinessUnitDetails", "AddChildUnits"]));
    let co = company_with(app, &[(&boss, &[(&all, "Enabled")])]);
    let path = format!("{}/{}", base(&boss), id_of(&co));
    let viewer = app.token(ADMIN, Some("view_business_units:demo"));
    assert_eq!(app.get(&path, &viewer).status, 200);
    assert_eq!(app.get(&base(&boss), &viewer).status, 200);
    app.update(
        &path,
        &viewer,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    )
    .assert_error(403, "insufficient_scope");
    let key = unique("aadiv");
    let draft =
        json!({"key": key, "name": key, "unitType": "Division", "parentUnit": {"key": co["key"]}});
    app.post(&base(&boss), &viewer, &draft)
        .assert_error(403, "insufficient_scope");
    let manager = app.token(ADMIN, Some("manage_business_units:demo"));
    let reply = app.update(
        &path,
        &manager,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    for scope in ["view_associate_roles:demo", "manage_customers:demo"] {
        let token = app.token(ADMIN, Some(scope));
        app.get(&path, &token)
            .assert_error(403, "insufficient_scope");
    }
    app.delete(&format!("{path}?version=2"), app.admin())
        .assert_error(405, "MethodNotAllowed");
}

/// A client with `manage_my_business_units`, and a token of a new customer through it;
/// (customer id, token).
fn buyer(app: &App) -> (String, String) {
    let created = app.post(
        "/demo/api-clients",
        app.admin(),
        &json!({"name": unique("buyers"), "scope": "manage_my_business_units:demo manage_my_profile:demo"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let client = (
        created.json["id"].as_str().unwrap(),
        created.json["secret"].as_str().unwrap(),
    );
    let email = unique_email("buyer");
    let c = app.create_customer(&json!({"email": email, "password": "pw"}));
    let body = format!(
        "grant_type=password&username={}&password=pw",
        crate::support::encode(&email)
    );
    let reply = form(app, client, "/oauth/demo/customers/token", &body, &[]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    (
        id_of(&c).to_string(),
        reply.json["access_token"].as_str().unwrap().to_string(),
    )
}

fn my_business_units(app: &App) {
    let (me, token) = buyer(app);
    let all = role(
        app,
        json!([
            "UpdateBusinessUnitDetails",
            "UpdateAssociates",
            "UpdateParentUnit",
            "AddChildUnits"
        ]),
    );
    let co = company_with(app, &[(&me, &[(&all, "Enabled")])]);
    let (a, b) = (division(app, &co, json!({})), division(app, &co, json!({})));
    let foreign = company_with(app, &[(&me, &[(&all, "Enabled")])]);
    let stranger = crate::business_units::company(app, "stranger");
    let page = app.get("/demo/me/business-units", &token);
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["count"], 4, "{}", page.text);
    // Customers are not expanded here (401 Unauthorized); other references are.
    for expand in ["associates[*].customer", "inheritedAssociates[*].customer"] {
        let reply = app.get(
            &format!(
                "/demo/me/business-units/{}?expand={}",
                id_of(&a),
                crate::support::encode(expand)
            ),
            &token,
        );
        let error = reply.assert_error(401, "Unauthorized");
        assert_eq!(
            error["message"],
            "Customer reference expansion not permitted on my business unit"
        );
        app.get(
            &format!(
                "/demo/me/business-units?expand={}",
                crate::support::encode(expand)
            ),
            &token,
        )
        .assert_error(401, "Unauthorized");
    }
    let roles = crate::support::encode("associates[*].associateRoleAssignments[*].associateRole");
    let reply = app.get(
        &format!("/demo/me/business-units/{}?expand={roles}", id_of(&co)),
        &token,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let path = |unit: &Value| format!("/demo/me/business-units/{}", id_of(unit));
    assert_eq!(app.get(&path(&a), &token).status, 200);
    let by_key = format!(
        "/demo/me/business-units/key={}",
        co["key"].as_str().unwrap()
    );
    assert_eq!(app.get(&by_key, &token).json["key"], co["key"]);
    app.get(&path(&stranger), &token)
        .assert_error(404, "ResourceNotFound");
    let reply = app.update(
        &path(&co),
        &token,
        1,
        json!([{"action": "changeName", "name": "mine"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let me_ref = json!({"typeId": "customer", "id": me});
    assert_eq!(
        reply.json["lastModifiedBy"]["associate"], me_ref,
        "{}",
        reply.text
    );
    assert_eq!(
        reply.json["lastModifiedBy"]["customer"], me_ref,
        "{}",
        reply.text
    );
    // Not a MyBusinessUnit action.
    app.update(
        &path(&co),
        &token,
        2,
        json!([{"action": "changeStatus", "status": "Inactive"}]),
    )
    .assert_error(400, "InvalidInput");
    // Moves stay within the tree.
    let move_to = |parent: &Value| json!([{"action": "changeParentUnit", "parentUnit": {"key": parent["key"]}}]);
    app.update(&path(&b), &token, 1, move_to(&foreign))
        .assert_error(400, "InvalidOperation");
    let reply = app.update(&path(&b), &token, 1, move_to(&a));
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Permissions decide as for as-associate.
    let (other, other_token) = buyer(app);
    let carts = role(app, json!(["ViewMyCarts"]));
    let theirs = company_with(app, &[(&other, &[(&carts, "Enabled")])]);
    let reply = app.update(
        &path(&theirs),
        &other_token,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    );
    refused(&reply, &other, &theirs, "UpdateBusinessUnitDetails");
    // No delete, no admin or client token.
    app.delete(&format!("{}?version=2", path(&co)), &token)
        .assert_error(405, "MethodNotAllowed");
    app.get("/demo/me/business-units", app.admin())
        .assert_error(403, "insufficient_scope");
    let units = app.token(ADMIN, Some("manage_business_units:demo"));
    app.get("/demo/me/business-units", &units)
        .assert_error(403, "insufficient_scope");
}

/// `POST /me/business-units`: refused (400 `InvalidOperation`) until the project names the
/// role a creator gets (`setMyBusinessUnitAssociateRoleOnCreation`); then a Company is created
/// with the customer as its associate with that role and the project's
/// `myBusinessUnitStatusOnCreation`; a Division needs `AddChildUnits` in its parent; the
/// fields MyBusinessUnitDraft lacks are refused. The only test changing these demo settings.
fn creating_my_business_units_follows_the_project_settings(app: &App) {
    let (me, token) = buyer(app);
    let draft = |extra: Value| {
        let k = unique("mine");
        let mut d = json!({"key": k, "name": k, "unitType": "Company"});
        d.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        d
    };
    let project = app.get("/demo", app.admin()).json;
    if project["businessUnits"]["myBusinessUnitAssociateRoleOnCreation"].is_null() {
        app.post("/demo/me/business-units", &token, &draft(json!({})))
            .assert_error(400, "InvalidOperation");
    }
    let settings = |actions: Value| {
        let version = app.get("/demo", app.admin()).json["version"]
            .as_u64()
            .unwrap();
        app.update("/demo", app.admin(), version, actions)
    };
    let founder = role(app, json!(["AddChildUnits", "UpdateBusinessUnitDetails"]));
    settings(json!([{"action": "setMyBusinessUnitAssociateRoleOnCreation", "associateRole": {"key": "no-such-role"}}]))
        .assert_error(400, "ReferencedResourceNotFound");
    let reply = settings(json!([
        {"action": "setMyBusinessUnitAssociateRoleOnCreation", "associateRole": {"key": founder}},
        {"action": "changeMyBusinessUnitStatusOnCreation", "status": "Active"}
    ]));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["businessUnits"],
        json!({"myBusinessUnitStatusOnCreation": "Active",
               "myBusinessUnitAssociateRoleOnCreation": {"typeId": "associate-role", "key": founder}})
    );
    let reply = app.post("/demo/me/business-units", &token, &draft(json!({})));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let co = reply.json;
    assert_eq!(co["status"], "Active");
    assert_eq!(co["associates"][0]["customer"]["id"], me.as_str());
    assert_eq!(
        co["associates"][0]["associateRoleAssignments"][0],
        json!({"associateRole": {"typeId": "associate-role", "key": founder}, "inheritance": "Enabled"})
    );
    assert_eq!(co["createdBy"]["associate"]["id"], me.as_str());
    // A Division below a unit where the creator may add children; not elsewhere.
    let below = |parent: &Value| {
        draft(json!({"unitType": "Division", "parentUnit": {"key": parent["key"]}}))
    };
    let reply = app.post("/demo/me/business-units", &token, &below(&co));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let stranger = crate::business_units::company(app, "notmine");
    let reply = app.post("/demo/me/business-units", &token, &below(&stranger));
    refused(&reply, &me, &Value::Null, "AddChildUnits");
    for extra in [
        json!({"stores": []}),
        json!({"status": "Active"}),
        json!({"associates": []}),
    ] {
        app.post("/demo/me/business-units", &token, &draft(extra))
            .assert_error(400, "InvalidJsonInput");
    }
    assert_eq!(app.get("/demo/me/business-units", &token).json["count"], 2);
}

/// How many customers have `email` (seen by the back office).
fn customers_with(app: &App, email: &str) -> u64 {
    let predicate = crate::support::encode(&format!("email = \"{email}\""));
    let page = app.get(&format!("/demo/customers?where={predicate}"), app.admin());
    assert_eq!(page.status, 200, "{}", page.text);
    page.json["count"].as_u64().unwrap()
}

/// `POST /in-business-unit/key={key}/me/customers`: an associate holding `UpdateAssociates`
/// signs up a new customer who becomes an associate of the unit at the draft's version; a
/// failing second step (version, unknown role) leaves no customer behind; no permission is
/// 403, an unknown unit 404, a bad body 400.
fn signing_up_an_associate_in_my_business_unit(app: &App) {
    let (me, token) = buyer(app);
    let admin_role = role(app, json!(["UpdateAssociates"]));
    let buyer_role = role(app, json!(["ViewMyCarts"]));
    let co = company_with(app, &[(&me, &[(&admin_role, "Enabled")])]);
    let path = format!(
        "/demo/in-business-unit/key={}/me/customers",
        co["key"].as_str().unwrap()
    );
    let draft = |version: u64, email: &str, role: &str| {
        json!({
            "version": version,
            "customer": {"email": email, "password": "secret", "firstName": "New"},
            "associateRoleAssignments": [{"associateRole": {"key": role}}]
        })
    };
    let email = unique_email("signup-assoc");
    let reply = app.post(&path, &token, &draft(1, &email, &buyer_role));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let new_id = reply.json["customer"]["id"].as_str().unwrap().to_string();
    assert_eq!(reply.json["customer"]["email"], email.as_str());
    let unit = app.get(&format!("/demo/business-units/{}", id_of(&co)), app.admin());
    assert_eq!(unit.json["version"], 2, "{}", unit.text);
    let added = unit.json["associates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["customer"]["id"] == new_id.as_str())
        .unwrap_or_else(|| panic!("{}", unit.text));
    assert_eq!(
        added["associateRoleAssignments"][0]["associateRole"]["key"],
        buyer_role.as_str()
    );
    assert_eq!(
        unit.json["lastModifiedBy"]["associate"],
        json!({"typeId": "customer", "id": me})
    );
    // The new customer signs in with its password.
    let signed_in = app.post(
        "/demo/login",
        app.admin(),
        &json!({"email": email, "password": "secret"}),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    // CustomerCreated and the unit's AssociateAdded.
    for (resource, kind) in [
        (new_id.as_str(), "CustomerCreated"),
        (id_of(&co), "BusinessUnitAssociateAdded"),
    ] {
        let predicate = crate::support::encode(&format!(
            "resource(id = \"{resource}\") and type = \"{kind}\""
        ));
        let page = app.get(&format!("/demo/messages?where={predicate}"), app.admin());
        assert_eq!(page.json["count"], 1, "{kind}: {}", page.text);
    }
    // The same email again: 400 DuplicateField, as on /me/signup; the unit is unchanged.
    app.post(&path, &token, &draft(2, &email, &buyer_role))
        .assert_error(400, "DuplicateField");
    // A stale version: 409, and no customer is created.
    let stale = unique_email("signup-stale");
    let reply = app.post(&path, &token, &draft(1, &stale, &buyer_role));
    let error = reply.assert_error(409, "ConcurrentModification");
    assert_eq!(error["currentVersion"], 2, "{}", reply.text);
    assert_eq!(customers_with(app, &stale), 0);
    // An unknown role fails the addAssociate after the customer was written: it is deleted.
    let orphan = unique_email("signup-orphan");
    let reply = app.post(&path, &token, &draft(2, &orphan, "no-such-role"));
    reply.assert_error(400, "ReferencedResourceNotFound");
    assert_eq!(customers_with(app, &orphan), 0);
    let unit = app.get(&format!("/demo/business-units/{}", id_of(&co)), app.admin());
    assert_eq!(unit.json["version"], 2, "{}", unit.text);
    // The email is free again: the undo removed the customer and its email.
    let reply = app.post(&path, &token, &draft(2, &orphan, &buyer_role));
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(customers_with(app, &orphan), 1);
    // Without UpdateAssociates: 403, nothing written.
    let (other, other_token) = buyer(app);
    let theirs = company_with(app, &[(&other, &[(&buyer_role, "Enabled")])]);
    let their_path = format!(
        "/demo/in-business-unit/key={}/me/customers",
        theirs["key"].as_str().unwrap()
    );
    let refused_email = unique_email("signup-refused");
    let reply = app.post(
        &their_path,
        &other_token,
        &draft(1, &refused_email, &buyer_role),
    );
    refused(&reply, &other, &theirs, "UpdateAssociates");
    assert_eq!(customers_with(app, &refused_email), 0);
    // An unknown unit, or one the caller is no associate of: 404.
    app.post(
        "/demo/in-business-unit/key=no-such-unit/me/customers",
        &token,
        &draft(1, &unique_email("x"), &buyer_role),
    )
    .assert_error(404, "ResourceNotFound");
    app.post(
        &their_path,
        &token,
        &draft(1, &unique_email("x"), &buyer_role),
    )
    .assert_error(404, "ResourceNotFound");
    // Bad bodies: 400 in the commercetools shape.
    let fresh = unique_email("signup-bad");
    for body in [
        json!({"version": 3, "customer": {"email": fresh, "password": "p"}, "associateRoleAssignments": []}),
        json!({"version": 3, "customer": {"email": fresh, "password": "p"}}),
        json!({"version": "3", "customer": {"email": fresh, "password": "p"}, "associateRoleAssignments": [{"associateRole": {"key": buyer_role}}]}),
        json!({"version": 3, "customer": "x", "associateRoleAssignments": [{"associateRole": {"key": buyer_role}}]}),
        json!({"version": 3, "customer": {"email": fresh, "key": "k"}, "associateRoleAssignments": [{"associateRole": {"key": buyer_role}}]}),
    ] {
        let reply = app.post(&path, &token, &body);
        reply.assert_error(400, "InvalidJsonInput");
        assert_eq!(reply.json["statusCode"], 400, "{}", reply.text);
    }
    let reply = app.post_raw(&path, &token, b"{\"version\": 3,");
    reply.assert_error(400, "InvalidJsonInput");
    assert_eq!(customers_with(app, &fresh), 0);
    // Only POST.
    app.get(&path, &token).assert_error(405, "MethodNotAllowed");
}
