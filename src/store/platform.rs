//! The platform's clock and CSPRNG, as the domain's inputs.

use worker::{Env, Request};

use crate::domain::ids::Random;

/// The Workers CSPRNG (`crypto.getRandomValues`, through getrandom).
pub struct CryptoRandom;

impl Random for CryptoRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the Workers runtime always provides crypto.getRandomValues");
    }
}

/// Milliseconds since the Unix epoch. (In Workers the clock advances only across I/O.)
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// The header a test may set to move the clock forward, honoured only when the Worker runs
/// with `TEST_CLOCK=enabled` (the black-box tests set it; no deployed configuration does).
pub const TEST_CLOCK_HEADER: &str = "X-Test-Clock-Offset-Ms";

/// The largest test offset honoured: ten years either way.
const MAX_TEST_OFFSET_MS: i64 = 10 * 366 * 86_400_000;

/// The time of a request: the platform clock, plus the test offset where that is enabled.
pub fn request_now(req: &Request, env: &Env) -> i64 {
    let enabled = env
        .var("TEST_CLOCK")
        .is_ok_and(|v| v.to_string() == "enabled");
    let offset = if enabled {
        req.headers()
            .get(TEST_CLOCK_HEADER)
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0)
            .clamp(-MAX_TEST_OFFSET_MS, MAX_TEST_OFFSET_MS)
    } else {
        0
    };
    now_ms().saturating_add(offset)
}
