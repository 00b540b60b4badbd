//! Re-balancing (docs/scale.md, **Re-balancing**): customers over 2 databases are moved to 4
//! while the Worker runs with `CUSTOMER_DATABASES_NEXT`, the step interrupted once (stopped
//! between a copy and its delete) and resumed after a restart, then the Worker is restarted
//! with the 4 shards. The same from the single database `DB` (the default) to 4 shards: the
//! catalog then keeps a stub per customer, its claims and references, and the messages of
//! its other resources. It starts its own servers in the 4-binding configuration
//! (`wrangler.sharded.toml`) on one state directory, whatever `API_TEST_CONFIG` says; it runs
//! in the default pass of `scripts/test.sh` (API_TEST_CONFIG unset) and is skipped, saying so,
//! in the sharded pass (the same test again would add minutes, not coverage).

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use edge_customer_api::store::shards::bucket;
use serde_json::{json, Value};

use crate::search::{activate_demo, CUSTOMERS};
use crate::support::{sharded, unique, unique_email, App, Server};

tests!(rebalance; customers_move_from_two_shards_to_four, customers_move_from_one_database_to_four);

const SECRET: &str = "rebalance-test-secret";
const ONE: &str = "CUSTOMER_DATABASES:DB";
const TWO: &str = "CUSTOMER_DATABASES:CUSTOMERS_1 CUSTOMERS_2";
const FOUR: &str = "CUSTOMER_DATABASES:CUSTOMERS_1 CUSTOMERS_2 CUSTOMERS_3 CUSTOMERS_4";
const NEXT: &str = "CUSTOMER_DATABASES_NEXT:CUSTOMERS_1 CUSTOMERS_2 CUSTOMERS_3 CUSTOMERS_4";
const WITH_SECRET: &str = "REBALANCE_SECRET:rebalance-test-secret";
const COUNT: usize = 60;
/// Customers of the single-database test.
const FEW: usize = 40;

/// One customer of the test: what it was created with.
struct Made {
    id: String,
    key: String,
    email: String,
    version: u64,
}

fn customers_move_from_two_shards_to_four(_shared: &App) {
    let Some((server, app, tag, made)) = start_populated(TWO, "rebal", COUNT) else {
        return;
    };
    assert_eq!(
        rows_in(&app, "CUSTOMERS_3") + rows_in(&app, "CUSTOMERS_4"),
        0
    );
    bad_calls_before_next(&app);

    // Maintenance: the same state, NEXT set, the step stopping after its first copy.
    let server = stopping_after_a_copy(server, TWO);
    let app = App::of(&server);
    writes_are_refused(&app, &made);
    all_readable(&app, &tag, &made);
    let report = step(&app, "pages=1&size=10");
    assert!(report["stopped"].is_string(), "{report}");
    assert_eq!(report["done"], false);
    assert_eq!(report["bucketsMoving"], 512);
    // Interrupted between a copy and its delete: some customers are in two shards, and
    // every read still sees each once.
    let stored = rows_in(&app, "CUSTOMERS_1")
        + rows_in(&app, "CUSTOMERS_2")
        + rows_in(&app, "CUSTOMERS_3")
        + rows_in(&app, "CUSTOMERS_4");
    assert!(stored > COUNT, "a copied page is in both shards: {stored}");
    all_readable(&app, &tag, &made);

    // Restarted (as a Worker that died would be), resumed: first a few calls by hand, a
    // query between them, then the operator's script to the end.
    let server = server.restart_with(&["--var", TWO, "--var", NEXT, "--var", WITH_SECRET]);
    let app = App::of(&server);
    let started = Instant::now();
    for _ in 0..2 {
        let report = step(&app, "pages=1&size=10");
        assert_eq!(report["done"], false, "{report}");
        assert_eq!(query_ids(&app, &tag).len(), made.len());
    }
    let out = run_script(&app);
    assert!(out.lines().count() >= 2 && out.contains("done:"), "{out}");
    eprintln!(
        "rebalance: {COUNT} customers, resumed to done in {} ms\n{out}",
        started.elapsed().as_millis()
    );
    let again = step(&app, "pages=1");
    assert_eq!(
        (again["done"].as_bool(), again["moved"].as_u64()),
        (Some(true), Some(0))
    );
    all_readable(&app, &tag, &made);

    // Deployed with the 4 shards: everything where it belongs, writes back.
    let server = server.restart_with(&["--var", FOUR]);
    let app = App::of(&server);
    all_readable(&app, &tag, &made);
    moved_rows_left_their_old_owners(&app, &made);
    writes_work_again(&app, &made);
    let reply = app.post("/_rebalance", SECRET, &json!({}));
    assert_eq!(reply.status, 404, "no REBALANCE_SECRET: no such endpoint");
    drop(server);
}

