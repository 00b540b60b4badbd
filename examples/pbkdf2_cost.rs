//! Prints the native cost of one PBKDF2-HMAC-SHA256 derivation (the domain core's Rust code)
//! at the given iteration count: the median of the given number of rounds, in milliseconds.
//! For bench/sign-in.mjs.
//!
//! Usage: `cargo run --release --example pbkdf2_cost -- <iterations> <rounds>`

use std::time::Instant;

use edge_customer_api::domain::password;

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("usage: pbkdf2_cost <iterations> <rounds>"))
        .collect();
    let [iterations, rounds] = args[..] else {
        panic!("usage: pbkdf2_cost <iterations> <rounds>");
    };
    let salt = [7u8; password::SALT_LEN];
    let mut times: Vec<f64> = (0..rounds.max(1))
        .map(|round| {
            let started = Instant::now();
            let derived = password::derive(&format!("password-{round}"), &salt, iterations);
            std::hint::black_box(derived);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{:.2}", times[times.len() / 2]);
}
