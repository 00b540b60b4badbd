//! The messages endpoints: `GET /{pk}/messages` (where, sort, limit, offset, withTotal,
//! var.*, expand), `HEAD` by predicate, `GET`/`HEAD /{pk}/messages/{id}`; the response shape;
//! scopes; bad input; the indexes the queries use; the scheduled retention.
//!
//! Tests share the server with others, so every query here names this test's own resources.

use edge_customer_api::domain::message::{in_creation_order, FIELDS};
use edge_customer_api::domain::query::from_params;
use edge_customer_api::domain::time::iso_millis;
use edge_customer_api::store::message_table::{expired_batch, QUERY_TABLE};
use edge_customer_api::store::query_sql;
use serde_json::{json, Value};

use crate::support::{encode, id_of, unique, unique_email, App, Reply, OTHER_ADMIN, VIEWER};

tests!(messages;
    a_customer_history_reads_back_in_order,
    every_envelope_field_can_be_queried,
    paging_sorting_totals_and_head,
    expand_resource_puts_the_customer_under_obj,
    group_messages_are_served_too,
    malformed_and_hostile_queries_are_400,
    messages_need_view_messages_of_the_project,
    ; serial: message_queries_use_an_index,
    old_messages_are_deleted_by_the_scheduled_retention,
);

/// `GET /demo/messages?…` as admin, with the pairs encoded.
fn query(app: &App, pairs: &[(&str, &str)]) -> Reply {
    query_with(app, app.admin(), "/demo/messages", pairs)
}

fn query_with(app: &App, token: &str, path: &str, pairs: &[(&str, &str)]) -> Reply {
    let query: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect();
    app.get(&format!("{path}?{}", query.join("&")), token)
}

/// The results of a query that must succeed.
#[track_caller]
fn results(app: &App, pairs: &[(&str, &str)]) -> Vec<Value> {
    let reply = query(app, pairs);
    assert_eq!(reply.status, 200, "{pairs:?}: {}", reply.text);
    reply.json["results"].as_array().unwrap().clone()
}

/// The messages of one resource, in sequence.
#[track_caller]
fn history(app: &App, resource_id: &str) -> Vec<Value> {
    let where_ = format!("resource(id = \"{resource_id}\")");
    results(
        app,
        &[
            ("where", &where_),
            ("sort", "sequenceNumber asc"),
            ("limit", "500"),
        ],
    )
}

fn types_of(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["type"].as_str().unwrap_or("?"))
        .collect()
}

fn ok(reply: Reply) -> Value {
    assert!(reply.status == 200 || reply.status == 201, "{}", reply.text);
    reply.json
}

/// A customer with a password and a key, its email, and its path.
fn customer(app: &App, prefix: &str) -> (Value, String) {
    let email = unique_email(prefix);
    let key = unique(prefix);
    let customer = app.create_customer(&json!({
        "email": email, "password": "secret123", "key": key, "externalId": format!("crm-{key}")
    }));
    (customer, email)
}

