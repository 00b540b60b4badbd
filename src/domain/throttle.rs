//! Brute-force throttling of sign-ins: a sliding window of failed attempts per email (and per
//! client address). An attempt is counted as a failure *when it begins*, in the same step that
//! checks the window, so parallel attempts cannot all slip through before any failure is
//! recorded; a successful attempt takes its count back. Past half the limit each further
//! failure is answered a little later; at the limit, attempts are refused (429) until the
//! oldest failure leaves the window. A successful sign-in clears the email's window, so the
//! right person is locked out for at most the window after the failures stop.

use serde::{Deserialize, Serialize};

/// How many failures are allowed within how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_failures: u32,
    pub window_ms: i64,
}

impl Limits {
    /// Limits from configuration, kept sane: at least one failure, a window of 1 s to a day.
    pub fn new(max_failures: u32, window_seconds: i64) -> Self {
        Limits {
            max_failures: max_failures.max(1),
            window_ms: window_seconds.clamp(1, 86_400) * 1000,
        }
    }
}

/// The longest a failed attempt is held back.
const MAX_DELAY_MS: u64 = 2_000;
const DELAY_STEP_MS: u64 = 250;

/// The failures of one email or address, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    failures: Vec<i64>,
}

/// The answer to the beginning of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Begun {
    /// Go ahead; the attempt is counted as a failure until it succeeds. If it fails, answer
    /// this much later.
    Allowed { delay_ms: u64 },
    /// Refused: try again after this many seconds.
    Refused { retry_after_seconds: u64 },
}

impl Window {
    fn forget_old(&mut self, now_ms: i64, limits: Limits) {
        self.failures.retain(|&at| at > now_ms - limits.window_ms);
    }

    /// Checks the window and, if there is room, counts the attempt as a failure.
    pub fn begin(&mut self, now_ms: i64, limits: Limits) -> Begun {
        self.forget_old(now_ms, limits);
        // Every failure in the window counts, also one recorded by a concurrent attempt whose
        // clock was read a moment later than this one's.
        let mut live = self.failures.clone();
        live.sort_unstable();
        if live.len() >= limits.max_failures as usize {
            // Room comes back when enough of the oldest failures have left the window.
            let excess = live.len() - limits.max_failures as usize;
            let frees_at = live[excess] + limits.window_ms;
            let wait_ms = (frees_at - now_ms).max(1);
            return Begun::Refused {
                retry_after_seconds: ((wait_ms + 999) / 1000) as u64,
            };
        }
        self.failures.push(now_ms);
        let free = u64::from(limits.max_failures / 2);
        let counted = live.len() as u64 + 1;
        Begun::Allowed {
            delay_ms: (counted.saturating_sub(free) * DELAY_STEP_MS).min(MAX_DELAY_MS),
        }
    }

    /// A successful attempt begun at `began_ms`: its count is taken back.
    pub fn succeeded(&mut self, began_ms: i64) {
        if let Some(i) = self.failures.iter().rposition(|&at| at == began_ms) {
            self.failures.remove(i);
        }
    }

    pub fn clear(&mut self) {
        self.failures.clear();
    }

    pub fn failures(&self, now_ms: i64, limits: Limits) -> usize {
        self.failures
            .iter()
            .filter(|&&at| at > now_ms - limits.window_ms)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_failures: 10,
        window_ms: 900_000,
    };

    fn allowed(begun: Begun) -> u64 {
        match begun {
            Begun::Allowed { delay_ms } => delay_ms,
            Begun::Refused { .. } => panic!("refused"),
        }
    }

    #[test]
    fn failures_recorded_by_a_later_clock_count_too() {
        // Ten concurrent attempts read their clocks in one order and reach the window in
        // another: the one that read the earliest clock comes last and must still be refused.
        let mut window = Window::default();
        for i in 1..=10 {
            allowed(window.begin(1_000 + i, LIMITS));
        }
        assert!(matches!(window.begin(1_000, LIMITS), Begun::Refused { .. }));
    }

    #[test]
    fn refuses_at_the_limit_until_the_window_has_room() {
        let mut window = Window::default();
        for i in 0..10 {
            allowed(window.begin(i * 1_000, LIMITS));
        }
        // The first failure (at 0) leaves the window at 900 s.
        assert_eq!(
            window.begin(10_000, LIMITS),
            Begun::Refused {
                retry_after_seconds: 890
            }
        );
        assert_eq!(
            window.begin(899_999, LIMITS),
            Begun::Refused {
                retry_after_seconds: 1
            }
        );
        allowed(window.begin(900_000, LIMITS));
        assert_eq!(window.failures(900_000, LIMITS), 10);
    }

    #[test]
    fn parallel_attempts_are_counted_as_they_begin() {
        // Twenty attempts begin before any of them is judged: only ten get through.
        let mut window = Window::default();
        let through = (0..20)
            .filter(|_| matches!(window.begin(5, LIMITS), Begun::Allowed { .. }))
            .count();
        assert_eq!(through, 10);
    }

    #[test]
    fn slows_down_past_half_the_limit() {
        let mut window = Window::default();
        let delays: Vec<u64> = (0..10).map(|i| allowed(window.begin(i, LIMITS))).collect();
        assert_eq!(delays, vec![0, 0, 0, 0, 0, 250, 500, 750, 1000, 1250]);
        let mut many = Limits {
            max_failures: 100,
            ..LIMITS
        };
        many.window_ms = 900_000;
        let mut window = Window::default();
        let last = (0..60)
            .map(|i| allowed(window.begin(i, many)))
            .last()
            .unwrap();
        assert_eq!(last, 2_000);
    }

    #[test]
    fn success_takes_its_count_back_and_clear_empties() {
        let mut window = Window::default();
        allowed(window.begin(1, LIMITS));
        allowed(window.begin(2, LIMITS));
        window.succeeded(2);
        assert_eq!(window.failures(3, LIMITS), 1);
        window.clear();
        assert_eq!(window.failures(3, LIMITS), 0);
        allowed(window.begin(0, LIMITS));
        allowed(window.begin(2_000_000, LIMITS));
        assert_eq!(
            window.failures,
            vec![2_000_000],
            "old failures are forgotten"
        );
    }

    #[test]
    fn limits_are_kept_sane() {
        assert_eq!(
            Limits::new(0, 0),
            Limits {
                max_failures: 1,
                window_ms: 1_000
            }
        );
        assert_eq!(Limits::new(5, i64::MAX).window_ms, 86_400_000);
        let mut window = Window::default();
        allowed(window.begin(0, Limits::new(0, 60)));
        assert!(matches!(
            window.begin(1, Limits::new(0, 60)),
            Begun::Refused { .. }
        ));
    }
}
