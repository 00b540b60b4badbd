//! `/{projectKey}/in-store/key={storeKey}/business-units…`: only the units of the store (its
//! own stores, or inherited through `FromParent`), store-scoped tokens kept in their store, and
//! creates that must land in the store.

use serde_json::{json, Value};

use crate::business_units::{associate, create_unit, customer, division, role};
use crate::support::{id_of, unique, App, ADMIN};

tests!(in_store_units;
    only_the_store_s_units_are_seen,
    writes_stay_in_the_store,
    store_scoped_tokens_stay_in_their_store,
    the_associate_lookup_answers_for_the_store_s_units,
);

fn base(store: &str) -> String {
    format!("/demo/in-store/key={store}/business-units")
}

fn company_in(app: &App, stores: &[&str]) -> Value {
    let key = unique("isco");
    let stores: Vec<Value> = stores.iter().map(|s| json!({"key": s})).collect();
    create_unit(
        app,
        &json!({"key": key, "name": key, "unitType": "Company", "stores": stores}),
    )
}

fn keys(page: &Value) -> Vec<String> {
    let mut keys: Vec<String> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    keys
}

fn key(unit: &Value) -> String {
    unit["key"].as_str().unwrap().to_string()
}

fn only_the_store_s_units_are_seen(app: &App) {
    let (store, other) = (unique("st"), unique("st"));
    let co = company_in(app, &[&store]);
    let div = division(app, &co, json!({}));
    let explicit = division(app, &co, json!({"storeMode": "Explicit"}));
    let below_explicit = division(app, &explicit, json!({}));
    let own = division(
        app,
        &explicit,
        json!({"storeMode": "Explicit", "stores": [{"key": other}]}),
    );
    let elsewhere = company_in(app, &[&other]);
    let page = app.get(
        &format!("{}?withTotal=true&limit=50", base(&store)),
        app.admin(),
    );
    assert_eq!(page.status, 200, "{}", page.text);
    let mut wanted = vec![key(&co), key(&div), key(&below_explicit)];
    wanted.sort();
    assert_eq!(keys(&page.json), wanted, "{}", page.text);
    assert_eq!(page.json["total"], 3);
    let page = app.get(&base(&other), app.admin());
    let mut wanted = vec![key(&own), key(&elsewhere)];
    wanted.sort();
    assert_eq!(keys(&page.json), wanted);
    let filtered = format!("{}?where=key%3D%22{}%22", base(&store), key(&div));
    assert_eq!(keys(&app.get(&filtered, app.admin()).json), [key(&div)]);
    assert_eq!(app.head(&filtered, app.admin()).status, 200);
    let missing = format!("{}?where=key%3D%22{}%22", base(&store), key(&own));
    assert_eq!(app.head(&missing, app.admin()).status, 404);
    for unit in [&co, &div, &below_explicit] {
        let reply = app.get(&format!("{}/{}", base(&store), id_of(unit)), app.admin());
        assert_eq!(reply.status, 200, "{}", reply.text);
        let by_key = format!("{}/key={}", base(&store), key(unit));
        assert_eq!(app.head(&by_key, app.admin()).status, 200);
    }
    for unit in [&explicit, &own, &elsewhere] {
        app.get(&format!("{}/{}", base(&store), id_of(unit)), app.admin())
            .assert_error(404, "ResourceNotFound");
    }
}