fn a_customer_history_reads_back_in_order(app: &App) {
    let (c, email) = customer(app, "life");
    let id = id_of(&c).to_string();
    let path = format!("/demo/customers/{id}");
    let updated = ok(app.update(
        &path,
        app.admin(),
        1,
        json!([
            {"action": "setFirstName", "firstName": "Ada"},
            {"action": "addAddress", "address": {"key": "home", "country": "DE", "city": "Berlin"}},
            {"action": "setDefaultShippingAddress", "addressKey": "home"}
        ]),
    ));
    let new_email = unique_email("life-new");
    let updated = ok(app.update(
        &path,
        app.admin(),
        updated["version"].as_u64().unwrap(),
        json!([{"action": "changeEmail", "email": new_email}]),
    ));
    let token = ok(app.post(
        "/demo/customers/password-token",
        app.admin(),
        &json!({"email": new_email}),
    ));
    let reset = ok(app.post(
        "/demo/customers/password/reset",
        app.admin(),
        &json!({"tokenValue": token["value"], "newPassword": "brand-new"}),
    ));
    assert!(reset["version"].as_u64() > updated["version"].as_u64());
    let version = reset["version"].as_u64().unwrap();
    assert_eq!(
        app.delete(&format!("{path}?version={version}"), app.admin())
            .status,
        200
    );

    let messages = history(app, &id);
    assert_eq!(
        types_of(&messages),
        [
            "CustomerCreated",
            "CustomerFirstNameSet",
            "CustomerAddressAdded",
            "CustomerDefaultShippingAddressSet",
            "CustomerEmailChanged",
            "CustomerPasswordUpdated",
            "CustomerDeleted",
        ]
    );
    let versions: Vec<u64> = messages
        .iter()
        .map(|m| m["resourceVersion"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6, 7]);
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m["sequenceNumber"], i as u64 + 1);
        assert_eq!(m["version"], 1);
        assert_eq!(m["createdAt"], m["lastModifiedAt"]);
        assert_eq!(m["resource"], json!({"typeId": "customer", "id": id}));
        assert_eq!(m["createdBy"]["clientId"], "demo-admin");
        assert_eq!(m["resourceUserProvidedIdentifiers"]["key"], c["key"]);
        assert_eq!(
            m["resourceUserProvidedIdentifiers"]["externalId"],
            c["externalId"]
        );
        // Each message reads back by its id, the same, and HEAD finds it.
        let path = format!("/demo/messages/{}", id_of(m));
        assert_eq!(app.get(&path, app.admin()).json, *m);
        assert_eq!(app.head(&path, app.admin()).status, 200);
    }
    assert_eq!(messages[0]["customer"]["email"], email);
    assert_eq!(messages[4]["email"], new_email);
    assert_eq!(messages[4]["oldEmail"], email);
    assert_eq!(messages[5]["reset"], true);
    assert_eq!(messages[6]["email"], new_email);
    // The token's own message is about the token, for the customer.
    let where_ = format!(
        "type = \"CustomerPasswordTokenCreated\" and resource(typeId = \"customer-password-token\") and createdAt >= \"{}\"",
        c["createdAt"].as_str().unwrap()
    );
    let tokens = results(app, &[("where", &where_), ("limit", "500")]);
    assert!(
        tokens.iter().any(|t| t["customerId"] == json!(id)),
        "{tokens:?}"
    );
}

fn every_envelope_field_can_be_queried(app: &App) {
    let (c, _) = customer(app, "fields");
    let id = id_of(&c).to_string();
    ok(app.update(
        &format!("/demo/customers/{id}"),
        app.admin(),
        1,
        json!([{"action": "setFirstName", "firstName": "A"}, {"action": "setLastName", "lastName": "B"}]),
    ));
    let created = history(app, &id);
    assert_eq!(created.len(), 3);
    let first_id = id_of(&created[0]).to_string();
    let at = created[0]["createdAt"].as_str().unwrap().to_string();
    let later = created[2]["createdAt"].as_str().unwrap().to_string();
    let mine = format!("resource(id = \"{id}\")");
    let count = |predicate: &str| -> usize {
        let where_ = format!("{mine} and ({predicate})");
        results(app, &[("where", &where_)]).len()
    };
    let key = c["key"].as_str().unwrap();
    for (predicate, expected) in [
        (format!("id = \"{first_id}\""), 1),
        (format!("id != \"{first_id}\""), 2),
        ("version = 1".into(), 3),
        ("sequenceNumber >= 2".into(), 2),
        ("sequenceNumber in (1, 3)".into(), 2),
        ("resourceVersion = 3".into(), 1),
        ("resource(typeId = \"customer\")".into(), 3),
        ("resource(typeId = \"customer-group\")".into(), 0),
        ("type = \"CustomerLastNameSet\"".into(), 1),
        (
            "type in (\"CustomerCreated\", \"CustomerFirstNameSet\")".into(),
            2,
        ),
        ("type != \"CustomerCreated\"".into(), 2),
        (format!("createdAt >= \"{at}\""), 3),
        (format!("createdAt > \"{later}\""), 0),
        (format!("lastModifiedAt <= \"{later}\""), 3),
        ("createdAt > \"2020-01-01\"".into(), 3),
        ("createdBy(clientId = \"demo-admin\")".into(), 3),
        ("lastModifiedBy(clientId = \"nobody\")".into(), 0),
        (
            format!("resourceUserProvidedIdentifiers(key = \"{key}\")"),
            3,
        ),
        (
            "resourceUserProvidedIdentifiers(customerNumber is defined)".into(),
            0,
        ),
        (
            "not (type = \"CustomerCreated\") and sequenceNumber < 3".into(),
            1,
        ),
    ] {
        assert_eq!(count(&predicate), expected, "{predicate}");
    }
    // Input variables, also as a list.
    let reply = query(
        app,
        &[
            ("where", &mine),
            ("where", "type in :types"),
            ("var.types", "CustomerCreated"),
            ("var.types", "CustomerLastNameSet"),
        ],
    );
    assert_eq!(reply.json["count"], 2, "{}", reply.text);
}

