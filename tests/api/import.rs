//! The bulk import command (`scripts/import.mjs`) against the Worker: a commercetools customer
//! export (one Customer per line) becomes customers, rejected lines are reported with their
//! reasons, a second run continues from the checkpoint, and a run that lost its checkpoint
//! creates no duplicates.

use std::process::Command;

use serde_json::{json, Value};

use crate::support::{unique, unique_email, App};

tests!(import; a_customer_export_imports_resumes_and_reports_rejects);

fn import(app: &App, file: &std::path::Path) -> Value {
    let out = Command::new("node")
        .arg("scripts/import.mjs")
        .args([
            "--file",
            file.to_str().unwrap(),
            "--api",
            &app.base_url,
            "--concurrency",
            "2",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run node scripts/import.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "import failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("a JSON summary")
}

fn a_customer_export_imports_resumes_and_reports_rejects(app: &App) {
    let group = unique("import-group");
    let reply = app.post(
        "/demo/customer-groups",
        app.admin(),
        &json!({"groupName": group, "key": group}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let (email, key) = (unique_email("imported"), unique("imported"));
    let exported = json!({
        "id": "11111111-1111-4111-8111-111111111111", "version": 7, "email": email, "key": key,
        "customerNumber": unique("C"), "firstName": "Ada", "password": "****abcd",
        "addresses": [{"id": "a1", "key": "home", "country": "DE"}, {"id": "a2", "country": "FR"}],
        "defaultShippingAddressId": "a2", "billingAddressIds": ["a1"],
        "customerGroup": {"typeId": "customer-group", "id": "elsewhere", "obj": {"key": group}},
        "authenticationMode": "Password", "createdAt": "2020-01-01T00:00:00.000Z"
    });
    let external = json!({"email": unique_email("external"), "authenticationMode": "ExternalAuth"});
    let lines = [
        exported.to_string(),
        "not json".to_string(),
        json!({"email": "no-at-sign"}).to_string(),
        json!({"email": email, "key": unique("other"), "authenticationMode": "ExternalAuth"})
            .to_string(),
        String::new(),
        external.to_string(),
    ];
    let dir = std::env::temp_dir().join(unique("import-test"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("customers.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let first = import(app, &file);
    assert_eq!(
        (&first["created"], &first["rejected"], &first["needsReset"]),
        (&json!(2), &json!(3), &json!(1)),
        "{first}"
    );
    let rejected = std::fs::read_to_string(dir.join("customers.jsonl.rejected.jsonl")).unwrap();
    let rejected: Vec<Value> = rejected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let codes: Vec<(i64, &str)> = rejected
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            (2, "InvalidJson"),
            (3, "InvalidField"),
            (4, "DuplicateField")
        ]
    );

    let customer = app
        .get(&format!("/demo/customers/key={key}"), app.admin())
        .json;
    assert_eq!(customer["firstName"], "Ada");
    assert_ne!(customer["id"], "11111111-1111-4111-8111-111111111111");
    let second_address = customer["addresses"][1]["id"].clone();
    assert_eq!(customer["defaultShippingAddressId"], second_address);
    assert_eq!(
        customer["billingAddressIds"],
        json!([customer["addresses"][0]["id"]])
    );
    assert_eq!(customer["customerGroup"]["typeId"], "customer-group");

    // Resumed: nothing left to do.
    let again = import(app, &file);
    assert_eq!(
        (&again["resumedAt"], &again["created"]),
        (&json!(6), &json!(0)),
        "{again}"
    );
    // The checkpoint lost: the imported customers are recognised, not duplicated.
    std::fs::remove_file(dir.join("customers.jsonl.checkpoint")).unwrap();
    let replayed = import(app, &file);
    assert_eq!(
        (
            &replayed["created"],
            &replayed["existing"],
            &replayed["rejected"]
        ),
        (&json!(0), &json!(2), &json!(3)),
        "{replayed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
