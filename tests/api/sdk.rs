//! Real commercetools SDKs against the Worker: proof that real clients work unchanged. The
//! official TypeScript SDK runs tests/sdk/customers-roundtrip.mjs (the back office),
//! tests/sdk/b2b-roundtrip.mjs (associate roles and business units) and tests/sdk/me-journey.mjs
//! (the storefront's `/me` journey, global and in a store); the Python SDK runs
//! tests/sdk/python-journey.py in the virtual environment scripts/setup.sh makes.

use std::process::Command;

use crate::support::App;

tests!(sdk;
    official_sdk_customer_round_trip,
    official_sdk_b2b_round_trip,
    official_sdk_storefront_journey,
    python_sdk_journey,
);

/// Runs a script of tests/sdk with `interpreter` against the app; it must print `expected`.
fn run_script(app: &App, (interpreter, script): (&str, &str), expected: &str) {
    let out = Command::new(interpreter)
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("EDGE_API_URL", &app.base_url)
        .output()
        .unwrap_or_else(|e| panic!("run {interpreter} (did scripts/setup.sh run?): {e}"));
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
        ("node", "tests/sdk/customers-roundtrip.mjs"),
        "official SDK round trip: ok",
    );
}

/// Associate roles and business units: CRUD, queries and the associate lookup.
fn official_sdk_b2b_round_trip(app: &App) {
    run_script(
        app,
        ("node", "tests/sdk/b2b-roundtrip.mjs"),
        "official SDK B2B round trip: ok",
    );
}

fn official_sdk_storefront_journey(app: &App) {
    run_script(
        app,
        ("node", "tests/sdk/me-journey.mjs"),
        "official SDK storefront journey: ok",
    );
}

/// The Python of the SDK's virtual environment: `PYTHON_SDK_VENV` (set by scripts/lib.sh), or
/// where scripts/lib.sh puts it by default.
pub fn python_sdk() -> String {
    let venv = std::env::var("PYTHON_SDK_VENV").unwrap_or_else(|_| {
        let tools = std::env::var("EDGE_TOOLS_DIR").unwrap_or_else(|_| {
            let cache = std::env::var("XDG_CACHE_HOME").unwrap_or_else(|_| {
                format!("{}/.cache", std::env::var("HOME").unwrap_or_default())
            });
            format!("{cache}/edge-customer-api")
        });
        format!("{tools}/python-sdk-venv")
    });
    format!("{venv}/bin/python")
}

fn python_sdk_journey(app: &App) {
    let python = python_sdk();
    run_script(
        app,
        (&python, "tests/sdk/python-journey.py"),
        "python SDK journey: ok",
    );
}