fn paging_sorting_totals_and_head(app: &App) {
    let (c, _) = customer(app, "paging");
    let id = id_of(&c).to_string();
    let actions: Vec<Value> = (0..6)
        .map(|i| json!({"action": "setFirstName", "firstName": format!("n{i}")}))
        .collect();
    ok(app.update(
        &format!("/demo/customers/{id}"),
        app.admin(),
        1,
        json!(actions),
    ));
    let mine = format!("resource(id = \"{id}\")");
    let sequence = |messages: &[Value]| -> Vec<u64> {
        messages
            .iter()
            .map(|m| m["sequenceNumber"].as_u64().unwrap())
            .collect()
    };
    let desc = results(app, &[("where", &mine), ("sort", "sequenceNumber desc")]);
    assert_eq!(sequence(&desc), [7, 6, 5, 4, 3, 2, 1]);
    let page = query(
        app,
        &[
            ("where", &mine),
            ("sort", "resourceVersion asc"),
            ("limit", "3"),
            ("offset", "2"),
        ],
    );
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        (
            &page.json["limit"],
            &page.json["offset"],
            &page.json["count"],
            &page.json["total"]
        ),
        (&json!(3), &json!(2), &json!(3), &json!(7))
    );
    assert_eq!(
        sequence(page.json["results"].as_array().unwrap()),
        [3, 4, 5]
    );
    let no_total = query(app, &[("where", &mine), ("withTotal", "false")]);
    assert!(no_total.json.get("total").is_none(), "{}", no_total.text);
    assert_eq!(no_total.json["count"], 7);
    // Without a sort, messages come in the order they were created.
    let unsorted = results(app, &[("limit", "500")]);
    let times: Vec<&str> = unsorted
        .iter()
        .map(|m| m["createdAt"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let sorted = results(app, &[("where", &mine), ("sort", "createdAt desc")]);
    assert_eq!(sorted.len(), 7);
    // HEAD by predicate: 200 if anything matches, else 404; and by id.
    let head = |predicate: &str| {
        app.head(
            &format!("/demo/messages?where={}", encode(predicate)),
            app.admin(),
        )
        .status
    };
    assert_eq!(head(&mine), 200);
    assert_eq!(head("resource(id = \"no-such-resource\")"), 404);
    assert_eq!(app.head("/demo/messages", app.admin()).status, 200);
    assert_eq!(
        app.head("/demo/messages/no-such-message", app.admin())
            .status,
        404
    );
}

fn expand_resource_puts_the_customer_under_obj(app: &App) {
    let (c, _) = customer(app, "expand");
    let id = id_of(&c).to_string();
    let mine = format!("resource(id = \"{id}\")");
    let expanded = results(app, &[("where", &mine), ("expand", "resource")]);
    assert_eq!(expanded.len(), 1);
    assert_eq!(expanded[0]["resource"]["obj"], c);
    let message_id = id_of(&expanded[0]).to_string();
    let single = app.get(
        &format!("/demo/messages/{message_id}?expand=resource"),
        app.admin(),
    );
    assert_eq!(single.json["resource"]["obj"]["id"], json!(id));
    // Paths that reach no reference are ignored.
    let plain = results(app, &[("where", &mine), ("expand", "nothing.here")]);
    assert!(plain[0]["resource"].get("obj").is_none());
    // A deleted resource cannot be expanded: the reference stays as it is.
    assert_eq!(
        app.delete(&format!("/demo/customers/{id}?version=1"), app.admin())
            .status,
        200
    );
    let after = results(app, &[("where", &mine), ("expand", "resource")]);
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|m| m["resource"].get("obj").is_none()));
}

fn group_messages_are_served_too(app: &App) {
    app.ensure_type(
        "m-group",
        &["customer-group"],
        &[("a", json!({"name": "String"}))],
    );
    let key = unique("m-group");
    let group = ok(app.post(
        "/demo/customer-groups",
        app.admin(),
        &json!({"groupName": key, "key": key}),
    ));
    let id = id_of(&group).to_string();
    ok(app.update(
        &format!("/demo/customer-groups/{id}"),
        app.admin(),
        1,
        json!([{"action": "setCustomType", "type": {"key": "m-group"}, "fields": {"a": "1"}}]),
    ));
    let messages = history(app, &id);
    let kinds = types_of(&messages);
    assert_eq!(
        kinds.last(),
        Some(&"CustomerGroupCustomTypeSet"),
        "{kinds:?}"
    );
    let last = messages.last().unwrap();
    assert_eq!(last["resource"]["typeId"], "customer-group");
    assert_eq!(last["resourceUserProvidedIdentifiers"]["key"], json!(key));
}