/// The shards of the 4-database configuration.
const SHARDS: [&str; 4] = ["CUSTOMERS_1", "CUSTOMERS_2", "CUSTOMERS_3", "CUSTOMERS_4"];

fn customers_move_from_one_database_to_four(_shared: &App) {
    // One database (the 4 shard bindings present, unused), search on, a business unit (a
    // catalog resource with its own message).
    let Some((server, app, tag, made)) = start_populated(ONE, "rebal1", FEW) else {
        return;
    };
    crate::business_units::company(&app, "rebal1");
    assert_eq!(full_rows_in(&app, "DB"), FEW);
    assert_eq!(in_shards(&app), 0);

    // Maintenance, the step stopping after its first copy: 10 customers in two places.
    let server = stopping_after_a_copy(server, ONE);
    let app = App::of(&server);
    writes_are_refused(&app, &made);
    all_readable(&app, &tag, &made);
    listed_once(&app, FEW, 0);
    let report = step(&app, "pages=1&size=10");
    assert!(report["stopped"].is_string(), "{report}");
    assert_eq!(report["plan"], format!("DB -> {}", SHARDS.join(" ")));
    assert_eq!(report["bucketsMoving"], 1024, "every customer moves");
    assert_eq!((full_rows_in(&app, "DB"), in_shards(&app)), (FEW, 10));
    all_readable(&app, &tag, &made);
    listed_once(&app, FEW, 10);

    // Restarted: the copied page is redone and its customers leave stubs behind; reads
    // skip the stubs (by id, key, email, query, search).
    let server = server.restart_with(&["--var", ONE, "--var", NEXT, "--var", WITH_SECRET]);
    let app = App::of(&server);
    let report = step(&app, "pages=1&size=10");
    assert_eq!(
        (report["done"].as_bool(), report["moved"].as_u64()),
        (Some(false), Some(10)),
        "{report}"
    );
    assert_eq!((full_rows_in(&app, "DB"), in_shards(&app)), (FEW - 10, 10));
    all_readable(&app, &tag, &made);
    listed_once(&app, FEW, 0);
    let out = run_script(&app);
    assert!(out.contains("done:"), "{out}");
    eprintln!("rebalance: {FEW} customers out of DB\n{out}");
    let again = step(&app, "pages=1");
    assert_eq!(
        (again["done"].as_bool(), again["moved"].as_u64()),
        (Some(true), Some(0))
    );
    all_readable(&app, &tag, &made);
    listed_once(&app, FEW, 0);

    // Deployed with the 4 shards: the catalog keeps only stubs, writes are back.
    let server = server.restart_with(&["--var", FOUR]);
    let app = App::of(&server);
    all_readable(&app, &tag, &made);
    listed_once(&app, FEW, 0);
    the_catalog_keeps_only_stubs(&app, &made);
    writes_work_again(&app, &made);
    // Another customer than the one `writes_work_again` updated.
    let other = made
        .iter()
        .find(|c| bucket(&c.id) % 4 < 2)
        .expect("a customer");
    a_new_key_updates_the_stub(&app, other);
    drop(server);
}

