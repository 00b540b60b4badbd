//! Message retention: messages older than a number of days (commercetools' project setting
//! `messages.deleteDaysAfterCreation`: 1–90, default 15) are deleted by a scheduled run, in
//! bounded batches so that one run never holds the database for long.

use super::time::iso_millis;

/// commercetools' default retention.
pub const DEFAULT_DAYS: u32 = 15;
/// The shortest and longest retention commercetools allows.
pub const MIN_DAYS: u32 = 1;
pub const MAX_DAYS: u32 = 90;
/// Messages one delete statement removes at most.
pub const BATCH_SIZE: u32 = 1_000;
/// Delete statements one scheduled run sends at most (so at most 50 000 messages a run; a
/// backlog is worked off over the following runs).
pub const MAX_BATCHES_PER_RUN: u32 = 50;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long messages are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

impl Retention {
    /// The configured retention (`None`: not configured, the default). A value that is not a
    /// whole number of days in 1–90 is refused, rather than guessed at: deleting more than an
    /// operator meant cannot be undone.
    pub fn from_config(value: Option<&str>) -> Result<Retention, String> {
        let Some(text) = value else {
            return Ok(Retention { days: DEFAULT_DAYS });
        };
        match text.trim().parse::<u32>() {
            Ok(days) if (MIN_DAYS..=MAX_DAYS).contains(&days) => Ok(Retention { days }),
            _ => Err(format!(
                "the message retention must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}, not '{text}'"
            )),
        }
    }

    pub fn days(self) -> u32 {
        self.days
    }

    /// Messages created before this time (as `createdAt` is written) are due for deletion at
    /// `now_ms`.
    pub fn cutoff(self, now_ms: i64) -> String {
        iso_millis(now_ms - i64::from(self.days) * DAY_MS)
    }
}

/// Whether a run that deleted `deleted` messages in its last batch should send another.
pub fn more_to_do(deleted: usize, batches_sent: u32) -> bool {
    deleted >= BATCH_SIZE as usize && batches_sent < MAX_BATCHES_PER_RUN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_fifteen_days_and_accepts_one_to_ninety() {
        assert_eq!(Retention::from_config(None).unwrap().days(), 15);
        assert_eq!(Retention::from_config(Some("1")).unwrap().days(), 1);
        assert_eq!(Retention::from_config(Some(" 90 ")).unwrap().days(), 90);
        for bad in ["0", "91", "-1", "15.5", "", "two weeks"] {
            assert!(Retention::from_config(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cutoff_is_the_retention_before_now() {
        let retention = Retention::from_config(Some("2")).unwrap();
        let now = 1_700_000_000_000;
        assert_eq!(retention.cutoff(now), iso_millis(now - 2 * DAY_MS));
        // Timestamps compare as text: the cutoff has the shape of `createdAt`.
        assert_eq!(
            retention.cutoff(now).len(),
            "2023-11-12T22:13:20.000Z".len()
        );
    }

    #[test]
    fn a_run_stops_at_a_short_batch_or_its_batch_limit() {
        assert!(more_to_do(BATCH_SIZE as usize, 1));
        assert!(!more_to_do(BATCH_SIZE as usize - 1, 1));
        assert!(!more_to_do(BATCH_SIZE as usize, MAX_BATCHES_PER_RUN));
    }
}