fn writes_stay_in_the_store(app: &App) {
    let (store, other) = (unique("st"), unique("st"));
    let co = company_in(app, &[&store]);
    let elsewhere = company_in(app, &[&other]);
    let div = division(app, &co, json!({}));
    let rename = json!([{"action": "changeName", "name": "renamed"}]);
    let reply = app.update(
        &format!("{}/{}", base(&store), id_of(&div)),
        app.admin(),
        1,
        rename.clone(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.update(
        &format!("{}/key={}", base(&store), key(&elsewhere)),
        app.admin(),
        1,
        rename,
    )
    .assert_error(404, "ResourceNotFound");
    app.delete(
        &format!("{}/{}?version=1", base(&store), id_of(&elsewhere)),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    let reply = app.delete(
        &format!("{}/{}?version=2", base(&store), id_of(&div)),
        app.admin(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Creates: a Company without stores gets the store; a Division must inherit it.
    let k = unique("isnew");
    let reply = app.post(
        &base(&store),
        app.admin(),
        &json!({"key": k, "name": k, "unitType": "Company"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.json["stores"],
        json!([{"typeId": "store", "key": store}])
    );
    let k = unique("isnew");
    app.post(
        &base(&store),
        app.admin(),
        &json!({"key": k, "name": k, "unitType": "Company", "stores": [{"key": other}]}),
    )
    .assert_error(400, "InvalidOperation");
    let k = unique("isnew");
    let reply = app.post(
        &base(&store),
        app.admin(),
        &json!({"key": k, "name": k, "unitType": "Division", "parentUnit": {"key": co["key"]}}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let k = unique("isnew");
    app.post(&base(&store), app.admin(), &json!({"key": k, "name": k, "unitType": "Division", "parentUnit": {"key": elsewhere["key"]}}))
        .assert_error(400, "InvalidOperation");
}

fn store_scoped_tokens_stay_in_their_store(app: &App) {
    let (store, other) = (unique("st"), unique("st"));
    let co = company_in(app, &[&store, &other]);
    let viewer = app.token(ADMIN, Some(&format!("view_business_units:demo:{store}")));
    let path = |s: &str| format!("{}/{}", base(s), id_of(&co));
    assert_eq!(app.get(&path(&store), &viewer).status, 200);
    assert_eq!(app.get(&base(&store), &viewer).status, 200);
    app.get(&path(&other), &viewer)
        .assert_error(403, "insufficient_scope");
    app.get(&format!("/demo/business-units/{}", id_of(&co)), &viewer)
        .assert_error(403, "insufficient_scope");
    app.update(
        &path(&store),
        &viewer,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    )
    .assert_error(403, "insufficient_scope");
    let manager = app.token(ADMIN, Some(&format!("manage_business_units:demo:{store}")));
    let reply = app.update(
        &path(&store),
        &manager,
        1,
        json!([{"action": "changeName", "name": "x"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let project_wide = app.token(ADMIN, Some("view_business_units:demo"));
    assert_eq!(app.get(&path(&other), &project_wide).status, 200);
}

/// `…/in-store/key={store}/business-units/{id or key=…}/associates/{customerId}`: the lookup
/// of a unit of the store (own or inherited store), with inherited roles; 404 for a unit of
/// another store and for a customer who is not an associate; the project's
/// `view_business_units` is needed (a store-scoped token gets 403).
fn the_associate_lookup_answers_for_the_store_s_units(app: &App) {
    let (store, other) = (unique("st"), unique("st"));
    let buyer = customer(app);
    let role = role(app, json!(["UpdateAssociates"]));
    let co = company_in(app, &[&store]);
    let step = app.update(
        &format!("/demo/business-units/{}", id_of(&co)),
        app.admin(),
        1,
        json!([{"action": "addAssociate", "associate": associate(&buyer, &[(&role, "Enabled")])}]),
    );
    assert_eq!(step.status, 200, "{}", step.text);
    let div = division(app, &co, json!({}));
    let by_id = app.get(
        &format!("{}/{}/associates/{buyer}", base(&store), id_of(&div)),
        app.admin(),
    );
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    assert_eq!(by_id.json["customer"]["id"], buyer.as_str());
    assert_eq!(
        by_id.json["inheritedAssociateRoles"][0]["key"],
        role.as_str()
    );
    assert_eq!(by_id.json["permissions"], json!(["UpdateAssociates"]));
    let by_key = app.get(
        &format!("{}/key={}/associates/{buyer}", base(&store), key(&co)),
        app.admin(),
    );
    assert_eq!(by_key.status, 200, "{}", by_key.text);
    assert_eq!(by_key.json["associateRoles"][0]["key"], role.as_str());
    assert_eq!(
        app.head(
            &format!("{}/key={}/associates/{buyer}", base(&store), key(&co)),
            app.admin()
        )
        .status,
        200
    );
    // Another store's path: 404, as the unit does not exist there.
    app.get(
        &format!("{}/{}/associates/{buyer}", base(&other), id_of(&div)),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    let stranger = customer(app);
    app.get(
        &format!("{}/{}/associates/{stranger}", base(&store), id_of(&div)),
        app.admin(),
    )
    .assert_error(404, "ResourceNotFound");
    let store_token = app.token(ADMIN, Some(&format!("view_business_units:demo:{store}")));
    app.get(
        &format!("{}/{}/associates/{buyer}", base(&store), id_of(&div)),
        &store_token,
    )
    .assert_error(403, "insufficient_scope");
}
