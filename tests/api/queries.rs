//! Customer queries: `GET …/customers` with `where`, `var.*`, `sort`, `limit`, `offset`,
//! `withTotal`, `expand`; `HEAD` by predicate; in-store visibility; index use.
//!
//! Tests share the server with others, so every query here is confined to customers marked
//! with this test's own `companyName`.

use std::collections::BTreeSet;

use edge_customer_api::domain::customer::schema::FIELDS;
use edge_customer_api::domain::query::from_params;
use edge_customer_api::store::customer_table::QUERY_TABLE;
use edge_customer_api::store::query_sql;
use edge_customer_api::store::sql::Statement;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use crate::support::{unique, unique_email, App, Reply, OTHER_ADMIN, VIEWER};

tests!(queries;
    every_operator_against_real_data,
    variables_and_long_lists,
    sorting_on_several_fields,
    paging_over_1000_customers_visits_each_exactly_once,
    limit_offset_and_with_total,
    head_by_predicate,
    in_store_queries_see_the_store_and_storeless_customers,
    malformed_queries_are_400_with_the_reason,
    queries_need_view_scope_of_the_project,
    ; serial: lookups_by_id_key_email_and_customer_number_use_an_index,
);

fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// `GET /demo/customers?…` with the pairs encoded.
fn get_query(app: &App, path: &str, pairs: &[(&str, &str)]) -> Reply {
    let query: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect();
    app.get(&format!("{path}?{}", query.join("&")), app.admin())
}

/// The keys of the marked customers matching `predicate`, sorted.
#[track_caller]
fn keys_where(app: &App, marker: &str, predicate: &str) -> Vec<String> {
    let where_ = format!("companyName = \"{marker}\" and ({predicate})");
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("limit", "500")],
    );
    assert_eq!(reply.status, 200, "{predicate}: {}", reply.text);
    let mut keys: Vec<String> = reply.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap_or("?").to_string())
        .collect();
    keys.sort();
    keys
}

fn create(app: &App, marker: &str, key: &str, extra: Value) -> Value {
    let mut draft = json!({"email": unique_email(key), "authenticationMode": "ExternalAuth", "key": format!("{marker}-{key}"), "companyName": marker});
    for (k, v) in extra.as_object().unwrap() {
        draft[k] = v.clone();
    }
    app.create_customer(&draft)
}

/// The custom types the query tests' customers use.
fn query_types(app: &App) -> String {
    let tags = json!({"name": "Set", "elementType": {"name": "String"}});
    app.ensure_type(
        "q-addr",
        &["address"],
        &[("floor", json!({"name": "Number"}))],
    );
    app.ensure_type(
        "q-other",
        &["customer"],
        &[("rank", json!({"name": "Number"})), ("tags", tags.clone())],
    );
    app.ensure_type("q-t", &["customer"], &[("rank", json!({"name": "Number"}))]);
    app.ensure_type(
        "q-profile",
        &["customer"],
        &[
            ("rank", json!({"name": "Number"})),
            ("tags", tags),
            ("vip", json!({"name": "Boolean"})),
            ("nick", json!({"name": "String"})),
            ("name", json!({"name": "LocalizedString"})),
        ],
    )
}

