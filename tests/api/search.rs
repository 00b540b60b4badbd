//! Customer Search: the project resource and activation (Scheduled → Indexing → Ready on a
//! project with customers; SearchNotReady before and after), every expression kind on known
//! customers with the expected ids and order, fuzzy levels, writes visible at once, every
//! class of bad input, FTS5 syntax searched literally, the scopes, and the automatic
//! deactivation of an index no search used for 30 days.
//!
//! The `demo` project's search is activated before the tests run ([`activate_demo`]); the
//! lifecycle runs in the `other` project.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{id_of, unique, unique_email, App, OTHER_ADMIN, VIEWER};

tests!(search;
    activation_indexes_existing_customers_and_deactivation_stops_search,
    the_project_refuses_other_actions_and_stale_versions,
    each_expression_finds_the_expected_customers,
    sorting_paging_and_boost_order_the_results,
    fuzzy_finds_one_typo_at_level_1_and_not_at_level_0,
    fuzzy_finds_edits_anywhere_in_long_and_accented_terms,
    writes_are_visible_at_once,
    bad_input_is_a_400_naming_the_problem,
    fts5_syntax_in_values_is_searched_literally,
    custom_fields_are_searched_by_their_type,
    sort_filters_and_languages_choose_the_values,
    search_needs_its_scopes,
    ; serial: an_index_no_search_used_for_thirty_days_is_switched_off,
);

const SEARCH: &str = "/demo/customers/search";

/// One of the project's searches: its path below `/{project}`, its entry in the project's
/// `searchIndexing`, the project action that switches it.
pub struct Index {
    pub path: &'static str,
    pub entry: &'static str,
    pub action: &'static str,
}

pub const CUSTOMERS: Index = Index {
    path: "customers",
    entry: "customers",
    action: "changeCustomerSearchStatus",
};

pub const BUSINESS_UNITS: Index = Index {
    path: "business-units",
    entry: "businessUnits",
    action: "changeBusinessUnitSearchStatus",
};