fn malformed_and_hostile_queries_are_400(app: &App) {
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("where", "type = ")], "at position"),
        (
            vec![("where", "email = \"a@b.c\"")],
            "Unknown field 'email'",
        ),
        (
            vec![("where", "customer(id = \"c\")")],
            "Unknown field 'customer'",
        ),
        (
            vec![("where", "sequenceNumber = \"one\"")],
            "takes a number",
        ),
        (vec![("where", "createdAt > \"yesterday\"")], "date-time"),
        (vec![("where", "resource = \"c\"")], ""),
        (vec![("where", "type = :missing")], "has no value"),
        (vec![("sort", "payload asc")], ""),
        (vec![("sort", "type sideways")], "direction"),
        (vec![("limit", "501")], "between 0 and 500"),
        (vec![("offset", "10001")], "between 0 and 10000"),
        (vec![("withTotal", "maybe")], "true or false"),
        (vec![("var.bad-name", "x")], "^var[.][a-zA-Z0-9]+$"),
    ];
    for (pairs, needle) in cases {
        let reply = query(app, &pairs);
        let error = reply.assert_error(400, "InvalidInput");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(needle), "{pairs:?}: {message}");
    }
    // Too many conditions, sorts or list values are refused before they run.
    let leaves: Vec<String> = (0..120).map(|i| format!("type = \"t{i}\"")).collect();
    query(app, &[("where", &leaves.join(" or "))]).assert_error(400, "InvalidInput");
    let sorts: Vec<(&str, &str)> = (0..11).map(|_| ("sort", "createdAt asc")).collect();
    query(app, &sorts).assert_error(400, "InvalidInput");
    let values: Vec<String> = (0..1001).map(|i| format!("\"{i}\"")).collect();
    let long_list = format!("id in ({})", values.join(","));
    query(app, &[("where", &long_list)]).assert_error(400, "InvalidInput");
    for hostile in [
        "'; DROP TABLE messages; --",
        "\u{0}",
        "((((((((((((((((((((((((((((((((((((((((type",
        "type = \"\\u12\"",
    ] {
        let reply = query(app, &[("where", hostile)]);
        assert_eq!(reply.status, 400, "{hostile:?}: {}", reply.text);
    }
    // Long input within the URL limit Cloudflare keeps (16 KB) is answered, not choked on; a
    // predicate beyond 10 000 bytes is refused before it is parsed.
    let long = "x".repeat(9_000);
    let reply = query(app, &[("where", &format!("type = \"{long}\""))]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["count"], 0);
    let longer = "x".repeat(12_000);
    let reply = query(app, &[("where", &format!("type = \"{longer}\""))]);
    let error = reply.assert_error(400, "InvalidInput");
    assert!(error["message"].as_str().unwrap().contains("longer than"));
    app.get(&format!("/demo/messages/{longer}"), app.admin())
        .assert_error(404, "ResourceNotFound");
    // Read-only endpoints; unknown ids are 404.
    let post = app.post("/demo/messages", app.admin(), &json!({}));
    post.assert_error(405, "MethodNotAllowed");
    assert_eq!(post.header("Allow"), Some("GET, HEAD"));
    app.delete("/demo/messages/x", app.admin())
        .assert_error(405, "MethodNotAllowed");
    app.get("/demo/messages/no-such-message", app.admin())
        .assert_error(404, "ResourceNotFound");
    app.get("/demo/messages/a/b", app.admin())
        .assert_error(404, "ResourceNotFound");
}

fn messages_need_view_messages_of_the_project(app: &App) {
    let (c, _) = customer(app, "scopes");
    let id = id_of(&c).to_string();
    let mine = format!("resource(id = \"{id}\")");
    let viewer = app.token(crate::support::ADMIN, Some("view_messages:demo"));
    let seen = query_with(app, &viewer, "/demo/messages", &[("where", &mine)]);
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["count"], 1);
    let message_id = id_of(&seen.json["results"][0]).to_string();
    assert_eq!(
        app.get(&format!("/demo/messages/{message_id}"), &viewer)
            .status,
        200
    );
    // Customer scopes do not read messages.
    let customers = app.token(VIEWER, None);
    app.get("/demo/messages", &customers)
        .assert_error(403, "insufficient_scope");
    app.get(&format!("/demo/messages/{message_id}"), &customers)
        .assert_error(403, "insufficient_scope");
    app.send("GET", "/demo/messages", &[], None)
        .assert_error(401, "invalid_token");
    // Another project neither reads these nor sees them in its own.
    let other = app.token(OTHER_ADMIN, None);
    app.get("/demo/messages", &other)
        .assert_error(403, "insufficient_scope");
    let theirs = query_with(app, &other, "/other/messages", &[("where", &mine)]);
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(theirs.json["count"], 0);
    app.get(&format!("/other/messages/{message_id}"), &other)
        .assert_error(404, "ResourceNotFound");
}