fn every_operator_against_real_data(app: &App) {
    let m = unique("ops");
    let profile = query_types(app);
    let gold = app.ensure_group(&format!("{m}-gold"));
    let vip = app.ensure_group(&format!("{m}-vip"));
    let a = create(
        app,
        &m,
        "a",
        json!({
            "firstName": "Ada", "lastName": "Lovelace", "email": format!("Ada.{m}@Example.com"), "dateOfBirth": "1990-01-01",
            "isEmailVerified": true, "customerNumber": format!("{m}-n1"), "externalId": "crm-a", "locale": "en",
            "addresses": [{"key": "home", "city": "Berlin", "country": "DE"}], "defaultShippingAddress": 0,
            "customerGroup": {"typeId": "customer-group", "id": gold},
            "customerGroupAssignments": [{"customerGroup": {"key": format!("{m}-vip")}}],
            "custom": {"type": {"key": "q-profile"}, "fields": {"rank": 1, "tags": ["a", "b"], "vip": true, "nick": "ada", "name": {"en": "Ada EN"}}}
        }),
    );
    let b = create(
        app,
        &m,
        "b",
        json!({
            "firstName": "Bob", "lastName": "Builder", "dateOfBirth": "1985-06-15", "middleName": "The",
            "addresses": [{"city": "Paris", "country": "FR"}, {"city": "Berlin", "country": "FR", "custom": {"type": {"key": "q-addr"}, "fields": {"floor": 3}}}],
            "billingAddresses": [0], "stores": [{"key": format!("{m}-s1")}],
            "custom": {"type": {"key": "q-profile"}, "fields": {"rank": 2, "tags": ["b"], "vip": false, "nick": "2"}}
        }),
    );
    let c = create(
        app,
        &m,
        "c",
        json!({"firstName": "Cy", "salutation": "", "title": "Dr. \"Who\""}),
    );
    let d = create(
        app,
        &m,
        "d",
        json!({"firstName": "Dee", "custom": {"type": {"key": "q-other"}, "fields": {"rank": 10, "tags": []}}}),
    );
    // Give c a version of 3 and a later modification time.
    let path = format!("/demo/customers/{}", c["id"].as_str().unwrap());
    for (version, name) in [(1, "Cyd"), (2, "Cy")] {
        let reply = app.post(&path, app.admin(), &json!({"version": version, "actions": [{"action": "setFirstName", "firstName": name}]}));
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let all = vec!["a", "b", "c", "d"];
    let expect =
        |keys: &[&str]| -> Vec<String> { keys.iter().map(|k| format!("{m}-{k}")).collect() };

    let cases: Vec<(String, Vec<&str>)> = vec![
        // Comparisons on indexed columns and JSON fields.
        ("firstName = \"Ada\"".into(), vec!["a"]),
        ("firstName != \"Ada\"".into(), vec!["b", "c", "d"]),
        ("firstName <> \"Ada\"".into(), vec!["b", "c", "d"]),
        ("firstName < \"Bob\"".into(), vec!["a"]),
        ("firstName <= \"Bob\"".into(), vec!["a", "b"]),
        ("firstName > \"Cy\"".into(), vec!["d"]),
        ("firstName >= \"Cy\"".into(), vec!["c", "d"]),
        ("version = 3".into(), vec!["c"]),
        ("version > 1".into(), vec!["c"]),
        ("version <= 1".into(), vec!["a", "b", "d"]),
        ("isEmailVerified = true".into(), vec!["a"]),
        ("isEmailVerified = false".into(), vec!["b", "c", "d"]),
        ("isEmailVerified != true".into(), vec!["b", "c", "d"]),
        ("middleName = \"The\"".into(), vec!["b"]),
        ("middleName != \"The\"".into(), vec![]),
        ("dateOfBirth < \"1989-01-01\"".into(), vec!["b"]),
        ("dateOfBirth >= \"1985-06-15\"".into(), vec!["a", "b"]),
        (
            format!("lowercaseEmail = \"ada.{}@example.com\"", m.to_lowercase()),
            vec!["a"],
        ),
        (format!("email = \"Ada.{m}@Example.com\""), vec!["a"]),
        (format!("customerNumber = \"{m}-n1\""), vec!["a"]),
        ("externalId = \"crm-a\"".into(), vec!["a"]),
        (format!("key = \"{m}-b\""), vec!["b"]),
        (format!("id = \"{}\"", d["id"].as_str().unwrap()), vec!["d"]),
        ("locale = \"en\"".into(), vec!["a"]),
        ("salutation = \"\"".into(), vec!["c"]),
        ("title = \"Dr. \\\"Who\\\"\"".into(), vec!["c"]),
        ("title = 'Dr. \"Who\"'".into(), vec!["c"]),
        ("authenticationMode = \"ExternalAuth\"".into(), all.clone()),
        // Boolean logic.
        (
            "firstName = \"Ada\" or firstName = \"Bob\"".into(),
            vec!["a", "b"],
        ),
        (
            "firstName = \"Ada\" and lastName = \"Lovelace\"".into(),
            vec!["a"],
        ),
        (
            "firstName = \"Ada\" and lastName = \"Builder\"".into(),
            vec![],
        ),
        ("not (firstName = \"Ada\")".into(), vec!["b", "c", "d"]),
        ("not (middleName = \"The\")".into(), vec!["a", "c", "d"]),
        (
            "(firstName = \"Ada\" or firstName = \"Bob\") and not (isEmailVerified = true)".into(),
            vec!["b"],
        ),
        (
            "firstName = \"Ada\" OR firstName = \"Cy\" AND version = 3".into(),
            vec!["a", "c"],
        ),
        // Lists.
        (
            "firstName in (\"Ada\", \"Dee\", \"Nobody\")".into(),
            vec!["a", "d"],
        ),
        ("firstName not in (\"Ada\", \"Dee\")".into(), vec!["b", "c"]),
        ("version in (1, 3)".into(), all.clone()),
        // Arrays of values.
        (
            format!(
                "shippingAddressIds = \"{}\"",
                a["addresses"][0]["id"].as_str().unwrap()
            ),
            vec!["a"],
        ),
        (
            format!(
                "shippingAddressIds contains any (\"{}\", \"x\")",
                a["addresses"][0]["id"].as_str().unwrap()
            ),
            vec!["a"],
        ),
        (
            format!(
                "billingAddressIds contains all (\"{}\")",
                b["addresses"][0]["id"].as_str().unwrap()
            ),
            vec!["b"],
        ),
        ("shippingAddressIds is empty".into(), vec!["b", "c", "d"]),
        ("shippingAddressIds is not empty".into(), vec!["a"]),
        ("addresses is empty".into(), vec!["c", "d"]),
        ("stores is not empty".into(), vec!["b"]),
        // Defined.
        ("dateOfBirth is defined".into(), vec!["a", "b"]),
        ("dateOfBirth is not defined".into(), vec!["c", "d"]),
        ("customerGroup is defined".into(), vec!["a"]),
        ("custom is not defined".into(), vec!["c"]),
        // Arrays of objects: one element must match all of the inner predicate.
        ("addresses(city = \"Berlin\")".into(), vec!["a", "b"]),
        (
            "addresses(city = \"Berlin\" and country = \"DE\")".into(),
            vec!["a"],
        ),
        (
            "addresses(city = \"Paris\" and country = \"DE\")".into(),
            vec![],
        ),
        ("addresses(key = \"home\")".into(), vec!["a"]),
        ("addresses(custom(fields(floor >= 3)))".into(), vec!["b"]),
        (format!("stores(key = \"{m}-s1\")"), vec!["b"]),
        (
            format!("customerGroupAssignments(customerGroup(id = \"{vip}\"))"),
            vec!["a"],
        ),
        // Nested objects.
        (format!("customerGroup(id = \"{gold}\")"), vec!["a"]),
        (format!("custom(type(id = \"{profile}\"))"), vec!["a", "b"]),
        (
            "lastModifiedBy(clientId = \"demo-admin\")".into(),
            all.clone(),
        ),
        // Custom fields, typed by their values.
        ("custom(fields(rank = 2))".into(), vec!["b"]),
        ("custom(fields(rank > 1))".into(), vec!["b", "d"]),
        (
            "custom(fields(rank >= 1 and rank < 10))".into(),
            vec!["a", "b"],
        ),
        ("custom(fields(vip = true))".into(), vec!["a"]),
        ("custom(fields(vip = false))".into(), vec!["b"]),
        ("custom(fields(vip != true))".into(), vec!["b"]),
        ("custom(fields(nick = \"2\"))".into(), vec!["b"]),
        ("custom(fields(nick = 2))".into(), vec![]),
        (
            "custom(fields(tags contains any (\"a\")))".into(),
            vec!["a"],
        ),
        (
            "custom(fields(tags contains all (\"a\", \"b\")))".into(),
            vec!["a"],
        ),
        (
            "custom(fields(tags contains all (\"b\")))".into(),
            vec!["a", "b"],
        ),
        ("custom(fields(tags is empty))".into(), vec!["d"]),
        ("custom(fields(tags is not empty))".into(), vec!["a", "b"]),
        ("custom(fields(nick is defined))".into(), vec!["a", "b"]),
        ("custom(fields(rank in (1, 10)))".into(), vec!["a", "d"]),
        ("custom(fields(name(en = \"Ada EN\")))".into(), vec!["a"]),
        // Plain values where an object is asked for match nothing (and fail nothing).
        ("custom(fields(tags(x = \"1\")))".into(), vec![]),
        ("not (custom(fields(nick(x = \"1\"))))".into(), all.clone()),
        ("custom(fields(a(b(c(d(e = 1))))))".into(), vec![]),
        // Date-times, normalized before comparing.
        (
            format!("createdAt <= \"{}\"", d["createdAt"].as_str().unwrap()),
            all.clone(),
        ),
        ("createdAt > \"2001-01-01\"".into(), all.clone()),
        (
            "lastModifiedAt > \"2999-01-01T00:00:00+01:00\"".into(),
            vec![],
        ),
        (
            format!(
                "lastModifiedAt > \"{}\"",
                d["lastModifiedAt"].as_str().unwrap()
            ),
            vec!["c"],
        ),
    ];
    for (predicate, expected) in cases {
        assert_eq!(
            keys_where(app, &m, &predicate),
            expect(&expected),
            "{predicate}"
        );
    }
}

fn variables_and_long_lists(app: &App) {
    let m = unique("vars");
    for key in ["a", "b", "c"] {
        create(app, &m, key, json!({"firstName": key}));
    }
    let where_ = format!("companyName = \"{m}\" and firstName = :name");
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("var.name", "b")],
    );
    assert_eq!(reply.json["count"], 1, "{}", reply.text);
    let where_ = format!("companyName = \"{m}\" and firstName in :names");
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("var.names", "a"), ("var.names", "c")],
    );
    assert_eq!(reply.json["count"], 2, "{}", reply.text);
    // Several `where` parameters are ANDed.
    let reply = get_query(
        app,
        "/demo/customers",
        &[
            ("where", &format!("companyName = \"{m}\"")),
            ("where", "firstName != \"a\""),
            ("where", "firstName != \"b\""),
        ],
    );
    assert_eq!(reply.json["count"], 1, "{}", reply.text);
    // A list far longer than D1's 100 bound parameters still works.
    let mut names: Vec<String> = (0..400).map(|i| format!("\"n{i}\"")).collect();
    names.push("\"b\"".into());
    let where_ = format!(
        "companyName = \"{m}\" and firstName in ({})",
        names.join(",")
    );
    assert_eq!(
        get_query(app, "/demo/customers", &[("where", &where_)]).json["count"],
        1
    );
    let mut pairs: Vec<(&str, String)> = vec![(
        "where",
        format!("companyName = \"{m}\" and firstName in :many"),
    )];
    for i in 0..300 {
        pairs.push(("var.many", format!("x{i}")));
    }
    pairs.push(("var.many", "c".into()));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(get_query(app, "/demo/customers", &pairs).json["count"], 1);
}

