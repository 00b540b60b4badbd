//! The platform's clock and CSPRNG, as the domain's inputs.

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
