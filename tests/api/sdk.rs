//! The official commercetools SDK (Node) against the Worker: proof that a real client works
//! unchanged. The scripts are tests/sdk/customers-roundtrip.mjs and tests/sdk/b2b-roundtrip.mjs.

use std::process::Command;

use crate::support::App;

tests!(sdk; official_sdk_customer_round_trip, official_sdk_b2b_round_trip);

fn official_sdk_customer_round_trip(app: &App) {
    run_script(
        app,
        "tests/sdk/customers-roundtrip.mjs",
        "official SDK round trip: ok",
    );
}

/// Associate roles and business units: CRUD, queries and the associate lookup.
fn official_sdk_b2b_round_trip(app: &App) {
    run_script(
        app,
        "tests/sdk/b2b-roundtrip.mjs",
        "official SDK B2B round trip: ok",
    );
}

fn run_script(app: &App, script: &str, success: &str) {
    let out = Command::new("node")
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("EDGE_API_URL", &app.base_url)
        .output()
        .expect("run node (did scripts/setup.sh install the npm packages?)");
    assert!(
        out.status.success(),
        "the SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(success));
}