fn sorting_on_several_fields(app: &App) {
    let m = unique("sort");
    query_types(app);
    let people = [
        ("a", "Cleo", "1990-01-01", 3),
        ("b", "Abe", "1980-01-01", 1),
        ("c", "Bea", "1990-01-01", 2),
        ("d", "Abe", "1970-01-01", 4),
    ];
    for (key, name, born, rank) in people {
        create(
            app,
            &m,
            key,
            json!({"firstName": name, "dateOfBirth": born, "custom": {"type": {"key": "q-t"}, "fields": {"rank": rank}}}),
        );
    }
    let sorted = |sorts: &[&str]| -> Vec<String> {
        let where_ = format!("companyName = \"{m}\"");
        let mut pairs = vec![("where", where_.as_str())];
        pairs.extend(sorts.iter().map(|s| ("sort", *s)));
        let reply = get_query(app, "/demo/customers", &pairs);
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["key"]
                    .as_str()
                    .unwrap()
                    .rsplit('-')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        sorted(&["custom.fields.rank asc"]),
        vec!["b", "c", "a", "d"]
    );
    assert_eq!(
        sorted(&["custom.fields.rank desc"]),
        vec!["d", "a", "c", "b"]
    );
    assert_eq!(
        sorted(&["firstName asc", "dateOfBirth asc"]),
        vec!["d", "b", "c", "a"]
    );
    assert_eq!(
        sorted(&["firstName desc", "dateOfBirth desc"]),
        vec!["a", "c", "b", "d"]
    );
    assert_eq!(
        sorted(&["dateOfBirth desc", "firstName asc"]),
        vec!["c", "a", "b", "d"]
    );
    // Creation times may share a millisecond: the order is by (createdAt, id) either way.
    for (sort, descending) in [("createdAt asc", false), ("createdAt desc", true)] {
        let where_ = format!("companyName = \"{m}\"");
        let reply = get_query(
            app,
            "/demo/customers",
            &[("where", &where_), ("sort", sort)],
        );
        let order: Vec<(String, String)> = reply.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["createdAt"].as_str().unwrap().to_string(),
                    c["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut expected = order.clone();
        expected.sort();
        if descending {
            expected.reverse();
        }
        assert_eq!(order, expected, "{sort}");
    }
    assert_eq!(sorted(&["key desc"]), vec!["d", "c", "b", "a"]);
    // Ties are broken by id, in the direction of the last key: stable, never random.
    let ties = sorted(&["dateOfBirth asc"]);
    assert_eq!(&ties[..2], &["d", "b"]);
    assert_eq!(sorted(&["dateOfBirth asc"]), ties);
}

fn paging_over_1000_customers_visits_each_exactly_once(app: &App) {
    let m = unique("page");
    let created: BTreeSet<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let m = &m;
                s.spawn(move || {
                    (0..125)
                        .map(|i| {
                            let c = create(
                                app,
                                m,
                                &format!("{t}x{i}"),
                                json!({"firstName": format!("n{}", (t * 125 + i) % 17)}),
                            );
                            c["id"].as_str().unwrap().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(created.len(), 1000);
    let where_ = format!("companyName = \"{m}\"");
    for sort in [
        None,
        Some("firstName asc"),
        Some("lastModifiedAt desc"),
        Some("createdAt asc"),
    ] {
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let offset_text = offset.to_string();
            let mut pairs = vec![
                ("where", where_.as_str()),
                ("limit", "37"),
                ("offset", offset_text.as_str()),
            ];
            if let Some(sort) = sort {
                pairs.push(("sort", sort));
            }
            let reply = get_query(app, "/demo/customers", &pairs);
            assert_eq!(reply.status, 200, "{}", reply.text);
            assert_eq!(reply.json["total"], 1000, "{sort:?}");
            let page = reply.json["results"].as_array().unwrap();
            assert_eq!(reply.json["count"], page.len());
            seen.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_string()));
            if page.len() < 37 {
                break;
            }
            offset += 37;
        }
        let unique_seen: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            seen.len(),
            1000,
            "{sort:?}: every customer once, none twice"
        );
        assert_eq!(unique_seen, created, "{sort:?}");
    }
}

fn limit_offset_and_with_total(app: &App) {
    let m = unique("limits");
    for key in ["a", "b", "c"] {
        create(app, &m, key, json!({}));
    }
    let where_ = format!("companyName = \"{m}\"");
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("limit", "2"), ("offset", "1")],
    );
    assert_eq!(reply.json["limit"], 2);
    assert_eq!(reply.json["offset"], 1);
    assert_eq!(reply.json["count"], 2);
    assert_eq!(reply.json["total"], 3);
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("withTotal", "false")],
    );
    assert!(reply.json.get("total").is_none(), "{}", reply.text);
    assert_eq!(reply.json["count"], 3);
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("limit", "0")],
    );
    assert_eq!(reply.json["count"], 0);
    assert_eq!(reply.json["results"], json!([]));
    assert_eq!(reply.json["total"], 3);
    let reply = get_query(
        app,
        "/demo/customers",
        &[("where", &where_), ("offset", "10000")],
    );
    assert_eq!(reply.json["count"], 0);
    // Defaults: limit 20, offset 0, total present; results are whole customers.
    let reply = app.get("/demo/customers", app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["limit"], 20);
    assert_eq!(reply.json["offset"], 0);
    assert!(reply.json["total"].as_u64().unwrap() >= 3);
    assert!(reply.json["results"][0]["id"].is_string());
    // Paths that name nothing expandable are ignored, as commercetools does.
    let reply = get_query(
        app,
        "/demo/customers",
        &[
            ("where", &where_),
            ("expand", "customerGroup"),
            ("expand", "nonsense[*]"),
        ],
    );
    assert_eq!(reply.json["count"], 3);
}

