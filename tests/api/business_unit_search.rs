//! Business Unit Search: activation on a project with existing units (Scheduled → Indexing →
//! Ready; SearchNotReady before and after), every expression kind on unit fields, writes
//! (including a move's subtree) visible at once, bad input, and the scopes (a store-scoped
//! token finds only its stores' units).
//!
//! The `demo` project's Business Unit Search is activated before the tests run
//! (`search::activate_demo`); the lifecycle runs in the `other` project, serially (it updates the
//! project, as the customer search lifecycle does).

use serde_json::{json, Value};

use crate::search::{tag, wait_ready, BUSINESS_UNITS};
use crate::support::{id_of, App, ADMIN, OTHER_ADMIN};

tests!(business_unit_search;
    each_expression_finds_the_expected_units,
    writes_and_moves_are_visible_at_once,
    bad_input_is_a_400_naming_the_problem,
    search_needs_its_scopes_and_store_tokens_see_their_stores,
    store_tokens_find_units_that_inherit_their_stores,
    sort_filters_and_languages_on_units,
    ; serial: activation_indexes_existing_units_and_deactivation_stops_search,
    a_build_that_keeps_failing_is_reported_failed,
);

const SEARCH: &str = "/demo/business-units/search";

fn ids(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The ids `query` finds among the units named with `tag`, sorted.
fn found_as(app: &App, token: &str, tag: &str, query: Value) -> Vec<String> {
    let within = json!({"filter": [{"fullText": {"field": "name", "value": tag}}]});
    let body = json!({"query": {"and": [query, within]}, "limit": 100});
    let reply = app.post(SEARCH, token, &body);
    assert_eq!(reply.status, 200, "{body}: {}", reply.text);
    let mut found = ids(&reply.json);
    found.sort();
    found
}

fn sorted(units: &[&Value]) -> Vec<String> {
    let mut v: Vec<String> = units.iter().map(|u| id_of(u).to_string()).collect();
    v.sort();
    v
}

#[track_caller]
fn create(app: &App, project: &str, token: &str, draft: Value) -> Value {
    let reply = app.post(&format!("/{project}/business-units"), token, &draft);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

fn path(unit: &Value) -> String {
    format!("/demo/business-units/{}", id_of(unit))
}

/// A company with a division (Inactive, in store s2) and a second company in store s1.
fn units(app: &App, tag: &str) -> [Value; 3] {
    let a = create(
        app,
        "demo",
        app.admin(),
        json!({"key": format!("{tag}-plumb"), "name": format!("{tag} Plumbing Works"),
               "unitType": "Company", "contactEmail": format!("info@{tag}.example"),
               "stores": [{"key": "s1", "typeId": "store"}],
               "addresses": [{"country": "DE", "city": "Hamburg", "postalCode": "20095"}]}),
    );
    let b = create(
        app,
        "demo",
        app.admin(),
        json!({"key": format!("{tag}-div"), "name": format!("{tag} Heating Division"),
               "unitType": "Division", "status": "Inactive", "storeMode": "Explicit",
               "stores": [{"key": "s2", "typeId": "store"}],
               "parentUnit": {"key": format!("{tag}-plumb"), "typeId": "business-unit"}}),
    );
    let c = create(
        app,
        "demo",
        app.admin(),
        json!({"key": format!("{tag}-zed"), "name": format!("{tag} Zeppelin Traders"),
               "unitType": "Company", "addresses": [{"country": "FR", "city": "Paris"}]}),
    );
    [a, b, c]
}

/// `sort[].filter` and `language` on units: the stores a unit's sort key is taken from, and
/// `language` checked (unit fields are not localized).
fn sort_filters_and_languages_on_units(app: &App) {
    let t = tag();
    let unit = |name: &str, stores: &[&str]| {
        let stores: Vec<Value> = stores
            .iter()
            .map(|s| json!({"key": s, "typeId": "store"}))
            .collect();
        create(
            app,
            "demo",
            app.admin(),
            json!({"key": format!("{t}-{name}"), "name": format!("{t} {name}"),
                   "unitType": "Company", "stores": stores}),
        )
    };
    let x = unit("x", &["a-store", "m-store"]);
    let y = unit("y", &["b-store", "k-store"]);
    let within = json!({"filter": [{"fullText": {"field": "name", "value": t}}]});
    let sort = |s: Value| {
        let reply = app.post(SEARCH, app.admin(), &json!({"query": within, "sort": [s]}));
        assert_eq!(reply.status, 200, "{}", reply.text);
        ids(&reply.json)
    };
    let (x, y) = (id_of(&x).to_string(), id_of(&y).to_string());
    assert_eq!(
        sort(json!({"field": "stores.key", "order": "asc"})),
        [x.clone(), y.clone()]
    );
    let not_a = json!({"field": "stores.key", "order": "asc", "language": "en",
        "filter": {"not": [{"exact": {"field": "stores.key", "value": "a-store"}}]}});
    assert_eq!(sort(not_a), [y.clone(), x.clone()]); // b-store before m-store
    let reply = app.post(
        SEARCH,
        app.admin(),
        &json!({"sort": [{"field": "stores.key", "order": "asc",
            "filter": {"exact": {"field": "status", "value": "Active"}}}]}),
    );
    reply.assert_error(400, "InvalidInput");
    let reply = app.post(
        SEARCH,
        app.admin(),
        &json!({"query": {"fullText": {"field": "name", "value": t, "language": "x y"}}}),
    );
    reply.assert_error(400, "InvalidInput");
    assert!(
        reply.text.contains("query.fullText.language"),
        "{}",
        reply.text
    );
}

fn each_expression_finds_the_expected_units(app: &App) {
    let t = tag();
    let [a, b, c] = units(app, &t);
    let f = |q: Value| found_as(app, app.admin(), &t, q);
    assert_eq!(
        f(json!({"fullText": {"field": "all", "value": "plumbing"}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"fullText": {"field": "name", "value": "heating zeppelin", "mustMatch": "any"}})),
        sorted(&[&b, &c])
    );
    assert_eq!(
        f(json!({"fullTextPrefix": {"field": "name", "value": "Zepp"}})),
        sorted(&[&c])
    );
    assert!(f(json!({"fuzzy": {"field": "name", "value": "Plumbimg", "level": 0}})).is_empty());
    assert_eq!(
        f(json!({"fuzzy": {"field": "name", "value": "Plumbimg", "level": 1}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"exact": {"field": "status", "value": "Inactive"}})),
        sorted(&[&b])
    );
    assert_eq!(
        f(json!({"exact": {"field": "unitType", "values": ["Company"]}})),
        sorted(&[&a, &c])
    );
    assert_eq!(
        f(
            json!({"exact": {"field": "key", "value": format!("{}-ZED", t.to_uppercase()), "caseInsensitive": true}})
        ),
        sorted(&[&c])
    );
    assert_eq!(
        f(json!({"prefix": {"field": "key", "value": format!("{t}-p")}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"wildcard": {"field": "contactEmail", "value": "info@*.example"}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"exists": {"field": "contactEmail"}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"range": {"field": "createdAt", "gte": a["createdAt"], "lte": c["createdAt"]}})),
        sorted(&[&a, &b, &c])
    );
    assert_eq!(
        f(json!({"exact": {"field": "topLevelUnit.key", "value": format!("{t}-plumb")}})),
        sorted(&[&a, &b])
    );
    assert_eq!(
        f(json!({"exact": {"field": "parentUnit.key", "value": format!("{t}-plumb")}})),
        sorted(&[&b])
    );
    assert_eq!(
        f(json!({"exact": {"field": "stores.key", "value": "s2"}})),
        sorted(&[&b])
    );
    assert_eq!(
        f(json!({"exact": {"field": "addresses.city", "value": "Paris"}})),
        sorted(&[&c])
    );
    assert_eq!(
        f(json!({"not": [{"exact": {"field": "unitType", "value": "Division"}}]})),
        sorted(&[&a, &c])
    );
    assert_eq!(
        f(
            json!({"or": [{"exact": {"field": "status", "value": "Inactive"}},
                        {"fullText": {"field": "all", "value": "hamburg"}}]})
        ),
        sorted(&[&a, &b])
    );
    // Sorting by a field, and relevance for `all`.
    let body = json!({"query": {"fullText": {"field": "name", "value": t}},
                      "sort": [{"field": "key", "order": "desc"}]});
    let reply = app.post(SEARCH, app.admin(), &body);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        ids(&reply.json),
        [id_of(&c), id_of(&a), id_of(&b)].map(str::to_string)
    );
    assert_eq!(reply.json["total"], 3);
    assert!(reply.json["results"][0]["relevance"].is_number());
}

fn writes_and_moves_are_visible_at_once(app: &App) {
    let t = tag();
    let [a, b, c] = units(app, &t);
    let f = |q: Value| found_as(app, app.admin(), &t, q);
    // A rename is found at once under the new name, not the old.
    let reply = app.update(
        &path(&c),
        app.admin(),
        1,
        json!([{"action": "changeName", "name": format!("{t} Quokka Supplies")}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        f(json!({"fullText": {"field": "name", "value": "quokka"}})),
        sorted(&[&c])
    );
    assert!(f(json!({"fullText": {"field": "name", "value": "zeppelin"}})).is_empty());
    // A grandchild under the division, then the division moved under c: the subtree's
    // topLevelUnit.key follows in the index.
    let g = create(
        app,
        "demo",
        app.admin(),
        json!({"key": format!("{t}-grand"), "name": format!("{t} Grand Unit"),
               "unitType": "Division",
               "parentUnit": {"key": format!("{t}-div"), "typeId": "business-unit"}}),
    );
    let reply = app.update(
        &path(&b),
        app.admin(),
        1,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": format!("{t}-zed"), "typeId": "business-unit"}}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        f(json!({"exact": {"field": "topLevelUnit.key", "value": format!("{t}-zed")}})),
        sorted(&[&b, &c, &g])
    );
    assert_eq!(
        f(json!({"exact": {"field": "topLevelUnit.key", "value": format!("{t}-plumb")}})),
        sorted(&[&a])
    );
    // A deleted unit is gone at once.
    let current = app.get(&path(&g), app.admin());
    let version = current.json["version"].as_u64().unwrap();
    let deleted = app.delete(&format!("{}?version={version}", path(&g)), app.admin());
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert!(f(json!({"fullText": {"field": "name", "value": "grand"}})).is_empty());
}

fn bad_input_is_a_400_naming_the_problem(app: &App) {
    let bad = |body: Value, needle: &str| {
        let reply = app.post(SEARCH, app.admin(), &body);
        let error = reply.assert_error(400, "InvalidInput");
        assert!(
            error["message"].as_str().unwrap().contains(needle),
            "{body}: {error}"
        );
    };
    bad(
        json!({"query": {"exact": {"field": "email", "value": "x"}}}),
        "unknown field 'email'",
    );
    bad(
        json!({"query": {"fullText": {"field": "status", "value": "Active"}}}),
        "fullText cannot be used",
    );
    bad(
        json!({"query": {"range": {"field": "createdAt", "gte": "yesterday"}}}),
        "date-time",
    );
    bad(json!({"limit": 0}), "limit");
    bad(json!({"query": {"and": []}}), "query.and");
}

fn search_needs_its_scopes_and_store_tokens_see_their_stores(app: &App) {
    let t = tag();
    let [a, _b, _c] = units(app, &t);
    let viewer = app.token(ADMIN, Some("view_business_units:demo"));
    let all = found_as(app, &viewer, &t, json!({"exists": {"field": "key"}}));
    assert_eq!(all.len(), 3);
    assert_eq!(app.head(SEARCH, &viewer).status, 200);
    // A store-scoped token finds only the units of its stores.
    for scope in [
        "view_business_units:demo:s1",
        "manage_business_units:demo:s1",
    ] {
        let s1 = app.token(ADMIN, Some(scope));
        assert_eq!(
            found_as(app, &s1, &t, json!({"exists": {"field": "key"}})),
            sorted(&[&a]),
            "{scope}"
        );
        let reply = app.post(SEARCH, &s1, &json!({"limit": 100}));
        assert_eq!(reply.status, 200, "{}", reply.text);
        for hit in reply.json["results"].as_array().unwrap() {
            let id = hit["id"].as_str().unwrap();
            let unit = app.get(&format!("/demo/business-units/{id}"), app.admin());
            let stores: Vec<&str> = ["stores", "inheritedStores"]
                .iter()
                .flat_map(|field| unit.json[field].as_array().into_iter().flatten())
                .filter_map(|s| s["key"].as_str())
                .collect();
            assert!(stores.contains(&"s1"), "{}", unit.text);
        }
    }
    // Other scopes: 403; the indexing status needs view_project_settings.
    let other_project = app.token(OTHER_ADMIN, None);
    for token in [app.token(ADMIN, Some("view_customers:demo")), other_project] {
        app.post(SEARCH, &token, &json!({}))
            .assert_error(403, "insufficient_scope");
    }
    app.get("/demo/business-units/search/indexing-status", &viewer)
        .assert_error(403, "insufficient_scope");
    let settings = app.token(ADMIN, Some("view_project_settings:demo"));
    let status = app.get("/demo/business-units/search/indexing-status", &settings);
    assert_eq!(status.json["status"], "Ready", "{}", status.text);
    app.post(SEARCH, &settings, &json!({}))
        .assert_error(403, "insufficient_scope");
    app.post(SEARCH, "nope", &json!({}))
        .assert_error(401, "invalid_token");
}

/// A Division in `storeMode` FromParent is found by a token of the store it inherits, and stays
/// so through every change that changes what it inherits: its ancestor's stores, a unit
/// between switching its store mode, a move to another tree.
fn store_tokens_find_units_that_inherit_their_stores(app: &App) {
    let t = tag();
    let [s1, s2, s3, s4] = ["a", "b", "c", "d"].map(|n| format!("{t}{n}"));
    let store = |key: &str| json!([{"key": key, "typeId": "store"}]);
    let unit = |name: &str, extra: Value| {
        let mut draft = json!({"key": format!("{t}-{name}"), "name": format!("{t} {name}")});
        draft
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        create(app, "demo", app.admin(), draft)
    };
    let below =
        |parent: &Value| json!({"unitType": "Division", "parentUnit": {"key": parent["key"]}});
    let company = unit("co", json!({"unitType": "Company", "stores": store(&s1)}));
    let d1 = unit("d1", below(&company));
    let d2 = unit("d2", below(&d1));
    let mut d3_draft = below(&d1);
    d3_draft["storeMode"] = json!("Explicit");
    d3_draft["stores"] = store(&s2);
    let d3 = unit("d3", d3_draft);
    let d4 = unit("d4", below(&d3));
    let other = unit(
        "other",
        json!({"unitType": "Company", "stores": store(&s4)}),
    );
    let in_store = |key: &str| {
        let token = app.token(ADMIN, Some(&format!("view_business_units:demo:{key}")));
        found_as(app, &token, &t, json!({"exists": {"field": "key"}}))
    };
    assert_eq!(in_store(&s1), sorted(&[&company, &d1, &d2]));
    assert_eq!(in_store(&s2), sorted(&[&d3, &d4]));
    let inherited = found_as(
        app,
        app.admin(),
        &t,
        json!({"exact": {"field": "inheritedStores.key", "value": s1}}),
    );
    assert_eq!(inherited, sorted(&[&d1, &d2]));
    // The Company's stores change: what its Divisions inherit follows.
    let version = |u: &Value| {
        app.get(&path(u), app.admin()).json["version"]
            .as_u64()
            .unwrap()
    };
    let step = |u: &Value, actions: Value| {
        let reply = app.update(&path(u), app.admin(), version(u), actions);
        assert_eq!(reply.status, 200, "{}", reply.text);
    };
    step(
        &company,
        json!([{"action": "setStores", "stores": store(&s3)}]),
    );
    assert_eq!(in_store(&s1), Vec::<String>::new());
    assert_eq!(in_store(&s3), sorted(&[&company, &d1, &d2]));
    // d3 switches to FromParent: it and d4 now inherit the Company's store.
    step(
        &d3,
        json!([{"action": "setStoreMode", "storeMode": "FromParent"}]),
    );
    assert_eq!(in_store(&s2), Vec::<String>::new());
    assert_eq!(in_store(&s3), sorted(&[&company, &d1, &d2, &d3, &d4]));
    // d3 moves to the other Company: its subtree inherits that one's store.
    step(
        &d3,
        json!([{"action": "changeParentUnit", "parentUnit": {"key": other["key"]}}]),
    );
    assert_eq!(in_store(&s3), sorted(&[&company, &d1, &d2]));
    assert_eq!(in_store(&s4), sorted(&[&other, &d3, &d4]));
}

fn activation_indexes_existing_units_and_deactivation_stops_search(app: &App) {
    let token = app.token(OTHER_ADMIN, None);
    let t = tag();
    let mut created = Vec::new();
    for i in 0..12 {
        let unit = create(
            app,
            "other",
            &token,
            json!({"key": format!("{t}-{i}"), "name": format!("{t} Unit {i}"), "unitType": "Company"}),
        );
        created.push(id_of(&unit).to_string());
    }
    let search = "/other/business-units/search";
    let body = json!({"query": {"fullText": {"field": "name", "value": t}}, "limit": 100});
    let project = app.get("/other", &token);
    assert_eq!(project.status, 200, "{}", project.text);
    if project.json["searchIndexing"]["businessUnits"]["status"] == "Deactivated" {
        app.post(search, &token, &body)
            .assert_error(409, "SearchNotReady");
        assert_eq!(app.head(search, &token).status, 409);
        let status = app.get("/other/business-units/search/indexing-status", &token);
        assert_eq!(status.json["status"], "Deactivated");
    }
    let version = project.json["version"].as_u64().unwrap();
    let activate = json!([{"action": "changeBusinessUnitSearchStatus", "status": "Activated"}]);
    let reply = app.update("/other", &token, version, activate.clone());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let seen = wait_ready(app, "other", &token, &BUSINESS_UNITS);
    let statuses: Vec<&Value> = seen.iter().map(|s| &s["status"]).collect();
    assert!(statuses.contains(&&json!("Indexing")), "{seen:?}");
    let reply = app.post(search, &token, &body);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut found = ids(&reply.json);
    found.sort();
    created.sort();
    assert_eq!(found, created);
    assert_eq!(app.head(search, &token).status, 200);
    let fuzzy = json!({"query": {"and": [
        {"fuzzy": {"field": "name", "value": "Unjt", "level": 1}},
        {"filter": [{"fullText": {"field": "name", "value": t}}]}]}});
    let reply = app.post(search, &token, &fuzzy);
    assert_eq!(reply.json["total"], 12, "{}", reply.text);
    let project = app.get("/other", &token);
    assert_eq!(
        project.json["searchIndexing"]["businessUnits"]["status"],
        "Activated"
    );
    let version = project.json["version"].as_u64().unwrap();
    let reply = app.update(
        "/other",
        &token,
        version,
        json!([{"action": "changeBusinessUnitSearchStatus", "status": "Deactivated"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.post(search, &token, &body)
        .assert_error(409, "SearchNotReady");
    let reply = app.update("/other", &token, version + 1, activate);
    assert_eq!(reply.status, 200, "{}", reply.text);
    wait_ready(app, "other", &token, &BUSINESS_UNITS);
    let reply = app.post(search, &token, &body);
    assert_eq!(reply.json["total"], 12, "{}", reply.text);
}

/// A unit whose stored document D1 cannot read as JSON (written from outside) makes every
/// attempt at its build step fail: after three attempts the indexing status is `Failed`, with
/// `states.failed` counting the step's units and `retryCount` 3, and searches answer 409.
/// Once the document is whole again, activating again builds the index. Serial: it writes D1
/// from outside.
fn a_build_that_keeps_failing_is_reported_failed(app: &App) {
    let token = app.token(OTHER_ADMIN, None);
    let t = tag();
    let unit = create(
        app,
        "other",
        &token,
        json!({"key": t, "name": format!("{t} broken"), "unitType": "Company"}),
    );
    let id = id_of(&unit).to_string();
    let doc = app.d1_query(&format!(
        "SELECT doc FROM business_units WHERE project = 'other' AND id = '{id}'"
    ))[0]["doc"]
        .as_str()
        .unwrap()
        .replace('\'', "''");
    app.d1_query(&format!(
        "UPDATE business_units SET doc = '{{not json' WHERE project = 'other' AND id = '{id}'"
    ));
    let switch = |status: &str| {
        let project = app.get("/other", &token).json;
        let version = project["version"].as_u64().unwrap();
        let action = json!([{"action": "changeBusinessUnitSearchStatus", "status": status}]);
        let reply = app.update("/other", &token, version, action);
        assert_eq!(reply.status, 200, "{}", reply.text);
    };
    switch("Deactivated");
    switch("Activated");
    let started = std::time::Instant::now();
    let failed = loop {
        let status = app.get("/other/business-units/search/indexing-status", &token);
        assert_ne!(status.json["status"], "Ready", "{}", status.text);
        if status.json["status"] == "Failed" {
            break status.json;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "not Failed: {}",
            status.text
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        failed["states"]["failed"].as_u64().unwrap() >= 1,
        "{failed}"
    );
    assert_eq!(failed["retryCount"], 3, "{failed}");
    let body = json!({"query": {"exact": {"field": "key", "value": t}}});
    app.post("/other/business-units/search", &token, &body)
        .assert_error(409, "SearchNotReady");
    app.d1_query(&format!(
        "UPDATE business_units SET doc = '{doc}' WHERE project = 'other' AND id = '{id}'"
    ));
    switch("Activated");
    wait_ready(app, "other", &token, &BUSINESS_UNITS);
    let found = app.post("/other/business-units/search", &token, &body);
    assert_eq!(found.json["results"][0]["id"], id, "{}", found.text);
}
