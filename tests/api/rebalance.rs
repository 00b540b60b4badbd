//! Re-balancing (docs/scale.md, **Re-balancing**): customers over 2 databases are moved to 4
//! while the Worker runs with `CUSTOMER_DATABASES_NEXT`, the step interrupted once (stopped
//! between a copy and its delete) and resumed after a restart, then the Worker is restarted
//! with the 4 shards. It starts its own servers in the 4-binding configuration
//! (`wrangler.sharded.toml`) on one state directory, whatever `API_TEST_CONFIG` says; it runs
//! in the default pass of `scripts/test.sh` (API_TEST_CONFIG unset) and is skipped, saying so,
//! in the sharded pass (the same test again would add minutes, not coverage).

use std::collections::HashSet;
use std::process::Command;
use std::time::Instant;

use edge_customer_api::store::shards::bucket;
use serde_json::{json, Value};

use crate::search::{activate_demo, CUSTOMERS};
use crate::support::{sharded, unique, unique_email, App, Server};

tests!(rebalance; customers_move_from_two_shards_to_four);

const SECRET: &str = "rebalance-test-secret";
const TWO: &str = "CUSTOMER_DATABASES:CUSTOMERS_1 CUSTOMERS_2";
const FOUR: &str = "CUSTOMER_DATABASES:CUSTOMERS_1 CUSTOMERS_2 CUSTOMERS_3 CUSTOMERS_4";
const NEXT: &str = "CUSTOMER_DATABASES_NEXT:CUSTOMERS_1 CUSTOMERS_2 CUSTOMERS_3 CUSTOMERS_4";
const WITH_SECRET: &str = "REBALANCE_SECRET:rebalance-test-secret";
const COUNT: usize = 60;

/// One customer of the test: what it was created with.
struct Made {
    id: String,
    key: String,
    email: String,
    version: u64,
}

fn customers_move_from_two_shards_to_four(_shared: &App) {
    if sharded() {
        eprintln!("rebalance: runs in the default pass only (it starts its own 4-binding servers)");
        return;
    }
    let tag = unique("rebal");
    let server = Server::start_sharded_with(&["--var", TWO, "--var", WITH_SECRET]);
    let app = App::of(&server);
    activate_demo(&app, &CUSTOMERS);
    let made = populate(&app, &tag);
    assert_eq!(
        rows_in(&app, "CUSTOMERS_3") + rows_in(&app, "CUSTOMERS_4"),
        0
    );
    bad_calls_before_next(&app);

    // Maintenance: the same state, NEXT set, the step stopping after its first copy.
    let server = server.restart_with(&[
        "--var",
        TWO,
        "--var",
        NEXT,
        "--var",
        WITH_SECRET,
        "--var",
        "TEST_REBALANCE_STOP_AFTER_COPY:yes",
    ]);
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
        assert_eq!(query_ids(&app, &tag).len(), COUNT);
    }
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
    let out = String::from_utf8_lossy(&script.stdout);
    assert!(
        script.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&script.stderr)
    );
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

/// 60 customers with keys and emails, every fifth updated (more messages), search on.
fn populate(app: &App, tag: &str) -> Vec<Made> {
    let mut made = Vec::new();
    for i in 0..COUNT {
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
    let ids = query_ids(app, tag);
    assert_eq!(ids.len(), COUNT);
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
        assert_eq!((found.len(), distinct.len()), (COUNT, COUNT), "{query}");
    }
    // Messages of an updated customer are where it is.
    let c = &made[0];
    let mine = format!("resource(id%20%3D%20%22{}%22)", c.id);
    let messages = app.get(&format!("/demo/messages?where={mine}"), app.admin());
    assert_eq!(messages.json["count"], 2, "{}", messages.text);
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