fn head_by_predicate(app: &App) {
    let m = unique("head");
    create(app, &m, "a", json!({"firstName": "Here"}));
    let head = |predicate: &str| {
        let where_ = encode(&format!("companyName = \"{m}\" and {predicate}"));
        app.head(&format!("/demo/customers?where={where_}"), app.admin())
    };
    let found = head("firstName = \"Here\"");
    assert_eq!(found.status, 200);
    assert!(found.text.is_empty());
    let missing = head("firstName = \"Gone\"");
    assert_eq!(missing.status, 404);
    assert!(missing.text.is_empty());
    assert_eq!(app.head("/demo/customers", app.admin()).status, 200);
    assert_eq!(
        app.head(
            &format!("/demo/customers?where={}", encode("nope = 1")),
            app.admin()
        )
        .status,
        400
    );
}

fn in_store_queries_see_the_store_and_storeless_customers(app: &App) {
    let m = unique("instore");
    let (s1, s2) = (format!("{m}-s1"), format!("{m}-s2"));
    create(app, &m, "one", json!({"stores": [{"key": s1}]}));
    create(app, &m, "two", json!({"stores": [{"key": s2}]}));
    create(
        app,
        &m,
        "both",
        json!({"stores": [{"key": s1}, {"key": s2}]}),
    );
    create(app, &m, "none", json!({}));
    let in_store = |store: &str, predicate: Option<&str>| -> Vec<String> {
        let where_ = match predicate {
            Some(p) => format!("companyName = \"{m}\" and {p}"),
            None => format!("companyName = \"{m}\""),
        };
        let reply = get_query(
            app,
            &format!("/demo/in-store/key={store}/customers"),
            &[("where", &where_)],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json["total"], reply.json["count"]);
        let mut keys: Vec<String> = reply.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["key"]
                    .as_str()
                    .unwrap()
                    .rsplit('-')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(in_store(&s1, None), vec!["both", "none", "one"]);
    assert_eq!(in_store(&s2, None), vec!["both", "none", "two"]);
    assert_eq!(in_store("elsewhere", None), vec!["none"]);
    assert_eq!(in_store(&s1, Some("stores is empty")), vec!["none"]);
    let head = app.head(
        &format!(
            "/demo/in-store/key=elsewhere/customers?where={}",
            encode(&format!("key = \"{m}-one\""))
        ),
        app.admin(),
    );
    assert_eq!(head.status, 404);
    // A store-scoped token may query its store only.
    let token = app.token(
        crate::support::ADMIN,
        Some(&format!("view_customers:demo:{s1}")),
    );
    assert_eq!(
        app.get(&format!("/demo/in-store/key={s1}/customers"), &token)
            .status,
        200
    );
    app.get(&format!("/demo/in-store/key={s2}/customers"), &token)
        .assert_error(403, "insufficient_scope");
    app.get("/demo/customers", &token)
        .assert_error(403, "insufficient_scope");
}

fn malformed_queries_are_400_with_the_reason(app: &App) {
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("where", "firstName = ")], "at position 13"),
        (vec![("where", "firstName = \"a\" and")], "at position 20"),
        (vec![("where", "(firstName = \"a\"")], "Expected ')'"),
        (vec![("where", "nope = \"a\"")], "Unknown field 'nope'"),
        (
            vec![("where", "password = \"a\"")],
            "Unknown field 'password'",
        ),
        (vec![("where", "version = \"a\"")], "takes a number"),
        (vec![("where", "firstName = :missing")], "has no value"),
        (
            vec![("where", "firstName within circle(1,2,3)")],
            "not supported",
        ),
        (vec![("where", "")], "empty"),
        (vec![("limit", "501")], "between 0 and 500"),
        (vec![("limit", "-1")], "between 0 and 500"),
        (vec![("offset", "10001")], "between 0 and 10000"),
        (vec![("withTotal", "maybe")], "true or false"),
        (vec![("sort", "firstName sideways")], "direction"),
        (vec![("sort", "addresses asc")], "single value"),
        (vec![("var.bad-name", "x")], "^var[.][a-zA-Z0-9]+$"),
    ];
    for (pairs, needle) in cases {
        let reply = get_query(app, "/demo/customers", &pairs);
        let error = reply.assert_error(400, "InvalidInput");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(needle), "{pairs:?}: {message}");
    }
    // Too many conditions are refused before they run (the compiler's own limit of 100
    // bound values stands behind that; see store::query_sql's unit tests).
    let leaves: Vec<String> = (0..120).map(|i| format!("key = \"k{i}\"")).collect();
    let reply = get_query(app, "/demo/customers", &[("where", &leaves.join(" or "))]);
    assert!(reply.assert_error(400, "InvalidInput")["message"]
        .as_str()
        .unwrap()
        .contains("too expensive"));
    // Nesting beyond what D1 runs (expression depth 100) is a 400 too, for a page, a total
    // and HEAD; deep `not` chains within the parser's limit still run.
    let deep = "custom(fields(a(b(c(d(e(f(g(h = 1)))))))))";
    for pairs in [
        vec![("where", deep)],
        vec![("where", deep), ("withTotal", "true")],
    ] {
        let reply = get_query(app, "/demo/customers", &pairs);
        assert!(reply.assert_error(400, "InvalidInput")["message"]
            .as_str()
            .unwrap()
            .contains("nested too deeply"));
    }
    let head = app.head(
        &format!("/demo/customers?where={}", encode(deep)),
        app.admin(),
    );
    assert_eq!(head.status, 400);
    // Deeper still, the query's own limit on sub-queries refuses it before it runs.
    let deeper = "custom(fields(a(b(c(d(e(f(g(h(i(j = 1)))))))))))";
    let reply = get_query(app, "/demo/customers", &[("where", deeper)]);
    assert!(reply.assert_error(400, "InvalidInput")["message"]
        .as_str()
        .unwrap()
        .contains("too expensive"));
    let nots = (0..30).fold("firstName = \"x\"".to_string(), |p, _| format!("not ({p})"));
    assert_eq!(
        get_query(app, "/demo/customers", &[("where", &nots)]).status,
        200
    );
    // Hostile text is a clean 400, never a 500.
    for hostile in [
        "'; DROP TABLE customers; --",
        "\u{0}",
        "((((((((((((((((((((((((((((((((((((((((a",
        "a = \"\\u12\"",
        "key = \"\u{1F600}\" or",
    ] {
        let reply = get_query(app, "/demo/customers", &[("where", hostile)]);
        assert_eq!(reply.status, 400, "{hostile:?}: {}", reply.text);
    }
}