/// The plan of the statement the Worker runs for a message query's page.
fn plan(app: &App, pairs: &[(&str, &str)]) -> String {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let mut query = from_params(&params, FIELDS).expect("valid query");
    in_creation_order(&mut query);
    let compiled = query_sql::compile(&QUERY_TABLE, "demo", None, &query).expect("compiles");
    app.query_plan(&compiled.page)
}

fn message_queries_use_an_index(app: &App) {
    for (pairs, index, sorted_by_index) in [
        (
            vec![
                ("where", "resource(id = \"c\")"),
                ("sort", "sequenceNumber asc"),
            ],
            "sqlite_autoindex_messages_2",
            false,
        ),
        (
            vec![("where", "resource(id = \"c\")")],
            "sqlite_autoindex_messages_2",
            false,
        ),
        (
            vec![("where", "id = \"m\"")],
            "sqlite_autoindex_messages_1",
            false,
        ),
        (vec![("where", "type = \"T\"")], "messages_type", true),
        (
            vec![
                (
                    "where",
                    "type = \"T\" and createdAt > \"2026-01-01T00:00:00Z\"",
                ),
                ("sort", "createdAt desc"),
            ],
            "messages_type",
            true,
        ),
        (
            vec![("where", "createdAt > \"2026-01-01T00:00:00Z\"")],
            "messages_created_at",
            true,
        ),
        (vec![("limit", "20")], "messages_created_at", true),
    ] {
        let text = plan(app, &pairs);
        assert!(
            text.contains(&format!("USING INDEX {index}")) && !text.contains("SCAN messages"),
            "{pairs:?}: {text}"
        );
        if sorted_by_index {
            assert!(!text.contains("TEMP B-TREE"), "{pairs:?}: {text}");
        }
    }
    // The retention's batches find the oldest messages by their own index.
    let text = app.query_plan(&expired_batch("2026-01-01T00:00:00.000Z", 1000));
    assert!(text.contains("messages_expiry"), "{text}");
}

/// Seeds `count` messages of resource `resource` created `days_ago` days ago (in D1 directly:
/// the API never writes a message with an old time).
fn seed_old_messages(app: &App, resource: &str, count: u32, days_ago: i64) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let created = iso_millis(now_ms - days_ago * 24 * 60 * 60 * 1000);
    // Into the catalog (with customers over shards, a customer's messages may be in any
    // database; the retention and the queries cover them all).
    app.d1_query_in("DB", &format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         INSERT INTO messages (project, id, resource_type_id, resource_id, customer_id, sequence_number, \
         resource_version, type, created_at, doc) \
         SELECT 'demo', '{resource}-' || i, 'customer', '{resource}', '{resource}', i, i, 'CustomerFirstNameSet', \
         '{created}', json_object('id', '{resource}-' || i, 'type', 'CustomerFirstNameSet', 'createdAt', '{created}') FROM n"
    ));
}

fn count_of(app: &App, resource: &str) -> i64 {
    let rows = app.d1_query(&format!(
        "SELECT COUNT(*) AS n FROM messages WHERE resource_id = '{resource}'"
    ));
    // One count per database.
    rows.iter().map(|r| r["n"].as_i64().unwrap()).sum()
}

fn old_messages_are_deleted_by_the_scheduled_retention(app: &App) {
    let marker = unique("retention");
    let (ancient, expired, kept) = (
        format!("{marker}-ancient"),
        format!("{marker}-expired"),
        format!("{marker}-kept"),
    );
    // More than two batches of 1 000, just past the 15 days of the default retention, and
    // just within them.
    seed_old_messages(app, &ancient, 2_500, 400);
    seed_old_messages(app, &expired, 10, 16);
    seed_old_messages(app, &kept, 10, 14);
    let (c, _) = customer(app, "retention");
    let fresh = id_of(&c).to_string();
    let ran = app.send("GET", "/__scheduled?cron=17+*+*+*+*", &[], None);
    assert_eq!(ran.status, 200, "{}", ran.text);
    assert_eq!(count_of(app, &ancient), 0);
    assert_eq!(count_of(app, &expired), 0);
    assert_eq!(count_of(app, &kept), 10);
    assert_eq!(count_of(app, &fresh), 1);
    // What is left reads back through the API as before.
    let where_ = format!("resource(id = \"{kept}\")");
    let reply = query(app, &[("where", &where_)]);
    assert_eq!(reply.json["total"], 10, "{}", reply.text);
}