/// A server of the 4-binding configuration with `list` as `CUSTOMER_DATABASES`, the customer
/// index on and `count` customers made, tagged; `None` in the sharded pass (these tests start
/// their own servers, so they run once, in the default pass).
fn start_populated(
    list: &str,
    tag: &str,
    count: usize,
) -> Option<(Server, App, String, Vec<Made>)> {
    if sharded() {
        eprintln!("rebalance: runs in the default pass only (it starts its own 4-binding servers)");
        return None;
    }
    let tag = unique(tag);
    let server = Server::start_sharded_with(&["--var", list, "--var", WITH_SECRET]);
    let app = App::of(&server);
    activate_demo(&app, &CUSTOMERS);
    let made = populate(&app, &tag, count);
    Some((server, app, tag, made))
}

/// The same state restarted in maintenance (`list` and the next list), the step stopping after
/// its first copy (as a Worker dying there would).
fn stopping_after_a_copy(server: Server, list: &str) -> Server {
    server.restart_with(&[
        "--var",
        list,
        "--var",
        NEXT,
        "--var",
        WITH_SECRET,
        "--var",
        "TEST_REBALANCE_STOP_AFTER_COPY:yes",
    ])
}

/// The operator's `scripts/rebalance.mjs` run to the end (pages of 10, 2 per call): its output.
fn run_script(app: &App) -> String {
    let script = Command::new("node")
        .args([
            "scripts/rebalance.mjs",
            "--url",
            &app.base_url,
            "--secret",
            SECRET,
        ])
        .args(["--pages", "2", "--size", "10"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run scripts/rebalance.mjs");
    let out = String::from_utf8_lossy(&script.stdout).to_string();
    assert!(
        script.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&script.stderr)
    );
    out
}

/// Full customer rows (not stubs) of the test in one database.
fn full_rows_in(app: &App, database: &str) -> usize {
    let rows = app.d1_query_in(
        database,
        "SELECT COUNT(*) AS n FROM customers WHERE project = 'demo' AND doc <> ''",
    );
    rows[0]["n"].as_u64().unwrap() as usize
}

/// Customers in the 4 shards together.
fn in_shards(app: &App) -> usize {
    SHARDS.iter().map(|s| rows_in(app, s)).sum()
}

/// An unfiltered query lists every customer once and no stub (each result a customer with
/// an email and a version); its total counts each once, but the customers of a page between
/// its copy and its delete (`in_flight`) may be counted twice (docs/scale.md).
fn listed_once(app: &App, count: usize, in_flight: u64) {
    let reply = app.get("/demo/customers?limit=500&withTotal=true", app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let results = reply.json["results"].as_array().unwrap();
    let ids: HashSet<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!((results.len(), ids.len()), (count, count), "{}", reply.text);
    assert!(results
        .iter()
        .all(|r| r["email"].is_string() && r["version"].as_u64() >= Some(1)));
    let total = reply.json["total"].as_u64().unwrap();
    assert!(
        (count as u64..=count as u64 + in_flight).contains(&total),
        "total {total}"
    );
}

/// After a move out of `DB`: the catalog holds a stub per customer (its unique values, no
/// document), the email claims, no customer message and no customer search row; the shards
/// hold the customers, their messages and search rows; the business unit's message stayed.
fn the_catalog_keeps_only_stubs(app: &App, made: &[Made]) {
    let ids = made
        .iter()
        .map(|c| format!("'{}'", c.id))
        .collect::<Vec<_>>()
        .join(",");
    let count = |db: &str, sql: &str| -> u64 {
        app.d1_query_in(db, &sql.replace("{ids}", &ids))[0]["n"]
            .as_u64()
            .unwrap()
    };
    let in_shards = |sql: &str| SHARDS.iter().map(|s| count(s, sql)).sum::<u64>();
    let n = made.len() as u64;
    let stubs = "SELECT COUNT(*) AS n FROM customers WHERE id IN ({ids}) AND doc = '' \
                 AND version = 0 AND first_name IS NULL AND company_name IS NULL";
    assert_eq!(count("DB", stubs), n);
    assert_eq!(full_rows_in(app, "DB"), 0);
    let c = &made[0];
    let stub = app.d1_query_in(
        "DB",
        &format!(
            "SELECT key, lowercase_email FROM customers WHERE id = '{}'",
            c.id
        ),
    );
    assert_eq!(stub[0]["key"], c.key.as_str());
    assert_eq!(stub[0]["lowercase_email"], c.email.to_lowercase().as_str());
    let claims =
        "SELECT COUNT(DISTINCT customer_id) AS n FROM customer_emails WHERE customer_id IN ({ids})";
    assert_eq!(count("DB", claims), n);
    let messages = "SELECT COUNT(*) AS n FROM messages WHERE customer_id IN ({ids})";
    let docs = "SELECT COUNT(*) AS n FROM search_docs WHERE id IN ({ids})";
    let fts = "SELECT COUNT(*) AS n FROM customer_fts WHERE rowid IN \
               (SELECT doc FROM search_docs WHERE id IN ({ids}))";
    for sql in [messages, docs, fts] {
        assert_eq!(count("DB", sql), 0, "DB: {sql}");
    }
    let customer_messages =
        "SELECT COUNT(*) AS n FROM messages WHERE resource_type_id = 'customer'";
    assert_eq!(count("DB", customer_messages), 0);
    let updated = made.iter().filter(|c| c.version == 2).count() as u64;
    let full = "SELECT COUNT(*) AS n FROM customers WHERE id IN ({ids}) AND doc <> ''";
    assert_eq!(in_shards(full), n);
    assert_eq!(in_shards(messages), n + updated);
    assert_eq!(in_shards(docs), n);
    let unit_messages =
        "SELECT COUNT(*) AS n FROM messages WHERE resource_type_id = 'business-unit'";
    assert!(count("DB", unit_messages) >= 1);
    assert_eq!(in_shards(unit_messages), 0);
}

/// A moved customer's key changed in the new layout: the stub left by the move is updated
/// (the new key found, the old one free).
fn a_new_key_updates_the_stub(app: &App, c: &Made) {
    let key = unique("rk-new");
    let reply = app.update(
        &format!("/demo/customers/{}", c.id),
        app.admin(),
        c.version,
        json!([{"action": "setKey", "key": key}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let by_key = app.get(&format!("/demo/customers/key={key}"), app.admin());
    assert_eq!(by_key.json["id"], c.id.as_str(), "{}", by_key.text);
    let old = app.get(&format!("/demo/customers/key={}", c.key), app.admin());
    assert_eq!(old.status, 404, "{}", old.text);
}

/// `count` customers with keys and emails, every fifth updated (more messages), search on.
fn populate(app: &App, tag: &str, count: usize) -> Vec<Made> {
    let mut made = Vec::new();
    for i in 0..count {
        let (key, email) = (unique("rk"), unique_email("rebal"));
        let draft = json!({"email": email, "key": key, "password": "secret-1",
            "firstName": "Quintavius", "lastName": format!("L{i:02}"), "companyName": tag});
        let created = app.create_customer(&draft);
        let id = created["id"].as_str().unwrap().to_string();
        let mut version = 1;
        if i % 5 == 0 {
            let actions = json!([{"action": "setLastName", "lastName": format!("M{i:02}")}]);
            let reply = app.update(&format!("/demo/customers/{id}"), app.admin(), 1, actions);
            assert_eq!(reply.status, 200, "{}", reply.text);
            version = 2;
        }
        made.push(Made {
            id,
            key,
            email,
            version,
        });
    }
    made
}

/// Customers of the test in one database.
fn rows_in(app: &App, database: &str) -> usize {
    let rows = app.d1_query_in(
        database,
        "SELECT COUNT(*) AS n FROM customers WHERE project = 'demo' AND id NOT LIKE '%:held'",
    );
    rows[0]["n"].as_u64().unwrap() as usize
}

fn step(app: &App, query: &str) -> Value {
    let reply = app.post(&format!("/_rebalance?{query}"), SECRET, &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

fn bad_calls_before_next(app: &App) {
    let reply = app.post("/_rebalance", "wrong", &json!({}));
    reply.assert_error(401, "invalid_token");
    let reply = app.post("/_rebalance", SECRET, &json!({}));
    reply.assert_error(400, "InvalidOperation");
    assert!(
        reply.text.contains("CUSTOMER_DATABASES_NEXT"),
        "{}",
        reply.text
    );
}

/// While re-balancing: a create, an update, a delete and a password-token request answer
/// 503 in the error shape; nothing changed.
fn writes_are_refused(app: &App, made: &[Made]) {
    let c = &made[0];
    let draft = json!({"email": unique_email("refused"), "password": "x"});
    let replies = [
        app.post("/demo/customers", app.admin(), &draft),
        app.update(
            &format!("/demo/customers/{}", c.id),
            app.admin(),
            c.version,
            json!([{"action": "setFirstName", "firstName": "No"}]),
        ),
        app.delete(
            &format!("/demo/customers/{}?version={}", c.id, c.version),
            app.admin(),
        ),
        app.post(
            "/demo/customers/password-token",
            app.admin(),
            &json!({"email": c.email}),
        ),
    ];
    for reply in replies {
        let body = reply.assert_error(503, "ServiceUnavailable");
        assert!(
            body["message"].as_str().unwrap().contains("re-balanced"),
            "{body}"
        );
    }
    let now = app.get(&format!("/demo/customers/{}", c.id), app.admin());
    assert_eq!(now.json["version"].as_u64(), Some(c.version));
}

/// Every customer by id, key and email; the tag's query and search find each exactly once;
/// a fuzzy search (terms) finds all.
fn all_readable(app: &App, tag: &str, made: &[Made]) {
    for c in made {
        let by_id = app.get(&format!("/demo/customers/{}", c.id), app.admin());
        assert_eq!(by_id.status, 200, "{}: {}", c.id, by_id.text);
        assert_eq!(by_id.json["version"].as_u64(), Some(c.version));
        let by_key = app.get(&format!("/demo/customers/key={}", c.key), app.admin());
        assert_eq!(by_key.json["id"], c.id.as_str(), "{}", by_key.text);
        let by_email = app.get(
            &format!("/demo/customers?where=lowercaseEmail%3D%22{}%22", c.email),
            app.admin(),
        );
        assert_eq!(
            by_email.json["results"][0]["id"],
            c.id.as_str(),
            "{}",
            by_email.text
        );
        assert_eq!(by_email.json["count"], 1);
    }
    let count = made.len();
    let ids = query_ids(app, tag);
    assert_eq!(ids.len(), count);
    let within = json!({"filter": [{"fullText": {"field": "companyName", "value": tag}}]});
    for query in [
        within.clone(),
        json!({"and": [within, {"fuzzy": {"field": "firstName", "value": "Quintavias", "level": 1}}]}),
    ] {
        let body = json!({"query": query, "limit": 100});
        let reply = app.post("/demo/customers/search", app.admin(), &body);
        assert_eq!(reply.status, 200, "{}", reply.text);
        let found: Vec<&str> = reply.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let distinct: HashSet<&str> = found.iter().copied().collect();
        assert_eq!((found.len(), distinct.len()), (count, count), "{query}");
    }
    signs_in(app, &made[..3]);
    // Messages of an updated customer are where it is.
    let c = &made[0];
    let mine = format!("resource(id%20%3D%20%22{}%22)", c.id);
    let messages = app.get(&format!("/demo/messages?where={mine}"), app.admin());
    assert_eq!(messages.json["count"], 2, "{}", messages.text);
}

/// Customers sign in wherever they are (the sign-in reads the email claim in the catalog, then
/// the customer where it lives), from a client address of their own (throttling).
fn signs_in(app: &App, made: &[Made]) {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    for c in made {
        let address = format!("198.51.100.{}", CALLS.fetch_add(1, Ordering::Relaxed) % 250);
        let reply = app.sign_in("/demo/login", &c.email, "secret-1", &address);
        assert_eq!(reply.status, 200, "{}: {}", c.id, reply.text);
        assert_eq!(
            reply.json["customer"]["id"],
            c.id.as_str(),
            "{}",
            reply.text
        );
    }
}

/// The ids a `where` query on the tag finds (every page of 500), each checked once.
fn query_ids(app: &App, tag: &str) -> HashSet<String> {
    let path = format!(
        "/demo/customers?where=companyName%3D%22{tag}%22&limit=500&sort=lastName%20asc&withTotal=false"
    );
    let reply = app.get(&path, app.admin());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found: Vec<String> = reply.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let distinct: HashSet<String> = found.iter().cloned().collect();
    assert_eq!(found.len(), distinct.len(), "a customer answered twice");
    distinct
}

/// The customers whose bucket moved (2 → 4: bucket mod 4 is 2 or 3) are in their new
/// owner with their messages and search rows, and nothing of them is left in the old one.
fn moved_rows_left_their_old_owners(app: &App, made: &[Made]) {
    let moved: Vec<&Made> = made.iter().filter(|c| bucket(&c.id) % 4 >= 2).collect();
    assert!(!moved.is_empty() && moved.len() < made.len());
    let list = |cs: &[&Made]| {
        cs.iter()
            .map(|c| format!("'{}'", c.id))
            .collect::<Vec<_>>()
            .join(",")
    };
    let ids = list(&moved);
    let count = |db: &str, sql: &str| -> u64 {
        app.d1_query_in(db, &sql.replace("{ids}", &ids))[0]["n"]
            .as_u64()
            .unwrap()
    };
    let customers = "SELECT COUNT(*) AS n FROM customers WHERE id IN ({ids})";
    let messages = "SELECT COUNT(*) AS n FROM messages WHERE customer_id IN ({ids})";
    let docs = "SELECT COUNT(*) AS n FROM search_docs WHERE id IN ({ids})";
    for old in ["CUSTOMERS_1", "CUSTOMERS_2"] {
        for sql in [customers, messages, docs] {
            assert_eq!(count(old, sql), 0, "{old}: {sql}");
        }
    }
    let new = |sql: &str| count("CUSTOMERS_3", sql) + count("CUSTOMERS_4", sql);
    assert_eq!(new(customers), moved.len() as u64);
    assert_eq!(new(docs), moved.len() as u64);
    let updated = moved.iter().filter(|c| c.version == 2).count() as u64;
    assert_eq!(new(messages), moved.len() as u64 + updated);
}

/// After the re-balancing: a create and an update work, a taken email is refused.
fn writes_work_again(app: &App, made: &[Made]) {
    let fresh = app.create_customer(&json!({"email": unique_email("after"), "password": "x"}));
    assert_eq!(fresh["version"], 1);
    let c = made
        .iter()
        .find(|c| bucket(&c.id) % 4 >= 2)
        .expect("a moved customer");
    let actions = json!([{"action": "setFirstName", "firstName": "Settled"}]);
    let reply = app.update(
        &format!("/demo/customers/{}", c.id),
        app.admin(),
        c.version,
        actions,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let taken = json!({"email": c.email, "password": "x"});
    app.post("/demo/customers", app.admin(), &taken)
        .assert_error(400, "DuplicateField");
}