fn queries_need_view_scope_of_the_project(app: &App) {
    let viewer = app.token(VIEWER, None);
    assert_eq!(app.get("/demo/customers?limit=1", &viewer).status, 200);
    let other = app.token(OTHER_ADMIN, None);
    app.get("/demo/customers", &other)
        .assert_error(403, "insufficient_scope");
    app.send("GET", "/demo/customers", &[], None)
        .assert_error(401, "invalid_token");
    assert_eq!(app.send("HEAD", "/demo/customers", &[], None).status, 401);
    // Another project sees none of these customers.
    let reply = app.get("/other/customers", &other);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let marker = unique("isolation");
    create(app, &marker, "a", json!({}));
    let where_ = encode(&format!("companyName = \"{marker}\""));
    assert_eq!(
        app.get(&format!("/other/customers?where={where_}"), &other)
            .json["count"],
        0
    );
}

/// The statement the Worker runs for a query's page.
fn page(pairs: &[(&str, &str)]) -> Statement {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let query = from_params(&params, FIELDS).expect("valid query");
    query_sql::compile(&QUERY_TABLE, "demo", None, &query)
        .expect("compiles")
        .page
}

fn lookups_by_id_key_email_and_customer_number_use_an_index(app: &App) {
    for predicate in [
        "id = \"00000000-0000-4000-8000-000000000000\"",
        "key = \"k\"",
        "email = \"a@b.c\"",
        "lowercaseEmail = \"a@b.c\"",
        "customerNumber = \"n\"",
        "externalId = \"x\"",
        "lastName = \"x\"",
        "customerGroup(id = \"g\")",
        // Columns of migration 0017 (they lived only in the document before).
        "middleName = \"x\"",
        "vatId = \"x\"",
        "dateOfBirth = \"1990-01-31\"",
    ] {
        let text = app.query_plan(&page(&[("where", predicate)]));
        assert!(
            text.contains("SEARCH customers USING") && !text.contains("SCAN customers"),
            "{predicate}: {text}"
        );
    }
    // Sorting by modification time pages through its index, without a temporary sort.
    let text = app.query_plan(&page(&[("sort", "lastModifiedAt desc"), ("limit", "20")]));
    assert!(
        text.contains("customers_last_modified_at") && !text.contains("TEMP B-TREE"),
        "{text}"
    );
}
