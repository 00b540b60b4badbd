//! Brute-force throttling of sign-ins: a sliding window of failure times per email (and per
//! client address). Past half the limit each further failure is answered a little later; at
//! the limit, attempts are refused (429) until the oldest failure leaves the window. A
//! successful sign-in clears the email's window, so the right person is never locked out for
//! longer than the window.

use serde::{Deserialize, Serialize};

/// How many failures are allowed within how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_failures: u32,
    pub window_ms: i64,
}

/// The longest a failed attempt is held back.
const MAX_DELAY_MS: u64 = 2_000;
const DELAY_STEP_MS: u64 = 250;

/// The failures of one email or address, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    failures: Vec<i64>,
}

impl Window {
    fn live(&self, now_ms: i64, limits: Limits) -> impl Iterator<Item = &i64> {
        self.failures
            .iter()
            .filter(move |&&at| at > now_ms - limits.window_ms && at <= now_ms)
    }

    /// `Err(seconds)` while the window is full: how long until an attempt is allowed again.
    pub fn check(&self, now_ms: i64, limits: Limits) -> Result<(), u64> {
        let live: Vec<i64> = self.live(now_ms, limits).copied().collect();
        if (live.len() as u64) < u64::from(limits.max_failures) {
            return Ok(());
        }
        // Room comes back when enough of the oldest failures have left the window.
        let excess = live.len() - limits.max_failures as usize;
        let frees_at = live[excess] + limits.window_ms;
        let wait_ms = (frees_at - now_ms).max(1);
        Err(((wait_ms + 999) / 1000) as u64)
    }

    /// Records a failure (and forgets those that have left the window).
    pub fn record_failure(&mut self, now_ms: i64, limits: Limits) {
        self.failures.retain(|&at| at > now_ms - limits.window_ms);
        self.failures.push(now_ms);
    }

    /// How long to hold back the answer to a failure: nothing up to half the limit, then a
    /// quarter second more per failure, at most two seconds.
    pub fn delay_ms(&self, now_ms: i64, limits: Limits) -> u64 {
        let live = self.live(now_ms, limits).count() as u64;
        let free = u64::from(limits.max_failures / 2);
        (live.saturating_sub(free) * DELAY_STEP_MS).min(MAX_DELAY_MS)
    }

    pub fn clear(&mut self) {
        self.failures.clear();
    }

    pub fn failures(&self, now_ms: i64, limits: Limits) -> usize {
        self.live(now_ms, limits).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_failures: 10,
        window_ms: 900_000,
    };

    #[test]
    fn refuses_at_the_limit_until_the_window_has_room() {
        let mut window = Window::default();
        for i in 0..9 {
            window.record_failure(i * 1_000, LIMITS);
            assert!(window.check(i * 1_000, LIMITS).is_ok());
        }
        window.record_failure(9_000, LIMITS);
        // The first failure (at 0) leaves the window at 900 s.
        assert_eq!(window.check(10_000, LIMITS), Err(890));
        assert_eq!(window.check(899_999, LIMITS), Err(1));
        assert!(window.check(900_000, LIMITS).is_ok());
        assert_eq!(window.failures(900_000, LIMITS), 9);
    }

    #[test]
    fn slows_down_past_half_the_limit() {
        let mut window = Window::default();
        for i in 0..5 {
            window.record_failure(i, LIMITS);
        }
        assert_eq!(window.delay_ms(10, LIMITS), 0);
        window.record_failure(6, LIMITS);
        assert_eq!(window.delay_ms(10, LIMITS), 250);
        for i in 7..30 {
            window.record_failure(i, LIMITS);
        }
        assert_eq!(window.delay_ms(40, LIMITS), 2_000);
    }

    #[test]
    fn success_clears_and_old_failures_are_forgotten() {
        let mut window = Window::default();
        for i in 0..10 {
            window.record_failure(i, LIMITS);
        }
        assert!(window.check(20, LIMITS).is_err());
        window.clear();
        assert!(window.check(20, LIMITS).is_ok());
        window.record_failure(0, LIMITS);
        window.record_failure(2_000_000, LIMITS);
        assert_eq!(window.failures, vec![2_000_000]);
    }
}
