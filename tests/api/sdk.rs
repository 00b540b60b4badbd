//! The official commercetools SDK (Node) against the Worker: proof that a real client works
//! unchanged. The scripts are tests/sdk/customers-roundtrip.mjs (the back office) and
//! tests/sdk/me-journey.mjs (the storefront's `/me` journey, global and in a store).

use std::process::Command;

use crate::support::App;

tests!(sdk; official_sdk_customer_round_trip, official_sdk_storefront_journey);

/// Runs a script of tests/sdk against the app; it must print `expected`.
fn run_script(app: &App, script: &str, expected: &str) {
    let out = Command::new("node")
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("EDGE_API_URL", &app.base_url)
        .output()
        .expect("run node (did scripts/setup.sh install the npm packages?)");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(expected));
}

fn official_sdk_customer_round_trip(app: &App) {
    run_script(
        app,
        "tests/sdk/customers-roundtrip.mjs",
        "official SDK round trip: ok",
    );
}

fn official_sdk_storefront_journey(app: &App) {
    run_script(
        app,
        "tests/sdk/me-journey.mjs",
        "official SDK storefront journey: ok",
    );
}