/// Switches one of the demo project's searches on and waits until it is Ready.
pub fn activate_demo(app: &App, index: &Index) {
    let project = app.get("/demo", app.admin());
    assert_eq!(project.status, 200, "{}", project.text);
    if project.json["searchIndexing"][index.entry]["status"] != "Activated" {
        let version = project.json["version"].as_u64().unwrap();
        let reply = app.update(
            "/demo",
            app.admin(),
            version,
            json!([{"action": index.action, "status": "Activated"}]),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    wait_ready(app, "demo", app.admin(), index);
}

/// Polls an index's status until Ready; returns every status seen, in order.
pub fn wait_ready(app: &App, project: &str, token: &str, index: &Index) -> Vec<Value> {
    let started = Instant::now();
    let mut seen: Vec<Value> = Vec::new();
    loop {
        let reply = app.get(
            &format!("/{project}/{}/search/indexing-status", index.path),
            token,
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        if seen.last().map(|s| &s["status"]) != Some(&reply.json["status"]) {
            seen.push(reply.json.clone());
        }
        if reply.json["status"] == "Ready" {
            return seen;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not Ready: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A letters-and-digits tag no other test uses: one search term.
pub fn tag() -> String {
    unique("t")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn search(app: &App, body: Value) -> Value {
    let reply = app.post(SEARCH, app.admin(), &body);
    assert_eq!(reply.status, 200, "{body}: {}", reply.text);
    reply.json
}

fn ids(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The ids `query` finds among the customers of `tag` (restricted by a filter), sorted.
fn found(app: &App, tag: &str, query: Value) -> Vec<String> {
    let body = json!({"query": {"and": [query, within(tag)]}, "limit": 100});
    let mut found = ids(&search(app, body));
    found.sort();
    found
}

fn within(tag: &str) -> Value {
    json!({"filter": [{"fullText": {"field": "companyName", "value": tag}}]})
}

fn sorted(ids: &[&Value]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|c| id_of(c).to_string()).collect();
    v.sort();
    v
}

/// Four customers of one tag: John Smith, Johnny Smithers, Mary Johnson, Zed Doe.
fn people(app: &App, tag: &str) -> [Value; 4] {
    let make = |draft: Value| {
        let mut draft = draft;
        draft["companyName"] = json!(format!(
            "{tag} {}",
            draft["companyName"].as_str().unwrap_or("")
        ));
        draft["password"] = json!("secret123");
        app.create_customer(&draft)
    };
    [
        make(
            json!({"email": format!("john.smith.{tag}@example.com"), "firstName": "John", "lastName": "Smith",
            "key": format!("{tag}-a"), "dateOfBirth": "1980-05-01",
            "addresses": [{"country": "DE", "city": "Berlin", "postalCode": "10115"}]}),
        ),
        make(
            json!({"email": unique_email("b"), "firstName": "Johnny", "lastName": "Smithers",
            "key": format!("{tag}-b"), "dateOfBirth": "1990-01-01",
            "addresses": [{"country": "FR", "city": "Paris", "postalCode": "75001"}]}),
        ),
        make(
            json!({"email": unique_email("c"), "firstName": "Mary", "lastName": "Johnson",
            "key": format!("{tag}-c"), "vatId": "DE999"}),
        ),
        make(
            json!({"email": unique_email("d"), "firstName": "Zed", "lastName": "Doe",
            "key": format!("{tag}-d"), "companyName": "Acme \"NEAR\" OR b*^c:d"}),
        ),
    ]
}

fn activation_indexes_existing_customers_and_deactivation_stops_search(app: &App) {
    let token = app.token(OTHER_ADMIN, None);
    let t = tag();
    let mut created = Vec::new();
    for i in 0..12 {
        let draft = json!({"email": unique_email("o"), "password": "secret123", "firstName": "Bartholomew", "lastName": format!("{t} n{i}")});
        let reply = app.post("/other/customers", &token, &draft);
        assert_eq!(reply.status, 201, "{}", reply.text);
        created.push(reply.json["customer"]["id"].as_str().unwrap().to_string());
    }
    let body = json!({"query": {"fullText": {"field": "lastName", "value": t}}, "limit": 100});
    // Off: 409 SearchNotReady, HEAD 409, the status says so.
    let project = app.get("/other", &token);
    assert_eq!(project.status, 200, "{}", project.text);
    if project.json["searchIndexing"]["customers"]["status"] == "Deactivated" {
        app.post("/other/customers/search", &token, &body)
            .assert_error(409, "SearchNotReady");
        assert_eq!(app.head("/other/customers/search", &token).status, 409);
        let status = app.get("/other/customers/search/indexing-status", &token);
        assert_eq!(status.json["status"], "Deactivated");
    }
    let version = project.json["version"].as_u64().unwrap();
    let activate = json!([{"action": "changeCustomerSearchStatus", "status": "Activated"}]);
    let reply = app.update("/other", &token, version, activate.clone());
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["version"], version + 1);
    assert_eq!(reply.json["key"], "other");
    let seen = wait_ready(app, "other", &token, &CUSTOMERS);
    let statuses: Vec<&Value> = seen.iter().map(|s| &s["status"]).collect();
    assert!(statuses.contains(&&json!("Indexing")), "{seen:?}");
    let indexing = seen.iter().find(|s| s["status"] == "Indexing").unwrap();
    assert!(
        indexing["states"]["estimatedTotal"].as_u64().unwrap() >= 12,
        "{indexing}"
    );
    assert_eq!(indexing["states"]["failed"], 0);
    assert!(indexing["startedAt"].is_string());
    // Every existing customer is found.
    let reply = app.post("/other/customers/search", &token, &body);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut found = ids(&reply.json);
    found.sort();
    created.sort();
    assert_eq!(found, created);
    assert_eq!(reply.json["total"], 12);
    assert_eq!(app.head("/other/customers/search", &token).status, 200);
    // The builder kept their terms for fuzzy matching too.
    let fuzzy = json!({"query": {"and": [
        {"fuzzy": {"field": "firstName", "value": "Bartholomwe", "level": 1}},
        {"filter": [{"fullText": {"field": "lastName", "value": t}}]}]}});
    let reply = app.post("/other/customers/search", &token, &fuzzy);
    assert_eq!(reply.json["total"], 12, "{}", reply.text);
    let project = app.get("/other", &token);
    assert_eq!(
        project.json["searchIndexing"]["customers"]["status"],
        "Activated"
    );
    // Activating again changes nothing.
    let version = project.json["version"].as_u64().unwrap();
    let reply = app.update("/other", &token, version, activate.clone());
    assert_eq!(reply.json["version"], version);
    // Off again: SearchNotReady; on again: rebuilt.
    let reply = app.update(
        "/other",
        &token,
        version,
        json!([{"action": "changeCustomerSearchStatus", "status": "Deactivated"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json["searchIndexing"]["customers"]["status"],
        "Deactivated"
    );
    app.post("/other/customers/search", &token, &body)
        .assert_error(409, "SearchNotReady");
    let reply = app.update("/other", &token, version + 1, activate);
    assert_eq!(reply.status, 200, "{}", reply.text);
    wait_ready(app, "other", &token, &CUSTOMERS);
    let reply = app.post("/other/customers/search", &token, &body);
    assert_eq!(reply.json["total"], 12, "{}", reply.text);
}

fn the_project_refuses_other_actions_and_stale_versions(app: &App) {
    let token = app.token(OTHER_ADMIN, None);
    let project = app.get("/other", &token);
    let version = project.json["version"].as_u64().unwrap();
    let reply = app.update(
        "/other",
        &token,
        version,
        json!([{"action": "changeName", "name": "x"}]),
    );
    let error = reply.assert_error(400, "InvalidInput");
    assert!(
        error["message"].as_str().unwrap().contains("changeName"),
        "{error}"
    );
    let reply = app.update(
        "/other",
        &token,
        version + 7,
        json!([{"action": "changeCustomerSearchStatus", "status": "Activated"}]),
    );
    reply.assert_error(409, "ConcurrentModification");
    let viewer = app.token(VIEWER, None);
    app.update("/demo", &viewer, 1, json!([]))
        .assert_error(403, "insufficient_scope");
}

fn each_expression_finds_the_expected_customers(app: &App) {
    let t = tag();
    let [a, b, c, d] = people(app, &t);
    let f = |q: Value| found(app, &t, q);
    assert_eq!(
        f(json!({"fullText": {"field": "all", "value": "john"}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"fullText": {"field": "all", "value": "john mary", "mustMatch": "any"}})),
        sorted(&[&a, &c])
    );
    assert_eq!(
        f(json!({"fullText": {"field": "all", "value": "john mary"}})),
        sorted(&[])
    );
    assert_eq!(
        f(json!({"fullText": {"field": "all", "value": "75001"}})),
        sorted(&[&b])
    );
    assert_eq!(
        f(json!({"fullTextPrefix": {"field": "lastName", "value": "smi"}})),
        sorted(&[&a, &b])
    );
    assert_eq!(
        f(json!({"fullTextPrefix": {"field": "fullName", "value": "mary jo"}})),
        sorted(&[&c])
    );
    assert_eq!(
        f(json!({"prefix": {"field": "key", "value": format!("{t}-a")}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"prefix": {"field": "key", "value": format!("{}-", t.to_uppercase())}})),
        sorted(&[])
    );
    assert_eq!(
        f(
            json!({"prefix": {"field": "key", "value": format!("{}-", t.to_uppercase()), "caseInsensitive": true}})
        ),
        sorted(&[&a, &b, &c, &d])
    );
    let email = a["email"].as_str().unwrap().to_uppercase();
    assert_eq!(
        f(json!({"exact": {"field": "email", "value": email, "caseInsensitive": true}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"exact": {"field": "email", "value": email}})),
        sorted(&[])
    );
    assert_eq!(
        f(json!({"exact": {"field": "firstName", "values": ["John", "Mary"]}})),
        sorted(&[&a, &c])
    );
    assert_eq!(
        f(json!({"exact": {"field": "firstName", "value": "john"}})),
        sorted(&[])
    );
    assert_eq!(
        f(json!({"exact": {"field": "addresses.postalCode", "value": "10115"}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"exact": {"field": "isEmailVerified", "value": false}})),
        sorted(&[&a, &b, &c, &d])
    );
    assert_eq!(
        f(json!({"exact": {"field": "id", "value": id_of(&c)}})),
        sorted(&[&c])
    );
    assert_eq!(
        f(json!({"wildcard": {"field": "key", "value": format!("{t}-?")}})),
        sorted(&[&a, &b, &c, &d])
    );
    assert_eq!(
        f(json!({"wildcard": {"field": "lastName", "value": "*th*"}})),
        sorted(&[&a, &b])
    );
    assert_eq!(
        f(json!({"range": {"field": "dateOfBirth", "gte": "1985-01-01"}})),
        sorted(&[&b])
    );
    assert_eq!(
        f(json!({"range": {"field": "dateOfBirth", "gt": "1970-01-01", "lt": "1990-01-01"}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"range": {"field": "createdAt", "gte": "2999-01-01T00:00:00Z"}})),
        sorted(&[])
    );
    assert_eq!(
        f(json!({"range": {"field": "createdAt", "lte": "2999-01-01"}})),
        sorted(&[&a, &b, &c, &d])
    );
    assert_eq!(
        f(json!({"exists": {"field": "dateOfBirth"}})),
        sorted(&[&a, &b])
    );
    assert_eq!(f(json!({"exists": {"field": "vatId"}})), sorted(&[&c]));
    assert_eq!(
        f(json!({"not": [{"exists": {"field": "dateOfBirth"}}]})),
        sorted(&[&c, &d])
    );
    assert_eq!(
        f(
            json!({"or": [{"exact": {"field": "firstName", "value": "John"}}, {"exact": {"field": "lastName", "value": "Doe"}}]})
        ),
        sorted(&[&a, &d])
    );
    assert_eq!(
        f(
            json!({"and": [{"fullTextPrefix": {"field": "all", "value": "joh"}}, {"not": [{"exact": {"field": "firstName", "value": "Mary"}}]}]})
        ),
        sorted(&[&a, &b])
    );
    // Without a query: every customer (here: of the tag, through the filter alone).
    let all = ids(&search(app, json!({"query": within(&t)})));
    assert_eq!(all.len(), 4);
}

fn sorting_paging_and_boost_order_the_results(app: &App) {
    let t = tag();
    let [a, b, c, d] = people(app, &t);
    let page = |sort: Value, limit: u32, offset: u32| {
        search(
            app,
            json!({"query": within(&t), "sort": sort, "limit": limit, "offset": offset}),
        )
    };
    let by_last = json!([{"field": "lastName", "order": "asc"}]);
    let r = page(by_last.clone(), 100, 0);
    assert_eq!(ids(&r), [id_of(&d), id_of(&c), id_of(&a), id_of(&b)]);
    assert_eq!(
        (r["total"].clone(), r["limit"].clone(), r["offset"].clone()),
        (json!(4), json!(100), json!(0))
    );
    let r = page(json!([{"field": "lastName", "order": "desc"}]), 100, 0);
    assert_eq!(ids(&r), [id_of(&b), id_of(&a), id_of(&c), id_of(&d)]);
    let r = page(by_last.clone(), 2, 1);
    assert_eq!(ids(&r), [id_of(&c), id_of(&a)]);
    assert_eq!(r["total"], 4);
    let r = page(by_last, 2, 8);
    assert_eq!(ids(&r), Vec::<String>::new());
    assert_eq!(r["total"], 4);
    let r = page(json!([{"field": "dateOfBirth", "order": "desc"}]), 2, 0);
    assert_eq!(ids(&r), [id_of(&b), id_of(&a)]);
    // Boost: Mary first when her expression weighs more, John first the other way round.
    let boosted = |mary: f64, john: f64| {
        let query = json!({"and": [within(&t), {"or": [
            {"exact": {"field": "firstName", "value": "Mary", "boost": mary}},
            {"exact": {"field": "firstName", "value": "John", "boost": john}}]}]});
        search(
            app,
            json!({"query": query, "sort": [{"field": "score", "order": "desc"}]}),
        )
    };
    let r = boosted(5.0, 1.0);
    assert_eq!(ids(&r), [id_of(&c), id_of(&a)]);
    assert!(
        r["results"][0]["relevance"].as_f64().unwrap()
            > r["results"][1]["relevance"].as_f64().unwrap()
    );
    assert_eq!(ids(&boosted(1.0, 5.0)), [id_of(&a), id_of(&c)]);
    // Relevance (BM25): a customer named John twice ranks above one named John once.
    let r = search(
        app,
        json!({"query": {"and": [within(&t), {"fullText": {"field": "all", "value": "smith"}}]}}),
    );
    assert_eq!(ids(&r)[0], id_of(&a));
}

fn fuzzy_finds_one_typo_at_level_1_and_not_at_level_0(app: &App) {
    let t = tag();
    let [a, b, ..] = people(app, &t);
    let f = |q: Value| found(app, &t, q);
    assert_eq!(
        f(json!({"fuzzy": {"field": "firstName", "value": "Jonh", "level": 1}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"fuzzy": {"field": "firstName", "value": "Jonh", "level": 0}})),
        sorted(&[])
    );
    assert_eq!(
        f(json!({"fuzzy": {"field": "lastName", "value": "smyth", "level": 1}})),
        sorted(&[&a])
    );
    assert_eq!(
        f(json!({"fuzzy": {"field": "lastName", "value": "smithars", "level": 2}})),
        sorted(&[&b])
    );
    // Capped by length: two letters are never fuzzed.
    assert_eq!(
        f(json!({"fuzzy": {"field": "lastName", "value": "xo", "level": 2}})),
        sorted(&[])
    );
    assert_eq!(
        f(json!({"fuzzy": {"field": "all", "value": "jhon smiht", "level": 1}})),
        sorted(&[&a])
    );
}

/// Fuzzy candidates come from the deletion keys of a term's first 10 characters
/// (`text::query_keys`): edits before, across and after that prefix, in a 16-letter name, and
/// in accented terms, all find the customer; three edits do not.
fn fuzzy_finds_edits_anywhere_in_long_and_accented_terms(app: &App) {
    let t = tag();
    let customer = app
        .create_customer(&json!({"email": unique_email("f"), "password": "secret123",
        "firstName": "Zoë-Ángela", "lastName": "Vanderbiltmorgan", "companyName": t}));
    let f = |field: &str, value: &str, level: u8| {
        found(
            app,
            &t,
            json!({"fuzzy": {"field": field, "value": value, "level": level}}),
        )
    };
    let one = sorted(&[&customer]);
    for (value, level) in [
        ("Vanderbiltmorgna", 1), // a transposition after the prefix
        ("Vandrebiltmorgan", 1), // inside it
        ("Vanderbilmtorgan", 1), // across its end
        ("Vanderbiltmorgan", 0),
        ("Vnderbiltmorgn", 2), // two deletions, one inside, one after
        ("Vanderbiltmorganxx", 2),
        ("Wanderbiltmorgam", 2), // a substitution at each end
        ("anderbiltmorga", 2),
    ] {
        assert_eq!(f("lastName", value, level), one, "{value} at level {level}");
    }
    for (value, level) in [
        ("Vxnderbiltmxrgxn", 2), // three edits
        ("Vandrebiltmorgna", 1), // two
        ("Vanderbiltmorgna", 0),
    ] {
        assert_eq!(
            f("lastName", value, level),
            sorted(&[]),
            "{value} at level {level}"
        );
    }
    assert_eq!(f("firstName", "angela", 1), one);
    assert_eq!(f("firstName", "ángleä", 2), one);
    assert_eq!(f("firstName", "zoa", 1), one);
    assert_eq!(f("firstName", "zoa", 0), sorted(&[]));
}

fn writes_are_visible_at_once(app: &App) {
    let t = tag();
    let customer = app
        .create_customer(&json!({"email": unique_email("w"), "password": "secret123",
        "lastName": "Before", "companyName": t}));
    let f = |name: &str| {
        found(
            app,
            &t,
            json!({"exact": {"field": "lastName", "value": name}}),
        )
    };
    assert_eq!(f("Before"), [id_of(&customer).to_string()]);
    let path = format!("/demo/customers/{}", id_of(&customer));
    let reply = app.update(
        &path,
        app.admin(),
        1,
        json!([{"action": "setLastName", "lastName": "After"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(f("After"), [id_of(&customer).to_string()]);
    assert!(f("Before").is_empty());
    let reply = app.delete(&format!("{path}?version=2"), app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(f("After").is_empty());
}

fn bad_input_is_a_400_naming_the_problem(app: &App) {
    let bad = |body: Value, naming: &str| {
        let reply = app.post(SEARCH, app.admin(), &body);
        let error = reply.assert_error(400, "InvalidInput");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(naming), "{body}: {message}");
    };
    bad(
        json!({"query": {"exact": {"field": "shoeSize", "value": "x"}}}),
        "unknown field 'shoeSize'",
    );
    bad(
        json!({"query": {"fullText": {"field": "dateOfBirth", "value": "x"}}}),
        "fullText cannot be used",
    );
    bad(
        json!({"query": {"range": {"field": "lastName", "gt": "a"}}}),
        "range cannot be used",
    );
    bad(
        json!({"query": {"range": {"field": "dateOfBirth", "gt": "yesterday"}}}),
        "query.range.gt",
    );
    bad(
        json!({"query": {"exact": {"field": "isEmailVerified", "value": "yes"}}}),
        "boolean",
    );
    bad(
        json!({"query": {"fuzzy": {"field": "lastName", "value": "x", "level": 3}}}),
        "level",
    );
    bad(
        json!({"query": {"frobnicate": {"field": "lastName"}}}),
        "unknown expression",
    );
    bad(
        json!({"query": {"and": [{"exact": {"field": "email", "value": "x"}, "or": []}]}}),
        "query.and[0]",
    );
    bad(json!({"query": "john"}), "exactly one expression");
    let many: Vec<Value> = (0..60)
        .map(|_| json!({"exists": {"field": "email"}}))
        .collect();
    bad(json!({"query": {"or": many}}), "at most 50 expressions");
    bad(
        json!({"query": {"fullText": {"field": "all", "value": "x".repeat(300)}}}),
        "256",
    );
    bad(json!({"limit": 0}), "limit");
    bad(json!({"limit": 101}), "limit");
    bad(json!({"offset": 9901}), "offset");
    bad(
        json!({"sort": [{"field": "lastName", "order": "sideways"}]}),
        "asc or desc",
    );
    bad(
        json!({"sort": [{"field": "nope", "order": "asc"}]}),
        "unknown field 'nope'",
    );
    let reply = app.post_raw(SEARCH, app.admin(), b"{not json");
    reply.assert_error(400, "InvalidJsonInput");
}

fn fts5_syntax_in_values_is_searched_literally(app: &App) {
    let t = tag();
    let [.., d] = people(app, &t);
    let f = |value: &str| {
        found(
            app,
            &t,
            json!({"fullText": {"field": "companyName", "value": value}}),
        )
    };
    for value in [
        "\"NEAR\"",
        "OR",
        "NEAR",
        "b*^c:d",
        "acme OR",
        "\"acme\" NEAR(b c)",
        "c:d",
    ] {
        assert_eq!(f(value), sorted(&[&d]), "{value}");
    }
    for value in ["*", "\"", "^", ":", "NOT", "AND zzz", "OR zzz"] {
        assert!(f(value).is_empty(), "{value}");
    }
    let prefix = found(
        app,
        &t,
        json!({"fullTextPrefix": {"field": "all", "value": "nea*"}}),
    );
    assert_eq!(prefix, sorted(&[&d]));
    let wildcard = found(
        app,
        &t,
        json!({"wildcard": {"field": "companyName", "value": "*[[]*"}}),
    );
    assert!(wildcard.is_empty());
}

fn search_needs_its_scopes(app: &App) {
    let viewer = app.token(VIEWER, None);
    let reply = app.post(SEARCH, &viewer, &json!({"limit": 1}));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(app.head(SEARCH, &viewer).status, 200);
    app.get("/demo/customers/search/indexing-status", &viewer)
        .assert_error(403, "insufficient_scope");
    let settings = app.token(crate::support::ADMIN, Some("view_project_settings:demo"));
    let status = app.get("/demo/customers/search/indexing-status", &settings);
    assert_eq!(status.json["status"], "Ready", "{}", status.text);
    app.post(SEARCH, &settings, &json!({}))
        .assert_error(403, "insufficient_scope");
    app.post("/demo/customers/search", "nope", &json!({}))
        .assert_error(401, "invalid_token");
    let other = app.token(OTHER_ADMIN, None);
    app.post(SEARCH, &other, &json!({}))
        .assert_error(403, "insufficient_scope");
}

fn custom_fields_are_searched_by_their_type(app: &App) {
    app.ensure_type(
        "search-profile",
        &["customer"],
        &[
            ("segment", json!({"name": "String"})),
            ("size", json!({"name": "Number"})),
            ("vip", json!({"name": "Boolean"})),
            (
                "tags",
                json!({"name": "Set", "elementType": {"name": "String"}}),
            ),
        ],
    );
    let t = tag();
    let make = |segment: &str, size: f64, vip: bool, tags: Value| {
        app.create_customer(
            &json!({"email": unique_email("cf"), "password": "secret123", "companyName": t,
            "custom": {"type": {"key": "search-profile", "typeId": "type"},
                "fields": {"segment": segment, "size": size, "vip": vip, "tags": tags}}}),
        )
    };
    let small = make("gold", 2.0, true, json!(["red", "blue"]));
    let large = make("silver", 12.5, false, json!(["green"]));
    let f = |q: Value| found(app, &t, q);
    assert_eq!(
        f(json!({"exact": {"field": "custom.segment", "value": "gold"}})),
        sorted(&[&small])
    );
    assert_eq!(
        f(json!({"exact": {"field": "custom.vip", "value": false}})),
        sorted(&[&large])
    );
    assert_eq!(
        f(json!({"exact": {"field": "custom.tags", "value": "blue"}})),
        sorted(&[&small])
    );
    assert_eq!(
        f(json!({"range": {"field": "custom.size", "fieldType": "number", "gt": 5}})),
        sorted(&[&large])
    );
    assert_eq!(
        f(json!({"range": {"field": "custom.size", "lte": 2}})),
        sorted(&[&small])
    );
    assert_eq!(
        f(json!({"exists": {"field": "custom.size"}})),
        sorted(&[&small, &large])
    );
    assert_eq!(
        f(json!({"fullText": {"field": "all", "value": "silver"}})),
        sorted(&[&large])
    );
    let reply = app.post(
        SEARCH,
        app.admin(),
        &json!({"query": {"range": {"field": "custom.size", "fieldType": "number", "gt": "big"}}}),
    );
    reply.assert_error(400, "InvalidInput");
}

fn sort_filters_and_languages_choose_the_values(app: &App) {
    app.ensure_type(
        "search-localized",
        &["customer"],
        &[("motto", json!({"name": "LocalizedString"}))],
    );
    let t = tag();
    let make = |cities: &[&str], motto: Value| {
        let addresses: Vec<Value> = cities
            .iter()
            .map(|c| json!({"country": "DE", "city": c}))
            .collect();
        app.create_customer(&json!({"email": unique_email("sf"), "password": "secret123",
            "companyName": t, "addresses": addresses,
            "custom": {"type": {"key": "search-localized", "typeId": "type"}, "fields": {"motto": motto}}}))
    };
    let a = make(
        &["Aachen", "Zwickau"],
        json!({"en": "Hello", "de": "Hallo"}),
    );
    let b = make(
        &["Berlin", "Munich"],
        json!({"en": "Goodbye", "de": "Tschüss"}),
    );
    let (a, b) = (id_of(&a).to_string(), id_of(&b).to_string());
    let sort = |s: Value| ids(&search(app, json!({"query": within(&t), "sort": [s]})));
    // A set field sorts by its smallest value (ascending): Aachen, then Berlin.
    let city = json!({"field": "addresses.city", "order": "asc"});
    assert_eq!(sort(city.clone()), [a.clone(), b.clone()]);
    // Only the cities the filter holds for count: Munich; Aachen and Zwickau do not (a has
    // no value left and sorts last).
    let mut only_m = city.clone();
    only_m["filter"] = json!({"prefix": {"field": "addresses.city", "value": "M"}});
    assert_eq!(sort(only_m), [b.clone(), a.clone()]);
    // Not the A-cities: Berlin before Zwickau.
    let mut not_a = city.clone();
    not_a["filter"] = json!({"not": [{"prefix": {"field": "addresses.city", "value": "A"}}]});
    assert_eq!(sort(not_a), [b.clone(), a.clone()]);
    let mut either = city;
    either["filter"] = json!({"or": [{"exact": {"field": "addresses.city", "value": "Zwickau"}},
        {"exact": {"field": "addresses.city", "values": ["Munich"]}}]});
    assert_eq!(sort(either), [b.clone(), a.clone()]);
    // `language` picks the locale of a localized custom field, in expressions and sorts.
    let f = |q: Value| found(app, &t, q);
    let motto = |language: &str, value: &str| json!({"exact": {"field": "custom.motto", "fieldType": "ltext", "language": language, "value": value}});
    assert_eq!(f(motto("de", "Hallo")), std::slice::from_ref(&a));
    assert_eq!(f(motto("en", "Hallo")), Vec::<String>::new());
    assert_eq!(f(motto("en", "Goodbye")), std::slice::from_ref(&b));
    let by_motto = |language: &str| {
        sort(
            json!({"field": "custom.motto", "fieldType": "ltext", "language": language, "order": "asc"}),
        )
    };
    assert_eq!(by_motto("de"), [a.clone(), b.clone()]); // Hallo < Tschüss
    assert_eq!(by_motto("en"), [b.clone(), a.clone()]); // Goodbye < Hello
                                                        // On fields that are not localized `language` changes nothing.
    let plain = json!({"fullText": {"field": "all", "value": "Aachen", "language": "en"}});
    assert_eq!(f(plain), std::slice::from_ref(&a));
    // Bad input: a malformed language, a sort filter on another field or with full text, a
    // filter on a sort by score.
    let bad = |body: Value, needle: &str| {
        let reply = app.post(SEARCH, app.admin(), &body);
        reply.assert_error(400, "InvalidInput");
        assert!(reply.text.contains(needle), "{needle}: {}", reply.text);
    };
    bad(
        json!({"query": {"exact": {"field": "lastName", "value": "x", "language": "no such"}}}),
        "query.exact.language",
    );
    bad(
        json!({"sort": [{"field": "lastName", "order": "asc", "language": 7}]}),
        "sort[0].language",
    );
    bad(
        json!({"sort": [{"field": "addresses.city", "order": "asc",
            "filter": {"exact": {"field": "addresses.country", "value": "DE"}}}]}),
        "sort[0].filter",
    );
    bad(
        json!({"sort": [{"field": "lastName", "order": "asc",
            "filter": {"fullText": {"field": "lastName", "value": "x"}}}]}),
        "sort[0].filter",
    );
    bad(
        json!({"sort": [{"field": "score", "order": "desc",
            "filter": {"exists": {"field": "lastName"}}}]}),
        "sort[0].filter",
    );
}

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Runs the scheduled handler (now: `wrangler dev` passes no other time).
fn run_scheduled(app: &App) {
    let ran = app.send("GET", "/__scheduled?cron=17+*+*+*+*", &[], None);
    assert_eq!(ran.status, 200, "{}", ran.text);
}

/// Writes into D1 that the `other` project's customer index was last used `days` ago, and
/// answers what D1 then holds.
fn last_used_days_ago(app: &App, days: u64) -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    app.d1_query(&format!(
        "UPDATE search_indexes SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', {}, 'unixepoch') \
         WHERE project = 'other' AND resource = 'customer'",
        (now_ms - days * DAY_MS) / 1000
    ));
    last_used_at(app)
}

/// The catalog's state (with customers over shards, each shard holds a copy without it).
fn last_used_at(app: &App) -> String {
    let rows = app.d1_query_in(
        "DB",
        "SELECT last_used_at FROM search_indexes WHERE project = 'other' AND resource = 'customer'",
    );
    rows[0]["last_used_at"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The `other` project's customer index, last used 40 days ago (written into D1), is searched
/// once: the search records its use, so the scheduled handler keeps the index. Last used 29
/// days ago, it is kept; 31 days ago, it is switched off (Deactivated, the project one version
/// on, searches 409). Activating it again builds it again. Serial: it writes D1 from outside.
fn an_index_no_search_used_for_thirty_days_is_switched_off(app: &App) {
    let token = app.token(OTHER_ADMIN, None);
    let customer = app.post(
        "/other/customers",
        &token,
        &json!({"email": unique_email("idle"), "password": "secret123", "lastName": tag()}),
    );
    assert_eq!(customer.status, 201, "{}", customer.text);
    let last_name = customer.json["customer"]["lastName"].clone();
    let project = app.get("/other", &token).json;
    if project["searchIndexing"]["customers"]["status"] != "Activated" {
        let version = project["version"].as_u64().unwrap();
        let activate = json!([{"action": "changeCustomerSearchStatus", "status": "Activated"}]);
        assert_eq!(app.update("/other", &token, version, activate).status, 200);
    }
    wait_ready(app, "other", &token, &CUSTOMERS);
    let version = app.get("/other", &token).json["version"].as_u64().unwrap();
    let status =
        |app: &App| app.get("/other", &token).json["searchIndexing"]["customers"]["status"].clone();
    // A search records its use once the answer is out.
    let forty_days_ago = last_used_days_ago(app, 40);
    let body = json!({"query": {"exact": {"field": "lastName", "value": last_name}}});
    let found = app.post("/other/customers/search", &token, &body);
    assert_eq!(found.json["total"], 1, "{}", found.text);
    let started = Instant::now();
    while last_used_at(app) == forty_days_ago {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the search's use was not recorded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    run_scheduled(app);
    assert_eq!(status(app), "Activated");
    last_used_days_ago(app, 29);
    run_scheduled(app);
    assert_eq!(status(app), "Activated");
    assert_eq!(
        app.post("/other/customers/search", &token, &body).status,
        200
    );
    last_used_days_ago(app, 31);
    run_scheduled(app);
    let project = app.get("/other", &token).json;
    assert_eq!(
        project["searchIndexing"]["customers"]["status"], "Deactivated",
        "{project}"
    );
    assert_eq!(project["version"], version + 1);
    app.post("/other/customers/search", &token, &body)
        .assert_error(409, "SearchNotReady");
    let indexing = app.get("/other/customers/search/indexing-status", &token);
    assert_eq!(indexing.json["status"], "Deactivated", "{}", indexing.text);
    let activate = json!([{"action": "changeCustomerSearchStatus", "status": "Activated"}]);
    assert_eq!(
        app.update("/other", &token, version + 1, activate).status,
        200
    );
    wait_ready(app, "other", &token, &CUSTOMERS);
    let found = app.post("/other/customers/search", &token, &body);
    assert_eq!(found.json["total"], 1, "{}", found.text);
}
