//! The official commercetools SDK (Node) against the Worker: proof that a real client works
//! unchanged. The script is tests/sdk/customers-roundtrip.mjs.

use std::process::Command;

use crate::support::App;

tests!(sdk; official_sdk_customer_round_trip);

fn official_sdk_customer_round_trip(app: &App) {
    let out = Command::new("node")
        .arg("tests/sdk/customers-roundtrip.mjs")
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("official SDK round trip: ok"));
}
