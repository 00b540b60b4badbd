//! Black-box tests of the Worker: one `wrangler dev` with fresh local D1, KV and Durable
//! Objects serves every test; each test speaks HTTP to it (no mocks).
//!
//! Run with `bash scripts/test.sh` (or `cargo test --test api` once scripts/setup.sh ran).
//! Tests share the server, so each uses its own unique emails and keys.

use std::sync::Arc;

use libtest_mimic::{Arguments, Trial};

/// One black-box test: it gets the app and panics on failure.
type TestFn = fn(&support::App);

/// `tests!(module; a, b; serial: c)` lists a module's tests as (`module::name`, fn) pairs:
/// `tests()` run in parallel; `serial_tests()` run afterwards, one at a time, because they
/// inspect the local D1 database from outside the Worker, which must not happen while other
/// requests write (the second SQLite client makes the Worker's D1 calls fail).
macro_rules! tests {
    ($module:ident; $($name:ident),* $(,)? $(; serial: $($serial:ident),* $(,)?)?) => {
        #[allow(dead_code)]
        pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
            vec![$((concat!(stringify!($module), "::", stringify!($name)), $name as crate::TestFn)),*]
        }

        #[allow(dead_code)]
        pub fn serial_tests() -> Vec<(&'static str, crate::TestFn)> {
            vec![$($((concat!(stringify!($module), "::", stringify!($serial)), $serial as crate::TestFn)),*)?]
        }
    };
}

mod as_associate;
mod associate_roles;
mod auth;
mod business_unit_search;
mod business_units;
mod credentials;
mod customers;
mod emporix;
mod errors;
mod fuzz;
mod groups;
mod hardening;
mod import;
mod in_store_units;
mod mcp;
mod me;
mod messages;
mod oauth;
mod queries;
mod rebalance;
mod sdk;
mod search;
mod shards;
mod support;
mod types;
mod updates;

fn main() {
    let args = Arguments::from_args();
    let parallel = [
        errors::tests(),
        auth::tests(),
        customers::tests(),
        updates::tests(),
        queries::tests(),
        credentials::tests(),
        oauth::tests(),
        sdk::tests(),
        hardening::tests(),
        groups::tests(),
        mcp::tests(),
        types::tests(),
        associate_roles::tests(),
        business_units::tests(),
        business_unit_search::tests(),
        as_associate::tests(),
        in_store_units::tests(),
        me::tests(),
        messages::tests(),
        search::tests(),
        shards::tests(),
        rebalance::tests(),
        import::tests(),
        emporix::tests(),
    ]
    .concat();
    let serial = [
        customers::serial_tests(),
        updates::serial_tests(),
        queries::serial_tests(),
        credentials::serial_tests(),
        hardening::serial_tests(),
        groups::serial_tests(),
        associate_roles::serial_tests(),
        business_units::serial_tests(),
        business_unit_search::serial_tests(),
        messages::serial_tests(),
        search::serial_tests(),
        fuzz::serial_tests(),
    ]
    .concat();
    // Listing tests needs no server.
    let server = (!args.list).then(support::Server::start);
    let app = Arc::new(match &server {
        Some(server) => support::App::new(server.base_url.clone(), Some(server.state_dir.clone())),
        None => support::App::new(String::new(), None),
    });
    let trials = |tests: Vec<(&'static str, TestFn)>| -> Vec<Trial> {
        tests
            .into_iter()
            .map(|(name, test)| {
                let app = Arc::clone(&app);
                Trial::test(name, move || {
                    test(&app);
                    Ok(())
                })
            })
            .collect()
    };
    if server.is_some() {
        // Customer search is on in the demo project from the start: every write indexes.
        search::activate_demo(&app, &search::CUSTOMERS);
        search::activate_demo(&app, &search::BUSINESS_UNITS);
    }
    let first = libtest_mimic::run(&args, trials(parallel));
    let mut one_at_a_time = args.clone();
    one_at_a_time.test_threads = Some(1);
    let second = libtest_mimic::run(&one_at_a_time, trials(serial));
    let failed = first.has_failed() || second.has_failed();
    if failed {
        if let Some(server) = &server {
            eprintln!(
                "\n---- wrangler dev output (last 200 lines) ----\n{}",
                server.log_tail(200)
            );
        }
    }
    drop(server);
    std::process::exit(i32::from(failed) * 101);
}
